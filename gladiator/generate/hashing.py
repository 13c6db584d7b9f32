"""Deterministic per-row pseudo-random numbers from a seed and the row's key (vectorised).

numpy's splitmix64 finaliser: the same (seed, key) always gives the same 64-bit value on every
machine, independent of thread count or row order, so generated data is reproducible byte for byte.
"""

from __future__ import annotations

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser over a uint64 array (wrapping arithmetic)."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def row_hash(seed: int, salt: int, *keys: np.ndarray) -> np.ndarray:
    """A uint64 per row from ``seed``, a per-use ``salt`` and the row's key columns."""
    with np.errstate(over="ignore"):
        h = mix64(np.full(len(keys[0]), np.uint64(seed & 0xFFFFFFFFFFFFFFFF) ^ np.uint64(salt) * _GOLDEN))
        for key in keys:
            h = mix64(h ^ (np.asarray(key).astype(np.uint64) + _GOLDEN))
    return h
