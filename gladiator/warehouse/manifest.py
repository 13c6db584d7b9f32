"""Redshift COPY manifests for a Delta snapshot (also what the PostgreSQL loader reads).

Format (Redshift "Using a manifest to specify data files"): ``{"entries": [{"url": "s3://...",
"mandatory": true, "meta": {"content_length": <bytes>}}]}``; ``content_length`` is required for
columnar formats. A manifest names one Delta version's live files, so COPY never sees files a
later commit added or a VACUUM is about to delete.
"""

from __future__ import annotations

import json
from typing import Any

from gladiator.warehouse.delta_log import DeltaSnapshot, split_s3_uri


def build_manifest(snapshot: DeltaSnapshot) -> dict[str, Any]:
    return {
        "entries": [
            {"url": f.uri, "mandatory": True, "meta": {"content_length": f.size}} for f in snapshot.files
        ]
    }


def manifest_uri(assets_bucket: str, schema: str, table: str, version: int) -> str:
    """Where the manifest of ``table`` at ``version`` is written (one per version: immutable)."""
    return f"s3://{assets_bucket}/warehouse/manifests/{schema}/{table}/v{version:020d}.manifest"


def write_manifest(s3: Any, uri: str, manifest: dict[str, Any]) -> str:
    bucket, key = split_s3_uri(uri)
    s3.put_object(
        Bucket=bucket, Key=key, Body=json.dumps(manifest, indent=1).encode(), ContentType="application/json"
    )
    return uri


def read_manifest(s3: Any, uri: str) -> list[dict[str, Any]]:
    """The manifest's entries."""
    bucket, key = split_s3_uri(uri)
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())["entries"]
