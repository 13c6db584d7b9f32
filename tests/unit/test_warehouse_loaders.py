"""Unit tests of the warehouse building blocks: Delta log replay (moto S3 in-process) and the
Redshift Data API loader (a fake client: one batch call = one transaction, failures surfaced)."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from moto import mock_aws

from gladiator.contracts.gold import GOLD_TABLES
from gladiator.warehouse.base import TablePlan
from gladiator.warehouse.delta_log import DeltaLogError, DeltaLogReader, DeltaSnapshot
from gladiator.warehouse.errors import WarehouseLoadError, WarehouseUnavailable
from gladiator.warehouse.manifest import build_manifest
from gladiator.warehouse.postgres import partition_values_from_uri
from gladiator.warehouse.redshift import RedshiftLoader

SCHEMA = {"type": "struct", "fields": [{"name": "k", "type": "long"}, {"name": "_y", "type": "integer"}]}


def _commit(s3: Any, version: int, actions: list[dict[str, Any]]) -> None:
    body = "\n".join(json.dumps(a) for a in actions)
    s3.put_object(Bucket="lake", Key=f"gold/t/_delta_log/{version:020d}.json", Body=body.encode())


def _add(path: str, size: int = 10, **extra: Any) -> dict[str, Any]:
    return {"add": {"path": path, "size": size, "partitionValues": {"_y": "1"}, "dataChange": True, **extra}}


@pytest.fixture
def s3() -> Any:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="lake")
        meta = {
            "metaData": {
                "id": "x",
                "schemaString": json.dumps(SCHEMA),
                "partitionColumns": ["_y"],
                "configuration": {},
            }
        }
        _commit(
            client,
            0,
            [{"protocol": {"minReaderVersion": 1}}, meta, _add("_y=1/a%20b.parquet"), _add("_y=1/b.parquet")],
        )
        _commit(client, 1, [{"remove": {"path": "_y=1/b.parquet"}}, _add("_y=1/c.parquet", 30)])
        yield client


def test_snapshot_replays_adds_and_removes(s3: Any) -> None:
    reader = DeltaLogReader(s3)
    latest = reader.snapshot("s3://lake/gold/t")
    assert latest.version == 1
    assert [f.uri for f in latest.files] == [
        "s3://lake/gold/t/_y=1/a b.parquet",
        "s3://lake/gold/t/_y=1/c.parquet",
    ]
    assert latest.file_columns == ("k",) and latest.partition_columns == ("_y",)
    old = reader.snapshot("s3://lake/gold/t", version=0)
    assert {f.uri.rsplit("/", 1)[1] for f in old.files} == {"a b.parquet", "b.parquet"}
    manifest = build_manifest(latest)
    assert manifest["entries"][1] == {
        "url": "s3://lake/gold/t/_y=1/c.parquet",
        "mandatory": True,
        "meta": {"content_length": 30},
    }


def test_snapshot_refuses_what_it_cannot_load(s3: Any) -> None:
    reader = DeltaLogReader(s3)
    with pytest.raises(DeltaLogError, match="no Delta table"):
        reader.snapshot("s3://lake/gold/missing")
    with pytest.raises(DeltaLogError, match="does not exist"):
        reader.snapshot("s3://lake/gold/t", version=5)
    _commit(s3, 2, [_add("_y=1/d.parquet", deletionVector={"storageType": "u"})])
    with pytest.raises(DeltaLogError, match="deletion vectors"):
        reader.snapshot("s3://lake/gold/t")


def test_partition_values_come_from_the_path() -> None:
    assert partition_values_from_uri("s3://b/t/_order_year=1994/x=a%2Fb/part-0.parquet") == {
        "_order_year": "1994",
        "x": "a/b",
    }


class FakeDataApi:
    """Records calls; statuses scripted per call."""

    def __init__(self, statuses: list[str], fail_submit: bool = False) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.statuses = statuses
        self.fail_submit = fail_submit

    def batch_execute_statement(self, **kwargs: Any) -> dict[str, str]:
        if self.fail_submit:
            raise ConnectionError("Could not connect to the endpoint URL")
        self.calls.append(("batch", kwargs))
        return {"Id": f"s{len(self.calls)}"}

    def execute_statement(self, **kwargs: Any) -> dict[str, str]:
        self.calls.append(("single", kwargs))
        return {"Id": f"s{len(self.calls)}"}

    def describe_statement(self, Id: str) -> dict[str, str]:
        status = self.statuses.pop(0) if self.statuses else "FINISHED"
        return {"Status": status, "Error": "COPY failed: S3 file missing" if status == "FAILED" else ""}

    def get_statement_result(self, Id: str) -> dict[str, Any]:
        return {"Records": [[{"stringValue": "dim_date"}, {"longValue": 42}]]}


def _plans() -> list[TablePlan]:
    plans = []
    for name in ("dim_date", "fact_sales"):
        contract = GOLD_TABLES[name]
        snapshot = DeltaSnapshot(
            f"s3://l/gold/{name}", 3, (), tuple(contract.column_names), (), {"fields": []}
        )
        plans.append(TablePlan(contract, snapshot, f"s3://a/{name}.manifest"))
    return plans


def _loader(client: FakeDataApi) -> RedshiftLoader:
    return RedshiftLoader(
        client, workgroup="wg", database="dev", schema="gold", iam_role="arn:role", poll_s=0
    )


def test_redshift_load_is_one_batch_statement_for_all_tables() -> None:
    client = FakeDataApi(["STARTED", "FINISHED"])
    rows = _loader(client).load(_plans())
    kind, first = client.calls[0]
    assert kind == "batch" and first["WorkgroupName"] == "wg"
    sqls = first["Sqls"]
    assert sum(s.startswith("COPY ") for s in sqls) == 2 and sum(s.startswith("MERGE ") for s in sqls) == 2
    assert rows == {"dim_date": 42}


def test_redshift_failure_is_a_rolled_back_load_error() -> None:
    with pytest.raises(WarehouseLoadError, match="rolled back: COPY failed"):
        _loader(FakeDataApi(["FAILED"])).load(_plans())


def test_redshift_unreachable_is_warehouse_unavailable() -> None:
    with pytest.raises(WarehouseUnavailable, match="unreachable"):
        _loader(FakeDataApi([], fail_submit=True)).prepare(list(GOLD_TABLES.values()))


class FakeWarehouse:
    """A WarehouseLoader whose marker table is a dict; ``load`` is all-or-nothing."""

    dialect = "fake"
    schema = "gold"

    def __init__(self) -> None:
        self.marker: dict[str, int] = {}
        self.loads: list[list[str]] = []

    def prepare(self, contracts: Any) -> None:
        pass

    def loaded_versions(self) -> dict[str, int]:
        return dict(self.marker)

    def load(self, plans: Any) -> dict[str, int]:
        self.loads.append([p.contract.name for p in plans])
        self.marker.update({p.contract.name: p.snapshot.version for p in plans})
        return {p.contract.name: 1 for p in plans}


def test_load_gold_loads_each_version_once_and_trusts_the_warehouse_marker(s3: Any) -> None:
    from dataclasses import replace

    from gladiator.config import local_settings
    from gladiator.contracts import Column, Contract
    from gladiator.warehouse import load_gold
    from gladiator.warehouse.ledger import LoadLedger

    ddb = boto3.client("dynamodb", region_name="us-east-1")
    ddb.create_table(
        TableName="job-state",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    s3.create_bucket(Bucket="assets")
    settings = replace(
        local_settings(), naming=replace(local_settings().naming, overrides={"assets": "assets"})
    )
    contract = Contract(
        name="t",
        description="",
        columns=(Column(name="k", type="bigint"), Column(name="updated_at", type="timestamp")),
        primary_key=("k",),
    )
    ledger = LoadLedger("job-state", ddb)
    warehouse = FakeWarehouse()

    def run() -> str:
        summary = load_gold(
            settings,
            contracts=[contract],
            loader=warehouse,
            ledger=ledger,
            s3=s3,
            table_uris={"t": "s3://lake/gold/t"},
        )
        return summary.tables[0].status

    assert run() == "loaded" and ledger.get("t", "gold").delta_version == 1  # type: ignore[union-attr]
    assert run() == "unchanged"
    ddb.delete_item(TableName="job-state", Key={"pk": {"S": "warehouse#t"}, "sk": {"S": "gold"}})
    assert run() == "repaired" and ledger.get("t", "gold").delta_version == 1  # type: ignore[union-attr]
    warehouse.marker.clear()  # the warehouse was reset; the ledger still says version 1
    assert run() == "loaded"
    _commit(s3, 2, [_add("_y=1/e.parquet")])
    assert run() == "loaded" and ledger.get("t", "gold").delta_version == 2  # type: ignore[union-attr]
    assert warehouse.loads == [["t"], ["t"], ["t"]]
    assert s3.get_object(Bucket="assets", Key="warehouse/manifests/gold/t/v00000000000000000002.manifest")
