"""Glue job maintenance (scheduled): OPTIMIZE + Z-ORDER, guarded VACUUM, symlink manifests.

Arguments: pipeline.COMMON_ARGUMENTS; optional ``--layers`` (default ``silver,gold``),
``--retention_hours`` (default 168; less is refused unless ``--force_retention true``),
``--manifests`` (default true), ``--lake_root`` (default ``s3://<lake_bucket>``).
"""

from __future__ import annotations

import json
import sys

from gladiator.config import load_settings
from gladiator.jobs.args import parse_job_args
from gladiator.jobs.maintenance import MIN_RETENTION_HOURS, lake_tables, maintain
from gladiator.spark import get_spark

REQUIRED = ("lake_bucket",)
OPTIONAL = {
    "profile": "",
    "layers": "silver,gold",
    "retention_hours": str(MIN_RETENTION_HOURS),
    "force_retention": "false",
    "manifests": "true",
    "lake_root": "",
}


def main(argv: list[str]) -> dict:
    args = parse_job_args(argv, REQUIRED, OPTIONAL)
    spark = get_spark("maintenance", settings=load_settings(args["profile"] or None))
    tables = lake_tables(args["lake_root"] or f"s3://{args['lake_bucket']}", args["layers"].split(","))
    report = maintain(
        spark,
        tables,
        retention_hours=float(args["retention_hours"]),
        force_retention=args["force_retention"].lower() == "true",
        manifests=args["manifests"].lower() == "true",
    )
    print(json.dumps({"job": "maintenance", "tables": report}))
    return report


if __name__ == "__main__":
    main(sys.argv)
