"""Benchmark (not a test): gold at SF1 into PostgreSQL with ``load_gold`` vs a bare COPY of the same data.

Side by side, in one run, on the same gold Delta snapshot:
- ``load_gold``: manifest -> S3 fetch -> Parquet->CSV -> COPY into staging -> MERGE -> delete
  missing -> marker, every table in one transaction (the real load, into an empty schema);
- ``load_gold`` again: the same versions (a ledger no-op);
- bare COPY: the same files fetched and converted the same way, COPYed straight into empty tables
  (no staging, no MERGE, no transaction-wide atomicity): the floor for this machine.

Gold is built once with the real transforms from tpchgen truth and kept under
``s3://<lake>/bench/gold-sf<scale>/`` (``--rebuild`` to redo it).

    .venv/bin/python bench/bench_warehouse.py [--scale 1] [--rebuild]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from gladiator.config import load_settings, use_local_credentials  # noqa: E402
from gladiator.contracts.gold import GOLD_TABLES  # noqa: E402
from gladiator.warehouse import ddl, load_gold  # noqa: E402
from gladiator.warehouse.delta_log import DeltaLogError, DeltaLogReader  # noqa: E402
from gladiator.warehouse.ledger import LoadLedger  # noqa: E402
from gladiator.warehouse.manifest import build_manifest, manifest_uri, read_manifest, write_manifest  # noqa: E402
from gladiator.warehouse.postgres import PostgresLoader, connect  # noqa: E402


def build_gold(settings, root: str, scale: float) -> None:  # type: ignore[no-untyped-def]
    from gladiator.spark import get_spark
    from tests.integration.warehouse_support import build_gold as build
    from tests.integration.warehouse_support import write_gold_table
    from tests.tpch_truth import make_truth

    truth = make_truth(Path(tempfile.mkdtemp(prefix="bench-truth-")), scale)
    spark = get_spark("bench-warehouse", settings=settings, driver_memory="3g")
    started = time.perf_counter()
    for name, df in build(spark, truth).items():
        write_gold_table(df, GOLD_TABLES[name], f"s3a://{root}/{name}")
        print(f"  gold {name} written ({time.perf_counter() - started:.0f} s)", flush=True)
    spark.stop()


def bare_copy(settings, s3, uris: dict[str, str], schema: str) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    loader = PostgresLoader(settings.warehouse_url, schema, s3=s3)
    reader = DeltaLogReader(s3)
    rows = 0
    started = time.perf_counter()
    with connect(settings.warehouse_url) as conn:
        conn.execute(ddl.create_schema_sql(schema))
        for name, contract in GOLD_TABLES.items():
            snapshot = reader.snapshot(uris[name])
            uri = write_manifest(
                s3,
                manifest_uri(settings.assets_bucket, schema, name, snapshot.version),
                build_manifest(snapshot),
            )
            conn.execute(ddl.create_table_sql(contract, schema, "postgres"))
            with conn.cursor().copy(ddl.copy_stdin_sql(f"{schema}.{name}", contract.column_names)) as copy:
                for entry in read_manifest(s3, uri):
                    for chunk in loader._csv_chunks(contract, entry["url"]):
                        copy.write(chunk)
            rows += conn.execute(f"SELECT COUNT(*) FROM {schema}.{name}").fetchone()[0]
    return time.perf_counter() - started, rows


def main() -> None:
    import boto3
    import psycopg

    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    use_local_credentials()
    settings = load_settings("local")
    s3 = boto3.client("s3", **settings.boto3_kwargs())
    root = f"{settings.lake_bucket}/bench/gold-sf{args.scale:g}"
    uris = {name: f"s3://{root}/{name}" for name in GOLD_TABLES}
    try:
        if args.rebuild:
            raise DeltaLogError("rebuild requested")
        for uri in uris.values():
            DeltaLogReader(s3).snapshot(uri)
    except DeltaLogError:
        print(f"building gold at SF{args.scale:g} under s3://{root} (Spark, once)", flush=True)
        build_gold(settings, root, args.scale)

    snapshots = {n: DeltaLogReader(s3).snapshot(u) for n, u in uris.items()}
    size_mb = sum(s.size_bytes for s in snapshots.values()) / 1e6
    files = sum(len(s.files) for s in snapshots.values())
    suffix = uuid.uuid4().hex[:8]
    load_schema, bare_schema = f"bench_load_{suffix}", f"bench_bare_{suffix}"
    ledger = LoadLedger.from_settings(settings)
    try:
        bare_s, bare_rows = bare_copy(settings, s3, uris, bare_schema)  # first: any warm-up favours load_gold
        started = time.perf_counter()
        summary = load_gold(settings, schema=load_schema, table_uris=uris, ledger=ledger, s3=s3)
        load_s = time.perf_counter() - started
        rows = sum(t.rows for t in summary.tables)
        started = time.perf_counter()
        again = load_gold(settings, schema=load_schema, table_uris=uris, ledger=ledger, s3=s3)
        noop_s = time.perf_counter() - started
        assert not again.loaded
        assert bare_rows == rows, (bare_rows, rows)
    finally:
        with psycopg.connect(settings.warehouse_url, autocommit=True) as conn:
            for schema in (load_schema, bare_schema):
                conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        ddb = boto3.client("dynamodb", **settings.boto3_kwargs())
        for name in GOLD_TABLES:
            ddb.delete_item(
                TableName=ledger.table_name, Key={"pk": {"S": f"warehouse#{name}"}, "sk": {"S": load_schema}}
            )

    print(
        f"\ngold SF{args.scale:g}: {len(GOLD_TABLES)} tables, {rows:,} rows, {files} Parquet files, {size_mb:.1f} MB"
    )
    print(f"{'method':44} {'seconds':>9} {'rows/s':>12}")
    print(f"{'load_gold (staging + MERGE, one transaction)':44} {load_s:9.2f} {rows / load_s:12,.0f}")
    print(f"{'bare COPY into empty tables':44} {bare_s:9.2f} {rows / bare_s:12,.0f}")
    print(f"{'load_gold again, same versions (no-op)':44} {noop_s:9.2f} {'-':>12}")
    print(f"ratio load_gold / bare COPY: {load_s / bare_s:.2f}x")
    for t in sorted(summary.tables, key=lambda t: -t.rows)[:3]:
        print(f"  {t.table}: {t.rows:,} rows, {t.files} files")


if __name__ == "__main__":
    main()
