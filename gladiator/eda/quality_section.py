"""The EDA report's data-quality section: the last runs x entities, from ``gladiator.quality``.

One row per run and entity: rows accepted into silver, rows checked and failed per contract rule
(a row counts under the first rule it fails, so the failures add up to the run's quarantine), and
the warnings of the checks across runs (``quality.warnings_for_run``: the same verdicts as
``gladiator quality`` and ``gladiator pipeline status``). Freshness is judged as of the report's
time, so an older run's freshness warning means "stale now", not "stale then".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from gladiator import quality


@dataclass(frozen=True, kw_only=True)
class EntityRunQuality:
    """One entity in one run, as the section's table row shows it."""

    run_id: str
    entity: str
    accepted: int | None  # None: the run recorded rule results but no summary (e.g. landing only)
    checked: int  # rows checked: the most any rule of the entity checked in the run
    failed: dict[str, int] = field(default_factory=dict)  # rule -> rows failed (failing rules only)
    warnings: list[str] = field(default_factory=list)

    @property
    def failed_total(self) -> int:
        return sum(self.failed.values())


def quality_rows(
    store: quality.QualityStore, run_ids: Sequence[str], *, now: datetime, last: int = 5
) -> list[EntityRunQuality]:
    """The last ``last`` of ``run_ids`` (oldest first, as ``RunStore.runs()``), newest run first,
    entities in name order. Runs that recorded no quality item are left out."""
    rows: list[EntityRunQuality] = []
    for run_id in reversed(list(run_ids)[-last:]):
        results = store.results(run_id)
        summaries = {s.entity: s for s in store.summaries(run_id)}
        if not results and not summaries:
            continue
        warnings: dict[str, list[str]] = {}
        for warning in quality.warnings_for_run(store, run_ids, run_id, now):
            warnings.setdefault(warning.entity, []).append(warning.message)
        for entity in sorted({r.entity for r in results} | set(summaries)):
            mine = [r for r in results if r.entity == entity]
            summary = summaries.get(entity)
            rows.append(
                EntityRunQuality(
                    run_id=run_id,
                    entity=entity,
                    accepted=summary.accepted if summary else None,
                    checked=max((r.checked for r in mine), default=0),
                    failed={r.rule: r.failed for r in sorted(mine, key=lambda r: r.rule) if r.failed},
                    warnings=warnings.get(entity, []),
                )
            )
    return rows
