"""`gladiator local up | down | status`: the whole local stack as one unit.

``up`` is idempotent: running services are health-checked and kept, stopped ones are started,
and the AWS resources are provisioned again (moto keeps them in memory). If any step fails,
every service this call started is stopped again, so nothing half-started is left behind.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from gladiator import jvm, resources
from gladiator.config import Settings, use_local_credentials
from gladiator.errors import PortInUse
from local_emulation.process import port_is_free
from local_emulation.provision import ProvisionReport, provision
from local_emulation.services import IngestionService, Service, all_services

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


def preflight(settings: Settings, services: list[Service]) -> None:
    """Fail before starting anything: JDK 17, every jar, every binary, every free port."""
    jvm.find_java_home()
    jvm.jars("spark")
    for service in services:
        service.check_prerequisites()
        if service.running():
            continue
        for port, what in service.ports.items():
            if not port_is_free(port):
                raise PortInUse(what, port)


def up(settings: Settings, *, progress: Progress = _quiet, ingestion: bool = False) -> ProvisionReport:
    """Start the services (idempotent) and provision the resources. ``ingestion`` also starts the
    local ingestion service (``gladiator local up`` does): files put into the landing bucket then
    flow with no command. Off by default for callers such as test fixtures that read the landing
    queue themselves."""
    use_local_credentials()
    services = all_services(settings, ingestion=ingestion)
    preflight(settings, services)
    started: list[Service] = []
    try:
        for service in services:
            t0 = time.monotonic()
            if service.start():
                started.append(service)
                progress(f"started {service.name} ({time.monotonic() - t0:.1f} s)")
            else:
                progress(f"{service.name} already running")
        report = provision(settings)
        progress(f"provisioned {len(report.created)} new, {len(report.existing)} existing AWS resources")
        return report
    except BaseException:
        for service in reversed(started):
            progress(f"stopping {service.name} (start-up failed)")
            service.stop()
        raise


def down(settings: Settings, *, progress: Progress = _quiet) -> list[str]:
    stopped = []
    for service in reversed(all_services(settings)):
        if service.stop():
            stopped.append(service.name)
            progress(f"stopped {service.name}")
    return stopped


def _healthy(service: Service) -> bool:
    if not service.running():
        return False
    try:
        return service.healthy()
    except Exception:
        return False


def _shown(settings: Settings) -> list[Service]:
    """The core services, plus the ingestion service when it runs (it is optional)."""
    everything = all_services(settings)
    return [s for s in everything if not isinstance(s, IngestionService) or s.running()]


def status(settings: Settings) -> dict[str, Any]:
    """Endpoints, resource names and service health, as printed by ``status --json``."""
    return {
        "profile": settings.profile,
        "home": str(settings.home),
        "aws_endpoint": settings.aws_endpoint,
        "region": settings.region,
        "buckets": {
            "landing": settings.landing_bucket,
            "lake": settings.lake_bucket,
            "quarantine": settings.quarantine_bucket,
            "assets": settings.assets_bucket,
        },
        "tables": {spec.logical: settings.table_name(spec) for spec in resources.TABLES},
        "queues": {q.logical: settings.queue_name(q.logical) for q in resources.QUEUES},
        "glue_database": settings.glue_database,
        "kafka_bootstrap": settings.kafka_bootstrap,
        "mysql_url": settings.mysql_url,
        "warehouse_url": settings.warehouse_url,
        "services": {service.name: _healthy(service) for service in _shown(settings)},
    }
