"""Rule-level quality results kept per run, checks across runs, and their EMF records."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from gladiator import quality, resources
from gladiator.contracts import CONTRACTS
from gladiator.quality import EntitySummary, QualityStore, RuleResult
from local_emulation.provision import table_definition


@pytest.fixture
def store() -> Iterator[QualityStore]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(**table_definition("t-jobs", resources.JOB_STATE))
        yield QualityStore("t-jobs", client)


def test_results_round_trip_per_run_and_a_rerun_overwrites(store: QualityStore) -> None:
    first = [
        RuleResult(
            run_id="b1", entity="orders", rule="o_orderstatus_domain", checked=100, failed=3, text="x"
        ),
        RuleResult(run_id="b1", entity="orders", rule="o_totalprice_range", checked=100, failed=0),
    ]
    store.put(first, EntitySummary(run_id="b1", entity="orders", accepted=97, newest="2026-12-01T00:00:00Z"))
    store.put(first)  # a retried job writes the same items again
    store.put([RuleResult(run_id="b2", entity="orders", rule="o_orderstatus_domain", checked=5, failed=5)])
    assert sorted(store.results("b1"), key=lambda r: r.rule) == first
    assert store.summaries("b1") == [
        EntitySummary(run_id="b1", entity="orders", accepted=97, newest="2026-12-01T00:00:00Z")
    ]
    assert [r.failed for r in store.results("b2")] == [5]


def test_row_count_anomaly_uses_the_band_of_the_contract() -> None:
    orders = CONTRACTS["orders"]
    history = [1000] * 12
    assert quality.row_count_anomaly(orders, history, 1400) is None
    warning = quality.row_count_anomaly(orders, history, 1600)
    assert warning is not None and warning.check == "row_count_anomaly"
    assert "500..1,500" in warning.message
    tight = replace(orders, row_count_band=0.1)
    assert quality.row_count_anomaly(tight, history, 1150) is not None
    assert quality.row_count_anomaly(orders, [], 5) is None  # no history yet: nothing to compare


def test_freshness_follows_the_sla_and_static_data_has_none() -> None:
    now = datetime(2026, 12, 2, 12, tzinfo=UTC)
    orders = CONTRACTS["orders"]
    assert orders.freshness_sla_hours == 24
    assert quality.freshness_breach(orders, now - timedelta(hours=23), now) is None
    late = quality.freshness_breach(orders, now - timedelta(hours=30), now)
    assert late is not None and "30.0 h old, SLA 24 h" in late.message
    assert quality.freshness_breach(CONTRACTS["region"], now - timedelta(days=900), now) is None


def test_emf_lines_are_cloudwatch_embedded_metrics() -> None:
    result = RuleResult(run_id="b1", entity="lineitem", rule="l_discount_range", checked=10, failed=2)
    (line,) = quality.emf_lines([result], stage="silver")
    record = json.loads(line)
    directive = record["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == quality.EMF_NAMESPACE
    for dimensions in directive["Dimensions"]:
        assert all(name in record for name in dimensions)
    assert {m["Name"]: record[m["Name"]] for m in directive["Metrics"]} == {
        "RowsChecked": 10,
        "RowsFailed": 2,
    }


def test_every_file_reason_belongs_to_exactly_one_file_rule() -> None:
    from gladiator.contracts import ReasonCode

    row_level = {
        ReasonCode.NULL_REQUIRED, ReasonCode.OUT_OF_DOMAIN, ReasonCode.UNPARSABLE_NUMBER,
        ReasonCode.UNPARSABLE_DATE, ReasonCode.DANGLING_FOREIGN_KEY, ReasonCode.SHIP_BEFORE_ORDER,
        ReasonCode.MALFORMED_RECORD, ReasonCode.DUPLICATE, ReasonCode.STALE_VERSION,
    }  # fmt: skip
    owners = [rule for rule, reasons in quality.FILE_RULES for _ in reasons]
    covered = [reason for _, reasons in quality.FILE_RULES for reason in reasons]
    assert len(covered) == len(set(covered)) == len(owners)
    assert set(covered) == set(ReasonCode) - row_level


def test_file_rule_results_stop_at_the_first_failure() -> None:
    rules = [rule for rule, _ in quality.FILE_RULES]
    valid = quality.file_rule_results("f1", "orders", None)
    assert [(r.rule, r.checked, r.failed) for r in valid] == [(rule, 1, 0) for rule in rules]
    header_only = quality.file_rule_results("f2", "orders", "header_only")
    assert [(r.rule, r.failed) for r in header_only] == [(rule, int(rule == "has_rows")) for rule in rules]
    unknown = quality.file_rule_results("f3", None, "unknown_entity")
    assert [(r.entity, r.rule, r.failed) for r in unknown] == [
        ("unknown", "is_a_file", 0),
        ("unknown", "known_entity", 1),
    ]
    with pytest.raises(ValueError, match="duplicate"):
        quality.file_rule_results("f4", "orders", "duplicate")  # never validated: no file rule
