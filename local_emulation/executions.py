"""Local StartExecution: a command hands its pipeline execution to the running ingestion service.

On AWS `gladiator pipeline run` starts a Step Functions execution and Step Functions runs it.
Locally the ingestion service (``local_emulation.ingestion_service``) already plays Step Functions
for dropped files, with one warm Spark driver kept between its executions: the JVM is started,
its classes are loaded and the code the JIT compiled stays compiled. A command that ran its
execution in its own process started a cold driver instead; so while the service runs, the
command puts its execution in the service's queue and follows it, as it would follow a Step
Functions execution. Measured with ``bench/profile_batch.py --scale 0.01 --repeat 3`` (one JVM,
three first batches into fresh lakes, 2026-12-03): 121.4 s cold, then 78.8 s and 72.4 s warm.

The queue is a folder of JSON files under the stack's run directory:

- ``<name>.request.json``: written by the command (atomically: a temporary name, then a rename);
- ``<name>.running.json``: the same request, renamed by the service when it takes it (a rename, so
  an execution is taken once); the service takes one when no execution runs;
- ``<name>.result.json``: ``{"name", "status", "cause"}``, written when the execution ends.

A service that stops during an execution leaves its ``.running.json``: the next service records
those as FAILED (their batch stays claimed: ``gladiator pipeline run --batch-id`` resumes it), and
a command waiting on one fails when the service's heartbeat stops.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gladiator.config import Settings
from gladiator.errors import GladiatorError
from gladiator.outcomes import RunState

REQUEST, RUNNING, RESULT = ".request.json", ".running.json", ".result.json"


class ServiceStopped(GladiatorError):
    """The ingestion service stopped before the execution it was given ended."""


@dataclass(frozen=True)
class Request:
    """An execution of the state machine (``input``, the ``jobs`` selected), or with ``job`` one
    run of a single job script, as Glue's StartJobRun: ``{"script", "argv", "log"}``."""

    name: str
    input: dict[str, Any]
    jobs: list[str] | None = None
    job: dict[str, Any] | None = None


@dataclass(frozen=True)
class Outcome:
    name: str
    status: str  # RunState.SUCCEEDED or RunState.FAILED
    cause: str | None = None


def queue_dir(settings: Settings) -> Path:
    return settings.home / "stack" / "run" / "executions"


def _write(path: Path, document: dict[str, Any]) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(document))
    os.replace(temporary, path)  # readers see the whole file or none


def submit(settings: Settings, request: Request) -> None:
    """Queue ``request`` for the service (a result of an earlier execution of that name is removed)."""
    folder = queue_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{request.name}{RESULT}").unlink(missing_ok=True)
    _write(
        folder / f"{request.name}{REQUEST}",
        {"name": request.name, "input": request.input, "jobs": request.jobs, "job": request.job},
    )


def take(settings: Settings) -> Request | None:
    """The oldest queued request, now marked running; None if none is queued."""
    folder = queue_dir(settings)
    if not folder.is_dir():
        return None
    for path in sorted(folder.glob(f"*{REQUEST}"), key=lambda p: (p.stat().st_mtime, p.name)):
        running = path.with_name(path.name.removesuffix(REQUEST) + RUNNING)
        try:
            os.replace(path, running)
        except FileNotFoundError:  # taken by another service of this home meanwhile
            continue
        document = json.loads(running.read_text())
        return Request(
            name=document["name"], input=document["input"], jobs=document.get("jobs"), job=document.get("job")
        )
    return None


def finish(settings: Settings, name: str, status: str, cause: str | None = None) -> None:
    """Record how execution ``name`` ended (its running marker goes)."""
    folder = queue_dir(settings)
    _write(folder / f"{name}{RESULT}", {"name": name, "status": status, "cause": cause})
    (folder / f"{name}{RUNNING}").unlink(missing_ok=True)


def abandon_running(settings: Settings) -> list[str]:
    """Executions a previous service took and never finished: recorded FAILED; their names."""
    folder = queue_dir(settings)
    names = [p.name.removesuffix(RUNNING) for p in folder.glob(f"*{RUNNING}")] if folder.is_dir() else []
    for name in names:
        finish(settings, name, RunState.FAILED, "the ingestion service stopped during the execution")
    return names


def wait(
    settings: Settings,
    name: str,
    *,
    alive: Callable[[], bool],
    poll_s: float = 0.5,
    on_queued: Callable[[], None] | None = None,
    notice_after_s: float = 5.0,
) -> Outcome:
    """Block until execution ``name`` has a result. Raises ServiceStopped if ``alive()`` turns
    false first (the request, if not yet taken, is withdrawn). ``on_queued`` is called once if
    the request still waits for the service's current execution after ``notice_after_s``."""
    folder = queue_dir(settings)
    result, request = folder / f"{name}{RESULT}", folder / f"{name}{REQUEST}"
    queued_since, told = time.monotonic(), False
    while True:
        if result.exists():
            document = json.loads(result.read_text())
            return Outcome(name=document["name"], status=document["status"], cause=document.get("cause"))
        if not alive():
            request.unlink(missing_ok=True)
            if result.exists():  # finished just before it stopped
                continue
            raise ServiceStopped(
                f"the local ingestion service stopped before execution {name} ended; "
                "`gladiator local up` starts it again"
            )
        if on_queued and not told and request.exists() and time.monotonic() - queued_since >= notice_after_s:
            on_queued()
            told = True
        time.sleep(poll_s)
