"""The landing Lambda's per-object logic: order -> register -> validate -> VALIDATED | QUARANTINED.

``handle_object_event`` is idempotent on the object version (file_id): each step is a conditional
write or an overwrite with the same value, so a retry after a crash at any point converges to the
same ledger state, and a replayed event is a no-op.

Each call is one OpenLineage run of job ``on_landing_object`` (START, then COMPLETE or FAIL):
input the object version (``s3://<bucket>/<key>#<version>``) with a data-quality facet holding
the file rules it was checked against (``gladiator.quality.FILE_RULES``); output the landing file
the batch jobs will read (``s3://<bucket>/<key>``) when VALIDATED, or its quarantine copy. A stale
or duplicate version and a replay have no output: nothing downstream reads them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from gladiator import resources
from gladiator.contracts import ReasonCode
from gladiator.ingestion.batches import BatchStore
from gladiator.ingestion.claim import BatchStepDeps
from gladiator.ingestion.ledger import EventOrder, Ledger
from gladiator.ingestion.model import LedgerState
from gladiator.ingestion.object_events import ObjectEvent
from gladiator.ingestion.objects import S3ObjectReader
from gladiator.ingestion.quarantine import quarantine_object
from gladiator.ingestion.trigger import BatchTrigger, StepFunctionsStarter
from gladiator.ingestion.validation import ValidationLimits, classify_key, validate_object
from gladiator.lineage.graph import LANDING_JOB
from gladiator.outcomes import ObjectAction
from gladiator.quality import RuleResult, file_rule_results

if TYPE_CHECKING:  # openlineage-python takes ~0.5 s to import: only when lineage is on
    from gladiator.lineage.emit import Lineage, LineageRun


@dataclass(frozen=True, kw_only=True)
class IngestionDeps:
    """What the per-object logic needs; built once per Lambda container."""

    s3: Any
    ledger: Ledger
    quarantine_bucket: str
    limits: ValidationLimits = field(default_factory=ValidationLimits)
    lineage: Lineage | None = None  # None: no run events


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """What happened to one object event (returned by the Lambda, cached by idempotency)."""

    file_id: str
    action: ObjectAction
    state: str
    reason: str | None = None
    entity: str | None = None
    format: str | None = None
    output_uri: str | None = None  # the validated landing file, or its quarantine copy

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def rule_results(self) -> list[RuleResult]:
        """The file rules this object was checked against; none unless it was validated (a
        replay, a stale or a duplicate version is decided without reading the file)."""
        if self.action not in (ObjectAction.VALIDATED, ObjectAction.QUARANTINED):
            return []
        return file_rule_results(self.file_id, self.entity, self.reason)


LINEAGE_JOB = LANDING_JOB


def handle_object_event(event: ObjectEvent, deps: IngestionDeps) -> Outcome:
    """``decide_object_event`` as one OpenLineage run (see the module docstring); a raised error
    is a FAIL event and is re-raised."""
    if deps.lineage is None:
        return decide_object_event(event, deps)
    from gladiator.lineage.emit import object_version_uri

    with deps.lineage.run(LINEAGE_JOB) as run:
        received = object_version_uri(event.bucket, event.key, event.file_id.rsplit("#", 1)[-1])
        run.input(received)  # known before the work: a FAIL event names it too
        outcome = decide_object_event(event, deps)
        record_lineage(run, received, outcome)
    return outcome


def record_lineage(run: LineageRun, received: str, outcome: Outcome) -> None:
    """The run's datasets: the object version in, now with its file-rule results, the file out."""
    checks = {r.rule: (r.checked, r.failed) for r in outcome.rule_results()}
    run.input(received, checks=checks or None)
    if outcome.output_uri:
        run.output(outcome.output_uri)


