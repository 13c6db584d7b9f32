"""`churn`: OLTP traffic on the seeded database, reported change by change.

- new orders: keys above the current maximum, an existing customer, 1-7 lines on existing
  part/supplier pairs, prices from the part's retail price, dates from the churn clock; every row
  satisfies the contracts;
- status changes: an open order ('O' or 'P') is fulfilled: o_orderstatus -> 'F' and its open lines
  l_linestatus 'O' -> 'F'.
Each order (with its lines) and each status change is one transaction, and every written row gets
``updated_at`` from the churn clock: strictly increasing, later than anything already in the
database, so ``updated_at >= report.since`` selects exactly the churned rows (incremental
extraction can be tested against ``report``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pymysql

from gladiator.contracts.entities import ORDER_PRIORITIES, SHIP_INSTRUCTIONS, SHIP_MODES
from gladiator.oltp.connection import OltpError, connect

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Change:
    """One row written by churn: ``op`` insert|update, ``key`` the primary key values in order."""

    table: str
    op: str
    key: tuple[int, ...]
    updated_at: datetime
    columns: dict[str, object] = field(default_factory=dict)  # inserts: the row; updates: new values
    previous: dict[str, object] = field(default_factory=dict)  # updates: old values


@dataclass
class ChurnReport:
    since: datetime  # every change has updated_at >= since (UTC, naive as stored)
    until: datetime
    changes: list[Change] = field(default_factory=list)

    def keys(self, table: str, op: str | None = None) -> set[tuple[int, ...]]:
        return {c.key for c in self.changes if c.table == table and (op is None or c.op == op)}

    @property
    def new_orders(self) -> int:
        return len(self.keys("orders", "insert"))

    @property
    def status_changes(self) -> int:
        return len(self.keys("orders", "update"))


class _Clock:
    """Strictly increasing microsecond timestamps starting after ``start``."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def tick(self) -> datetime:
        self.now += timedelta(microseconds=1)
        return self.now


def _scalar(cur: pymysql.cursors.Cursor, sql: str, args: tuple = ()) -> Any:
    cur.execute(sql, args)
    row = cur.fetchone()
    return row[0] if row else None


def _start_time(cur: pymysql.cursors.Cursor) -> datetime:
    latest = datetime(1970, 1, 1)
    for table in ("orders", "lineitem", "customer"):
        value = _scalar(cur, f"SELECT MAX(updated_at) FROM `{table}`")
        if isinstance(value, datetime):
            latest = max(latest, value)
    wall = datetime.now(UTC).replace(tzinfo=None)
    return max(wall, latest + timedelta(seconds=1))


def _insert_order(
    cur: pymysql.cursors.Cursor, rng: random.Random, order_key: int, clock: _Clock
) -> list[Change]:
    max_cust = int(_scalar(cur, "SELECT MAX(c_custkey) FROM customer") or 0)
    max_part = int(_scalar(cur, "SELECT MAX(ps_partkey) FROM partsupp") or 0)
    if not max_cust or not max_part:
        raise OltpError("churn needs a seeded database (run `gladiator mysql seed` first)")
    cust = int(
        _scalar(
            cur,
            "SELECT c_custkey FROM customer WHERE c_custkey >= %s ORDER BY c_custkey LIMIT 1",
            (rng.randint(1, max_cust),),
        )
        or 1
    )
    order_date: date = clock.now.date()
    lines: list[dict[str, object]] = []
    for number in range(1, rng.randint(1, 7) + 1):
        cur.execute(
            "SELECT ps.ps_partkey, ps.ps_suppkey, p.p_retailprice FROM partsupp ps JOIN part p ON p.p_partkey = ps.ps_partkey "
            "WHERE ps.ps_partkey >= %s ORDER BY ps.ps_partkey, ps.ps_suppkey LIMIT 1",
            (rng.randint(1, max_part),),
        )
        part, supp, price = cur.fetchone()  # type: ignore[misc]
        quantity = Decimal(rng.randint(1, 50))
        ship = order_date + timedelta(days=rng.randint(1, 121))
        lines.append({
            "l_orderkey": order_key, "l_partkey": int(part), "l_suppkey": int(supp), "l_linenumber": number,
            "l_quantity": quantity, "l_extendedprice": (quantity * Decimal(price)).quantize(CENT),
            "l_discount": Decimal(rng.randint(0, 10)) / 100, "l_tax": Decimal(rng.randint(0, 8)) / 100,
            "l_returnflag": "N", "l_linestatus": "O", "l_shipdate": ship,
            "l_commitdate": order_date + timedelta(days=rng.randint(30, 90)),
            "l_receiptdate": ship + timedelta(days=rng.randint(1, 30)),
            "l_shipinstruct": rng.choice(SHIP_INSTRUCTIONS), "l_shipmode": rng.choice(SHIP_MODES),
            "l_comment": "churned line",
        })  # fmt: skip
    total = sum(
        (
            Decimal(str(line["l_extendedprice"]))
            * (1 + Decimal(str(line["l_tax"])))
            * (1 - Decimal(str(line["l_discount"])))
        )
        for line in lines
    )
    total = Decimal(total).quantize(CENT)
    order: dict[str, object] = {
        "o_orderkey": order_key, "o_custkey": cust, "o_orderstatus": "O", "o_totalprice": total,
        "o_orderdate": order_date, "o_orderpriority": rng.choice(ORDER_PRIORITIES),
        "o_clerk": f"Clerk#{rng.randint(1, 1000):09d}", "o_shippriority": 0, "o_comment": "churned order",
        "updated_at": clock.tick(),
    }  # fmt: skip
    changes = [_insert(cur, "orders", order, ("o_orderkey",))]
    for line in lines:
        line["updated_at"] = clock.tick()
        changes.append(_insert(cur, "lineitem", line, ("l_orderkey", "l_linenumber")))
    return changes


