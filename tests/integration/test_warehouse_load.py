"""Acceptance tests of the gold -> warehouse load (PostgreSQL, the local Redshift stand-in).

Small Delta tables (region, nation, customer from truth) in a unique lake folder, loaded into a
throw-away schema, so each test can write new versions and break things without touching others.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import boto3
import psycopg
import pytest

from gladiator.config import Settings
from gladiator.contracts import CONTRACTS, Contract
from gladiator.warehouse import WarehouseLoadError, WarehouseUnavailable, load_gold
from gladiator.warehouse.delta_log import DeltaLogReader, split_s3_uri
from gladiator.warehouse.ledger import LoadLedger
from gladiator_cli import main
from tests.integration import warehouse_support as support
from tests.tpch_truth import truth_frame

TABLES = ("region", "nation", "customer")
CONTRACTS_UNDER_TEST: list[Contract] = [CONTRACTS[t] for t in TABLES]


@pytest.fixture(scope="module")
def history(spark: Any, local_stack: Settings) -> str:
    """region/nation/customer as Delta tables with a history, built once with Spark: version 0 =
    truth, later versions = ``change_everything``. Tests copy it and replay the history."""
    root = f"{local_stack.lake_bucket}/tests/wh-history-{uuid.uuid4().hex[:10]}"
    uris = {}
    for name in TABLES:
        truth_frame(spark, support.truth_dir(), name).write.format("delta").save(f"s3a://{root}/{name}")
        uris[name] = f"s3://{root}/{name}"
    EXPECTED_ROWS.update({(name, 0): delta_rows(spark, uris[name], name) for name in TABLES})
    change_everything(spark, uris)
    EXPECTED_ROWS.update({(name, -1): delta_rows(spark, uris[name], name) for name in TABLES})
    return root


# (table, 0 | -1 for the latest version) -> the rows Spark reads from the history's Delta table
EXPECTED_ROWS: dict[tuple[str, int], set[tuple[Any, ...]]] = {}


@pytest.fixture
def lake(history: str, local_stack: Settings) -> Iterator[dict[str, str]]:
    """A private copy of ``history`` at version 0 (``advance(lake)`` replays the rest)."""
    s3 = boto3.client("s3", **local_stack.boto3_kwargs())
    bucket, source = history.split("/", 1)
    target = f"tests/wh-load-{uuid.uuid4().hex[:10]}"
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=source + "/"):
        for obj in page.get("Contents", []):
            relative = obj["Key"][len(source) + 1 :]
            if "/_delta_log/" in relative and not relative.endswith("/00000000000000000000.json"):
                continue
            s3.copy_object(
                Bucket=bucket, Key=f"{target}/{relative}", CopySource={"Bucket": bucket, "Key": obj["Key"]}
            )
    uris = {name: f"s3://{bucket}/{target}/{name}" for name in TABLES}
    uris["_history"] = f"s3://{history}"
    yield uris


def advance(settings: Settings, lake: dict[str, str]) -> None:
    """Bring the copy to the history's latest version (commit files are immutable: copy them)."""
    s3 = boto3.client("s3", **settings.boto3_kwargs())
    for name in TABLES:
        bucket, source = split_s3_uri(f"{lake['_history']}/{name}/_delta_log/")
        _, target = split_s3_uri(f"{lake[name]}/_delta_log/")
        for obj in s3.list_objects_v2(Bucket=bucket, Prefix=source)["Contents"]:
            name_only = obj["Key"][len(source) :]
            s3.copy_object(
                Bucket=bucket, Key=target + name_only, CopySource={"Bucket": bucket, "Key": obj["Key"]}
            )


@pytest.fixture
def schema(local_stack: Settings) -> Iterator[str]:
    with support.throwaway_schema(local_stack, "load") as name:
        yield name
        support.ledger_cleanup(local_stack, name, list(TABLES))


