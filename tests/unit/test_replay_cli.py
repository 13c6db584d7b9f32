"""The replay command's pure parts: the failure line it extracts from a job log, its report."""

from __future__ import annotations

import click
from click.testing import CliRunner

from gladiator_cli.replay import _last_error, _print_report

LOG = """\
2026-12-02 12:00:03,283 gladiator.replay.files INFO x: valid now
Traceback (most recent call last):
  File "glue_jobs/replay_quarantined.py", line 20, in main
gladiator.jobs.replay_quarantined.PipelineBusy: the pipeline lock is held by batch-7: replay again later
"""


def test_the_failure_line_is_the_exception_that_ended_the_job() -> None:
    assert _last_error(LOG) == "PipelineBusy: the pipeline lock is held by batch-7: replay again later"
    assert _last_error("killed\n") == "see the log"  # a job killed by a signal prints no exception


def test_the_report_lists_entities_and_files() -> None:
    report = {
        "replay_id": "replay-1",
        "resumed": True,
        "entities": {
            "customer": {"rows_in": 148, "accepted": 139, "quarantined": 9, "duplicates": 0, "stale": 0}
        },
        "files": {
            "released": ["landing/supplier/a.jsonl#e"],
            "still_quarantined": {"empty_file": 1},
            "skipped": {},
        },
    }

    @click.command()
    def show() -> None:
        _print_report(report)

    out = CliRunner().invoke(show).output
    assert "replay replay-1 (resumed)" in out
    assert "customer" in out and "139" in out and "148" in out
    assert "landing/supplier/a.jsonl#e" in out and "empty_file 1" in out
