"""The end-to-end local demo: every capability of the pipeline, in order, with counts and timings.

generate → OLTP seed → drop (event-driven: the local ingestion service validates the files, the
batch trigger starts the pipeline, bronze/silver/gold/warehouse follow; the demo only waits on
`pipeline status`) → OLTP churn + incremental extract → stream → warehouse → Tableau + EDA → dashboard.

Each step runs the same `gladiator` commands a user would type (their output is shown as it
happens) and returns the figures for the closing summary. A failing step stops the demo with
its error: nothing is skipped silently.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import click

from gladiator.config import Settings
from gladiator.errors import GladiatorError
from gladiator.ingestion.trigger import ENV_MAX_WAIT_S
from local_emulation.progress import ProgressTail

# Where the library log lines of the demo's commands go (``run_demo`` sets <home>/logs/demo).
LIBRARY_LOGS = {"dir": Path(".gladiator/logs/demo")}

StepResult = dict[str, Any]
GLADIATOR = [sys.executable, "-m", "gladiator_cli"]


class DemoFailed(GladiatorError):
    """A demo step's command failed."""


@dataclass
class DemoContext:
    settings: Settings
    workdir: Path
    scale: float
    seed: int
    faults: float
    keep_dashboard: bool
    stream_seconds: float = 15.0
    stream_rate: float = 1000.0
    dashboard_port: int = 8050
    pipeline_timeout_s: float = 3600.0
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def data_dir(self) -> Path:
        return self.workdir / "data"


@dataclass(frozen=True)
class Step:
    name: str
    run: Callable[[DemoContext], StepResult]


@dataclass
class StepOutcome:
    name: str
    seconds: float
    figures: StepResult


def _say(message: str) -> None:
    click.echo(message, err=True)


# Lines the JVM libraries (Spark, Hadoop, Kafka clients) write to stderr: log4j's console format
# and Spark's start-up banner. The demo keeps them in a log file, not in the terminal.
_LIBRARY_NOISE = re.compile(
    r"^(\d\d/\d\d/\d\d \d\d:\d\d:\d\d (TRACE|DEBUG|INFO|WARN|ERROR) |Setting default log level|"
    r"To adjust logging level|\s+at |SLF4J: )"
)


def gladiator(*args: str, capture: bool = False, timeout: float = 3600, quiet: bool = False) -> str:
    """Run one `gladiator` command; its stderr (progress) streams through, except the JVM
    libraries' log lines, which go to ``<home>/logs/demo/<command>.log`` (named once); stdout is
    returned when ``capture`` (else shown). Raises DemoFailed naming the command on a non-zero exit."""
    command = [*GLADIATOR, *args]
    if not quiet:
        _say(f"    $ gladiator {' '.join(args)}")
    log_file = LIBRARY_LOGS["dir"] / f"{'-'.join(args[:2])}.log"
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE if capture else None,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    chunks: list[str] = []
    reader = threading.Thread(target=lambda: chunks.append(process.stdout.read() if process.stdout else ""))
    reader.start()
    noisy = 0
    assert process.stderr is not None
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("a", encoding="utf-8") as log:
        for line in process.stderr:
            if _LIBRARY_NOISE.match(line):
                log.write(line)
                noisy += 1
            else:
                click.echo(line.rstrip("\n"), err=True)
    try:
        returncode = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        raise DemoFailed(f"`gladiator {' '.join(args)}` did not finish within {timeout:.0f} s") from None
    reader.join()
    if noisy and not quiet:
        _say(f"    ({noisy} library log lines in {log_file})")
    if returncode != 0:
        raise DemoFailed(
            f"`gladiator {' '.join(args)}` failed with exit code {returncode} (library log {log_file})"
        )
    return "".join(chunks)


# --- steps -----------------------------------------------------------------------------------
def step_local_stack(ctx: DemoContext) -> StepResult:
    # The demo's few files should not wait the trigger's default 5 minutes (a running ingestion
    # service keeps the settings it was started with).
    os.environ.setdefault(ENV_MAX_WAIT_S, "15")
    gladiator("local", "up")
    status = json.loads(gladiator("local", "status", "--json", capture=True))
    return {"services healthy": sum(status["services"].values()), "aws endpoint": status["aws_endpoint"]}


def step_generate(ctx: DemoContext) -> StepResult:
    gladiator(
        "generate", "--scale", str(ctx.scale), "--out", str(ctx.data_dir), "--seed", str(ctx.seed),
        "--faults", str(ctx.faults), "--format", "mixed", "--files-per-entity", "2",
        "--end-date", date.today().isoformat(),  # the data ends today, so the dashboards look current
    )  # fmt: skip
    faults = json.loads((ctx.data_dir / "faults.json").read_text())["faults"]
    truth_rows = 0
    import pyarrow.parquet as pq

    for part in (ctx.data_dir / "truth").rglob("*.parquet"):
        truth_rows += pq.read_metadata(part).num_rows
    files = [p for p in (ctx.data_dir / "landing").rglob("*") if p.is_file()]
    ctx.state["truth_rows"] = truth_rows
    return {"truth rows": truth_rows, "landing files": len(files), "injected faults": len(faults)}


