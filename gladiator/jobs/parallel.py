"""Independent work of one batch job at the same time: entities, gold tables.

A batch's Spark work is mostly fixed costs per table (Delta log reads, commits, catalog calls,
small jobs) during which the two cores wait on the object store. Run one after the other, those
waits add up; run side by side, they overlap. :func:`run_after_dependencies` starts every item
as soon as the items it depends on have finished, a few at a time, each in its own thread.

Every thread works in its own Spark session of the one SparkContext
(``gladiator.spark.new_session``): Delta's transaction id and commit metadata of a MERGE are
session settings, so two threads sharing a session would commit under each other's ids.

A failure stops new starts; the items already running finish (a Delta commit is atomic, and each
is idempotent on the batch, so a re-run resumes), then the first error is raised.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TypeVar

from gladiator import constants
from gladiator.errors import ConfigurationError

log = logging.getLogger(__name__)

T = TypeVar("T")

# Measured with bench/bench_batch.py (README, "Batch speed"): see job_threads().
DEFAULT_THREADS = 3


def job_threads() -> int:
    """How many items a batch job runs at once: ``$GLADIATOR_JOB_THREADS`` (1 = one after the
    other), default :data:`DEFAULT_THREADS`."""
    raw = os.environ.get(constants.JOB_THREADS, "").strip()
    if not raw:
        return DEFAULT_THREADS
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigurationError(f"${constants.JOB_THREADS}={raw!r}: give a whole number >= 1")
    return int(raw)


def run_after_dependencies(
    dependencies: Mapping[str, Collection[str]],
    work: Callable[[str], T],
    *,
    threads: int | None = None,
) -> dict[str, T]:
    """Call ``work(name)`` once for every name of ``dependencies``, each after the names it
    depends on (those among the keys; others are ignored) have returned, at most ``threads`` at
    a time. Ready names start in the mapping's order. Returns the results by name.

    Raises ``ValueError`` on a dependency cycle (before any work starts), and re-raises the first
    exception of ``work`` once the calls already started have ended; nothing new starts after it.
    """
    names = list(dependencies)
    needs = {name: {d for d in dependencies[name] if d in dependencies and d != name} for name in names}
    _check_acyclic(needs)
    threads = threads or job_threads()
    results: dict[str, T] = {}
    if threads == 1:
        done: set[str] = set()
        while len(done) < len(names):  # the same order the threads would start them in
            name = next(n for n in names if n not in done and needs[n] <= done)
            results[name] = work(name)
            done.add(name)
        return results

    running: dict[Future[T], str] = {}
    finished: set[str] = set()
    error: BaseException | None = None
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="gladiator-job") as pool:
        while True:
            if error is None:
                started = set(running.values()) | finished
                for name in names:
                    if len(running) >= threads:
                        break
                    if name not in started and needs[name] <= finished:
                        running[pool.submit(work, name)] = name
            if not running:
                break
            completed, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in completed:
                name = running.pop(future)
                exc = future.exception()
                if exc is None:
                    results[name] = future.result()
                    finished.add(name)
                elif error is None:
                    error = exc
                    log.error("%s failed: %s; waiting for the work already started", name, exc)
    if error is not None:
        raise error
    return results


def _check_acyclic(needs: Mapping[str, set[str]]) -> None:
    settled: set[str] = set()
    while len(settled) < len(needs):
        ready = {n for n, deps in needs.items() if n not in settled and deps <= settled}
        if not ready:
            cycle = sorted(set(needs) - settled)
            raise ValueError(f"dependency cycle among {', '.join(cycle)}")
        settled |= ready
