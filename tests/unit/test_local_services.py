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
