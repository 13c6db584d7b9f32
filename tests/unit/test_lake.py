"""gladiator.lake, the one Delta write module: paths, the transaction helper, and the guarded MERGE's
options (ordering guard, partial update, no insert, only changed values + delete missing, key range),
each idempotent on (app_id, version). Local folders, the shared Spark session, no services."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gladiator import lake

SCHEMA = "k bigint, status string, amount int, updated_at int"


def rows(spark: Any, path: str) -> dict[int, tuple[Any, ...]]:
    return {r["k"]: tuple(r)[1:] for r in spark.read.format("delta").load(path).collect()}


def frame(spark: Any, data: list[tuple[Any, ...]]) -> Any:
    return spark.createDataFrame(data, SCHEMA)


def test_lake_path_builds_the_design_layout() -> None:
    assert lake.lake_path("s3://lake/", lake.SILVER, "orders") == "s3://lake/silver/orders"
    assert lake.lake_path("s3a://lake", lake.CHECKPOINTS, "orders") == "s3a://lake/_checkpoints/orders"
    assert lake.lake_path("/tmp/x", lake.GOLD) == "/tmp/x/gold"
    with pytest.raises(ValueError, match="unknown lake layer"):
        lake.lake_path("s3://lake", "platinum", "orders")


def test_transaction_sets_the_txn_confs_and_leaves_no_session_state(spark: Any) -> None:
    spark.conf.set(lake.USER_METADATA, "outer")
    try:
        with lake.transaction(spark, app_id="job", version=7, user_metadata={"b": 1}):
            assert spark.conf.get(lake.TXN_APP_ID) == "job"
            assert spark.conf.get(lake.TXN_VERSION) == "7"
            assert spark.conf.get(lake.USER_METADATA) == '{"b": 1}'
        assert spark.conf.get(lake.TXN_APP_ID, None) is None
        assert spark.conf.get(lake.TXN_VERSION, None) is None
        assert spark.conf.get(lake.USER_METADATA) == "outer"  # restored, not unset
        with pytest.raises(RuntimeError), lake.transaction(spark, app_id="job", version=8):
            raise RuntimeError("the MERGE failed")
        assert spark.conf.get(lake.TXN_APP_ID, None) is None
    finally:
        spark.conf.unset(lake.USER_METADATA)


def test_guarded_merge_newer_wins_and_is_idempotent(spark: Any, tmp_path: Path) -> None:
    path = str(tmp_path / "t")
    first = frame(spark, [(1, "O", 10, 1), (2, "O", 20, 1)])
    assert lake.guarded_merge(first, path, keys=["k"], app_id="a", version=1)  # creates the table
    update = frame(spark, [(1, "F", 11, 2), (2, "X", 99, 0), (3, "O", 30, 1)])
    assert lake.guarded_merge(update, path, keys=["k"], app_id="a", version=2)
    assert rows(spark, path) == {1: ("F", 11, 2), 2: ("O", 20, 1), 3: ("O", 30, 1)}  # 2 was stale
    before = lake.table_version(spark, path)
    newer = frame(spark, [(1, "P", 12, 3)])
    assert not lake.guarded_merge(newer, path, keys=["k"], app_id="a", version=2)  # replayed batch
    assert lake.table_version(spark, path) == before
    assert lake.committed_txn_version(spark, path, "a") == 2
    assert spark.conf.get(lake.TXN_APP_ID, None) is None


def test_partial_update_without_insert(spark: Any, tmp_path: Path) -> None:
    path = str(tmp_path / "t")
    lake.guarded_merge(frame(spark, [(1, "O", 10, 1)]), path, keys=["k"], app_id="a", version=1)
    changes = spark.createDataFrame([(1, "F", 2), (9, "F", 2)], "k bigint, status string, updated_at int")
    lake.guarded_merge(
        changes,
        path,
        keys=["k"],
        app_id="s",
        version=1,
        update_columns=["status", "updated_at"],
        insert=False,
    )
    assert rows(spark, path) == {1: ("F", 10, 2)}  # amount untouched, key 9 not inserted


def test_only_changed_rows_are_rewritten_and_missing_rows_deleted(spark: Any, tmp_path: Path) -> None:
    path = str(tmp_path / "t")
    lake.overwrite(
        frame(spark, [(1, "O", 10, 1), (2, "O", 20, 1), (3, "O", 30, 1)]), path, app_id="g", version=1
    )
    whole = frame(spark, [(1, "O", 10, 1), (2, "F", 20, 1), (4, "O", 40, 1)])
    lake.guarded_merge(
        whole,
        path,
        keys=["k"],
        app_id="g",
        version=2,
        version_column=None,
        only_changed=True,
        delete_missing=True,
    )
    assert rows(spark, path) == {1: ("O", 10, 1), 2: ("F", 20, 1), 4: ("O", 40, 1)}
    metrics = spark.sql(f"DESCRIBE HISTORY delta.`{path}`").first()["operationMetrics"]
    assert (metrics["numTargetRowsUpdated"], metrics["numTargetRowsInserted"]) == ("1", "1")
    assert metrics["numTargetRowsDeleted"] == "1"  # key 1 was unchanged: not rewritten
    with pytest.raises(ValueError, match="key range"):
        lake.guarded_merge(whole, path, keys=["k"], app_id="g", version=3, key_range="k", delete_missing=True)


def test_a_scoped_merge_updates_inserts_and_deletes_only_inside_its_scope(spark: Any, tmp_path: Path) -> None:
    path = str(tmp_path / "t")
    lake.overwrite(
        frame(spark, [(1, "O", 10, 1), (2, "O", 20, 1), (3, "O", 30, 1), (5, "O", 50, 1)]),
        path, app_id="g", version=1,
    )  # fmt: skip
    # the whole truth of keys 2, 3 and 4: 2 changed, 3 gone, 4 new; keys 1 and 5 are out of scope
    scoped = frame(spark, [(2, "F", 20, 1), (4, "O", 40, 1)])
    lake.guarded_merge(
        scoped, path, keys=["k"], app_id="g", version=2, version_column=None, only_changed=True,
        delete_missing=True, scope="t.`k` IN (2, 3, 4)",
    )  # fmt: skip
    assert rows(spark, path) == {1: ("O", 10, 1), 2: ("F", 20, 1), 4: ("O", 40, 1), 5: ("O", 50, 1)}


def test_key_range_gives_the_same_rows_and_skips_files_outside_it(spark: Any, tmp_path: Path) -> None:
    plain, ranged = str(tmp_path / "plain"), str(tmp_path / "ranged")
    for path in (plain, ranged):  # ten files; file i holds the even keys 100 i .. 100 i + 98
        spark.range(0, 500, 1, 10).selectExpr(
            "id * 2 AS k", "'O' AS status", "CAST(id AS INT) AS amount", "1 AS updated_at"
        ).write.format("delta").option("optimizeWrite", "false").save(path)
    update = frame(spark, [(150, "F", 0, 2), (160, "F", 0, 2), (151, "O", 1, 1)])
    lake.guarded_merge(update, plain, keys=["k"], app_id="a", version=1)
    lake.guarded_merge(update, ranged, keys=["k"], app_id="a", version=1, key_range="k")
    assert rows(spark, ranged) == rows(spark, plain)
    assert rows(spark, ranged)[150] == ("F", 0, 2) and rows(spark, ranged)[151] == ("O", 1, 1)

    # Pruning, observed: a file outside the range is removed from disk behind Delta's back. The
    # ranged MERGE never opens it; the plain one must, and fails.
    from pyspark.sql import functions as F

    far = spark.read.format("delta").load(ranged).where("k = 800")
    ranged_file = far.select(F.input_file_name()).first()[0]
    Path(ranged_file.removeprefix("file:")).unlink()
    again = frame(spark, [(152, "F", 0, 2)])
    assert lake.guarded_merge(again, ranged, keys=["k"], app_id="a", version=2, key_range="k")
    with pytest.raises(Exception, match=r"(?i)not exist|FileNotFound|FAILED_READ_FILE"):
        lake.guarded_merge(again, ranged, keys=["k"], app_id="b", version=1)
    assert lake.key_range_predicate(spark.createDataFrame([], SCHEMA), "k") is None
