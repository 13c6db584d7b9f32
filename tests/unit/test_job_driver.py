"""The local job driver: jobs run one after the other in one process, as spark-submit would run
them (argv, __main__, exit codes), each job's output in its own log, and a job that kills its
process group (the kill -9 crash points) takes the driver down and the next job gets a new one."""

from __future__ import annotations

from pathlib import Path

from gladiator.config import load_settings
from gladiator.pipeline import JobSpec
from local_emulation.runner import JobDriver

SCRIPTS = {
    "ok.py": (
        "import logging, os, sys\n"
        "logging.getLogger('gladiator.jobs.ok').info('argv %s', sys.argv[1:])\n"
        "print('pid', os.getpid())\n"
    ),
    "fails.py": "raise ValueError('broken job')\n",
    "exits.py": "import sys\nif __name__ == '__main__':\n    sys.exit(3)\n",
    "dies.py": "import os, signal\nos.killpg(os.getpgid(0), signal.SIGKILL)\n",
}


def test_jobs_share_one_driver_until_one_kills_it(tmp_path: Path) -> None:
    for name, body in SCRIPTS.items():
        (tmp_path / name).write_text(body)
    logs = tmp_path / "logs"
    driver = JobDriver(load_settings("local"), [JobSpec(name="ok", description="")], None)
    try:
        assert driver.run(tmp_path / "ok.py", ["--batch_id", "b1"], logs / "ok.log") == 0
        first_pid = driver.process.pid if driver.process else None
        assert driver.run(tmp_path / "ok.py", ["--batch_id", "b2"], logs / "ok2.log") == 0
        assert driver.process is not None and driver.process.pid == first_pid  # the same driver
        assert "argv ['--batch_id', 'b1']" in (logs / "ok.log").read_text()
        assert "b2" not in (logs / "ok.log").read_text() and "b2" in (logs / "ok2.log").read_text()

        assert driver.run(tmp_path / "fails.py", [], logs / "fails.log") == 1
        assert "ValueError: broken job" in (logs / "fails.log").read_text()
        assert driver.run(tmp_path / "exits.py", [], logs / "exits.log") == 3
        assert driver.process.pid == first_pid  # a failed job does not end the driver

        assert driver.run(tmp_path / "dies.py", [], logs / "dies.log") != 0
        assert driver.process is None  # killed with its job
        assert driver.run(tmp_path / "ok.py", [], logs / "ok3.log") == 0
        assert driver.process is not None and driver.process.pid != first_pid  # a new driver
    finally:
        driver.close()
    assert driver.process is None
