"""The project's two timestamp spellings, each written once.

- ``iso(ts)``: ISO-8601 UTC with microseconds and a ``Z`` (``2026-12-02T05:41:12.123456Z``), for
  every timestamp the system itself records (ledger, batches, runs, load ledger, KPIs). Fixed
  width, so the strings sort in time order (DynamoDB sort keys, GSIs). ``parse_iso`` reads it back.
- ``TEXT_FORMAT``: a contract ``timestamp`` value as text (``2026-12-02 05:41:12.123456``, UTC, no
  zone), as the landing files, bronze, the order events and the MySQL watermark carry it.
"""

from __future__ import annotations

from datetime import UTC, datetime

ISO_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
TEXT_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(ts: datetime) -> str:
    """ISO-8601 UTC with microseconds and a Z: sortable as a string (GSI sort key)."""
    return ts.astimezone(UTC).strftime(ISO_FORMAT)


def utc_now_iso() -> str:
    """``iso(utc_now())``."""
    return iso(utc_now())


def parse_iso(value: str) -> datetime:
    """An ``iso`` string (any ISO-8601 text; a ``Z`` means UTC) as a datetime."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
