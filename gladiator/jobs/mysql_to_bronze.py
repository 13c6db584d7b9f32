"""mysql_to_bronze (the Sqoop replacement): parallel JDBC reads of the OLTP tables into bronze.

Per table, in contract (foreign-key) order, the sequence that makes it exactly-once in effect
(the window and overlap rules are in ``gladiator.transforms.extract``):

1. read the watermark item (job-state pk ``watermark#mysql#<table>``, sk ``state``); a pending
   plan left by a crashed run is either finished (its bronze append committed: advance the
   watermark) or dropped (nothing committed: the next plan covers its window again);
2. plan the window (or reuse this batch's pending plan on a retry) and store it as pending;
3. bounds query; then, only if the window holds rows, the partitioned JDBC read; rows cast to
   bronze strings;
4. idempotent bronze append (``txnAppId`` ``mysql_to_bronze.<table>``, ``txnVersion`` batch_seq);
5. advance the watermark to the window's high end (conditional on the pending plan), with the
   point the next window resumes from (``extract.resume_point``).
bronze_to_silver then MERGEs the batch's rows (``_batch_id``) with the ordering guard.

What costs nothing: the source's metadata (every table's ``MAX(updated_at)`` in one query, the
open transactions, the window's bounds) is read through one plain connection (``SourceProbe``),
and Spark is started only for a table whose window holds rows or whose earlier run died half-way.
A batch in which no OLTP row changed starts no Spark at all. Each table's extracted row count is
recorded with the batch (``RunStore.put_input``), so bronze_to_silver visits only entities with
input.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from gladiator import lake
from gladiator.contracts import CONTRACTS
from gladiator.timestamps import TEXT_FORMAT, utc_now_iso
from gladiator.transforms import extract

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger(__name__)

_TS = TEXT_FORMAT  # the contract text format of a timestamp


def app_id(table: str) -> str:
    return f"mysql_to_bronze.{table}"


def _ts(text: str | None) -> datetime | None:
    return datetime.strptime(text, _TS) if text else None


def _text(ts: datetime | None) -> str | None:
    return ts.strftime(_TS) if ts else None


@dataclass(frozen=True)
class WatermarkState:
    watermark: datetime | None
    pending_seq: int | None = None
    pending: extract.ExtractRange | None = None
    resume_from: datetime | None = None  # the next window's low end (None: watermark - overlap)
    last_batch_seq: int | None = None  # the batch that committed the watermark


class WatermarkStore:
    """Extraction watermarks in the job-state table (``client``: a boto3 DynamoDB client)."""

    def __init__(self, table_name: str, client: Any) -> None:
        self.table_name = table_name
        self.client = client

    @staticmethod
    def key(table: str) -> dict[str, Any]:
        return {"pk": {"S": f"watermark#mysql#{table}"}, "sk": {"S": "state"}}

    def get(self, table: str) -> WatermarkState:
        item = self.client.get_item(TableName=self.table_name, Key=self.key(table), ConsistentRead=True).get(
            "Item"
        )
        if not item:
            return WatermarkState(watermark=None)
        text = {k: v.get("S") or v.get("N") for k, v in item.items()}
        pending = None
        if text.get("pending_high"):
            pending = extract.ExtractRange(low=_ts(text.get("pending_low")), high=_ts(text["pending_high"]))  # type: ignore[arg-type]
        seq, last = text.get("pending_seq"), text.get("last_batch_seq")
        return WatermarkState(
            watermark=_ts(text.get("watermark")),
            pending_seq=int(seq) if seq else None,
            pending=pending,
            resume_from=_ts(text.get("resume_from")),
            last_batch_seq=int(last) if last else None,
        )

    def set_pending(self, table: str, seq: int, window: extract.ExtractRange) -> None:
        values = {
            ":seq": {"N": str(seq)},
            ":high": {"S": _text(window.high)},
            ":low": {"S": _text(window.low) or ""},
        }
        self.client.update_item(
            TableName=self.table_name,
            Key=self.key(table),
            UpdateExpression="SET pending_seq = :seq, pending_low = :low, pending_high = :high",
            ExpressionAttributeValues=values,
        )

    def commit(
        self, table: str, seq: int, high: datetime, rows: int, resume_from: datetime | None = None
    ) -> None:
        """Advance the watermark to ``high`` and clear the pending plan of batch ``seq``; the next
        window starts at ``resume_from`` (None: the watermark minus the overlap)."""
        values = {
            ":high": {"S": _text(high)},
            ":seq": {"N": str(seq)},
            ":rows": {"N": str(rows)},
            ":now": {"S": utc_now_iso()},
        }
        update = "SET watermark = :high, last_batch_seq = :seq, last_rows = :rows, committed_at = :now"
        remove = "REMOVE pending_seq, pending_low, pending_high"
        if resume_from is not None:
            values[":resume"] = {"S": _text(resume_from)}
            update += ", resume_from = :resume"
        else:
            remove += ", resume_from"
        self.client.update_item(
            TableName=self.table_name,
            Key=self.key(table),
            UpdateExpression=f"{update} {remove}",
            ConditionExpression="pending_seq = :seq",
            ExpressionAttributeValues=values,
        )


def _jdbc(spark: SparkSession, source: extract.JdbcSource, **options: str) -> DataFrame:
    reader = spark.read.format("jdbc").option("url", source.url)
    for key, value in {**source.properties, **options}.items():
        reader = reader.option(key, value)
    return reader.load()


class SourceProbe:
    """The source's metadata through one plain connection (no Spark): the base tables, every
    table's ``MAX(updated_at)``, the open transactions, a window's bounds. ``connect`` returns a
    DB-API connection in autocommit mode with a UTC session (``gladiator.oltp.connection``)."""

    def __init__(self, connect: Callable[[], Any], database: str) -> None:
        self._connect, self.database = connect, database
        self._conn: Any = None

    def _rows(self, sql: str) -> list[tuple[Any, ...]]:
        if self._conn is None:
            self._conn = self._connect()
        with self._conn.cursor() as cur:
            cur.execute(sql)
            return list(cur.fetchall())

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def existing_tables(self) -> set[str]:
        return {
            str(r[0])
            for r in self._rows(
                "SELECT table_name FROM information_schema.tables "
                f"WHERE table_schema = '{self.database}' AND table_type = 'BASE TABLE'"
            )
        }

    def max_updated_at(self, tables: list[str]) -> dict[str, datetime | None]:
        if not tables:
            return {}
        return {str(t): _ts(m) for t, m in self._rows(extract.max_updated_at_query(tables))}

    def resume_point(self, high: datetime) -> datetime | None:
        """``extract.resume_point`` for a run that read up to ``high``; None if the source will
        not list its open transactions (then the next window falls back to the overlap)."""
        try:
            ((now, age_us),) = self._rows(extract.OLDEST_OPEN_TRANSACTION_QUERY)
        except Exception as exc:  # typically error 1227: the PROCESS privilege is missing
            log.warning(
                "mysql: cannot list open transactions (%s); the next window re-reads the overlap", exc
            )
            return None
        age = timedelta(microseconds=int(age_us)) if age_us is not None else None
        return extract.resume_point(high, age, _ts(now) or high)

    def bounds(self, contract: Any, window: extract.ExtractRange) -> tuple[int | None, int | None, int]:
        ((lo, hi, rows),) = self._rows(extract.bounds_query(contract, window))
        return lo, hi, int(rows or 0)


def pymysql_probe(mysql_url: str, database: str) -> SourceProbe:
    """The probe over ``gladiator.oltp.connection`` (pymysql, UTC session, autocommit: its own
    reads never show up as an open transaction)."""
    from gladiator.oltp.connection import connect

    return SourceProbe(lambda: connect(mysql_url, database, autocommit=True), database)


SparkFactory = Callable[[], "SparkSession"]
RecordInput = Callable[[str, int], None]  # (table, rows extracted for the batch)


def extract_table(
    spark: SparkFactory,
    source: extract.JdbcSource,
    store: WatermarkStore,
    table: str,
    *,
    probe: SourceProbe,
    source_max: datetime | None,
    bronze_path: str,
    batch_id: str,
    batch_seq: int,
    full: bool = False,
    fetchsize: int = extract.DEFAULT_FETCHSIZE,
    max_partitions: int = extract.DEFAULT_MAX_PARTITIONS,
    rows_per_partition: int = extract.DEFAULT_ROWS_PER_PARTITION,
    overlap: Any = extract.DEFAULT_OVERLAP,
    record_input: RecordInput | None = None,
) -> dict[str, Any]:
    """Extract one table into bronze for batch ``batch_seq``; returns what was done.
    ``spark()`` is called only if rows are read or a half-finished earlier run is checked;
    ``record_input(table, rows)`` is called before the bronze append."""
    contract = CONTRACTS[table]
    state = store.get(table)
    if state.pending is not None and state.pending_seq is not None:
        committed = lake.committed_txn_version(spark(), bronze_path, app_id(table))
        if state.pending_seq != batch_seq and committed is not None and committed >= state.pending_seq:
            # an earlier run appended its rows, then died before recording it: record it now
            store.commit(table, state.pending_seq, state.pending.high, -1)
            state = store.get(table)
        elif committed is not None and committed >= batch_seq and state.pending_seq != batch_seq:
            return {"table": table, "skipped": "batch already extracted"}
    elif state.last_batch_seq is not None and state.last_batch_seq >= batch_seq:
        return {"table": table, "skipped": "batch already extracted"}
    window: extract.ExtractRange | None
    if state.pending and state.pending_seq == batch_seq:
        window = state.pending  # a retry reads the window it planned first
    else:
        window = extract.plan_range(
            watermark=state.watermark,
            source_max=source_max,
            full=full,
            overlap=overlap,
            resume_from=state.resume_from,
        )
        if window is None:
            return {"table": table, "rows": 0, "skipped": "empty source table"}
        store.set_pending(table, batch_seq, window)
    resume_from = probe.resume_point(window.high)  # after MAX(updated_at), before the read
    min_key, max_key, rows = probe.bounds(contract, window)
    plan = extract.plan_extract(
        contract,
        window,
        min_key=min_key,
        max_key=max_key,
        rows=rows,
        fetchsize=fetchsize,
        rows_per_partition=rows_per_partition,
        max_partitions=max_partitions,
    )
    if record_input is not None:
        record_input(table, rows)
    written = False
    if rows:
        session = spark()
        typed = _jdbc(session, source, **plan.options())
        bronze = extract.to_bronze(typed, contract, database=source.database, batch_id=batch_id)
        meta = {
            "job": "mysql_to_bronze",
            "batch_id": batch_id,
            "low": _text(window.low),
            "high": _text(window.high),
        }
        written = lake.idempotent_append(
            bronze, bronze_path, app_id=app_id(table), version=batch_seq, user_metadata=meta
        )
    store.commit(table, batch_seq, window.high, rows, resume_from)
    return {
        "table": table,
        "rows": rows,
        "written": written,
        "partitions": plan.num_partitions if rows else 0,
        "low": _text(window.low),
        "high": _text(window.high),
    }


def describe(result: dict[str, Any]) -> str:
    """One line for the progress output: rows read and the window, or why nothing was read."""
    if result.get("skipped"):
        return str(result["skipped"])
    window = f"updated_at in ({result.get('low') or 'start'}, {result.get('high')}]"
    return f"{result.get('rows', 0)} rows, {window}" + ("" if result.get("rows") else " (no Spark work)")


def run_mysql_to_bronze(
    spark: SparkSession | SparkFactory,
    *,
    source: extract.JdbcSource,
    store: WatermarkStore,
    bronze_root: str,
    batch_id: str,
    batch_seq: int,
    full: bool = False,
    tables: Iterable[str] | None = None,
    probe: SourceProbe | None = None,
    source_url: str | None = None,
    **tuning: Any,
) -> list[dict[str, Any]]:
    """Extract ``tables`` (default: every entity, in foreign-key order) into bronze.

    ``spark`` is a session or a function that returns one (called only when there is Spark work);
    ``probe`` reads the source's metadata (default: ``pymysql_probe(source_url)``).
    """
    session = spark if callable(spark) else (lambda: spark)
    if probe is None:
        if source_url is None:
            raise ValueError("run_mysql_to_bronze needs a probe or the source_url to build one")
        probe = pymysql_probe(source_url, source.database)
    wanted = list(tables or CONTRACTS)
    order = [t for t in CONTRACTS if t in wanted]
    try:
        present = probe.existing_tables()
        newest = probe.max_updated_at([t for t in order if t in present])
        results: list[dict[str, Any]] = []
        for table in order:
            if table not in present:
                # an OLTP database not (yet) seeded: nothing to extract, the rest of the batch goes on
                log.warning("mysql %s: no table %s.%s; skipped", table, source.database, table)
                results.append({"table": table, "rows": 0, "skipped": "no such table in the source"})
                continue
            result = extract_table(
                session,
                source,
                store,
                table,
                probe=probe,
                source_max=newest.get(table),
                bronze_path=f"{bronze_root}/{table}",
                batch_id=batch_id,
                batch_seq=batch_seq,
                full=full,
                **tuning,
            )
            log.info("mysql %s: %s", table, describe(result))
            results.append(result)
    finally:
        probe.close()
    return results