def decide_object_event(event: ObjectEvent, deps: IngestionDeps) -> Outcome:
    """Register ``event``'s object version in the ledger and validate it.

    - already past RECEIVED (a replayed event, or a retry after the work was done): no-op;
    - an older version of a key whose newer version was already seen: QUARANTINED(stale_version);
    - a new version with the same bytes (eTag) as the key's previous version, i.e. the same file
      dropped twice: QUARANTINED(duplicate). Neither is copied: they are not bad files;
    - otherwise validated: VALIDATED, or copied to quarantine and QUARANTINED(reason).

    Raises ``IllegalTransition`` if the ledger refuses a transition (counted by the caller).
    """
    order = deps.ledger.order_event(event, tie_breaker=lambda other: _is_newer_version(deps.s3, event, other))
    entity, fmt = classify_key(event.key)
    entry, _created = deps.ledger.register(event, entity=entity, fmt=fmt)
    base: dict[str, Any] = {"file_id": event.file_id, "entity": entity, "format": fmt}
    if entry.state != LedgerState.RECEIVED:
        return Outcome(action=ObjectAction.REPLAY, state=entry.state.value, reason=entry.reason, **base)
    if order.order in (EventOrder.OLDER, EventOrder.DUPLICATE):
        stale = order.order == EventOrder.OLDER
        reason = ReasonCode.STALE_VERSION if stale else ReasonCode.DUPLICATE
        detail = (
            f"superseded: a newer version of this key ({order.previous_file_id}) arrived first"
            if stale
            else f"same content (eTag {event.etag}) as the previous version {order.previous_file_id}"
        )
        deps.ledger.transition(
            event.file_id, LedgerState.QUARANTINED, reason=reason.value, reason_detail=detail
        )
        return Outcome(
            action=ObjectAction.STALE if stale else ObjectAction.DUPLICATE,
            state="QUARANTINED",
            reason=reason,
            **base,
        )
    reader = S3ObjectReader(deps.s3, event.bucket, event.key, version_id=event.version_id, size=event.size)
    verdict = validate_object(reader, event.key, deps.limits)
    if verdict.ok:
        deps.ledger.transition(event.file_id, LedgerState.VALIDATED)
        return Outcome(
            action=ObjectAction.VALIDATED,
            state="VALIDATED",
            output_uri=f"s3://{event.bucket}/{event.key}",
            **base,
        )
    assert verdict.reason is not None
    location = quarantine_object(
        deps.s3, event, bucket=deps.quarantine_bucket, reason=verdict.reason, detail=verdict.detail
    )
    deps.ledger.transition(
        event.file_id,
        LedgerState.QUARANTINED,
        reason=verdict.reason.value,
        reason_detail=f"{verdict.detail} (copy: {location})",
    )
    return Outcome(
        action=ObjectAction.QUARANTINED,
        state="QUARANTINED",
        reason=verdict.reason.value,
        output_uri=location,
        **base,
    )


def _is_newer_version(s3: Any, event: ObjectEvent, other_file_id: str) -> bool:
    """Whether ``event``'s version is newer than ``other_file_id``'s, by the bucket's version
    listing (newest first). Only consulted when sequencers tie, which real S3 never does."""
    other_version = other_file_id.rsplit("#", 1)[-1]
    if not event.version_id or event.version_id == "null":
        return True  # unversioned bucket: nothing to compare, treat the arrival as the newest
    pages = s3.get_paginator("list_object_versions").paginate(Bucket=event.bucket, Prefix=event.key)
    for page in pages:
        for version in page.get("Versions", []):
            if version["Key"] != event.key:
                continue
            if version["VersionId"] == event.version_id:
                return True
            if version["VersionId"] == other_version:
                return False
    return True


def deps_from_settings(settings: Any, session: Any = None) -> IngestionDeps:
    """Clients and names from ``gladiator.config.Settings`` (env overrides included)."""
    dynamodb = settings.client("dynamodb", session)
    limits = ValidationLimits()
    if (max_file_bytes := settings.max_landing_file_bytes) is not None:
        limits = ValidationLimits(max_file_bytes=max_file_bytes)
    return IngestionDeps(
        s3=settings.client("s3", session),
        ledger=Ledger(settings.table_name(resources.LEDGER), dynamodb),
        quarantine_bucket=settings.quarantine_bucket,
        limits=limits,
        lineage=_lineage(settings),
    )


def _lineage(settings: Any) -> Lineage | None:
    """Run events locally (file) or to the configured endpoint; None (no import) when neither."""
    if settings.lineage_file is None and settings.lineage_url is None:
        return None
    from gladiator.lineage.emit import Lineage

    return Lineage.for_settings(settings)


def batch_store(settings: Any, session: Any = None) -> BatchStore:
    """The job-state table's batches over the ledger, both named by ``settings``."""
    dynamodb = settings.client("dynamodb", session)
    ledger = Ledger(settings.table_name(resources.LEDGER), dynamodb)
    return BatchStore(settings.table_name(resources.JOB_STATE), ledger, dynamodb)


def batch_step_deps(settings: Any, session: Any = None) -> BatchStepDeps:
    """The batch Lambda's and the landing trigger's dependencies on AWS: the stores, the trigger
    policy from the environment, and Step Functions (the state machine named in the environment)."""
    arn = settings.state_machine_arn
    sfn = settings.client("stepfunctions", session) if arn else None

    def is_running(execution: str) -> bool:
        assert arn and sfn is not None
        execution_arn = f"{arn.replace(':stateMachine:', ':execution:')}:{execution}"
        try:
            return str(sfn.describe_execution(executionArn=execution_arn)["status"]) == "RUNNING"
        except sfn.exceptions.ExecutionDoesNotExist:
            return False

    return BatchStepDeps(
        batches=batch_store(settings, session),
        trigger=BatchTrigger.from_env(),
        starter=StepFunctionsStarter(arn, sfn) if arn else None,
        is_running=is_running if arn else None,
    )
