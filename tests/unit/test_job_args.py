import pytest

from gladiator.errors import ConfigurationError
from gladiator.jobs.args import parse_job_args


def test_parses_glue_style_arguments_with_defaults() -> None:
    argv = ["job.py", "--batch_id", "b-1", "--lake_bucket=lake", "--JOB_NAME", "x", "--flag"]
    args = parse_job_args(
        argv, required=["batch_id", "lake_bucket"], optional={"mode": "incremental", "flag": ""}
    )
    assert args == {"batch_id": "b-1", "lake_bucket": "lake", "mode": "incremental", "flag": ""}


def test_missing_required_arguments_are_all_named() -> None:
    with pytest.raises(ConfigurationError, match="--batch_id, --lake_bucket"):
        parse_job_args(["job.py"], required=["batch_id", "lake_bucket"])
