"""The clean truth: TPC-H rows plus `updated_at`, optionally shifted in time, in contract schema.

- ``updated_at`` is deterministic per row (seed + primary key): for orders a moment on the order
  date, for lineitem a moment on its order's date, for the static dimensions a moment within one
  hour after a fixed base time (the day before the first order).
- ``--end-date`` shifts every date (and ``updated_at``) by whole days so the latest date in the
  data is that day.
- A few free-text comments get a double quote in place of their first space, so CSV writers and
  readers must get RFC 4180 quoting right (TPC-H comments already contain commas). Only a space is
  replaced: lengths and LIKE '%word%word%' matches (TPC-H Q13/Q16) are unchanged.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from gladiator.contracts import CONTRACTS, ENTITY_NAMES, Contract
from gladiator.contracts.types import arrow_schema
from gladiator.generate.hashing import row_hash
from gladiator.generate.render import write_parquet

DAY_US = 86_400_000_000
HOUR_US = 3_600_000_000
SALT = {name: index + 1 for index, name in enumerate(ENTITY_NAMES)}
QUOTED_COMMENT_EVERY = 1000  # one comment in this many gets a double quote


def date_columns(contract: Contract) -> list[str]:
    return [c.name for c in contract.columns if c.type == "date"]


def comment_column(contract: Contract) -> str | None:
    return next((c.name for c in contract.columns if c.name.endswith("_comment")), None)


def _days(column: pa.ChunkedArray) -> np.ndarray:
    return column.cast(pa.int32()).to_numpy().astype(np.int64)


def shift_days_to_end(tables: dict[str, pa.Table], end_date: date | None) -> int:
    """Days to add to every date so the latest date of any entity falls on ``end_date`` (0: none)."""
    if end_date is None:
        return 0
    latest = max(
        pc.max(tables[name][column]).as_py() for name in tables for column in date_columns(CONTRACTS[name])
    )
    return (end_date - latest).days


def _shift_dates(table: pa.Table, contract: Contract, days: int) -> pa.Table:
    for column in date_columns(contract):
        shifted = pc.add(table[column].cast(pa.int32()), pa.scalar(days, pa.int32())).cast(pa.date32())
        table = table.set_column(table.schema.get_field_index(column), column, shifted)
    return table


def _key_arrays(table: pa.Table, contract: Contract) -> list[np.ndarray]:
    return [table[k].to_numpy() for k in contract.primary_key]


def _order_days_of_lines(orders: pa.Table, lineitem: pa.Table) -> np.ndarray:
    order_keys = orders["o_orderkey"].to_numpy()
    order_days = _days(orders["o_orderdate"])
    if not np.all(order_keys[1:] > order_keys[:-1]):
        by_key = np.argsort(order_keys, kind="stable")
        order_keys, order_days = order_keys[by_key], order_days[by_key]
    return order_days[np.searchsorted(order_keys, lineitem["l_orderkey"].to_numpy())]


def _updated_at(name: str, table: pa.Table, tables: dict[str, pa.Table], seed: int) -> pa.Array:
    contract = CONTRACTS[name]
    jitter = row_hash(seed, SALT[name], *_key_arrays(table, contract))
    if name == "orders":
        micros = _days(table["o_orderdate"]) * DAY_US + (jitter % np.uint64(DAY_US)).astype(np.int64)
    elif name == "lineitem":
        day = _order_days_of_lines(tables["orders"], table)
        micros = day * DAY_US + (jitter % np.uint64(DAY_US)).astype(np.int64)
    else:
        base_day = int(pc.min(tables["orders"]["o_orderdate"]).cast(pa.int32()).as_py()) - 1
        micros = base_day * DAY_US + (jitter % np.uint64(HOUR_US)).astype(np.int64)
    return pa.array(micros, type=pa.timestamp("us", tz="UTC"))


def _quote_some_comments(name: str, table: pa.Table, seed: int) -> pa.Table:
    contract = CONTRACTS[name]
    column = comment_column(contract)
    if column is None or table.num_rows == 0:
        return table
    count = max(1, table.num_rows // QUOTED_COMMENT_EVERY)
    score = row_hash(seed, SALT[name] + 100, *_key_arrays(table, contract))
    chosen = (
        np.sort(np.argpartition(score, count - 1)[:count]) if count < table.num_rows else np.arange(count)
    )
    values = table[column].take(pa.array(chosen)).to_pylist()
    quoted = [v.replace(" ", '"', 1) if " " in v else '"' + v[: max(0, len(v) - 1)] for v in values]
    mask = np.zeros(table.num_rows, dtype=bool)
    mask[chosen] = True
    replaced = pc.replace_with_mask(table[column].combine_chunks(), pa.array(mask), pa.array(quoted))
    return table.set_column(table.schema.get_field_index(column), column, replaced)


def build_truth(
    sources: dict[str, Path], seed: int, end_date: date | None
) -> tuple[dict[str, pa.Table], int]:
    """Read tpchgen's Parquet files and return (entity -> truth table in contract schema, shift days)."""
    tables = {name: pq.read_table(sources[name]) for name in ENTITY_NAMES}
    shift = shift_days_to_end(tables, end_date)
    if shift:
        tables = {name: _shift_dates(t, CONTRACTS[name], shift) for name, t in tables.items()}
    truth: dict[str, pa.Table] = {}
    for name in ENTITY_NAMES:
        table = _quote_some_comments(name, tables[name], seed)
        table = table.append_column("updated_at", _updated_at(name, table, tables, seed))
        truth[name] = table.select(CONTRACTS[name].column_names).cast(arrow_schema(CONTRACTS[name]))
    return truth, shift


def write_truth(truth: dict[str, pa.Table], out: Path) -> dict[str, Path]:
    """Write DIR/truth/<entity>/part-00000.parquet (snappy, deterministic bytes)."""
    paths = {}
    for name, table in truth.items():
        path = out / "truth" / name / "part-00000.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_parquet(table, path, CONTRACTS[name])
        paths[name] = path
    return paths
