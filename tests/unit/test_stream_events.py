"""The order event contract and the stream's pure helpers (no services)."""

from __future__ import annotations

import datetime as dt
import json
import random
from decimal import Decimal
from typing import Any

import boto3
import pytest
from moto import mock_aws

from gladiator import order_events as events
from gladiator import resources
from gladiator.config import load_settings
from gladiator.contracts import get_contract
from streaming import kafka, kpis
from streaming.config import StreamConfig
from streaming.producer import VIOLATIONS, violate

NOW = dt.datetime(2026, 11, 26, 21, 0, 5, 123456)
ORDER = {
    "o_orderkey": 7, "o_custkey": 39136, "o_orderstatus": "O", "o_totalprice": Decimal("252004.18"),
    "o_orderdate": dt.date(1996, 1, 10), "o_orderpriority": "2-HIGH", "o_clerk": "Clerk#000000470",
    "o_shippriority": 0, "o_comment": "ly special requests ", "updated_at": NOW,
}  # fmt: skip
LINE = {
    "l_orderkey": 7, "l_partkey": 182052, "l_suppkey": 9607, "l_linenumber": 1, "l_quantity": Decimal("12.00"),
    "l_extendedprice": Decimal("13608.60"), "l_discount": Decimal("0.07"), "l_tax": Decimal("0.03"),
    "l_returnflag": "N", "l_linestatus": "O", "l_shipdate": dt.date(1996, 2, 1), "l_commitdate": dt.date(1996, 3, 2),
    "l_receiptdate": dt.date(1996, 2, 19), "l_shipinstruct": "TAKE BACK RETURN", "l_shipmode": "FOB",
    "l_comment": "ss pinto beans wake", "updated_at": NOW,
}  # fmt: skip


def test_order_placed_carries_every_contract_column_in_the_shared_text_formats() -> None:
    event = json.loads(events.encode(events.order_placed(ORDER, [LINE], produced_at=NOW)))
    assert event["event_type"] == "order_placed" and event["event_version"] == events.EVENT_VERSION
    assert event["order_key"] == 7 and len(event["event_id"]) == 36
    assert event["produced_at"] == "2026-11-26 21:00:05.123456"
    assert list(event["order"]) == get_contract("orders").column_names
    assert list(event["lines"][0]) == get_contract("lineitem").column_names
    assert event["order"]["o_totalprice"] == 252004.18 and event["order"]["o_orderdate"] == "1996-01-10"
    assert event["lines"][0]["updated_at"] == "2026-11-26 21:00:05.123456"


def test_status_change_and_its_contract_are_projections_of_orders() -> None:
    event = events.order_status_changed(7, "F", updated_at=NOW, produced_at=NOW)
    assert event["status"] == {
        "o_orderkey": 7,
        "o_orderstatus": "F",
        "updated_at": "2026-11-26 21:00:05.123456",
    }
    contract = events.status_contract()
    assert contract.column_names == list(events.STATUS_COLUMNS)
    assert {r.name for r in contract.rules} == {"o_orderstatus_domain", "o_orderkey_positive"}


def test_raw_event_schema_is_built_from_the_contracts_as_text() -> None:
    schema = events.raw_event_schema()
    order = schema["order"].dataType
    lines = schema["lines"].dataType.elementType
    assert order.names == get_contract("orders").column_names
    assert lines.names == get_contract("lineitem").column_names
    assert {f.dataType.simpleString() for f in [*order.fields, *lines.fields]} == {"string"}


@pytest.mark.parametrize(("kind", "reason"), VIOLATIONS)
def test_each_injected_violation_changes_the_event(kind: str, reason: str) -> None:
    event = events.order_placed(ORDER, [LINE], produced_at=NOW)
    assert violate(event, kind) != event
    assert event == events.order_placed(ORDER, [LINE], produced_at=NOW, event_id=event["event_id"])


def test_msk_iam_options_only_on_profile_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    local = load_settings("local")
    assert "kafka.sasl.mechanism" not in kafka.spark_options(local)
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("GLADIATOR_KAFKA_BOOTSTRAP", "b-1.msk:9098")
    aws = load_settings("aws")
    assert kafka.spark_options(aws)["kafka.sasl.mechanism"] == "AWS_MSK_IAM"
    assert kafka.client_config(aws)["sasl.mechanism"] == "OAUTHBEARER"


def test_stream_paths_and_horizon() -> None:
    config = StreamConfig(topic="orders", allowed_lateness_s=60, max_clock_skew_s=30)
    assert config.dedupe_horizon_s == 180
    assert config.dead_letter_topic() == "orders.dlq"
    assert config.root(load_settings("local")).startswith("s3a://")


