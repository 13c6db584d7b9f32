"""MySQL extraction planning (the Sqoop replacement) and the bronze shape of extracted rows.

Pure: no connection is opened here. ``gladiator.jobs.mysql_to_bronze`` runs the plans.

Incremental extraction on ``updated_at`` (every OLTP table has it, indexed):
- a run reads ``low < updated_at <= high`` where ``high`` is the table's ``MAX(updated_at)`` taken
  when the run starts and ``low`` is where the previous run's view of the table was complete
  (``resume_from``). A row is stamped at statement time and may commit later, so a run that read
  past its ``updated_at`` cannot have seen it: right after reading ``high`` a run asks the source
  for the start of its oldest open transaction (``oldest_open_transaction_query``), and
  ``resume_from = min(high, that start)``. Every row committed later carries an ``updated_at`` at or
  after that start (an open transaction's) or after ``high`` (a later one), so the next window
  catches it, and nothing already read is read again when no transaction was open. Where the
  source refuses that query (no PROCESS privilege), ``low`` is the watermark minus a fixed
  **safety overlap**, as before: re-reading a row is harmless because silver MERGEs with the
  ordering guard (newer ``updated_at`` wins, an equal version is a no-op), only slower.
- the watermark advances to ``high`` only after the bronze append committed; a retried batch
  reuses the range it planned first (kept in job state), so a crash between the two steps neither
  loses the rows in between nor extracts a wider range under an already used batch number.
- full mode reads every row (``updated_at <= high``) and sets the watermark the same way.

Parallel reads split on the first primary-key column (a BIGINT): Spark's
partitionColumn/lowerBound/upperBound/numPartitions, bounds from ``MIN``/``MAX`` of the rows to
read, the number of partitions from their count. ``fetchsize`` makes MariaDB Connector/J stream
rows instead of buffering the whole result.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

from gladiator.contracts import Contract
from gladiator.errors import ConfigurationError
from gladiator.transforms.bronze import BATCH_ID, INGESTED_AT, SOURCE, SOURCE_FILE, SOURCE_LINE

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

DEFAULT_OVERLAP = timedelta(minutes=5)
DEFAULT_FETCHSIZE = 10_000
DEFAULT_ROWS_PER_PARTITION = 250_000
DEFAULT_MAX_PARTITIONS = 8
MARIADB_DRIVER = "org.mariadb.jdbc.Driver"
TIMESTAMP_FORMAT = "yyyy-MM-dd HH:mm:ss.SSSSSS"  # the landing CSV format (HELPERS.md)


@dataclass(frozen=True, kw_only=True)
class JdbcSource:
    url: str  # jdbc:mariadb://host:port/database
    user: str
    password: str
    database: str

    @property
    def properties(self) -> dict[str, str]:
        return {"user": self.user, "password": self.password, "driver": MARIADB_DRIVER}


def jdbc_source(mysql_url: str, database: str | None = None) -> JdbcSource:
    """``mysql://user:password@host:port/db`` (Settings.mysql_url) -> the MariaDB JDBC source."""
    parsed = urlparse(mysql_url)
    if parsed.scheme not in ("mysql", "mariadb") or not parsed.hostname:
        raise ConfigurationError(
            f"mysql url must look like mysql://user:password@host:port/db, got {mysql_url!r}"
        )
    db = database or parsed.path.lstrip("/") or "retail"
    port = parsed.port or 3306
    # Spark has no MariaDB dialect for jdbc:mariadb URLs and quotes column names with double
    # quotes, which MySQL reads as string literals (every value would be its column's name):
    # ANSI_QUOTES makes them identifiers. time_zone: DATETIME(6) values are UTC, read as such.
    return JdbcSource(
        url=f"jdbc:mariadb://{parsed.hostname}:{port}/{db}?sessionVariables=time_zone='+00:00',sql_mode='ANSI_QUOTES'",
        user=unquote(parsed.username or ""),
        password=unquote(parsed.password or ""),
        database=db,
    )


@dataclass(frozen=True, kw_only=True)
class ExtractRange:
    """The ``updated_at`` window of one extraction: ``low`` exclusive (None: from the start),
    ``high`` inclusive."""

    low: datetime | None
    high: datetime


def plan_range(
    *,
    watermark: datetime | None,
    source_max: datetime | None,
    full: bool,
    overlap: timedelta = DEFAULT_OVERLAP,
    resume_from: datetime | None = None,
) -> ExtractRange | None:
    """The window to read, or None when the source is empty.

    ``high`` never goes below the stored watermark, so a source whose newest row was deleted
    cannot move the watermark backwards. ``low`` is ``resume_from`` when the previous run knew it
    (see the module docstring), else ``watermark - overlap``.
    """
    if source_max is None:
        return None
    high = max(source_max, watermark) if watermark else source_max
    if full or watermark is None:
        return ExtractRange(low=None, high=high)
    low = resume_from if resume_from is not None else watermark - overlap
    return ExtractRange(low=min(low, high), high=high)


def resume_point(high: datetime, oldest_open_age: timedelta | None, source_now: datetime) -> datetime:
    """Where the next window starts after a run that read up to ``high``: ``high``, or earlier if
    a transaction older than ``high`` was still open (its rows are stamped at or after its start;
    one second earlier still, since the source reports transaction starts to the second)."""
    if oldest_open_age is None:
        return high
    return min(high, source_now - oldest_open_age - timedelta(seconds=1))


