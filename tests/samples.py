"""Sample landing files: valid ones in every format and one of each file-level fault.

Test data, not shipped: used by the ingestion tests and bench/bench_ingestion.py; the rows satisfy the contract's types (not
necessarily its domain rules: this is about files, not rows).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Callable
from dataclasses import dataclass

from gladiator.contracts import Contract, ReasonCode, get_contract


def _value(type_: str, i: int) -> str:
    if type_ in ("bigint", "int"):
        return str(i + 1)
    if type_.startswith("decimal"):
        return f"{i % 1000}.{i % 100:02d}"
    if type_ == "date":
        return f"1995-{1 + i % 12:02d}-{1 + i % 28:02d}"
    if type_ == "timestamp":
        return f"2026-01-{1 + i % 28:02d} 12:00:00.{i % 1000000:06d}"
    return f'text, "quoted" {i}'  # a comma and quotes: CSV must quote this field


def rows(contract: Contract, n: int, start: int = 0) -> list[list[str]]:
    return [[_value(c.type, i) for c in contract.columns] for i in range(start, start + n)]


def csv_bytes(
    contract: Contract,
    n: int = 5,
    *,
    header: list[str] | None = None,
    delimiter: str = ",",
    newline: str = "\n",
    bom: bool = False,
    start: int = 0,
) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline)
    writer.writerow(header if header is not None else contract.column_names)
    writer.writerows(rows(contract, n, start))
    return (("\ufeff" if bom else "") + out.getvalue()).encode()


def jsonl_bytes(contract: Contract, n: int = 5, *, drop: str | None = None) -> bytes:
    lines = []
    for row in rows(contract, n):
        record = dict(zip(contract.column_names, row, strict=True))
        for c in contract.columns:
            if c.type in ("bigint", "int"):
                record[c.name] = int(record[c.name])  # type: ignore[assignment]
        if drop:
            record.pop(drop)
        lines.append(json.dumps(record))
    return ("\n".join(lines) + "\n").encode()


def parquet_bytes(contract: Contract, n: int = 5, *, retype: str | None = None) -> bytes:
    """A Parquet file with ``arrow_schema(contract)``; ``retype`` makes that column a string."""
    import datetime as dt
    from decimal import Decimal

    import pyarrow as pa
    import pyarrow.parquet as pq

    from gladiator.contracts.types import arrow_schema

    def typed(type_: str, text: str) -> object:
        if type_ in ("bigint", "int"):
            return int(text)
        if type_.startswith("decimal"):
            return Decimal(text)
        if type_ == "date":
            return dt.date.fromisoformat(text)
        if type_ == "timestamp":
            return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)
        return text

    schema = arrow_schema(contract)
    data = rows(contract, n)
    arrays = []
    for j, (column, field) in enumerate(zip(contract.columns, schema, strict=True)):
        values = [r[j] for r in data]
        if column.name == retype:
            arrays.append(pa.array(values, pa.string()))
        else:
            arrays.append(pa.array([typed(column.type, v) for v in values], field.type))
    out = io.BytesIO()
    pq.write_table(pa.table(arrays, names=schema.names), out)
    return out.getvalue()


@dataclass(frozen=True)
class SampleFile:
    key: str
    data: bytes
    reason: ReasonCode | None  # None: a valid file


def valid_files(entity: str = "orders", tag: str = "ok") -> list[SampleFile]:
    """Valid files, one per format and dialect (BOM, CRLF, quoted delimiters, multi-member gzip)."""
    c = get_contract(entity)
    plain = csv_bytes(c)
    return [
        SampleFile(f"{entity}/{tag}-plain.csv", plain, None),
        SampleFile(f"{entity}/{tag}-bom-crlf.csv", csv_bytes(c, bom=True, newline="\r\n"), None),
        SampleFile(f"{entity}/{tag}-gz.csv.gz", gzip.compress(plain), None),
        SampleFile(f"{entity}/{tag}-multi.csv.gz", gzip.compress(plain) + gzip.compress(b""), None),
        SampleFile(f"{entity}/{tag}-records.jsonl", jsonl_bytes(c), None),
        SampleFile(f"{entity}/{tag}-table.parquet", parquet_bytes(c), None),
    ]


def _truncated_gzip(c: Contract) -> bytes:
    whole = gzip.compress(csv_bytes(c, 200))
    return whole[: len(whole) * 2 // 3]


def _not_utf8(c: Contract) -> bytes:
    good = csv_bytes(c, 50)
    middle = good.index(b"\n", len(good) // 2) + 1
    return good[:middle] + b"caf\xe9 latin-1 text\n" + good[middle:]


BAD_FILES: dict[str, Callable[[Contract, str], tuple[str, bytes, ReasonCode]]] = {
    "empty": lambda c, t: (f"{c.name}/{t}-empty.csv", b"", ReasonCode.EMPTY_FILE),
    "header_only": lambda c, t: (f"{c.name}/{t}-header.csv", csv_bytes(c, 0), ReasonCode.HEADER_ONLY),
    "reordered": lambda c, t: (
        f"{c.name}/{t}-reordered.csv",
        csv_bytes(c, header=c.column_names[::-1]),
        ReasonCode.WRONG_HEADER,
    ),
    "renamed": lambda c, t: (
        f"{c.name}/{t}-renamed.csv",
        csv_bytes(c, header=[n.upper() for n in c.column_names]),
        ReasonCode.WRONG_HEADER,
    ),
    "missing": lambda c, t: (
        f"{c.name}/{t}-missing.csv",
        csv_bytes(c, header=c.column_names[:-1]),
        ReasonCode.MISSING_COLUMNS,
    ),
    "extra": lambda c, t: (
        f"{c.name}/{t}-extra.csv",
        csv_bytes(c, header=[*c.column_names, "bonus"]),
        ReasonCode.EXTRA_COLUMNS,
    ),
    "semicolons": lambda c, t: (
        f"{c.name}/{t}-semicolons.csv",
        csv_bytes(c, delimiter=";"),
        ReasonCode.WRONG_DELIMITER,
    ),
    "tabs": lambda c, t: (f"{c.name}/{t}-tabs.csv", csv_bytes(c, delimiter="\t"), ReasonCode.WRONG_DELIMITER),
    "truncated_gzip": lambda c, t: (
        f"{c.name}/{t}-cut.csv.gz",
        _truncated_gzip(c),
        ReasonCode.TRUNCATED_GZIP,
    ),
    "not_gzip": lambda c, t: (f"{c.name}/{t}-plain-named-gz.csv.gz", csv_bytes(c), ReasonCode.TRUNCATED_GZIP),
    "not_utf8": lambda c, t: (f"{c.name}/{t}-latin1.csv", _not_utf8(c), ReasonCode.NOT_UTF8),
    "unknown_entity": lambda c, t: (f"widgets/{t}-w.csv", csv_bytes(c), ReasonCode.UNKNOWN_ENTITY),
    "no_folder": lambda c, t: (f"{t}-loose.csv", csv_bytes(c), ReasonCode.UNKNOWN_ENTITY),
    "unknown_format": lambda c, t: (f"{c.name}/{t}-sheet.xlsx", b"PK\x03\x04", ReasonCode.UNKNOWN_FORMAT),
    "folder_marker": lambda c, t: (f"{c.name}/{t}-folder/", b"", ReasonCode.FOLDER_MARKER),
    "parquet_types": lambda c, t: (
        f"{c.name}/{t}-types.parquet",
        parquet_bytes(c, retype=c.primary_key[0]),
        ReasonCode.BAD_PARQUET_SCHEMA,
    ),
    "not_parquet": lambda c, t: (f"{c.name}/{t}-fake.parquet", csv_bytes(c), ReasonCode.BAD_PARQUET_SCHEMA),
    "malformed_json": lambda c, t: (
        f"{c.name}/{t}-broken.jsonl",
        jsonl_bytes(c)[:-40] + b"\n{not json}\n",
        ReasonCode.MALFORMED_JSON,
    ),
    "json_missing_key": lambda c, t: (
        f"{c.name}/{t}-keys.jsonl",
        jsonl_bytes(c, drop=c.column_names[-1]),
        ReasonCode.MISSING_COLUMNS,
    ),
}


def bad_files(entity: str = "orders", tag: str = "bad") -> list[SampleFile]:
    """One file per fault kind (``file_too_large`` needs a limit: see the tests)."""
    c = get_contract(entity)
    return [SampleFile(*make(c, tag)) for make in BAD_FILES.values()]
