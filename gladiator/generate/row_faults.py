"""Row faults for one entity: which rows to add or disturb, and what cleaning must do with them.

Every injected row is either
- a *repairable variant* of a truth row (whitespace/case noise on a trim/upper column): it replaces
  that row in the landing data and cleaning restores it (expected "repaired");
- a *droppable extra* (an exact duplicate, or a stale version of a truth key: same key, older
  ``updated_at``, another comment): expected "dropped_duplicate" / "dropped_stale";
- a *rejectable extra* with a key that does not exist in the truth (see ``keys``), broken for
  exactly one reason: expected "quarantined" with that ReasonCode.
So cleaning the landing rows gives back the truth exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from gladiator.contracts import Contract, ReasonCode
from gladiator.generate.keys import FreshKeys
from gladiator.generate.render import is_numeric
from gladiator.generate.rules import ParsedRule, parse_rule, violating_value
from gladiator.generate.truth import comment_column
from gladiator.outcomes import ExpectedOutcome
from gladiator.timestamps import TEXT_FORMAT

UNPARSABLE_NUMBERS = ("N/A", "12.3.4", "1,234", "12a", "--5", "one")
UNPARSABLE_DATES = ("1996-02-30", "31/12/1996", "1996-13-01", "not a date")
UNPARSABLE_TIMESTAMPS = ("1996-02-30 10:00:00.000000", "1996-01-01 25:00:00.000000", "not a time")
DANGLING_OFFSET = 10_000_000  # referenced keys this far above the largest one do not exist

Row = dict[str, str | None]


@dataclass
class PlannedRow:
    """One landing row that is not a plain truth row."""

    kind: str
    expected: ExpectedOutcome  # REPAIRED | QUARANTINED | DROPPED_DUPLICATE | DROPPED_STALE
    reason: ReasonCode | None
    values: Row
    text_only: bool = False  # only representable in CSV/JSONL (not in typed Parquet)
    replaces: int | None = None  # noise: the truth row index this row stands for
    column: str | None = None
    detail: str = ""
    key: dict[str, str | None] = field(default_factory=dict)


@dataclass
class EntityContext:
    """What fault planning needs besides the entity itself."""

    contract: Contract
    truth: pa.Table  # typed, contract schema
    text: pa.Table  # the same rows as landing text
    tables: dict[str, pa.Table]  # every entity's typed truth (foreign keys, cross rules)
    rng: np.random.Generator
    allow_text_only: bool


def _noise_columns(contract: Contract) -> list[str]:
    return [c.name for c in contract.columns if c.normalize in ("trim", "upper") and c.type == "string"]


def _plain_columns(contract: Contract, *, numeric: bool | None = None) -> list[str]:
    """Non-key, non-foreign-key business columns (optionally only numeric / only non-numeric)."""
    fk_columns = {c for fk in contract.foreign_keys for c in fk.columns}
    chosen = []
    for column in contract.columns:
        if column.name in contract.primary_key or column.name in fk_columns:
            continue
        if column.name == contract.version_column:
            continue
        if numeric is not None and is_numeric(column.type) != numeric:
            continue
        chosen.append(column.name)
    return chosen


def _split(total: int, kinds: list[str]) -> dict[str, int]:
    base, extra = divmod(total, len(kinds))
    return {kind: base + (1 if i < extra else 0) for i, kind in enumerate(kinds)}


class RowFaultPlanner:
    """Plans the row faults of one entity at a given rate (every applicable kind at least once)."""

    def __init__(self, ctx: EntityContext) -> None:
        self.ctx = ctx
        self.contract = ctx.contract
        self.fresh = FreshKeys(ctx.contract, ctx.truth, ctx.rng)
        self.rules = [p for p in (parse_rule(r) for r in ctx.contract.rules) if p is not None]
        self._serial = 0
        self._cache: dict = {}

    # -- which kinds apply ----------------------------------------------------------------------
    def _domain_rules(self) -> list[ParsedRule]:
        on_key = [p for p in self.rules if p.column in self.contract.primary_key]
        if self.fresh.capacity:
            return self.rules
        return on_key

    def applicable_kinds(self) -> list[str]:
        kinds = []
        if _noise_columns(self.contract):
            kinds.append("noise")
        kinds += ["duplicate", "stale_version"]
        if self._domain_rules():
            kinds.append("out_of_domain")
        if self.fresh.capacity:
            if self.ctx.allow_text_only:
                kinds.append("null_required")
                if _plain_columns(self.contract, numeric=True):
                    kinds.append("unparsable_number")
                kinds.append("unparsable_date")
            if self.contract.foreign_keys:
                kinds.append("dangling_foreign_key")
            kinds += [rule.reason.value for rule in self.contract.cross_rules]
        return kinds

    # -- planning -------------------------------------------------------------------------------
    def plan(self, rate: float) -> list[PlannedRow]:
        if rate <= 0:
            return []
        n = self.ctx.truth.num_rows
        kinds = self.applicable_kinds()
        counts = _split(max(len(kinds), round(rate * n)), kinds)
        planned: list[PlannedRow] = []
        planned += self._versions_and_noise(counts)
        for kind in kinds:
            if kind in ("noise", "duplicate", "stale_version"):
                continue
            planned += self._rejectable(kind, counts[kind])
        return planned

    def _rows(self, indices: np.ndarray) -> list[Row]:
        return self.ctx.text.take(pa.array(indices, type=pa.int64())).to_pylist()

    def _key_of(self, row: Row) -> dict[str, str | None]:
        return {k: row[k] for k in self.contract.primary_key}

    def _versions_and_noise(self, counts: dict[str, int]) -> list[PlannedRow]:
        n = self.ctx.truth.num_rows
        wanted = [counts.get(k, 0) for k in ("noise", "duplicate", "stale_version")]
        cap = max(1, n // 3)
        wanted = [min(w, cap) for w in wanted]
        donors = np.sort(self.ctx.rng.choice(n, size=sum(wanted), replace=False))
        self.ctx.rng.shuffle(donors)
        noise_idx = donors[: wanted[0]]
        dup_idx = donors[wanted[0] : wanted[0] + wanted[1]]
        stale_idx = donors[wanted[0] + wanted[1] :]
        planned = [
            self._noise(row, int(i), j)
            for j, (i, row) in enumerate(zip(noise_idx, self._rows(noise_idx), strict=True))
        ]
        for row in self._rows(dup_idx):
            planned.append(
                PlannedRow(
                    "duplicate",
                    ExpectedOutcome.DROPPED_DUPLICATE,
                    ReasonCode.DUPLICATE,
                    dict(row),
                    key=self._key_of(row),
                )
            )
        for row in self._rows(stale_idx):
            planned.append(self._stale(row))
        return planned

    def _noise(self, row: Row, index: int, serial: int) -> PlannedRow:
        columns = _noise_columns(self.contract)
        column = columns[serial % len(columns)]
        value = row[column] or ""
        noisy = dict(row)
        if self.contract.column(column).normalize == "upper" and value.lower() != value:
            noisy[column] = value.lower() if serial % 2 == 0 else f" {value.lower()} "
            kind = "case_noise"
        else:
            noisy[column] = f"  {value} "
            kind = "whitespace_noise"
        return PlannedRow(
            kind, ExpectedOutcome.REPAIRED, None, noisy, replaces=index, column=column, key=self._key_of(row)
        )

    def _stale(self, row: Row) -> PlannedRow:
        stale = dict(row)
        version = self.contract.version_column
        current = datetime.strptime(str(row[version]), TEXT_FORMAT)
        minutes = int(self.ctx.rng.integers(1, 3 * 24 * 60))
        stale[version] = (current - timedelta(minutes=minutes)).strftime(TEXT_FORMAT)
        comment = comment_column(self.contract)
        changed = version
        if comment:
            limit = self.contract.column(comment).max_length or 64
            stale[comment] = ("stale " + (row[comment] or ""))[:limit]
            changed = comment
        return PlannedRow(
            "stale_version",
            ExpectedOutcome.DROPPED_STALE,
            ReasonCode.STALE_VERSION,
            stale,
            column=changed,
            detail=f"{minutes} min older",
            key=self._key_of(row),
        )

    # -- rejectable rows ------------------------------------------------------------------------
    def _fresh_rows(self, count: int) -> list[Row]:
        donors = self.fresh.allocate(count)
        rows = self._rows(donors.indices)
        for row, key in zip(rows, donors.keys, strict=True):
            row.update(key)
        return rows

    def _next_serial(self) -> int:
        self._serial += 1
        return self._serial - 1

    def _rejectable(self, kind: str, count: int) -> list[PlannedRow]:
        if kind == "out_of_domain":
            return self._out_of_domain(count)
        rows = self._fresh_rows(count)
        make = {
            "null_required": self._null_required,
            "unparsable_number": self._unparsable_number,
            "unparsable_date": self._unparsable_date,
            "dangling_foreign_key": self._dangling,
        }.get(kind, self._cross_rule)
        planned = [make(row, j) for j, row in enumerate(rows)]
        for p in planned:
            p.key = self._key_of(p.values)
        return planned

    def _out_of_domain(self, count: int) -> list[PlannedRow]:
        rules = self._domain_rules()
        if self.fresh.capacity:
            rows = self._fresh_rows(count)
        else:
            rows = self._rows(self.ctx.rng.integers(0, self.ctx.truth.num_rows, size=count))
        planned = []
        for j, row in enumerate(rows):
            parsed = rules[j % len(rules)]
            row[parsed.column] = violating_value(parsed, self.contract, row, self._next_serial())
            planned.append(
                PlannedRow(
                    "out_of_domain",
                    ExpectedOutcome.QUARANTINED,
                    parsed.rule.reason,
                    row,
                    column=parsed.column,
                    detail=parsed.rule.name,
                    key=self._key_of(row),
                )
            )
        return planned

    def _null_required(self, row: Row, j: int) -> PlannedRow:
        columns = _plain_columns(self.contract)
        column = columns[j % len(columns)]
        row[column] = None
        return PlannedRow(
            "null_required",
            ExpectedOutcome.QUARANTINED,
            ReasonCode.NULL_REQUIRED,
            row,
            text_only=True,
            column=column,
        )

    def _unparsable_number(self, row: Row, j: int) -> PlannedRow:
        columns = _plain_columns(self.contract, numeric=True)
        column = columns[j % len(columns)]
        row[column] = UNPARSABLE_NUMBERS[j % len(UNPARSABLE_NUMBERS)]
        return PlannedRow(
            "unparsable_number",
            ExpectedOutcome.QUARANTINED,
            ReasonCode.UNPARSABLE_NUMBER,
            row,
            text_only=True,
            column=column,
        )

    def _unparsable_date(self, row: Row, j: int) -> PlannedRow:
        columns = [c.name for c in self.contract.columns if c.type in ("date", "timestamp")]
        column = columns[j % len(columns)]
        pool = UNPARSABLE_TIMESTAMPS if self.contract.column(column).type == "timestamp" else UNPARSABLE_DATES
        row[column] = pool[j % len(pool)]
        return PlannedRow(
            "unparsable_date",
            ExpectedOutcome.QUARANTINED,
            ReasonCode.UNPARSABLE_DATE,
            row,
            text_only=True,
            column=column,
        )

    def _dangling(self, row: Row, j: int) -> PlannedRow:
        fk = self.contract.foreign_keys[j % len(self.contract.foreign_keys)]
        column, referenced = fk.columns[0], fk.referenced_columns[0]
        top = self._max_key(fk.references, referenced)
        row[column] = str(top + DANGLING_OFFSET + j)
        return PlannedRow(
            "dangling_foreign_key",
            ExpectedOutcome.QUARANTINED,
            ReasonCode.DANGLING_FOREIGN_KEY,
            row,
            column=column,
            detail=f"-> {fk.references}",
        )

    def _cross_rule(self, row: Row, j: int) -> PlannedRow:
        rule = next(r for r in self.contract.cross_rules if r.reason.value in self._cross_kinds())
        mine, other_column = (s.strip() for s in rule.predicate.split(">"))
        ((local_key, other_key),) = rule.join
        keys, values = self._lookup(rule.other, other_key, other_column)
        at = int(np.searchsorted(keys, int(str(row[local_key]))))
        other_value = values[at].as_py()
        assert isinstance(other_value, date)
        row[mine] = (other_value - timedelta(days=1 + j % 30)).isoformat()
        return PlannedRow(
            rule.reason.value, ExpectedOutcome.QUARANTINED, rule.reason, row, column=mine, detail=rule.name
        )

    def _max_key(self, entity: str, column: str) -> int:
        if (entity, column) not in self._cache:
            self._cache[(entity, column)] = int(pc.max(self.ctx.tables[entity][column]).as_py())
        return self._cache[(entity, column)]

    def _lookup(self, entity: str, key: str, column: str) -> tuple[np.ndarray, pa.Array]:
        """(sorted keys, values) of ``entity`` for point lookups by key."""
        if (entity, key, column) not in self._cache:
            table = self.ctx.tables[entity]
            keys = table[key].to_numpy()
            order = np.argsort(keys, kind="stable")
            self._cache[(entity, key, column)] = (
                keys[order],
                table[column].combine_chunks().take(pa.array(order)),
            )
        return self._cache[(entity, key, column)]

    def _cross_kinds(self) -> set[str]:
        return {r.reason.value for r in self.contract.cross_rules}
