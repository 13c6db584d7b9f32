"""Landing files -> bronze rows: every contract column as the raw text received, with lineage.

Parsing is done per file in Python with pyarrow (CSV, csv.gz, Parquet) or the ``json`` module
(JSON lines), inside a Spark ``mapInArrow`` over the list of claimed files: one file is one task,
so the two local cores parse two files at a time and nothing is collected on the driver. Each
task copies its object to local disk and streams it in blocks, so a worker's memory does not grow
with the file's size. Python parsing keeps the 1-based record number of every row
(``_source_line``, header = line 1 for CSV, as ``faults.json`` counts), which Spark's CSV reader
loses.

A record that cannot be split into the contract's fields (wrong field count, a JSON line that is
not an object) is kept with ``_parse_error`` set and the raw text in ``_raw_record``: the job sends
it to quarantine as ``malformed_record``; nothing is silently dropped.

Values are never interpreted here: numbers keep their text (JSON numbers are read with
``parse_int=str``/``parse_float=str``), typed Parquet columns are formatted in the CSV text
formats (date ``YYYY-MM-DD``, timestamp ``YYYY-MM-DD HH:MM:SS.ffffff`` UTC).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gladiator.contracts import Contract
from gladiator.formats import FORMATS

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

    from gladiator.config import Settings

# Lineage columns of every bronze table (DESIGN §1, docs/HELPERS.md "Lake layout").
SOURCE = "_source"
SOURCE_FILE = "_source_file"
SOURCE_LINE = "_source_line"
BATCH_ID = "_batch_id"
INGESTED_AT = "_ingested_at"
METADATA_COLUMNS = (SOURCE, SOURCE_FILE, SOURCE_LINE, BATCH_ID, INGESTED_AT)
# Quarantine rows (and the stream's dead letters) are these columns + why they were rejected.
REASON = "_reason"
REASON_DETAIL = "_reason_detail"
# Parser-only columns (never written to bronze).
PARSE_ERROR = "_parse_error"
RAW_RECORD = "_raw_record"

ROWS_PER_ARROW_BATCH = 65_536
# pyarrow's streaming CSV reader reads a fixed number of blocks ahead: with 1 MB blocks a worker
# holds ~160 MB whatever the file's size (16 MB blocks: ~500 MB), at the same parse speed.
CSV_BLOCK_BYTES = 1 << 20


@dataclass(frozen=True)
class LandingFile:
    """One claimed landing object: where it is and how to read it."""

    uri: str  # s3://bucket/key
    entity: str
    format: str  # one of FORMATS
    version_id: str | None = None


# --- pure parsers: bytes -> Arrow table of strings ------------------------------------------


def parsed_schema(contract: Contract) -> pa.Schema:
    """Arrow schema a parser returns: contract columns as strings, line, and the parse error."""
    import pyarrow as pa

    return pa.schema(
        [pa.field(c, pa.string()) for c in contract.column_names]
        + [
            pa.field(SOURCE_LINE, pa.int32()),
            pa.field(PARSE_ERROR, pa.string()),
            pa.field(RAW_RECORD, pa.string()),
        ]
    )


def _batch(contract: Contract, columns: dict[str, Any], lines: Any, errors: Any, raws: Any) -> pa.RecordBatch:
    """One batch of the parser schema; contract columns missing from ``columns`` are NULL."""
    import pyarrow as pa

    n = len(lines)
    arrays = []
    for name in contract.column_names:
        values = columns.get(name)
        if values is None:
            arrays.append(pa.nulls(n, pa.string()))
        elif isinstance(values, pa.Array):
            arrays.append(values.cast(pa.string()))
        else:
            arrays.append(pa.array(values, pa.string()))
    arrays += [pa.array(lines, pa.int32()), pa.array(errors, pa.string()), pa.array(raws, pa.string())]
    return pa.RecordBatch.from_arrays(arrays, schema=parsed_schema(contract))


def _open(source: bytes | str, *, gzipped: bool = False) -> pa.NativeFile:
    """A fresh Arrow input stream over ``source`` (gunzipped on the fly if ``gzipped``)."""
    import pyarrow as pa

    raw = pa.BufferReader(source) if isinstance(source, bytes) else pa.OSFile(source, "rb")
    return pa.CompressedInputStream(raw, "gzip") if gzipped else raw


def _csv_header(source: bytes | str, gzipped: bool) -> list[str]:
    head = b""
    with _open(source, gzipped=gzipped) as stream:
        while b"\n" not in head:
            chunk = stream.read(1 << 16)
            if not chunk:
                break
            head += chunk
    line = head.split(b"\n", 1)[0].decode("utf-8-sig").strip("\r")
    return next(iter(csv.reader([line])), [])


def iter_csv(source: bytes | str, contract: Contract, *, gzipped: bool = False) -> Iterator[pa.RecordBatch]:
    """RFC 4180 CSV (UTF-8, optional BOM, LF or CRLF, header line 1, empty field = NULL), read in
    blocks of ``CSV_BLOCK_BYTES`` so memory stays flat whatever the file's size.

    Rows with the wrong number of fields come back with ``_parse_error`` set. Line numbers are
    record numbers (header = 1), which equal physical lines unless a quoted value holds a newline.
    """
    import pyarrow as pa
    import pyarrow.csv as pcsv

    bad: list[tuple[int, str, str]] = []
    bad_lines: set[int] = set()

    def on_invalid_row(row: Any) -> str:
        detail = f"expected {row.expected_columns} fields, got {row.actual_columns}"
        bad.append((int(row.number or 0), detail, row.text))
        bad_lines.add(int(row.number or 0))
        return "skip"

    names = _csv_header(source, gzipped)
    line = 1  # the last record number given to a good row
    with _open(source, gzipped=gzipped) as stream:
        reader = pcsv.open_csv(
            stream,
            # One thread: the invalid-row handler then knows each record's number, and every bad
            # record of a block is reported before the block's good rows are returned.
            read_options=pcsv.ReadOptions(use_threads=False, block_size=CSV_BLOCK_BYTES),
            parse_options=pcsv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_invalid_row),
            convert_options=pcsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
                null_values=[""],
            ),
        )
        for batch in reader:
            lines: list[int] = []
            while len(lines) < batch.num_rows:
                line += 1
                if line not in bad_lines:
                    lines.append(line)
            n = batch.num_rows
            columns = {name: batch.column(name) for name in names if name in contract.column_names}
            yield _batch(contract, columns, lines, [None] * n, [None] * n)
            if bad:
                yield _batch(contract, {}, *map(list, zip(*bad, strict=True)))
                bad.clear()
    if bad:
        yield _batch(contract, {}, *map(list, zip(*bad, strict=True)))


def _json_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, separators=(",", ":"))


def iter_jsonl(source: bytes | str, contract: Contract) -> Iterator[pa.RecordBatch]:
    """JSON lines, one object per line, read line by line. Numbers keep their exact text; a line
    that is not a JSON object comes back with ``_parse_error`` set. Blank lines are skipped (their
    numbers kept)."""
    names = contract.column_names

    def empty() -> tuple[dict[str, list[str | None]], list[int], list[str | None], list[str | None]]:
        return {n: [] for n in names}, [], [], []

    columns, lines, errors, raws = empty()
    with io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb") as stream:
        for number, raw_bytes in enumerate(stream, start=1):
            record = raw_bytes.decode("utf-8-sig" if number == 1 else "utf-8").rstrip("\n").rstrip("\r")
            if not record.strip():
                continue
            try:
                obj = json.loads(record, parse_float=str, parse_int=str)
                if not isinstance(obj, dict):
                    raise ValueError(f"a JSON {type(obj).__name__}, not an object")
            except ValueError as exc:
                for n in names:
                    columns[n].append(None)
                lines.append(number)
                errors.append(f"not a JSON object: {exc}")
                raws.append(record)
            else:
                for n in names:
                    columns[n].append(_json_text(obj.get(n)))
                lines.append(number)
                errors.append(None)
                raws.append(None)
            if len(lines) >= ROWS_PER_ARROW_BATCH:
                yield _batch(contract, columns, lines, errors, raws)
                columns, lines, errors, raws = empty()
    if lines:
        yield _batch(contract, columns, lines, errors, raws)


def _arrow_to_text(column: pa.Array) -> pa.Array:
    """A typed Parquet column as the CSV text format (lossless)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_timestamp(column.type):
        if column.type.tz is None:
            column = column.cast(pa.timestamp("us", tz="UTC"))
        return pc.strftime(column.cast(pa.timestamp("us", tz="UTC")), format="%Y-%m-%d %H:%M:%S")
    return column.cast(pa.string())


