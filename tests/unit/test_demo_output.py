"""The demo's terminal: a command's progress lines pass through, the JVM libraries' log lines go
to a log file (counted and named once), stdout is returned."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from local_emulation import demo

SCRIPT = """
import sys
print("26/12/02 12:56:06 WARN MetricsConfig: Cannot locate configuration", file=sys.stderr)
print("Setting default log level to \\"WARN\\".", file=sys.stderr)
print("  batch 1: 5000 events merged", file=sys.stderr)
print('{"sent": 5000}')
"""


def test_library_log_lines_go_to_a_file_and_progress_stays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(demo, "GLADIATOR", [sys.executable, "-c", SCRIPT])
    monkeypatch.setitem(demo.LIBRARY_LOGS, "dir", tmp_path)
    out = demo.gladiator("stream", "produce", capture=True)
    terminal = capsys.readouterr().err
    assert out.strip() == '{"sent": 5000}'
    assert "batch 1: 5000 events merged" in terminal
    assert "WARN" not in terminal.replace("library log lines", "") and "Setting default" not in terminal
    log = (tmp_path / "stream-produce.log").read_text()
    assert "WARN MetricsConfig" in log and "Setting default log level" in log
    assert f"2 library log lines in {tmp_path / 'stream-produce.log'}" in terminal
