"""Entity contracts: the single definition of every entity's columns, keys, rules and layout.

Read by the landing Lambda's validator, the batch jobs, the stream and the warehouse DDL.
"""

from gladiator.contracts.entities import CONTRACTS
from gladiator.contracts.model import (
    Column,
    Contract,
    CrossEntityRule,
    DerivedColumn,
    ForeignKey,
    ReasonCode,
    Rule,
)

ENTITY_NAMES: tuple[str, ...] = tuple(CONTRACTS)


def get_contract(entity: str) -> Contract:
    """The contract of ``entity``; raises KeyError listing the known entities."""
    try:
        return CONTRACTS[entity]
    except KeyError:
        raise KeyError(f"unknown entity {entity!r}; known: {', '.join(ENTITY_NAMES)}") from None


__all__ = [
    "CONTRACTS",
    "ENTITY_NAMES",
    "Column",
    "Contract",
    "CrossEntityRule",
    "DerivedColumn",
    "ForeignKey",
    "ReasonCode",
    "Rule",
    "get_contract",
]
