"""MySQL helpers for tests and benchmarks (not shipped): a scratch database per run."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import unquote, urlparse

import pymysql


@contextmanager
def scratch_database(url: str, prefix: str) -> Iterator[str]:
    """A fresh, uniquely named database the project user may use, dropped on exit.

    For tests and benchmarks, which must never touch the demo's ``retail`` database. Created and
    dropped as the local passwordless ``root`` (the project user may only use its own database).
    """
    parsed = urlparse(url)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    root = pymysql.connect(host=parsed.hostname, port=parsed.port or 3306, user="root", autocommit=True)
    try:
        with root.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
            cur.execute(f"GRANT ALL PRIVILEGES ON `{name}`.* TO %s@'%%'", (unquote(parsed.username or ""),))
        yield name
    finally:
        with root.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        root.close()
