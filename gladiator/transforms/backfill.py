"""What a backfill covers: the month range, its partition predicate, the gold tables it feeds.

Pure (no I/O; no Spark session): the job (gladiator/jobs/backfill.py) and the CLI validate a
request here before anything runs, so a bad range fails in a second with one line, not after a
Spark start-up.

- A range is ``YYYY-MM`` to ``YYYY-MM`` (inclusive) on an entity whose silver is partitioned by
  the year of one date column (``contract.partition_by`` has ``year(c)``: orders by order year,
  lineitem by ship year). :func:`scope_predicate` turns it into one SQL predicate, on the year
  partition column (so only those years' files are read) and on the date column (the months),
  that both selects the rebuilt rows and is Delta's ``replaceWhere`` (a data-column predicate:
  Delta rewrites the touched files of those years without the range's rows, then appends the
  rebuilt rows, and refuses a row outside the predicate): the rows written and the rows replaced
  are the same set by construction.
- ``all`` (both ends) is the whole table: the only choice for an unpartitioned entity, which has
  no month to select (a month range on one is refused, naming ``--all``).
- The gold tables an entity feeds (:func:`affected_gold_tables`): every build that reads it,
  directly or through an earlier gold table (``gold_registry.GOLD_BUILDS``). Gold is rebuilt whole
  for those tables (a month of silver can move any aggregate row).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gladiator.contracts import CONTRACTS, Contract
from gladiator.errors import GladiatorError
from gladiator.transforms.gold_registry import GOLD_BUILDS, downstream_of

ALL = "all"
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_YEAR = re.compile(r"^\s*year\(\s*(\w+)\s*\)\s*$")


class BackfillError(GladiatorError):
    """A backfill request that cannot run as given (unknown entity, bad range)."""


class PipelineBusy(BackfillError):
    """The pipeline lock is held by another run (a batch or another backfill)."""

    def __init__(self, holder: str, waited_s: float) -> None:
        waited = f" after waiting {waited_s:.0f} s" if waited_s else ""
        super().__init__(
            f"pipeline busy: the lock is held by {holder}{waited}; a backfill never runs beside a batch. "
            "Retry when it has finished (`gladiator pipeline status`), or pass --wait SECONDS"
        )
        self.holder = holder


@dataclass(frozen=True)
class MonthRange:
    """Months ``first``..``last`` inclusive, each as ``yyyymm`` (e.g. 199501)."""

    first: int
    last: int

    @classmethod
    def parse(cls, first: str, last: str) -> MonthRange | None:
        """``YYYY-MM``/``YYYY-MM`` -> the range; ``all``/``all`` -> None (the whole table)."""
        if first == ALL and last == ALL:
            return None
        bounds = []
        for flag, text in (("--from", first), ("--to", last)):
            match = _MONTH.match(text or "")
            if not match:
                raise BackfillError(
                    f"{flag} {text!r} is not a month: use YYYY-MM (e.g. 1995-03), or --all for the whole table"
                )
            bounds.append(int(match.group(1)) * 100 + int(match.group(2)))
        if bounds[0] > bounds[1]:
            raise BackfillError(f"--from {first} is after --to {last}: the range is empty")
        return cls(bounds[0], bounds[1])

    @property
    def label(self) -> str:
        return f"{_text(self.first)}..{_text(self.last)}"


def _text(yyyymm: int) -> str:
    return f"{yyyymm // 100:04d}-{yyyymm % 100:02d}"


def get_entity(entity: str) -> Contract:
    """The contract of ``entity``, or a one-line error listing the entities."""
    if entity not in CONTRACTS:
        raise BackfillError(f"unknown entity {entity!r}: use one of {', '.join(CONTRACTS)}")
    return CONTRACTS[entity]


def date_partition(contract: Contract) -> tuple[str, str] | None:
    """(year partition column, date column) if silver is partitioned by the year of a date column,
    else None."""
    for derived in contract.partition_by:
        match = _YEAR.match(derived.expression)
        if match:
            return derived.name, match.group(1)
    return None


def scope_predicate(contract: Contract, months: MonthRange | None) -> str | None:
    """The SQL predicate selecting ``months`` of silver (None: the whole table): the year partition
    column bounds the files, the date column the rows. Raises BackfillError for a month range on an
    entity that has no date partition."""
    if months is None:
        return None
    columns = date_partition(contract)
    if columns is None:
        raise BackfillError(
            f"{contract.name} is not partitioned by a date (silver holds it whole): "
            f"rebuild it with `gladiator backfill --entity {contract.name} --all`"
        )
    year, date = columns
    after = months.last + 1 if months.last % 100 < 12 else (months.last // 100 + 1) * 100 + 1
    return (
        f"`{year}` BETWEEN {months.first // 100} AND {months.last // 100}"
        f" AND `{date}` >= DATE'{_text(months.first)}-01' AND `{date}` < DATE'{_text(after)}-01'"
    )


def affected_gold_tables(entity: str) -> list[str]:
    """The gold tables built from ``entity``, directly or through other gold tables, in build order."""
    affected = downstream_of([entity])
    return [build.table for build in GOLD_BUILDS if build.table in affected]
