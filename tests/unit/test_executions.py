"""The queue through which a command hands its execution to the ingestion service
(local_emulation.executions): taken once, oldest first, outcomes back to the waiting command,
and a stopped service never leaves a command waiting."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from gladiator.config import Settings, load_settings
from local_emulation import executions
from local_emulation.executions import Request


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return replace(load_settings("local"), home=tmp_path)


def test_a_request_is_taken_once_oldest_first(settings: Settings) -> None:
    assert executions.take(settings) is None  # no queue folder yet
    executions.submit(settings, Request("batch-b", {"batch_id": "b"}, ["mysql_to_bronze"]))
    older = executions.queue_dir(settings) / "batch-b.request.json"
    os.utime(older, (time.time() - 60, time.time() - 60))
    job = {"script": "glue_jobs/streaming_orders.py", "argv": ["--available_now", "true"], "log": "x.log"}
    executions.submit(settings, Request("stream-a", {}, job=job))
    first, second = executions.take(settings), executions.take(settings)
    assert first == Request("batch-b", {"batch_id": "b"}, ["mysql_to_bronze"])
    assert second == Request("stream-a", {}, None, job)
    assert executions.take(settings) is None
    assert sorted(p.name for p in executions.queue_dir(settings).iterdir()) == [
        "batch-b.running.json",
        "stream-a.running.json",
    ]


def test_the_waiting_command_gets_the_outcome(settings: Settings) -> None:
    executions.submit(settings, Request("batch-x", {"batch_id": "x"}))

    def service() -> None:
        request = executions.take(settings)
        assert request is not None
        time.sleep(0.3)
        executions.finish(settings, request.name, "FAILED", "job bronze_to_silver failed 1 time(s)")

    worker = threading.Thread(target=service)
    worker.start()
    outcome = executions.wait(settings, "batch-x", alive=lambda: True, poll_s=0.05)
    worker.join()
    assert outcome == executions.Outcome("batch-x", "FAILED", "job bronze_to_silver failed 1 time(s)")
    assert not (executions.queue_dir(settings) / "batch-x.running.json").exists()
    # the same batch queued again: the old outcome is not taken for the new execution's
    executions.submit(settings, Request("batch-x", {"batch_id": "x"}))
    assert not (executions.queue_dir(settings) / "batch-x.result.json").exists()


def test_a_stopped_service_fails_the_wait_and_withdraws_the_request(settings: Settings) -> None:
    executions.submit(settings, Request("batch-y", {"batch_id": "y"}))
    with pytest.raises(executions.ServiceStopped, match="gladiator local up"):
        executions.wait(settings, "batch-y", alive=lambda: False, poll_s=0.01)
    assert executions.take(settings) is None  # a later service does not run it unasked


def test_the_command_is_told_when_its_execution_waits_for_another(settings: Settings) -> None:
    executions.submit(settings, Request("batch-z", {"batch_id": "z"}))
    told: list[str] = []
    beats = iter(range(1000))

    def alive() -> bool:
        if next(beats) == 3:  # the service ends its current execution and runs this one
            request = executions.take(settings)
            assert request is not None
            executions.finish(settings, request.name, "SUCCEEDED")
        return True

    outcome = executions.wait(
        settings,
        "batch-z",
        alive=alive,
        poll_s=0.0,
        on_queued=lambda: told.append("queued"),
        notice_after_s=0.0,
    )
    assert outcome.status == "SUCCEEDED" and told == ["queued"]


def test_executions_a_stopped_service_left_running_are_recorded_failed(settings: Settings) -> None:
    executions.submit(settings, Request("batch-w", {"batch_id": "w"}))
    assert executions.take(settings) is not None
    assert executions.abandon_running(settings) == ["batch-w"]
    outcome = executions.wait(settings, "batch-w", alive=lambda: False)
    assert outcome.status == "FAILED" and "stopped during the execution" in (outcome.cause or "")