def max_updated_at_query(tables: list[str], column: str = "updated_at") -> str:
    """One query for ``MAX(updated_at)`` of every table (rows ``(table, max as text)``)."""
    return " UNION ALL ".join(
        f"SELECT '{t}', DATE_FORMAT(MAX(`{column}`), '%Y-%m-%d %H:%i:%s.%f') FROM `{t}`" for t in tables
    )


# The source's clock and the age of its oldest open transaction that has written rows (NULL:
# none), in microseconds. Read right after MAX(updated_at): see the module docstring. A row is
# stamped when its statement runs, so a transaction that has not written yet can only stamp rows
# later than now (> high): read-only transactions (an idle connection's open read view) are left
# out, or one forgotten connection would hold every window back. Needs the PROCESS privilege.
OLDEST_OPEN_TRANSACTION_QUERY = (
    "SELECT DATE_FORMAT(NOW(6), '%Y-%m-%d %H:%i:%s.%f'), "
    "TIMESTAMPDIFF(MICROSECOND, MIN(trx_started), NOW(6)) FROM information_schema.innodb_trx "
    "WHERE trx_rows_modified > 0"
)


def _literal(ts: datetime) -> str:
    return "'" + ts.strftime("%Y-%m-%d %H:%M:%S.%f") + "'"


def window_predicate(window: ExtractRange, column: str = "updated_at") -> str:
    """SQL condition of the window (MySQL DATETIME(6) literals, UTC)."""
    upper = f"`{column}` <= {_literal(window.high)}"
    if window.low is None:
        return upper
    return f"`{column}` > {_literal(window.low)} AND {upper}"


def split_column(contract: Contract) -> str:
    """The column parallel reads split on: the first primary-key column (a BIGINT key)."""
    first = contract.primary_key[0]
    if contract.column(first).type not in ("bigint", "int"):
        raise ConfigurationError(f"{contract.name}: cannot split on non-integer key {first}")
    return first


def num_partitions(
    rows: int,
    *,
    rows_per_partition: int = DEFAULT_ROWS_PER_PARTITION,
    max_partitions: int = DEFAULT_MAX_PARTITIONS,
) -> int:
    """How many parallel JDBC reads for ``rows`` rows (>= 1, <= max_partitions)."""
    return max(1, min(max_partitions, math.ceil(rows / max(1, rows_per_partition))))


@dataclass(frozen=True, kw_only=True)
class ExtractPlan:
    """Everything ``spark.read.jdbc`` needs for one table."""

    table: str
    dbtable: str  # "(SELECT ... WHERE window) AS src"
    partition_column: str
    lower_bound: int
    upper_bound: int
    num_partitions: int
    fetchsize: int
    window: ExtractRange
    expected_rows: int

    def options(self) -> dict[str, str]:
        opts = {"dbtable": self.dbtable, "fetchsize": str(self.fetchsize)}
        if self.num_partitions > 1:
            opts |= {
                "partitionColumn": self.partition_column,
                "lowerBound": str(self.lower_bound),
                "upperBound": str(self.upper_bound),
                "numPartitions": str(self.num_partitions),
            }
        return opts


def bounds_query(contract: Contract, window: ExtractRange) -> str:
    """MIN/MAX of the split column and COUNT of the rows in the window (one indexed query)."""
    key = split_column(contract)
    return (
        f"SELECT MIN(`{key}`), MAX(`{key}`), COUNT(*) FROM `{contract.name}` WHERE {window_predicate(window)}"
    )


def plan_extract(
    contract: Contract,
    window: ExtractRange,
    *,
    min_key: int | None,
    max_key: int | None,
    rows: int,
    fetchsize: int = DEFAULT_FETCHSIZE,
    rows_per_partition: int = DEFAULT_ROWS_PER_PARTITION,
    max_partitions: int = DEFAULT_MAX_PARTITIONS,
) -> ExtractPlan:
    """The JDBC read of ``contract``'s rows in ``window`` (bounds from ``bounds_query``)."""
    columns = ", ".join(f"`{c}`" for c in contract.column_names)
    dbtable = f"(SELECT {columns} FROM `{contract.name}` WHERE {window_predicate(window)}) AS src"
    parts = num_partitions(rows, rows_per_partition=rows_per_partition, max_partitions=max_partitions)
    return ExtractPlan(
        table=contract.name,
        dbtable=dbtable,
        partition_column=split_column(contract),
        lower_bound=min_key or 0,
        upper_bound=(max_key or 0) + 1,
        num_partitions=parts if rows and min_key is not None and max_key != min_key else 1,
        fetchsize=fetchsize,
        window=window,
        expected_rows=rows,
    )


def to_bronze(df: DataFrame, contract: Contract, *, database: str, batch_id: str) -> DataFrame:
    """Typed extracted rows -> the bronze shape: every contract column as STRING, plus metadata.

    Strings are lossless and in the landing text formats: decimals plain (``-12.30``), dates
    ``YYYY-MM-DD``, timestamps ``YYYY-MM-DD HH:MM:SS.ffffff`` (UTC), NULL stays NULL.
    """
    from pyspark.sql import functions as F

    def as_text(name: str) -> F.Column:
        if contract.column(name).type == "timestamp":
            return F.date_format(F.col(name), TIMESTAMP_FORMAT)
        return F.col(name).cast("string")

    return df.select(
        *[as_text(c).alias(c) for c in contract.column_names],
        F.lit("mysql").alias(SOURCE),
        F.lit(f"mysql://{database}/{contract.name}").alias(SOURCE_FILE),
        F.lit(None).cast("int").alias(SOURCE_LINE),
        F.lit(batch_id).alias(BATCH_ID),
        F.current_timestamp().alias(INGESTED_AT),
    )
