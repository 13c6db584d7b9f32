"""File-level validation of a landing object against its entity contract.

What is checked, in order (the first failure is the verdict):
1. the key: folder marker (ends in ``/``), entity (first path segment is a contract), format
   (``gladiator.formats.format_of``: ``.csv``, ``.csv.gz``, ``.jsonl``, ``.parquet``, any case);
2. the size: 0 bytes is ``empty_file``, above ``max_file_bytes`` is ``file_too_large``;
3. the content, read as a stream so memory does not depend on the object's size:
   - CSV / CSV.gz: UTF-8 (a BOM is allowed), header names in contract order (comma; RFC 4180
     quoting; LF or CRLF), at least one data row;
   - JSONL: the first records parse as JSON objects and their keys are the contract columns;
   - Parquet: footer only (two ranged reads), schema vs ``arrow_schema(contract)``, rows > 0.

How much is read: objects up to ``full_scan_bytes`` (16 MiB by default, i.e. nearly every landing
file) are streamed end to end, so UTF-8 validity and gzip integrity (deflate end-of-stream, CRC32
and ISIZE, checked by zlib) are exact. Larger objects are read only at the head: ``head_bytes`` of
text (a ranged GET) or, for gzip, the compressed bytes needed to inflate that much text. Their
truncation check is a ranged read of the last 8 bytes: the gzip trailer's ISIZE (uncompressed size
mod 2^32) must be plausible for the compression ratio measured on the head; a stream cut short has
arbitrary bytes there. That check is probabilistic, which is the price of not inflating gigabytes
in a 30-second Lambda; the batch job, which reads the whole file, still fails loudly on a corrupt
stream.

A check that fails raises ``ContractViolation`` (its ReasonCode and where); ``validate_object``
turns the first one into the ``Verdict``.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from gladiator.contracts import CONTRACTS, Contract, ReasonCode
from gladiator.errors import ContractViolation
from gladiator.formats import EXTENSIONS, format_of
from gladiator.ingestion.objects import ObjectReader, RangeFile

OTHER_DELIMITERS = (";", "\t", "|")


@dataclass(frozen=True, kw_only=True)
class ValidationLimits:
    max_file_bytes: int = 5 * 1024**3  # S3's single-PUT limit; larger files are refused
    full_scan_bytes: int = 16 * 1024**2  # stream the whole object up to this size
    head_bytes: int = 1024**2  # text read from the head of larger objects
    sample_records: int = 20  # data rows / JSON records checked


@dataclass(frozen=True, kw_only=True)
class Verdict:
    """The outcome of validating one object; ``reason`` is None when it is valid."""

    entity: str | None
    format: str | None
    reason: ReasonCode | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.reason is None


def classify_key(key: str) -> tuple[str | None, str | None]:
    """(entity, format) from a landing key ``<entity>/<file name>``; None where unknown."""
    entity = key.split("/", 1)[0] if "/" in key else None
    return (entity if entity in CONTRACTS else None), format_of(key)


def _check_key(key: str, size: int, limits: ValidationLimits) -> tuple[Contract, str]:
    if key.endswith("/"):
        raise ContractViolation(ReasonCode.FOLDER_MARKER, f"{key!r} is a folder marker, not a file")
    entity, fmt = classify_key(key)
    if entity is None:
        first = key.split("/", 1)[0] if "/" in key else "(none: the key has no folder)"
        raise ContractViolation(
            ReasonCode.UNKNOWN_ENTITY,
            f"{key!r}: first path segment {first!r} is not an entity; expected one of {', '.join(CONTRACTS)}",
        )
    if fmt is None:
        raise ContractViolation(
            ReasonCode.UNKNOWN_FORMAT, f"{key!r}: extension not one of {', '.join(EXTENSIONS)}"
        )
    if size > limits.max_file_bytes:
        raise ContractViolation(
            ReasonCode.FILE_TOO_LARGE, f"{key!r}: {size} bytes > limit {limits.max_file_bytes}"
        )
    if size == 0:
        raise ContractViolation(ReasonCode.EMPTY_FILE, f"{key!r}: 0 bytes")
    return CONTRACTS[entity], fmt


# --- text (CSV, JSONL) -------------------------------------------------------------------------
@dataclass
class TextHead:
    text: str  # decoded head, BOM removed
    complete: bool  # the whole object was read (the last line is not cut)


def _gunzip(chunks: Iterator[bytes], *, whole: bool) -> Iterator[bytes]:
    """Inflate gzip members as they stream in. With ``whole``, a stream without a proper end
    (or with a bad CRC32/ISIZE, which zlib checks) raises ``ContractViolation(truncated_gzip)``."""
    inflater = zlib.decompressobj(wbits=31)
    fed = False  # the current member has received input
    try:
        for chunk in chunks:
            while chunk:
                fed = True
                out = inflater.decompress(chunk)
                if out:
                    yield out
                chunk = b""
                if inflater.eof:  # a member ended; the rest (if any) starts the next member
                    chunk = inflater.unused_data
                    inflater, fed = zlib.decompressobj(wbits=31), False
        tail = inflater.flush()
        if tail:
            yield tail
    except zlib.error as exc:
        raise ContractViolation(ReasonCode.TRUNCATED_GZIP, f"corrupt gzip stream: {exc}") from None
    if whole and fed and not inflater.eof:
        raise ContractViolation(
            ReasonCode.TRUNCATED_GZIP, "gzip stream ends before its end-of-stream marker and trailer"
        )


def _read_text(reader: ObjectReader, fmt: str, limits: ValidationLimits) -> TextHead:
    """Decode the head of the object (or all of it, if small) as UTF-8, streaming."""
    whole = reader.size <= limits.full_scan_bytes
    raw = reader.iter_bytes(0, None if whole else (limits.head_bytes if fmt != "csv.gz" else None))
    compressed_seen = [0]

    def counted(chunks: Iterator[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            compressed_seen[0] += len(chunk)
            yield chunk

    data = _gunzip(counted(raw), whole=whole) if fmt == "csv.gz" else raw
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    parts: list[str] = []
    kept = offset = 0
    try:
        for chunk in data:
            try:
                text = decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                raise ContractViolation(
                    ReasonCode.NOT_UTF8, f"byte {offset + exc.start}: {exc.reason}"
                ) from None
            offset += len(chunk)
            if kept < limits.head_bytes:
                parts.append(text)
                kept += len(text)
            elif not whole:
                break  # head-only: stop the download here
        if whole:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError as exc:
                raise ContractViolation(
                    ReasonCode.NOT_UTF8, f"byte {offset + exc.start}: {exc.reason}"
                ) from None
    finally:
        for stream in (data, raw):
            close = getattr(stream, "close", None)
            if close:
                close()
    if fmt == "csv.gz" and not whole and compressed_seen[0]:
        _check_gzip_trailer(reader, decompressed=offset, compressed=compressed_seen[0])
    text = "".join(parts)
    return TextHead(text=text.removeprefix("\ufeff"), complete=whole)


def _check_gzip_trailer(reader: ObjectReader, *, decompressed: int, compressed: int) -> None:
    """Large gzip objects: the trailer's ISIZE must fit the ratio measured on the head."""
    trailer = reader.read_range(reader.size - 8, 8)
    if len(trailer) != 8:
        raise ContractViolation(ReasonCode.TRUNCATED_GZIP, "object too short for a gzip trailer")
    _crc, isize = struct.unpack("<II", trailer)
    estimate = reader.size * decompressed / max(compressed, 1)
    if estimate >= 2**32 / 8:
        return  # ISIZE wraps modulo 4 GiB: no plausibility bound for such sizes
    if not estimate / 8 <= isize <= estimate * 8:
        raise ContractViolation(
            ReasonCode.TRUNCATED_GZIP,
            f"gzip trailer says {isize} bytes uncompressed; the head's ratio predicts ~{int(estimate)}: "
            "the stream is probably cut short",
        )


