"""Shared fixtures for all tiers.

- unit: no network, no services (pure functions, moto in-process).
- integration: the real local stack, started once per session (idempotent `local up`).
- slow: long end-to-end runs; still part of CI.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from gladiator.config import Settings, load_settings, use_local_credentials

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@pytest.fixture(scope="session")
def settings() -> Settings:
    use_local_credentials()
    return load_settings("local")


@pytest.fixture(scope="session")
def local_stack(settings: Settings) -> Settings:
    """The running local stack (started if needed; `scripts/test.sh` stops it at the end)."""
    from local_emulation import stack

    stack.up(settings)
    return settings


@pytest.fixture(scope="session")
def spark(local_stack: Settings) -> Iterator[SparkSession]:
    """One Spark session for the whole run: local[2], UI off, 8 shuffle partitions, Delta."""
    from gladiator.spark import get_spark

    session = get_spark("gladiator-tests", settings=local_stack)
    yield session
    session.stop()


@pytest.fixture
def lake_prefix(local_stack: Settings) -> str:
    """A fresh s3a:// folder in the lake bucket for one test."""
    return f"s3a://{local_stack.lake_bucket}/tests/{uuid.uuid4().hex[:12]}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests under tests/integration are integration tests, whatever they forgot to mark."""
    for item in items:
        if f"{os.sep}integration{os.sep}" in str(item.fspath):
            item.add_marker(pytest.mark.integration)
