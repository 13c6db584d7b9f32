"""Tableau Hyper round trip: the extract read back with tableauhyperapi has the gold tables' row
counts and the same sums of every numeric column (and min/max of dates) as the rows Spark wrote to
the gold Delta tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gladiator.config import Settings
from gladiator.contracts.gold import GOLD_TABLES
from gladiator.export import export_tableau
from gladiator.export.tableau import EXTRACT_FILE
from tests.integration import warehouse_support as support

pytestmark = pytest.mark.slow


def test_hyper_extract_round_trips_the_gold_tables(spark: Any, local_stack: Settings, tmp_path: Path) -> None:
    from tableauhyperapi import Connection, HyperProcess, Telemetry

    uris = support.gold_lake(spark, local_stack)
    profiles = support.gold_profiles(spark, local_stack)
    result = export_tableau(local_stack, tmp_path, table_uris=uris)
    assert set(result) == set(GOLD_TABLES)

    with (
        HyperProcess(
            telemetry=Telemetry.DO_NOT_SEND_USAGE_DATA_TO_TABLEAU,
            parameters={"log_config": "", "log_dir": str(tmp_path)},
        ) as hyper,
        Connection(hyper.endpoint, str(tmp_path / EXTRACT_FILE)) as conn,
    ):
        for name, contract in GOLD_TABLES.items():
            want = profiles[name]
            columns = ", ".join(support.profile_expressions(contract, '"'))
            got = list(conn.execute_list_query(f'SELECT {columns} FROM "Extract"."{name}"')[0])
            got = [v.to_date() if hasattr(v, "to_date") else v for v in got]
            assert want[0] > 0, f"{name}: gold is empty"
            assert result[name]["rows"] == want[0]
            assert got == want, f"{name}: Hyper {got} != gold {want}"