def iter_parquet(source: bytes | str, contract: Contract) -> Iterator[pa.RecordBatch]:
    """A Parquet file, batch by batch; typed columns are turned into their CSV text.
    Line = 1-based row number."""
    import pyarrow.parquet as pq

    first = 1
    with pq.ParquetFile(_open(source)) as file:
        wanted = [n for n in file.schema_arrow.names if n in contract.column_names]
        for batch in file.iter_batches(batch_size=ROWS_PER_ARROW_BATCH, columns=wanted):
            n = batch.num_rows
            columns = {name: _arrow_to_text(batch.column(name)) for name in wanted}
            yield _batch(contract, columns, list(range(first, first + n)), [None] * n, [None] * n)
            first += n


def iter_landing_file(source: bytes | str, fmt: str, contract: Contract) -> Iterator[pa.RecordBatch]:
    """The parsed records of one landing file (its bytes, or a local path), in Arrow batches of at
    most ``ROWS_PER_ARROW_BATCH`` rows (see FORMATS)."""
    if fmt == "csv":
        return iter_csv(source, contract)
    if fmt == "csv.gz":
        return iter_csv(source, contract, gzipped=True)
    if fmt == "jsonl":
        return iter_jsonl(source, contract)
    if fmt == "parquet":
        return iter_parquet(source, contract)
    raise ValueError(f"unknown landing format {fmt!r}; expected one of {', '.join(FORMATS)}")


