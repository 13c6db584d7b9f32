"""What happens to a row, a file event and a pipeline run: one vocabulary, one place.

The concept "an older version of something already held" is called *stale* throughout:
``RowFate.STALE`` (bronze_to_silver drops the row), ``ObjectAction.STALE`` (the landing handler
quarantines an object version superseded by a newer one), ``ExpectedOutcome.DROPPED_STALE`` (the
generator's faults.json says the row must be dropped as stale) and the stored reason code
``ReasonCode.STALE_VERSION``. The spellings of the stored values (``"stale_version"`` in the
ledger and quarantine, ``"dropped_stale"`` in faults.json, ``"stale"`` in the reconciliation) are
part of the data contracts (docs/HELPERS.md) and stay as they are; ``DROPPED_STALE`` is derived
from ``RowFate.STALE`` so the two cannot drift apart.
"""

from __future__ import annotations

from enum import StrEnum


class RowFate(StrEnum):
    """The fate of one bronze row in bronze_to_silver (``rows_in = accepted + quarantined +
    duplicates + stale``)."""

    ACCEPTED = "accepted"
    QUARANTINED = "quarantined"
    DUPLICATE = "duplicate"  # an exact copy of a row already accepted
    STALE = "stale"  # an older version (``updated_at``) of a row already held


class ExpectedOutcome(StrEnum):
    """``expected`` of a generated fault in faults.json: what cleaning must do with it."""

    REPAIRED = "repaired"  # noise that cleaning removes (the truth row comes back)
    QUARANTINED = "quarantined"
    DROPPED_DUPLICATE = f"dropped_{RowFate.DUPLICATE}"
    DROPPED_STALE = f"dropped_{RowFate.STALE}"
    FILE_QUARANTINED = "file_quarantined"  # a file-level fault, caught by the landing Lambda


class ObjectAction(StrEnum):
    """What the landing handler did with one S3 object event."""

    VALIDATED = "validated"
    QUARANTINED = "quarantined"
    REPLAY = "replay"  # the event was seen before: no-op
    STALE = "stale"  # a newer version of the key arrived first
    DUPLICATE = "duplicate"  # same bytes (eTag) as the key's previous version


class RunState(StrEnum):
    """State of a pipeline run (``RUNNING`` -> ``SUCCEEDED`` | ``FAILED``) and of each of its jobs
    (``PENDING`` -> ``RUNNING`` -> ``SUCCEEDED`` | ``FAILED`` | ``SKIPPED``)."""

    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"  # a job not run for the batch (the reason is recorded with it)
