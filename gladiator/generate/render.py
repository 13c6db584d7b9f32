"""Rendering rows between typed Arrow (contract schema) and landing text.

Landing text is what a file carries: date ``YYYY-MM-DD``, timestamp ``YYYY-MM-DD HH:MM:SS.ffffff``
(UTC), decimals plain with their scale (``-12.30``), NULL as a missing value. Faults live in text,
so the landing assembly works on all-string tables and renders each file format from them.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from gladiator.contracts import Column, Contract
from gladiator.contracts.types import arrow_schema

NUMERIC_TYPES = ("bigint", "int")
CAST_THREADS = 2
JSON_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?")


def is_numeric(type_: str) -> bool:
    return type_ in NUMERIC_TYPES or type_.startswith("decimal")


def text_schema(contract: Contract) -> pa.Schema:
    return pa.schema([pa.field(name, pa.string()) for name in contract.column_names])


def to_text(table: pa.Table, contract: Contract) -> pa.Table:
    """Typed contract rows as landing text (one string column per contract column)."""

    def render(column: Column) -> pa.ChunkedArray:
        values = table[column.name]
        if column.type == "timestamp":
            values = values.cast(pa.timestamp("us"))  # UTC wall clock, 6 fraction digits
        return values.cast(pa.string())

    with ThreadPoolExecutor(max_workers=CAST_THREADS) as pool:  # Arrow casts release the GIL
        columns = list(pool.map(render, contract.columns))
    return pa.table(columns, schema=text_schema(contract))


def to_typed(table: pa.Table, contract: Contract) -> pa.Table:
    """Landing text back to the contract schema; every value must parse (Parquet files only)."""
    schema = arrow_schema(contract)
    columns = []
    for field in schema:
        values = table[field.name]
        if pa.types.is_timestamp(field.type):
            values = values.cast(pa.timestamp("us")).cast(field.type)
        else:
            values = values.cast(field.type)
        columns.append(values)
    return pa.Table.from_arrays(columns, schema=schema)


def write_parquet(table: pa.Table, path: Path | IO[bytes], contract: Contract) -> None:
    """Parquet as the generator writes it: snappy, dictionary encoding only for code columns
    (building dictionaries for near-unique comments and keys costs CPU for nothing); deterministic."""
    codes = [c.name for c in contract.columns if c.normalize == "upper" or c.type == "int"]
    pq.write_table(table, path, compression="snappy", use_dictionary=codes or False)


def _json_value_sql(name: str, type_: str) -> str:
    quoted = f'"{name}"'
    if is_numeric(type_):
        # numbers as JSON numbers; anything unparsable stays a JSON string (that is the fault)
        number = f"regexp_full_match({quoted}, '{JSON_NUMBER.pattern}')"
        return f"CASE WHEN {quoted} IS NULL THEN 'null' WHEN {number} THEN {quoted} ELSE to_json({quoted})::VARCHAR END"
    return f"CASE WHEN {quoted} IS NULL THEN 'null' ELSE to_json({quoted})::VARCHAR END"


def write_jsonl(table: pa.Table, contract: Contract, sink: IO[bytes]) -> None:
    """One JSON object per line, keys = column names in contract order, LF line ends."""
    parts = [f"'{json.dumps(c.name)}:' || ({_json_value_sql(c.name, c.type)})" for c in contract.columns]
    expression = "'{' || " + " || ',' || ".join(parts) + " || '}'"
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.register("rows_text", table)
    reader = con.execute(f"SELECT {expression} AS line FROM rows_text").to_arrow_reader(100_000)
    for batch in reader:
        lines = batch.column(0).to_pylist()
        if lines:
            sink.write(("\n".join(lines) + "\n").encode("utf-8"))
    con.close()