def parse_landing_file(source: bytes | str, fmt: str, contract: Contract) -> pa.Table:
    """The whole of one landing file as one Arrow table (tests and small files)."""
    import pyarrow as pa

    return pa.Table.from_batches(
        list(iter_landing_file(source, fmt, contract)), schema=parsed_schema(contract)
    )


# --- Spark: files -> bronze DataFrame ------------------------------------------------------


def bronze_schema(contract: Contract) -> StructType:
    """The bronze table schema: contract columns as strings + lineage (docs/HELPERS.md)."""
    from pyspark.sql import types as T

    return T.StructType(
        [T.StructField(c, T.StringType(), True) for c in contract.column_names]
        + [
            T.StructField(SOURCE, T.StringType(), True),
            T.StructField(SOURCE_FILE, T.StringType(), True),
            T.StructField(SOURCE_LINE, T.IntegerType(), True),
            T.StructField(BATCH_ID, T.StringType(), True),
            T.StructField(INGESTED_AT, T.TimestampType(), True),
        ]
    )


def _parsed_spark_schema(contract: Contract) -> StructType:
    from pyspark.sql import types as T

    return T.StructType(
        [T.StructField(c, T.StringType(), True) for c in contract.column_names]
        + [
            T.StructField(SOURCE_FILE, T.StringType(), True),
            T.StructField(SOURCE_LINE, T.IntegerType(), True),
            T.StructField(PARSE_ERROR, T.StringType(), True),
            T.StructField(RAW_RECORD, T.StringType(), True),
        ]
    )


Fetch = Callable[[str, "str | None", str], None]


