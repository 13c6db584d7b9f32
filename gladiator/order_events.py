"""The versioned order event contract of the Kafka stream (producers and the streaming job).

(Not to be confused with ``gladiator.ingestion.object_events``: S3 object notifications.)

Two event types, version 1, JSON, keyed by the order key (so all events of one order stay in one
partition, in order):

- ``order_placed``: ``order`` (the ORDERS contract columns) and ``lines`` (LINEITEM columns);
- ``order_status_changed``: ``status`` (the ORDERS columns named in ``STATUS_COLUMNS``).

Every event has the envelope ``event_type``, ``event_version``, ``event_id`` (uuid4, the dedupe
key), ``produced_at`` (UTC, the event time the stream's watermark runs on) and ``order_key``.

Payload columns are never restated here: they come from ``gladiator.contracts`` so the batch
pipeline, the stream and the warehouse share one definition. Values are written as the shared
JSONL landing format does (HELPERS "Generated data"): numbers as JSON numbers, dates and timestamps
as strings (``YYYY-MM-DD``, ``YYYY-MM-DD HH:MM:SS.ffffff`` UTC), null as null. The stream parses
every payload value as raw text (like bronze) and casts it with the contract, so a bad value is a
contract violation with a reason, not a parse failure.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from gladiator.contracts import Contract, get_contract
from gladiator.timestamps import TEXT_FORMAT

if TYPE_CHECKING:
    from pyspark.sql.types import StructType

EVENT_VERSION = 1
SUPPORTED_VERSIONS = frozenset({1})

ORDERS: Contract = get_contract("orders")
LINEITEM: Contract = get_contract("lineitem")
# An order status change carries the order's key, its new status and the change time.
STATUS_COLUMNS: tuple[str, ...] = ("o_orderkey", "o_orderstatus", ORDERS.version_column)
ENVELOPE_FIELDS: tuple[str, ...] = ("event_type", "event_version", "event_id", "produced_at", "order_key")


class EventType(StrEnum):
    ORDER_PLACED = "order_placed"
    ORDER_STATUS_CHANGED = "order_status_changed"


class StreamReason(StrEnum):
    """Dead-letter reasons specific to events (row reasons reuse ``contracts.ReasonCode``)."""

    UNKNOWN_EVENT_TYPE = "unknown_event_type"
    UNSUPPORTED_VERSION = "unsupported_event_version"
    MISSING_ENVELOPE = "missing_envelope_field"  # event_id / produced_at / order_key absent or unparsable
    KEY_MISMATCH = "order_key_mismatch"  # envelope order_key differs from the payload's key
    LATE_EVENT = "late_event"  # produced_at older than the allowed lateness when it reached Kafka
    FUTURE_EVENT = "future_event"  # produced_at ahead of the broker clock by more than the skew


def format_timestamp(value: dt.datetime) -> str:
    """A UTC timestamp in the contract text format (naive values are taken as UTC)."""
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.strftime(TEXT_FORMAT)


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        # decimal(15,2) has at most 15 significant digits: a float prints back exactly.
        return float(value)
    if isinstance(value, dt.datetime):
        return format_timestamp(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _row(
    contract: Contract, values: Mapping[str, Any], columns: Sequence[str] | None = None
) -> dict[str, Any]:
    names = columns or contract.column_names
    return {name: _json_value(values.get(name)) for name in names}


def _envelope(event_type: EventType, order_key: int, produced_at: dt.datetime, event_id: str | None) -> dict:
    return {
        "event_type": str(event_type),
        "event_version": EVENT_VERSION,
        "event_id": event_id or str(uuid.uuid4()),
        "produced_at": format_timestamp(produced_at),
        "order_key": order_key,
    }


def order_placed(
    order: Mapping[str, Any],
    lines: Sequence[Mapping[str, Any]],
    *,
    produced_at: dt.datetime,
    event_id: str | None = None,
) -> dict[str, Any]:
    """An ``order_placed`` event; ``order``/``lines`` hold contract column values (Python types)."""
    return _envelope(EventType.ORDER_PLACED, int(order["o_orderkey"]), produced_at, event_id) | {
        "order": _row(ORDERS, order),
        "lines": [_row(LINEITEM, line) for line in lines],
    }


def order_status_changed(
    order_key: int,
    status: str,
    *,
    updated_at: dt.datetime,
    produced_at: dt.datetime,
    event_id: str | None = None,
) -> dict[str, Any]:
    """An ``order_status_changed`` event: the order's new status as of ``updated_at``."""
    values = {"o_orderkey": order_key, "o_orderstatus": status, ORDERS.version_column: updated_at}
    return _envelope(EventType.ORDER_STATUS_CHANGED, order_key, produced_at, event_id) | {
        "status": _row(ORDERS, values, STATUS_COLUMNS)
    }


LINE_DATES: tuple[str, ...] = ("l_shipdate", "l_commitdate", "l_receiptdate")


def placed_today(
    order: Mapping[str, Any], lines: Sequence[Mapping[str, Any]], today: dt.date
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Copies of ``order`` and its ``lines`` moved in time so the order is placed on ``today``.

    Live means now: the producer replays TPC-H orders (dated 1992-1998) as events sent today, so
    ``o_orderdate`` becomes ``today`` and every line's ship, commit and receipt dates move by the
    same number of days. Every date difference is kept, so every contract rule that held (e.g.
    ``l_shipdate > o_orderdate``, ``l_receiptdate > l_shipdate``) still holds."""
    shift = today - order["o_orderdate"]
    moved_lines = [
        {**line, **{c: line[c] + shift for c in LINE_DATES if line.get(c) is not None}} for line in lines
    ]
    return {**order, "o_orderdate": today}, moved_lines


def encode(event: Mapping[str, Any]) -> bytes:
    """The event's wire form: compact UTF-8 JSON."""
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()


def status_contract() -> Contract:
    """The ORDERS contract projected on ``STATUS_COLUMNS``: their types and nullability, and the
    rules that only read them (so a status change is validated by the same code as a full order)."""
    names = set(STATUS_COLUMNS)

    def reads_only_status(predicate: str) -> bool:
        used = {c for c in ORDERS.column_names if re.search(rf"\b{re.escape(c)}\b", predicate)}
        return used <= names

    return dataclasses.replace(
        ORDERS,
        name="order_status",
        description="An order's status change (projection of the orders contract).",
        columns=tuple(c for c in ORDERS.columns if c.name in names),
        foreign_keys=(),
        rules=tuple(r for r in ORDERS.rules if reads_only_status(r.predicate)),
        cross_rules=(),
        partition_by=(),
        cluster_by=(),
        sort_keys=(),
        dist_key=None,
    )


def raw_event_schema() -> StructType:
    """Spark schema to parse an event of any type with every payload value as raw text.

    Built from the contracts; ``_corrupt_record`` receives input that is not a JSON object.
    """
    from pyspark.sql import types as T

    def text_struct(contract: Contract, columns: Sequence[str] | None = None) -> T.StructType:
        return T.StructType([T.StructField(n, T.StringType()) for n in (columns or contract.column_names)])

    return T.StructType(
        [T.StructField(name, T.StringType()) for name in ENVELOPE_FIELDS]
        + [
            T.StructField("order", text_struct(ORDERS)),
            T.StructField("lines", T.ArrayType(text_struct(LINEITEM))),
            T.StructField("status", text_struct(ORDERS, STATUS_COLUMNS)),
            T.StructField("_corrupt_record", T.StringType()),
        ]
    )
