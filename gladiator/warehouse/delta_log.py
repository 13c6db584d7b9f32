"""Read a Delta table's snapshot straight from its ``_delta_log`` (no Spark, no deltalake).

The warehouse loaders need exactly one thing from Delta: the list of Parquet files that make up
the table at a given version (the COPY manifest), plus the schema and partition columns. That is
the replay of the log: the newest checkpoint at or below the version, then the JSON commits after
it, keeping ``add`` actions whose path no later ``remove`` cancelled (Delta protocol, "Action
Reconciliation").

Tables that use features changing what a Parquet file means (deletion vectors, column mapping)
are refused with a clear error instead of being loaded wrong.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlparse

from gladiator.errors import GladiatorError

_COMMIT = re.compile(r"^(\d{20})\.json$")
_CHECKPOINT = re.compile(r"^(\d{20})\.checkpoint(?:\.(\d{10})\.(\d{10}))?\.parquet$")


class DeltaLogError(GladiatorError):
    """The Delta log is missing, unreadable, or uses a feature the warehouse load cannot honour."""


@dataclass(frozen=True)
class DataFile:
    """One Parquet file of a snapshot: absolute s3 URI, size in bytes, partition values (text)."""

    uri: str
    size: int
    partition_values: dict[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True)
class DeltaSnapshot:
    """A table at one version: its files, its columns (in file order) and partition columns."""

    table_uri: str
    version: int
    files: tuple[DataFile, ...]
    columns: tuple[str, ...]  # every column of the table schema, in schema order
    partition_columns: tuple[str, ...]
    schema: dict[str, Any]  # the Delta schema JSON (struct)

    @property
    def file_columns(self) -> tuple[str, ...]:
        """The columns physically present in the Parquet files (partition columns live in paths)."""
        return tuple(c for c in self.columns if c not in self.partition_columns)

    @property
    def size_bytes(self) -> int:
        return sum(f.size for f in self.files)


def split_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/key`` (or s3a://) -> (bucket, key)."""
    parsed = urlparse(uri)
    if parsed.scheme not in ("s3", "s3a") or not parsed.netloc:
        raise DeltaLogError(f"not an s3 URI: {uri!r}")
    return parsed.netloc, parsed.path.lstrip("/")


def _s3_uri(uri: str) -> str:
    bucket, key = split_s3_uri(uri)
    return f"s3://{bucket}/{key}".rstrip("/")


class DeltaLogReader:
    """Replays Delta logs stored on S3. ``s3`` is an injected boto3 S3 client."""

    def __init__(self, s3: Any) -> None:
        self._s3 = s3

    def _log_objects(self, table_uri: str) -> dict[str, int]:
        bucket, prefix = split_s3_uri(table_uri)
        log_prefix = f"{prefix.rstrip('/')}/_delta_log/"
        names: dict[str, int] = {}
        paginator = self._s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix=log_prefix):
            for obj in page.get("Contents", []):
                names[obj["Key"][len(log_prefix) :]] = obj["Size"]
        return names

    def _get(self, table_uri: str, name: str) -> bytes:
        bucket, prefix = split_s3_uri(table_uri)
        body = self._s3.get_object(Bucket=bucket, Key=f"{prefix.rstrip('/')}/_delta_log/{name}")["Body"]
        return body.read()

    def latest_version(self, table_uri: str) -> int | None:
        """The table's newest commit version (None: no Delta table there): one listing, no replay."""
        names = self._log_objects(_s3_uri(table_uri))
        commits = [int(m.group(1)) for n in names if (m := _COMMIT.match(n))]
        return max(commits) if commits else None

    def snapshot(self, table_uri: str, version: int | None = None) -> DeltaSnapshot:
        """The table at ``version`` (default: latest). Raises DeltaLogError when it cannot be read."""
        table_uri = _s3_uri(table_uri)
        names = self._log_objects(table_uri)
        commits = {int(m.group(1)): n for n in names if (m := _COMMIT.match(n))}
        if not commits:
            raise DeltaLogError(f"no Delta table at {table_uri} (no _delta_log/*.json)")
        version = max(commits) if version is None else version
        if version not in commits and version > max(commits):
            raise DeltaLogError(f"{table_uri}: version {version} does not exist (latest {max(commits)})")

        checkpoints: dict[int, list[str]] = {}
        for name in names:
            if (m := _CHECKPOINT.match(name)) and int(m.group(1)) <= version:
                checkpoints.setdefault(int(m.group(1)), []).append(name)
        actions: list[dict[str, Any]] = []
        start = 0
        if checkpoints:
            cp_version = max(checkpoints)
            actions += self._checkpoint_actions(table_uri, sorted(checkpoints[cp_version]))
            start = cp_version + 1
        for v in range(start, version + 1):
            if v not in commits:
                raise DeltaLogError(f"{table_uri}: commit {v} is missing from _delta_log (log cleaned up?)")
            for line in self._get(table_uri, commits[v]).decode("utf-8").splitlines():
                if line.strip():
                    actions.append(json.loads(line))
        return self._reconcile(table_uri, version, actions)

    def _checkpoint_actions(self, table_uri: str, parts: list[str]) -> list[dict[str, Any]]:
        import pyarrow.parquet as pq

        actions: list[dict[str, Any]] = []
        for part in parts:
            table = pq.read_table(io.BytesIO(self._get(table_uri, part)), columns=None)
            present = [c for c in ("add", "remove", "metaData", "protocol") if c in table.column_names]
            for row in table.select(present).to_pylist():
                for kind in present:
                    if row.get(kind) is not None:
                        action = dict(row[kind])
                        for map_field in ("partitionValues", "configuration", "tags"):
                            # Parquet maps come back from pyarrow as lists of (key, value) pairs
                            if isinstance(action.get(map_field), list):
                                action[map_field] = dict(action[map_field])
                        actions.append({kind: action})
        return actions

    def _reconcile(self, table_uri: str, version: int, actions: list[dict[str, Any]]) -> DeltaSnapshot:
        live: dict[str, dict[str, Any]] = {}
        metadata: dict[str, Any] | None = None
        for action in actions:
            if "add" in action:
                live[action["add"]["path"]] = action["add"]
            elif "remove" in action:
                live.pop(action["remove"]["path"], None)
            elif "metaData" in action:
                metadata = action["metaData"]
        if metadata is None:
            raise DeltaLogError(f"{table_uri}@{version}: no metaData action in the log")
        config = metadata.get("configuration") or {}
        if config.get("delta.columnMapping.mode", "none") != "none":
            raise DeltaLogError(f"{table_uri}: column mapping is not supported by the warehouse load")
        if any(add.get("deletionVector") for add in live.values()):
            raise DeltaLogError(
                f"{table_uri}@{version}: files carry deletion vectors; run OPTIMIZE/REORG PURGE first"
            )
        schema = json.loads(metadata["schemaString"])
        files = tuple(
            DataFile(
                uri=path if "://" in path else f"{table_uri}/{unquote(path)}",
                size=int(add.get("size") or 0),
                partition_values=dict(add.get("partitionValues") or {}),
            )
            for path, add in sorted(live.items())
        )
        return DeltaSnapshot(
            table_uri=table_uri,
            version=version,
            files=files,
            columns=tuple(f["name"] for f in schema["fields"]),
            partition_columns=tuple(metadata.get("partitionColumns") or ()),
            schema=schema,
        )
