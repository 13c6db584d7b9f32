"""Profiles of the silver tables and the quarantine, computed with DuckDB over one Delta snapshot.

Each table's current Delta version is read from its log; its Parquet files are downloaded into a
scratch folder (keeping the ``col=value`` partition folders) and profiled by DuckDB. Figures:
row count; per column null rate, distinct count, and a distribution (histogram for numbers, top
values for text, monthly counts for dates) with IQR outliers for numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gladiator.contracts import Contract
from gladiator.warehouse.delta_log import DeltaLogError, DeltaLogReader, split_s3_uri

HISTOGRAM_BINS = 20
TOP_VALUES = 12


@dataclass
class ColumnProfile:
    name: str
    type: str
    nulls: int
    null_rate: float
    distinct: int
    distribution: list[tuple[str, int]] = field(default_factory=list)  # (label, count)
    minimum: str | None = None
    maximum: str | None = None
    outliers: int | None = None  # numbers: outside [Q1 - 1.5 IQR, Q3 + 1.5 IQR]
    outlier_bounds: tuple[float, float] | None = None


@dataclass
class TableProfile:
    entity: str
    delta_version: int | None
    rows: int
    columns: list[ColumnProfile] = field(default_factory=list)


def download_snapshot(s3: Any, table_uri: str, scratch: Path) -> tuple[int, Path] | None:
    """The table's live files under ``scratch`` (partition folders kept); None if no table."""
    try:
        snapshot = DeltaLogReader(s3).snapshot(table_uri)
    except DeltaLogError:
        return None
    root = scratch / split_s3_uri(table_uri)[1].replace("/", "_")
    root.mkdir(parents=True, exist_ok=True)
    prefix = snapshot.table_uri.rstrip("/") + "/"
    for data_file in snapshot.files:
        relative = (
            data_file.uri[len(prefix) :] if data_file.uri.startswith(prefix) else Path(data_file.uri).name
        )
        local = root / relative
        local.parent.mkdir(parents=True, exist_ok=True)
        bucket, key = split_s3_uri(data_file.uri)
        s3.download_file(bucket, key, str(local))
    return snapshot.version, root


def register(con: Any, view: str, root: Path) -> bool:
    """A DuckDB view over the downloaded files; False when the snapshot has no files."""
    if not any(root.rglob("*.parquet")):
        return False
    con.execute(
        f"CREATE OR REPLACE VIEW {view} AS SELECT * FROM read_parquet('{root}/**/*.parquet', hive_partitioning = true)"
    )
    return True


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def profile_table(con: Any, view: str, contract: Contract, version: int | None) -> TableProfile:
    rows = con.execute(f"SELECT COUNT(*) FROM {view}").fetchone()[0]
    profile = TableProfile(contract.name, version, int(rows))
    for column in contract.columns:
        q = _quote(column.name)
        nulls, distinct, low, high = con.execute(
            f"SELECT COUNT(*) - COUNT({q}), COUNT(DISTINCT {q}), CAST(MIN({q}) AS VARCHAR), "
            f"CAST(MAX({q}) AS VARCHAR) FROM {view}"
        ).fetchone()
        cp = ColumnProfile(
            column.name,
            column.type,
            int(nulls),
            (nulls / rows) if rows else 0.0,
            int(distinct),
            minimum=low,
            maximum=high,
        )
        if column.type in ("bigint", "int") or column.type.startswith("decimal"):
            _numeric_distribution(con, view, q, cp)
        elif column.type in ("date", "timestamp"):
            cp.distribution = [
                (str(m), int(n))
                for m, n in con.execute(
                    f"SELECT strftime(date_trunc('month', {q}), '%Y-%m') AS m, COUNT(*) FROM {view} "
                    f"WHERE {q} IS NOT NULL GROUP BY 1 ORDER BY 1"
                ).fetchall()
            ]
        elif column.normalize != "none":  # code-like text; free text (comments) has no useful top values
            cp.distribution = [
                (str(v), int(n))
                for v, n in con.execute(
                    f"SELECT {q}, COUNT(*) AS n FROM {view} WHERE {q} IS NOT NULL GROUP BY 1 ORDER BY n DESC, 1 LIMIT {TOP_VALUES}"
                ).fetchall()
            ]
        profile.columns.append(cp)
    return profile


def _numeric_distribution(con: Any, view: str, q: str, cp: ColumnProfile) -> None:
    stats = con.execute(
        f"SELECT MIN({q})::DOUBLE, MAX({q})::DOUBLE, quantile_cont({q}::DOUBLE, 0.25), "
        f"quantile_cont({q}::DOUBLE, 0.75) FROM {view}"
    ).fetchone()
    low, high, q1, q3 = stats
    if low is None:
        return
    iqr = q3 - q1
    bounds = (q1 - 1.5 * iqr, q3 + 1.5 * iqr)
    cp.outlier_bounds = bounds
    cp.outliers = int(
        con.execute(
            f"SELECT COUNT(*) FROM {view} WHERE {q}::DOUBLE < ? OR {q}::DOUBLE > ?", list(bounds)
        ).fetchone()[0]
    )
    width = (high - low) / HISTOGRAM_BINS or 1.0
    counts = dict(
        con.execute(
            f"SELECT LEAST(CAST(FLOOR(({q}::DOUBLE - ?) / ?) AS INTEGER), {HISTOGRAM_BINS - 1}) AS b, COUNT(*) "
            f"FROM {view} WHERE {q} IS NOT NULL GROUP BY 1",
            [low, width],
        ).fetchall()
    )
    cp.distribution = [(f"{low + b * width:.6g}", int(counts.get(b, 0))) for b in range(HISTOGRAM_BINS)]
