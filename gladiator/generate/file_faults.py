"""Fault files: whole landing files the landing Lambda must quarantine, one per kind.

Each carries a few rows of a real entity under keys far above the truth's (first key column +
1e9), so a validator that wrongly accepts the file changes the cleaned data (and gets caught).
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from gladiator.contracts import CONTRACTS, Contract, ReasonCode
from gladiator.generate.manifest import Fault
from gladiator.generate.render import write_jsonl
from gladiator.outcomes import ExpectedOutcome

ROWS_PER_FAULT_FILE = 5
KEY_OFFSET = 1_000_000_000
UNKNOWN_ENTITY = "returns"
TARGET_ENTITIES = ("supplier", "customer", "part", "partsupp", "orders", "lineitem")


@dataclass(frozen=True)
class FaultFile:
    kind: str
    reason: ReasonCode
    ext: str
    build: Callable[[Contract, pa.Table], bytes]


def _csv(table: pa.Table, **options: object) -> bytes:
    buffer = io.BytesIO()
    pacsv.write_csv(table, buffer, pacsv.WriteOptions(**options))
    return buffer.getvalue()


def _wrong_header(contract: Contract, rows: pa.Table) -> bytes:
    names = list(rows.column_names)
    names[1] = names[1].split("_", 1)[1]  # e.g. o_custkey -> custkey
    return _csv(rows.rename_columns(names))


def _missing_column(contract: Contract, rows: pa.Table) -> bytes:
    return _csv(rows.drop_columns([rows.column_names[-2]]))


def _extra_column(contract: Contract, rows: pa.Table) -> bytes:
    return _csv(rows.append_column("loyalty_tier", pa.array(["gold"] * rows.num_rows)))


def _wrong_delimiter(contract: Contract, rows: pa.Table) -> bytes:
    return _csv(rows, delimiter=";")


def _empty(contract: Contract, rows: pa.Table) -> bytes:
    return b""


def _header_only(contract: Contract, rows: pa.Table) -> bytes:
    return _csv(rows.slice(0, 0))


def _truncated_gzip(contract: Contract, rows: pa.Table) -> bytes:
    data = gzip.compress(_csv(rows), compresslevel=6, mtime=0)
    return data[: len(data) // 2]


def _not_utf8(contract: Contract, rows: pa.Table) -> bytes:
    text = _csv(rows)
    header_end = text.index(b"\n") + 1
    return text[:header_end] + text[header_end:].replace(b"a", b"\xe9", 1)  # latin-1 e-acute


def _bad_parquet_schema(contract: Contract, rows: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(rows, buffer, compression="zstd")  # every column a string: not the contract
    return buffer.getvalue()


def _malformed_json(contract: Contract, rows: pa.Table) -> bytes:
    buffer = io.BytesIO()
    write_jsonl(rows, contract, buffer)
    lines = buffer.getvalue().split(b"\n")
    lines[1] = lines[1][: len(lines[1]) // 2]  # a line cut in the middle
    return b"\n".join(lines)


def _unknown_format(contract: Contract, rows: pa.Table) -> bytes:
    return _csv(rows, delimiter="\t")


FAULT_FILES = (
    FaultFile("wrong_header", ReasonCode.WRONG_HEADER, "csv", _wrong_header),
    FaultFile("missing_column", ReasonCode.MISSING_COLUMNS, "csv", _missing_column),
    FaultFile("extra_column", ReasonCode.EXTRA_COLUMNS, "csv", _extra_column),
    FaultFile("wrong_delimiter", ReasonCode.WRONG_DELIMITER, "csv", _wrong_delimiter),
    FaultFile("empty_file", ReasonCode.EMPTY_FILE, "csv", _empty),
    FaultFile("header_only", ReasonCode.HEADER_ONLY, "csv", _header_only),
    FaultFile("truncated_gzip", ReasonCode.TRUNCATED_GZIP, "csv.gz", _truncated_gzip),
    FaultFile("not_utf8", ReasonCode.NOT_UTF8, "csv", _not_utf8),
    FaultFile("bad_parquet_schema", ReasonCode.BAD_PARQUET_SCHEMA, "parquet", _bad_parquet_schema),
    FaultFile("malformed_json", ReasonCode.MALFORMED_JSON, "jsonl", _malformed_json),
    FaultFile("unknown_format", ReasonCode.UNKNOWN_FORMAT, "tsv", _unknown_format),
    FaultFile("unknown_entity", ReasonCode.UNKNOWN_ENTITY, "csv", lambda c, r: _csv(r)),
)


def _sample(contract: Contract, text: pa.Table, rng: np.random.Generator) -> pa.Table:
    count = min(ROWS_PER_FAULT_FILE, text.num_rows)
    rows = text.take(pa.array(np.sort(rng.choice(text.num_rows, size=count, replace=False))))
    key = contract.primary_key[0]
    shifted = pa.array([str(int(v) + KEY_OFFSET) for v in rows[key].to_pylist()])
    return rows.set_column(rows.schema.get_field_index(key), key, shifted)


def write_fault_files(
    texts: dict[str, pa.Table], landing_dir: Path, first_index: int, rng: np.random.Generator
) -> list[Fault]:
    """Write one file per fault kind (entities drawn from the seed); returns their faults."""
    entities = list(rng.permutation(TARGET_ENTITIES))
    next_index: dict[str, int] = {}
    faults = []
    for i, fault in enumerate(FAULT_FILES):
        entity = str(entities[i % len(entities)])
        contract = CONTRACTS[entity]
        data = fault.build(contract, _sample(contract, texts[entity], rng))
        folder = UNKNOWN_ENTITY if fault.kind == "unknown_entity" else entity
        index = next_index.get(folder, first_index if folder == entity else 0)
        next_index[folder] = index + 1
        key = f"{folder}/{folder}-{index:05d}.{fault.ext}"
        path = landing_dir / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        faults.append(
            Fault(folder, key, None, fault.kind, ExpectedOutcome.FILE_QUARANTINED, fault.reason.value)
        )
    return faults
