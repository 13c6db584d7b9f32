"""S3 "Object Created" events, from either delivery shape, as one typed value.

(Not to be confused with ``gladiator.order_events``: the Kafka order event contract.)

- EventBridge (the landing bucket's notifications, routed by a rule into SQS): the SQS body is the
  EventBridge event, ``detail.bucket.name`` / ``detail.object.{key,size,etag,version-id,sequencer}``.
  Keys are NOT URL-encoded there.
- Classic S3 notifications (``Records[].s3``), e.g. a bucket notifying SQS directly: keys are
  URL-encoded (``unquote_plus``). The ``s3:TestEvent`` sent when a notification is configured
  carries no records and yields nothing.
- An SNS envelope around either (``Type: Notification``, ``Message``) is unwrapped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from gladiator.ingestion.model import file_id_of

SEQUENCER_WIDTH = 32


def normalize_sequencer(raw: str | None) -> str | None:
    """Make sequencers comparable as strings: S3 says to right-pad the shorter value with zeros
    and compare lexicographically; upper-case so hex digits compare consistently."""
    if not raw:
        return None
    raw = raw.upper()
    return raw.ljust(max(SEQUENCER_WIDTH, len(raw)), "0")


@dataclass(frozen=True, kw_only=True)
class ObjectEvent:
    """One object version that arrived in a bucket."""

    bucket: str
    key: str
    size: int
    etag: str | None
    version_id: str | None
    sequencer: str | None
    event_time: str | None = None

    @property
    def file_id(self) -> str:
        return file_id_of(self.bucket, self.key, self.version_id, self.etag)

    def as_dict(self) -> dict[str, Any]:
        return {
            "bucket": self.bucket,
            "key": self.key,
            "size": self.size,
            "etag": self.etag,
            "version_id": self.version_id,
            "sequencer": self.sequencer,
            "event_time": self.event_time,
            "file_id": self.file_id,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ObjectEvent:
        return cls(
            bucket=data["bucket"],
            key=data["key"],
            size=int(data.get("size") or 0),
            etag=data.get("etag"),
            version_id=data.get("version_id"),
            sequencer=data.get("sequencer"),
            event_time=data.get("event_time"),
        )


def _clean_etag(etag: str | None) -> str | None:
    return etag.strip('"') if etag else None


def _from_eventbridge(event: dict[str, Any]) -> list[ObjectEvent]:
    if event.get("detail-type") != "Object Created":
        return []
    detail = event["detail"]
    obj = detail["object"]
    return [
        ObjectEvent(
            bucket=detail["bucket"]["name"],
            key=obj["key"],
            size=int(obj.get("size") or 0),
            etag=_clean_etag(obj.get("etag") or obj.get("eTag")),
            version_id=obj.get("version-id") or obj.get("versionId"),
            sequencer=normalize_sequencer(obj.get("sequencer")),
            event_time=event.get("time"),
        )
    ]


def _from_s3_records(records: list[dict[str, Any]]) -> list[ObjectEvent]:
    out = []
    for record in records:
        if not str(record.get("eventName", "")).startswith("ObjectCreated:"):
            continue
        s3 = record["s3"]
        obj = s3["object"]
        out.append(
            ObjectEvent(
                bucket=s3["bucket"]["name"],
                key=unquote_plus(obj["key"]),
                size=int(obj.get("size") or 0),
                etag=_clean_etag(obj.get("eTag") or obj.get("etag")),
                version_id=obj.get("versionId"),
                sequencer=normalize_sequencer(obj.get("sequencer")),
                event_time=record.get("eventTime"),
            )
        )
    return out


def parse_object_events(body: str | dict[str, Any]) -> list[ObjectEvent]:
    """The object-created events in one SQS message body (EventBridge, S3 or SNS-wrapped).

    Raises ``ValueError`` for a body that is none of these shapes (the message then fails and,
    after the queue's maxReceiveCount, lands in the DLQ for inspection).
    """
    event = json.loads(body) if isinstance(body, str) else body
    if not isinstance(event, dict):
        raise ValueError(f"SQS body is not a JSON object: {str(body)[:200]}")
    if event.get("Type") == "Notification" and "Message" in event:
        return parse_object_events(event["Message"])
    if event.get("source") == "aws.s3" and "detail" in event:
        return _from_eventbridge(event)
    if "Records" in event:
        return _from_s3_records(event["Records"])
    if event.get("Event") == "s3:TestEvent":
        return []
    raise ValueError(f"not an S3 or EventBridge object event: {json.dumps(event)[:200]}")
