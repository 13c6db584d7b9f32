"""The 22 TPC-H queries give the same answers on silver (Spark SQL over the Delta tables) as on
truth (DuckDB over the truth Parquet), at SF 0.01.

The query texts come from DuckDB's tpch extension (``tpch_queries()``), so both engines run the
same SQL. DuckDB's texts already fold the spec's date arithmetic into literals
(``CAST('1998-09-02' AS date)`` instead of ``date '1998-12-01' - interval '90' day``), which Spark
accepts as is; the only adaptation is listed in ``SPARK_ADAPTATIONS``. Expected answers are
computed by DuckDB on the same data, never taken from its answer table (its dbgen text columns
differ from classic dbgen's, MACHINE-NOTES).
"""

from __future__ import annotations

import math
import os
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pytest

from gladiator.contracts import CONTRACTS
from tests.tpch_truth import make_truth, write_silver

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = pytest.mark.slow

# (what, why) of every change made to DuckDB's query text before Spark runs it.
SPARK_ADAPTATIONS = (("strip the trailing ';'", "spark.sql() takes one statement without a terminator"),)
REL_TOL = 1e-9


def duckdb_tpch() -> duckdb.DuckDBPyConnection:
    """DuckDB with the tpch extension loaded from the installed duckdb-extension-tpch wheel."""
    import duckdb_extension_tpch

    root = Path(duckdb_extension_tpch.__file__).parent / "extensions" / f"v{duckdb.__version__}"
    con = duckdb.connect()
    con.execute(f"LOAD '{root / 'tpch.duckdb_extension'}'")
    return con


def adapt_for_spark(text: str) -> str:
    return text.strip().removesuffix(";")


def _same(a: Any, e: Any) -> bool:
    """Equal; numbers within rounding: Spark keeps an average of decimals as a decimal rounded to
    its result scale (e.g. 6 digits), DuckDB returns a double, so allow one unit in Spark's last
    place; doubles on both sides compare with a relative tolerance."""
    if isinstance(a, Decimal) and isinstance(e, float):
        return abs(a - Decimal(repr(e))) <= Decimal(1).scaleb(a.as_tuple().exponent)  # type: ignore[arg-type]
    if isinstance(a, (Decimal, float)) and isinstance(e, (Decimal, float, int)):
        return math.isclose(float(a), float(e), rel_tol=REL_TOL, abs_tol=1e-9)
    if isinstance(a, date) and isinstance(e, date):
        return a == e
    return a == e


def _rows_equal(actual: list[tuple], expected: list[tuple]) -> bool:
    return len(actual) == len(expected) and all(
        len(a) == len(e) and all(_same(x, y) for x, y in zip(a, e, strict=True))
        for a, e in zip(actual, expected, strict=True)
    )


@pytest.fixture(scope="module")
def tpch(
    spark: SparkSession, tmp_path_factory: pytest.TempPathFactory
) -> tuple[duckdb.DuckDBPyConnection, list]:
    truth = make_truth(tmp_path_factory.mktemp("tpch"), 0.01)
    silver_root = str(tmp_path_factory.mktemp("silver"))
    write_silver(spark, truth, silver_root)
    for entity in CONTRACTS:
        # read from Delta once and cached: 22 queries re-planning ~170 small partition folders
        # each would dominate the run on 2 cores
        table = spark.read.format("delta").load(f"{silver_root}/{entity}").cache()
        table.count()
        table.createOrReplaceTempView(entity)
    con = duckdb_tpch()
    for entity in CONTRACTS:
        con.execute(
            f"CREATE VIEW {entity} AS SELECT * FROM read_parquet('{os.fspath(truth / entity)}/*.parquet')"
        )
    queries = con.execute("SELECT query_nr, query FROM tpch_queries() ORDER BY query_nr").fetchall()
    return con, queries


def test_all_22_queries_available(tpch: tuple) -> None:
    assert [n for n, _ in tpch[1]] == list(range(1, 23))


@pytest.mark.parametrize("number", range(1, 23))
def test_tpch_query_same_answer_on_silver_and_truth(spark: SparkSession, tpch: tuple, number: int) -> None:
    con, queries = tpch
    text = dict(queries)[number]
    expected = [tuple(r) for r in con.execute(text).fetchall()]
    actual = [tuple(r) for r in spark.sql(adapt_for_spark(text)).collect()]
    assert expected, f"Q{number} is empty on truth: the comparison would prove nothing"
    assert _rows_equal(actual, expected), (
        f"Q{number}: spark {len(actual)} rows, duckdb {len(expected)}\n"
        f"spark:  {actual[:5]}\nduckdb: {expected[:5]}"
    )
