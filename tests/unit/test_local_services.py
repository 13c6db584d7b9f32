"""Pure parts of the local service runners (no process is started)."""

from __future__ import annotations

import base64
import uuid
from unittest import mock

from local_emulation import services


def test_kafka_cluster_id_never_starts_with_a_dash() -> None:
    # A UUID whose URL-safe base64 starts with "-" (0xf8 = 111110 00...: index 62 = "-").
    dashed = uuid.UUID(bytes=bytes([0xF8]) + bytes(15))
    assert base64.urlsafe_b64encode(dashed.bytes).decode().startswith("-")
    plain = uuid.UUID(bytes=bytes(16))
    with mock.patch.object(services.uuid, "uuid4", side_effect=[dashed, dashed, plain]) as uuid4:
        cluster_id = services.kafka_cluster_id()
    assert uuid4.call_count == 3
    assert cluster_id == base64.urlsafe_b64encode(plain.bytes).decode().rstrip("=")
    assert len(cluster_id) == 22


def test_kafka_cluster_ids_are_random_and_valid() -> None:
    ids = {services.kafka_cluster_id() for _ in range(2000)}
    assert len(ids) == 2000
    assert not any(i.startswith("-") for i in ids)


def test_the_ingestion_service_is_healthy_while_its_heartbeat_is_fresh(tmp_path, monkeypatch) -> None:
    import os
    import time
    from dataclasses import replace

    from gladiator.config import load_settings
    from local_emulation.ingestion_service import heartbeat_file

    settings = replace(load_settings("local"), home=tmp_path)
    service = services.IngestionService(settings)
    assert service.ports == {} and service.name in [s.name for s in services.all_services(settings)]
    assert str(tmp_path) in service.marker and service.marker in " ".join(service.argv())
    assert not service.healthy()
    beat = heartbeat_file(settings)
    beat.parent.mkdir(parents=True)
    beat.touch()
    assert service.healthy()
    old = time.time() - 2 * service.heartbeat_max_age_s
    os.utime(beat, (old, old))
    assert not service.healthy()  # a hung loop is not healthy