@mock_aws
def test_kpi_contributions_are_added_once_per_batch_even_when_replayed() -> None:
    client = boto3.client("dynamodb", region_name="us-east-1")
    spec = resources.LIVE_KPIS
    client.create_table(
        TableName="kpis",
        KeySchema=[{"AttributeName": "kpi_key", "KeyType": "HASH"}, {"AttributeName": "window_start", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, t in spec.attribute_definitions().items()],
        BillingMode="PAY_PER_REQUEST",
    )  # fmt: skip
    window = dt.datetime(2026, 11, 26, 21, 0)
    first = [kpis.Contribution("EUROPE", window, 2, Decimal("100.5000"), 5)]
    second = [kpis.Contribution("EUROPE", window, 1, Decimal("20.2500"), 1)]
    kw = {"prefix": "t#", "stream_name": "s", "ttl_days": 1}
    assert kpis.apply_contributions(client, "kpis", first, batch_id=0, **kw) == (1, 0)
    assert kpis.apply_contributions(client, "kpis", first, batch_id=0, **kw) == (0, 1)  # replay
    assert kpis.apply_contributions(client, "kpis", second, batch_id=1, **kw) == (1, 0)
    assert kpis.apply_contributions(client, "kpis", first, batch_id=0, **kw) == (0, 1)  # stale replay
    totals = kpis.read_window_totals(client, "kpis", prefix="t#")
    assert totals == {
        ("EUROPE", "2026-11-26T21:00:00Z"): {
            "orders": 3, "revenue": Decimal("120.75"), "lines": 6, "avg_basket": Decimal("40.25"),
        }
    }  # fmt: skip


def test_live_orders_are_placed_today_and_keep_every_date_difference() -> None:
    today = dt.date(2026, 12, 2)
    order, lines = events.placed_today(ORDER, [LINE], today)
    assert order["o_orderdate"] == today and ORDER["o_orderdate"] == dt.date(1996, 1, 10)  # a copy
    line = lines[0]
    assert line["l_shipdate"] - today == LINE["l_shipdate"] - ORDER["o_orderdate"]
    assert line["l_commitdate"] - line["l_shipdate"] == LINE["l_commitdate"] - LINE["l_shipdate"]
    assert line["l_receiptdate"] - line["l_shipdate"] == LINE["l_receiptdate"] - LINE["l_shipdate"]
    assert {k: v for k, v in line.items() if k not in events.LINE_DATES} == {
        k: v for k, v in LINE.items() if k not in events.LINE_DATES
    }


def test_the_producer_sends_orders_placed_today_and_status_changes_after_them() -> None:
    from streaming.producer import Faults, ProduceReport, _EventSource

    rows = iter([(dict(ORDER, o_orderkey=k), [dict(LINE, l_orderkey=k)]) for k in range(1, 200)])
    report = ProduceReport(topic="t")
    source = _EventSource(random.Random(1), Faults(), report, rows, 0.1, 0.3, 900)
    placed_at: dict[int, str] = {}
    for _ in range(150):
        key, kind, value = source.next_event()
        event = json.loads(value)
        if kind == "order_placed":
            assert event["order"]["o_orderdate"] == event["produced_at"][:10]
            assert event["lines"][0]["l_shipdate"] > event["order"]["o_orderdate"]
            placed_at[key] = event["order"]["updated_at"]
        else:
            assert event["status"]["updated_at"] > placed_at[key]
    assert len(placed_at) < 150  # some status changes were drawn


def test_quality_rows_name_every_evaluated_rule_and_count_each_failure_under_one() -> None:
    from streaming import observe

    orders, lineitem = get_contract("orders"), get_contract("lineitem")
    texts = observe.stream_rule_texts(orders)
    assert "o_orderstatus_domain" in texts and "o_custkey_required" in texts
    assert not [r for r in texts if "_references_" in r]  # an event cannot check foreign keys
    assert "l_ship_after_order" in observe.stream_rule_texts(lineitem)  # the order is in the event
    checks = [
        observe.EntityCheck(orders, 10, {"o_orderstatus_domain": 2, "order_key_mismatch": 1}),
        observe.EntityCheck(lineitem, 40, {}),
    ]
    results = observe.rule_results("stream-s-3", checks)
    by_rule = {(r.entity, r.rule): r for r in results}
    assert by_rule[("orders", "o_orderstatus_domain")].failed == 2
    assert by_rule[("orders", "order_key_mismatch")].failed == 1  # the event's own check
    assert sum(r.failed for r in results) == 3
    assert {r.checked for r in results if r.entity == "lineitem"} == {40}
    assert {r.run_id for r in results} == {"stream-s-3"} and all(r.text for r in results)


def test_a_micro_batch_logs_one_emf_record_per_rule_and_stores_them(caplog: pytest.LogCaptureFixture) -> None:
    from streaming import observe

    class Store:
        def __init__(self) -> None:
            self.put_calls: list[tuple[list, Any]] = []

        def put(self, results, summary=None) -> None:  # type: ignore[no-untyped-def]
            self.put_calls.append((list(results), summary))

    store = Store()
    checks = [observe.EntityCheck(get_contract("orders"), 10, {"o_orderstatus_domain": 2}, NOW)]
    with caplog.at_level("INFO", logger="streaming.emf"):
        results = observe.BatchQuality(store).record("stream-s-4", checks, {"orders": 8})  # type: ignore[arg-type]
    emf = [json.loads(r.getMessage()) for r in caplog.records if r.name == "streaming.emf"]
    assert len(emf) == len(results) and {e["Rule"] for e in emf} == {r.rule for r in results}
    assert {e["RowsFailed"] for e in emf if e["Rule"] == "o_orderstatus_domain"} == {2}
    [(stored, summary)] = store.put_calls
    assert stored == results and summary.accepted == 8 and summary.run_id == "stream-s-4"


def test_checkpoints_stay_on_local_disk_only_in_the_local_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    local = load_settings("local")
    a = StreamConfig(topic="orders", lake_root="s3a://lake/tests/a")
    b = StreamConfig(topic="orders", lake_root="s3a://lake/tests/b")
    assert a.checkpoint_location(local).startswith(f"file://{local.home}/checkpoints/")
    assert a.checkpoint_location(local).endswith("/orders")
    assert a.checkpoint_location(local) != b.checkpoint_location(local)  # one per lake and stream
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    aws = load_settings("aws")
    assert (
        StreamConfig(topic="orders").checkpoint_location(aws) == f"s3://{aws.lake_bucket}/_checkpoints/orders"
    )
