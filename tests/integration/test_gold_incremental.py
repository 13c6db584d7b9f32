"""Incremental gold equals a full rebuild, row for row, after a batch that changed some entities.

Batch 1 loads SF 0.002 and builds all of gold. Batch 2 changes orders, lineitem, part, customer and
supplier (updated rows with a newer ``updated_at``, as parquet landing files). silver_to_gold then
rebuilds only the gold tables downstream of those entities; the others keep their Delta version.
The facts are rebuilt for the changed orders only (silver's change data feed). Every gold table
must equal ``build_gold`` over the current silver, computed in memory from scratch. A third run
with silver unchanged rebuilds nothing.

The Glue entry scripts run in-process (as in test_batch_lakehouse.py).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from gladiator import lake as delta
from gladiator.contracts import CONTRACTS
from gladiator.contracts.gold import GOLD_TABLE_NAMES, get_gold_contract
from gladiator.jobs.silver_to_gold import read_silver
from gladiator.transforms import gold_registry
from glue_jobs import silver_to_gold as silver_to_gold_job
from tests.batch_helpers import IsolatedLake
from tests.integration.test_batch_lakehouse import generate, load, run_jobs
from tests.spark_helpers import assert_same_rows

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

CHANGED = ("orders", "lineitem", "part", "customer", "supplier")


def changed_rows(truth: Path, entity: str, column: str, values: tuple[str, str], every: int) -> bytes:
    """Every ``every``-th truth row of ``entity`` with ``column`` flipped between two valid values
    and ``updated_at`` one day newer, as a parquet landing file."""
    table = pq.read_table(next((truth / entity).glob("*.parquet")))
    table = table.take(list(range(0, table.num_rows, every)))
    flipped = pc.if_else(pc.equal(table[column], values[0]), values[1], values[0])
    table = table.set_column(table.schema.get_field_index(column), column, flipped)
    newer = pc.add(table["updated_at"], pa.scalar(timedelta(days=1), pa.duration("us")))
    index = table.schema.get_field_index("updated_at")
    table = table.set_column(index, "updated_at", newer.cast(table["updated_at"].type))
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return sink.getvalue().to_pybytes()


def gold_versions(spark: Any, lake: IsolatedLake) -> dict[str, int | None]:
    return {t: delta.table_version(spark, lake.uri("gold", t)) for t in GOLD_TABLE_NAMES}


def test_incremental_gold_equals_a_full_rebuild(spark: Any, local_stack: Any, tmp_path: Path) -> None:
    out = tmp_path / "sf001"
    lake, first = load(local_stack, out, generate(out, 0.002))
    silver_to_gold_job.main(lake.job_args(first.batch_id, register="false"))
    before = gold_versions(spark, lake)
    assert all(v is not None for v in before.values())

    truth = out / "truth"
    changes = {
        "orders": ("o_orderpriority", ("1-URGENT", "5-LOW"), 40),
        "lineitem": ("l_shipmode", ("AIR", "RAIL"), 60),
        "part": ("p_container", ("SM CASE", "LG BOX"), 25),
        # the facts hold no customer or supplier column that changes, but their updated_at does:
        # the orders of these customers and the lines of these suppliers must be rebuilt too
        "customer": ("c_mktsegment", ("BUILDING", "MACHINERY"), 10),
        "supplier": ("s_comment", ("steady requests", "quick deposits"), 5),
    }
    for entity, (column, values, every) in changes.items():
        lake.drop(f"{entity}/{entity}-changed.parquet", changed_rows(truth, entity, column, values, every))
    second = lake.claim()
    run_jobs(lake, second)
    report = silver_to_gold_job.main(lake.job_args(second.batch_id, register="false"))

    stale = gold_registry.downstream_of(CHANGED)
    assert set(report) == stale, "exactly the gold tables downstream of the changed entities are rebuilt"
    all_orders = spark.read.format("delta").load(lake.uri("silver", "orders")).count()
    for fact in ("fact_sales", "fact_orders"):  # rebuilt for the changed orders only (change data feed)
        assert 0 < report[fact]["orders"] < all_orders, report[fact]
    after = gold_versions(spark, lake)
    for table in GOLD_TABLE_NAMES:
        moved = after[table] != before[table]
        if table not in stale:
            assert not moved, f"{table} does not depend on {CHANGED} and must not be rewritten"

    silver = read_silver(spark, lake.uri("silver", "").rstrip("/"))
    # cached: each table is compared with three actions, and the aggregates read the facts
    full = gold_registry.build_gold(silver, load=lambda _, df: df.persist())
    for table in GOLD_TABLE_NAMES:
        columns = get_gold_contract(table).column_names
        stored = spark.read.format("delta").load(lake.uri("gold", table)).select(*columns)
        assert_same_rows(stored, full[table].select(*columns))

    for df in full.values():
        df.unpersist()
    assert silver_to_gold_job.main(lake.job_args(second.batch_id, register="false")) == {}, (
        "silver did not move: nothing is rebuilt"
    )
    assert gold_versions(spark, lake) == after
    assert set(CHANGED) == set(changes) and set(CHANGED) < set(CONTRACTS)
