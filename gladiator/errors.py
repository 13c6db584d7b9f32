"""Typed exceptions, one family per concern.

Every user-facing error says what was wrong, where, and what to do next.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gladiator.contracts import ReasonCode


class GladiatorError(Exception):
    """Base class for errors the CLI reports without a traceback (exit code 1)."""


class ConfigurationError(GladiatorError):
    """The environment or arguments are unusable (missing JDK, bad profile, missing jar...)."""


class ServiceError(GladiatorError):
    """A local service could not be started, stopped or reached."""


class PortInUse(ServiceError):
    """A port a local service needs is held by a process we did not start."""

    def __init__(self, service: str, port: int) -> None:
        super().__init__(
            f"port {port} needed by {service} is already in use by another process. "
            f"Stop that process, or shift all Gladiator ports with GLADIATOR_PORT_OFFSET=<n>."
        )
        self.service = service
        self.port = port


class ContractViolation(GladiatorError):
    """Data does not satisfy its entity contract: ``reason`` says which rule (machine-readable, stored
    with the quarantined file or row), ``detail`` where (key, line, byte, column) and what was found."""

    def __init__(self, reason: ReasonCode, detail: str = "") -> None:
        super().__init__(detail or str(reason))
        self.reason = reason
        self.detail = detail


class IllegalTransition(GladiatorError):
    """A ledger state change that the per-file state machine does not allow."""
