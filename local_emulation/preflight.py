"""Preflight of a command that needs the local stack: every needed service that is down, in ≤ 1 s.

A command declares what it needs by role (``aws``, ``kafka``, ``mysql``, ``warehouse``); this
module maps each role to the service of the local stack that plays it and runs the same health
check as ``gladiator local status`` (``Service.healthy``), all at once in daemon threads with one
deadline. A role whose address the user moved elsewhere (``AWS_ENDPOINT_URL``,
``GLADIATOR_KAFKA_BOOTSTRAP``...) gets a plain TCP connect to that address instead: the managed
service's check would test the wrong place.

Checking before the first write is what makes "a command that fails before it starts changes
nothing" true, and naming every down service at once saves a fix-and-retry loop per service.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlparse

from gladiator.config import Settings
from gladiator.errors import ServiceError
from local_emulation.services import KafkaBroker, MariaDB, MotoServer, PostgreSQL, Service

ROLES: dict[str, type[Service]] = {
    "aws": MotoServer,
    "kafka": KafkaBroker,
    "mysql": MariaDB,
    "warehouse": PostgreSQL,
}
DEADLINE_S = 1.0


class ServicesDown(ServiceError):
    """Services a command needs are not healthy; ``down`` lists them as ``(name, address)``."""

    def __init__(self, command: str, down: list[tuple[str, str]]) -> None:
        names = ", ".join(f"{name} at {address}" for name, address in down)
        super().__init__(
            f"`{command}` needs local service(s) that are down or unreachable: {names}. Start the local stack with "
            "`gladiator local up` (`gladiator local status` shows each service); nothing was changed."
        )
        self.down = down


@dataclass(frozen=True)
class Check:
    """How one role is checked: the managed service's health check, or a TCP connect."""

    role: str
    service: Service
    address: tuple[str, int]
    managed: bool  # the address is the local stack's own: use Service.healthy()

    @property
    def label(self) -> str:
        return f"{self.service.name} ({self.role})" if self.service.name != self.role else self.role

    def healthy(self) -> bool:
        try:
            if self.managed:
                return self.service.healthy()
            socket.create_connection(self.address, timeout=DEADLINE_S).close()
            return True
        except Exception:  # any failure of a health check means "not healthy", as in `local status`
            return False


def _configured_address(settings: Settings, role: str) -> tuple[str, int]:
    if role == "aws":
        url = urlparse(settings.aws_endpoint or "")
        return url.hostname or "127.0.0.1", url.port or (443 if url.scheme == "https" else 80)
    if role == "kafka":
        host, _, port = settings.kafka_bootstrap.split(",")[0].rpartition(":")
        return host or "127.0.0.1", int(port or 9092)
    url = urlparse(settings.mysql_url if role == "mysql" else settings.warehouse_url)
    return url.hostname or "127.0.0.1", url.port or (3306 if role == "mysql" else 5432)


def _managed_port(settings: Settings, role: str) -> int:
    ports = settings.ports
    return {"aws": ports.moto, "kafka": ports.kafka, "mysql": ports.mariadb, "warehouse": ports.postgres}[
        role
    ]


def checks(settings: Settings, roles: Iterable[str]) -> list[Check]:
    """One check per needed role, in a stable order (unknown roles are a programming error)."""
    out = []
    for role in sorted(set(roles), key=list(ROLES).index):
        address = _configured_address(settings, role)
        managed = address in {
            ("127.0.0.1", _managed_port(settings, role)),
            ("localhost", _managed_port(settings, role)),
        }
        out.append(Check(role, ROLES[role](settings), address, managed))
    return out


def down_services(settings: Settings, roles: Iterable[str], *, deadline_s: float = DEADLINE_S) -> list[Check]:
    """The checks of ``roles`` that fail or do not answer within ``deadline_s`` (all run at once)."""
    todo = checks(settings, roles)
    results: dict[str, bool] = {}

    def run(check: Check) -> None:
        results[check.role] = check.healthy()

    threads = [threading.Thread(target=run, args=(c,), daemon=True) for c in todo]
    for thread in threads:
        thread.start()
    end = time.monotonic() + deadline_s
    for thread in threads:
        thread.join(max(0.0, end - time.monotonic()))
    return [c for c in todo if not results.get(c.role, False)]


def require(settings: Settings, roles: Iterable[str], *, command: str) -> None:
    """Raise ServicesDown naming every needed service that is down (local profile only)."""
    if settings.profile != "local":
        return
    down = down_services(settings, roles)
    if down:
        raise ServicesDown(command, [(c.label, f"{c.address[0]}:{c.address[1]}") for c in down])
