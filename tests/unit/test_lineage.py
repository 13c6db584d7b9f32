"""OpenLineage events through the real client's file transport, and the graph read back from them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from gladiator.lineage import graph
from gladiator.lineage.emit import Lineage, events_path, make_client

LAKE = "s3a://lake"
FILES = ["s3://landing/orders/a.csv", "s3://landing/orders/b.csv", "s3://landing/lineitem/c.csv"]


def _emit_batch(home: Path, batch_id: str, files: list[str]) -> None:
    lineage = Lineage(make_client(home=home))
    with lineage.run("landing_to_bronze", batch_id=batch_id) as run:
        for uri in files:
            run.input(uri)
        run.output(f"{LAKE}/bronze/orders", rows=10)
        run.output(f"{LAKE}/bronze/lineitem", rows=40)
    with lineage.run("bronze_to_silver", batch_id=batch_id) as run:
        for entity in ("orders", "lineitem"):
            run.input(f"{LAKE}/bronze/{entity}", checks={f"{entity}_rule": (10, 1)})
            run.output(f"{LAKE}/silver/{entity}", rows=9)
    with lineage.run("silver_to_gold", batch_id=batch_id) as run:
        run.input(f"{LAKE}/silver/orders")
        run.input(f"{LAKE}/silver/lineitem")
        run.output(f"{LAKE}/gold/fact_sales", rows=36)


def test_a_run_is_a_start_then_a_complete_with_its_datasets(tmp_path: Path) -> None:
    _emit_batch(tmp_path, "b1", FILES)
    events = list(graph.read_events(events_path(tmp_path)))
    assert [e["eventType"] for e in events] == ["START", "COMPLETE"] * 3
    complete = events[3]
    assert complete["run"]["facets"]["gladiator_batch"]["batchId"] == "b1"
    assertions = complete["inputs"][0]["inputFacets"]["dataQualityAssertions"]["assertions"]
    assert assertions == [{"assertion": "orders_rule", "success": False, "params": {}}]
    assert complete["outputs"][0]["facets"]["dataQualityMetrics"]["rowCount"] == 9


def test_a_failed_run_emits_fail_and_makes_no_edge(tmp_path: Path) -> None:
    lineage = Lineage(make_client(home=tmp_path))
    with pytest.raises(RuntimeError), lineage.run("silver_to_gold", batch_id="b9") as run:
        run.input(f"{LAKE}/silver/orders")
        run.output(f"{LAKE}/gold/fact_orders")
        raise RuntimeError("boom")
    events = list(graph.read_events(events_path(tmp_path)))
    assert [e["eventType"] for e in events] == ["START", "FAIL"]
    assert events[1]["run"]["facets"]["errorMessage"]["message"] == "boom"
    assert graph.edges(events) == set()


def test_upstream_of_gold_reaches_every_landing_file_of_the_batch(tmp_path: Path) -> None:
    _emit_batch(tmp_path, "b1", FILES)
    _emit_batch(tmp_path, "b2", ["s3://landing/orders/later.csv"])
    found = graph.edges(graph.read_events(events_path(tmp_path)), batch_id="b1")
    target = graph.resolve("gold.fact_sales", [e.target for e in found])
    tree = graph.upstream(target, found)
    landing = {node for node in tree if node.startswith("s3://landing/")}
    assert landing == set(FILES)  # b2's file is not in b1's graph
    assert {"s3://lake/bronze/orders", "s3://lake/silver/orders", "s3://lake/silver/lineitem"} <= set(tree)


def test_cli_prints_the_tree_and_refuses_an_unknown_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gladiator import constants
    from gladiator_cli import cli

    monkeypatch.setenv(constants.HOME, str(tmp_path))
    _emit_batch(tmp_path, "b1", FILES)
    result = CliRunner().invoke(cli, ["lineage", "--table", "gold.fact_sales", "--batch", "b1"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "s3://lake/gold/fact_sales"
    for uri in FILES:
        assert uri in result.output
    as_json = CliRunner().invoke(cli, ["lineage", "--table", "gold.fact_sales", "--json"])
    assert {e["job"] for e in json.loads(as_json.output)["edges"]} == {
        "landing_to_bronze",
        "bronze_to_silver",
        "silver_to_gold",
    }
    unknown = CliRunner().invoke(cli, ["lineage", "--table", "gold.nope"])
    assert unknown.exit_code != 0
    assert "no run wrote 'gold.nope'" in unknown.output
