"""What a replay re-checks: the filters of ``gladiator replay --quarantined`` as one value.

A request travels as Glue job arguments (``--entities``, ``--reasons``, ``--batches``: comma
separated, empty = no filter) and is stored with the replay run, so a resumed run re-checks
exactly what the interrupted one did.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gladiator.contracts import CONTRACTS, ReasonCode
from gladiator.errors import ConfigurationError

if TYPE_CHECKING:
    from pyspark.sql import Column

# Row reasons a replay cannot re-check with the silver contract: a malformed record never split
# into the contract's columns (its raw text is only in ``_reason_detail``), so it stays as it is.
NOT_REPLAYABLE_ROW_REASONS = frozenset({ReasonCode.MALFORMED_RECORD.value})
# File reasons about arrival order, not content: re-validating such a file would pass it, yet it
# is superseded (stale_version) or a copy of its key's previous version (duplicate).
NOT_REPLAYABLE_FILE_REASONS = frozenset({ReasonCode.STALE_VERSION.value, ReasonCode.DUPLICATE.value})
FILTERS = ("entities", "reasons", "batches")


def _split(text: str) -> tuple[str, ...]:
    return tuple(sorted({part.strip() for part in text.split(",") if part.strip()}))


@dataclass(frozen=True, kw_only=True)
class ReplayRequest:
    """Which quarantined rows and files to re-check (an empty tuple: no filter on that field).

    ``batches`` names the batches whose quarantined rows are replayed; quarantined files belong
    to no batch (the Lambda rejected them before any claim), so a batch filter replays no file.
    """

    entities: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    batches: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = sorted(set(self.entities) - set(CONTRACTS))
        if unknown:
            raise ConfigurationError(
                f"unknown entity {', '.join(unknown)}: use one of {', '.join(CONTRACTS)}"
            )
        codes = {code.value for code in ReasonCode}
        bad = sorted(set(self.reasons) - codes)
        if bad:
            raise ConfigurationError(
                f"unknown reason {', '.join(bad)}: use a reason code, e.g. {', '.join(sorted(codes)[:6])}, ..."
            )

    @classmethod
    def of(
        cls, *, entities: Sequence[str] = (), reasons: Sequence[str] = (), batches: Sequence[str] = ()
    ) -> ReplayRequest:
        return cls(
            entities=tuple(sorted(set(entities))),
            reasons=tuple(sorted(set(reasons))),
            batches=tuple(sorted(set(batches))),
        )

    @classmethod
    def from_args(cls, args: Mapping[str, Any]) -> ReplayRequest:
        """From job arguments (or a stored record): comma-separated text or lists."""
        values = {}
        for name in FILTERS:
            raw = args.get(name) or ""
            values[name] = _split(raw) if isinstance(raw, str) else tuple(sorted(set(raw)))
        return cls(**values)

    def as_args(self) -> dict[str, str]:
        """Glue job arguments (``--entities`` ...); filters that are not set are left out."""
        return {f"--{name}": ",".join(getattr(self, name)) for name in FILTERS if getattr(self, name)}

    def as_record(self) -> dict[str, list[str]]:
        return {name: list(getattr(self, name)) for name in FILTERS}

    def wants_entity(self, entity: str | None) -> bool:
        return not self.entities or entity in self.entities

    def wants_file(self, entity: str | None, reason: str | None) -> bool:
        """A quarantined file passes the filters (a batch filter selects no file)."""
        if self.batches:
            return False
        return self.wants_entity(entity) and (not self.reasons or reason in self.reasons)

    def row_selection(self) -> Column:
        """Spark predicate over a quarantine table: the rows this request re-checks (never NULL)."""
        from pyspark.sql import functions as F

        from gladiator.transforms.bronze import BATCH_ID, REASON

        selected = ~F.col(REASON).isin(*sorted(NOT_REPLAYABLE_ROW_REASONS))
        if self.reasons:
            selected = selected & F.col(REASON).isin(*self.reasons)
        if self.batches:
            selected = selected & F.col(BATCH_ID).isin(*self.batches)
        return F.coalesce(selected, F.lit(False))

    def describe(self) -> str:
        parts = [f"{name}={','.join(getattr(self, name))}" for name in FILTERS if getattr(self, name)]
        return " ".join(parts) or "everything quarantined"
