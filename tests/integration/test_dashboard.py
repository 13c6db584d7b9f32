"""The dashboard in headless Chromium (Debian's, driven by Playwright): no console errors, every
chart draws exactly the rows its SQL returns (with and without filters), every value axis shows
nice ticks (0, s, 2s, ... with s = 1, 2 or 5 x 10^k, in k/M units), every chart label contrasts with
what is under it (WCAG AA, >= 4.5:1), and the live panel follows the DynamoDB KPI items as they
change. A screenshot is saved under test-artifacts/.
"""

from __future__ import annotations

import re
import tempfile
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import psycopg
import pytest

from gladiator import resources
from gladiator.config import Settings
from gladiator.contracts.gold import GOLD_TABLES
from gladiator.dashboard import DashboardServer
from gladiator.dashboard.charts import CHARTS, normalize_filters, run_chart
from gladiator.warehouse import load_gold
from tests.integration import warehouse_support as support

pytestmark = pytest.mark.slow

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def loaded_schema(spark: Any, local_stack: Settings) -> Iterator[str]:
    uris = support.gold_lake(spark, local_stack)
    with support.throwaway_schema(local_stack, "dash") as schema:
        load_gold(local_stack, schema=schema, table_uris=uris)
        yield schema
        support.ledger_cleanup(local_stack, schema, list(GOLD_TABLES))


@pytest.fixture
def kpi_prefix(local_stack: Settings) -> Iterator[str]:
    prefix = f"test-{uuid.uuid4().hex[:8]}-"
    yield prefix
    ddb = boto3.client("dynamodb", **local_stack.boto3_kwargs())
    table = local_stack.table_name(resources.LIVE_KPIS)
    for item in ddb.scan(TableName=table)["Items"]:
        if item["kpi_key"]["S"].startswith(prefix):
            ddb.delete_item(
                TableName=table, Key={"kpi_key": item["kpi_key"], "window_start": item["window_start"]}
            )


def put_kpi(settings: Settings, prefix: str, region: str, window: str, orders: int, revenue: str) -> None:
    """An item as the streaming job writes it (streaming/kpis.py)."""
    boto3.client("dynamodb", **settings.boto3_kwargs()).put_item(
        TableName=settings.table_name(resources.LIVE_KPIS),
        Item={
            "kpi_key": {"S": f"{prefix}orders#{region}"},
            "window_start": {"S": window},
            "orders": {"N": str(orders)},
            "revenue": {"N": revenue},
            "lines": {"N": str(orders * 4)},
            "avg_basket": {"N": str((Decimal(revenue) / orders).quantize(Decimal("0.01")))},
            "last_batch": {"N": "1"},
        },
    )


@pytest.fixture
def browser_page() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            tempfile.mkdtemp(prefix="chromium-"),  # a fresh profile
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1400, "height": 1800},
        )
        page = context.new_page()
        page.console_errors = []  # type: ignore[attr-defined]
        page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))  # type: ignore[attr-defined]
        page.on("pageerror", lambda e: page.console_errors.append(str(e)))  # type: ignore[attr-defined]
        yield page
        context.close()


def drawn(page: Any) -> dict[str, list[tuple[str, str, Decimal]]]:
    """chart id -> the (x, series, value) of every mark the page drew."""
    marks = page.eval_on_selector_all(
        "#charts .chart",
        """cards => Object.fromEntries(cards.map(c => [c.dataset.chart,
             [...c.querySelectorAll('.mark')].map(m => [m.dataset.x, m.dataset.s, m.dataset.value])]))""",
    )
    return {chart: [(x, s, Decimal(v)) for x, s, v in rows] for chart, rows in marks.items()}


def expected(
    settings: Settings, schema: str, filters: dict[str, str]
) -> dict[str, list[tuple[str, str, Decimal]]]:
    with psycopg.connect(settings.warehouse_url) as conn:
        low, high = conn.execute(
            f"SELECT MIN(month_start), MAX(month_start) FROM {schema}.v_revenue_trend"
        ).fetchone()
        params = normalize_filters(filters, (low, high))
        return {
            chart.id: [(str(x), str(s), Decimal(v)) for x, s, v in run_chart(conn, chart, schema, params)]
            for chart in CHARTS
        }


def assert_charts_match(page: Any, want: dict[str, list[tuple[str, str, Decimal]]]) -> None:
    got = drawn(page)
    assert set(got) == set(want)
    for chart_id, rows in want.items():
        assert rows, f"{chart_id}: its SQL returned nothing (test data too small?)"
        assert sorted(got[chart_id]) == sorted(rows), f"{chart_id}: drawn marks differ from its SQL rows"


_TICK = re.compile(r"^(-?\d+(?:\.\d+)?)([kM]?)$")
_UNITS = {"": Decimal(1), "k": Decimal(1000), "M": Decimal(1_000_000)}


def parse_tick(label: str) -> Decimal:
    """``"1.5M"`` -> 1500000; a label that is not a plain number with an optional unit fails."""
    match = _TICK.match(label)
    assert match, f"tick label {label!r} is not a number with a k/M unit"
    return Decimal(match.group(1)) * _UNITS[match.group(2)]


def is_nice_step(step: Decimal) -> bool:
    """1, 2 or 5 times a power of ten."""
    digits = step.normalize().as_tuple().digits
    return step > 0 and len(digits) == 1 and digits[0] in (1, 2, 5)


