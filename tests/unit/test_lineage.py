"""OpenLineage events through the real client's file transport, and the graph read back from them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from gladiator.lineage import graph
from gladiator.lineage.emit import Lineage, make_client

LAKE = "s3a://lake"
EVENTS = "lineage/events.jsonl"
FILES = ["s3://landing/orders/a.csv", "s3://landing/orders/b.csv", "s3://landing/lineitem/c.csv"]


def _emit_batch(home: Path, batch_id: str, files: list[str]) -> None:
    """What the three batch jobs emit for one batch: one step per entity or gold table."""
    lineage = Lineage(make_client(file=home / EVENTS))
    with lineage.run("landing_to_bronze", batch_id=batch_id) as run:
        for entity in ("orders", "lineitem"):
            step = run.step(entity)
            for uri in files:
                if f"/{entity}/" in uri:
                    step.input(uri)
            step.output(f"{LAKE}/bronze/{entity}", rows=10)
    with lineage.run("bronze_to_silver", batch_id=batch_id) as run:
        for entity in ("orders", "lineitem"):
            step = run.step(entity)
            step.input(f"{LAKE}/bronze/{entity}", checks={f"{entity}_rule": (10, 1)})
            step.output(f"{LAKE}/silver/{entity}", rows=9)
    with lineage.run("silver_to_gold", batch_id=batch_id) as run:
        step = run.step("fact_sales")
        step.input(f"{LAKE}/silver/orders")
        step.input(f"{LAKE}/silver/lineitem")
        step.output(f"{LAKE}/gold/fact_sales", rows=36)


def test_a_run_is_a_start_then_a_complete_with_its_datasets(tmp_path: Path) -> None:
    _emit_batch(tmp_path, "b1", FILES)
    events = list(graph.read_events(tmp_path / EVENTS))
    # per job: START, then each step's START + COMPLETE, then the job's COMPLETE
    assert [(e["job"]["name"], e["eventType"]) for e in events[:6]] == [
        ("landing_to_bronze", "START"),
        ("landing_to_bronze.orders", "START"),
        ("landing_to_bronze.orders", "COMPLETE"),
        ("landing_to_bronze.lineitem", "START"),
        ("landing_to_bronze.lineitem", "COMPLETE"),
        ("landing_to_bronze", "COMPLETE"),
    ]
    complete = next(
        e for e in events if e["job"]["name"] == "bronze_to_silver.orders" and e["eventType"] == "COMPLETE"
    )
    parent = complete["run"]["facets"]["parent"]
    assert parent["job"]["name"] == "bronze_to_silver"
    assert parent["run"]["runId"] == next(
        e["run"]["runId"] for e in events if e["job"]["name"] == "bronze_to_silver"
    )
    assert complete["run"]["facets"]["gladiator_batch"]["batchId"] == "b1"
    assertions = complete["inputs"][0]["inputFacets"]["dataQualityAssertions"]["assertions"]
    assert assertions == [{"assertion": "orders_rule", "success": False, "params": {}}]
    assert complete["outputs"][0]["facets"]["dataQualityMetrics"]["rowCount"] == 9


def test_a_failed_run_emits_fail_and_makes_no_edge(tmp_path: Path) -> None:
    lineage = Lineage(make_client(file=tmp_path / EVENTS))
    with pytest.raises(RuntimeError), lineage.run("silver_to_gold", batch_id="b9") as run:
        run.input(f"{LAKE}/silver/orders")
        run.output(f"{LAKE}/gold/fact_orders")
        raise RuntimeError("boom")
    events = list(graph.read_events(tmp_path / EVENTS))
    assert [e["eventType"] for e in events] == ["START", "FAIL"]
    assert events[1]["run"]["facets"]["errorMessage"]["message"] == "boom"
    assert graph.edges(events) == set()


def test_upstream_of_gold_reaches_every_landing_file_of_the_batch(tmp_path: Path) -> None:
    _emit_batch(tmp_path, "b1", FILES)
    _emit_batch(tmp_path, "b2", ["s3://landing/orders/later.csv"])
    found = graph.edges(graph.read_events(tmp_path / EVENTS), batch_id="b1")
    target = graph.resolve("gold.fact_sales", [e.target for e in found])
    tree = graph.upstream(target, found)
    landing = {node for node in tree if node.startswith("s3://landing/")}
    assert landing == set(FILES)  # b2's file is not in b1's graph
    assert {"s3://lake/bronze/orders", "s3://lake/silver/orders", "s3://lake/silver/lineitem"} <= set(tree)
    # a step links only what it read to what it wrote: silver orders comes from the orders files
    orders_tree = graph.upstream("s3://lake/silver/orders", found)
    assert {n for n in orders_tree if n.startswith("s3://landing/")} == {FILES[0], FILES[1]}


def test_cli_prints_the_tree_and_refuses_an_unknown_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gladiator import constants
    from gladiator_cli import cli

    monkeypatch.setenv(constants.LINEAGE_FILE, str(tmp_path / EVENTS))
    _emit_batch(tmp_path, "b1", FILES)
    result = CliRunner().invoke(cli, ["lineage", "--table", "gold.fact_sales", "--batch", "b1"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "s3://lake/gold/fact_sales"
    for uri in FILES:
        assert uri in result.output
    as_json = CliRunner().invoke(cli, ["lineage", "--table", "gold.fact_sales", "--json"])
    assert {e["job"] for e in json.loads(as_json.output)["edges"]} == {
        "landing_to_bronze.orders",
        "landing_to_bronze.lineitem",
        "bronze_to_silver.orders",
        "bronze_to_silver.lineitem",
        "silver_to_gold.fact_sales",
    }
    unknown = CliRunner().invoke(cli, ["lineage", "--table", "gold.nope"])
    assert unknown.exit_code != 0
    assert "no run wrote 'gold.nope'" in unknown.output


def _emit_landing(home: Path, versions: dict[str, str], quarantined: dict[str, str] | None = None) -> None:
    """What the landing Lambda emits: one run per object version (no batch yet), from the
    version to the landing file it validated, or to the quarantine copy of a rejected one."""
    from gladiator.lineage.emit import object_version_uri

    lineage = Lineage(make_client(file=home / EVENTS))
    targets = {uri: uri for uri in versions} | dict(quarantined or {})
    for uri, target in targets.items():
        bucket, key = uri.removeprefix("s3://").split("/", 1)
        version = versions.get(uri, "v-bad")
        with lineage.run("on_landing_object") as run:
            run.input(object_version_uri(bucket, key, version), checks={"has_rows": (1, int(uri != target))})
            run.output(target)


def test_the_graph_reaches_through_the_landing_lambda_to_each_object_version(tmp_path: Path) -> None:
    supplier = ["s3://landing/supplier/s1.csv", "s3://landing/supplier/s2.csv"]
    _emit_landing(
        tmp_path,
        {supplier[0]: "v1", supplier[1]: "v2", "s3://landing/orders/a.csv": "v3"},
        quarantined={
            "s3://landing/supplier/bad.csv": "s3://quarantine/quarantine/header_only/supplier/bad.csv"
        },
    )
    lineage = Lineage(make_client(file=tmp_path / EVENTS))
    with lineage.run("landing_to_bronze", batch_id="b1") as run:
        step = run.step("supplier")
        for uri in supplier:
            step.input(uri)
        step.output(f"{LAKE}/bronze/supplier")
    with lineage.run("bronze_to_silver", batch_id="b1") as run:
        step = run.step("supplier")
        step.input(f"{LAKE}/bronze/supplier")
        step.output(f"{LAKE}/silver/supplier")
    with lineage.run("silver_to_gold", batch_id="b1") as run:
        step = run.step("dim_supplier")
        step.input(f"{LAKE}/silver/supplier")
        step.output(f"{LAKE}/gold/dim_supplier")
    for batch in (None, "b1"):
        found = graph.edges(graph.read_events(tmp_path / EVENTS), batch_id=batch)
        tree = graph.upstream(graph.resolve("gold.dim_supplier", [e.target for e in found]), found)
        landing = {node for node in tree if node.startswith("s3://landing/")}
        # the files the batch read, and below each the version the Lambda validated; not the
        # orders file (another entity) nor the quarantined supplier file (no batch read it)
        assert landing == {*supplier, f"{supplier[0]}#v1", f"{supplier[1]}#v2"}
        assert {e.job for e in tree[supplier[0]]} == {"on_landing_object"}
    assert graph.edges(graph.read_events(tmp_path / EVENTS), batch_id="b2") == {
        e for e in graph.edges(graph.read_events(tmp_path / EVENTS)) if e.job == "on_landing_object"
    }
    from gladiator import constants
    from gladiator_cli import cli

    result = CliRunner().invoke(
        cli,
        ["lineage", "--table", "gold.dim_supplier", "--batch", "b1"],
        env={constants.LINEAGE_FILE: str(tmp_path / EVENTS)},
    )
    assert result.exit_code == 0, result.output
    assert f"<- {supplier[0]}#v1   [on_landing_object]" in result.output
    unknown = CliRunner().invoke(
        cli, ["lineage", "--table", "gold.nope"], env={constants.LINEAGE_FILE: str(tmp_path / EVENTS)}
    )
    assert "tables with lineage: bronze.supplier, gold.dim_supplier, silver.supplier" in unknown.output
