"""Fixtures of the unit tier (moto in-process, no services)."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from gladiator import resources
from gladiator.ingestion.batches import BatchStore
from gladiator.ingestion.ledger import Ledger
from local_emulation.provision import table_definition


@pytest.fixture
def store() -> Iterator[BatchStore]:
    """A batch store over fresh ledger and job-state tables in moto."""
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(**table_definition("t-ledger", resources.LEDGER))
        client.create_table(**table_definition("t-jobs", resources.JOB_STATE))
        yield BatchStore("t-jobs", Ledger("t-ledger", client), client)
