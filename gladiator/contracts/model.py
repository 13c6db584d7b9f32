"""The contract model: what an entity's data must look like.

A contract is plain data. Rules are SQL boolean expressions over the contract's columns that are
TRUE for a valid row; the same text runs in Spark SQL (batch and stream), DuckDB (the independent
checks) and as PostgreSQL/Redshift CHECK-style predicates. Type mappings to Spark, Arrow and
warehouse SQL live in ``gladiator.contracts.types``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

# How cleaning normalises a string column: "trim" strips surrounding whitespace, "upper" also
# upper-cases (code columns such as o_orderstatus). Free text (comments, addresses) is left as is:
# TPC-H text legitimately starts or ends with spaces.
Normalize = Literal["none", "trim", "upper"]


class ReasonCode(StrEnum):
    """Machine-readable reasons for quarantined rows and files (stable: stored and reported)."""

    # row level
    NULL_REQUIRED = "null_required"
    OUT_OF_DOMAIN = "out_of_domain"
    UNPARSABLE_NUMBER = "unparsable_number"
    UNPARSABLE_DATE = "unparsable_date"
    DANGLING_FOREIGN_KEY = "dangling_foreign_key"
    SHIP_BEFORE_ORDER = "ship_before_order"
    MALFORMED_RECORD = "malformed_record"
    # row level, dropped and counted rather than quarantined
    DUPLICATE = "duplicate"
    STALE_VERSION = "stale_version"
    # file level
    EMPTY_FILE = "empty_file"
    HEADER_ONLY = "header_only"
    WRONG_HEADER = "wrong_header"
    MISSING_COLUMNS = "missing_columns"
    EXTRA_COLUMNS = "extra_columns"
    WRONG_DELIMITER = "wrong_delimiter"
    TRUNCATED_GZIP = "truncated_gzip"
    NOT_UTF8 = "not_utf8"
    UNKNOWN_ENTITY = "unknown_entity"
    UNKNOWN_FORMAT = "unknown_format"
    FOLDER_MARKER = "folder_marker"
    BAD_PARQUET_SCHEMA = "bad_parquet_schema"
    MALFORMED_JSON = "malformed_json"
    FILE_TOO_LARGE = "file_too_large"


LOGICAL_TYPE = re.compile(r"^(bigint|int|string|date|timestamp|decimal\((\d+),(\d+)\))$")


@dataclass(frozen=True, kw_only=True)
class Column:
    """One column. ``type`` is a logical type: bigint, int, string, date, timestamp, decimal(p,s)."""

    name: str
    type: str
    nullable: bool = False
    max_length: int | None = None  # strings: the warehouse VARCHAR length
    normalize: Normalize = "none"
    description: str = ""

    def __post_init__(self) -> None:
        if not LOGICAL_TYPE.match(self.type):
            raise ValueError(f"column {self.name}: unknown logical type {self.type!r}")


@dataclass(frozen=True, kw_only=True)
class ForeignKey:
    columns: tuple[str, ...]
    references: str  # entity name
    referenced_columns: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class Rule:
    """A domain rule: ``predicate`` is SQL that is TRUE for a valid row (NULL counts as valid;
    nullability is checked separately)."""

    name: str
    predicate: str
    reason: ReasonCode = ReasonCode.OUT_OF_DOMAIN
    columns: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class CrossEntityRule:
    """A rule that needs a joined entity, e.g. a line's ship date after its order's date.

    ``predicate`` uses the two entities' column names (TPC-H prefixes keep them unambiguous).
    """

    name: str
    other: str
    join: tuple[tuple[str, str], ...]  # (this column, other column)
    predicate: str
    reason: ReasonCode


@dataclass(frozen=True, kw_only=True)
class DerivedColumn:
    """A column computed from the contract columns (partitioning); SQL expression."""

    name: str
    expression: str
    type: str = "int"


@dataclass(frozen=True, kw_only=True)
class Contract:
    """One entity's contract: columns, keys, rules, physical layout."""

    name: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...] = ()
    rules: tuple[Rule, ...] = ()
    cross_rules: tuple[CrossEntityRule, ...] = ()
    partition_by: tuple[DerivedColumn, ...] = ()
    cluster_by: tuple[str, ...] = ()
    version_column: str = "updated_at"  # the ordering guard: newer wins in MERGE
    mutable: bool = False  # updated in the OLTP source after insert
    dist_key: str | None = None  # Redshift DISTKEY (None: DISTSTYLE ALL for small dims)
    sort_keys: tuple[str, ...] = ()
    version: int = 1
    # Operating checks across runs (gladiator.quality): a batch whose accepted rows fall outside
    # mean(last 10 batches) x (1 +- row_count_band) warns; so does a newest ``version_column``
    # older than ``freshness_sla_hours`` (None: the entity has no freshness SLA, e.g. static
    # reference data such as region).
    row_count_band: float = 0.5
    freshness_sla_hours: float | None = None
    _by_name: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_name = {c.name: c for c in self.columns}
        if len(by_name) != len(self.columns):
            raise ValueError(f"{self.name}: duplicate column names")
        named = [*self.primary_key, *self.cluster_by, *self.sort_keys, self.version_column]
        named += [c for fk in self.foreign_keys for c in fk.columns]
        if self.dist_key:
            named.append(self.dist_key)
        unknown = sorted(set(named) - set(by_name))
        if unknown:
            raise ValueError(f"{self.name}: unknown columns {unknown}")
        object.__setattr__(self, "_by_name", by_name)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return self._by_name[name]

    @property
    def referenced_entities(self) -> tuple[str, ...]:
        """The entities this one's checks read: foreign keys' targets, then cross rules' others."""
        names = [fk.references for fk in self.foreign_keys] + [r.other for r in self.cross_rules]
        return tuple(dict.fromkeys(n for n in names if n != self.name))

    @property
    def prefix(self) -> str:
        """The TPC-H column prefix (``l_`` for lineitem); also the landing key prefix is the name."""
        return self.columns[0].name.split("_", 1)[0] + "_"
