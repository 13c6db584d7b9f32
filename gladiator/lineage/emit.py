"""Emit OpenLineage run events: one START and one COMPLETE (or FAIL) per job run.

A run is a context manager; datasets are added while the job learns them (a batch's landing files
are known after its claim, the written tables after the writes)::

    with lineage.run("bronze_to_silver", batch_id=ctx.batch_id) as run:
        run.input(ctx.uri("bronze", "orders"), checks={"o_orderstatus_domain": (checked, failed)})
        run.output(ctx.uri("silver", "orders"), rows=accepted)

Emission never fails the job: a transport error is logged and the run goes on (lineage is
observability, not data). Locally the events are JSON lines in ``<home>/lineage/events.jsonl``
(``Settings.lineage_file``: the file transport, append mode); on AWS they go to the HTTP
endpoint named in the CDK configuration (``Settings.lineage_url``); with neither, nothing is sent.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import attr
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.generated.base import RunFacet
from openlineage.client.generated.data_quality_assertions_dataset import (
    Assertion,
    DataQualityAssertionsDatasetFacet,
)
from openlineage.client.generated.data_quality_metrics_dataset import DataQualityMetricsDatasetFacet
from openlineage.client.generated.error_message_run import ErrorMessageRunFacet
from openlineage.client.generated.parent_run import Job as ParentJob
from openlineage.client.generated.parent_run import ParentRunFacet
from openlineage.client.generated.parent_run import Run as ParentRun
from openlineage.client.transport.file import FileConfig, FileTransport
from openlineage.client.transport.http import HttpConfig, HttpTransport
from openlineage.client.transport.noop import NoopConfig, NoopTransport
from openlineage.client.uuid import generate_new_uuid

from gladiator.config import Settings

log = logging.getLogger(__name__)

JOB_NAMESPACE = "gladiator"
PRODUCER = "https://github.com/gladiator/gladiator"


@attr.define
class BatchRunFacet(RunFacet):
    """Which pipeline batch (or stream micro-batch) a run belongs to."""

    batchId: str

    @staticmethod
    def _get_schema() -> str:
        return f"{PRODUCER}/spec/BatchRunFacet.json"


def dataset_name(uri: str) -> tuple[str, str]:
    """``s3a://lake/silver/orders`` -> (``s3://lake``, ``silver/orders``); local paths keep ``file``.

    An S3 name is the whole key, as written (``#`` and ``?`` are key characters, not URI parts):
    ``s3://landing/orders/a.csv#<versionId>`` names one version of that object, the landing
    Lambda's input (``object_version_uri``)."""
    parsed = urlparse(uri)
    if parsed.scheme in ("s3", "s3a", "s3n"):
        bucket, _, key = uri.split("://", 1)[1].partition("/")
        return f"s3://{bucket}", key.strip("/")
    if parsed.scheme and parsed.netloc:
        return f"{parsed.scheme}://{parsed.netloc}", parsed.path.strip("/")
    return "file", str(Path(parsed.path or uri))


def object_version_uri(bucket: str, key: str, version: str) -> str:
    """The dataset of one version of an S3 object: ``s3://<bucket>/<key>#<versionId or eTag>``
    (the ledger's ``file_id`` as a URI). Its lineage edge leads to ``s3://<bucket>/<key>``, the
    file the batch jobs read, so the graph reaches each version the Lambda validated."""
    return f"s3://{bucket}/{key}#{version}"


def make_client(*, file: Path | None = None, url: str | None = None) -> OpenLineageClient:
    """HTTP to ``url`` if given (AWS), else append to ``file`` (local), else no transport."""
    if url:
        return OpenLineageClient(transport=HttpTransport(HttpConfig(url=url, timeout=5.0)))
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
        return OpenLineageClient(transport=FileTransport(FileConfig(log_file_path=str(file), append=True)))
    return OpenLineageClient(transport=NoopTransport(NoopConfig()))


@dataclass
class LineageRun:
    """One job run being recorded; ``input``/``output`` add datasets until the run ends."""

    job: str
    batch_id: str | None
    run_id: str = field(default_factory=lambda: str(generate_new_uuid()))
    inputs: dict[str, InputDataset] = field(default_factory=dict)
    outputs: dict[str, OutputDataset] = field(default_factory=dict)
    parent: LineageRun | None = None
    steps: list[LineageRun] = field(default_factory=list)

    def step(self, name: str) -> LineageRun:
        """A child run ``<job>.<name>`` (one entity or table of the job), with datasets of its
        own: its edges then link exactly what that step read to what it wrote."""
        child = LineageRun(job=f"{self.job}.{name}", batch_id=self.batch_id, parent=self)
        self.steps.append(child)
        return child

    def input(self, uri: str, *, checks: Mapping[str, tuple[int, int]] | None = None) -> None:
        """Add an input; ``checks`` maps a rule name to ``(rows checked, rows failed)``."""
        namespace, name = dataset_name(uri)
        facets: dict[str, Any] = {}
        if checks:
            assertions = [
                Assertion(assertion=rule, success=failed == 0) for rule, (_, failed) in checks.items()
            ]
            facets["dataQualityAssertions"] = DataQualityAssertionsDatasetFacet(assertions=assertions)
        self.inputs[uri] = InputDataset(namespace=namespace, name=name, inputFacets=facets or None)

    def output(self, uri: str, *, rows: int | None = None) -> None:
        """Add an output; ``rows`` is what this run wrote to it."""
        namespace, name = dataset_name(uri)
        facets: dict[str, Any] = {}
        if rows is not None:
            facets["dataQualityMetrics"] = DataQualityMetricsDatasetFacet(columnMetrics={}, rowCount=rows)
        self.outputs[uri] = OutputDataset(namespace=namespace, name=name, facets=facets or None)

    def event(self, state: RunState, error: BaseException | None = None) -> RunEvent:
        facets: dict[str, Any] = {}
        if self.batch_id:
            facets["gladiator_batch"] = BatchRunFacet(batchId=self.batch_id)
        if self.parent is not None:
            facets["parent"] = ParentRunFacet(
                run=ParentRun(runId=self.parent.run_id),
                job=ParentJob(namespace=JOB_NAMESPACE, name=self.parent.job),
            )
        if error is not None:
            facets["errorMessage"] = ErrorMessageRunFacet(
                message=str(error)[:2000], programmingLanguage="python"
            )
        return RunEvent(
            eventType=state,
            eventTime=datetime.now(UTC).isoformat(),
            run=Run(runId=self.run_id, facets=facets),
            job=Job(namespace=JOB_NAMESPACE, name=self.job),
            producer=PRODUCER,
            inputs=list(self.inputs.values()),
            outputs=list(self.outputs.values()),
        )


class Lineage:
    """Sends run events through one client; see the module docstring."""

    def __init__(self, client: OpenLineageClient) -> None:
        self._client = client

    @classmethod
    def for_settings(cls, settings: Settings, *, url: str | None = None) -> Lineage:
        """The file transport locally, HTTP on AWS when an endpoint is configured: ``url`` (a Glue
        job's ``--lineage_url`` argument: Glue has no environment) or else ``settings.lineage_url``
        (GLADIATOR_LINEAGE_URL, the Lambda's environment)."""
        return cls(make_client(file=settings.lineage_file, url=url or settings.lineage_url))

    def _send(self, event: RunEvent) -> None:
        try:
            self._client.emit(event)
        except Exception:  # lineage is observability: never fail the job for it
            log.warning("lineage event for %s not sent", event.job.name, exc_info=True)

    @contextmanager
    def run(self, job: str, *, batch_id: str | None = None) -> Iterator[LineageRun]:
        """START now; COMPLETE with the datasets added, or FAIL with the error (re-raised).

        The steps of a completed run are sent as complete child runs (START and COMPLETE, with a
        parent facet) before the run's own COMPLETE; a failed run sends none of them."""
        current = LineageRun(job=job, batch_id=batch_id)
        self._send(current.event(RunState.START))
        try:
            yield current
        except BaseException as exc:
            self._send(current.event(RunState.FAIL, exc))
            raise
        for step in current.steps:
            self._send(step.event(RunState.START))
            self._send(step.event(RunState.COMPLETE))
        self._send(current.event(RunState.COMPLETE))