def _load(settings: Settings, schema: str, uris: dict[str, str]) -> dict[str, str]:
    tables = {name: uris[name] for name in TABLES}
    summary = load_gold(settings, schema=schema, contracts=CONTRACTS_UNDER_TEST, table_uris=tables)
    return {t.table: t.status for t in summary.tables}


def warehouse_rows(settings: Settings, schema: str, table: str) -> set[tuple[Any, ...]]:
    contract = CONTRACTS[table]
    with psycopg.connect(settings.warehouse_url) as conn:
        return set(
            conn.execute(f"SELECT {', '.join(contract.column_names)} FROM {schema}.{table}").fetchall()
        )


def delta_rows(spark: Any, uri: str, table: str) -> set[tuple[Any, ...]]:
    df = spark.read.format("delta").load(uri.replace("s3://", "s3a://"))
    return {tuple(r) for r in df.select(*CONTRACTS[table].column_names).collect()}


def ledger_versions(settings: Settings, schema: str) -> dict[str, int | None]:
    ledger = LoadLedger.from_settings(settings)
    return {t: (r.delta_version if (r := ledger.get(t, schema)) else None) for t in TABLES}


def change_everything(spark: Any, uris: dict[str, str]) -> None:
    """Version 1 of every table: updated rows, and customer loses some rows."""
    from delta.tables import DeltaTable

    for name in TABLES:
        table = DeltaTable.forPath(spark, uris[name].replace("s3://", "s3a://"))
        comment = CONTRACTS[name].prefix + "comment"
        table.update(set={comment: f"concat('v1 ', substring({comment}, 1, 20))"})
    DeltaTable.forPath(spark, uris["customer"].replace("s3://", "s3a://")).delete("c_custkey % 10 = 0")


def test_load_equals_delta_and_reloading_the_same_version_is_a_noop(
    spark: Any, local_stack: Settings, lake: dict[str, str], schema: str
) -> None:
    assert _load(local_stack, schema, lake) == dict.fromkeys(TABLES, "loaded")
    for name in TABLES:
        assert warehouse_rows(local_stack, schema, name) == EXPECTED_ROWS[name, 0]
    with psycopg.connect(local_stack.warehouse_url) as conn:
        marker_before = conn.execute(f"SELECT * FROM {schema}._load_ledger ORDER BY 1").fetchall()

    assert _load(local_stack, schema, lake) == dict.fromkeys(TABLES, "unchanged")
    with psycopg.connect(local_stack.warehouse_url) as conn:
        assert conn.execute(f"SELECT * FROM {schema}._load_ledger ORDER BY 1").fetchall() == marker_before
    assert ledger_versions(local_stack, schema) == dict.fromkeys(TABLES, 0)

    advance(local_stack, lake)
    assert _load(local_stack, schema, lake) == dict.fromkeys(TABLES, "loaded")
    for name in TABLES:  # updates applied, deleted customers gone
        assert warehouse_rows(local_stack, schema, name) == EXPECTED_ROWS[name, -1]
        assert EXPECTED_ROWS[name, -1] != EXPECTED_ROWS[name, 0]
    assert ledger_versions(local_stack, schema) == {"region": 1, "nation": 1, "customer": 2}


def test_a_load_failing_midway_changes_nothing_and_the_retry_loads_once(
    spark: Any, local_stack: Settings, lake: dict[str, str], schema: str
) -> None:
    _load(local_stack, schema, lake)
    before = {name: warehouse_rows(local_stack, schema, name) for name in TABLES}
    advance(local_stack, lake)

    # customer is loaded last: region and nation are merged before one of its files goes missing.
    s3 = boto3.client("s3", **local_stack.boto3_kwargs())
    snapshot = DeltaLogReader(s3).snapshot(lake["customer"])
    bucket, key = split_s3_uri(snapshot.files[-1].uri)
    kept = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    s3.delete_object(Bucket=bucket, Key=key)
    with pytest.raises(WarehouseLoadError, match="customer"):
        _load(local_stack, schema, lake)
    for name in TABLES:
        assert warehouse_rows(local_stack, schema, name) == before[name], f"{name} changed by a failed load"
    assert ledger_versions(local_stack, schema) == dict.fromkeys(TABLES, 0)

    s3.put_object(Bucket=bucket, Key=key, Body=kept)
    assert _load(local_stack, schema, lake) == dict.fromkeys(TABLES, "loaded")
    assert _load(local_stack, schema, lake) == dict.fromkeys(TABLES, "unchanged")
    for name in TABLES:
        assert warehouse_rows(local_stack, schema, name) == EXPECTED_ROWS[name, -1]


