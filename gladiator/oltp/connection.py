"""Connections to the OLTP database from a ``mysql://user:password@host:port/database`` URL."""

from __future__ import annotations

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
