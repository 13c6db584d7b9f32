"""The dashboard web app (Flask): one page, JSON endpoints, vendored-nothing vanilla JS + SVG.

- ``GET /``                 the page (static/index.html)
- ``GET /api/filters``      regions and the month range of the data
- ``GET /api/charts``       every chart's rows for ``?start=YYYY-MM&end=YYYY-MM&region=``
- ``GET /api/live``         the live KPI panel's data (DynamoDB)
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from gladiator.config import Settings
from gladiator.dashboard.charts import CHARTS, normalize_filters, run_chart
from gladiator.dashboard.live import read_live_kpis

STATIC = Path(__file__).parent / "static"


def _json_value(value: Any) -> Any:
    """Exact text for numbers (the page shows and exposes what SQL returned)."""
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        return str(value)
    return value


def create_app(settings: Settings, *, schema: str = "gold", kpi_prefix: str = "") -> Any:
    from flask import Flask, jsonify, request, send_from_directory

    from gladiator.warehouse.postgres import connect

    app = Flask(__name__, static_folder=None)

    def bounds(conn: Any) -> tuple[date, date]:
        low, high = conn.execute(
            f"SELECT MIN(month_start), MAX(month_start) FROM {schema}.v_revenue_trend"
        ).fetchone()
        return (low or date(1992, 1, 1), high or date.today())

    @app.get("/")
    def index() -> Any:
        return send_from_directory(STATIC, "index.html")

    @app.get("/static/<path:name>")
    def static_file(name: str) -> Any:
        return send_from_directory(STATIC, name)

    @app.get("/favicon.ico")
    def favicon() -> Any:
        return ("", 204)

    @app.get("/api/filters")
    def filters() -> Any:
        with connect(settings.warehouse_url) as conn:
            low, high = bounds(conn)
            regions = [
                r[0]
                for r in conn.execute(f"SELECT DISTINCT region_name FROM {schema}.v_revenue_trend ORDER BY 1")
            ]
        return jsonify({"start": low.strftime("%Y-%m"), "end": high.strftime("%Y-%m"), "regions": regions})

    @app.get("/api/charts")
    def charts() -> Any:
        with connect(settings.warehouse_url) as conn:
            params = normalize_filters(dict(request.args), bounds(conn))
            payload = [
                {
                    "id": chart.id,
                    "title": chart.title,
                    "kind": chart.kind,
                    "value_label": chart.value_label,
                    "filters": list(chart.filters),
                    "rows": [[x, s, _json_value(v)] for x, s, v in run_chart(conn, chart, schema, params)],
                }
                for chart in CHARTS
            ]
        return jsonify(
            {
                "filters": {
                    k: (v.strftime("%Y-%m") if isinstance(v, date) else v) for k, v in params.items()
                },
                "charts": payload,
            }
        )

    @app.get("/api/live")
    def live() -> Any:
        return jsonify(read_live_kpis(settings, prefix=kpi_prefix))

    return app
