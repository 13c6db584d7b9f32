"""Bronze -> silver: enforce an entity's contract on one batch of raw rows.

Pure DataFrame -> DataFrame functions (no I/O). :func:`classify` gives every bronze row exactly
one fate:

- ``quarantined`` with exactly one ``_reason`` (a ``ReasonCode``) and a ``_reason_detail`` naming
  the column/rule and the raw value. Precedence is fixed (first match wins), so the reason is
  deterministic: ``null_required`` > ``unparsable_number`` > ``unparsable_date`` >
  ``out_of_domain`` > ``dangling_foreign_key`` > cross-entity rules (``ship_before_order``);
  within a reason, contract column (or rule) order decides;
- ``duplicate``: an exact copy (all contract columns equal after cleaning) of a row kept in the
  batch, or of the version already in silver (same key, same ``updated_at``);
- ``stale``: an older version of a key than another row of the batch or than silver (the MERGE
  ordering guard would ignore it anyway; it is dropped here so it can be counted);
- ``accepted``: the newest version of its key, merged into silver.

Cleaning: string columns are normalised per ``Column.normalize`` ("trim", "upper" = trim + upper,
"none" untouched); every other column is trimmed and an empty value is NULL. Numbers must be plain
decimal text (``-12.30``; no exponent, no thousands separator) that fits the type without
rounding; dates ``YYYY-MM-DD``; timestamps ``YYYY-MM-DD HH:MM:SS[.ffffff]`` in UTC.

Shared with the stream (streaming/batch.py, streaming/plan.py) and gold, which re-code none of it:
a check is ``(condition, reason, detail)`` (:data:`Check`, :func:`rule_check` for a contract or
cross-entity rule), :func:`first_failure` picks the first failing one, :func:`with_reason` splits
it into ``_reason``/``_reason_detail``; :func:`silver_rows` is the silver row layout and
:func:`with_partitions`/:func:`partition_columns` the contract's derived partition columns.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from gladiator.contracts import Column, Contract, ReasonCode, get_contract
from gladiator.contracts.model import CrossEntityRule, DerivedColumn, Rule
from gladiator.outcomes import RowFate
from gladiator.transforms.bronze import (
    BATCH_ID,
    INGESTED_AT,
    METADATA_COLUMNS,
    REASON,
    REASON_DETAIL,
    SOURCE,
    SOURCE_FILE,
    SOURCE_LINE,
)

if TYPE_CHECKING:
    from enum import StrEnum

    from pyspark.sql import Column as SparkColumn
    from pyspark.sql import DataFrame

# One check: (condition TRUE when the row fails, reason code, detail text[, rule name]). Lists of
# checks are evaluated in order by first_failure (batch and stream share them). The rule name is
# what data-quality results count a failure under (gladiator.quality); without one, the reason code.
Check = tuple["SparkColumn", "StrEnum", "SparkColumn"] | tuple["SparkColumn", "StrEnum", "SparkColumn", str]
RULE = REASON + "_rule"  # the name of the first rule a quarantined row failed
ROW_REASON = REASON + "_row"  # struct(reason, detail) of cast_to_contract's row-level checks
REFERENCE_REASON = REASON + "_ref"  # struct(reason, detail) of check_references
FATE = "_fate"
# The row fates (gladiator.outcomes.RowFate) as plain strings, for Spark literals.
ACCEPTED, QUARANTINED, DUPLICATE, STALE = (fate.value for fate in RowFate)
FATES = (ACCEPTED, QUARANTINED, DUPLICATE, STALE)
SILVER_METADATA = (BATCH_ID, INGESTED_AT, SOURCE)
# Silver tables keep Delta's change data feed (set when a table is created): silver_to_gold reads
# which orders a batch changed from it and rebuilds the gold facts of those orders only.
TABLE_PROPERTIES = {"delta.enableChangeDataFeed": "true"}

_INTEGER = r"^[+-]?[0-9]+$"
_DECIMAL = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$"
_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_TIMESTAMP = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?$"
_RAW = "__raw_"
_TEXT = "__text_"


def raw(name: str) -> str:
    """Name of the column holding the raw bronze text of contract column ``name``."""
    return _RAW + name


def _text(name: str) -> str:
    return _TEXT + name


def _q(name: str) -> str:
    return f"`{name}`"


def normalised_text(column: Column, value: SparkColumn) -> SparkColumn:
    """The cleaned text of one raw value (see module docstring)."""
    from pyspark.sql import functions as F

    if column.type == "string":
        if column.normalize == "trim":
            return F.trim(value)
        if column.normalize == "upper":
            return F.upper(F.trim(value))
        return value
    trimmed = F.trim(value)
    return F.when(trimmed == "", F.lit(None)).otherwise(trimmed)


def _typed(column: Column) -> tuple[SparkColumn, str | None]:
    """(typed value, pattern the text must match) for one column, read from its text column."""
    from pyspark.sql import functions as F

    text = _q(_text(column.name))
    if column.type == "string":
        return F.col(_text(column.name)), None
    if column.type in ("bigint", "int"):
        return F.expr(f"try_cast({text} AS {column.type})"), _INTEGER
    if column.type == "date":
        return F.expr(f"try_cast({text} AS date)"), _DATE
    if column.type == "timestamp":
        # An explicit zone: the text is UTC whatever the session time zone is.
        return F.expr(f"try_cast(concat(replace({text}, 'T', ' '), 'Z') AS timestamp)"), _TIMESTAMP
    # decimal(p,s): must fit without rounding (12.3 and 12.30 are the same value; 12.345 is not).
    exact = f"try_cast({text} AS decimal(38,18))"
    fitted = f"try_cast({text} AS {column.type})"
    return F.expr(f"CASE WHEN {fitted} = {exact} THEN {fitted} END"), _DECIMAL


def _unparsable_reason(column: Column) -> ReasonCode:
    return (
        ReasonCode.UNPARSABLE_DATE if column.type in ("date", "timestamp") else ReasonCode.UNPARSABLE_NUMBER
    )


def cast_to_contract(bronze: DataFrame, contract: Contract) -> DataFrame:
    """Keep the raw columns (as ``__raw_<c>``), add the typed columns (named as in the contract,
    read from the normalised text) and the row-level reason ``struct(reason, detail)`` (NULL if
    valid).
    """
    from pyspark.sql import functions as F

    names = contract.column_names
    others = [c for c in bronze.columns if c not in names]
    df = bronze.select(*[F.col(c).alias(raw(c)) for c in names], *others)
    df = df.select(
        "*", *[normalised_text(c, F.col(raw(c.name))).alias(_text(c.name)) for c in contract.columns]
    )
    typed = {c.name: _typed(c) for c in contract.columns}
    df = df.select("*", *[typed[c][0].alias(c) for c in names])

    checks: list[Check] = []
    for column in contract.columns:
        if not column.nullable:
            checks.append(
                (
                    F.col(_text(column.name)).isNull(),
                    ReasonCode.NULL_REQUIRED,
                    F.lit(f"{column.name}: missing value in a required column"),
                    required_rule(column.name),
                )
            )
    for reason in (ReasonCode.UNPARSABLE_NUMBER, ReasonCode.UNPARSABLE_DATE):
        for column in contract.columns:
            pattern = typed[column.name][1]
            if pattern is None or _unparsable_reason(column) != reason:
                continue
            text = F.col(_text(column.name))
            bad = text.isNotNull() & (~text.rlike(pattern) | F.col(column.name).isNull())
            detail = F.concat(F.lit(f"{column.name}: '"), text, F.lit(f"' is not a valid {column.type}"))
            checks.append((bad, reason, detail, type_rule(column.name)))
    checks += [rule_check(rule) for rule in contract.rules]
    # The text columns only feed the checks: dropped here, they are not carried through the
    # joins, the window and the persisted result (a third of the row's width).
    return df.withColumn(ROW_REASON, first_failure(checks)).drop(*[_text(c) for c in names])


def rule_check(rule: Rule | CrossEntityRule, *, applies: SparkColumn | None = None) -> Check:
    """The check of one contract rule (a SQL predicate TRUE for a valid row; NULL passes).
    ``applies``: the rule is only checked where this is TRUE (a cross rule whose row was found)."""
    from pyspark.sql import functions as F

    failed = F.coalesce(~F.expr(rule.predicate), F.lit(False))
    if applies is not None:
        failed = applies & failed
    return failed, rule.reason, F.lit(f"rule {rule.name} failed: {rule.predicate}"), rule.name


def required_rule(column: str) -> str:
    """The rule name of a required column's not-null check."""
    return f"{column}_required"


