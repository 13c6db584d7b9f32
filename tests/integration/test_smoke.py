"""Smoke tests: each real component of the local stack does real work."""

from __future__ import annotations

import json
import time
import uuid
from urllib.parse import urlparse

import boto3
import psycopg
import pymysql

from gladiator import resources
from gladiator.config import Settings
from tests.spark_helpers import assert_same_rows


def test_spark_writes_delta_through_s3a_into_the_lake_and_reads_it_back(spark, lake_prefix: str) -> None:
    from delta.tables import DeltaTable

    rows = [(i, f"customer-{i}", i * 1.5) for i in range(1000)]
    df = spark.createDataFrame(rows, "c_custkey long, c_name string, c_acctbal double")
    path = f"{lake_prefix}/smoke_delta"
    df.write.format("delta").mode("overwrite").save(path)

    back = spark.read.format("delta").load(path)
    assert_same_rows(back, df)
    assert DeltaTable.isDeltaTable(spark, path)
    # s3:// is served by S3A as on Glue: the same table reads through the other scheme.
    assert spark.read.format("delta").load(path.replace("s3a://", "s3://")).count() == 1000


def test_delta_log_really_lands_in_the_emulators_lake_bucket(
    spark, lake_prefix: str, settings: Settings
) -> None:
    path = f"{lake_prefix}/smoke_log"
    spark.range(10).write.format("delta").save(path)
    s3 = boto3.client("s3", **settings.boto3_kwargs())
    prefix = path.split(f"{settings.lake_bucket}/", 1)[1]
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=settings.lake_bucket, Prefix=prefix)["Contents"]]
    assert f"{prefix}/_delta_log/00000000000000000000.json" in keys
    assert any(k.endswith(".parquet") for k in keys)


def test_kafka_produce_and_consume(local_stack: Settings) -> None:
    from confluent_kafka import Consumer, Producer
    from confluent_kafka.admin import AdminClient, NewTopic

    topic = f"smoke-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": local_stack.kafka_bootstrap})
    admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)])[topic].result(timeout=30)

    producer = Producer({"bootstrap.servers": local_stack.kafka_bootstrap, "enable.idempotence": True})
    sent = {f"order-{i}": json.dumps({"o_orderkey": i}) for i in range(200)}
    for key, value in sent.items():
        producer.produce(topic, key=key, value=value)
    assert producer.flush(30) == 0

    consumer = Consumer(
        {"bootstrap.servers": local_stack.kafka_bootstrap, "group.id": topic, "auto.offset.reset": "earliest"}
    )
    consumer.subscribe([topic])
    received: dict[str, str] = {}
    deadline = time.monotonic() + 60
    while len(received) < len(sent) and time.monotonic() < deadline:
        msg = consumer.poll(1.0)
        if msg is not None and msg.error() is None:
            received[msg.key().decode()] = msg.value().decode()
    consumer.close()
    assert received == sent


def test_mariadb_query(local_stack: Settings) -> None:
    url = urlparse(local_stack.mysql_url)
    with (
        pymysql.connect(
            host=url.hostname,
            port=url.port,
            user=url.username,
            password=url.password,
            database=url.path.lstrip("/"),
        ) as conn,
        conn.cursor() as cur,
    ):
        cur.execute("CREATE TEMPORARY TABLE t (k INT PRIMARY KEY, v VARCHAR(10))")
        cur.executemany("INSERT INTO t VALUES (%s, %s)", [(1, "a"), (2, "b"), (3, "c")])
        cur.execute("SELECT COUNT(*), GROUP_CONCAT(v ORDER BY k) FROM t")
        assert cur.fetchone() == (3, "a,b,c")
        cur.execute("SELECT VERSION()")
        assert "MariaDB" in cur.fetchone()[0]


def test_postgresql_query(local_stack: Settings) -> None:
    with psycopg.connect(local_stack.warehouse_url) as conn:
        conn.execute("CREATE TEMP TABLE t (k int PRIMARY KEY, v numeric(12,2))")
        conn.execute("INSERT INTO t VALUES (1, 10.50), (2, 20.25)")
        assert conn.execute("SELECT count(*), sum(v) FROM t").fetchone() == (2, 30.75)
        assert conn.execute("SHOW server_version").fetchone()[0].startswith("15")


def test_s3_object_created_reaches_the_landing_queue_through_eventbridge(local_stack: Settings) -> None:
    s3 = boto3.client("s3", **local_stack.boto3_kwargs())
    sqs = boto3.client("sqs", **local_stack.boto3_kwargs())
    key = f"smoke/{uuid.uuid4().hex}.csv"
    s3.put_object(Bucket=local_stack.landing_bucket, Key=key, Body=b"a|b\n")
    url = sqs.get_queue_url(QueueName=local_stack.queue_name(resources.LANDING_EVENTS.logical))["QueueUrl"]
    found = None
    deadline = time.monotonic() + 20
    while found is None and time.monotonic() < deadline:
        for msg in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        ):
            body = json.loads(msg["Body"])
            if body.get("detail", {}).get("object", {}).get("key") == key:
                found = body
                sqs.delete_message(QueueUrl=url, ReceiptHandle=msg["ReceiptHandle"])
            else:  # someone else's event: make it visible again at once
                sqs.change_message_visibility(
                    QueueUrl=url, ReceiptHandle=msg["ReceiptHandle"], VisibilityTimeout=0
                )
    assert found is not None, "no EventBridge event for the new object reached the queue"
    assert found["detail-type"] == "Object Created"
    assert found["detail"]["bucket"]["name"] == local_stack.landing_bucket
    assert found["detail"]["object"]["version-id"]  # the landing bucket is versioned
