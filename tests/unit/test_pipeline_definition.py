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


def test_local_driver_heap_is_per_job_and_the_environment_overrides_it(monkeypatch) -> None:
    from gladiator.config import load_settings
    from local_emulation import runner

    settings = load_settings("local")

    def heap(job: pipeline.JobSpec) -> str:
        command = runner.spark_submit_command(job, [], settings)
        return command[command.index("--driver-memory") + 1]

    monkeypatch.delenv("GLADIATOR_DRIVER_MEMORY", raising=False)
    assert heap(pipeline.LANDING_TO_BRONZE) == "1536m"
    assert heap(pipeline.BRONZE_TO_SILVER) == "2g"
    monkeypatch.setenv("GLADIATOR_DRIVER_MEMORY", "3g")
    assert heap(pipeline.LANDING_TO_BRONZE) == heap(pipeline.SILVER_TO_GOLD) == "3g"


def test_the_definition_starts_with_the_claim_and_ends_an_empty_batch() -> None:
    names = {j.name: j.name for s in pipeline.PIPELINE for j in s.jobs}
    definition = pipeline.state_machine_definition(job_names=names, batch_function="fn")
    states = definition["States"]
    assert definition["StartAt"] == pipeline.CLAIM_STATE
    assert states[pipeline.CLAIM_STATE]["Next"] == pipeline.EMPTY_CHOICE
    assert states[pipeline.EMPTY_CHOICE]["Choices"][0]["Next"] == "nothing to run"
    order = []
    state = states[pipeline.EMPTY_CHOICE]["Default"]
    while states[state]["Type"] == "Parallel":
        order.append(state.removeprefix("stage: "))
        state = states[state]["Next"]
    assert order == [s.name for s in pipeline.PIPELINE] and state == pipeline.FINISH_STATE


def test_placeholders_render_as_state_paths() -> None:
    assert pipeline.render_argument("--batch_id", "{batch_id}") == {"--batch_id.$": "$.batch_id"}
    assert pipeline.render_argument("--mode", "incremental") == {"--mode": "incremental"}
    assert pipeline.render_argument("--p", "x/{batch_id}") == {"--p.$": "States.Format('x/{}', $.batch_id)"}