def type_rule(column: str) -> str:
    """The rule name of a column's type (parse) check."""
    return f"{column}_type"


def reference_rule(columns: tuple[str, ...], parent: str) -> str:
    """The rule name of a foreign key check."""
    return f"{'_'.join(columns)}_references_{parent}"


def rule_texts(contract: Contract) -> dict[str, str]:
    """Every check of ``contract`` in evaluation order: rule name -> what it requires (the rows
    of the data-quality results; a quarantined row counts under the first one it fails)."""
    texts = {required_rule(c.name): f"{c.name} IS NOT NULL" for c in contract.columns if not c.nullable}
    texts |= {
        type_rule(c.name): f"{c.name} parses as {c.type}" for c in contract.columns if c.type != "string"
    }
    texts |= {rule.name: rule.predicate for rule in contract.rules}
    for fk in contract.foreign_keys:
        target = f"{fk.references}({', '.join(fk.referenced_columns)})"
        texts[reference_rule(fk.columns, fk.references)] = f"{', '.join(fk.columns)} found in {target}"
    texts |= {rule.name: rule.predicate for rule in contract.cross_rules}
    return texts


def first_failure(checks: list[Check]) -> SparkColumn:
    """struct(reason, detail, rule) of the first failing check, in list order (NULL if none fails)."""
    from pyspark.sql import functions as F

    result = None
    for check in checks:
        condition, reason, detail = check[0], check[1], check[2]
        rule = check[3] if len(check) == 4 else str(reason)
        value = F.struct(
            F.lit(str(reason)).alias("reason"), detail.alias("detail"), F.lit(rule).alias("rule")
        )
        result = F.when(condition, value) if result is None else result.when(condition, value)
    if result is None:
        return F.lit(None).cast("struct<reason:string,detail:string,rule:string>")
    return result


