"""bronze -> silver cleaning: one reason per rejected row, normalisation, duplicates, stale versions.

Spark runs locally (no services); the session is the one shared by the whole test run.
"""

from __future__ import annotations

from typing import Any

import pytest

from gladiator.contracts import get_contract
from gladiator.transforms import bronze, silver

TS = "2024-01-01 00:00:00.000000"
LATER = "2024-02-01 00:00:00.000000"


def bronze_df(spark: Any, entity: str, rows: list[dict[str, str | None]]) -> Any:
    """Bronze rows of ``entity`` (missing columns NULL), with file lineage line = position + 2."""
    import datetime as dt

    contract = get_contract(entity)
    data = [
        (
            *tuple(row.get(c) for c in contract.column_names),
            "file",
            "s3://landing/x.csv",
            i + 2,
            "b1",
            dt.datetime(2024, 3, 1),
        )
        for i, row in enumerate(rows)
    ]
    return spark.createDataFrame(data, bronze.bronze_schema(contract))


def region(
    key: str, name: str | None = "ASIA", updated_at: str | None = TS, comment: str | None = " c "
) -> dict:
    return {"r_regionkey": key, "r_name": name, "r_comment": comment, "updated_at": updated_at}


def fates(df: Any) -> dict[int, tuple[str, str | None]]:
    return {r[bronze.SOURCE_LINE]: (r[silver.FATE], r[silver.REASON]) for r in df.collect()}


def test_normalisation_and_types(spark):
    rows = [region("0", name=" africa ", comment="  free text  ", updated_at=TS)]
    classified = silver.classify(
        bronze_df(spark, "region", rows), get_contract("region"), parents={}, current=None
    )
    out = silver.accepted_rows(classified, get_contract("region")).collect()
    assert len(out) == 1
    assert out[0]["r_name"] == "AFRICA"  # upper + trim
    assert out[0]["r_comment"] == "  free text  "  # free text untouched
    assert out[0]["r_regionkey"] == 0
    assert str(out[0]["updated_at"]) == "2024-01-01 00:00:00"


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (region("1", name=None), "null_required"),
        (region(" "), "null_required"),  # blank number = NULL
        (region("1x"), "unparsable_number"),
        (region("1.5"), "unparsable_number"),  # not a bigint (no silent truncation)
        (region("1", updated_at="2024-13-01 00:00:00"), "unparsable_date"),
        (region("1", updated_at="01/01/2024 00:00:00"), "unparsable_date"),
        (region("1", name="ATLANTIS"), "out_of_domain"),
        (region("9"), "out_of_domain"),
        # precedence: null_required before unparsable before out_of_domain
        (region("x", name=None), "null_required"),
        (region("x", name="ATLANTIS"), "unparsable_number"),
    ],
)
def test_row_level_reasons(spark, row, reason):
    classified = silver.classify(
        bronze_df(spark, "region", [row]), get_contract("region"), parents={}, current=None
    )
    assert fates(classified) == {2: ("quarantined", reason)}
    quarantined = silver.quarantined_rows(classified, get_contract("region")).collect()
    assert quarantined[0]["r_regionkey"] == row["r_regionkey"]  # raw text kept
    assert quarantined[0][silver.REASON_DETAIL]


def test_decimal_must_fit_without_rounding(spark):
    supplier = get_contract("supplier")
    base = {
        "s_suppkey": "1",
        "s_name": "S",
        "s_address": "a",
        "s_nationkey": "1",
        "s_phone": "1",
        "s_comment": "c",
        "updated_at": TS,
    }
    rows = [
        base | {"s_acctbal": "12.3"},
        base | {"s_suppkey": "2", "s_acctbal": "12.345"},
        base | {"s_suppkey": "3", "s_acctbal": "1e3"},
    ]
    nations = spark.createDataFrame([(1,)], "n_nationkey bigint")
    classified = silver.classify(
        bronze_df(spark, "supplier", rows), supplier, parents={"nation": nations}, current=None
    )
    assert fates(classified) == {
        2: ("accepted", None),
        3: ("quarantined", "unparsable_number"),
        4: ("quarantined", "unparsable_number"),
    }


