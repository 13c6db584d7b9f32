"""Contracts that other tools can read: each entity as an Open Data Contract Standard document.

ODCS (v3.x, Bitol / Linux Foundation) is the exchange format data catalogs and contract tools
(datacontract-cli, Soda, dbt integrations) read. The export is a pure function of the contract,
so it can never drift from what the pipeline enforces:
- ``schema[0].properties``: the columns, with logical and physical types, nullability and the
  primary key positions;
- ``schema[0].relationships``: the foreign keys;
- ``schema[0].quality``: every domain rule and cross-entity rule as an SQL check (the predicate
  is the same text the Lambda validator, Spark and DuckDB run), with the reason code it
  quarantines under, plus the not-null and primary-key uniqueness checks;
- ``slaProperties``: freshness (the contract's SLA on ``version_column``) where it has one.

Validated in the tests against the JSON schema shipped by the ``open-data-contract-standard``
package, not against a hand-written one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gladiator.contracts.model import Column, Contract

ODCS_API_VERSION = "v3.2.0"
ODCS_DOMAIN = "retail-orders"

# Contract logical type -> ODCS logicalType.
_LOGICAL = {
    "bigint": "integer",
    "int": "integer",
    "string": "string",
    "date": "date",
    "timestamp": "timestamp",
}


def _property(column: Column, contract: Contract) -> dict[str, Any]:
    logical = "number" if column.type.startswith("decimal") else _LOGICAL[column.type]
    physical = f"varchar({column.max_length})" if column.max_length else column.type
    prop: dict[str, Any] = {
        "name": column.name,
        "logicalType": logical,
        "physicalType": physical,
        "required": not column.nullable,
    }
    if column.name in contract.primary_key:
        prop["primaryKey"] = True
        prop["primaryKeyPosition"] = contract.primary_key.index(column.name) + 1
    if column.description:
        prop["description"] = column.description
    return prop


def _quality(contract: Contract, table: str) -> list[dict[str, Any]]:
    """Every check the pipeline runs on the entity, as ODCS SQL checks counting failing rows."""
    checks: list[dict[str, Any]] = []
    required = [c.name for c in contract.columns if not c.nullable]
    if required:
        nulls = " OR ".join(f"{c} IS NULL" for c in required)
        checks.append(
            _sql_check(
                "not_null", "completeness", f"SELECT COUNT(*) FROM {table} WHERE {nulls}", "null_required"
            )
        )
    keys = ", ".join(contract.primary_key)
    checks.append(
        _sql_check(
            "primary_key_unique",
            "uniqueness",
            f"SELECT COUNT(*) FROM (SELECT {keys} FROM {table} GROUP BY {keys} HAVING COUNT(*) > 1) d",
            "duplicate",
        )
    )
    for rule in contract.rules:
        query = f"SELECT COUNT(*) FROM {table} WHERE NOT ({rule.predicate})"
        checks.append(_sql_check(rule.name, "conformity", query, str(rule.reason)))
    for cross in contract.cross_rules:
        on = " AND ".join(f"{table}.{mine} = {cross.other}.{theirs}" for mine, theirs in cross.join)
        query = f"SELECT COUNT(*) FROM {table} JOIN {cross.other} ON {on} WHERE NOT ({cross.predicate})"
        checks.append(_sql_check(cross.name, "consistency", query, str(cross.reason)))
    return checks


def _sql_check(name: str, dimension: str, query: str, reason: str) -> dict[str, Any]:
    return {
        "name": name,
        "type": "sql",
        "dimension": dimension,
        "query": query,
        "mustBe": 0,
        "severity": "error",
        "description": f"rows failing this check are quarantined with reason {reason}",
        "customProperties": [{"property": "gladiatorReason", "value": reason}],
    }


def to_odcs(contract: Contract, *, status: str = "active") -> dict[str, Any]:
    """The contract of one entity as an ODCS document (a plain dict, ready for YAML or JSON)."""
    table = contract.name
    schema: dict[str, Any] = {
        "name": table,
        "physicalName": f"silver_{table}",
        "logicalType": "object",
        "physicalType": "table",
        "description": contract.description,
        "properties": [_property(c, contract) for c in contract.columns],
        "quality": _quality(contract, table),
    }
    relationships = [
        {
            "type": "foreignKey",
            "from": [f"{table}.{c}" for c in fk.columns],
            "to": [f"{fk.references}.{c}" for c in fk.referenced_columns],
        }
        for fk in contract.foreign_keys
    ]
    if relationships:
        schema["relationships"] = relationships
    doc: dict[str, Any] = {
        "apiVersion": ODCS_API_VERSION,
        "kind": "DataContract",
        "id": f"gladiator-{table}",
        "name": table,
        "version": f"{contract.version}.0.0",
        "status": status,
        "domain": ODCS_DOMAIN,
        "description": {"purpose": contract.description},
        "schema": [schema],
        "customProperties": [
            {
                "property": "partitionBy",
                "value": ", ".join(d.expression for d in contract.partition_by) or "none",
            },
            {"property": "clusterBy", "value": ", ".join(contract.cluster_by) or "none"},
            {"property": "versionColumn", "value": contract.version_column},
            {"property": "rowCountBand", "value": contract.row_count_band},
        ],
    }
    if contract.freshness_sla_hours is not None:
        doc["slaProperties"] = [
            {
                "property": "freshness",
                "value": contract.freshness_sla_hours,
                "unit": "h",
                "element": f"{table}.{contract.version_column}",
                "driver": "operational",
            }
        ]
    return doc


def write_odcs(contracts: dict[str, Contract], out_dir: Path) -> list[Path]:
    """Write ``<entity>.odcs.yaml`` for each contract into ``out_dir``; returns the paths."""
    import yaml

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, contract in contracts.items():
        path = out_dir / f"{name}.odcs.yaml"
        path.write_text(yaml.safe_dump(to_odcs(contract), sort_keys=False, width=120))
        paths.append(path)
    return paths
