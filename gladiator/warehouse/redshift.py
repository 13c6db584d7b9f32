"""The AWS warehouse: Redshift Serverless through the Data API (boto3 ``redshift-data``).

A whole load (every pending table: staging, manifest COPY, MERGE, delete, marker) is ONE
``batch_execute_statement`` call, which Redshift runs as a single transaction: it commits after the
last statement or rolls everything back. The Data API is asynchronous, so the loader polls
``describe_statement`` until the batch finishes.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlparse

from gladiator import constants
from gladiator.config import Settings
from gladiator.contracts import Contract
from gladiator.errors import ConfigurationError
from gladiator.warehouse import ddl
from gladiator.warehouse.base import TablePlan
from gladiator.warehouse.errors import WarehouseLoadError, WarehouseUnavailable
from gladiator.warehouse.views import create_view_sql, views_over

_DONE = {"FINISHED", "FAILED", "ABORTED"}


def parse_redshift_url(url: str) -> tuple[str, str]:
    """``redshift-data://<workgroup>/<database>`` -> (workgroup, database)."""
    parsed = urlparse(url)
    if parsed.scheme != "redshift-data" or not parsed.netloc or not parsed.path.strip("/"):
        raise ConfigurationError(f"warehouse URL {url!r} is not redshift-data://<workgroup>/<database>")
    return parsed.netloc, parsed.path.strip("/")


class RedshiftLoader:
    """``WarehouseLoader`` for Redshift Serverless. ``client`` is an injected redshift-data client."""

    dialect = "redshift"

    def __init__(
        self,
        client: Any,
        *,
        workgroup: str,
        database: str,
        schema: str,
        iam_role: str,
        secret_arn: str | None = None,
        poll_s: float = 1.0,
        timeout_s: float = 3600.0,
    ) -> None:
        self._client = client
        self.workgroup = workgroup
        self.database = database
        self.schema = schema
        self.iam_role = iam_role
        self.secret_arn = secret_arn
        self._poll_s = poll_s
        self._timeout_s = timeout_s

    @classmethod
    def from_settings(cls, settings: Settings, schema: str, client: Any | None = None) -> RedshiftLoader:
        workgroup, database = parse_redshift_url(settings.warehouse_url)
        role = settings.warehouse_copy_role
        if not role:
            raise ConfigurationError(f"Redshift COPY needs the role ARN in {constants.WAREHOUSE_COPY_ROLE}")
        return cls(
            client or settings.client("redshift-data"),
            workgroup=workgroup,
            database=database,
            schema=schema,
            iam_role=role,
            secret_arn=settings.warehouse_secret_arn,
        )

    def _target(self) -> dict[str, str]:
        target = {"WorkgroupName": self.workgroup, "Database": self.database}
        if self.secret_arn:
            target["SecretArn"] = self.secret_arn
        return target

    def _run(self, sqls: Sequence[str], what: str) -> str:
        """Run ``sqls`` as one transaction and wait; returns the statement id."""
        try:
            if len(sqls) == 1:
                statement = self._client.execute_statement(Sql=sqls[0], **self._target())
            else:
                statement = self._client.batch_execute_statement(Sqls=list(sqls), **self._target())
        except Exception as exc:  # botocore ClientError / EndpointConnectionError
            raise WarehouseUnavailable(
                f"Redshift workgroup {self.workgroup!r} (database {self.database!r}) is unreachable: {exc}. "
                "Nothing was loaded and the load ledger is unchanged."
            ) from exc
        deadline = time.monotonic() + self._timeout_s
        while True:
            described = self._client.describe_statement(Id=statement["Id"])
            if described["Status"] in _DONE:
                break
            if time.monotonic() > deadline:
                self._client.cancel_statement(Id=statement["Id"])
                raise WarehouseLoadError(f"{what}: timed out after {self._timeout_s:.0f} s (cancelled)")
            time.sleep(self._poll_s)
        if described["Status"] != "FINISHED":
            raise WarehouseLoadError(
                f"{what} {described['Status'].lower()} and was rolled back: {described.get('Error', '')}"
            )
        return str(statement["Id"])

    def prepare_sql(self, contracts: Sequence[Contract]) -> list[str]:
        return [
            ddl.create_schema_sql(self.schema),
            ddl.create_load_ledger_sql(self.schema),
            *(ddl.create_table_sql(c, self.schema, "redshift") for c in contracts),
            *(create_view_sql(v, self.schema) for v in views_over({c.name for c in contracts})),
        ]

    def prepare(self, contracts: Sequence[Contract]) -> None:
        self._run(self.prepare_sql(contracts), "creating the warehouse tables")

    def loaded_versions(self) -> dict[str, int]:
        table = ddl.qualified(self.schema, ddl.LOAD_LEDGER_TABLE)
        statement_id = self._run(
            [f"SELECT table_name, delta_version FROM {table}"], "reading the load marker"
        )
        result = self._client.get_statement_result(Id=statement_id)
        return {r[0]["stringValue"]: int(r[1]["longValue"]) for r in result.get("Records", [])}

    def load_sql(self, plans: Sequence[TablePlan]) -> list[str]:
        """Every statement of one load, in order (one transaction)."""
        sqls: list[str] = []
        for plan in plans:
            sqls += ddl.redshift_load_script(
                plan.contract,
                self.schema,
                file_columns=plan.snapshot.file_columns,
                delta_schema=plan.snapshot.schema,
                manifest_uri=plan.manifest_uri,
                iam_role=self.iam_role,
                version=plan.snapshot.version,
            )
        return sqls

    def load(self, plans: Sequence[TablePlan]) -> dict[str, int]:
        self._run(self.load_sql(plans), f"loading {', '.join(p.contract.name for p in plans)}")
        counts = " UNION ALL ".join(
            f"SELECT '{p.contract.name}', COUNT(*) FROM {ddl.qualified(self.schema, p.contract.name)}"
            for p in plans
        )
        result = self._client.get_statement_result(Id=self._run([counts], "counting loaded rows"))
        return {r[0]["stringValue"]: int(r[1]["longValue"]) for r in result.get("Records", [])}
