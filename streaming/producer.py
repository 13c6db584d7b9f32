"""Order event producer for the stream: TPC-H orders as live events, with injectable faults.

Orders and lines come from tpchgen-cli (the generator's model; classic dbgen data), cached per
scale under ``<GLADIATOR_HOME>/cache/tpch``. Live means now: timestamps are the sending time,
``o_orderdate`` is that day and the lines' ship/commit/receipt dates move by the same number of
days (``order_events.placed_today``); a status change is stamped after its order's placement. The producer is
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
import itertools
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

from gladiator import order_events as events
from gladiator.config import Settings
from gladiator.contracts import ReasonCode
from gladiator.errors import ServiceError
from gladiator.order_events import StreamReason
from streaming import kafka


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


@dataclass
class _Sender:
    """Sending: one idempotent Kafka producer, counting every record it accepts in the report."""

    producer: Any
    topic: str
    report: ProduceReport

    def send(self, key: bytes, value: bytes, kind: str) -> None:
        while True:
            try:
                self.producer.produce(self.topic, key=key, value=value)
                break
            except BufferError:  # the local queue is full: serve delivery reports, then retry
                self.producer.poll(0.05)
        self.report.sent += 1
        self.report.by_kind[kind] += 1

    def flush(self, timeout_s: float) -> None:
        remaining = self.producer.flush(timeout_s)
        if remaining:
            raise ServiceError(f"{remaining} events were not acknowledged by Kafka within {timeout_s:.0f} s")


@dataclass
class _Pacer:
    """Pacing: event ``i`` leaves no earlier than ``i / rate`` seconds after the start (no rate: no wait)."""

    rate: float | None
    started: float = field(default_factory=time.monotonic)

    def wait_for(self, i: int, producer: Any) -> None:
        if not self.rate:
            return
        ahead = i / self.rate - (time.monotonic() - self.started)
        if ahead > 0:
            producer.poll(0)
            time.sleep(ahead)


@dataclass
class _Duplicates:
    """The ``duplicate`` fault: a valid event is sent again, same bytes, 1 to 50 events later."""

    rng: random.Random
    probability: float
    pending: list[tuple[int, bytes, bytes]] = field(default_factory=list)  # (send at index, key, value)

    def consider(self, i: int, kind: str, key: bytes, value: bytes) -> None:
        if kind in ("order_placed", "order_status_changed") and self.rng.random() < self.probability:
            self.pending.append((i + self.rng.randint(1, 50), key, value))
            self.pending.sort(key=lambda d: d[0])

    def due(self, i: int) -> Iterator[tuple[bytes, bytes]]:
        while self.pending and self.pending[0][0] <= i:
            _, key, value = self.pending.pop(0)
            yield key, value

    def rest(self) -> Iterator[tuple[bytes, bytes]]:
        for _, key, value in self.pending:
            yield key, value


@dataclass
class _EventSource:
    """The next event, its kind and key: a status change of a recent valid order, or a new order
    with at most one injected fault (late, malformed JSON, schema violation). Valid events are
    recorded in the report (``placed``, ``final_status``), faulty ones as expected dead letters."""

    rng: random.Random
    faults: Faults
    report: ProduceReport
    orders: Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]
    scale: float
    status_change_ratio: float
    late_by_s: int
    clock: _Clock = field(default_factory=_Clock)
    recent: list[int] = field(default_factory=list)  # valid order keys a status change may pick

    def next_event(self) -> tuple[int, str, bytes]:
        now = self.clock.now()
        draw = self.rng.random()  # drawn first, whatever the event: keeps a seed's run stable
        if self.recent and self.rng.random() < self.status_change_ratio:
            return self._status_change(now)
        return self._new_order(now, draw)

    def _status_change(self, now: dt.datetime) -> tuple[int, str, bytes]:
        key = self.rng.choice(self.recent)
        status = self.rng.choice([s for s in ("F", "O", "P") if s != self.report.final_status[key]])
        event = events.order_status_changed(key, status, updated_at=now, produced_at=now)
        self.report.final_status[key] = status
        return key, "order_status_changed", events.encode(event)

    def _new_order(self, now: dt.datetime, draw: float) -> tuple[int, str, bytes]:
        try:
            order, lines = next(self.orders)
        except StopIteration:
            raise ServiceError(
                f"the TPC-H data at scale {self.scale} has too few orders; raise scale"
            ) from None
        key = order["o_orderkey"]
        late = draw < self.faults.late
        stamp = now - dt.timedelta(seconds=self.late_by_s) if late else now
        order, lines = events.placed_today(order, lines, stamp.date())
        for row in (order, *lines):
            row["updated_at"] = stamp
        event = events.order_placed(order, lines, produced_at=stamp)
        fault = self._inject_fault(event, draw, late)
        if fault is not None:
            kind, value, reason = fault
            self.report.dead_letters.append((value.decode(), reason))
            return key, kind, value
        self.report.placed[key] = len(lines)
        self.report.final_status[key] = order["o_orderstatus"]
        self.recent.append(key)
        if len(self.recent) > 2000:
            self.recent.pop(0)
        return key, "order_placed", events.encode(event)

    def _inject_fault(self, event: dict[str, Any], draw: float, late: bool) -> tuple[str, bytes, str] | None:
        """(kind, bytes sent, expected dead-letter reason) of the fault ``draw`` picks, or None."""
        faults = self.faults
        if late:
            return "late", events.encode(event), str(StreamReason.LATE_EVENT)
        if draw < faults.late + faults.malformed_json:
            truncated = events.encode(event)[: self.rng.randint(5, 60)]
            return "malformed_json", truncated, str(ReasonCode.MALFORMED_JSON)
        if draw < faults.late + faults.malformed_json + faults.schema_violation:
            violation, reason = self.rng.choice(VIOLATIONS)
            return "schema_violation", events.encode(violate(event, violation)), reason
        return None


def _event_count(count: int | None, rate: float | None, duration_s: float | None) -> int:
    if count is not None:
        return count
    if rate is None or duration_s is None:
        raise ValueError("give count, or rate and duration_s")
    return int(rate * duration_s)


def _idempotent_producer(settings: Settings) -> Any:
    from confluent_kafka import Producer

    # log_level 3: librdkafka's transient retries (e.g. "Coordinator load in progress" while a new
    # broker loads) stay off the terminal; a delivery that fails is reported by the callback.
    options = {
        "enable.idempotence": True,
        "linger.ms": 5,
        "compression.type": "lz4",
        "acks": "all",
        "log_level": 3,
    }
    return Producer(kafka.client_config(settings, **options))


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
    skip_orders: int = 0,
) -> ProduceReport:
    """Send ``count`` events (default ``rate * duration_s``), paced at ``rate`` events/s if given.

    Returns the report of what was sent (valid orders and their final status, the dead letters
    the stream must produce, counts per kind). ``skip_orders`` starts that many orders into the
    TPC-H data (a second run on the same topic then sends new order keys). Steps: pacing
    (``_Pacer``), the events and their faults (``_EventSource``, ``_Duplicates``), sending
    (``_Sender``).
    """
    count = _event_count(count, rate, duration_s)
    if create_topic:
        kafka.ensure_topics(settings, [topic], partitions=partitions)
    else:
        kafka.check_topics(settings, [topic])
    rng = random.Random(seed)
    report = ProduceReport(topic=topic)
    orders = itertools.islice(tpch_orders(tpch_dir(settings, scale)), skip_orders, None)
    source = _EventSource(rng, faults, report, orders, scale, status_change_ratio, late_by_s)
    duplicates = _Duplicates(rng, faults.duplicate)
    sender = _Sender(_idempotent_producer(settings), topic, report)
    pacer = _Pacer(rate)
    for i in range(count):
        pacer.wait_for(i, sender.producer)
        for key, value in duplicates.due(i):
            sender.send(key, value, "duplicate")
        order_key, kind, value = source.next_event()
        sender.send(str(order_key).encode(), value, kind)
        duplicates.consider(i, kind, str(order_key).encode(), value)
        if i % 1000 == 0:
            sender.producer.poll(0)
    for key, value in duplicates.rest():
        sender.send(key, value, "duplicate")
    sender.flush(60)
    report.seconds = time.monotonic() - pacer.started
    return report