def _ledger_states(*, quiet: bool = False) -> Counter[str]:
    lines = gladiator("ledger", "--json", capture=True, quiet=quiet).splitlines()
    return Counter(json.loads(line)["state"] for line in lines if line.strip())


def step_drop(ctx: DemoContext) -> StepResult:
    """Drop the landing files, then only watch: no `ingest`, no `pipeline run`."""
    before = {r.get("batch_id") for r in _pipeline_status().get("runs", [])}
    gladiator("drop", str(ctx.data_dir / "landing"))
    files = [p for p in (ctx.data_dir / "landing").rglob("*") if p.is_file()]
    _say("    the ingestion service batches the files and runs the pipeline; its progress:")
    with ProgressTail(ctx.settings.home / "logs" / "pipeline", _say):
        status = wait_for_pipeline(len(files), before, timeout_s=ctx.pipeline_timeout_s)
    ctx.state["pipeline_status"] = status
    states = _ledger_states()
    return {
        "files dropped": len(files),
        "MB": round(sum(p.stat().st_size for p in files) / 1e6, 1),
        **{k.lower(): v for k, v in sorted(states.items())},
        **_layer_figures(status),
    }


def wait_for_pipeline(files: int, before: set[Any], *, timeout_s: float) -> dict[str, Any]:
    """Poll `pipeline status --json` (and the ledger) until every dropped file is LOADED or
    QUARANTINED and the batches they started have SUCCEEDED."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        time.sleep(5)
        status = json.loads(gladiator("pipeline", "status", "--json", capture=True, quiet=True))
        new_runs = [r for r in status.get("runs", []) if r.get("batch_id") not in before]
        failed = [r["batch_id"] for r in new_runs if r.get("state") == "FAILED"]
        if failed:
            raise DemoFailed(f"batch(es) {failed} failed: see `gladiator pipeline status`")
        states = _ledger_states(quiet=True)  # polled: the progress lines say what happens
        settled = states.get("LOADED", 0) + states.get("QUARANTINED", 0) >= files
        if settled and new_runs and all(r.get("state") == "SUCCEEDED" for r in new_runs):
            return dict(status)
    raise DemoFailed(
        f"the dropped files were not all loaded within {timeout_s:.0f} s: see `gladiator ledger`"
    )


def step_oltp_seed(ctx: DemoContext) -> StepResult:
    gladiator("mysql", "seed", "--from", str(ctx.data_dir))
    return {"source": "MariaDB retail"}


def _pipeline_status() -> dict[str, Any]:
    return dict(json.loads(gladiator("pipeline", "status", "--json", capture=True)))


def _layer_figures(status: dict[str, Any]) -> StepResult:
    """The latest run's reconciliation (rows in = accepted + quarantined + duplicates + stale)
    and job times, from `pipeline status --json`."""
    runs = [r for r in status.get("runs", []) if isinstance(r, dict)]
    if not runs:
        raise DemoFailed("`gladiator pipeline status` reports no run")
    run = max(runs, key=lambda r: str(r.get("started_at", "")))
    totals: Counter[str] = Counter()
    for entity in run.get("reconciliation", []):
        for key in ("rows_in", "accepted", "quarantined", "duplicates", "stale"):
            totals[key] += int(entity.get(key, 0))
    if not all(e.get("balanced") for e in run.get("reconciliation", [])):
        raise DemoFailed(f"batch {run.get('batch_id')} does not reconcile: {run.get('reconciliation')}")
    jobs = run.get("jobs", {})
    return {
        "batch": run.get("batch_id"),
        "state": run.get("state"),
        **dict(totals),
        "delta tables": len(status.get("tables", {})),
        **{f"{name} s": job.get("seconds") for name, job in jobs.items() if isinstance(job, dict)},
    }


def step_oltp_incremental(ctx: DemoContext) -> StepResult:
    gladiator("mysql", "churn", "--orders", "50", "--updates", "100", "--seed", str(ctx.seed))
    gladiator("pipeline", "run", "--wait", "--scheduled")  # no new file: the schedule's run (with progress)
    return _layer_figures(_pipeline_status())


def step_stream(ctx: DemoContext) -> StepResult:
    produced = _last_json(
        gladiator(
            "stream", "produce", "--rate", str(ctx.stream_rate), "--duration", str(ctx.stream_seconds),
            "--faults", "0.01", "--scale", str(ctx.scale), capture=True,
        )
    )  # fmt: skip
    ran = _last_json(gladiator("stream", "run", "--available-now", capture=True))
    dead = ran.get("dead_letters") or {}
    return {
        "events sent": produced.get("sent"),
        "events/s": produced.get("rate"),
        "micro-batches": ran.get("batches"),
        "orders merged": ran.get("orders_placed"),
        "lines merged": ran.get("lines"),
        "status changes": ran.get("status_changes"),
        "duplicates dropped": ran.get("duplicates_dropped"),
        "dead letters": sum(dead.values()) if isinstance(dead, dict) else dead,
        "KPI windows written": ran.get("kpi_written"),
    }


def _last_json(text: str) -> dict[str, Any]:
    for line in reversed(text.strip().splitlines()):
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def step_warehouse(ctx: DemoContext) -> StepResult:
    summary = _last_json(gladiator("warehouse", "load", "--json", capture=True))
    tables = summary.get("tables", [])
    statuses = Counter(str(t.get("status")) for t in tables)
    return {
        "gold tables": len(tables),
        **{f"tables {k}": v for k, v in sorted(statuses.items())},
        "gold rows": sum(int(t.get("rows", 0)) for t in tables),
    }


def step_exports(ctx: DemoContext) -> StepResult:
    tableau = ctx.workdir / "tableau"
    eda = ctx.workdir / "eda"
    gladiator("export", "tableau", "--out", str(tableau))
    gladiator("eda", "--out", str(eda))
    return {
        "hyper extracts": len(list(tableau.glob("*.hyper"))),
        "eda report": str(next(iter(sorted(eda.glob("*.html"))), eda)),
    }


def step_dashboard(ctx: DemoContext) -> StepResult:
    url = f"http://127.0.0.1:{ctx.dashboard_port}/"
    _say(f"    $ gladiator dashboard --port {ctx.dashboard_port}")
    access_log = LIBRARY_LOGS["dir"] / "dashboard.log"  # the web server's request lines
    access_log.parent.mkdir(parents=True, exist_ok=True)
    with access_log.open("a") as requests_out:
        server = subprocess.Popen(
            [*GLADIATOR, "dashboard", "--port", str(ctx.dashboard_port)],
            env=os.environ.copy(),
            stderr=requests_out if not ctx.keep_dashboard else None,
        )
    _say(f"    (the server's request log: {access_log})")
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    size = len(response.read())
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise DemoFailed(
                        f"the dashboard did not come up at {url} (its log: {access_log})"
                    ) from None
                time.sleep(0.5)
        shot = _screenshot(url, ctx.workdir / "dashboard.png")
        if ctx.keep_dashboard:
            _say(f"    dashboard at {url} — Ctrl-C to stop")
            server.wait()
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait(timeout=20)
    return {"url": url, "page bytes": size, "screenshot": shot}


def _screenshot(url: str, out: Path) -> str:
    """A picture of the page, taken by headless Chromium once its charts have loaded."""
    import shutil

    chromium = shutil.which("chromium")
    if chromium is None:
        return "no chromium installed"
    subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={out.parent / '.chromium'}", "--window-size=1400,1800",
         "--virtual-time-budget=15000", f"--screenshot={out}", url],
        capture_output=True, timeout=120, check=False,
    )  # fmt: skip
    return str(out) if out.exists() else "screenshot failed"


def default_steps() -> list[Step]:
    """The demo's steps, in pipeline order."""
    return [
        Step("local stack", step_local_stack),
        Step("generate", step_generate),
        Step("OLTP seed (MariaDB)", step_oltp_seed),
        Step("drop -> bronze/silver/gold", step_drop),
        Step("OLTP churn + incremental", step_oltp_incremental),
        Step("stream (Kafka -> Delta)", step_stream),
        Step("warehouse (PostgreSQL)", step_warehouse),
        Step("Tableau + EDA", step_exports),
        Step("dashboard", step_dashboard),
    ]


