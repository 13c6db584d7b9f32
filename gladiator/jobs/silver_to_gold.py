"""silver_to_gold: extract silver Delta -> ``gladiator.transforms.gold_registry`` -> load gold Delta.

A table is built once the gold tables it reads are written (the registry's dependencies), side by
side with the tables that do not depend on each other; it reads them as stored, so later tables
(the aggregates) are built from gold as stored, not recomputed.

Loading is idempotent per batch (DESIGN §3.4): every gold commit carries Delta's transaction id
(``txnAppId`` = ``gold.<table>``, ``txnVersion`` = batch_seq), so a retried or re-run batch
writes nothing to a table it already wrote; a partly failed run resumes with the missing tables.
Both write modes are ``gladiator.lake``'s:
- facts (large, a few rows change per batch): ``lake.guarded_merge`` on the primary key without
  the version guard; a row is rewritten only if one of its values changed, inserted if new,
  deleted if gone from silver;
- dimensions and aggregates (small, fully derived), and a fact's first write: ``lake.overwrite``.
Gold is a deterministic function of silver, so both modes leave gold = f(silver).

Only what changed is rebuilt (``plan_rebuild``): the job-state table keeps the silver versions the
last complete gold build read (``GoldState``); a run compares them with the silver tables' current
versions, read from their Delta logs without Spark, and rebuilds the gold tables downstream of the
silver tables that moved (``gold_registry.downstream_of``), reading silver at exactly those
versions. A gold table that is not rebuilt is read as stored where a rebuilt one needs it. Nothing
moved: no Spark at all.

The facts are order-grained: a row of ``fact_sales`` or ``fact_orders`` is a function of one
order's silver rows (the order, its lines) and its customer's and suppliers' rows. After the first
build they are rebuilt for the orders whose rows changed only (``changed_order_keys``: silver's
Delta change data feed between the recorded and the current versions, customers and suppliers
mapped to their orders) and MERGEd in that scope: rows of those orders are updated, inserted or
deleted, the other orders' rows are not read from silver. Without change data for the range (a
silver table written before it was recorded) or with more than ``MAX_SCOPED_ORDERS`` changed
orders, a fact is rebuilt from all of silver and MERGEd whole, as before.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from gladiator import lake
from gladiator.contracts.gold import WriteMode, get_gold_contract, write_mode
from gladiator.contracts.model import Contract
from gladiator.ingestion import dynamo
from gladiator.jobs import parallel
from gladiator.transforms import gold_registry
from gladiator.transforms.gold_registry import BUILDS
from gladiator.transforms.silver import partition_columns, with_partitions

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from gladiator.jobs.context import BatchJobContext

log = logging.getLogger(__name__)

Register = Callable[[str, str, Any, tuple[str, ...], str], None]  # name, location, schema, partitions, doc


def catalog_register(ctx: BatchJobContext) -> Register:
    """The ``register`` of :func:`run_silver_to_gold` that declares gold tables in the job's Glue
    catalog database."""

    def register(name: str, location: str, schema: Any, partitions: tuple[str, ...], doc: str) -> None:
        ctx.register("gold", name, schema, list(partitions))

    return register


def app_id(table: str) -> str:
    return f"gold.{table}"


# The facts rebuilt per changed order, and the order-key column of each input they are built from.
ORDER_SCOPED = ("fact_sales", "fact_orders")
ORDER_KEY = {"orders": "o_orderkey", "lineitem": "l_orderkey", "fact_sales": "order_key"}
# Above this many changed orders a fact is rebuilt from all of silver: the scope is a literal list
# in the MERGE condition (100,000 keys: ~1 s to plan, measured), and the change is not small.
MAX_SCOPED_ORDERS = 100_000


def in_orders(column: str, order_keys: Sequence[int]) -> str:
    """SQL: ``column`` is one of ``order_keys`` (one literal list: parsed once, not built from
    a Column per key)."""
    return f"{column} IN ({', '.join(str(int(k)) for k in order_keys)})"


def order_scope(order_keys: Sequence[int]) -> str:
    """The MERGE scope (target rows) of the facts of ``order_keys``."""
    return in_orders("t.`order_key`", order_keys)


def changed_order_keys(
    spark: SparkSession,
    silver_root: str,
    since: Mapping[str, int],
    until: Mapping[str, int | None],
) -> list[int] | None:
    """The orders whose fact rows may differ between silver at versions ``since`` and ``until``:
    orders and lines that changed (inserted, updated or deleted, from each table's change data
    feed), and the orders of customers and suppliers that changed. None when that is not known
    (a table without change data for the range, or one new since ``since``) or when more than
    ``MAX_SCOPED_ORDERS`` changed: the facts are then rebuilt from all of silver."""
    from functools import reduce

    from pyspark.errors import AnalysisException
    from pyspark.sql import functions as F

    def changes(name: str) -> DataFrame | None:
        low, high = since.get(name), until.get(name)
        if low is None or high is None:
            raise LookupError(f"silver {name} has no recorded version to compare")
        if high == low:
            return None
        return (
            spark.read.format("delta")
            .option("readChangeFeed", "true")
            .option("startingVersion", low + 1)
            .option("endingVersion", high)
            .load(f"{silver_root}/{name}")
        )

    try:
        keys = []
        for name, column in (("orders", "o_orderkey"), ("lineitem", "l_orderkey")):
            if (changed := changes(name)) is not None:
                keys.append(changed.select(F.col(column).alias("k")))
        for name, key, table, foreign, order in (
            ("customer", "c_custkey", "orders", "o_custkey", "o_orderkey"),
            ("supplier", "s_suppkey", "lineitem", "l_suppkey", "l_orderkey"),
        ):
            if (changed := changes(name)) is not None:
                who = F.broadcast(changed.select(F.col(key).alias(foreign)).distinct())
                rows = read_silver(spark, silver_root, until, [table])[table]
                keys.append(rows.join(who, foreign, "left_semi").select(F.col(order).alias("k")))
        if not keys:
            return []
        found = reduce(lambda a, b: a.union(b), keys).distinct().limit(MAX_SCOPED_ORDERS + 1).collect()
    except (AnalysisException, LookupError) as exc:
        log.info("gold facts: rebuilt from all of silver (no change data to scope them: %s)", str(exc)[:200])
        return None
    if len(found) > MAX_SCOPED_ORDERS:
        log.info("gold facts: rebuilt from all of silver (more than %d orders changed)", MAX_SCOPED_ORDERS)
        return None
    return sorted(row.k for row in found if row.k is not None)


def write_gold_table(
    df: DataFrame,
    path: str,
    contract: Contract,
    *,
    batch_seq: int,
    batch_id: str,
    order_keys: Sequence[int] | None = None,
) -> bool:
    """Write one gold table for batch ``batch_seq``; False if this batch already wrote it.
    ``order_keys``: ``df`` holds the (order-grained) fact rows of just these orders."""
    spark = df.sparkSession
    df = with_partitions(df, contract)
    table_app, partitions = app_id(contract.name), partition_columns(contract)
    meta = {"job": "silver_to_gold", "batch_id": batch_id, "batch_seq": batch_seq}
    if write_mode(contract.name) is WriteMode.MERGE and lake.table_exists(spark, path):
        return lake.guarded_merge(
            df, path, keys=contract.primary_key, version_column=None, only_changed=True, delete_missing=True,
            scope=None if order_keys is None else order_scope(order_keys),
            app_id=table_app, version=batch_seq, partition_by=partitions, user_metadata=meta,
        )  # fmt: skip
    if order_keys is not None:
        raise ValueError(f"{contract.name}: a scoped write needs the table, {path} has none")
    return lake.overwrite(
        df, path, app_id=table_app, version=batch_seq, partition_by=partitions, user_metadata=meta
    )


class GoldState:
    """The silver versions the last complete gold build of ``gold_root`` read (job-state item
    pk ``state#gold#<gold_root>``, sk ``built_from``)."""

    def __init__(self, table_name: str, client: Any, gold_root: str) -> None:
        self.table_name, self.client = table_name, client
        self.key = {"pk": {"S": f"state#gold#{gold_root}"}, "sk": {"S": "built_from"}}

    def built_from(self) -> dict[str, int] | None:
        item = self.client.get_item(TableName=self.table_name, Key=self.key, ConsistentRead=True).get("Item")
        return {k: int(v) for k, v in dynamo.from_item(item)["versions"].items()} if item else None

    def record(self, versions: Mapping[str, int], batch_id: str) -> None:
        self.client.put_item(
            TableName=self.table_name,
            Item={**self.key, **dynamo.to_item({"versions": {**versions}, "batch_id": batch_id})},
        )


def plan_rebuild(
    versions: Mapping[str, int | None],
    built_from: Mapping[str, int] | None,
    tables: Iterable[str] | None = None,
) -> set[str]:
    """The gold tables (of ``tables``' builds, default all) to rebuild: all on the first build,
    else those downstream of a silver table whose version differs from the last build's."""
    wanted = {b.table for b in gold_registry.builds_for(tables)}
    if built_from is None:
        return wanted
    changed = {name for name, version in versions.items() if version != built_from.get(name)}
    return gold_registry.downstream_of(changed) & wanted


def read_silver(
    spark: SparkSession,
    silver_root: str,
    versions: Mapping[str, int | None] | None = None,
    names: Iterable[str] = gold_registry.SILVER_INPUTS,
) -> dict[str, DataFrame]:
    """The silver inputs of gold (``names``, default all), each at ``versions[name]`` if given
    (a consistent, recorded read)."""
    frames = {}
    for name in names:
        reader = spark.read.format("delta")
        version = (versions or {}).get(name)
        if version is not None:
            reader = reader.option("versionAsOf", version)
        frames[name] = reader.load(f"{silver_root}/{name}")
    return frames


def run_silver_to_gold(
    spark: SparkSession,
    *,
    silver_root: str,
    gold_root: str,
    batch_id: str,
    batch_seq: int,
    tables: Iterable[str] | None = None,
    register: Register | None = None,
    rebuild: Iterable[str] | None = None,
    silver_versions: Mapping[str, int | None] | None = None,
    built_from: Mapping[str, int] | None = None,
) -> dict[str, dict[str, Any]]:
    """Build and write the gold tables: all, or the star schema plus ``tables`` (and what they are
    built from); with ``rebuild``, only those (``plan_rebuild``), from silver at
    ``silver_versions``. ``built_from`` (the silver versions of the last complete build, with
    ``silver_versions``) scopes the facts to the orders changed since (``changed_order_keys``).
    Returns per table ``{"written": bool, "seconds": float}`` plus ``"orders"`` (how many orders
    a scoped fact was rebuilt for). ``register`` (optional) is called for each table to declare
    it in the catalog.

    A table is built once the gold tables it reads are written, side by side with the others
    (``gladiator.jobs.parallel``), each in its own Spark session; it reads the gold tables as
    stored (rebuilt in this run or not) and silver at ``silver_versions``.
    """
    from gladiator.spark import new_session

    wanted = None if tables is None else {*gold_registry.STAR_TABLES, *tables}
    builds = {b.table: b for b in gold_registry.selected_builds(wanted, rebuild)}
    report: dict[str, dict[str, Any]] = {}
    order_keys = None
    if built_from is not None and silver_versions is not None and set(ORDER_SCOPED) & set(builds):
        started = time.monotonic()
        order_keys = changed_order_keys(spark, silver_root, built_from, silver_versions)
        if order_keys is not None:
            log.info("gold facts: %d changed orders (%.1fs)", len(order_keys), time.monotonic() - started)

    def stored(session: SparkSession, name: str) -> DataFrame:
        return (
            session.read.format("delta")
            .load(f"{gold_root}/{name}")
            .select(*get_gold_contract(name).column_names)
        )

    def build_and_load(name: str) -> None:
        build, session = builds[name], new_session(spark)
        silver = read_silver(
            session, silver_root, silver_versions, [i for i in build.inputs if i not in BUILDS]
        )
        inputs = [silver[i] if i in silver else stored(session, i) for i in build.inputs]
        path, contract = f"{gold_root}/{name}", get_gold_contract(name)
        scope = order_keys if name in ORDER_SCOPED and lake.table_exists(session, path) else None
        started = time.monotonic()
        if scope is not None:  # only the changed orders' rows of the order-grained inputs
            inputs = [
                df.where(in_orders(f"`{ORDER_KEY[i]}`", scope)) if i in ORDER_KEY else df
                for i, df in zip(build.inputs, inputs, strict=True)
            ]
        written = (
            write_gold_table(
                build.build(*inputs), path, contract, batch_seq=batch_seq, batch_id=batch_id, order_keys=scope
            )
            if scope is None or scope
            else False  # no order changed: the fact stays as it is
        )
        report[name] = {"written": written, "seconds": round(time.monotonic() - started, 2)}
        if scope is not None:
            report[name]["orders"] = len(scope)
        outcome = "written" if written else "no changed order" if scope == [] else "already written"
        log.info("gold %s: %s in %.1fs", name, outcome, report[name]["seconds"])
        if register:
            schema = session.read.format("delta").load(path).schema
            register(name, path, schema, tuple(partition_columns(contract)), contract.description)

    dependencies = {name: [i for i in b.inputs if i in builds] for name, b in builds.items()}
    parallel.run_after_dependencies(dependencies, build_and_load)
    return {name: report[name] for name in builds}  # in build order
