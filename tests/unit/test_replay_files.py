"""File replay on moto in-process: each quarantined file judged again by the landing validator."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from gladiator import resources
from gladiator.ingestion.ledger import Ledger
from gladiator.ingestion.model import LedgerState
from gladiator.ingestion.object_events import ObjectEvent
from gladiator.ingestion.validation import ValidationLimits
from gladiator.replay.files import replay_files
from gladiator.replay.request import ReplayRequest
from local_emulation.provision import table_definition

REGION = "region/region-00000.csv"
GOOD = b"r_regionkey,r_name,r_comment,updated_at\n0,AFRICA,x,2024-01-01 00:00:00\n"
HEADER_ONLY = b"r_regionkey,r_name,r_comment,updated_at\n"


@pytest.fixture
def aws() -> Iterator[tuple[Any, Ledger]]:
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="landing")
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        ddb.create_table(**table_definition("t-ledger", resources.LEDGER))
        yield s3, Ledger("t-ledger", ddb)


def quarantine(s3: Any, ledger: Ledger, key: str, body: bytes, reason: str) -> str:
    put = s3.put_object(Bucket="landing", Key=key, Body=body)
    event = ObjectEvent(
        bucket="landing",
        key=key,
        size=len(body),
        etag=put["ETag"].strip('"'),
        version_id=None,
        sequencer=None,
    )
    ledger.register(event, entity=key.split("/")[0], fmt="csv")
    ledger.transition(event.file_id, LedgerState.QUARANTINED, reason=reason, reason_detail="at landing")
    return event.file_id


def test_a_file_valid_under_the_current_limits_is_released_and_a_bad_one_kept(
    aws: tuple[Any, Ledger],
) -> None:
    s3, ledger = aws
    good = quarantine(s3, ledger, REGION, GOOD, "file_too_large")  # quarantined under a smaller limit
    bad = quarantine(s3, ledger, "region/region-00001.csv", HEADER_ONLY, "header_only")
    relabel = quarantine(s3, ledger, "region/region-00002.csv", HEADER_ONLY, "empty_file")
    stale = quarantine(s3, ledger, "region/region-00003.csv", GOOD, "stale_version")
    result = replay_files(ledger, s3, ReplayRequest(), replay_id="r1", limits=ValidationLimits())
    assert result.released == [good]
    assert result.still_quarantined == {"header_only": 2}
    assert result.reason_changed == [relabel]  # it still fails, for its current reason
    assert result.skipped == {"not replayable (stale_version)": 1}  # order, not content
    states = {fid: (e.state, e.reason) for fid in (good, bad, relabel, stale) if (e := ledger.get(fid))}
    assert states == {
        good: (LedgerState.VALIDATED, None),
        bad: (LedgerState.QUARANTINED, "header_only"),
        relabel: (LedgerState.QUARANTINED, "header_only"),
        stale: (LedgerState.QUARANTINED, "stale_version"),
    }
    again = replay_files(ledger, s3, ReplayRequest(), replay_id="r2", limits=ValidationLimits())
    assert (again.released, again.reason_changed) == ([], [])  # a second replay changes nothing


def test_filters_select_the_files(aws: tuple[Any, Ledger]) -> None:
    s3, ledger = aws
    quarantine(s3, ledger, REGION, GOOD, "file_too_large")
    limits = ValidationLimits()
    assert (
        replay_files(ledger, s3, ReplayRequest.of(entities=["nation"]), replay_id="r", limits=limits).released
        == []
    )
    assert (
        replay_files(
            ledger, s3, ReplayRequest.of(reasons=["not_utf8"]), replay_id="r", limits=limits
        ).released
        == []
    )
    assert (
        replay_files(ledger, s3, ReplayRequest.of(batches=["b1"]), replay_id="r", limits=limits).released
        == []
    )
    still_too_large = ValidationLimits(max_file_bytes=len(GOOD) - 1)  # the rule not relaxed yet
    kept = replay_files(ledger, s3, ReplayRequest(), replay_id="r", limits=still_too_large)
    assert (kept.released, kept.still_quarantined) == ([], {"file_too_large": 1})
    released = replay_files(ledger, s3, ReplayRequest.of(entities=["region"]), replay_id="r", limits=limits)
    assert len(released.released) == 1


def test_a_file_whose_object_is_gone_is_left_quarantined(aws: tuple[Any, Ledger]) -> None:
    s3, ledger = aws
    fid = quarantine(s3, ledger, REGION, GOOD, "file_too_large")
    s3.delete_object(Bucket="landing", Key=REGION)
    result = replay_files(ledger, s3, ReplayRequest(), replay_id="r", limits=ValidationLimits())
    assert result.skipped == {"object version gone": 1}
    assert ledger.get(fid).state == LedgerState.QUARANTINED  # type: ignore[union-attr]