def with_reason(df: DataFrame, reason: SparkColumn) -> DataFrame:
    """``df`` with the struct(reason, detail, rule) ``reason`` as ``_reason``, ``_reason_detail``
    and ``_reason_rule``."""
    return (
        df.withColumn(REASON, reason.getField("reason"))
        .withColumn(REASON_DETAIL, reason.getField("detail"))
        .withColumn(RULE, reason.getField("rule"))
    )


def _predicate_columns(predicate: str, contract: Contract) -> list[str]:
    return [c for c in contract.column_names if re.search(rf"\b{re.escape(c)}\b", predicate)]


def check_references(df: DataFrame, contract: Contract, parents: Mapping[str, DataFrame | None]) -> DataFrame:
    """Add the reference-level reason: foreign keys that match no parent row (parents = silver
    after this batch's parents were merged, i.e. silver + incoming), then cross-entity rules.

    One left join per distinct (parent, join columns): a cross rule that joins like a foreign
    key (lineitem -> orders) shares its join. A missing parent table means every key dangles.
    """
    from pyspark.sql import functions as F

    joins: dict[tuple[str, tuple[tuple[str, str], ...]], set[str]] = {}
    for fk in contract.foreign_keys:
        joins.setdefault((fk.references, tuple(zip(fk.columns, fk.referenced_columns, strict=True))), set())
    for rule in contract.cross_rules:
        other = get_contract(rule.other)
        joins.setdefault((rule.other, rule.join), set()).update(_predicate_columns(rule.predicate, other))

    # A join on a part of the primary key goes last: its output is then partitioned on that
    # part, which the window of resolve_versions (over the whole key) can use without another
    # shuffle (lineitem: orders on l_orderkey after partsupp).
    primary_key = set(contract.primary_key)
    ordered = sorted(joins.items(), key=lambda item: {c for c, _ in item[0][1]} <= primary_key)
    markers: dict[tuple[str, tuple[tuple[str, str], ...]], str] = {}
    for i, ((entity, pairs), wanted) in enumerate(ordered):
        marker = f"__ref{i}"
        markers[(entity, pairs)] = marker
        parent = parents.get(entity)
        if parent is None:
            df = df.withColumn(marker, F.lit(None).cast("boolean"))
            for name in wanted:
                df = df.withColumn(name, F.lit(None))
            continue
        keys = [F.col(p).alias(f"{marker}_{p}") for _, p in pairs]
        right = parent.select(*keys, *[F.col(w) for w in sorted(wanted)], F.lit(True).alias(marker))
        condition = [df[c] == right[f"{marker}_{p}"] for c, p in pairs]
        df = df.join(right, condition, "left").drop(*[f"{marker}_{p}" for _, p in pairs])

    checks: list[Check] = []
    for fk in contract.foreign_keys:
        marker = markers[(fk.references, tuple(zip(fk.columns, fk.referenced_columns, strict=True)))]
        present = F.lit(True)
        for c in fk.columns:
            present = present & F.col(c).isNotNull()
        key_text = F.concat_ws(",", *[F.col(c).cast("string") for c in fk.columns])
        detail = F.concat(
            F.lit(f"{','.join(fk.columns)}="), key_text, F.lit(f" not found in {fk.references}")
        )
        checks.append(
            (
                present & F.col(marker).isNull(),
                ReasonCode.DANGLING_FOREIGN_KEY,
                detail,
                reference_rule(fk.columns, fk.references),
            )
        )
    for rule in contract.cross_rules:
        checks.append(rule_check(rule, applies=F.col(markers[(rule.other, rule.join)]).isNotNull()))
    extra = [m for m in markers.values()] + sorted({w for ws in joins.values() for w in ws})
    return df.withColumn(REFERENCE_REASON, first_failure(checks)).drop(*extra)


