"""The EDA report over silver: one self-contained HTML file (inline CSS and SVG, no scripts).

Sections: per-entity profiles (rows, null rates, distinct counts, distributions, outliers), orders
and net revenue by month, quarantine counts by reason code, the data quality of the last pipeline
runs (``gladiator.eda.quality_section``, read from the job-state table), and what changed since
the previous run (a small JSON snapshot kept next to the report, ``eda-snapshot.json``).
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gladiator import metrics, resources
from gladiator.config import Settings
from gladiator.contracts import CONTRACTS
from gladiator.eda import svg
from gladiator.eda.profile import TableProfile, download_snapshot, profile_table, register
from gladiator.eda.quality_section import EntityRunQuality, quality_rows

REPORT_FILE = "eda-report.html"
SNAPSHOT_FILE = "eda-snapshot.json"
TEMPLATE = Path(__file__).parent / "template.html.j2"


def _monthly(con: Any, have: set[str]) -> dict[str, list[tuple[str, float]]]:
    if "orders" not in have:
        return {"orders": [], "revenue": []}
    orders = con.execute(
        "SELECT strftime(date_trunc('month', o_orderdate), '%Y-%m'), COUNT(*) FROM silver_orders GROUP BY 1 ORDER BY 1"
    ).fetchall()
    revenue: list[tuple[str, Any]] = []
    if "lineitem" in have:
        net = metrics.NET_REVENUE.sql("duckdb")
        revenue = con.execute(
            f"SELECT strftime(date_trunc('month', o_orderdate), '%Y-%m'), SUM({net}) FROM silver_lineitem "
            "JOIN silver_orders ON l_orderkey = o_orderkey GROUP BY 1 ORDER BY 1"
        ).fetchall()
    return {"orders": [(m, int(n)) for m, n in orders], "revenue": [(m, float(v)) for m, v in revenue]}


def _quarantine(con: Any, s3: Any, root: str, scratch: Path) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for entity in CONTRACTS:
        found = download_snapshot(s3, f"{root}/{entity}", scratch / "quarantine")
        if found is None or not register(con, f"quarantine_{entity}", found[1]):
            continue
        rows = con.execute(
            f"SELECT _reason, COUNT(*) FROM quarantine_{entity} GROUP BY 1 ORDER BY 2 DESC, 1"
        ).fetchall()
        counts[entity] = {str(reason): int(n) for reason, n in rows}
    return counts


def snapshot_of(profiles: list[TableProfile], quarantine: dict[str, dict[str, int]]) -> dict[str, Any]:
    return {
        "taken_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "entities": {
            p.entity: {
                "rows": p.rows,
                "delta_version": p.delta_version,
                "nulls": {c.name: c.nulls for c in p.columns},
                "distinct": {c.name: c.distinct for c in p.columns},
            }
            for p in profiles
        },
        "quarantine": quarantine,
    }


def changes(previous: dict[str, Any] | None, current: dict[str, Any]) -> list[dict[str, Any]]:
    """What differs from the previous snapshot: one entry per changed figure."""
    if not previous:
        return []
    out = []
    for entity, now in current["entities"].items():
        before = previous.get("entities", {}).get(entity)
        if before is None:
            out.append({"what": f"{entity}: new table", "before": None, "after": now["rows"]})
            continue
        if before["rows"] != now["rows"]:
            out.append({"what": f"{entity}: rows", "before": before["rows"], "after": now["rows"]})
        for kind in ("nulls", "distinct"):
            for column, value in now[kind].items():
                if before[kind].get(column) != value:
                    out.append(
                        {
                            "what": f"{entity}.{column}: {kind}",
                            "before": before[kind].get(column),
                            "after": value,
                        }
                    )
    reasons = {(e, r) for e, rs in current["quarantine"].items() for r in rs}
    reasons |= {(e, r) for e, rs in previous.get("quarantine", {}).items() for r in rs}
    for entity, reason in sorted(reasons):
        a = previous.get("quarantine", {}).get(entity, {}).get(reason, 0)
        b = current["quarantine"].get(entity, {}).get(reason, 0)
        if a != b:
            out.append({"what": f"quarantine {entity}: {reason}", "before": a, "after": b})
    return out


def _quality(settings: Settings, job_state_table: str | None, last_runs: int) -> list[EntityRunQuality]:
    from gladiator.quality import QualityStore
    from gladiator.runs import RunStore

    table = job_state_table or settings.table_name(resources.JOB_STATE)
    client = settings.client("dynamodb")
    run_ids = [str(r["batch_id"]) for r in RunStore(table, client).runs()]
    return quality_rows(QualityStore(table, client), run_ids, now=datetime.now(UTC), last=last_runs)


def build_eda(
    settings: Settings,
    out_dir: Path,
    *,
    silver_root: str | None = None,
    quarantine_root: str | None = None,
    s3: Any | None = None,
    job_state_table: str | None = None,
    last_runs: int = 5,
) -> Path:
    """Profile silver and the quarantine, write ``out_dir/eda-report.html``; returns its path.

    ``silver_root``/``quarantine_root`` default to the lake's ``silver``/``quarantine`` folders;
    the quality section covers the last ``last_runs`` runs of ``job_state_table`` (default: the
    settings' job-state table)."""
    import duckdb
    import jinja2

    s3 = s3 or settings.client("s3")
    silver_root = (silver_root or f"s3://{settings.lake_bucket}/silver").rstrip("/")
    quarantine_root = (quarantine_root or f"s3://{settings.lake_bucket}/quarantine").rstrip("/")
    out_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    profiles: list[TableProfile] = []
    missing: list[str] = []
    with tempfile.TemporaryDirectory(prefix="gladiator-eda-") as scratch_name:
        scratch = Path(scratch_name)
        for entity, contract in CONTRACTS.items():
            found = download_snapshot(s3, f"{silver_root}/{entity}", scratch / "silver")
            if found is None or not register(con, f"silver_{entity}", found[1]):
                missing.append(entity)
                continue
            profiles.append(profile_table(con, f"silver_{entity}", contract, found[0]))
        have = {p.entity for p in profiles}
        monthly = _monthly(con, have)
        quarantine = _quarantine(con, s3, quarantine_root, scratch)

    quality = _quality(settings, job_state_table, last_runs)
    snapshot_path = out_dir / SNAPSHOT_FILE
    previous = json.loads(snapshot_path.read_text()) if snapshot_path.exists() else None
    current = snapshot_of(profiles, quarantine)
    html = (
        jinja2.Environment(autoescape=False, undefined=jinja2.StrictUndefined)
        .from_string(TEMPLATE.read_text())
        .render(
            generated_at=current["taken_at"],
            silver_root=silver_root,
            profiles=profiles,
            row_counts=[(p.entity, p.rows) for p in profiles],
            quarantine_points=[(f"{e}: {r}", n) for e, rs in quarantine.items() for r, n in rs.items()],
            missing=missing,
            monthly=monthly,
            quarantine=quarantine,
            quality=quality,
            last_runs=last_runs,
            previous_at=(previous or {}).get("taken_at"),
            changes=changes(previous, current),
            svg=svg,
            asdict=asdict,
        )
    )
    report = out_dir / REPORT_FILE
    report.write_text(html)
    snapshot_path.write_text(json.dumps(current, indent=1))
    return report
