"""Gold table contracts: names are final (the warehouse keeps them), keys and types are valid."""

from __future__ import annotations

import pytest

from gladiator.contracts.gold import (
    GOLD_TABLES,
    GoldKind,
    WriteMode,
    get_gold_contract,
    gold_kind,
    write_mode,
)
from gladiator.contracts.types import sql_type

FINAL_NAMES = {
    "dim_date",
    "dim_geography",
    "dim_part",
    "dim_supplier",
    "dim_customer",
    "fact_sales",
    "fact_orders",
    "agg_revenue_monthly",
    "agg_supplier_performance",
    "agg_supplier_nation_performance",
    "agg_shipmode_efficiency",
    "agg_return_rate",
    "agg_order_status_mix",
    "agg_cohort_retention",
}


def test_gold_table_names_are_the_agreed_ones() -> None:
    assert set(GOLD_TABLES) == FINAL_NAMES


@pytest.mark.parametrize("name", sorted(FINAL_NAMES))
def test_every_gold_table_has_key_version_and_warehouse_types(name: str) -> None:
    contract = get_gold_contract(name)
    assert contract.primary_key and contract.column("updated_at").type == "timestamp"
    for column in contract.columns:
        for dialect in ("redshift", "postgres", "duckdb"):
            assert sql_type(column, dialect)
        if column.type == "string":
            assert column.max_length, f"{name}.{column.name} needs a VARCHAR length"
    assert all(not c.nullable for c in contract.columns if c.name in contract.primary_key)


def test_kinds_and_write_modes() -> None:
    assert gold_kind("fact_sales") is GoldKind.FACT and write_mode("fact_sales") is WriteMode.MERGE
    assert (
        gold_kind("dim_customer") is GoldKind.DIMENSION and write_mode("dim_customer") is WriteMode.OVERWRITE
    )
    assert gold_kind("agg_return_rate") is GoldKind.AGGREGATE
    with pytest.raises(KeyError, match="unknown gold table"):
        get_gold_contract("fact_nope")


def test_fact_sales_has_the_required_measures() -> None:
    names = set(get_gold_contract("fact_sales").column_names)
    assert {"net_revenue", "tax_amount", "ship_lag_days", "is_late", "return_flag", "ship_mode"} <= names
    assert {"customer_key", "supplier_key", "part_key", "customer_nation_key", "order_date_key"} <= names
    churn = set(get_gold_contract("dim_customer").column_names)
    assert {"first_order_date", "last_order_date", "recency_days", "frequency_trend", "is_at_risk"} <= churn
