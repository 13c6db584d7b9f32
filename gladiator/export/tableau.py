"""Tableau Hyper extract of the gold star schema: one ``gladiator_gold.hyper`` file holding every
gold table (schema ``Extract``), built by Hyper itself from the gold Parquet files.

For each table the snapshot's files (one Delta version, from the Delta log) are downloaded and
inserted with Hyper SQL ``external(ARRAY[...], FORMAT => 'parquet')`` (Hyper reads Parquet at
about 1 s per million rows). Column types come from the gold contract.
"""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gladiator.config import Settings
from gladiator.contracts import Contract
from gladiator.contracts.gold import GOLD_TABLES, get_gold_contract
from gladiator.warehouse.delta_log import DeltaLogReader, split_s3_uri

EXTRACT_FILE = "gladiator_gold.hyper"
SCHEMA = "Extract"
_DECIMAL = re.compile(r"decimal\((\d+),(\d+)\)")


def hyper_type(logical: str) -> str:
    if m := _DECIMAL.fullmatch(logical):
        return f"NUMERIC({m.group(1)},{m.group(2)})"
    return {"bigint": "BIGINT", "int": "INT", "string": "TEXT", "date": "DATE", "timestamp": "TIMESTAMP"}[
        logical
    ]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def create_table_sql(contract: Contract) -> str:
    columns = ", ".join(
        f"{_quote(c.name)} {hyper_type(c.type)}{'' if c.nullable else ' NOT NULL'}" for c in contract.columns
    )
    return f"CREATE TABLE {_quote(SCHEMA)}.{_quote(contract.name)} ({columns})"


def insert_from_parquet_sql(contract: Contract, files: Sequence[Path]) -> str:
    array = ", ".join(_literal(str(f)) for f in files)
    columns = ", ".join(f"CAST({_quote(c.name)} AS {hyper_type(c.type)})" for c in contract.columns)
    return (
        f"INSERT INTO {_quote(SCHEMA)}.{_quote(contract.name)} "
        f"SELECT {columns} FROM external(ARRAY[{array}], FORMAT => 'parquet')"
    )


def export_tableau(
    settings: Settings,
    out_dir: Path,
    *,
    tables: Sequence[str] | None = None,
    table_uris: dict[str, str] | None = None,
    s3: Any | None = None,
) -> dict[str, dict[str, Any]]:
    """Write ``out_dir/gladiator_gold.hyper``; returns table -> {rows, delta_version, path, seconds}.

    The file is replaced as a whole (built under a temporary name, then renamed)."""
    from tableauhyperapi import Connection, CreateMode, HyperProcess, Telemetry

    s3 = s3 or settings.client("s3")
    reader = DeltaLogReader(s3)
    contracts = [get_gold_contract(t) for t in tables] if tables else list(GOLD_TABLES.values())
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / EXTRACT_FILE
    building = out_dir / f".{EXTRACT_FILE}.building"
    result: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="gladiator-hyper-") as scratch:
        # database version 3: 128-bit NUMERIC (the gold sums are decimal(22,s)); Tableau 2022.4.1+
        parameters = {"log_config": "", "log_dir": scratch, "default_database_version": "3"}
        with (
            HyperProcess(
                telemetry=Telemetry.DO_NOT_SEND_USAGE_DATA_TO_TABLEAU, parameters=parameters
            ) as hyper,
            Connection(hyper.endpoint, str(building), CreateMode.CREATE_AND_REPLACE) as conn,
        ):
            conn.execute_command(f"CREATE SCHEMA {_quote(SCHEMA)}")
            for contract in contracts:
                started = time.perf_counter()
                uri = (table_uris or {}).get(contract.name) or settings.lake_uri("gold", contract.name)
                snapshot = reader.snapshot(uri)
                local_files = []
                for i, data_file in enumerate(snapshot.files):
                    bucket, key = split_s3_uri(data_file.uri)
                    local = Path(scratch) / contract.name / f"part-{i:05d}.parquet"
                    local.parent.mkdir(parents=True, exist_ok=True)
                    s3.download_file(bucket, key, str(local))
                    local_files.append(local)
                conn.execute_command(create_table_sql(contract))
                rows = (
                    conn.execute_command(insert_from_parquet_sql(contract, local_files)) if local_files else 0
                )
                result[contract.name] = {
                    "rows": int(rows),
                    "delta_version": snapshot.version,
                    "path": str(target),
                    "seconds": round(time.perf_counter() - started, 3),
                }
    building.replace(target)
    return result