def _csv_rows(head: TextHead, limit: int) -> list[list[str]]:
    rows = []
    reader = csv.reader(io.StringIO(head.text, newline=""))
    try:
        for row in reader:
            rows.append(row)
            if len(rows) > limit + 1:
                break
    except csv.Error:
        pass  # a quoted field cut at the end of the head
    if not head.complete and len(rows) <= limit + 1 and rows:
        rows.pop()  # the last row may be cut by the head boundary
    return rows


def _check_csv(contract: Contract, head: TextHead, limits: ValidationLimits) -> None:
    if not head.text.strip():
        raise ContractViolation(ReasonCode.EMPTY_FILE, "no text (only whitespace)")
    rows = _csv_rows(head, limits.sample_records)
    header = rows[0] if rows else []
    columns = contract.column_names
    if header != columns:
        first_line = head.text.splitlines()[0] if head.text else ""
        _explain_header(header, columns, first_line)
    data = [r for r in rows[1:] if any(field.strip() for field in r)]
    if not data:
        raise ContractViolation(ReasonCode.HEADER_ONLY, "the header has no data rows after it")
    if len(columns) > 1 and all(len(r) == 1 for r in data):
        delim = next((d for d in OTHER_DELIMITERS if len(data[0][0].split(d)) == len(columns)), None)
        if delim:
            raise ContractViolation(
                ReasonCode.WRONG_DELIMITER, f"data rows are separated by {delim!r}, expected ','"
            )


