"""Shared fixtures for all tiers.

- unit: no network, no services (pure functions, moto in-process, Spark on local files).
- integration: the real local stack, started once per session (idempotent `local up`) by the
  first test that asks for ``local_stack`` or ``lake_prefix``; ``spark`` alone does not start it.
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
def spark(settings: Settings) -> Iterator[SparkSession]:
    """One Spark session for the whole run: local[2], UI off, 8 shuffle partitions, Delta.

    It needs no running service: a pure transform test (local files, in-memory frames) gets it
    without the local stack. The session still carries the s3a settings of ``settings``
    (gladiator.spark.local_conf: ``s3://``/``s3a://`` -> the emulator endpoint), because one
    process has one SparkContext; S3A connects only when a test touches an ``s3a://`` path, and
    such tests ask for ``lake_prefix`` or ``local_stack``, which start the stack.
    """
    from gladiator.spark import get_spark

    session = get_spark("gladiator-tests", settings=settings)
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
