"""Configuration: one `Settings` object, chosen by profile.

Profiles:
- ``local`` (default): every AWS API on the local emulator, Kafka/MariaDB/PostgreSQL on loopback.
- ``aws``: the real services; names and endpoints come from the environment that CDK sets on the
  Lambda and the Glue job arguments.

Precedence: explicit keyword argument > environment variable > profile default.

This module and ``gladiator/constants.py`` (the variable names) are the only places that read the
environment. ``Settings.client(service)`` is the one boto3 client factory.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from gladiator import constants as env
from gladiator import resources
from gladiator.errors import ConfigurationError
from gladiator.lake import lake_path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True, kw_only=True)
class LocalPorts:
    """Loopback ports of the local stack. Non-default ports, so a system MySQL/PostgreSQL/Kafka
    on the same laptop does not collide; ``GLADIATOR_PORT_OFFSET`` shifts them all."""

    moto: int = 5000
    kafka: int = 19092
    kafka_controller: int = 19093
    mariadb: int = 13306
    postgres: int = 15432

    def shifted(self, offset: int) -> LocalPorts:
        return LocalPorts(**{k: v + offset for k, v in self.__dict__.items()})


@dataclass(frozen=True, kw_only=True)
class Settings:
    profile: str
    region: str
    aws_endpoint: str | None  # None on AWS: boto3 uses the real endpoints
    naming: resources.Naming
    kafka_bootstrap: str
    mysql_url: str  # mysql://user:password@host:port/database
    warehouse_url: str  # postgresql://... locally; redshift-data://workgroup/database on AWS
    home: Path = field(default_factory=lambda: REPO_ROOT / ".gladiator")
    ports: LocalPorts = field(default_factory=LocalPorts)

    # Physical resource names ------------------------------------------------------------
    @property
    def landing_bucket(self) -> str:
        return os.environ.get(env.LANDING_BUCKET) or self.naming.physical(resources.LANDING.logical)

    @property
    def lake_bucket(self) -> str:
        return os.environ.get(env.LAKE_BUCKET) or self.naming.physical(resources.LAKE.logical)

    @property
    def quarantine_bucket(self) -> str:
        return os.environ.get(env.QUARANTINE_BUCKET) or self.naming.physical(resources.QUARANTINE.logical)

    @property
    def lineage_url(self) -> str | None:
        """The OpenLineage HTTP endpoint run events go to (AWS), or None."""
        return os.environ.get(env.LINEAGE_URL) or None

    @property
    def lineage_file(self) -> Path | None:
        """The local file run events are appended to (None on AWS: they go to ``lineage_url``)."""
        if self.profile != "local":
            return None
        return Path(os.environ.get(env.LINEAGE_FILE) or self.home / "lineage" / "events.jsonl")

    @property
    def assets_bucket(self) -> str:
        return self.naming.physical(resources.ASSETS.logical)

    def table_name(self, spec: resources.TableSpec) -> str:
        override = {
            resources.LEDGER.logical: env.LEDGER_TABLE,
            resources.JOB_STATE.logical: env.JOB_STATE_TABLE,
            resources.IDEMPOTENCY.logical: env.IDEMPOTENCY_TABLE,
            resources.LIVE_KPIS.logical: env.LIVE_KPI_TABLE,
        }.get(spec.logical)
        return (override and os.environ.get(override)) or self.naming.physical(spec.logical)

    def queue_name(self, logical: str) -> str:
        return self.naming.physical(logical)

    @property
    def glue_database(self) -> str:
        return os.environ.get(env.GLUE_DATABASE) or self.naming.glue_database()

    def lake_uri(self, layer: str, name: str, *, scheme: str = "s3") -> str:
        """Location of one lake table, e.g. ``s3://<lake>/silver/orders``."""
        return lake_path(f"{scheme}://{self.lake_bucket}", layer, name)

    def endpoint_for(self, service: str) -> str | None:
        """``AWS_ENDPOINT_URL_<SERVICE>`` if set (mixing emulators), else ``aws_endpoint`` (None on AWS)."""
        name = env.AWS_SERVICE_ENV_NAMES.get(service, service.upper().replace("-", "_"))
        return os.environ.get(env.AWS_ENDPOINT_URL_SERVICE.format(service=name)) or self.aws_endpoint

    def boto3_kwargs(self, service: str | None = None) -> dict[str, str]:
        """Arguments for ``boto3.client(...)``: region, plus the emulator endpoint locally (per service
        when ``service`` is given)."""
        kwargs = {"region_name": self.region}
        endpoint = self.endpoint_for(service) if service else self.aws_endpoint
        if endpoint:
            kwargs["endpoint_url"] = endpoint
        return kwargs

    def client(self, service: str, session: Any = None) -> Any:
        """The boto3 client for ``service``: this profile's region and endpoint, from ``session``
        (default: a new ``boto3.Session()``). The one place clients are built; callers that take an
        injected client fall back to this."""
        import boto3

        factory: Any = (session or boto3.Session()).client
        return factory(service, **self.boto3_kwargs(service))

    # Settings read from the environment at the time of use ------------------------------
    @property
    def warehouse_copy_role(self) -> str | None:
        """Redshift: the IAM role ARN COPY assumes."""
        return os.environ.get(env.WAREHOUSE_COPY_ROLE) or None

    @property
    def warehouse_secret_arn(self) -> str | None:
        """Redshift Data API: the database secret (optional)."""
        return os.environ.get(env.WAREHOUSE_SECRET_ARN) or None

    @property
    def max_landing_file_bytes(self) -> int | None:
        """Landing files above this many bytes are quarantined (None: the validator's default)."""
        raw = os.environ.get(env.MAX_LANDING_FILE_BYTES)
        if not raw:
            return None
        try:
            return int(raw)
        except ValueError:
            raise ConfigurationError(
                f"{env.MAX_LANDING_FILE_BYTES}={raw!r} is not a number of bytes"
            ) from None

    @property
    def state_machine_arn(self) -> str | None:
        """The pipeline state machine the batch trigger starts on AWS (None locally)."""
        return os.environ.get(env.STATE_MACHINE_ARN) or None

    @property
    def local_jobs(self) -> str:
        """How the local runner runs jobs (``GLADIATOR_LOCAL_JOBS``): ``driver``, all jobs of a run
        in one Spark driver process (default), or ``spark-submit``, one process per job as Glue."""
        mode = os.environ.get(env.LOCAL_JOBS) or "driver"
        if mode not in ("driver", "spark-submit"):
            raise ConfigurationError(f"{env.LOCAL_JOBS}={mode!r}: use driver or spark-submit")
        return mode

    @property
    def driver_memory(self) -> str | None:
        """A local Spark driver heap for every job (``GLADIATOR_DRIVER_MEMORY``), or None: per job."""
        return os.environ.get(env.DRIVER_MEMORY) or None


