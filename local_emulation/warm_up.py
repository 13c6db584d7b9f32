"""Start the local job driver's Spark session before a job needs it.

The ingestion service (``local_emulation.ingestion_service``) runs this in its driver when it
starts, while the user is still generating or dropping files: the JVM start, the Spark context and
Delta's session extension (about 10 s on 2 cores) are then paid before the first batch, not in
it. Run as a job script (``local_emulation.job_driver``), so the session is the one the jobs get
(``gladiator.spark.get_spark`` returns the running session).
"""

from __future__ import annotations

from gladiator.spark import get_spark


def main() -> None:
    spark = get_spark("gladiator-local-driver")
    spark.range(1).collect()  # the scheduler and a first task, too
    print("job driver warm: Spark session started", flush=True)


if __name__ == "__main__":
    main()
