"""Configuration of one stream: its topic, where it writes, and its time limits."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from gladiator import resources
from gladiator.config import Settings
from gladiator.lake import CHECKPOINTS, lake_path


@dataclass(frozen=True, kw_only=True)
class StreamConfig:
    """What a run of the order stream reads and writes.

    ``stream_name`` identifies the stream for good: it names the checkpoint folder, the dead-letter
    table and is the Delta ``txnAppId`` of every write, so a restarted query (same name, same
    checkpoint) replays a batch without writing it twice. Resetting a stream means a new name.

    Time limits (seconds): an event whose ``produced_at`` is more than ``allowed_lateness_s``
    older than its arrival in Kafka (broker LogAppendTime) is dead-lettered as ``late_event``;
    more than ``max_clock_skew_s`` in the future, as ``future_event``. Duplicates are dropped on
    ``event_id`` within ``dedupe_horizon_s`` (the watermark delay), which is long enough that no
    accepted event is ever older than the watermark, so Spark never drops an event silently.
    """

    topic: str
    stream_name: str = "orders"
    lake_root: str | None = None  # default: s3a://<lake bucket> locally, s3://<lake bucket> on AWS
    dlq_topic: str | None = None  # default: "<topic>.dlq"
    kpi_table: str | None = None  # default: the LIVE_KPIS table of the settings
    kpi_prefix: str = ""  # prefix of kpi_key (tests use a unique one)
    trigger_seconds: float = 5.0
    allowed_lateness_s: int = 120
    max_clock_skew_s: int = 60
    max_offsets_per_trigger: int | None = None
    starting_offsets: str = "earliest"
    kpi_ttl_days: int = 7

    @property
    def dedupe_horizon_s(self) -> int:
        return 2 * (self.allowed_lateness_s + self.max_clock_skew_s)

    def root(self, settings: Settings) -> str:
        if self.lake_root:
            return self.lake_root.rstrip("/")
        scheme = "s3" if settings.profile == "aws" else "s3a"
        return f"{scheme}://{settings.lake_bucket}"

    def checkpoint_location(self, settings: Settings) -> str:
        """Where the query keeps its offsets, commits and dedupe state.

        On AWS (and any non-local profile): ``<lake root>/_checkpoints/<stream>`` (DESIGN section 1).
        In the local profile: a folder under ``<GLADIATOR_HOME>/checkpoints`` named after the lake
        root and the stream, because Spark commits every checkpoint file by a rename, which s3a on
        the S3 emulator turns into a copy and a delete per file, several per micro-batch."""
        if settings.profile != "local":
            return StreamPaths(self.root(settings), self.stream_name).checkpoint
        lake = hashlib.sha256(self.root(settings).encode()).hexdigest()[:16]
        return (settings.home / "checkpoints" / lake / self.stream_name).as_uri()

    def dead_letter_topic(self) -> str:
        return self.dlq_topic or f"{self.topic}.dlq"

    def kpi_table_name(self, settings: Settings) -> str:
        return self.kpi_table or settings.table_name(resources.LIVE_KPIS)


@dataclass(frozen=True)
class StreamPaths:
    """Lake locations of one stream (DESIGN section 1 layout)."""

    root: str
    stream_name: str

    def table(self, layer: str, name: str) -> str:
        return lake_path(self.root, layer, name)

    @property
    def checkpoint(self) -> str:
        return lake_path(self.root, CHECKPOINTS, self.stream_name)

    @property
    def bronze_events(self) -> str:
        # The stream's raw events: one writer (this stream), never shared with the batch jobs.
        return self.table("bronze", "order_events")

    @property
    def dead_letter(self) -> str:
        return self.table("dead_letter", self.stream_name)

    @property
    def silver_orders(self) -> str:
        return self.table("silver", "orders")

    @property
    def silver_lineitem(self) -> str:
        return self.table("silver", "lineitem")
