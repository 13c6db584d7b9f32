"""The ODCS export validates against the standard's own JSON schema and says what we enforce."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from gladiator.contracts import CONTRACTS
from gladiator.contracts.odcs import to_odcs


@pytest.fixture(scope="module")
def validator() -> Any:
    """The ODCS JSON schema as shipped by the `open-data-contract-standard` package."""
    schema = json.loads(files("open_data_contract_standard").joinpath("schema.json").read_text())
    return jsonschema.validators.validator_for(schema)(schema)


@pytest.mark.parametrize("entity", list(CONTRACTS))
def test_every_contract_exports_a_valid_odcs_document(entity: str, validator: Any) -> None:
    errors = [e.message for e in validator.iter_errors(to_odcs(CONTRACTS[entity]))]
    assert errors == []


def test_the_validator_rejects_a_broken_document(validator: Any) -> None:
    doc = to_odcs(CONTRACTS["orders"])
    doc["schema"][0]["properties"][0]["logicalType"] = "bigint"  # not an ODCS logical type
    del doc["id"]
    assert len(list(validator.iter_errors(doc))) == 2


def test_export_carries_every_rule_key_and_sla() -> None:
    contract = CONTRACTS["lineitem"]
    doc = to_odcs(contract)
    schema = doc["schema"][0]
    checks = {q["name"]: q for q in schema["quality"]}
    for rule in contract.rules:
        assert rule.predicate in checks[rule.name]["query"]
    for cross in contract.cross_rules:
        assert cross.predicate in checks[cross.name]["query"]
    keys = [p["name"] for p in sorted(schema["properties"], key=lambda p: p.get("primaryKeyPosition", 99))]
    assert keys[: len(contract.primary_key)] == list(contract.primary_key)
    assert [r["to"] for r in schema["relationships"]] == [
        [f"{fk.references}.{c}" for c in fk.referenced_columns] for fk in contract.foreign_keys
    ]
    assert doc["slaProperties"][0]["value"] == contract.freshness_sla_hours
    assert "slaProperties" not in to_odcs(CONTRACTS["region"])  # static reference data: no SLA


def test_cli_writes_one_yaml_per_entity(tmp_path: Path, validator: Any) -> None:
    from gladiator_cli import cli

    result = CliRunner().invoke(cli, ["contracts", "export", "--format", "odcs", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == sorted(f"{name}.odcs.yaml" for name in CONTRACTS)
    for path in tmp_path.iterdir():
        assert list(validator.iter_errors(yaml.safe_load(path.read_text()))) == []


def test_cli_refuses_an_unknown_entity(tmp_path: Path) -> None:
    from gladiator_cli import cli

    result = CliRunner().invoke(cli, ["contracts", "export", "--entity", "shoes", "--out", str(tmp_path)])
    assert result.exit_code != 0
    assert "unknown entity 'shoes'" in result.output
    assert not any(tmp_path.iterdir())
