"""One Glue 5.1 PySpark job built from a ``gladiator.pipeline.JobSpec``."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from aws_cdk import Annotations, Duration
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from constructs import Construct

from gladiator.pipeline import JobSpec

PLACEHOLDER_DIR = Path(tempfile.gettempdir()) / "gladiator-cdk-placeholders"
# Job parameters Glue reserves for itself (AWS Glue docs, "Special parameters used by AWS Glue").
GLUE_RESERVED_ARGUMENTS = frozenset({"--conf", "--debug", "--mode", "--JOB_NAME"})


def usable_arguments(
    job_name: str, arguments: Mapping[str, str], scope: Construct | None = None
) -> dict[str, str]:
    """``arguments`` without the Glue-reserved names (Glue rejects them), with a synth warning
    naming each one dropped, so the job author can rename it in gladiator/pipeline.py."""
    reserved = sorted(set(arguments) & GLUE_RESERVED_ARGUMENTS)
    if reserved:
        message = (
            f"job {job_name}: argument(s) {reserved} are reserved by Glue and were dropped; "
            "rename them in gladiator/pipeline.py (e.g. --extract_mode)."
        )
        if scope is not None:  # warn once, where the job is defined (not again per state-machine task)
            print(f"[gladiator] WARNING {message}", file=sys.stderr)
            Annotations.of(scope).add_warning_v2("gladiator:glue-reserved-argument", message)
    return {k: v for k, v in arguments.items() if k not in GLUE_RESERVED_ARGUMENTS}


def placeholder_script(spec: JobSpec) -> Path:
    """A stand-in for a job script that does not exist yet, OUTSIDE glue_jobs/: it fails the job
    run with a clear message. Its content is deterministic, so is its asset hash."""
    PLACEHOLDER_DIR.mkdir(parents=True, exist_ok=True)
    path = PLACEHOLDER_DIR / f"{spec.name}.py"
    text = (
        f'"""Placeholder: glue_jobs/{spec.name}.py did not exist when this stack was synthesized."""\n'
        "import sys\n\n"
        f'sys.exit("glue_jobs/{spec.name}.py was missing at synth time: add it and run cdk deploy again")\n'
    )
    if not path.exists() or path.read_text() != text:  # atomic: concurrent synths may read it
        staging = path.with_suffix(f".{os.getpid()}.tmp")
        staging.write_text(text)
        os.replace(staging, path)
    return path


# What the shared package imports beyond Glue 5.1's own libraries, pinned as in constraints.txt
# (a test checks): OpenLineage run events (gladiator.lineage) and the MySQL source probe
# (gladiator.jobs.mysql_to_bronze). Glue pip-installs them when a run starts, so the jobs' network
# must reach PyPI or a mirror (``--python-modules-installer-option``).
GLUE_PYTHON_MODULES = ("openlineage-python==1.54.0", "PyMySQL==1.2.4")


def worker_type(name: str) -> glue.WorkerType:
    return getattr(glue.WorkerType, name.replace(".", "_"))


class GlueJob(Construct):
    """A Glue 5.1 job: Delta enabled (``--datalake-formats delta``), the shared package as
    ``--extra-py-files``, metrics and continuous logging on, the spec's workers, timeout and
    retries. Streaming specs become ``PySparkStreamingJob``s.

    ``script`` is the entry script path; when it does not exist (another engineer's work in
    progress) a placeholder that fails loudly is deployed instead and synth prints a warning.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        spec: JobSpec,
        job_name: str,
        script: Path,
        role: iam.IRole,
        default_arguments: Mapping[str, str],
        extra_python_files: Sequence[glue.Code],
        security_configuration: glue.ISecurityConfiguration,
        connections: Sequence[glue.IConnection] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        self.spec = spec
        self.script_missing = not script.exists()
        if self.script_missing:
            message = (
                f"{script} does not exist: job {job_name} gets a placeholder script that fails its runs."
            )
            Annotations.of(self).add_warning_v2("gladiator:glue-script-missing", message)
            print(f"[gladiator] WARNING {message}", file=sys.stderr)
            script = placeholder_script(spec)
        arguments = {
            "--additional-python-modules": ",".join(GLUE_PYTHON_MODULES),
            "--datalake-formats": "delta",
            "--enable-glue-datacatalog": "true",
            "--job-language": "python",
            **usable_arguments(job_name, default_arguments, self),
        }
        common = dict(
            job_name=job_name,
            description=spec.description,
            role=role,
            script=glue.Code.from_asset(str(script)),
            glue_version=glue.GlueVersion.V5_1,
            worker_configuration=glue.WorkerConfiguration(
                worker_type=worker_type(spec.worker_type), number_of_workers=spec.workers
            ),
            default_arguments=arguments,
            extra_python_files=list(extra_python_files),
            security_configuration=security_configuration,
            connections=list(connections) or None,
            max_retries=spec.max_retries,
            enable_metrics=True,
            enable_observability_metrics=True,
            continuous_logging=glue.ContinuousLoggingProps(enabled=True),
        )
        if spec.streaming:
            self.job: glue.JobBase = glue.PySparkStreamingJob(self, "Job", **common)  # type: ignore[arg-type]
        else:
            self.job = glue.PySparkEtlJob(
                self,
                "Job",
                timeout=Duration.minutes(spec.timeout_minutes) if spec.timeout_minutes else None,
                **common,  # type: ignore[arg-type]
            )
        self.job_name = job_name
