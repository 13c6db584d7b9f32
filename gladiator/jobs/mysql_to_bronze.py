"""mysql_to_bronze (the Sqoop replacement): parallel JDBC reads of the OLTP tables into bronze.

Per table, in contract (foreign-key) order, the sequence that makes it exactly-once in effect
(the window and overlap rules are in ``gladiator.transforms.extract``):

1. read the watermark item (job-state pk ``watermark#mysql#<table>``, sk ``state``); a pending
   plan left by a crashed run is either finished (its bronze append committed: advance the
   watermark) or dropped (nothing committed: the next plan covers its window again);
2. plan the window (or reuse this batch's pending plan on a retry) and store it as pending;
3. bounds query, then the partitioned JDBC read; rows cast to bronze strings;
4. idempotent bronze append (``txnAppId`` ``mysql_to_bronze.<table>``, ``txnVersion`` batch_seq);
5. advance the watermark to the window's high end (conditional on the pending plan).
bronze_to_silver then MERGEs the batch's rows (``_batch_id``) with the ordering guard.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
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
        seq = text.get("pending_seq")
        return WatermarkState(
            watermark=_ts(text.get("watermark")), pending_seq=int(seq) if seq else None, pending=pending
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

    def commit(self, table: str, seq: int, high: datetime, rows: int) -> None:
        """Advance the watermark to ``high`` and clear the pending plan of batch ``seq``."""
        self.client.update_item(
            TableName=self.table_name,
            Key=self.key(table),
            UpdateExpression=(
                "SET watermark = :high, last_batch_seq = :seq, last_rows = :rows, committed_at = :now "
                "REMOVE pending_seq, pending_low, pending_high"
            ),
            ConditionExpression="pending_seq = :seq",
            ExpressionAttributeValues={
                ":high": {"S": _text(high)},
                ":seq": {"N": str(seq)},
                ":rows": {"N": str(rows)},
                ":now": {"S": utc_now_iso()},
            },
        )


def _jdbc(spark: SparkSession, source: extract.JdbcSource, **options: str) -> DataFrame:
    reader = spark.read.format("jdbc").option("url", source.url)
    for key, value in {**source.properties, **options}.items():
        reader = reader.option(key, value)
    return reader.load()


def source_max_updated_at(spark: SparkSession, source: extract.JdbcSource, table: str) -> datetime | None:
    """``MAX(updated_at)`` of ``table``, as text from MariaDB (no time-zone conversions)."""
    query = f"SELECT DATE_FORMAT(MAX(`updated_at`), '%Y-%m-%d %H:%i:%s.%f') AS m FROM `{table}`"
    row = _jdbc(spark, source, query=query).first()
    return _ts(row[0]) if row is not None else None


def existing_tables(spark: SparkSession, source: extract.JdbcSource) -> set[str]:
    """The base tables of the source database (one information_schema query)."""
    query = (
        "SELECT table_name AS t FROM information_schema.tables "
        f"WHERE table_schema = '{source.database}' AND table_type = 'BASE TABLE'"
    )
    return {row[0] for row in _jdbc(spark, source, query=query).collect()}


def extract_table(
    spark: SparkSession,
    source: extract.JdbcSource,
    store: WatermarkStore,
    table: str,
    *,
    bronze_path: str,
    batch_id: str,
    batch_seq: int,
    full: bool = False,
    fetchsize: int = extract.DEFAULT_FETCHSIZE,
    max_partitions: int = extract.DEFAULT_MAX_PARTITIONS,
    rows_per_partition: int = extract.DEFAULT_ROWS_PER_PARTITION,
    overlap: Any = extract.DEFAULT_OVERLAP,
) -> dict[str, Any]:
    """Extract one table into bronze for batch ``batch_seq``; returns what was done."""
    contract = CONTRACTS[table]
    state = store.get(table)
    committed = lake.committed_txn_version(spark, bronze_path, app_id(table))
    finished_unrecorded = (
        state.pending is not None
        and state.pending_seq is not None
        and state.pending_seq != batch_seq
        and committed is not None
        and committed >= state.pending_seq
    )
    if finished_unrecorded and state.pending and state.pending_seq:
        store.commit(table, state.pending_seq, state.pending.high, -1)
        state = store.get(table)
    if committed is not None and committed >= batch_seq and state.pending_seq != batch_seq:
        return {"table": table, "skipped": "batch already extracted"}
    window: extract.ExtractRange | None
    if state.pending and state.pending_seq == batch_seq:
        window = state.pending
    else:
        source_max = source_max_updated_at(spark, source, table)
        window = extract.plan_range(
            watermark=state.watermark, source_max=source_max, full=full, overlap=overlap
        )
        if window is None:
            return {"table": table, "rows": 0, "skipped": "empty source table"}
        store.set_pending(table, batch_seq, window)
    bounds = _jdbc(spark, source, query=extract.bounds_query(contract, window)).first()
    min_key, max_key, rows = (
        (bounds[0], bounds[1], int(bounds[2] or 0)) if bounds is not None else (None, None, 0)
    )
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
    written = False
    if rows:
        typed = _jdbc(spark, source, **plan.options())
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
    store.commit(table, batch_seq, window.high, rows)
    return {
        "table": table,
        "rows": rows,
        "written": written,
        "partitions": plan.num_partitions,
        "low": _text(window.low),
        "high": _text(window.high),
    }


def run_mysql_to_bronze(
    spark: SparkSession,
    *,
    source: extract.JdbcSource,
    store: WatermarkStore,
    bronze_root: str,
    batch_id: str,
    batch_seq: int,
    full: bool = False,
    tables: Iterable[str] | None = None,
    **tuning: Any,
) -> list[dict[str, Any]]:
    """Extract ``tables`` (default: every entity, in foreign-key order) into bronze."""
    wanted = list(tables or CONTRACTS)
    order = [t for t in CONTRACTS if t in wanted]
    present = existing_tables(spark, source)
    results: list[dict[str, Any]] = []
    for table in order:
        if table not in present:
            # an OLTP database not (yet) seeded: nothing to extract, the rest of the batch goes on
            log.warning("mysql %s: no table %s.%s; skipped", table, source.database, table)
            results.append({"table": table, "rows": 0, "skipped": "no such table in the source"})
            continue
        result = extract_table(
            spark,
            source,
            store,
            table,
            bronze_path=f"{bronze_root}/{table}",
            batch_id=batch_id,
            batch_seq=batch_seq,
            full=full,
            **tuning,
        )
        log.info("mysql %s: %s", table, result)
        results.append(result)
    return results
