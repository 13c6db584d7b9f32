"""The local warehouse: PostgreSQL 15 standing in for Redshift, behind the same loader interface.

It loads the same manifest Redshift would COPY: each listed Parquet file is read from S3 with
pyarrow (streamed in record batches) and sent with ``COPY ... FROM STDIN`` (CSV) into a staging
table, then MERGEd (PostgreSQL 15 has MERGE). All tables of one run share one transaction.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import unquote, urlparse

from gladiator.contracts import Contract
from gladiator.contracts.types import arrow_type
from gladiator.warehouse import ddl
from gladiator.warehouse.base import TablePlan
from gladiator.warehouse.delta_log import split_s3_uri
from gladiator.warehouse.errors import WarehouseLoadError, WarehouseUnavailable
from gladiator.warehouse.manifest import read_manifest
from gladiator.warehouse.views import create_views

_PARTITION_SEGMENT = re.compile(r"^([^=/]+)=([^/]*)$")
BATCH_ROWS = 200_000


def describe_url(url: str) -> str:
    """``host:port/database`` of a PostgreSQL URL, without the password."""
    parsed = urlparse(url)
    return f"{parsed.hostname}:{parsed.port or 5432}{parsed.path}"


def connect(url: str, *, timeout_s: int = 5, **kwargs: Any) -> Any:
    """psycopg connection; an unreachable server becomes WarehouseUnavailable with a next step."""
    import psycopg

    try:
        return psycopg.connect(url, connect_timeout=timeout_s, **kwargs)
    except psycopg.OperationalError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise WarehouseUnavailable(
            f"warehouse PostgreSQL at {describe_url(url)} is unreachable ({first_line}). Nothing was loaded "
            "and the load ledger is unchanged. Start the local stack with `gladiator local up`, or set "
            "GLADIATOR_WAREHOUSE_URL."
        ) from exc


def partition_values_from_uri(uri: str) -> dict[str, str]:
    """Hive-style ``col=value`` folders of a data file URI (Delta's partition layout)."""
    values = {}
    for segment in urlparse(uri).path.split("/")[:-1]:
        if m := _PARTITION_SEGMENT.match(segment):
            values[unquote(m.group(1))] = unquote(m.group(2))
    return values


class PostgresLoader:
    """``WarehouseLoader`` for PostgreSQL. ``s3`` is an injected boto3 S3 client."""

    dialect = "postgres"

    def __init__(self, url: str, schema: str, *, s3: Any, connect_timeout_s: int = 5) -> None:
        self.url = url
        self.schema = schema
        self._s3 = s3
        self._timeout = connect_timeout_s

    def connect(self) -> Any:
        return connect(self.url, timeout_s=self._timeout)

    def prepare(self, contracts: Sequence[Contract]) -> None:
        with self.connect() as conn:
            conn.execute(ddl.create_schema_sql(self.schema))
            conn.execute(ddl.create_load_ledger_sql(self.schema))
            for contract in contracts:
                conn.execute(ddl.create_table_sql(contract, self.schema, "postgres"))
            create_views(conn, self.schema, {c.name for c in contracts})

    def loaded_versions(self) -> dict[str, int]:
        with self.connect() as conn:
            rows = conn.execute(
                f"SELECT table_name, delta_version FROM {ddl.qualified(self.schema, ddl.LOAD_LEDGER_TABLE)}"
            ).fetchall()
        return {name: int(version) for name, version in rows}

    def load(self, plans: Sequence[TablePlan]) -> dict[str, int]:
        import psycopg

        rows: dict[str, int] = {}
        conn = self.connect()
        current = "?"
        try:
            with conn.transaction():
                for plan in plans:
                    current = plan.contract.name
                    rows[current] = self._load_table(conn, plan)
        except psycopg.OperationalError as exc:
            raise WarehouseUnavailable(
                f"lost the warehouse at {describe_url(self.url)} while loading {current}: {exc}; "
                "the transaction was rolled back and the ledger is unchanged"
            ) from exc
        except Exception as exc:
            raise WarehouseLoadError(
                f"loading {current} into {self.schema} failed, every table rolled back: {exc}"
            ) from exc
        finally:
            conn.close()
        return rows

    def _load_table(self, conn: Any, plan: TablePlan) -> int:
        contract = plan.contract
        staging = ddl.staging_name(contract)
        columns = ddl.staging_columns(contract, contract.column_names, None, "postgres")
        conn.execute(f"DROP TABLE IF EXISTS {staging}")
        conn.execute(ddl.create_staging_sql(columns, staging))
        with conn.cursor().copy(ddl.copy_stdin_sql(staging, contract.column_names)) as copy:
            for entry in read_manifest(self._s3, plan.manifest_uri):
                for chunk in self._csv_chunks(contract, entry["url"]):
                    copy.write(chunk)
        conn.execute(ddl.merge_sql(contract, self.schema, staging, "postgres"))
        conn.execute(ddl.delete_missing_sql(contract, self.schema, staging))
        for statement in ddl.record_load_sql(self.schema, contract.name, plan.snapshot.version, "postgres"):
            conn.execute(statement)
        conn.execute(f"DROP TABLE {staging}")
        count = conn.execute(f"SELECT COUNT(*) FROM {ddl.qualified(self.schema, contract.name)}").fetchone()
        return int(count[0])

    def _csv_chunks(self, contract: Contract, uri: str) -> Iterator[bytes]:
        """One data file as CSV chunks in contract column order (partition columns from the path)."""
        import pyarrow as pa
        import pyarrow.csv as pacsv
        import pyarrow.parquet as pq

        bucket, key = split_s3_uri(uri)
        body = self._s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        parquet = pq.ParquetFile(pa.BufferReader(body))
        present = set(parquet.schema_arrow.names)
        from_path = partition_values_from_uri(uri)
        missing = [c for c in contract.column_names if c not in present and c not in from_path]
        if missing:
            raise WarehouseLoadError(f"{uri}: columns {missing} of {contract.name} are not in the file")
        wanted = [c for c in contract.column_names if c in present]
        options = pacsv.WriteOptions(include_header=False)
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS, columns=wanted):
            arrays = []
            for column in contract.columns:
                target = arrow_type(column)
                if column.name in present:
                    array = batch.column(column.name)
                else:
                    array = pa.array([from_path[column.name]] * batch.num_rows, pa.string())
                if array.type != target:
                    array = array.cast(target, safe=False)
                arrays.append(array)
            out = io.BytesIO()
            pacsv.write_csv(pa.table(arrays, names=contract.column_names), out, options)
            yield out.getvalue()
