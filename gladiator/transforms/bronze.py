"""Landing files -> bronze rows: every contract column as the raw text received, with lineage.

Parsing is done per file in Python with pyarrow (CSV, csv.gz, Parquet) or the ``json`` module
(JSON lines), inside a Spark ``mapInArrow`` over the list of claimed files: one file is one task,
so the two local cores parse two files at a time and nothing is collected on the driver. Python
parsing keeps the 1-based record number of every row (``_source_line``, header = line 1 for CSV,
as ``faults.json`` counts), which Spark's CSV reader loses.

A record that cannot be split into the contract's fields (wrong field count, a JSON line that is
not an object) is kept with ``_parse_error`` set and the raw text in ``_raw_record``: the job sends
it to quarantine as ``malformed_record``; nothing is silently dropped.

Values are never interpreted here: numbers keep their text (JSON numbers are read with
``parse_int=str``/``parse_float=str``), typed Parquet columns are formatted in the CSV text
formats (date ``YYYY-MM-DD``, timestamp ``YYYY-MM-DD HH:MM:SS.ffffff`` UTC).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gladiator.contracts import Contract

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

# Lineage columns of every bronze table (DESIGN §1, docs/HELPERS.md "Lake layout").
SOURCE = "_source"
SOURCE_FILE = "_source_file"
SOURCE_LINE = "_source_line"
BATCH_ID = "_batch_id"
INGESTED_AT = "_ingested_at"
METADATA_COLUMNS = (SOURCE, SOURCE_FILE, SOURCE_LINE, BATCH_ID, INGESTED_AT)
# Parser-only columns (never written to bronze).
PARSE_ERROR = "_parse_error"
RAW_RECORD = "_raw_record"

FORMATS = ("csv", "csv.gz", "jsonl", "parquet")
ROWS_PER_ARROW_BATCH = 65_536


@dataclass(frozen=True)
class LandingFile:
    """One claimed landing object: where it is and how to read it."""

    uri: str  # s3://bucket/key
    entity: str
    format: str  # one of FORMATS
    version_id: str | None = None


def format_of(key: str) -> str | None:
    """The landing format from a key's extension (``.csv``, ``.csv.gz``, ``.jsonl``, ``.parquet``)."""
    for fmt in sorted(FORMATS, key=len, reverse=True):
        if key.endswith("." + fmt):
            return fmt
    return None


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


def _table(contract: Contract, columns: dict[str, Any], lines: Any, errors: Any, raws: Any) -> pa.Table:
    import pyarrow as pa

    n = len(lines)
    arrays = []
    for name in contract.column_names:
        values = columns.get(name)
        if values is None:
            arrays.append(pa.nulls(n, pa.string()))
        elif isinstance(values, pa.ChunkedArray | pa.Array):
            arrays.append(values.cast(pa.string()))
        else:
            arrays.append(pa.array(values, pa.string()))
    arrays += [pa.array(lines, pa.int32()), pa.array(errors, pa.string()), pa.array(raws, pa.string())]
    return pa.Table.from_arrays(arrays, schema=parsed_schema(contract))


def parse_csv(data: bytes, contract: Contract) -> pa.Table:
    """RFC 4180 CSV (UTF-8, optional BOM, LF or CRLF, header line 1, empty field = NULL).

    Rows with the wrong number of fields come back with ``_parse_error`` set. Line numbers are
    record numbers (header = 1), which equal physical lines unless a quoted value holds a newline.
    """
    import pyarrow as pa
    import pyarrow.csv as pcsv

    bad: list[tuple[int, str, str]] = []

    def on_invalid_row(row: Any) -> str:
        detail = f"expected {row.expected_columns} fields, got {row.actual_columns}"
        bad.append((int(row.number or 0), detail, row.text))
        return "skip"

    header = data.split(b"\n", 1)[0].decode("utf-8-sig").strip("\r")
    names = next(iter(csv.reader([header])), [])
    table = pcsv.read_csv(
        io.BytesIO(data),
        read_options=pcsv.ReadOptions(use_threads=False, block_size=16 << 20),
        parse_options=pcsv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_invalid_row),
        convert_options=pcsv.ConvertOptions(
            column_types={n: pa.string() for n in names},
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
            null_values=[""],
        ),
    )
    bad_lines = {line for line, _, _ in bad}
    lines: list[int] = []
    line = 1
    while len(lines) < table.num_rows:
        line += 1
        if line not in bad_lines:
            lines.append(line)
    good = _table(
        contract,
        {n: table.column(n) for n in names if n in contract.column_names},
        lines,
        [None] * table.num_rows,
        [None] * table.num_rows,
    )
    if not bad:
        return good
    rejected = _table(
        contract,
        {},
        [line for line, _, _ in bad],
        [detail for _, detail, _ in bad],
        [text for _, _, text in bad],
    )
    return pa.concat_tables([good, rejected])


