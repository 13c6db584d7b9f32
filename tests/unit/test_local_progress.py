"""The demo's progress lines: the jobs' per-entity INFO lines, nothing of Spark's output."""

from __future__ import annotations

from pathlib import Path

from local_emulation.progress import ProgressTail


def test_progress_shows_job_lines_and_hides_library_noise(tmp_path: Path) -> None:
    lines: list[str] = []
    tail = ProgressTail(tmp_path, lines.append)
    batch = tmp_path / "00000001-abc"
    batch.mkdir()
    log = batch / "bronze_to_silver.log"
    log.write_text(
        "26/12/02 11:31:57 WARN Utils: Your hostname, vm resolves to a loopback address\n"
        "2026-12-02 11:50:26,123 gladiator.jobs.bronze_to_silver INFO orders: {'rows_in': 150}\n"
        "2026-12-02 11:50:27,001 py4j.clientserver INFO Closing down clientserver connection\n"
        "2026-12-02 11:50:28,000 gladiator.jobs.bronze_to_silver INFO lineitem: {'rows_in': 600}\n"
        "2026-12-02 11:50:29,000 gladiator.jobs.bronze_to_silver INFO part"  # not complete yet
    )
    (batch / "driver.log").write_text("WARN the JVM's own output\n")
    tail.poll()
    text = "\n".join(lines)
    assert "bronze_to_silver: started" in text and str(batch) in text
    assert "orders: {'rows_in': 150}" in text and "lineitem: {'rows_in': 600}" in text
    assert "WARN" not in text and "py4j" not in text and "part" not in text
    with log.open("a") as out:
        out.write(": {'rows_in': 5}\n")
    tail.poll()
    assert lines[-1].endswith("bronze_to_silver: part: {'rows_in': 5}")
    assert sum("orders" in line for line in lines) == 1  # each line once
