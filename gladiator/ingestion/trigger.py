"""When to start a pipeline run, and how: the batch-trigger policy shared by AWS and local.

A run starts once the VALIDATED files waiting reach ``max_files``, or ``max_bytes``, or the oldest
has waited ``max_wait_s`` (defaults: 50 files, 1 GiB, 5 minutes). The landing Lambda evaluates it
after each invocation that validated a file, the end of every run evaluates it again (files that
arrived during a run), and the schedule (every ``max_wait_s``) is the catch-up when nothing
arrives. At most one run processes a batch at a time: the pipeline lock
(``BatchStore.acquire_lock``), taken by the claim, is checked here first so a busy pipeline is not
asked again, and the execution name is derived from the oldest waiting file and the minute, so
concurrent triggers start one execution.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from gladiator import constants
from gladiator.config import environment
from gladiator.ingestion.batches import BatchStore
from gladiator.ingestion.model import LedgerEntry, iso, utc_now
from gladiator.timestamps import parse_iso

GIB = 1024**3
# Environment variable names (set by CDK on the landing Lambda; read only in ``from_env``).
ENV_MAX_FILES = constants.BATCH_MAX_FILES
ENV_MAX_BYTES = constants.BATCH_MAX_BYTES
ENV_MAX_WAIT_S = constants.BATCH_MAX_WAIT_S
ENV_STATE_MACHINE_ARN = constants.STATE_MACHINE_ARN


@dataclass(frozen=True, kw_only=True)
class BatchTrigger:
    """The thresholds; a run starts when any one is reached. ``claim_max_files`` bounds one batch
    (a burst is taken in few, large batches, not in ``max_files`` slices)."""

    max_files: int = 50
    max_bytes: int = GIB
    max_wait_s: float = 300.0
    claim_max_files: int = 1000

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> BatchTrigger:
        env = environment() if env is None else env
        default = cls()
        return cls(
            max_files=int(env.get(ENV_MAX_FILES) or default.max_files),
            max_bytes=int(env.get(ENV_MAX_BYTES) or default.max_bytes),
            max_wait_s=float(env.get(ENV_MAX_WAIT_S) or default.max_wait_s),
        )

    def as_env(self) -> dict[str, str]:
        return {
            ENV_MAX_FILES: str(self.max_files),
            ENV_MAX_BYTES: str(self.max_bytes),
            ENV_MAX_WAIT_S: str(int(self.max_wait_s)),
        }

    def reason(self, waiting: list[LedgerEntry], now: datetime | None = None) -> str | None:
        """Why a run is due for these waiting files (oldest first), or None."""
        if not waiting:
            return None
        if len(waiting) >= self.max_files:
            return f"{len(waiting)} files waiting (>= {self.max_files})"
        size = sum(e.size for e in waiting)
        if size >= self.max_bytes:
            return f"{size} bytes waiting (>= {self.max_bytes})"
        now = now or utc_now()
        oldest = min(e.state_changed_at or iso(now) for e in waiting)
        waited = (now - parse_iso(oldest)).total_seconds()
        if waited >= self.max_wait_s:
            return f"oldest file waited {waited:.0f} s (>= {self.max_wait_s:.0f})"
        return None


class PipelineStarter(Protocol):
    def __call__(self, name: str, payload: dict[str, Any]) -> str:
        """Start the execution ``name`` (at most once per name); return its id / ARN."""
        ...


class StepFunctionsStarter:
    """AWS adapter: ``StartExecution`` named ``name``. Starting a name again is a no-op that
    returns the existing execution's ARN (``ExecutionAlreadyExists``)."""

    def __init__(self, state_machine_arn: str, client: Any) -> None:
        self.state_machine_arn = state_machine_arn
        self.client = client

    def __call__(self, name: str, payload: dict[str, Any]) -> str:
        try:
            response = self.client.start_execution(
                stateMachineArn=self.state_machine_arn, name=name, input=json.dumps(payload)
            )
            return str(response["executionArn"])
        except self.client.exceptions.ExecutionAlreadyExists:
            return f"{self.state_machine_arn.replace(':stateMachine:', ':execution:')}:{name}"


def trigger_batch_id(oldest: LedgerEntry, now: datetime) -> str:
    """Deterministic per (oldest waiting file, minute): concurrent triggers agree on it."""
    digest = hashlib.sha256(oldest.file_id.encode()).hexdigest()[:12]
    return f"auto-{now:%Y%m%dT%H%M}-{digest}"


def maybe_start(
    batches: BatchStore,
    trigger: BatchTrigger,
    starter: PipelineStarter | Callable[[str, dict[str, Any]], str],
    *,
    now: datetime | None = None,
) -> str | None:
    """Start a run if the policy says so and no run holds the pipeline lock; its batch id."""
    if batches.lock_holder() is not None:
        return None  # the running batch's end evaluates the trigger again
    waiting = batches.waiting(trigger.max_files)
    now = now or utc_now()
    if trigger.reason(waiting, now) is None:
        return None
    batch_id = trigger_batch_id(waiting[0], now)
    starter(batch_id, {"batch_id": batch_id})
    return batch_id
