"""Copying a rejected landing file to the quarantine bucket, with its reason.

Layout: ``quarantine/<reason>/<original key>`` (the object, with metadata ``reason``,
``reason-detail``, ``source``, ``file-id``) plus ``<that key>.reason.json`` holding the full detail.
The copy is keyed by the source version, so a retried quarantine overwrites the same key with the
same bytes: idempotent. The quarantine bucket is versioned on AWS, so nothing is ever lost.
"""

from __future__ import annotations

import json
from typing import Any

from gladiator.contracts import ReasonCode
from gladiator.ingestion.object_events import ObjectEvent

METADATA_LIMIT = 1024  # S3 user metadata is at most 2 KB in total, ASCII only


def quarantine_key(reason: ReasonCode | str, key: str) -> str:
    return f"quarantine/{reason}/{key}"


def _ascii(text: str) -> str:
    return text.encode("ascii", "backslashreplace").decode()[:METADATA_LIMIT]


def quarantine_object(
    s3: Any, event: ObjectEvent, *, bucket: str, reason: ReasonCode | str, detail: str
) -> str:
    """Copy ``event``'s object version to ``bucket`` with its reason; return the s3:// URI."""
    target = quarantine_key(reason, event.key)
    source: dict[str, str] = {"Bucket": event.bucket, "Key": event.key}
    if event.version_id and event.version_id != "null":
        source["VersionId"] = event.version_id
    metadata = {
        "reason": str(reason),
        "reason-detail": _ascii(detail),
        "source": _ascii(f"s3://{event.bucket}/{event.key}"),
        "file-id": _ascii(event.file_id),
    }
    # Managed copy: multipart copy above 8 MiB, so files over 5 GB (file_too_large) copy too.
    s3.copy(source, bucket, target, ExtraArgs={"Metadata": metadata, "MetadataDirective": "REPLACE"})
    sidecar = {
        "file_id": event.file_id,
        "source": f"s3://{event.bucket}/{event.key}",
        "version_id": event.version_id,
        "etag": event.etag,
        "size": event.size,
        "reason": str(reason),
        "reason_detail": detail,
    }
    s3.put_object(
        Bucket=bucket,
        Key=f"{target}.reason.json",
        Body=json.dumps(sidecar, indent=2).encode(),
        ContentType="application/json",
    )
    return f"s3://{bucket}/{target}"
