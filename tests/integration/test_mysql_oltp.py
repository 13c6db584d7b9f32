"""The OLTP MySQL source on the local MariaDB: seeded schema, keys, counts, and churn that changes
exactly what it reports. Each test module uses its own database (retail_test_<uuid>)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pymysql
import pytest

from gladiator.config import Settings
from gladiator.contracts import CONTRACTS, ENTITY_NAMES
from gladiator.generate import generate_truth
from gladiator.oltp import churn, connect, seed, table_counts
from tests.oltp_helpers import scratch_database


@pytest.fixture(scope="module")
def database(local_stack: Settings) -> Iterator[str]:
    """A fresh database the project user may use, dropped afterwards."""
    with scratch_database(local_stack.mysql_url, "retail_test") as name:
        yield name


@pytest.fixture(scope="module")
def truth_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("oltp")
    generate_truth(out, scale=0.01, seed=3)
    return out / "truth"


@pytest.fixture(scope="module")
def seeded(local_stack: Settings, database: str, truth_dir: Path) -> str:
    seed(local_stack.mysql_url, truth_dir, database=database)
    return database


def truth_rows(truth_dir: Path) -> dict[str, int]:
    return {name: pq.read_metadata(truth_dir / name / "part-00000.parquet").num_rows for name in ENTITY_NAMES}


def query(settings: Settings, database: str, sql: str, args: tuple = ()) -> list[tuple]:
    conn = connect(settings.mysql_url, database)
    try:
        with conn.cursor() as cur:
            cur.execute(sql, args)
            return list(cur.fetchall())
    finally:
        conn.close()


def test_seed_loads_exactly_the_truth(local_stack: Settings, seeded: str, truth_dir: Path) -> None:
    conn = connect(local_stack.mysql_url, seeded)
    assert table_counts(conn) == truth_rows(truth_dir)
    conn.close()
    orders = pq.read_table(truth_dir / "orders" / "part-00000.parquet")
    ((total, latest, quoted),) = query(
        local_stack,
        seeded,
        "SELECT SUM(o_totalprice), MAX(updated_at), SUM(o_comment LIKE '%%\"%%') FROM orders",
    )
    assert total == sum(orders["o_totalprice"].to_pylist())
    assert latest == max(orders["updated_at"].to_pylist()).replace(tzinfo=None)
    assert quoted == sum('"' in c for c in orders["o_comment"].to_pylist())


def test_seed_is_idempotent(local_stack: Settings, seeded: str, truth_dir: Path) -> None:
    report = seed(local_stack.mysql_url, truth_dir, database=seeded)
    assert report.rows == truth_rows(truth_dir)


def test_primary_foreign_keys_and_updated_at_index_exist(local_stack: Settings, seeded: str) -> None:
    primary = query(
        local_stack, seeded,
        "SELECT TABLE_NAME, GROUP_CONCAT(COLUMN_NAME ORDER BY ORDINAL_POSITION) FROM information_schema.KEY_COLUMN_USAGE "
        "WHERE TABLE_SCHEMA = %s AND CONSTRAINT_NAME = 'PRIMARY' GROUP BY TABLE_NAME", (seeded,),
    )  # fmt: skip
    assert dict(primary) == {name: ",".join(c.primary_key) for name, c in CONTRACTS.items()}
    foreign = query(
        local_stack, seeded,
        "SELECT TABLE_NAME, REFERENCED_TABLE_NAME, GROUP_CONCAT(COLUMN_NAME ORDER BY ORDINAL_POSITION), "
        "GROUP_CONCAT(REFERENCED_COLUMN_NAME ORDER BY ORDINAL_POSITION) FROM information_schema.KEY_COLUMN_USAGE "
        "WHERE TABLE_SCHEMA = %s AND REFERENCED_TABLE_NAME IS NOT NULL GROUP BY TABLE_NAME, CONSTRAINT_NAME", (seeded,),
    )  # fmt: skip
    expected = {
        (name, fk.references, ",".join(fk.columns), ",".join(fk.referenced_columns))
        for name, c in CONTRACTS.items()
        for fk in c.foreign_keys
    }
    assert set(foreign) == expected
    indexed = query(
        local_stack, seeded,
        "SELECT TABLE_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = %s AND COLUMN_NAME = 'updated_at' "
        "AND SEQ_IN_INDEX = 1", (seeded,),
    )  # fmt: skip
    assert {t for (t,) in indexed} == set(ENTITY_NAMES)
    on_update = query(
        local_stack, seeded,
        "SELECT TABLE_NAME, COLUMN_TYPE, LOWER(EXTRA) LIKE '%%on update%%' FROM information_schema.COLUMNS "
        "WHERE TABLE_SCHEMA = %s AND COLUMN_NAME = 'updated_at'", (seeded,),
    )  # fmt: skip
    assert {(t, ty, bool(on)) for t, ty, on in on_update} == {
        (name, "datetime(6)", c.mutable) for name, c in CONTRACTS.items()
    }
    with pytest.raises(pymysql.err.IntegrityError):  # the FK is enforced
        conn = connect(local_stack.mysql_url, seeded)
        try:
            with conn.cursor() as cur:
                cur.execute("UPDATE orders SET o_custkey = 999999999 WHERE o_orderkey = 1")
        finally:
            conn.rollback()
            conn.close()


def snapshot(settings: Settings, database: str) -> dict[str, dict[tuple, tuple]]:
    """Every order and line: key -> (status, updated_at) (small at SF 0.01)."""
    orders = query(settings, database, "SELECT o_orderkey, o_orderstatus, updated_at FROM orders")
    lines = query(
        settings, database, "SELECT l_orderkey, l_linenumber, l_linestatus, updated_at FROM lineitem"
    )
    return {
        "orders": {(k,): (s, u) for k, s, u in orders},
        "lineitem": {(k, n): (s, u) for k, n, s, u in lines},
    }


def test_churn_changes_exactly_what_it_reports(local_stack: Settings, seeded: str) -> None:
    before = snapshot(local_stack, seeded)
    report = churn(local_stack.mysql_url, orders=4, updates=6, seed=11, database=seeded)
    after = snapshot(local_stack, seeded)
    assert report.new_orders == 4 and report.status_changes == 6
    for table in ("orders", "lineitem"):
        inserted = set(after[table]) - set(before[table])
        changed = {k for k in before[table] if after[table][k] != before[table][k]}
        assert set(before[table]) <= set(after[table]), f"{table}: rows disappeared"
        assert inserted == report.keys(table, "insert"), table
        assert changed == report.keys(table, "update"), table
        # incremental extraction by watermark finds exactly the reported rows
        recent = {k for k, (_s, u) in after[table].items() if u >= report.since}
        assert recent == report.keys(table), table
    for change in report.changes:
        status_column = "o_orderstatus" if change.table == "orders" else "l_linestatus"
        status, updated_at = after[change.table][change.key]
        assert updated_at == change.updated_at
        assert status == change.columns[status_column]
    new_keys = sorted(k for (k,) in report.keys("orders", "insert"))
    assert new_keys[0] == max(k for (k,) in before["orders"]) + 1
    # new rows satisfy the contracts (ship after order, receipt after ship) and FKs
    bad = query(
        local_stack, seeded,
        "SELECT COUNT(*) FROM lineitem l JOIN orders o ON o.o_orderkey = l.l_orderkey "
        "WHERE l.l_orderkey >= %s AND NOT (l.l_shipdate > o.o_orderdate AND l.l_receiptdate > l.l_shipdate "
        "AND l.l_quantity BETWEEN 1 AND 50 AND o.o_totalprice > 0)", (new_keys[0],),
    )  # fmt: skip
    assert bad == [(0,)]