def resolve_versions(df: DataFrame, contract: Contract, current: DataFrame | None) -> DataFrame:
    """Set ``_fate``: quarantined rows keep theirs; among valid rows of one key, the newest
    ``updated_at`` is accepted, exact copies are duplicates, older versions stale; an accepted row
    whose key is in silver (``current``) with a newer/equal version becomes stale/duplicate.

    Ties on ``updated_at`` between different rows are broken by content, then source file/line,
    so the result does not depend on partitioning.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    names = contract.column_names
    keys = list(contract.primary_key)
    version = contract.version_column
    valid = F.col(REASON).isNull()
    content = F.struct(*[F.col(c) for c in names])
    window = Window.partitionBy(valid.alias("__valid"), *keys).orderBy(
        F.col(version).desc(), content, F.col(SOURCE_FILE), F.col(SOURCE_LINE)
    )
    df = df.withColumn("__content", content)
    df = df.withColumn("__rank", F.row_number().over(window)).withColumn(
        "__same_as_previous", F.col("__content") == F.lag("__content").over(window)
    )
    fate = (
        F.when(~valid, F.lit(QUARANTINED))
        .when(F.col("__same_as_previous"), F.lit(DUPLICATE))
        .when(F.col("__rank") > 1, F.lit(STALE))
        .otherwise(F.lit(ACCEPTED))
    )
    df = df.withColumn(FATE, fate)
    if current is not None:
        existing = current.select(
            *[F.col(k).alias(f"__cur_{k}") for k in keys], F.col(version).alias("__cur_v")
        )
        df = df.join(existing, [df[k] == existing[f"__cur_{k}"] for k in keys], "left")
        df = df.withColumn(
            FATE,
            F.when(F.col(FATE) != ACCEPTED, F.col(FATE))
            .when(F.col("__cur_v") > F.col(version), F.lit(STALE))
            .when(F.col("__cur_v") == F.col(version), F.lit(DUPLICATE))
            .otherwise(F.col(FATE)),
        ).drop(*[f"__cur_{k}" for k in keys], "__cur_v")
    return df.drop("__content", "__rank", "__same_as_previous")


def classify(
    bronze: DataFrame,
    contract: Contract,
    *,
    parents: Mapping[str, DataFrame | None],
    current: DataFrame | None,
) -> DataFrame:
    """Every bronze row of one batch with its typed columns, ``_fate``, ``_reason`` and
    ``_reason_detail`` (see module docstring). ``parents``: silver tables of the referenced
    entities (None if absent); ``current``: this entity's silver table (None if absent)."""
    from pyspark.sql import functions as F

    df = cast_to_contract(bronze, contract)
    df = check_references(df, contract, parents)
    reason = F.coalesce(F.col(ROW_REASON), F.col(REFERENCE_REASON))
    df = with_reason(df, reason).drop(ROW_REASON, REFERENCE_REASON)
    return resolve_versions(df, contract, current)


