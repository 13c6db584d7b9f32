"""The gold build order: each gold table, the function that builds it and its inputs.

One wiring, read by the silver_to_gold job, the tests and the benchmarks. ``GOLD_BUILDS`` is in
dependency order: an input is a silver entity (``orders``) or a gold table built earlier
(``fact_sales``), so the two name spaces never overlap. :func:`build_gold` walks it; the job passes
a ``load`` step that writes each table and returns it as written, so later tables are built from
gold as stored (aggregates from the written facts), while tests build everything in memory.
The builders are the pure functions of ``gold`` (star schema) and ``gold_aggregates``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gladiator.contracts import CONTRACTS
from gladiator.contracts.gold import GOLD_TABLE_NAMES, GoldKind, gold_kind
from gladiator.transforms import gold as star
from gladiator.transforms import gold_aggregates as aggs

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


@dataclass(frozen=True)
class GoldBuild:
    """How one gold table is built: ``build(*inputs)`` with the inputs named in order."""

    table: str
    build: Callable[..., DataFrame]
    inputs: tuple[str, ...]


GOLD_BUILDS: tuple[GoldBuild, ...] = (
    GoldBuild("dim_geography", star.build_dim_geography, ("nation", "region")),
    GoldBuild("dim_part", star.build_dim_part, ("part",)),
    GoldBuild("dim_supplier", star.build_dim_supplier, ("supplier", "dim_geography")),
    GoldBuild("dim_date", star.build_dim_date, ("orders", "lineitem")),
    GoldBuild("fact_sales", star.build_fact_sales, ("lineitem", "orders", "customer", "supplier")),
    GoldBuild("fact_orders", star.build_fact_orders, ("orders", "customer", "fact_sales")),
    GoldBuild("dim_customer", star.build_dim_customer, ("customer", "dim_geography", "fact_orders")),
    GoldBuild(
        "agg_revenue_monthly", aggs.build_revenue_monthly, ("fact_sales", "dim_customer", "dim_geography")
    ),
    GoldBuild("agg_supplier_performance", aggs.build_supplier_performance, ("fact_sales", "dim_supplier")),
    GoldBuild(
        "agg_supplier_nation_performance",
        aggs.build_supplier_nation_performance,
        ("fact_sales", "dim_geography"),
    ),
    GoldBuild("agg_shipmode_efficiency", aggs.build_shipmode_efficiency, ("fact_sales",)),
    GoldBuild("agg_return_rate", aggs.build_return_rate, ("fact_sales", "dim_part")),
    GoldBuild("agg_order_status_mix", aggs.build_order_status_mix, ("fact_orders",)),
    GoldBuild("agg_cohort_retention", aggs.build_cohort_retention, ("fact_orders",)),
)
BUILDS: dict[str, GoldBuild] = {b.table: b for b in GOLD_BUILDS}
# The silver tables gold reads, in contract (foreign-key) order.
SILVER_INPUTS: tuple[str, ...] = tuple(
    name for name in CONTRACTS if any(name in b.inputs for b in GOLD_BUILDS)
)
# Facts and dimensions: what the aggregates are built from.
STAR_TABLES: tuple[str, ...] = tuple(
    b.table for b in GOLD_BUILDS if gold_kind(b.table) is not GoldKind.AGGREGATE
)

Load = Callable[[str, "DataFrame"], "DataFrame"]


def builds_for(tables: Iterable[str] | None = None) -> list[GoldBuild]:
    """The builds of ``tables`` (default: all) and of the gold tables they read, in build order."""
    wanted = set(GOLD_TABLE_NAMES if tables is None else tables)
    unknown = wanted - set(BUILDS)
    if unknown:
        raise KeyError(f"unknown gold tables {sorted(unknown)}; known: {', '.join(BUILDS)}")
    for build in reversed(GOLD_BUILDS):  # reverse build order: a table's inputs come after it
        if build.table in wanted:
            wanted.update(i for i in build.inputs if i in BUILDS)
    return [b for b in GOLD_BUILDS if b.table in wanted]


def selected_builds(
    tables: Iterable[str] | None = None, only: Iterable[str] | None = None
) -> list[GoldBuild]:
    """The builds of ``tables`` (default: all) and what they read (:func:`builds_for`); with
    ``only``, just those of them. In build order."""
    builds = builds_for(tables)
    if only is not None:
        wanted = set(only)
        builds = [b for b in builds if b.table in wanted]
    return builds


def downstream_of(inputs: Iterable[str]) -> set[str]:
    """The gold tables built, directly or through other gold tables, from any of ``inputs``
    (silver entity or gold table names): what a change to them makes stale."""
    affected = set(inputs)
    for build in GOLD_BUILDS:  # build order: a table's inputs are settled before it
        if affected.intersection(build.inputs):
            affected.add(build.table)
    return affected & set(BUILDS)


def build_gold(
    silver: Mapping[str, DataFrame],
    tables: Iterable[str] | None = None,
    *,
    load: Load | None = None,
) -> dict[str, DataFrame]:
    """Build ``tables`` (default: all) and what they are built from, from the silver tables by
    entity name, in memory (the job builds, writes and reads back one table at a time:
    ``gladiator.jobs.silver_to_gold``). ``load(table, df)``, if given, returns what later tables
    read in place of ``df`` (e.g. a cached copy). Returns every built table by name."""
    builds = builds_for(tables)
    missing = sorted({i for b in builds for i in b.inputs if i not in BUILDS} - set(silver))
    if missing:
        raise KeyError(f"silver tables missing for gold: {missing}")
    frames: dict[str, DataFrame] = dict(silver)
    built: dict[str, DataFrame] = {}
    for build in builds:
        df = build.build(*[frames[name] for name in build.inputs])
        frames[build.table] = built[build.table] = load(build.table, df) if load else df
    return built
