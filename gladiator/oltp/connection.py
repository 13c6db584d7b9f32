"""Connections to the OLTP database from a ``mysql://user:password@host:port/database`` URL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import unquote, urlparse

import pymysql

from gladiator.errors import ServiceError


class OltpError(ServiceError):
    """The OLTP database could not be reached or refused an operation."""


def database_of(url: str) -> str:
    return urlparse(url).path.lstrip("/") or "retail"


def connect(url: str, database: str | None = None, *, autocommit: bool = False) -> pymysql.Connection:
    """A pymysql connection (UTC session, LOAD DATA LOCAL allowed) to ``database`` (default: the URL's)."""
    parsed = urlparse(url)
    try:
        conn = pymysql.connect(
            host=parsed.hostname or "127.0.0.1",
            port=parsed.port or 3306,
            user=unquote(parsed.username or "root"),
            password=unquote(parsed.password or ""),
            database=database or database_of(url),
            local_infile=True,
            autocommit=autocommit,
            charset="utf8mb4",
            connect_timeout=10,
            init_command="SET time_zone = '+00:00'",
        )
    except pymysql.err.OperationalError as exc:
        host = f"{parsed.hostname}:{parsed.port}"
        raise OltpError(
            f"cannot connect to MySQL at {host} database {database or database_of(url)!r}: {exc.args[-1]}. "
            "Is the local stack up (`gladiator local up`) and does the database exist?"
        ) from None
    return conn


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
