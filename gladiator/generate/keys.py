"""Primary keys that do not exist in the truth, for injected rows that must be rejected.

A rejected row must never shadow a truth row (a cleaner may deduplicate before it validates), so
every such row gets a key of its own, valid under the contract rules, copied onto a real "donor"
row so that everything else about it is valid:
- single-column keys (supplier, customer, part, orders): above the largest key;
- partsupp: a real part with a real supplier it is not yet paired with;
- lineitem: the next line number of a real order that has fewer than 7 lines (one fault per order),
  so the line's order, part/supplier and dates stay consistent;
- region and nation use every key their range rule allows: no fresh key exists, so they only get
  faults that need none (duplicates, stale versions, noise, an out-of-range key).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from gladiator.contracts import Contract
from gladiator.generate.rules import parse_rule, satisfies_key_range

MAX_LINES_PER_ORDER = 7


@dataclass
class Donors:
    """Truth rows to copy (``indices``) and, per row, the fresh key to give the copy (text)."""

    indices: np.ndarray
    keys: list[dict[str, str]]


class FreshKeys:
    """Allocates fresh primary keys for one entity (see the module docstring)."""

    def __init__(self, contract: Contract, truth: pa.Table, rng: np.random.Generator) -> None:
        self.contract = contract
        self.truth = truth
        self.rng = rng
        self._next_serial = 1
        self._capacity = self._compute_capacity()

    # -- capacity -------------------------------------------------------------------------------
    def _compute_capacity(self) -> int:
        name, n = self.contract.name, self.truth.num_rows
        if name == "lineitem":
            self._line_bounds()
            return int(self._eligible.size)
        if name == "partsupp":
            return n
        if len(self.contract.primary_key) != 1 or n == 0:
            return 0
        key = self.contract.primary_key[0]
        fresh = int(pc.max(self.truth[key]).as_py()) + 1
        for rule in self.contract.rules:
            parsed = parse_rule(rule)
            if parsed and parsed.column == key and not satisfies_key_range(parsed, fresh):
                return 0
        return n

    @property
    def capacity(self) -> int:
        """How many fresh keys can still be allocated (0: none exist)."""
        return self._capacity

    # -- allocation -----------------------------------------------------------------------------
    def allocate(self, count: int) -> Donors:
        count = min(count, self._capacity)
        self._capacity -= count
        if count == 0:
            return Donors(np.zeros(0, dtype=np.int64), [])
        if self.contract.name == "lineitem":
            return self._allocate_lines(count)
        if self.contract.name == "partsupp":
            return self._allocate_pairs(count)
        return self._allocate_above_max(count)

    def _allocate_above_max(self, count: int) -> Donors:
        key = self.contract.primary_key[0]
        top = int(pc.max(self.truth[key]).as_py())
        serials = range(self._next_serial, self._next_serial + count)
        self._next_serial += count
        donors = self.rng.integers(0, self.truth.num_rows, size=count)
        return Donors(donors, [{key: str(top + s)} for s in serials])

    def _allocate_pairs(self, count: int) -> Donors:
        parts = self.truth["ps_partkey"].to_numpy()
        supps = self.truth["ps_suppkey"].to_numpy()
        n_suppliers = int(supps.max())
        donors = np.sort(self.rng.choice(self.truth.num_rows, size=count, replace=False))
        used: set[tuple[int, int]] = getattr(self, "_used_pairs", set())
        keys = []
        for index in donors:
            part, supp = int(parts[index]), int(supps[index])
            lo, hi = np.searchsorted(parts, part, "left"), np.searchsorted(parts, part, "right")
            taken = {int(s) for s in supps[lo:hi]}
            candidate = supp
            while candidate in taken or (part, candidate) in used:
                candidate = candidate % n_suppliers + 1
            used.add((part, candidate))
            keys.append({"ps_partkey": str(part), "ps_suppkey": str(candidate)})
        self._used_pairs = used
        return Donors(donors, keys)

    def _line_bounds(self) -> None:
        orders = self.truth["l_orderkey"].to_numpy()
        starts = np.flatnonzero(np.r_[True, orders[1:] != orders[:-1]])
        ends = np.r_[starts[1:], orders.size]
        self._last_line = ends - 1
        self._eligible = np.flatnonzero((ends - starts) < MAX_LINES_PER_ORDER)

    def _allocate_lines(self, count: int) -> Donors:
        picked = self.rng.choice(self._eligible.size, size=count, replace=False)
        chosen = self._eligible[picked]
        self._eligible = np.delete(self._eligible, picked)
        donors = self._last_line[chosen]
        orders = self.truth["l_orderkey"].to_numpy()
        lines = self.truth["l_linenumber"].to_numpy()
        keys = [{"l_orderkey": str(orders[d]), "l_linenumber": str(int(lines[d]) + 1)} for d in donors]
        return Donors(donors, keys)