def s3_fetcher(settings: Settings) -> Fetch:
    """A picklable ``(uri, version_id, local_path) -> None`` that copies one S3 object version to a
    local file with boto3, one GET streamed in 1 MB pieces (client made lazily on the worker;
    credentials from the worker's environment or role). ``download_file``'s threaded ranged GETs
    took 5.0 s against 0.3 s for a 286 MB object on the emulator, and buffer more."""

    def fetch(uri: str, version_id: str | None, local_path: str) -> None:
        import shutil

        bucket, _, key = uri.removeprefix("s3://").removeprefix("s3a://").partition("/")
        client = settings.client("s3")
        extra = {"VersionId": version_id} if version_id else {}
        body = client.get_object(Bucket=bucket, Key=key, **extra)["Body"]
        with open(local_path, "wb") as out:
            shutil.copyfileobj(body, out, 1 << 20)

    return fetch


def read_landing_files(
    spark: SparkSession, files: Sequence[LandingFile], contract: Contract, fetch: Fetch
) -> DataFrame:
    """The parsed rows of ``files`` (all of ``contract``'s entity): contract columns as text,
    ``_source_file``, ``_source_line``, ``_parse_error``, ``_raw_record``. One Spark task per file."""
    from pyspark.sql import types as T

    def parse_partition(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import os
        import tempfile

        import pyarrow as pa

        n_columns = len(contract.column_names)
        schema = parsed_schema(contract).insert(n_columns, pa.field(SOURCE_FILE, pa.string()))
        for batch in batches:
            for uri, fmt, version_id in zip(
                batch.column("uri").to_pylist(),
                batch.column("format").to_pylist(),
                batch.column("version_id").to_pylist(),
                strict=True,
            ):
                with tempfile.TemporaryDirectory(prefix="gladiator-landing-") as tmp:
                    local = os.path.join(tmp, "object")
                    fetch(uri, version_id, local)
                    for parsed in iter_landing_file(local, fmt, contract):
                        source_file = pa.array([uri] * parsed.num_rows, pa.string())
                        columns = parsed.columns
                        yield pa.RecordBatch.from_arrays(
                            [*columns[:n_columns], source_file, *columns[n_columns:]], schema=schema
                        )

    file_schema = T.StructType(
        [
            T.StructField("uri", T.StringType()),
            T.StructField("format", T.StringType()),
            T.StructField("version_id", T.StringType()),
        ]
    )
    rows = [(f.uri, f.format, f.version_id) for f in files]
    listing = spark.createDataFrame(
        spark.sparkContext.parallelize(rows, numSlices=max(1, len(rows))), file_schema
    )
    return listing.mapInArrow(parse_partition, _parsed_spark_schema(contract))  # type: ignore[arg-type]


def to_bronze(parsed: DataFrame, contract: Contract, *, batch_id: str, ingested_at: Any) -> DataFrame:
    """Well-formed parsed rows as bronze rows (``_source`` = "file")."""
    from pyspark.sql import functions as F

    return parsed.where(F.col(PARSE_ERROR).isNull()).select(
        *contract.column_names,
        F.lit("file").alias(SOURCE),
        SOURCE_FILE,
        SOURCE_LINE,
        F.lit(batch_id).alias(BATCH_ID),
        F.lit(ingested_at).cast("timestamp").alias(INGESTED_AT),
    )


def malformed_to_quarantine(
    parsed: DataFrame, contract: Contract, *, batch_id: str, ingested_at: Any
) -> DataFrame:
    """Rows that could not be split into fields, as quarantine rows (``malformed_record``)."""
    from pyspark.sql import functions as F

    from gladiator.contracts import ReasonCode

    return parsed.where(F.col(PARSE_ERROR).isNotNull()).select(
        *contract.column_names,
        F.lit("file").alias(SOURCE),
        SOURCE_FILE,
        SOURCE_LINE,
        F.lit(batch_id).alias(BATCH_ID),
        F.lit(ingested_at).cast("timestamp").alias(INGESTED_AT),
        F.lit(ReasonCode.MALFORMED_RECORD.value).alias(REASON),
        F.concat_ws(": ", F.col(PARSE_ERROR), F.col(RAW_RECORD)).alias(REASON_DETAIL),
    )
