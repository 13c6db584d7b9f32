"""``@needs(...)``: what a command needs from the stack, checked before its first write.

Every leaf command declares its needs (``@needs()`` for none), directly above its function; the
CLI test matrix reads the declaration from the command tree, so a new command is checked the
moment it exists. Roles: ``aws`` (S3, DynamoDB, SQS...: moto_server locally), ``kafka``,
``mysql`` (MariaDB locally), ``warehouse`` (PostgreSQL locally). On the local profile the
preflight (local_emulation.preflight) names every needed service that is down, in about a
second; on the ``aws`` profile a command that needs AWS checks that credentials exist.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import click

from gladiator.config import load_settings
from gladiator.errors import ConfigurationError

F = TypeVar("F", bound=Callable[..., Any])
ROLES = ("aws", "kafka", "mysql", "warehouse")
ATTRIBUTE = "__gladiator_needs__"


def needs(*roles: str) -> Callable[[F], F]:
    """Run the preflight for ``roles`` before the command's body (after its arguments parsed)."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown role(s) {sorted(unknown)}; use {ROLES}")

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def checked(*args: Any, **kwargs: Any) -> Any:
            if roles:
                preflight(roles, click.get_current_context().command_path)
            return fn(*args, **kwargs)

        setattr(checked, ATTRIBUTE, tuple(roles))
        return checked  # type: ignore[return-value]

    return decorate


def declared_needs(command: click.Command) -> tuple[str, ...] | None:
    """The roles a command declared with ``@needs``, or None if it declared nothing."""
    return getattr(command.callback, ATTRIBUTE, None)


def preflight(roles: tuple[str, ...], command: str) -> None:
    settings = load_settings()
    if settings.profile == "local":
        # The service definitions import ~60 ms of modules and each health check its client
        # (confluent_kafka, pymysql, psycopg): only a command that needs the stack pays for them.
        from local_emulation.preflight import require

        require(settings, roles, command=command)
    elif "aws" in roles:
        import boto3  # ~0.15 s: only here, for commands that talk to AWS

        if boto3.Session().get_credentials() is None:
            raise ConfigurationError(
                f"`{command}` needs AWS credentials and none were found for profile 'aws': set AWS_PROFILE "
                "or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (e.g. `aws configure`), or use the local "
                "emulation with GLADIATOR_PROFILE=local."
            )
