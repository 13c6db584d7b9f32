"""Order event producer for the stream: TPC-H orders as live events, with injectable faults.

Orders and lines come from tpchgen-cli (the generator's model; classic dbgen data), cached per
scale under ``<GLADIATOR_HOME>/cache/tpch``; timestamps are set to now. The producer is
idempotent (``enable.idempotence``), keyed by order key, and reports exactly what it sent so
tests can check the stream's output against it.

Faults (each a probability per event):
- ``duplicate``: a valid event is sent again (same bytes, same event_id) a few events later;
- ``malformed_json``: a truncated event (expected reason ``malformed_json``);
- ``schema_violation``: one contract/envelope violation (expected reason recorded per event);
- ``late``: ``produced_at`` (and ``updated_at``) older than the stream's allowed lateness.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gladiator import events
from gladiator.config import Settings
from gladiator.contracts import ReasonCode
from gladiator.errors import ServiceError
from gladiator.events import StreamReason
from streaming import kafka

KINDS = ("order_placed", "order_status_changed", "duplicate", "malformed_json", "schema_violation", "late")


@dataclass(frozen=True, kw_only=True)
class Faults:
    duplicate: float = 0.0
    malformed_json: float = 0.0
    schema_violation: float = 0.0
    late: float = 0.0

    @classmethod
    def uniform(cls, rate: float) -> Faults:
        return cls(duplicate=rate, malformed_json=rate, schema_violation=rate, late=rate)


@dataclass
class ProduceReport:
    """What was sent. ``sent`` counts Kafka records (duplicates included)."""

    topic: str
    sent: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    placed: dict[int, int] = field(default_factory=dict)  # valid order key -> its line count
    final_status: dict[int, str] = field(default_factory=dict)  # valid order key -> last status sent
    dead_letters: list[tuple[str, str]] = field(default_factory=list)  # (raw value, expected reason)
    seconds: float = 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "sent": self.sent,
            "by_kind": dict(self.by_kind),
            "valid_orders": len(self.placed),
            "valid_lines": sum(self.placed.values()),
            "expected_dead_letters": dict(Counter(r for _, r in self.dead_letters)),
            "seconds": round(self.seconds, 2),
            "rate": round(self.sent / self.seconds, 1) if self.seconds else None,
        }


def tpch_dir(settings: Settings, scale: float) -> Path:
    """tpchgen-cli Parquet of orders and lineitem at ``scale`` (generated once, then cached)."""
    folder = settings.home / "cache" / "tpch" / f"sf{scale:g}"
    if not (folder / "lineitem.parquet").exists():
        folder.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            [shutil.which("tpchgen-cli") or str(Path(sys.executable).parent / "tpchgen-cli"), "parquet", "-s", f"{scale:g}", "--tables", "orders,lineitem,customer,nation,region",
             "-o", str(folder), "--overwrite"],
            capture_output=True, text=True,
        )  # fmt: skip
        if result.returncode != 0:
            raise ServiceError(f"tpchgen-cli failed: {result.stderr[-2000:]}")
    return folder


def tpch_orders(folder: Path, *, chunk: int = 5000) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """(order, its lines) in order-key order, from the tpchgen Parquet files."""
    import numpy as np
    import pyarrow.parquet as pq

    orders = pq.read_table(folder / "orders.parquet")
    lineitem = pq.read_table(folder / "lineitem.parquet")
    line_keys = lineitem.column("l_orderkey").to_numpy()
    for start in range(0, orders.num_rows, chunk):
        block = orders.slice(start, chunk).to_pylist()
        lo = int(np.searchsorted(line_keys, block[0]["o_orderkey"], "left"))
        hi = int(np.searchsorted(line_keys, block[-1]["o_orderkey"], "right"))
        by_order: dict[int, list[dict[str, Any]]] = {}
        for line in lineitem.slice(lo, hi - lo).to_pylist():
            by_order.setdefault(line["l_orderkey"], []).append(line)
        for order in block:
            yield order, by_order.get(order["o_orderkey"], [])


VIOLATIONS: tuple[tuple[str, str], ...] = (
    ("bad_status", str(ReasonCode.OUT_OF_DOMAIN)),
    ("bad_discount", str(ReasonCode.OUT_OF_DOMAIN)),
    ("null_customer", str(ReasonCode.NULL_REQUIRED)),
    ("bad_price", str(ReasonCode.UNPARSABLE_NUMBER)),
    ("bad_date", str(ReasonCode.UNPARSABLE_DATE)),
    ("ship_before_order", str(ReasonCode.SHIP_BEFORE_ORDER)),
    ("bad_version", str(StreamReason.UNSUPPORTED_VERSION)),
    ("bad_type", str(StreamReason.UNKNOWN_EVENT_TYPE)),
    ("no_event_id", str(StreamReason.MISSING_ENVELOPE)),
)


def violate(event: dict[str, Any], kind: str) -> dict[str, Any]:
    """A copy of an order_placed ``event`` breaking exactly one contract or envelope rule."""
    e = {**event, "order": dict(event["order"]), "lines": [dict(x) for x in event["lines"]]}
    if kind == "bad_status":
        e["order"]["o_orderstatus"] = "X"
    elif kind == "bad_discount":
        e["lines"][0]["l_discount"] = 0.5
    elif kind == "null_customer":
        e["order"]["o_custkey"] = None
    elif kind == "bad_price":
        e["order"]["o_totalprice"] = "12,34"
    elif kind == "bad_date":
        e["order"]["o_orderdate"] = "1996-13-45"
    elif kind == "ship_before_order":
        e["lines"][0]["l_shipdate"] = "1990-01-01"
    elif kind == "bad_version":
        e["event_version"] = 99
    elif kind == "bad_type":
        e["event_type"] = "order_exploded"
    elif kind == "no_event_id":
        del e["event_id"]
    return e


class _Clock:
    """Strictly increasing UTC now (two events never share an updated_at)."""

    def __init__(self) -> None:
        self.last = dt.datetime.min

    def now(self) -> dt.datetime:
        value = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        self.last = max(value, self.last + dt.timedelta(microseconds=1))
        return self.last


def produce(
    settings: Settings,
    topic: str,
    *,
    count: int | None = None,
    rate: float | None = None,
    duration_s: float | None = None,
    faults: Faults = Faults(),
    status_change_ratio: float = 0.1,
    late_by_s: int = 900,
    scale: float = 0.1,
    seed: int = 7,
    create_topic: bool = True,
    partitions: int = 4,
) -> ProduceReport:
    """Send ``count`` events (default ``rate * duration_s``), paced at ``rate`` events/s if given.

    Returns the report of what was sent (valid orders and their final status, the dead letters
    the stream must produce, counts per kind).
    """
    from confluent_kafka import Producer

    if count is None:
        if rate is None or duration_s is None:
            raise ValueError("give count, or rate and duration_s")
        count = int(rate * duration_s)
    if create_topic:
        kafka.ensure_topics(settings, [topic], partitions=partitions)
    else:
        kafka.check_topics(settings, [topic])
    rng = random.Random(seed)
    clock = _Clock()
    producer = Producer(
        kafka.client_config(
            settings, **{"enable.idempotence": True, "linger.ms": 5, "compression.type": "lz4", "acks": "all"}
        )
    )
    report = ProduceReport(topic=topic)
    source = tpch_orders(tpch_dir(settings, scale))
    pending_duplicates: list[tuple[int, bytes, bytes]] = []  # (send at index, key, value)
    recent: list[int] = []
    started = time.monotonic()

    def send(key: bytes, value: bytes) -> None:
        while True:
            try:
                producer.produce(topic, key=key, value=value)
                break
            except BufferError:
                producer.poll(0.05)
        report.sent += 1

    for i in range(count):
        if rate:
            ahead = i / rate - (time.monotonic() - started)
            if ahead > 0:
                producer.poll(0)
                time.sleep(ahead)
        while pending_duplicates and pending_duplicates[0][0] <= i:
            _, k, v = pending_duplicates.pop(0)
            send(k, v)
            report.by_kind["duplicate"] += 1
        now = clock.now()
        draw = rng.random()
        if recent and rng.random() < status_change_ratio:
            key = rng.choice(recent)
            status = rng.choice([s for s in ("F", "O", "P") if s != report.final_status[key]])
            event = events.order_status_changed(key, status, updated_at=now, produced_at=now)
            value = events.encode(event)
            report.final_status[key] = status
            kind = "order_status_changed"
        else:
            try:
                order, lines = next(source)
            except StopIteration:
                raise ServiceError(
                    f"the TPC-H data at scale {scale} has too few orders; raise scale"
                ) from None
            key = order["o_orderkey"]
            late = draw < faults.late
            stamp = now - dt.timedelta(seconds=late_by_s) if late else now
            for row in (order, *lines):
                row["updated_at"] = stamp
            event = events.order_placed(order, lines, produced_at=stamp)
            kind = "order_placed"
            if late:
                kind, value = "late", events.encode(event)
                report.dead_letters.append((value.decode(), str(StreamReason.LATE_EVENT)))
            elif draw < faults.late + faults.malformed_json:
                kind, value = "malformed_json", events.encode(event)[: rng.randint(5, 60)]
                report.dead_letters.append((value.decode(), str(ReasonCode.MALFORMED_JSON)))
            elif draw < faults.late + faults.malformed_json + faults.schema_violation:
                violation, reason = rng.choice(VIOLATIONS)
                kind, value = "schema_violation", events.encode(violate(event, violation))
                report.dead_letters.append((value.decode(), reason))
            else:
                value = events.encode(event)
                report.placed[key] = len(lines)
                report.final_status[key] = order["o_orderstatus"]
                recent.append(key)
                if len(recent) > 2000:
                    recent.pop(0)
        send(str(key).encode(), value)
        report.by_kind[kind] += 1
        if kind in ("order_placed", "order_status_changed") and rng.random() < faults.duplicate:
            pending_duplicates.append((i + rng.randint(1, 50), str(key).encode(), value))
            pending_duplicates.sort(key=lambda d: d[0])
        if i % 1000 == 0:
            producer.poll(0)
    for _, k, v in pending_duplicates:
        send(k, v)
        report.by_kind["duplicate"] += 1
    remaining = producer.flush(60)
    if remaining:
        raise ServiceError(f"{remaining} events were not acknowledged by Kafka within 60 s")
    report.seconds = time.monotonic() - started
    return report
