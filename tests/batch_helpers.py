"""Helpers for the batch lakehouse tests: an isolated lake per test and the ledger flow.

Every test gets its own landing and lake buckets, ledger and job-state tables and Glue database
(uuid-suffixed), so tests of several engineers can share the running local stack.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from gladiator import resources
from gladiator.config import Settings
from gladiator.formats import format_of
from gladiator.ingestion.batches import BatchStore
from gladiator.ingestion.ledger import Ledger
from gladiator.ingestion.model import Batch, LedgerState
from gladiator.ingestion.object_events import ObjectEvent
from local_emulation.provision import table_definition


@dataclass
class IsolatedLake:
    settings: Settings
    suffix: str
    landing_bucket: str
    lake_bucket: str
    ledger_table: str
    job_state_table: str
    glue_database: str

    @classmethod
    def create(cls, settings: Settings) -> IsolatedLake:
        suffix = uuid.uuid4().hex[:10]
        lake = cls(
            settings=settings,
            suffix=suffix,
            landing_bucket=f"test-landing-{suffix}",
            lake_bucket=f"test-lake-{suffix}",
            ledger_table=f"test-ledger-{suffix}",
            job_state_table=f"test-job-state-{suffix}",
            glue_database=f"test_batch_{suffix}",
        )
        s3 = lake.client("s3")
        for bucket in (lake.landing_bucket, lake.lake_bucket):
            s3.create_bucket(Bucket=bucket)
        ddb = lake.client("dynamodb")
        for name, spec in (
            (lake.ledger_table, resources.LEDGER),
            (lake.job_state_table, resources.JOB_STATE),
        ):
            ddb.create_table(**table_definition(name, spec))
        lake.client("glue").create_database(DatabaseInput={"Name": lake.glue_database})
        return lake

    def delete_objects(self) -> None:
        """Empty both buckets (the emulator then frees what it held for them)."""
        s3 = self.client("s3")
        for bucket in (self.landing_bucket, self.lake_bucket):
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
                if keys:
                    s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})

    def client(self, service: str) -> Any:
        return boto3.client(service, **self.settings.boto3_kwargs())  # type: ignore[call-overload]

    @property
    def ledger(self) -> Ledger:
        return Ledger(self.ledger_table, client=self.client("dynamodb"))

    @property
    def batches(self) -> BatchStore:
        ledger = self.ledger
        return BatchStore(self.job_state_table, ledger, ledger.client)

    def job_args(self, batch_id: str, **extra: str) -> list[str]:
        """Glue-style argv of a batch job for this lake (COMMON_ARGUMENTS + --batch_id)."""
        values = {
            "profile": self.settings.profile,
            "lake_bucket": self.lake_bucket,
            "landing_bucket": self.landing_bucket,
            "glue_database": self.glue_database,
            "ledger_table": self.ledger_table,
            "job_state_table": self.job_state_table,
            "batch_id": batch_id,
            **extra,
        }
        argv = ["job"]
        for key, value in values.items():
            argv += [f"--{key}", value]
        return argv

    def uri(self, layer: str, name: str) -> str:
        return f"s3://{self.lake_bucket}/{layer}/{name}"

    def quarantine_keys(self, spark: Any, entities: Iterable[str]) -> Any:
        """(file, line, reason) of every quarantined row of ``entities``, file relative to the
        landing bucket: the shape of the generator's injected faults."""
        from functools import reduce

        from pyspark.sql import functions as F

        frames = [
            spark.read.format("delta")
            .load(self.uri("quarantine", entity))
            .select(
                F.regexp_replace("_source_file", f"^s3://{self.landing_bucket}/", "").alias("file"),
                F.col("_source_line").alias("line"),
                F.col("_reason").alias("reason"),
            )
            for entity in entities
        ]
        return reduce(lambda a, b: a.unionByName(b), frames)

    def drop(self, key: str, body: bytes) -> str:
        """Put a landing file and register it VALIDATED in the ledger (what the landing Lambda
        does for a valid file). Returns its file id."""
        response = self.client("s3").put_object(Bucket=self.landing_bucket, Key=key, Body=body)
        event = ObjectEvent(
            bucket=self.landing_bucket,
            key=key,
            size=len(body),
            etag=response["ETag"].strip('"'),
            version_id=response.get("VersionId"),
            sequencer=None,
        )
        ledger = self.ledger
        entry, _ = ledger.register(event, entity=key.split("/", 1)[0], fmt=format_of(key))
        ledger.transition(entry.file_id, LedgerState.VALIDATED)
        return entry.file_id

    def drop_dir(self, landing_dir: Path) -> list[str]:
        """Drop every file under ``landing_dir`` (``<entity>/<file>``)."""
        return [
            self.drop(str(path.relative_to(landing_dir)), path.read_bytes())
            for path in sorted(landing_dir.rglob("*"))
            if path.is_file()
        ]

    def claim(self, max_files: int = 10_000) -> Batch:
        batch = self.batches.claim(max_files)
        assert batch is not None, "no VALIDATED files to claim"
        return batch
