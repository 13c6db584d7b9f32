"""What every batch job script shares: its arguments, clients, table locations and catalog.

A job script is ``ctx = BatchJobContext.from_argv(name)`` -> extract -> pure transform -> load.
Locations come from the ``--lake_bucket`` job argument (the same layout as
``Settings.lake_uri``); nothing is a literal.
"""

from __future__ import annotations

import copy
import logging
import os
import signal
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from gladiator import catalog, constants
from gladiator.config import Settings, environment, load_settings
from gladiator.jobs.args import parse_job_args
from gladiator.lake import lake_path
from gladiator.pipeline import COMMON_ARGUMENTS

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from gladiator.ingestion.batches import BatchStore
    from gladiator.ingestion.ledger import Ledger
    from gladiator.lineage.emit import Lineage
    from gladiator.quality import QualityStore
    from gladiator.runs import RunStore

log = logging.getLogger(__name__)

# Fault injection for the crash-safety tests: the job SIGKILLs its process group at the named
# point(s) (comma-separated). With $GLADIATOR_CRASH_MARKERS (a folder) each point fires once.
CRASH_AT_ENV = constants.CRASH_AT
CRASH_MARKERS_ENV = constants.CRASH_MARKERS
CODECS = ("zstd", "snappy", "gzip")


def crash_point(name: str) -> None:
    """Die like ``kill -9`` here if ``$GLADIATOR_CRASH_AT`` names this point (tests only)."""
    if name not in environment().get(CRASH_AT_ENV, "").split(","):
        return
    markers = environment().get(CRASH_MARKERS_ENV)
    if markers:
        marker = os.path.join(markers, name.replace(":", "_").replace("/", "_"))
        if os.path.exists(marker):
            return
        os.makedirs(markers, exist_ok=True)
        with open(marker, "w") as f:
            f.write(name)
    log.warning("crash point %s: killing the job", name)
    os.killpg(os.getpgid(0), signal.SIGKILL)


def table_uri(bucket: str, layer: str, name: str) -> str:
    """``s3://<bucket>/<layer>/<name>``: the lake layout of ``Settings.lake_uri``."""
    return lake_path(f"s3://{bucket}", layer, name)


@dataclass
class BatchJobContext:
    """Arguments and lazily built clients of one batch job run."""

    name: str
    args: dict[str, str]
    settings: Settings = field(init=False)

    def __post_init__(self) -> None:
        self.settings = load_settings(self.args.get("profile") or None)

    @classmethod
    def from_argv(
        cls, name: str, argv: list[str] | None = None, optional: dict[str, str] | None = None
    ) -> BatchJobContext:
        required = [a.removeprefix("--") for a in COMMON_ARGUMENTS] + ["batch_id"]
        defaults = {"codec": "zstd", "lineage_url": "", **(optional or {})}
        return cls(name=name, args=parse_job_args(argv, required, defaults))

    @property
    def batch_id(self) -> str:
        return self.args["batch_id"]

    @property
    def codec(self) -> str:
        codec = self.args.get("codec", "zstd")
        if codec not in CODECS:
            from gladiator.errors import ConfigurationError

            raise ConfigurationError(f"--codec {codec!r}: use one of {', '.join(CODECS)}")
        return codec

    def uri(self, layer: str, name: str) -> str:
        return table_uri(self.args["lake_bucket"], layer, name)

    @cached_property
    def started_at(self) -> datetime:
        return datetime.now(UTC).replace(tzinfo=None)

    @cached_property
    def spark(self) -> SparkSession:
        from gladiator.spark import get_spark

        spark = get_spark(self.name, settings=self.settings)
        spark.conf.set("spark.sql.parquet.compression.codec", self.codec)
        spark.conf.set("spark.sql.session.timeZone", "UTC")
        return spark

    def in_new_session(self) -> BatchJobContext:
        """This context for work in another thread: the same arguments and clients (boto3 clients
        are thread-safe; they are built here, once), its own Spark session
        (``gladiator.spark.new_session``)."""
        from gladiator.spark import new_session

        for shared in ("started_at", "ledger", "batches", "runs", "quality"):
            getattr(self, shared)
        clone = copy.copy(self)
        clone.__dict__["spark"] = new_session(self.spark)
        return clone

    def client(self, service: str) -> Any:
        return self.settings.client(service)

    @cached_property
    def ledger(self) -> Ledger:
        from gladiator.ingestion.ledger import Ledger

        return Ledger(self.args["ledger_table"], client=self.client("dynamodb"))

    @cached_property
    def batches(self) -> BatchStore:
        """The batches of the job-state table (claims, files of a batch, mark loaded)."""
        from gladiator.ingestion.batches import BatchStore

        return BatchStore(self.args["job_state_table"], self.ledger, self.ledger.client)

    @cached_property
    def runs(self) -> RunStore:
        from gladiator.runs import RunStore

        return RunStore(self.args["job_state_table"], self.ledger.client)

    @cached_property
    def quality(self) -> QualityStore:
        """Rule-level data-quality results of this run (gladiator.quality)."""
        from gladiator.quality import QualityStore

        return QualityStore(self.args["job_state_table"], self.ledger.client)

    @cached_property
    def lineage(self) -> Lineage:
        """OpenLineage run events of this job (a file locally, HTTP on AWS): gladiator.lineage."""
        from gladiator.lineage.emit import Lineage

        return Lineage.for_settings(self.settings, url=self.args.get("lineage_url") or None)

    def batch_seq(self) -> int:
        batch = self.batches.get(self.batch_id)
        if batch is None:
            from gladiator.errors import ConfigurationError

            raise ConfigurationError(
                f"batch {self.batch_id!r} is not in {self.args['job_state_table']}: "
                "the pipeline's claim step records it: start the state machine (or `gladiator pipeline run`)"
            )
        return batch.batch_seq

    def register(self, layer: str, name: str, schema: Any, partition_by: list[str] | None = None) -> None:
        """Register ``<layer>/<name>`` in the Glue catalog (Spark SQL by name: catalog.register_from_glue)."""
        table = catalog.catalog_table_name(layer, name)
        location = self.uri(layer, name)
        database = self.args["glue_database"]
        catalog.register_glue_table(
            self.client("glue"), database, table, location, schema, partition_by=partition_by or ()
        )