def test_a_lost_ledger_write_is_repaired_not_reloaded(
    local_stack: Settings, lake: dict[str, str], schema: str
) -> None:
    _load(local_stack, schema, lake)
    support.ledger_cleanup(local_stack, schema, ["nation"])  # as if the job died after the commit
    with psycopg.connect(local_stack.warehouse_url) as conn:
        marker_before = conn.execute(f"SELECT * FROM {schema}._load_ledger ORDER BY 1").fetchall()
    assert _load(local_stack, schema, lake)["nation"] == "repaired"
    with psycopg.connect(local_stack.warehouse_url) as conn:
        assert conn.execute(f"SELECT * FROM {schema}._load_ledger ORDER BY 1").fetchall() == marker_before
    assert ledger_versions(local_stack, schema)["nation"] == 0


def test_an_unreachable_warehouse_is_a_clear_error_and_the_ledger_is_unchanged(
    spark: Any, local_stack: Settings, lake: dict[str, str], schema: str
) -> None:
    _load(local_stack, schema, lake)
    advance(local_stack, lake)
    unreachable = replace(local_stack, warehouse_url="postgresql://gladiator:gladiator@127.0.0.1:9/warehouse")
    with pytest.raises(WarehouseUnavailable) as error:
        _load(unreachable, schema, lake)
    message = str(error.value)
    assert "127.0.0.1:9/warehouse" in message and "gladiator local up" in message
    assert "ledger is unchanged" in message
    assert ledger_versions(local_stack, schema) == dict.fromkeys(TABLES, 0)


def test_cli_reports_an_unreachable_warehouse_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GLADIATOR_WAREHOUSE_URL", "postgresql://gladiator:gladiator@127.0.0.1:9/warehouse")
    with pytest.raises(SystemExit) as exit_:
        main(["warehouse", "load", "--schema", f"unreach_{uuid.uuid4().hex[:6]}"])
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert "unreachable" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_snapshot_reader_follows_checkpoints(spark: Any, local_stack: Settings) -> None:
    """Past version 10 Spark writes a Parquet checkpoint; the file list must still equal Spark's."""
    uri = f"s3a://{local_stack.lake_bucket}/tests/wh-ckpt-{uuid.uuid4().hex[:10]}/region"
    region = truth_frame(spark, support.truth_dir(), "region")
    region.write.format("delta").save(uri)
    spark.sql(f"ALTER TABLE delta.`{uri}` SET TBLPROPERTIES ('delta.checkpointInterval' = '3')")
    for i in range(3):
        region.limit(1 + i).write.format("delta").mode("append" if i else "overwrite").save(uri)
    s3 = boto3.client("s3", **local_stack.boto3_kwargs())
    bucket, key = split_s3_uri(uri)
    names = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=f"{key}/_delta_log/")["Contents"]]
    assert any(n.endswith(".checkpoint.parquet") for n in names)
    snapshot = DeltaLogReader(s3).snapshot(uri)
    assert snapshot.version == 4
    expected = {f.replace("s3a://", "s3://") for f in spark.read.format("delta").load(uri).inputFiles()}
    assert {f.uri for f in snapshot.files} == expected
    old = DeltaLogReader(s3).snapshot(uri, version=0)
    assert {f.uri for f in old.files} != expected
