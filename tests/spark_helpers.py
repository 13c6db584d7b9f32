"""DataFrame comparison for tests: both directions, with the difference shown on failure."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


def assert_same_rows(actual: DataFrame, expected: DataFrame, *, show: int = 20) -> None:
    """Compare two DataFrames as multisets: counts, then exceptAll in both directions.

    On failure, the message shows the rows each side has that the other lacks.
    """
    actual_count, expected_count = actual.count(), expected.count()
    missing = expected.exceptAll(actual)
    extra = actual.exceptAll(expected)
    n_missing, n_extra = missing.count(), extra.count()
    if actual_count == expected_count and n_missing == 0 and n_extra == 0:
        return
    lines = [f"rows: actual={actual_count} expected={expected_count}; missing={n_missing} extra={n_extra}"]
    if n_missing:
        lines.append("missing (in expected, not in actual):")
        lines += [f"  {r}" for r in missing.limit(show).collect()]
    if n_extra:
        lines.append("extra (in actual, not in expected):")
        lines += [f"  {r}" for r in extra.limit(show).collect()]
    raise AssertionError("\n".join(lines))
