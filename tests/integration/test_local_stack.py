"""Lifecycle and failure modes of `gladiator local up | down | status`, on ISOLATED stacks.

Each test runs the real CLI with its own GLADIATOR_HOME and GLADIATOR_PORT_OFFSET, so the shared
stack used by the rest of the suite is never touched.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from gladiator.config import LocalPorts
from local_emulation.process import _alive, port_is_free

GLADIATOR = Path(sys.executable).parent / "gladiator"
SERVICES = ("moto", "kafka", "mariadb", "postgres", "ingestion")


def run_cli(*args: str, home: Path, offset: int, extra_env: dict[str, str] | None = None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GLADIATOR_")}
    env |= {"GLADIATOR_HOME": str(home), "GLADIATOR_PORT_OFFSET": str(offset)} | (extra_env or {})
    return subprocess.run([str(GLADIATOR), *args], env=env, capture_output=True, text=True, timeout=300)


def recorded_pids(home: Path) -> dict[str, int]:
    run = home / "stack" / "run"
    return {p.stem: json.loads(p.read_text())["pid"] for p in run.glob("*.pid") if p.stem in SERVICES}


def all_ports(offset: int) -> list[int]:
    return list(LocalPorts().shifted(offset).__dict__.values())


@pytest.fixture
def isolated(tmp_path: Path):
    """An isolated stack home; whatever the test started is stopped afterwards."""
    homes: list[tuple[Path, int]] = []

    def make(offset: int) -> Path:
        home = tmp_path / f"home{offset}"
        homes.append((home, offset))
        return home

    yield make
    for home, offset in homes:
        run_cli("local", "down", home=home, offset=offset)


@pytest.mark.slow
def test_up_twice_status_healthy_then_down_leaves_nothing(isolated) -> None:
    offset = 200
    home = isolated(offset)
    first = run_cli("local", "up", home=home, offset=offset)
    assert first.returncode == 0, first.stderr
    pids = recorded_pids(home)
    assert sorted(pids) == sorted(SERVICES)

    second = run_cli("local", "up", home=home, offset=offset)
    assert second.returncode == 0, second.stderr
    assert second.stderr.count("already running") == len(SERVICES)
    assert recorded_pids(home) == pids, "a second `up` must keep the running services"

    status = run_cli("local", "status", "--json", home=home, offset=offset)
    assert status.returncode == 0, status.stdout + status.stderr
    info = json.loads(status.stdout)
    assert info["services"] == dict.fromkeys(SERVICES, True)
    ports = LocalPorts().shifted(offset)
    assert info["aws_endpoint"] == f"http://127.0.0.1:{ports.moto}"
    assert info["kafka_bootstrap"] == f"127.0.0.1:{ports.kafka}"
    assert f":{ports.mariadb}/" in info["mysql_url"] and f":{ports.postgres}/" in info["warehouse_url"]
    assert set(info["buckets"]) >= {"landing", "lake", "quarantine"}
    assert set(info["tables"]) >= {"ledger", "job-state", "idempotency", "live-kpis"}

    down = run_cli("local", "down", home=home, offset=offset)
    assert down.returncode == 0, down.stderr
    assert not [name for name, pid in pids.items() if _alive(pid)], "processes left after down"
    assert all(port_is_free(p) for p in all_ports(offset))
    after = run_cli("local", "status", "--json", home=home, offset=offset)
    assert after.returncode == 1
    # the optional ingestion service is listed while it runs only
    assert json.loads(after.stdout)["services"] == dict.fromkeys(SERVICES[:-1], False)


def test_a_taken_port_is_named_and_nothing_is_started(isolated) -> None:
    offset = 300
    home = isolated(offset)
    taken = LocalPorts().shifted(offset).postgres  # the LAST service: the others would start first
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", taken))
        blocker.listen()
        result = run_cli("local", "up", home=home, offset=offset)
    assert result.returncode == 1
    assert f"port {taken}" in result.stderr and "PostgreSQL" in result.stderr
    assert "Traceback" not in result.stderr
    assert not [pid for pid in recorded_pids(home).values() if _alive(pid)]
    assert all(port_is_free(p) for p in all_ports(offset))


def test_a_failing_service_rolls_back_the_ones_started_before_it(isolated) -> None:
    offset = 400
    home = isolated(offset)
    # A MariaDB data folder without system tables: mariadbd exits at start-up.
    (home / "stack" / "data" / "mariadb" / "mysql").mkdir(parents=True)
    result = run_cli("local", "up", home=home, offset=offset)
    assert result.returncode == 1
    assert "mariadb exited during start-up" in result.stderr
    assert "stopping kafka (start-up failed)" in result.stderr
    assert "stopping moto (start-up failed)" in result.stderr
    assert not [pid for pid in recorded_pids(home).values() if _alive(pid)]
    assert all(port_is_free(p) for p in all_ports(offset))


@pytest.mark.parametrize("java_home", ["/nonexistent/jdk", "/usr/lib/jvm/temurin-25-jdk-amd64"])
def test_a_missing_jdk17_is_a_clear_error(isolated, java_home: str) -> None:
    offset = 500
    home = isolated(offset)
    result = run_cli("local", "up", home=home, offset=offset, extra_env={"GLADIATOR_JAVA_HOME": java_home})
    assert result.returncode == 1
    assert "is not a JDK 17" in result.stderr and "openjdk-17" in result.stderr
    assert not recorded_pids(home)


def test_a_jar_that_failed_to_download_is_named(isolated, tmp_path: Path) -> None:
    offset = 600
    home = isolated(offset)
    jars = tmp_path / "jars"
    shutil.copytree(Path(__file__).resolve().parents[2] / ".gladiator" / "jars", jars)
    for jar in (jars / "spark").glob("delta-spark_2.12-*.jar"):
        jar.unlink()
    result = run_cli("local", "up", home=home, offset=offset, extra_env={"GLADIATOR_JARS_DIR": str(jars)})
    assert result.returncode == 1
    assert "delta-spark_2.12-*.jar is missing" in result.stderr and "make setup" in result.stderr
    assert not recorded_pids(home)
