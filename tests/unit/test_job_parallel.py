"""gladiator.jobs.parallel: work starts after its dependencies, side by side otherwise, and the
first failure stops new starts."""

from __future__ import annotations

import threading
import time

import pytest

from gladiator import constants
from gladiator.contracts import CONTRACTS
from gladiator.errors import ConfigurationError
from gladiator.jobs import parallel


class Recorder:
    def __init__(self, seconds: float = 0.05, fail: str | None = None) -> None:
        self.seconds, self.fail = seconds, fail
        self.events: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self.running = 0
        self.most_at_once = 0

    def __call__(self, name: str) -> str:
        with self.lock:
            self.events.append(("start", name))
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        try:
            time.sleep(self.seconds / 5 if name == self.fail else self.seconds)  # fails early
            if name == self.fail:
                raise RuntimeError(f"{name} broke")
            return name.upper()
        finally:
            with self.lock:
                self.running -= 1
                self.events.append(("end", name))

    def index(self, kind: str, name: str) -> int:
        return self.events.index((kind, name))


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_each_item_starts_after_its_dependencies_end(threads: int):
    deps = {name: CONTRACTS[name].referenced_entities for name in CONTRACTS}
    work = Recorder()
    results = parallel.run_after_dependencies(deps, work, threads=threads)
    assert results == {name: name.upper() for name in CONTRACTS}
    for name, needs in deps.items():
        for need in needs:
            assert work.index("end", need) < work.index("start", name), (need, name)
    assert work.most_at_once <= threads


def test_independent_items_run_side_by_side():
    work = Recorder(seconds=0.2)
    started = time.monotonic()
    parallel.run_after_dependencies({"a": (), "b": (), "c": ()}, work, threads=3)
    assert work.most_at_once == 3
    assert time.monotonic() - started < 0.5  # one after the other would take 0.6 s


def test_a_failure_stops_new_starts_and_is_raised_after_the_running_ones_end():
    work = Recorder(fail="a")
    deps = {"a": (), "b": (), "c": ("a",), "d": ("b",)}
    with pytest.raises(RuntimeError, match="a broke"):
        parallel.run_after_dependencies(deps, work, threads=2)
    started = {name for kind, name in work.events if kind == "start"}
    assert "c" not in started  # depends on the failed item
    assert ("end", "b") in work.events  # the running one finished
    assert "d" not in started  # nothing new after the failure


def test_unknown_dependencies_are_ignored_and_cycles_refused():
    assert parallel.run_after_dependencies({"a": ("elsewhere",)}, str.upper, threads=2) == {"a": "A"}
    with pytest.raises(ValueError, match="cycle among a, b"):
        parallel.run_after_dependencies({"a": ("b",), "b": ("a",), "c": ()}, str.upper, threads=2)


def test_the_thread_count_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(constants.JOB_THREADS, raising=False)
    assert parallel.job_threads() == parallel.DEFAULT_THREADS
    monkeypatch.setenv(constants.JOB_THREADS, "1")
    assert parallel.job_threads() == 1
    monkeypatch.setenv(constants.JOB_THREADS, "zero")
    with pytest.raises(ConfigurationError, match="whole number"):
        parallel.job_threads()
