"""Publishing dead letters to the DLQ topic exactly once per micro-batch.

Each batch's dead letters are written in one Kafka transaction that also commits a consumer-group
offset ``batch_id + 1`` on the DLQ topic's partition 0 (the Kafka-native exactly-once pattern).
The committed offset is the marker: a replayed batch whose marker is already there publishes
nothing, and an attempt that died mid-transaction is aborted by the next ``init_transactions``.
Readers use ``isolation.level=read_committed``.

A transactional producer can be fenced (a fatal error) without any other instance running: a
broker restart under an open transaction makes the coordinator abort it with a bumped epoch. The
fenced transaction never committed its marker, so the publisher builds a new producer (whose
``init_transactions`` takes the current epoch) and publishes the batch again, once.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from gladiator.config import Settings
from streaming import kafka


def _transient_codes() -> frozenset[int]:
    from confluent_kafka import KafkaError

    return frozenset(
        {KafkaError.NOT_COORDINATOR, KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
         KafkaError.COORDINATOR_NOT_AVAILABLE, KafkaError._TIMED_OUT, KafkaError._TRANSPORT}
    )  # fmt: skip


_TRANSIENT_CODES = _transient_codes()


class DeadLetterPublisher:
    """One transactional producer per stream (``transactional.id`` fences zombie attempts)."""

    def __init__(self, settings: Settings, *, topic: str, stream_name: str, timeout_s: float = 30.0) -> None:
        from confluent_kafka import Consumer

        self.topic = topic
        self.timeout_s = timeout_s
        group = f"gladiator-dlq-marker-{stream_name}"
        self._consumer = Consumer(
            kafka.client_config(
                settings,
                **{"group.id": group, "enable.auto.commit": False, "isolation.level": "read_committed"},
            )
        )
        self._producer_config = kafka.client_config(
            settings,
            **{
                "transactional.id": f"gladiator-dlq-{stream_name}",
                "enable.idempotence": True,
                "linger.ms": 20,
            },
        )
        self._producer = self._new_producer()
        self.producers_built = 1

    def _new_producer(self) -> Any:
        from confluent_kafka import Producer

        producer = Producer(self._producer_config)
        producer.init_transactions(self.timeout_s)
        return producer

    def published_through(self) -> int:
        """The last batch id whose dead letters are committed (-1 if none)."""
        from confluent_kafka import KafkaException, TopicPartition

        # Right after a broker restart the group coordinator is not elected yet (NOT_COORDINATOR,
        # COORDINATOR_LOAD_IN_PROGRESS): retriable, so retry for a while before failing the batch.
        for attempt in range(30):
            try:
                [tp] = self._consumer.committed([TopicPartition(self.topic, 0)], timeout=self.timeout_s)
                return tp.offset - 1 if tp.offset >= 0 else -1
            except KafkaException as exc:
                transient = exc.args[0].retriable() or exc.args[0].code() in _TRANSIENT_CODES
                if attempt == 29 or not transient:
                    raise
                time.sleep(1)
        raise AssertionError("unreachable")

    def publish(self, batch_id: int, records: Sequence[dict[str, Any]]) -> int:
        """Publish ``records`` (JSON-able dicts with ``key``) for ``batch_id``; idempotent.

        Returns how many records this call published (0 for a replayed batch). A fenced producer
        (fatal error) is replaced once and the batch published again; a second fatal error raises.
        """
        from confluent_kafka import KafkaException

        if not records or self.published_through() >= batch_id:
            return 0
        try:
            self._publish_in_transaction(batch_id, records)
        except KafkaException as exc:
            if not exc.args[0].fatal():
                raise
            self._replace_producer()
            if self.published_through() >= batch_id:  # committed before the error was seen
                return 0
            self._publish_in_transaction(batch_id, records)
        return len(records)

    def _replace_producer(self) -> None:
        self._producer = self._new_producer()
        self.producers_built += 1

    def _publish_in_transaction(self, batch_id: int, records: Sequence[dict[str, Any]]) -> None:
        from confluent_kafka import KafkaException, TopicPartition

        self._producer.begin_transaction()
        try:
            for record in records:
                self._producer.produce(
                    self.topic,
                    key=(record.get("key") or "").encode(),
                    value=json.dumps(record, default=str).encode(),
                    headers={"reason": str(record.get("reason", "")), "batch_id": str(batch_id)},
                )
            marker = [TopicPartition(self.topic, 0, batch_id + 1)]
            self._producer.send_offsets_to_transaction(
                marker, self._consumer.consumer_group_metadata(), self.timeout_s
            )
            self._producer.commit_transaction(self.timeout_s)
        except KafkaException as exc:
            if not exc.args[0].fatal():  # a fenced producer cannot abort; its coordinator did
                self._producer.abort_transaction(self.timeout_s)
            raise
        except BaseException:
            self._producer.abort_transaction(self.timeout_s)
            raise

    def close(self) -> None:
        """Flush and close. A fenced producer has nothing left to deliver: its open transaction was
        aborted by the coordinator and its batch's marker never committed, so it is not an error."""
        from confluent_kafka import KafkaException

        try:
            self._producer.flush(self.timeout_s)
        except KafkaException as exc:
            if not exc.args[0].fatal():
                raise
        finally:
            self._consumer.close()
