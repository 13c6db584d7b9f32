"""The end-to-end local demo: every capability of the pipeline, in order, with counts and timings.

generate → drop → ledger → bronze/silver/gold → OLTP extract → stream → warehouse → dashboard.
Each step is a function returning the figures it wants in the closing summary; a failing step
stops the demo with its error (nothing is skipped silently).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from gladiator.config import Settings

StepResult = dict[str, Any]


@dataclass
class DemoContext:
    settings: Settings
    workdir: Path
    scale: float
    seed: int
    faults: float
    keep_dashboard: bool
    state: dict[str, Any] = field(default_factory=dict)


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


def step_local_stack(ctx: DemoContext) -> StepResult:
    from local_emulation import stack

    report = stack.up(ctx.settings, progress=lambda m: _say(f"    {m}"))
    return {"services": 4, "aws resources": len(report.created) + len(report.existing)}


def default_steps() -> list[Step]:
    """The demo's steps, in pipeline order."""
    return [
        Step("local stack", step_local_stack),
    ]


def run_demo(ctx: DemoContext, steps: list[Step] | None = None) -> list[StepOutcome]:
    outcomes: list[StepOutcome] = []
    steps = steps or default_steps()
    total0 = time.monotonic()
    for number, step in enumerate(steps, 1):
        _say(f"==> [{number}/{len(steps)}] {step.name}")
        t0 = time.monotonic()
        figures = step.run(ctx)
        outcome = StepOutcome(step.name, time.monotonic() - t0, figures)
        outcomes.append(outcome)
        details = ", ".join(f"{k}={v}" for k, v in figures.items())
        _say(f"    done in {outcome.seconds:.1f} s: {details}")
    print_summary(outcomes, time.monotonic() - total0)
    return outcomes


def print_summary(outcomes: list[StepOutcome], total_s: float) -> None:
    click.echo("\nGladiator demo summary")
    click.echo(f"{'step':<28}{'time':>9}  figures")
    for o in outcomes:
        details = ", ".join(f"{k}={v}" for k, v in o.figures.items())
        click.echo(f"{o.name:<28}{o.seconds:>8.1f}s  {details}")
    click.echo(f"{'total':<28}{total_s:>8.1f}s")
