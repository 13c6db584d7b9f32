"""Glue streaming job: Kafka (MSK Serverless, IAM auth) order events -> Delta + live KPIs.

Thin entry script: parse the job arguments, build the session, call ``streaming.job.run``. The
same code runs locally (``gladiator stream run``); on AWS only configuration differs (profile
``aws``: SASL/IAM options in streaming/kafka.py, ``s3://`` lake root).

Arguments: ``--topic`` (required), ``--stream_name`` (default ``orders``), ``--trigger_seconds``,
``--available_now`` (``true`` for a catch-up run), ``--duration`` (seconds; default: run until
the job is stopped), ``--lineage_url`` (the OpenLineage endpoint of the micro-batches' run
events; Glue has no environment variables: ``Lineage.for_settings(settings, url=...)``), plus
pipeline.COMMON_ARGUMENTS (``--profile``, ``--lake_bucket`` ...).
"""

from __future__ import annotations

import json
import logging
import sys

from gladiator.config import load_settings
from gladiator.jobs.args import parse_job_args
from gladiator.lineage.emit import Lineage
from gladiator.spark import get_spark
from streaming.config import StreamConfig
from streaming.job import run

FOREVER_S = 10 * 365 * 24 * 3600.0


def log_emf_to_stdout() -> None:
    """The micro-batches' data-quality EMF lines (logger ``streaming.emf``) go to stdout as they
    are: CloudWatch Logs extracts the metrics from the job's output log."""
    emf = logging.getLogger("streaming.emf")
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    emf.addHandler(handler)
    emf.setLevel(logging.INFO)
    emf.propagate = False


def main(argv: list[str]) -> None:
    args = parse_job_args(
        argv,
        required=["topic"],
        optional={"stream_name": "orders", "trigger_seconds": "5", "available_now": "false", "duration": "",
                  "profile": "", "lake_bucket": "", "lineage_url": ""},
    )  # fmt: skip
    log_emf_to_stdout()
    settings = load_settings(args["profile"] or None)
    config = StreamConfig(
        topic=args["topic"],
        stream_name=args["stream_name"],
        trigger_seconds=float(args["trigger_seconds"]),
        lake_root=f"s3://{args['lake_bucket']}" if args["lake_bucket"] else None,
    )
    spark = get_spark(f"streaming_orders-{config.stream_name}", settings=settings)
    lineage = Lineage.for_settings(settings, url=args["lineage_url"] or None)
    if args["available_now"].lower() == "true":
        result = run(settings, config, available_now=True, spark=spark, lineage=lineage)
    else:
        duration = float(args["duration"] or FOREVER_S)
        result = run(settings, config, duration_s=duration, spark=spark, lineage=lineage)
    print(json.dumps(result.as_dict(), default=str), flush=True)  # the last line: the run's report


if __name__ == "__main__":
    main(sys.argv)
