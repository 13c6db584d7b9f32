"""File validation against contracts, and S3 event parsing (pure, in memory)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator

import pytest

from gladiator.contracts import ReasonCode, get_contract
from gladiator.ingestion.object_events import parse_object_events
from gladiator.ingestion.objects import BytesReader
from gladiator.ingestion.validation import ValidationLimits, classify_key, validate_object
from tests import samples

GOOD = (
    samples.valid_files("orders")
    + samples.valid_files("lineitem", tag="li")
    + samples.valid_files("region", tag="r")
)
BAD = samples.bad_files("orders") + samples.bad_files("partsupp", tag="ps")


@pytest.mark.parametrize("sample", GOOD, ids=lambda s: s.key)
def test_valid_files_pass(sample: samples.SampleFile) -> None:
    verdict = validate_object(BytesReader(sample.data), sample.key)
    assert verdict.ok, verdict.detail
    assert verdict.entity == sample.key.split("/")[0]


@pytest.mark.parametrize("sample", BAD, ids=lambda s: s.key)
def test_each_bad_file_gets_its_reason(sample: samples.SampleFile) -> None:
    verdict = validate_object(BytesReader(sample.data), sample.key)
    assert verdict.reason == sample.reason, verdict.detail
    assert verdict.detail


def test_at_least_fifteen_fault_kinds_cover_every_file_reason() -> None:
    file_reasons = {
        r
        for r in ReasonCode
        if r.value
        not in {
            "null_required",
            "out_of_domain",
            "unparsable_number",
            "unparsable_date",
            "dangling_foreign_key",
            "ship_before_order",
            "malformed_record",
            "duplicate",
            "stale_version",
            "file_too_large",
        }
    }
    assert len(samples.BAD_FILES) >= 15
    assert {s.reason for s in BAD} == file_reasons  # file_too_large: below, it needs a limit


def test_file_too_large_is_refused_before_reading() -> None:
    data = samples.csv_bytes(get_contract("orders"), 100)
    reader = CountingReader(data)
    verdict = validate_object(reader, "orders/big.csv", ValidationLimits(max_file_bytes=len(data) - 1))
    assert verdict.reason == ReasonCode.FILE_TOO_LARGE
    assert reader.bytes_read == 0


class CountingReader(BytesReader):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.bytes_read = 0

    def read_range(self, start: int, length: int) -> bytes:
        out = super().read_range(start, length)
        self.bytes_read += len(out)
        return out

    def iter_bytes(self, start: int = 0, length: int | None = None) -> Iterator[bytes]:
        for chunk in super().iter_bytes(start, length):
            self.bytes_read += len(chunk)
            yield chunk


def big_csv(rows: int) -> bytes:
    contract = get_contract("lineitem")
    return samples.csv_bytes(contract, rows)


def test_large_objects_are_read_only_at_the_head() -> None:
    data = big_csv(60_000)  # ~10 MB
    limits = ValidationLimits(full_scan_bytes=1024**2, head_bytes=256 * 1024)
    reader = CountingReader(data)
    assert validate_object(reader, "lineitem/big.csv", limits).ok
    assert reader.bytes_read <= limits.head_bytes + 64 * 1024 < len(data) // 10


def test_large_gzip_head_plus_trailer_detects_truncation() -> None:
    whole = gzip.compress(big_csv(60_000), compresslevel=1)
    limits = ValidationLimits(full_scan_bytes=256 * 1024, head_bytes=256 * 1024)
    good = CountingReader(whole)
    assert validate_object(good, "lineitem/big.csv.gz", limits).ok
    assert good.bytes_read < len(whole) // 2  # head and trailer only
    cut = whole[: len(whole) * 3 // 4]
    verdict = validate_object(BytesReader(cut), "lineitem/cut.csv.gz", limits)
    assert verdict.reason == ReasonCode.TRUNCATED_GZIP, verdict.detail


def test_not_utf8_deep_in_a_small_file_is_found() -> None:
    data = big_csv(2_000)
    bad = data[: len(data) - 100] + b"\xff" + data[len(data) - 100 :]
    verdict = validate_object(BytesReader(bad), "lineitem/late.csv")
    assert verdict.reason == ReasonCode.NOT_UTF8


def test_quoted_newline_in_header_region_and_crlf_are_valid() -> None:
    contract = get_contract("region")
    header = ",".join(contract.column_names)
    row = '1,"AFRICA","line one\r\nline two, with comma",2026-01-01 00:00:00.000000'
    data = f"\ufeff{header}\r\n{row}\r\n".encode()
    assert validate_object(BytesReader(data), "region/q.csv").ok, validate_object(
        BytesReader(data), "region/q.csv"
    )


# --- events -------------------------------------------------------------------------------
EVENTBRIDGE = {
    "version": "0",
    "detail-type": "Object Created",
    "source": "aws.s3",
    "time": "2026-11-26T21:00:00Z",
    "detail": {
        "bucket": {"name": "landing"},
        "object": {
            "key": "orders/a b+c.csv",
            "size": 12,
            "etag": "abc",
            "version-id": "v1",
            "sequencer": "0062E99A88DC407460",
        },
    },
}


def test_eventbridge_shape_keys_are_not_decoded() -> None:
    (event,) = parse_object_events(json.dumps(EVENTBRIDGE))
    assert (event.bucket, event.key, event.size, event.version_id) == (
        "landing",
        "orders/a b+c.csv",
        12,
        "v1",
    )
    assert event.file_id == "landing/orders/a b+c.csv#v1"
    assert event.sequencer == "0062E99A88DC407460".ljust(32, "0")


def test_s3_notification_keys_are_url_decoded_and_sns_is_unwrapped() -> None:
    record = {
        "eventName": "ObjectCreated:Put",
        "eventTime": "2026-11-26T21:00:00Z",
        "s3": {
            "bucket": {"name": "landing"},
            "object": {"key": "orders/a+b%2Bc.csv", "size": 3, "eTag": '"e1"', "sequencer": "00AB"},
        },
    }
    body = json.dumps({"Records": [record, {**record, "eventName": "ObjectRemoved:Delete"}]})
    (event,) = parse_object_events(body)
    assert (
        event.key == "orders/a b+c.csv"
        and event.etag == "e1"
        and event.file_id == "landing/orders/a b+c.csv#e1"
    )
    wrapped = json.dumps({"Type": "Notification", "Message": body})
    assert parse_object_events(wrapped) == [event]
    assert parse_object_events(json.dumps({"Event": "s3:TestEvent"})) == []


def test_garbage_bodies_are_rejected() -> None:
    for body in ("[1]", json.dumps({"hello": 1})):
        with pytest.raises(ValueError):
            parse_object_events(body)


@pytest.mark.parametrize(
    ("key", "fmt"),
    [
        ("orders/a.csv", "csv"),
        ("orders/a.CSV", "csv"),
        ("orders/a.csv.gz", "csv.gz"),
        ("orders/A.CSV.GZ", "csv.gz"),
        ("orders/a.JsonL", "jsonl"),
        ("orders/a.parquet", "parquet"),
        ("orders/a.tsv", None),
        ("orders/a.gz", None),
    ],
)
def test_one_format_of_for_the_lambda_the_generator_and_bronze(key: str, fmt: str | None) -> None:
    """The Lambda's key check and the batch job read the same format from a key, whatever its case."""
    from gladiator.formats import format_of

    assert format_of(key) == fmt
    assert classify_key(key) == ("orders", fmt)