def assert_nice_ticks(page: Any) -> None:
    ticks = page.eval_on_selector_all(
        "#charts .chart",
        "cards => Object.fromEntries(cards.map(c => [c.dataset.chart,"
        " [...c.querySelectorAll('text.tick')].map(t => t.textContent)]))",
    )
    assert any(ticks.values()), "no value axis drawn"
    for chart_id, labels in ticks.items():
        if not labels:  # the heatmap has no value axis
            continue
        values = [parse_tick(label) for label in labels]
        assert len(values) >= 2 and values[0] == 0, f"{chart_id}: ticks {labels}"
        step = values[1] - values[0]
        assert is_nice_step(step), f"{chart_id}: tick step {step} of {labels} is not 1-2-5"
        assert values == [step * i for i in range(len(values))], f"{chart_id}: uneven ticks {labels}"


# For every label in a chart: its text colour and the colour under its centre (the topmost rect
# it sits on, or the card), both as computed by Chromium.
_LABEL_COLOURS = """texts => texts.map(t => {
  const b = t.getBBox(), cx = b.x + b.width / 2, cy = b.y + b.height / 2;
  const under = [...t.ownerSVGElement.querySelectorAll('rect')].filter(r => {
    const rb = r.getBBox();
    return rb.x <= cx && cx <= rb.x + rb.width && rb.y <= cy && cy <= rb.y + rb.height;
  }).pop();
  const card = t.closest('.chart');
  return [card.dataset.chart, t.textContent, getComputedStyle(t).fill,
          under ? getComputedStyle(under).fill : getComputedStyle(card).backgroundColor];
})"""


def rgb(css: str, over: tuple[float, float, float] = (255, 255, 255)) -> tuple[float, float, float]:
    """A computed CSS colour (``rgb(...)``/``rgba(...)``) as opaque RGB, composited over ``over``."""
    parts = [float(p) for p in re.findall(r"[\d.]+", css)]
    r, g, b = parts[:3]
    alpha = parts[3] if len(parts) > 3 else 1.0
    return (
        alpha * r + (1 - alpha) * over[0],
        alpha * g + (1 - alpha) * over[1],
        alpha * b + (1 - alpha) * over[2],
    )


def contrast_ratio(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    """WCAG 2.x contrast ratio of two opaque sRGB colours."""

    def luminance(color: tuple[float, float, float]) -> float:
        lin = [c / 255 / 12.92 if c / 255 <= 0.03928 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in color]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def assert_labels_contrast(page: Any) -> None:
    labels = page.eval_on_selector_all("#charts svg text", _LABEL_COLOURS)
    assert labels, "no chart labels drawn"
    low = []
    for chart_id, text, fg, bg in labels:
        background = rgb(bg)
        ratio = contrast_ratio(rgb(fg, over=background), background)
        if ratio < 4.5:
            low.append(f"{chart_id} {text!r}: {fg} on {bg} = {ratio:.2f}:1")
    assert not low, "labels below WCAG AA 4.5:1: " + "; ".join(low)


def test_dashboard_draws_the_sql_numbers_and_follows_live_kpis(
    loaded_schema: str, local_stack: Settings, kpi_prefix: str, browser_page: Any
) -> None:
    page = browser_page
    put_kpi(local_stack, kpi_prefix, "ASIA", "2026-11-26T10:00:00Z", 3, "1000.50")
    put_kpi(local_stack, kpi_prefix, "EUROPE", "2026-11-26T10:00:00Z", 5, "2500.00")
    with DashboardServer(local_stack, schema=loaded_schema, kpi_prefix=kpi_prefix) as server:
        page.goto(server.url)
        page.wait_for_selector("#charts[data-ready=true]", timeout=60_000)
        assert_charts_match(page, expected(local_stack, loaded_schema, {}))
        assert page.locator("#charts svg").count() == len(CHARTS)  # pictures, not tables
        assert page.locator("table").count() == 0
        assert_nice_ticks(page)
        assert_labels_contrast(page)

        # filters: one region, a shorter date range
        page.select_option("#region", "ASIA")
        page.fill("#start", "1994-01")
        page.fill("#end", "1995-06")
        page.click("#filters button")
        page.wait_for_function(
            "() => document.querySelector('#charts').dataset.ready === 'true' && "
            "JSON.parse(document.querySelector('#charts').dataset.filters || '{}').region === 'ASIA'",
            timeout=60_000,
        )
        filtered = expected(
            local_stack, loaded_schema, {"region": "ASIA", "start": "1994-01", "end": "1995-06"}
        )
        assert filtered["revenue_trend"] != expected(local_stack, loaded_schema, {})["revenue_trend"]
        assert_charts_match(page, filtered)
        assert {s for _, s, _ in drawn(page)["revenue_trend"]} == {"ASIA"}
        assert_nice_ticks(page)
        assert_labels_contrast(page)

        # live panel: shows the items, then follows a change without a reload
        page.wait_for_selector(".live-region[data-region=EUROPE][data-orders='5']", timeout=30_000)
        assert page.get_attribute(".live-region[data-region=ASIA]", "data-orders") == "3"
        put_kpi(local_stack, kpi_prefix, "ASIA", "2026-11-26T10:01:00Z", 7, "3100.25")
        page.wait_for_selector(".live-region[data-region=ASIA][data-orders='7']", timeout=30_000)
        assert page.get_attribute(".live-region[data-region=ASIA]", "data-revenue") == "3100.25"
        assert page.locator(".live-region[data-region=ASIA] .mark").count() == 2

        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
    assert page.console_errors == []