def _insert(cur: pymysql.cursors.Cursor, table: str, row: dict[str, object], pk: tuple[str, ...]) -> Change:
    columns = ", ".join(f"`{c}`" for c in row)
    cur.execute(
        f"INSERT INTO `{table}` ({columns}) VALUES ({', '.join(['%s'] * len(row))})", tuple(row.values())
    )
    updated_at = row["updated_at"]
    assert isinstance(updated_at, datetime)
    return Change(table, "insert", tuple(int(str(row[k])) for k in pk), updated_at, dict(row))


def _fulfil_order(cur: pymysql.cursors.Cursor, order_key: int, status: str, clock: _Clock) -> list[Change]:
    stamp = clock.tick()
    cur.execute(
        "UPDATE orders SET o_orderstatus = 'F', updated_at = %s WHERE o_orderkey = %s AND o_orderstatus = %s",
        (stamp, order_key, status),
    )
    if cur.rowcount != 1:
        raise OltpError(f"order {order_key} changed under churn")
    changes = [
        Change("orders", "update", (order_key,), stamp, {"o_orderstatus": "F"}, {"o_orderstatus": status})
    ]
    cur.execute(
        "SELECT l_linenumber FROM lineitem WHERE l_orderkey = %s AND l_linestatus = 'O' ORDER BY l_linenumber FOR UPDATE",
        (order_key,),
    )
    for (line,) in cur.fetchall():
        stamp = clock.tick()
        cur.execute(
            "UPDATE lineitem SET l_linestatus = 'F', updated_at = %s WHERE l_orderkey = %s AND l_linenumber = %s",
            (stamp, order_key, line),
        )
        changes.append(
            Change(
                "lineitem",
                "update",
                (order_key, int(line)),
                stamp,
                {"l_linestatus": "F"},
                {"l_linestatus": "O"},
            )
        )
    return changes


def _pick_open_order(
    cur: pymysql.cursors.Cursor, rng: random.Random, max_key: int, taken: set[int]
) -> tuple[int, str] | None:
    for _ in range(50):
        cur.execute(
            "SELECT o_orderkey, o_orderstatus FROM orders WHERE o_orderkey >= %s AND o_orderstatus IN ('O', 'P') "
            "ORDER BY o_orderkey LIMIT 1 FOR UPDATE",
            (rng.randint(1, max_key),),
        )
        row = cur.fetchone()
        if row and int(row[0]) not in taken:
            return int(row[0]), str(row[1])
    return None


def churn(
    url: str,
    *,
    orders: int = 10,
    updates: int = 10,
    seed: int | None = None,
    database: str | None = None,
) -> ChurnReport:
    """Insert ``orders`` new orders (with lines) and fulfil ``updates`` open orders; report every row.

    Deterministic for a given ``seed`` and database content, except the clock (wall time, or just
    after the newest updated_at already stored).
    """
    if orders < 0 or updates < 0:
        raise OltpError("--orders and --updates must be >= 0")
    rng = random.Random(seed)
    conn = connect(url, database)
    try:
        with conn.cursor() as cur:
            clock = _Clock(_start_time(cur))
            report = ChurnReport(since=clock.now + timedelta(microseconds=1), until=clock.now)
            next_key = int(_scalar(cur, "SELECT COALESCE(MAX(o_orderkey), 0) FROM orders") or 0) + 1
            conn.commit()
            for _ in range(orders):
                report.changes += _insert_order(cur, rng, next_key, clock)
                conn.commit()
                next_key += 1
            max_key = next_key - 1
            touched: set[int] = set()
            for _ in range(updates):
                picked = _pick_open_order(cur, rng, max_key, touched)
                if picked is None:
                    conn.rollback()
                    break
                touched.add(picked[0])
                report.changes += _fulfil_order(cur, picked[0], picked[1], clock)
                conn.commit()
    except pymysql.MySQLError as exc:
        conn.rollback()
        raise OltpError(f"churn failed: {exc}") from exc
    finally:
        conn.close()
    report.until = clock.now
    return report
