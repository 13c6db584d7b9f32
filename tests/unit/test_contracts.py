"""The contracts describe TPC-H exactly: tpchgen-cli's clean output satisfies every rule."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from gladiator.contracts import CONTRACTS, ENTITY_NAMES, Column, Contract, get_contract
from gladiator.contracts.types import arrow_type, sql_type

TPCHGEN = Path(sys.executable).parent / "tpchgen-cli"


@pytest.fixture(scope="module")
def tpch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tpch")
    subprocess.run([str(TPCHGEN), "parquet", "-s", "0.01", "-o", str(out)], check=True, capture_output=True)
    return out


def test_eight_entities_in_dependency_order() -> None:
    assert ENTITY_NAMES == (
        "region",
        "nation",
        "supplier",
        "customer",
        "part",
        "partsupp",
        "orders",
        "lineitem",
    )
    seen: set[str] = set()
    for contract in CONTRACTS.values():
        for fk in contract.foreign_keys:
            assert fk.references in seen, f"{contract.name} references {fk.references} before it is defined"
        seen.add(contract.name)


@pytest.mark.parametrize("entity", ENTITY_NAMES)
def test_columns_and_types_match_tpchgen(entity: str, tpch: Path) -> None:
    contract = get_contract(entity)
    schema = pq.read_schema(tpch / f"{entity}.parquet")
    business = [c for c in contract.columns if c.name != "updated_at"]
    assert [c.name for c in business] == schema.names
    for column in business:
        assert arrow_type(column) == schema.field(column.name).type, column.name


@pytest.mark.parametrize("entity", ENTITY_NAMES)
def test_clean_tpch_data_satisfies_every_rule_and_key(entity: str, tpch: Path) -> None:
    contract = get_contract(entity)
    con = duckdb.connect()
    for name in ENTITY_NAMES:
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM '{tpch / name}.parquet'")
    for rule in contract.rules:
        bad = con.execute(f"SELECT count(*) FROM {entity} WHERE NOT ({rule.predicate})").fetchone()[0]
        assert bad == 0, f"{rule.name}: {bad} clean rows violate {rule.predicate}"
    for rule in contract.cross_rules:
        on = " AND ".join(f"{a} = {b}" for a, b in rule.join)
        bad = con.execute(
            f"SELECT count(*) FROM {entity} JOIN {rule.other} ON {on} WHERE NOT ({rule.predicate})"
        ).fetchone()[0]
        assert bad == 0, rule.name
    pk = ", ".join(contract.primary_key)
    assert con.execute(f"SELECT count(*) - count(DISTINCT ({pk})) FROM {entity}").fetchone()[0] == 0
    for fk in contract.foreign_keys:
        on = " AND ".join(f"t.{a} = r.{b}" for a, b in zip(fk.columns, fk.referenced_columns, strict=True))
        dangling = con.execute(
            f"SELECT count(*) FROM {entity} t ANTI JOIN {fk.references} r ON {on}"
        ).fetchone()[0]
        assert dangling == 0, f"{entity} -> {fk.references}"
    for column in contract.columns:
        if (
            column.normalize == "upper"
            and column.name in contract.column_names
            and column.name != "updated_at"
        ):
            lower = con.execute(
                f"SELECT count(*) FROM {entity} WHERE {column.name} <> upper(trim({column.name}))"
            )
            assert lower.fetchone()[0] == 0, f"{column.name} is marked upper but clean data is not"


def test_a_rule_catches_a_bad_value() -> None:
    con = duckdb.connect()
    rule = next(r for r in get_contract("lineitem").rules if r.name == "l_discount_range")
    assert con.execute(f"SELECT {rule.predicate} FROM (SELECT 0.11 AS l_discount)").fetchone()[0] is False
    assert con.execute(f"SELECT {rule.predicate} FROM (SELECT 0.10 AS l_discount)").fetchone()[0] is True


def test_bad_contract_definitions_are_rejected() -> None:
    with pytest.raises(ValueError, match="unknown logical type"):
        Column(name="x", type="float")
    with pytest.raises(ValueError, match="unknown columns"):
        Contract(name="t", description="", columns=(Column(name="a", type="int"),), primary_key=("b",),
                 version_column="a")  # fmt: skip


def test_unknown_entity_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="known: region, nation"):
        get_contract("invoices")


def test_warehouse_types() -> None:
    lineitem = get_contract("lineitem")
    assert sql_type(lineitem.column("l_discount"), "redshift") == "DECIMAL(15,2)"
    assert sql_type(lineitem.column("l_shipmode"), "postgres") == "VARCHAR(10)"
    assert sql_type(lineitem.column("updated_at"), "mysql") == "DATETIME(6)"