def test_foreign_keys_and_cross_rule(spark):
    lineitem = get_contract("lineitem")
    line = {
        "l_orderkey": "1", "l_partkey": "10", "l_suppkey": "20", "l_linenumber": "1", "l_quantity": "5",
        "l_extendedprice": "100.00", "l_discount": "0.05", "l_tax": "0.01", "l_returnflag": "N",
        "l_linestatus": "O", "l_shipdate": "1995-01-10", "l_commitdate": "1995-01-11",
        "l_receiptdate": "1995-01-12", "l_shipinstruct": "NONE", "l_shipmode": "AIR", "l_comment": "c",
        "updated_at": TS,
    }  # fmt: skip
    rows = [
        line,
        line | {"l_linenumber": "2", "l_orderkey": "2"},  # no such order
        line | {"l_linenumber": "3", "l_suppkey": "21"},  # no such partsupp
        line | {"l_linenumber": "4", "l_shipdate": "1994-12-31"},  # ships before the order date
        line | {"l_linenumber": "5", "l_orderkey": "2", "l_quantity": "99"},  # domain wins over FK
    ]
    import datetime as dt

    orders = spark.createDataFrame([(1, dt.date(1995, 1, 1))], "o_orderkey bigint, o_orderdate date")
    partsupp = spark.createDataFrame([(10, 20)], "ps_partkey bigint, ps_suppkey bigint")
    classified = silver.classify(
        bronze_df(spark, "lineitem", rows),
        lineitem,
        parents={"orders": orders, "partsupp": partsupp},
        current=None,
    )
    assert fates(classified) == {
        2: ("accepted", None),
        3: ("quarantined", "dangling_foreign_key"),
        4: ("quarantined", "dangling_foreign_key"),
        5: ("quarantined", "ship_before_order"),
        6: ("quarantined", "out_of_domain"),
    }


def test_missing_parent_table_means_dangling(spark):
    nation = {"n_nationkey": "1", "n_name": "X", "n_regionkey": "1", "n_comment": "c", "updated_at": TS}
    classified = silver.classify(
        bronze_df(spark, "nation", [nation]), get_contract("nation"), parents={"region": None}, current=None
    )
    assert fates(classified) == {2: ("quarantined", "dangling_foreign_key")}


def test_duplicates_and_stale_versions_within_the_batch(spark):
    rows = [
        region("1", comment="old", updated_at=TS),
        region("1", comment="new", updated_at=LATER),
        region("1", comment="new", updated_at=LATER),  # exact copy of the newest
        region("1", comment="old", updated_at=TS),  # exact copy of a stale version
        region("2", comment=" c ", updated_at=TS),
    ]
    contract = get_contract("region")
    classified = silver.classify(bronze_df(spark, "region", rows), contract, parents={}, current=None)
    got = sorted(fates(classified).values())
    assert got == sorted(
        [("accepted", None), ("duplicate", None), ("stale", None), ("duplicate", None), ("accepted", None)]
    )
    accepted = {
        r["r_regionkey"]: r["r_comment"] for r in silver.accepted_rows(classified, contract).collect()
    }
    assert accepted == {1: "new", 2: " c "}


def test_versions_against_silver(spark):
    import datetime as dt

    contract = get_contract("region")
    current = spark.createDataFrame(
        [(1, dt.datetime(2024, 1, 15)), (2, dt.datetime(2024, 1, 1)), (3, dt.datetime(2024, 1, 1))],
        "r_regionkey bigint, updated_at timestamp",
    )
    rows = [
        region("1", updated_at=TS),
        region("2", updated_at=TS),
        region("3", updated_at=LATER),
        region("4"),
    ]
    classified = silver.classify(bronze_df(spark, "region", rows), contract, parents={}, current=current)
    assert fates(classified) == {
        2: ("stale", None),  # silver is newer
        3: ("duplicate", None),  # silver has this version
        4: ("accepted", None),  # newer than silver
        5: ("accepted", None),  # new key
    }


def test_lineitem_rows_are_shuffled_once_per_join_and_not_again_for_the_window(spark):
    """The orders join (on l_orderkey, part of the key) runs last, so resolve_versions' window
    over (l_orderkey, l_linenumber) reuses its partitioning: the batch's wide rows are shuffled
    twice (one per join), not three times. Text columns are not carried past the checks."""
    lineitem = get_contract("lineitem")
    parents = {
        name: spark.createDataFrame([], silver.silver_schema(get_contract(name)))
        for name in ("orders", "partsupp")
    }
    classified = silver.classify(bronze_df(spark, "lineitem", []), lineitem, parents=parents, current=None)
    plan = classified._jdf.queryExecution().executedPlan().toString()
    batch_side = [line for line in plan.splitlines() if "Exchange hashpartitioning(l_" in line]
    assert len(batch_side) == 2, plan
    assert not [c for c in classified.columns if c.startswith("__text_")]


def test_local_jvm_jit_compiles_huge_methods_and_glue_sessions_skip_them(spark, monkeypatch):
    """Local sessions JIT-compile the checks' huge generated methods; on Glue (JVM flags not
    settable) Spark is told to run such plans without whole-stage codegen instead."""
    from gladiator import spark as spark_module

    arguments = list(spark._jvm.java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments())
    assert "-XX:-DontCompileHugeMethods" in arguments
    assert spark.conf.get("spark.sql.codegen.hugeMethodLimit") == "65535"  # Spark's default, locally
    monkeypatch.setattr(spark_module, "running_on_glue", lambda: True)
    try:
        glue_session = spark_module.get_spark("glue-path")  # getOrCreate: the running session
        assert glue_session.conf.get("spark.sql.codegen.hugeMethodLimit") == "8000"
        assert glue_session.conf.get("spark.databricks.delta.optimizeWrite.enabled") == "true"
    finally:
        spark.conf.unset("spark.sql.codegen.hugeMethodLimit")