def run_demo(ctx: DemoContext, steps: list[Step] | None = None) -> list[StepOutcome]:
    outcomes: list[StepOutcome] = []
    steps = steps or default_steps()
    LIBRARY_LOGS["dir"] = ctx.settings.home / "logs" / "demo"
    total0 = time.monotonic()
    for number, step in enumerate(steps, 1):
        _say(f"==> [{number}/{len(steps)}] {step.name}")
        t0 = time.monotonic()
        figures = step.run(ctx)
        outcome = StepOutcome(step.name, time.monotonic() - t0, figures)
        outcomes.append(outcome)
        _say(f"    done in {outcome.seconds:.1f} s: {_fmt(figures)}")
    print_summary(outcomes, time.monotonic() - total0)
    return outcomes


def _fmt(figures: StepResult) -> str:
    return ", ".join(f"{k}={v}" for k, v in figures.items())


def print_summary(outcomes: list[StepOutcome], total_s: float) -> None:
    click.echo("\nGladiator demo summary")
    click.echo(f"{'step':<28}{'time':>9}  figures")
    for o in outcomes:
        click.echo(f"{o.name:<28}{o.seconds:>8.1f}s  {_fmt(o.figures)}")
    click.echo(f"{'total':<28}{total_s:>8.1f}s")
