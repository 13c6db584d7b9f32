"""Kafka connectivity for the stream: client settings per profile, pre-flight checks, topics, DLQ.

Locally the broker is plain-text KRaft on loopback. On AWS (profile ``aws``) it is MSK Serverless,
which only accepts SASL/IAM over TLS; only the settings below differ, the job code is the same:

- Spark's Kafka source/sink (Java client, needs the ``aws-msk-iam-auth`` jar, e.g. Glue
  ``--extra-jars``): ``security.protocol=SASL_SSL``, ``sasl.mechanism=AWS_MSK_IAM``,
  ``sasl.jaas.config=software.amazon.msk.auth.iam.IAMLoginModule required;``,
  ``sasl.client.callback.handler.class=software.amazon.msk.auth.iam.IAMClientCallbackHandler``.
- confluent-kafka (producer, admin, DLQ publisher; librdkafka has no AWS_MSK_IAM mechanism):
  ``security.protocol=SASL_SSL``, ``sasl.mechanism=OAUTHBEARER`` and an ``oauth_cb`` returning a
  token from ``aws-msk-iam-sasl-signer-python`` (``MSKAuthTokenProvider.generate_auth_token``).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

from gladiator.config import Settings
from gladiator.errors import ConfigurationError, ServiceError

MSK_IAM_SPARK_OPTIONS = {
    "kafka.security.protocol": "SASL_SSL",
    "kafka.sasl.mechanism": "AWS_MSK_IAM",
    "kafka.sasl.jaas.config": "software.amazon.msk.auth.iam.IAMLoginModule required;",
    "kafka.sasl.client.callback.handler.class": "software.amazon.msk.auth.iam.IAMClientCallbackHandler",
}


def _msk_iam_oauth_cb(region: str) -> Any:
    def token(_config: str) -> tuple[str, float]:
        from aws_msk_iam_sasl_signer import MSKAuthTokenProvider

        value, expiry_ms = MSKAuthTokenProvider.generate_auth_token(region)
        return value, expiry_ms / 1000

    return token


def client_config(settings: Settings, **extra: Any) -> dict[str, Any]:
    """confluent-kafka settings for ``settings`` (SASL/IAM on profile aws) plus ``extra``."""
    if not settings.kafka_bootstrap:
        raise ConfigurationError(
            "no Kafka bootstrap servers configured: set GLADIATOR_KAFKA_BOOTSTRAP "
            "(the MSK Serverless bootstrap string on AWS)."
        )
    config: dict[str, Any] = {"bootstrap.servers": settings.kafka_bootstrap}
    if settings.profile == "aws":
        config |= {
            "security.protocol": "SASL_SSL",
            "sasl.mechanism": "OAUTHBEARER",
            "oauth_cb": _msk_iam_oauth_cb(settings.region),
        }
    return config | extra


def spark_options(settings: Settings) -> dict[str, str]:
    """Options of Spark's Kafka source/sink for ``settings``."""
    options = {"kafka.bootstrap.servers": settings.kafka_bootstrap}
    if settings.profile == "aws":
        options |= MSK_IAM_SPARK_OPTIONS
    return options


def _admin(settings: Settings, timeout_s: float) -> Any:
    from confluent_kafka.admin import AdminClient

    # log_level 3 keeps librdkafka's per-retry connection errors off stderr; we raise one clear error.
    return AdminClient(
        client_config(settings, **{"socket.timeout.ms": int(timeout_s * 1000), "log_level": 3})
    )


def check_topics(settings: Settings, topics: Sequence[str], *, timeout_s: float = 10.0) -> None:
    """Fail fast, before a query starts, if the broker is unreachable or a topic is missing.

    Spark's Kafka source would otherwise retry forever; nothing has been written to the checkpoint
    when this raises. Raises ServiceError (broker) or ConfigurationError (topic).
    """
    from confluent_kafka import KafkaException

    admin = _admin(settings, timeout_s)
    try:
        metadata = admin.list_topics(timeout=timeout_s)
    except KafkaException as exc:
        raise ServiceError(
            f"Kafka broker at {settings.kafka_bootstrap} is unreachable ({exc.args[0]}). "
            "Start the local stack with `gladiator local up`, or fix GLADIATOR_KAFKA_BOOTSTRAP."
        ) from None
    missing = [t for t in topics if t not in metadata.topics or metadata.topics[t].error is not None]
    if missing:
        raise ConfigurationError(
            f"Kafka topic(s) {', '.join(missing)} do not exist on {settings.kafka_bootstrap} "
            "(topics are never auto-created). Create them with `gladiator stream produce` "
            "(it creates its topic) or the Kafka admin tools, then run again."
        )


def ensure_topics(
    settings: Settings, topics: Iterable[str], *, partitions: int = 4, timeout_s: float = 30.0
) -> list[str]:
    """Create the topics that do not exist (idempotent); returns the ones created.

    Topics use broker time (LogAppendTime): an event's lateness is measured against its arrival
    in Kafka, on one clock, whatever the producer's clock says.
    """
    from confluent_kafka import KafkaError, KafkaException
    from confluent_kafka.admin import NewTopic

    admin = _admin(settings, timeout_s)
    wanted = [
        NewTopic(t, num_partitions=partitions, replication_factor=1 if settings.profile == "local" else -1,
                 config={"message.timestamp.type": "LogAppendTime"})
        for t in topics
    ]  # fmt: skip
    created = []
    for topic, future in admin.create_topics(wanted, request_timeout=timeout_s).items():
        try:
            future.result(timeout=timeout_s)
            created.append(topic)
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise ServiceError(f"cannot create Kafka topic {topic}: {exc.args[0]}") from None
    _wait_visible(admin, created, timeout_s)
    return created


def _wait_visible(admin: Any, topics: Sequence[str], timeout_s: float) -> None:
    """Wait until the broker's metadata lists ``topics`` with a leader for every partition.

    A created topic is not at once in the metadata: a ``check_topics`` right after its creation
    found it missing (bench_streaming's latency run, 2026-12-02)."""
    deadline = time.monotonic() + timeout_s
    pending = set(topics)
    while pending and time.monotonic() < deadline:
        metadata = admin.list_topics(timeout=timeout_s)
        pending = {
            t for t in pending
            if t not in metadata.topics or metadata.topics[t].error is not None
            or any(p.leader < 0 for p in metadata.topics[t].partitions.values())
        }  # fmt: skip
        if pending:
            time.sleep(0.1)


def delete_topics(settings: Settings, topics: Iterable[str], *, timeout_s: float = 30.0) -> None:
    admin = _admin(settings, timeout_s)
    for future in admin.delete_topics(list(topics), request_timeout=timeout_s).values():
        future.result(timeout=timeout_s)
