"""The gold build order (gladiator.transforms.gold_registry): every gold table is built once, after
its inputs, from silver entities or earlier gold tables; a subset pulls in what it reads."""

from __future__ import annotations

import inspect

import pytest

from gladiator.contracts import CONTRACTS
from gladiator.contracts.gold import GOLD_TABLE_NAMES
from gladiator.transforms import gold_registry as registry


def test_every_gold_table_has_one_build_after_its_inputs() -> None:
    assert sorted(b.table for b in registry.GOLD_BUILDS) == sorted(GOLD_TABLE_NAMES)
    built: set[str] = set()
    for build in registry.GOLD_BUILDS:
        for name in build.inputs:
            assert name in CONTRACTS or name in built, f"{build.table} reads {name} before it is built"
        assert len(inspect.signature(build.build).parameters) == len(build.inputs), build.table
        built.add(build.table)
    assert not set(CONTRACTS) & set(GOLD_TABLE_NAMES)  # one name space for the inputs


def test_a_subset_brings_what_it_is_built_from() -> None:
    tables = [b.table for b in registry.builds_for(["agg_return_rate"])]
    assert tables == ["dim_part", "fact_sales", "agg_return_rate"]
    customer = [b.table for b in registry.builds_for(["dim_customer"])]
    assert customer == ["dim_geography", "fact_sales", "fact_orders", "dim_customer"]
    assert [b.table for b in registry.builds_for()] == [b.table for b in registry.GOLD_BUILDS]
    with pytest.raises(KeyError, match="agg_nope"):
        registry.builds_for(["agg_nope"])


def test_missing_silver_input_is_named() -> None:
    with pytest.raises(KeyError, match="part"):
        registry.build_gold({}, ["dim_part"])


def test_a_silver_change_makes_exactly_its_downstream_stale() -> None:
    assert registry.downstream_of(["region"]) == {
        "dim_geography", "dim_supplier", "dim_customer", "agg_revenue_monthly",
        "agg_supplier_performance", "agg_supplier_nation_performance",
    }  # fmt: skip
    assert registry.downstream_of(["part"]) == {"dim_part", "agg_return_rate"}
    assert registry.downstream_of(["partsupp"]) == set()  # gold does not read it
    # orders feed the facts, so every aggregate built on them
    assert {"fact_sales", "fact_orders", "dim_date", "agg_cohort_retention"} <= registry.downstream_of(
        ["orders"]
    )


def test_plan_rebuild_first_all_then_what_moved() -> None:
    from gladiator.jobs.silver_to_gold import plan_rebuild

    versions = dict.fromkeys(registry.SILVER_INPUTS, 3)
    assert plan_rebuild(versions, None) == set(GOLD_TABLE_NAMES)
    assert plan_rebuild(versions, versions) == set()
    assert plan_rebuild({**versions, "part": 4}, versions) == {"dim_part", "agg_return_rate"}
