"""The ingestion service's kept driver is warmed when the service starts: its JVM and Spark
session run before the first execution, which then gets the same process (no JVM start)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from gladiator.config import load_settings
from local_emulation import runner


def test_the_kept_driver_starts_its_session_before_the_first_execution(tmp_path: Path) -> None:
    settings = replace(load_settings("local"), home=tmp_path)
    assert runner.LocalPipeline.of(settings).warm_up() is False  # no kept driver: nothing to warm

    pipeline = runner.LocalPipeline.of(settings, keep_driver=True)
    try:
        assert pipeline.warm_up() is True
        assert "job driver warm: Spark session started" in (tmp_path / "logs/driver/warm-up.log").read_text()
        driver = pipeline._driver
        assert driver is not None and driver.process is not None and driver.process.poll() is None
        warm_pid = driver.process.pid

        probe = tmp_path / "probe.py"  # a job: is a Spark session already running in its process?
        probe.write_text(
            "import os\nfrom pyspark.sql import SparkSession\n"
            "print('active', SparkSession.getActiveSession() is not None, 'pid', os.getpid())\n"
        )
        assert driver.run(probe, [], tmp_path / "logs/probe.log") == 0
        assert driver.process.pid == warm_pid
        assert f"active True pid {warm_pid}" in (tmp_path / "logs/probe.log").read_text()
    finally:
        pipeline.close()