# --- partitions and the silver row layout ------------------------------------------------------


def partition_columns(contract: Contract) -> list[str]:
    """Names of the contract's derived partition columns (silver and gold tables)."""
    return [p.name for p in contract.partition_by]


def partition_value(derived: DerivedColumn) -> SparkColumn:
    """The value of one derived partition column, computed from the contract columns."""
    from pyspark.sql import functions as F

    return F.expr(derived.expression).cast(derived.type).alias(derived.name)


def with_partitions(df: DataFrame, contract: Contract) -> DataFrame:
    """``df`` plus the contract's derived partition columns (e.g. ``_order_year``)."""
    for derived in contract.partition_by:
        df = df.withColumn(derived.name, partition_value(derived))
    return df


def silver_rows(df: DataFrame, contract: Contract) -> DataFrame:
    """The silver layout of ``df``'s rows: typed contract columns, partition columns,
    ``_batch_id``, ``_ingested_at``, ``_source`` (batch and stream write the same rows)."""
    from pyspark.sql import functions as F

    from gladiator.contracts.types import spark_type

    return df.select(
        *[F.col(c.name).cast(spark_type(c)).alias(c.name) for c in contract.columns],
        *[partition_value(p) for p in contract.partition_by],
        *SILVER_METADATA,
    )


def accepted_rows(classified: DataFrame, contract: Contract) -> DataFrame:
    """The silver rows of a classified batch (see :func:`silver_rows`); one row per key."""
    from pyspark.sql import functions as F

    return silver_rows(classified.where(F.col(FATE) == ACCEPTED), contract)


def quarantined_rows(classified: DataFrame, contract: Contract) -> DataFrame:
    """The quarantine rows: the bronze columns as received + ``_reason`` + ``_reason_detail``."""
    from pyspark.sql import functions as F

    return classified.where(F.col(FATE) == QUARANTINED).select(
        *[F.col(raw(c)).alias(c) for c in contract.column_names],
        *METADATA_COLUMNS,
        REASON,
        REASON_DETAIL,
    )


def silver_schema(contract: Contract) -> Any:
    """Spark schema of silver/<entity> (for creating an empty table)."""
    from pyspark.sql import types as T

    from gladiator.contracts.types import spark_schema

    base = spark_schema(contract, all_nullable=True)
    parts = [
        T.StructField(p.name, T.IntegerType() if p.type == "int" else T.StringType())
        for p in contract.partition_by
    ]
    meta = [
        T.StructField(BATCH_ID, T.StringType()),
        T.StructField(INGESTED_AT, T.TimestampType()),
        T.StructField(SOURCE, T.StringType()),
    ]
    return T.StructType(list(base.fields) + parts + meta)
