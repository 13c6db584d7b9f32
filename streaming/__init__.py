"""Real-time orders: Kafka (MSK) -> Spark Structured Streaming -> Delta + live KPIs in DynamoDB.

Public API (used by the CLI, the Glue entry script and the end-to-end demo):

- ``streaming.job.run(settings, config, duration_s=... | available_now=True) -> StreamRunResult``
- ``streaming.job.start(settings, config) -> StreamHandle`` (start/stop control, e.g. for tests)
- ``streaming.producer.produce(settings, topic, rate=..., duration_s=..., faults=...) -> ProduceReport``
"""

from streaming.config import StreamConfig

__all__ = ["StreamConfig"]
