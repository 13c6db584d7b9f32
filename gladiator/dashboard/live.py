"""The live panel's data: per-minute, per-region order KPIs written by the streaming job.

Items of ``resources.LIVE_KPIS`` (streaming/kpis.py): pk ``kpi_key`` = ``<prefix>orders#<region>``,
sk ``window_start`` = ``YYYY-MM-DDTHH:MM:00Z``, window totals ``orders``, ``revenue``, ``lines``,
``avg_basket``. Read with awswrangler (``wr.dynamodb.read_items``) on a boto3 session that points
at the emulator locally.
"""

from __future__ import annotations

import warnings
from decimal import Decimal
from typing import Any

from gladiator import resources
from gladiator.config import Settings

WINDOWS_SHOWN = 30  # minutes of history per region


def _session(settings: Settings) -> Any:
    import awswrangler as wr
    import boto3

    if settings.aws_endpoint:
        wr.config.dynamodb_endpoint_url = settings.aws_endpoint
    return boto3.Session(region_name=settings.region)


def read_live_kpis(settings: Settings, *, prefix: str = "", table: str | None = None) -> dict[str, Any]:
    """``{"regions": {region: [{"window_start", "orders", "revenue", "avg_basket"}...]}, "latest": ...}``
    with each region's newest ``WINDOWS_SHOWN`` windows, oldest first; values as exact strings."""
    import awswrangler as wr
    from boto3.dynamodb.conditions import Attr

    table = table or settings.table_name(resources.LIVE_KPIS)
    with warnings.catch_warnings():  # the scan is intended: one small item per region and minute
        warnings.simplefilter("ignore", UserWarning)
        frame = wr.dynamodb.read_items(
            table_name=table,
            filter_expression=Attr("kpi_key").begins_with(f"{prefix}orders#"),
            allow_full_scan=True,
            consistent=True,
            boto3_session=_session(settings),
        )
    regions: dict[str, list[dict[str, str]]] = {}
    for item in frame.to_dict("records") if len(frame) else []:
        region = str(item["kpi_key"]).split("#", 1)[1]
        regions.setdefault(region, []).append(
            {
                "window_start": str(item["window_start"]),
                "orders": str(int(Decimal(str(item.get("orders", 0))))),
                "revenue": str(Decimal(str(item.get("revenue", 0)))),
                "avg_basket": str(Decimal(str(item.get("avg_basket", 0)))),
            }
        )
    latest = ""
    for region, windows in regions.items():
        windows.sort(key=lambda w: w["window_start"])
        regions[region] = windows[-WINDOWS_SHOWN:]
        latest = max(latest, windows[-1]["window_start"])
    return {"regions": dict(sorted(regions.items())), "latest": latest}
