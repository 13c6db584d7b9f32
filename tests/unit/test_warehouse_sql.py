"""Generated Redshift SQL: parses with sqlglot's redshift dialect and matches reviewed golden files.

Regenerate the golden files after a reviewed change with ``GLADIATOR_REGEN_GOLDEN=1 pytest <this file>``
and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from gladiator.contracts import CONTRACTS
from gladiator.contracts.gold import GOLD_TABLES
from gladiator.warehouse import ddl
from gladiator.warehouse.base import TablePlan
from gladiator.warehouse.delta_log import DeltaSnapshot
from gladiator.warehouse.redshift import RedshiftLoader

GOLDEN = Path(__file__).parent / "golden"
REGENERATE = os.environ.get("GLADIATOR_REGEN_GOLDEN") == "1"
ROLE = "arn:aws:iam::123456789012:role/gladiator-warehouse-copy"


def _loader() -> RedshiftLoader:
    return RedshiftLoader(None, workgroup="wg", database="dev", schema="gold", iam_role=ROLE)


def _plan(name: str, version: int = 7) -> TablePlan:
    contract = GOLD_TABLES[name]
    snapshot = DeltaSnapshot(
        table_uri=f"s3://lake/gold/{name}",
        version=version,
        files=(),
        columns=(*contract.column_names, *(d.name for d in contract.partition_by)),
        partition_columns=tuple(d.name for d in contract.partition_by),
        schema={"fields": []},
    )
    return TablePlan(contract, snapshot, f"s3://assets/warehouse/manifests/gold/{name}/v7.manifest")


def _script(name: str) -> str:
    loader = _loader()
    statements = [
        ddl.create_table_sql(GOLD_TABLES[name], "gold", "redshift"),
        *loader.load_sql([_plan(name)]),
    ]
    return "".join(f"{s};\n\n" for s in statements)


@pytest.mark.parametrize("name", list(GOLD_TABLES))
def test_redshift_load_sql_matches_golden_file(name: str) -> None:
    text = _script(name)
    golden = GOLDEN / f"{name}.sql"
    if REGENERATE:
        golden.write_text(text)
    assert golden.exists(), f"no golden file {golden}; run with GLADIATOR_REGEN_GOLDEN=1 and review it"
    assert text == golden.read_text(), (
        f"generated SQL for {name} differs from {golden} (review, then regenerate)"
    )


@pytest.mark.parametrize("name", list(GOLD_TABLES))
def test_redshift_sql_parses_as_redshift(name: str) -> None:
    statements = [s for s in _script(name).split(";\n\n") if s.strip()]
    kinds = []
    for statement in statements:
        parsed = sqlglot.parse_one(statement, read="redshift", error_level=sqlglot.ErrorLevel.RAISE)
        assert not isinstance(parsed, exp.Command), f"sqlglot did not understand: {statement}"
        kinds.append(type(parsed).__name__)
    assert kinds[:3] == ["Create", "Create", "Copy"]
    assert "Merge" in kinds


def test_layout_follows_the_contract() -> None:
    fact = ddl.create_table_sql(GOLD_TABLES["fact_sales"], "gold", "redshift")
    assert "DISTKEY (order_key)" in fact and "SORTKEY (order_date)" in fact
    small = ddl.create_table_sql(GOLD_TABLES["dim_date"], "gold", "redshift")
    assert "DISTSTYLE ALL" in small
    postgres = ddl.create_table_sql(GOLD_TABLES["fact_sales"], "gold", "postgres")
    assert "DIST" not in postgres and "PRIMARY KEY (order_key, line_number)" in postgres


def test_staging_follows_the_file_column_order_for_parquet_copy() -> None:
    plan = _plan("fact_sales")
    create = _loader().load_sql([plan])[0]
    body = create.split("(", 1)[1]
    positions = [body.index(f"\n  {c} ") for c in GOLD_TABLES["fact_sales"].column_names]
    assert positions == sorted(positions)
    assert "_order_year" not in create  # partition column: in the path, not in the files


def test_contract_column_missing_from_files_is_refused() -> None:
    contract = CONTRACTS["orders"]
    with pytest.raises(ValueError, match="not in the Parquet files"):
        ddl.redshift_load_script(
            contract,
            "gold",
            file_columns=contract.column_names[1:],
            delta_schema=None,
            manifest_uri="s3://a/m",
            iam_role=ROLE,
            version=1,
        )


@pytest.mark.parametrize("name", list(CONTRACTS))
def test_postgres_sql_parses(name: str) -> None:
    contract = CONTRACTS[name]
    for statement in (
        ddl.create_table_sql(contract, "s", "postgres"),
        ddl.merge_sql(contract, "s", "stage_x", "postgres"),
        ddl.delete_missing_sql(contract, "s", "stage_x"),
    ):
        parsed = sqlglot.parse_one(statement, read="postgres", error_level=sqlglot.ErrorLevel.RAISE)
        assert not isinstance(parsed, exp.Command)


@pytest.mark.parametrize("dialect", ["redshift", "postgres"])
def test_business_views_parse_in_both_warehouses(dialect: str) -> None:
    from gladiator.warehouse.views import create_view_sql, referenced_tables, view_names

    assert len(view_names()) >= 9
    for name in view_names():
        parsed = sqlglot.parse_one(
            create_view_sql(name, "gold"), read=dialect, error_level=sqlglot.ErrorLevel.RAISE
        )
        assert isinstance(parsed, exp.Create), name
        assert referenced_tables(name) <= set(GOLD_TABLES), name