def _port_offset() -> int:
    raw = os.environ.get(env.PORT_OFFSET, "0")
    try:
        return int(raw)
    except ValueError:
        raise ConfigurationError(f"{env.PORT_OFFSET}={raw!r} is not an integer") from None


def local_settings(**overrides: object) -> Settings:
    ports = LocalPorts().shifted(_port_offset())
    home = Path(os.environ.get(env.HOME) or REPO_ROOT / ".gladiator")
    settings = Settings(
        profile="local",
        region=os.environ.get(env.AWS_REGION) or os.environ.get(env.AWS_DEFAULT_REGION) or DEFAULT_REGION,
        aws_endpoint=os.environ.get(env.AWS_ENDPOINT_URL) or f"http://127.0.0.1:{ports.moto}",
        naming=resources.Naming(prefix=os.environ.get(env.STACK_PREFIX, "gladiator-local")),
        kafka_bootstrap=os.environ.get(env.KAFKA_BOOTSTRAP) or f"127.0.0.1:{ports.kafka}",
        mysql_url=os.environ.get(env.MYSQL_URL)
        or f"mysql://gladiator:gladiator@127.0.0.1:{ports.mariadb}/retail",
        warehouse_url=os.environ.get(env.WAREHOUSE_URL)
        or f"postgresql://gladiator:gladiator@127.0.0.1:{ports.postgres}/warehouse",
        home=home,
        ports=ports,
    )
    return replace(settings, **overrides)  # type: ignore[arg-type]


def aws_settings(**overrides: object) -> Settings:
    region = os.environ.get(env.AWS_REGION) or os.environ.get(env.AWS_DEFAULT_REGION)
    if not region:
        raise ConfigurationError("profile 'aws' needs AWS_REGION (or AWS_DEFAULT_REGION) to be set")
    settings = Settings(
        profile="aws",
        region=region,
        aws_endpoint=os.environ.get(env.AWS_ENDPOINT_URL),
        naming=resources.Naming(prefix=os.environ.get(env.STACK_PREFIX, "gladiator-dev")),
        kafka_bootstrap=os.environ.get(env.KAFKA_BOOTSTRAP, ""),
        mysql_url=os.environ.get(env.MYSQL_URL, ""),
        warehouse_url=os.environ.get(env.WAREHOUSE_URL, ""),
    )
    return replace(settings, **overrides)  # type: ignore[arg-type]


def profile_name() -> str:
    """``$GLADIATOR_PROFILE``, default ``local``."""
    return os.environ.get(env.PROFILE) or "local"


def load_settings(profile: str | None = None, **overrides: object) -> Settings:
    """The settings of ``profile`` (default: ``$GLADIATOR_PROFILE`` or ``local``)."""
    profile = profile or profile_name()
    if profile == "local":
        return local_settings(**overrides)
    if profile == "aws":
        return aws_settings(**overrides)
    raise ConfigurationError(f"unknown profile {profile!r}: use 'local' or 'aws'")


def environment() -> Mapping[str, str]:
    """The process environment, for the few readers that take a whole mapping (so tests can pass
    their own); every other setting is a ``Settings`` field or property."""
    return os.environ


def java_home_settings() -> tuple[str | None, str | None]:
    """(``$GLADIATOR_JAVA_HOME``, ``$JAVA_HOME``): the JDK the user chose, and the machine's
    (gladiator.jvm picks a JDK 17 from them)."""
    return os.environ.get(env.JAVA_HOME) or None, os.environ.get(env.SYSTEM_JAVA_HOME) or None


def jars_dir() -> Path:
    """The folder holding jars/spark and jars/kafka (``$GLADIATOR_JARS_DIR``, default .gladiator/jars)."""
    return Path(os.environ.get(env.JARS_DIR) or REPO_ROOT / ".gladiator" / "jars")


def use_local_credentials() -> None:
    """Give boto3, s3a and the AWS SDKs dummy credentials for the emulator, unless set."""
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault(env.AWS_DEFAULT_REGION, DEFAULT_REGION)