def _json_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, separators=(",", ":"))


def parse_jsonl(data: bytes, contract: Contract) -> pa.Table:
    """JSON lines, one object per line. Numbers keep their exact text; a line that is not a JSON
    object comes back with ``_parse_error`` set. Blank lines are skipped (their numbers kept)."""
    names = contract.column_names
    columns: dict[str, list[str | None]] = {n: [] for n in names}
    lines: list[int] = []
    errors: list[str | None] = []
    raws: list[str | None] = []
    text = data.decode("utf-8-sig")
    for number, raw in enumerate(text.split("\n"), start=1):
        record = raw.rstrip("\r")
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
            continue
        for n in names:
            columns[n].append(_json_text(obj.get(n)))
        lines.append(number)
        errors.append(None)
        raws.append(None)
    return _table(contract, columns, lines, errors, raws)


def _arrow_to_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A typed Parquet column as the CSV text format (lossless)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_timestamp(column.type):
        if column.type.tz is None:
            column = column.cast(pa.timestamp("us", tz="UTC"))
        return pc.strftime(column.cast(pa.timestamp("us", tz="UTC")), format="%Y-%m-%d %H:%M:%S")
    return column.cast(pa.string())


def parse_parquet(data: bytes, contract: Contract) -> pa.Table:
    """A Parquet file; typed columns are turned into their CSV text. Line = 1-based row number."""
    import pyarrow.parquet as pq

    table = pq.read_table(io.BytesIO(data))
    n = table.num_rows
    columns = {
        name: _arrow_to_text(table.column(name))
        for name in table.column_names
        if name in contract.column_names
    }
    return _table(contract, columns, list(range(1, n + 1)), [None] * n, [None] * n)


def parse_landing_file(data: bytes, fmt: str, contract: Contract) -> pa.Table:
    """Dispatch on the landing format (see FORMATS)."""
    if fmt == "csv":
        return parse_csv(data, contract)
    if fmt == "csv.gz":
        return parse_csv(gzip.decompress(data), contract)
    if fmt == "jsonl":
        return parse_jsonl(data, contract)
    if fmt == "parquet":
        return parse_parquet(data, contract)
    raise ValueError(f"unknown landing format {fmt!r}; expected one of {', '.join(FORMATS)}")


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


Fetch = Callable[[str, "str | None"], bytes]


def s3_fetcher(boto3_kwargs: dict[str, str]) -> Fetch:
    """A picklable ``(uri, version_id) -> bytes`` reading S3 with boto3 (client made lazily on the
    worker; credentials from the worker's environment or role)."""

    def fetch(uri: str, version_id: str | None) -> bytes:
        import boto3

        bucket, _, key = uri.removeprefix("s3://").removeprefix("s3a://").partition("/")
        client = boto3.client("s3", **boto3_kwargs)  # type: ignore[call-overload]
        extra = {"VersionId": version_id} if version_id else {}
        return bytes(client.get_object(Bucket=bucket, Key=key, **extra)["Body"].read())

    return fetch


def read_landing_files(
    spark: SparkSession, files: Sequence[LandingFile], contract: Contract, fetch: Fetch
) -> DataFrame:
    """The parsed rows of ``files`` (all of ``contract``'s entity): contract columns as text,
    ``_source_file``, ``_source_line``, ``_parse_error``, ``_raw_record``. One Spark task per file."""
    from pyspark.sql import types as T

    def parse_partition(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import pyarrow as pa

        for batch in batches:
            for uri, fmt, version_id in zip(
                batch.column("uri").to_pylist(),
                batch.column("format").to_pylist(),
                batch.column("version_id").to_pylist(),
                strict=True,
            ):
                table = parse_landing_file(fetch(uri, version_id), fmt, contract)
                table = table.add_column(
                    len(contract.column_names),
                    pa.field(SOURCE_FILE, pa.string()),
                    pa.array([uri] * table.num_rows, pa.string()),
                )
                yield from table.to_batches(max_chunksize=ROWS_PER_ARROW_BATCH)

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
        F.lit(ReasonCode.MALFORMED_RECORD.value).alias("_reason"),
        F.concat_ws(": ", F.col(PARSE_ERROR), F.col(RAW_RECORD)).alias("_reason_detail"),
    )
