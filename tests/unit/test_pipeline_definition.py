"""The pipeline definition (data): one writer per table per stage, every job has a script."""

from __future__ import annotations

from gladiator import pipeline

# Jobs that write the same Delta tables (without the DynamoDB log store, one writer at a time).
SAME_TABLES = {"landing_to_bronze": "bronze", "mysql_to_bronze": "bronze"}


def test_jobs_writing_the_same_tables_never_share_a_stage() -> None:
    for stage in pipeline.PIPELINE:
        layers = [SAME_TABLES[j.name] for j in stage.jobs if j.name in SAME_TABLES]
        assert len(layers) == len(set(layers)), f"stage {stage.name} runs two writers of one layer"


def test_stage_order_is_ingest_then_clean_model_serve() -> None:
    names = [j.name for s in pipeline.PIPELINE for j in s.jobs]
    assert names.index("landing_to_bronze") < names.index("bronze_to_silver")
    assert names.index("mysql_to_bronze") < names.index("bronze_to_silver")
    assert names.index("bronze_to_silver") < names.index("silver_to_gold") < names.index("gold_to_warehouse")


def test_every_job_has_its_entry_script() -> None:
    for job in pipeline.all_jobs():
        assert job.script.is_file(), job.script
