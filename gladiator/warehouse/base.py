"""The warehouse loader interface: what ``load_gold`` hands a loader, and what a loader implements.

Both loaders (``postgres.PostgresLoader``, ``redshift.RedshiftLoader``) and the load itself
(``loader.load_gold``) import this module, and it imports none of them, so the dependencies run
one way: ``loader -> {postgres, redshift} -> base``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from gladiator.contracts import Contract
from gladiator.warehouse.delta_log import DeltaSnapshot

DEFAULT_SCHEMA = "gold"


@dataclass(frozen=True)
class TablePlan:
    """One table to load: its contract, the Delta snapshot, and the manifest written for it."""

    contract: Contract
    snapshot: DeltaSnapshot
    manifest_uri: str


class WarehouseLoader(Protocol):
    """What both warehouses implement. ``load`` is all-or-nothing over ``plans``."""

    dialect: str
    schema: str

    def prepare(self, contracts: Sequence[Contract]) -> None:
        """Create the schema, the target tables and the marker table if missing (idempotent)."""

    def loaded_versions(self) -> dict[str, int]:
        """table -> Delta version, from the warehouse's own marker table."""

    def load(self, plans: Sequence[TablePlan]) -> dict[str, int]:
        """Load every plan in one transaction; returns table -> target row count after the load."""
