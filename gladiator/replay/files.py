"""Replay of quarantined files: each one validated again with the landing Lambda's own check.

A file the landing Lambda quarantined (``LedgerState.QUARANTINED``) is read again from its
object version in the landing bucket and judged by ``gladiator.ingestion.validation
.validate_object``, the function the Lambda runs, with the limits of the current settings:

- valid now: QUARANTINED -> VALIDATED (``Ledger.replay_file``: marked ``replayed_by`` with the
  old reason in its history). The next batch claims it like any new file, so its rows reach
  silver through the normal path, exactly once (the claim is a conditional write);
- still invalid: stays QUARANTINED with its current reason (``Ledger.requarantine`` rewrites the
  reason only if it changed);
- superseded or duplicate versions (reasons about arrival order, not content) and files whose
  object version is gone are left as they are, and counted.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from gladiator.ingestion.ledger import Ledger
from gladiator.ingestion.model import LedgerEntry, LedgerState
from gladiator.ingestion.objects import S3ObjectReader
from gladiator.ingestion.validation import ValidationLimits, validate_object
from gladiator.replay.request import NOT_REPLAYABLE_FILE_REASONS, ReplayRequest

log = logging.getLogger(__name__)


@dataclass
class FileReplay:
    """What a replay did with the quarantined files it looked at."""

    released: list[str] = field(default_factory=list)  # file ids now VALIDATED
    still_quarantined: Counter[str] = field(default_factory=Counter)  # current reason -> files
    reason_changed: list[str] = field(default_factory=list)  # file ids whose reason was rewritten
    skipped: Counter[str] = field(default_factory=Counter)  # not re-validated: why -> files

    def merge(self, earlier: dict[str, Any] | None) -> FileReplay:
        """This result plus what an earlier attempt of the same replay run released or
        relabelled (a resumed run finds those files no longer QUARANTINED, or unchanged)."""
        if earlier:
            self.released = sorted(set(self.released) | set(earlier.get("released", [])))
            self.reason_changed = sorted(set(self.reason_changed) | set(earlier.get("reason_changed", [])))
        return self

    def as_dict(self) -> dict[str, Any]:
        return {
            "released": sorted(self.released),
            "still_quarantined": dict(sorted(self.still_quarantined.items())),
            "reason_changed": sorted(self.reason_changed),
            "skipped": dict(sorted(self.skipped.items())),
        }


def _object_missing(s3: Any, entry: LedgerEntry) -> bool:
    args: dict[str, Any] = {"Bucket": entry.bucket, "Key": entry.key}
    if entry.version_id and entry.version_id != "null":
        args["VersionId"] = entry.version_id
    try:
        s3.head_object(**args)
        return False
    except s3.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NoSuchVersion", "400"):
            return True
        raise


def replay_files(
    ledger: Ledger, s3: Any, request: ReplayRequest, *, replay_id: str, limits: ValidationLimits
) -> FileReplay:
    """Validate again every QUARANTINED file ``request`` selects (see module docstring)."""
    result = FileReplay()
    if request.batches:
        return result  # quarantined files belong to no batch
    for entry in list(ledger.entries(LedgerState.QUARANTINED)):
        if not request.wants_file(entry.entity, entry.reason):
            continue
        if entry.reason in NOT_REPLAYABLE_FILE_REASONS:
            result.skipped[f"not replayable ({entry.reason})"] += 1
            continue
        if _object_missing(s3, entry):
            result.skipped["object version gone"] += 1
            continue
        reader = S3ObjectReader(s3, entry.bucket, entry.key, version_id=entry.version_id, size=entry.size)
        verdict = validate_object(reader, entry.key, limits)
        if verdict.ok:
            ledger.replay_file(entry.file_id, replay_id=replay_id)
            result.released.append(entry.file_id)
            log.info("%s: valid now (was %s): VALIDATED for the next batch", entry.file_id, entry.reason)
            continue
        assert verdict.reason is not None
        result.still_quarantined[verdict.reason.value] += 1
        if ledger.requarantine(
            entry.file_id, reason=verdict.reason.value, reason_detail=verdict.detail, replay_id=replay_id
        ):
            result.reason_changed.append(entry.file_id)
    return result
