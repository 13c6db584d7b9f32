"""Progress of local pipeline runs in the terminal: one line per job and per entity or table.

The jobs already log one INFO line per entity (bronze, silver), table (gold) and OLTP table
(mysql) through their ``gladiator.jobs.*`` loggers; the runner writes each job's output to
``<home>/logs/pipeline/<batch>/<job>.log``. ``ProgressTail`` follows those files and prints those
lines with the time since it started, plus a "still running" line when a job has been quiet for
``quiet_s``, so a long run never leaves the terminal silent. Spark, Hadoop and Kafka output stays
in the log files (whose folder is printed once).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from pathlib import Path

# "2026-12-02 11:50:26,123 gladiator.jobs.bronze_to_silver INFO orders: {...}"
_LINE = re.compile(r"^\S+ \S+ gladiator\.jobs\.(?P<job>\w+) INFO (?P<message>.*)$")


class ProgressTail:
    """Follow the pipeline logs under ``root`` (files written after ``start``) and call ``echo``
    with one line per progress message; a background thread while used as a context manager."""

    def __init__(
        self, root: Path, echo: Callable[[str], None], *, quiet_s: float = 10.0, poll_s: float = 1.0
    ) -> None:
        self.root, self.echo, self.quiet_s, self.poll_s = root, echo, quiet_s, poll_s
        self.started = time.monotonic()
        self._since = time.time() - 1
        self._offsets: dict[Path, int] = {}
        self._last_output = time.monotonic()
        self._current: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, name="progress-tail", daemon=True)
        self._announced: set[Path] = set()

    def __enter__(self) -> ProgressTail:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.poll()  # the last lines

    def _say(self, text: str) -> None:
        self.echo(f"    [{time.monotonic() - self.started:5.0f} s] {text}")
        self._last_output = time.monotonic()

    def _follow(self) -> None:
        while not self._stop.wait(self.poll_s):
            self.poll()
            if self._current and time.monotonic() - self._last_output >= self.quiet_s:
                self._say(f"{self._current}: still running")

    def poll(self) -> None:
        """Print the progress lines written since the last poll."""
        if not self.root.exists():
            return
        for path in sorted(self.root.glob("*/*.log"), key=lambda p: p.stat().st_mtime):
            if path.name == "driver.log" or path.stat().st_mtime < self._since:
                continue
            if path.parent not in self._announced:
                self._announced.add(path.parent)
                self._say(f"batch {path.parent.name} (job logs: {path.parent})")
            job = path.stem
            with path.open("rb") as log:
                log.seek(self._offsets.get(path, 0))
                chunk = log.read()
            complete = chunk[: chunk.rfind(b"\n") + 1]
            self._offsets[path] = self._offsets.get(path, 0) + len(complete)
            if complete and self._current != job:
                self._current = job
                self._say(f"{job}: started")
            for raw in complete.decode("utf-8", "replace").splitlines():
                match = _LINE.match(raw)
                if match:
                    self._say(f"{job}: {match['message'][:150]}")
