"""One Spark driver for all the jobs of a local pipeline run: the local stand-in for Glue workers.

Glue starts a fresh driver per job run; locally that costs a JVM start, Delta's start-up and the
Python imports once per job (about 10-15 s each on 2 cores), which for a small batch is most of
the run. The runner (``local_emulation.runner``) therefore starts this process once per
execution and sends it the jobs one by one; it runs each ``glue_jobs/<name>.py`` exactly as
``spark-submit`` would (``runpy`` with ``__name__ == "__main__"`` and ``sys.argv``), so the job code
is the same. The session is created lazily by the first job that needs Spark
(``gladiator.spark.get_spark`` returns the running one to the next jobs): a run with no Spark
work starts no JVM at all.

Protocol: one JSON request per line on stdin ``{"script", "argv", "env", "log"}``; one JSON
answer per line on the file descriptor given by ``--answers-fd``: ``{"exit_code", "seconds"}``.
The job's Python output (prints, logging) goes to its ``log`` file; the JVM's own output goes to
this process's stderr (the run's driver log). A job that kills its process group (the crash
points of the kill -9 tests) kills this driver: the runner sees the answer pipe close and starts a
new driver for the retry, as Glue would start a new job run.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import runpy
import sys
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO


class _CurrentLog:
    """A text stream that writes to the current job's log file (stdout, stderr and logging)."""

    def __init__(self, fallback: TextIO) -> None:
        self.target: TextIO = fallback

    def write(self, text: str) -> int:
        return self.target.write(text)

    def flush(self) -> None:
        self.target.flush()

    def isatty(self) -> bool:
        return False


@contextmanager
def _job_environment(env: dict[str, str]) -> Iterator[None]:
    """``env`` set for one job, the previous values restored afterwards."""
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_script(script: str, argv: list[str]) -> int:
    """Run one job script as ``spark-submit script argv...`` would; its exit code."""
    saved_argv = sys.argv
    sys.argv = [script, *argv]
    try:
        runpy.run_path(script, run_name="__main__")
        return 0
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except BaseException:  # the job failed: its traceback goes to its log, as spark-submit's would
        traceback.print_exc()
        return 1
    finally:
        sys.argv = saved_argv


def serve(requests: TextIO, answers: TextIO, log: _CurrentLog) -> None:
    """Run the jobs of ``requests`` one after the other until stdin closes."""
    for line in requests:
        if not line.strip():
            continue
        request: dict[str, Any] = json.loads(line)
        started = time.monotonic()
        with open(request["log"], "a", encoding="utf-8") as job_log, _job_environment(request.get("env", {})):
            log.target = job_log
            try:
                code = run_script(request["script"], list(request["argv"]))
            finally:
                sys.stdout.flush()
                log.target = sys.__stderr__ or job_log
        answers.write(json.dumps({"exit_code": code, "seconds": round(time.monotonic() - started, 2)}) + "\n")
        answers.flush()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers-fd", type=int, required=True, help="Where the job results are written.")
    args = parser.parse_args(argv)
    log = _CurrentLog(sys.__stderr__ or sys.stderr)
    sys.stdout = sys.stderr = log
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s", stream=log, force=True
    )
    with os.fdopen(args.answers_fd, "w", encoding="utf-8") as answers:
        serve(sys.stdin, answers, log)


if __name__ == "__main__":
    main()