def _explain_header(header: list[str], columns: list[str], first_line: str) -> None:
    """Raise the most specific reason for a CSV header that is not the contract's."""
    wanted = set(columns)
    if len(header) <= 1:
        for delim in OTHER_DELIMITERS:
            parts = [p.strip('"') for p in first_line.split(delim)]
            if len(parts) > 1 and len(wanted & set(parts)) >= len(parts) // 2:
                raise ContractViolation(
                    ReasonCode.WRONG_DELIMITER, f"line 1 is separated by {delim!r}, expected ','"
                )
    got = set(header)
    missing = [c for c in columns if c not in got]
    extra = [h for h in header if h not in wanted]
    where = "line 1 (header)"
    if not missing and not extra:
        raise ContractViolation(
            ReasonCode.WRONG_HEADER, f"{where}: columns out of order or repeated: {header}"
        )
    if missing and not extra:
        raise ContractViolation(ReasonCode.MISSING_COLUMNS, f"{where}: missing {missing}")
    if extra and not missing:
        raise ContractViolation(ReasonCode.EXTRA_COLUMNS, f"{where}: unexpected {extra}")
    raise ContractViolation(
        ReasonCode.WRONG_HEADER, f"{where}: expected {columns}, got {header[: len(columns) + 2]}"
    )


def _check_jsonl(contract: Contract, head: TextHead, limits: ValidationLimits) -> None:
    lines = head.text.splitlines()
    if not head.complete and lines:
        lines.pop()  # may be cut by the head boundary
    records = [(n, line) for n, line in enumerate(lines, start=1) if line.strip()]
    if not records:
        if not head.text.strip():
            raise ContractViolation(ReasonCode.EMPTY_FILE, "no records (only whitespace)")
        raise ContractViolation(ReasonCode.MALFORMED_JSON, "the first record is longer than the head read")
    keys: set[str] = set()
    for number, line in records[: limits.sample_records]:
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ContractViolation(
                ReasonCode.MALFORMED_JSON, f"line {number}, column {exc.colno}: {exc.msg}"
            ) from None
        if not isinstance(record, dict):
            raise ContractViolation(
                ReasonCode.MALFORMED_JSON, f"line {number}: a {type(record).__name__}, not an object"
            )
        keys |= set(record)
    columns = contract.column_names
    missing = [c for c in columns if c not in keys]
    extra = sorted(keys - set(columns))
    if missing and extra:
        raise ContractViolation(
            ReasonCode.WRONG_HEADER, f"record keys: missing {missing}, unexpected {extra}"
        )
    if missing:
        raise ContractViolation(ReasonCode.MISSING_COLUMNS, f"record keys: missing {missing}")
    if extra:
        raise ContractViolation(ReasonCode.EXTRA_COLUMNS, f"record keys: unexpected {extra}")


# --- Parquet --------------------------------------------------------------------------------
def _same_type(actual: object, expected: object) -> bool:
    import pyarrow as pa

    if pa.types.is_timestamp(actual) and pa.types.is_timestamp(expected):
        return actual.tz in (None, "UTC", "+00:00", "Etc/UTC")  # type: ignore[attr-defined]
    return bool(actual == expected)


def _check_parquet(contract: Contract, reader: ObjectReader) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from gladiator.contracts.types import arrow_schema

    if (
        reader.size < 12
        or reader.read_range(0, 4) != b"PAR1"
        or reader.read_range(reader.size - 4, 4) != b"PAR1"
    ):
        raise ContractViolation(
            ReasonCode.BAD_PARQUET_SCHEMA, "not a Parquet file (no PAR1 magic at both ends)"
        )
    try:
        parquet = pq.ParquetFile(RangeFile(reader))
        schema, rows = parquet.schema_arrow, parquet.metadata.num_rows
    except (pa.ArrowException, OSError) as exc:
        raise ContractViolation(ReasonCode.BAD_PARQUET_SCHEMA, f"unreadable Parquet footer: {exc}") from None
    expected = arrow_schema(contract)
    problems = []
    if schema.names != expected.names:
        problems.append(f"columns {schema.names} != contract {expected.names}")
    else:
        for field in expected:
            actual = schema.field(field.name).type
            if not _same_type(actual, field.type):
                problems.append(f"{field.name}: {actual} != {field.type}")
    if problems:
        raise ContractViolation(ReasonCode.BAD_PARQUET_SCHEMA, "; ".join(problems))
    if rows == 0:
        raise ContractViolation(ReasonCode.HEADER_ONLY, "schema but no rows")


def validate_object(reader: ObjectReader, key: str, limits: ValidationLimits | None = None) -> Verdict:
    """Validate one landing object (``reader.size`` is its size); never raises for bad content."""
    limits = limits or ValidationLimits()
    entity, fmt = classify_key(key)
    try:
        contract, fmt = _check_key(key, reader.size, limits)
        if fmt == "parquet":
            _check_parquet(contract, reader)
        else:
            head = _read_text(reader, fmt, limits)
            (_check_jsonl if fmt == "jsonl" else _check_csv)(contract, head, limits)
    except ContractViolation as bad:
        return Verdict(entity=entity, format=fmt, reason=bad.reason, detail=bad.detail)
    return Verdict(entity=entity, format=fmt)
