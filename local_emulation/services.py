"""The four real services of the local stack: moto_server, Kafka (KRaft), MariaDB, PostgreSQL.

Each service knows how to prepare its data folder once, the command that runs it, and how to
tell that it is healthy. ``local_emulation.stack`` starts and stops them in order.
"""

from __future__ import annotations

import base64
import hashlib
import os
import pwd
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from gladiator import jvm
from gladiator.config import Settings
from gladiator.errors import ConfigurationError, ServiceError
from local_emulation.process import ManagedProcess


@dataclass(frozen=True)
class Service(ABC):
    settings: Settings

    name: str = ""
    start_timeout_s: float = 60.0

    @property
    def stack_dir(self) -> Path:
        return self.settings.home / "stack"

    @property
    def data_dir(self) -> Path:
        return self.stack_dir / "data" / self.name

    @property
    def process(self) -> ManagedProcess:
        return ManagedProcess(name=self.name, run_dir=self.stack_dir / "run", log_dir=self.stack_dir / "logs")

    @property
    @abstractmethod
    def ports(self) -> dict[int, str]:
        """Every port the service listens on -> a description for error messages."""

    @abstractmethod
    def argv(self) -> list[str]: ...

    @abstractmethod
    def healthy(self) -> bool: ...

    def check_prerequisites(self) -> None:
        """Raise ConfigurationError if something the service needs is not installed."""

    def prepare(self) -> None:
        """Create the data folder on first use (idempotent)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)

    def after_start(self) -> None:
        """One-time set-up once healthy (users, databases, settings); idempotent."""

    def env(self) -> dict[str, str] | None:
        return None

    def user(self) -> str | None:
        return None

    @property
    def marker(self) -> str:
        return str(self.data_dir)

    def running(self) -> bool:
        return self.process.pid() is not None

    def start(self) -> bool:
        """Start unless already running; wait until healthy. True if this call started it."""
        if self.running():
            self.process.wait_healthy(self.healthy, timeout_s=self.start_timeout_s)
            return False
        self.check_prerequisites()
        self.prepare()
        proc = self.process.start(
            self.argv(), marker=self.marker, ports=self.ports, env=self.env(), user=self.user()
        )
        try:
            self.process.wait_healthy(self.healthy, timeout_s=self.start_timeout_s, proc=proc)
            self.after_start()
        except BaseException:
            self.process.stop(timeout_s=10)
            raise
        return True

    def stop(self) -> bool:
        return self.process.stop()


def _require_binary(name: str, package: str) -> str:
    path = shutil.which(name) or next(
        (
            str(p)
            for p in (Path("/usr/sbin") / name, Path("/usr/lib/postgresql"))
            if p.exists() and p.is_file()
        ),
        None,
    )
    if not path:
        raise ConfigurationError(f"{name} not found: install Debian's {package} (run `make setup`).")
    return path


# --- moto_server -----------------------------------------------------------------------------
@dataclass(frozen=True)
class MotoServer(Service):
    name: str = "moto"
    start_timeout_s: float = 30.0

    @property
    def ports(self) -> dict[int, str]:
        return {self.settings.ports.moto: "moto_server (AWS APIs)"}

    @property
    def marker(self) -> str:
        return f"moto.server -H 127.0.0.1 -p {self.settings.ports.moto}"

    def argv(self) -> list[str]:
        return [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.settings.ports.moto)]

    def env(self) -> dict[str, str]:
        # moto_server must not inherit an endpoint override pointing back at itself.
        return {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}

    def healthy(self) -> bool:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.settings.ports.moto}/moto-api/", timeout=2) as r:
            return bool(r.status == 200)

    def after_start(self) -> None:
        # Step Functions executions really run their states (off by default in moto).
        body = b'{"stepfunctions": {"execute_state_machine": true}, "lambda": {"use_docker": false}}'
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.settings.ports.moto}/moto-api/config", data=body, method="POST"
        )
        req.add_header("Content-Type", "application/json")
        urllib.request.urlopen(req, timeout=5).close()


# --- Kafka (KRaft, single node) --------------------------------------------------------------
KAFKA_LOG4J = """\
log4j.rootLogger=WARN, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaServer=INFO
log4j.logger.kafka.server.BrokerServer=INFO
"""


def kafka_cluster_id() -> str:
    """A random KRaft cluster id: a UUID in URL-safe base64, never starting with "-".

    One id in 64 would start with "-", and kafka-storage's argument parser then reads it as an
    option ("argument --cluster-id/-t: expected one argument"); Kafka's own Uuid.randomUuid()
    skips those for the same reason.
    """
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


@dataclass(frozen=True)
class KafkaBroker(Service):
    name: str = "kafka"
    start_timeout_s: float = 90.0

    @property
    def ports(self) -> dict[int, str]:
        return {
            self.settings.ports.kafka: "Kafka broker",
            self.settings.ports.kafka_controller: "Kafka KRaft controller",
        }

    @property
    def config_file(self) -> Path:
        return self.data_dir / "server.properties"

    def check_prerequisites(self) -> None:
        jvm.find_java_home()
        jvm.jars("kafka")

    def classpath(self) -> str:
        return str(jvm.jars_root() / "kafka" / "*")

    def _java(self) -> str:
        return str(jvm.find_java_home() / "bin" / "java")

    def prepare(self) -> None:
        super().prepare()
        ports = self.settings.ports
        self.config_file.write_text(
            "\n".join(
                [
                    "process.roles=broker,controller",
                    "node.id=1",
                    f"controller.quorum.voters=1@127.0.0.1:{ports.kafka_controller}",
                    f"listeners=PLAINTEXT://127.0.0.1:{ports.kafka},CONTROLLER://127.0.0.1:{ports.kafka_controller}",
                    f"advertised.listeners=PLAINTEXT://127.0.0.1:{ports.kafka}",
                    "controller.listener.names=CONTROLLER",
                    "inter.broker.listener.name=PLAINTEXT",
                    "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
                    f"log.dirs={self.data_dir / 'logs'}",
                    "num.partitions=4",
                    "offsets.topic.replication.factor=1",
                    "offsets.topic.num.partitions=4",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "group.initial.rebalance.delay.ms=0",
                    # Topics are created explicitly, so a missing topic is an error, not a surprise.
                    "auto.create.topics.enable=false",
                    "log.retention.hours=24",
                    "",
                ]
            )
        )
        (self.data_dir / "log4j.properties").write_text(KAFKA_LOG4J)
        if not (self.data_dir / "logs" / "meta.properties").exists():
            cluster_id = kafka_cluster_id()
            result = subprocess.run(
                [self._java(), "-cp", self.classpath(), *self._log4j_args(), "kafka.tools.StorageTool",
                 "format", "-t", cluster_id, "-c", str(self.config_file)],
                capture_output=True, text=True, env=jvm.java_env(), timeout=120,
            )  # fmt: skip
            if result.returncode != 0:
                raise ServiceError(f"formatting the Kafka log dir failed:\n{result.stdout}{result.stderr}")

    def _log4j_args(self) -> list[str]:
        return [f"-Dlog4j.configuration=file:{self.data_dir / 'log4j.properties'}"]

    def argv(self) -> list[str]:
        return [
            self._java(), "-Xms256m", "-Xmx1g", "-XX:+UseG1GC", "-Djava.awt.headless=true",
            *self._log4j_args(), "-cp", self.classpath(), "kafka.Kafka", str(self.config_file),
        ]  # fmt: skip

    def env(self) -> dict[str, str]:
        return jvm.java_env()

    def healthy(self) -> bool:
        from confluent_kafka.admin import AdminClient

        # A plain connect first: librdkafka would log every refused connection while we wait.
        socket.create_connection(("127.0.0.1", self.settings.ports.kafka), timeout=1).close()
        admin = AdminClient(
            {"bootstrap.servers": self.settings.kafka_bootstrap, "socket.timeout.ms": 2000, "log_level": 0}
        )
        metadata = admin.list_topics(timeout=2)
        return bool(metadata.brokers)


# --- MariaDB ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class MariaDB(Service):
    name: str = "mariadb"
    start_timeout_s: float = 60.0

    @property
    def ports(self) -> dict[int, str]:
        return {self.settings.ports.mariadb: "MariaDB"}

    @property
    def socket(self) -> Path:
        return self.stack_dir / "run" / "mariadb.sock"

    def check_prerequisites(self) -> None:
        _require_binary("mariadbd", "mariadb-server")
        _require_binary("mariadb-install-db", "mariadb-server")

    def prepare(self) -> None:
        super().prepare()
        if (self.data_dir / "mysql").is_dir():
            return
        args = [
            shutil.which("mariadb-install-db") or "mariadb-install-db", "--no-defaults",
            f"--datadir={self.data_dir}", "--auth-root-authentication-method=normal",
            "--skip-test-db", "--skip-name-resolve",
        ]  # fmt: skip
        if os.geteuid() == 0:
            args.append("--user=root")
        result = subprocess.run(args, capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            raise ServiceError(f"mariadb-install-db failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")

    def argv(self) -> list[str]:
        args = [
            shutil.which("mariadbd") or "/usr/sbin/mariadbd", "--no-defaults",
            f"--datadir={self.data_dir}", f"--port={self.settings.ports.mariadb}",
            "--bind-address=127.0.0.1", f"--socket={self.socket}",
            f"--pid-file={self.stack_dir / 'run' / 'mariadbd.pid'}",
            "--skip-name-resolve", "--local-infile=1", "--innodb-buffer-pool-size=256M",
            "--max-connections=200", "--character-set-server=utf8mb4",
        ]  # fmt: skip
        if os.geteuid() == 0:
            args.append("--user=root")
        return args

    def _connect(self, *, autocommit: bool = False) -> Any:
        """A root connection (the local passwordless root of our own data folder)."""
        import pymysql

        return pymysql.connect(
            host="127.0.0.1",
            port=self.settings.ports.mariadb,
            user="root",
            connect_timeout=2,
            autocommit=autocommit,
        )

    def healthy(self) -> bool:
        with self._connect() as conn, conn.cursor() as cur:
            cur.execute("SELECT 1")
            return cur.fetchone() == (1,)

    def after_start(self) -> None:
        url = urlparse(self.settings.mysql_url)
        database = url.path.lstrip("/")
        with self._connect(autocommit=True) as conn, conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE IF NOT EXISTS `{database}` CHARACTER SET utf8mb4")
            cur.execute("CREATE USER IF NOT EXISTS %s@'%%' IDENTIFIED BY %s", (url.username, url.password))
            cur.execute(f"GRANT ALL PRIVILEGES ON `{database}`.* TO %s@'%%'", (url.username,))
            cur.execute("GRANT FILE ON *.* TO %s@'%%'", (url.username,))
            # PROCESS: mysql_to_bronze lists the open transactions to resume the next incremental
            # window exactly where this one's view was complete (gladiator.transforms.extract)
            cur.execute("GRANT PROCESS ON *.* TO %s@'%%'", (url.username,))


# --- PostgreSQL (the local Redshift stand-in) ------------------------------------------------
def _pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if not versions:
        raise ConfigurationError(f"{name} not found: install Debian's postgresql (run `make setup`).")
    return str(versions[-1])


@dataclass(frozen=True)
class PostgreSQL(Service):
    name: str = "postgres"
    start_timeout_s: float = 60.0

    @property
    def ports(self) -> dict[int, str]:
        return {self.settings.ports.postgres: "PostgreSQL (warehouse)"}

    @property
    def data_dir(self) -> Path:
        return self.stack_dir / "data" / "postgres"

    def check_prerequisites(self) -> None:
        _pg_bin("postgres")
        _pg_bin("initdb")

    def user(self) -> str | None:
        # PostgreSQL refuses to run as root; as root we run it as the Debian 'postgres' user.
        return "postgres" if os.geteuid() == 0 else None

    def _as_owner(self, path: Path) -> None:
        owner = self.user()
        if owner:
            entry = pwd.getpwnam(owner)
            os.chown(path, entry.pw_uid, entry.pw_gid)

    @property
    def cluster_dir(self) -> Path:
        """The real cluster folder (``data_dir`` may be a symlink to it, see ``prepare``)."""
        return self.data_dir.resolve()

    @property
    def marker(self) -> str:
        return str(self.cluster_dir)

    def _reachable_by_owner(self, path: Path) -> bool:
        owner = self.user()
        if not owner:
            return True
        return subprocess.run(["test", "-x", str(path)], user=owner, capture_output=True).returncode == 0

    def prepare(self) -> None:
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        (self.stack_dir / "run").mkdir(parents=True, exist_ok=True)
        if (self.data_dir / "PG_VERSION").exists():
            return
        if self.data_dir.is_symlink():
            self.data_dir.unlink()
        target = self.data_dir
        if not self._reachable_by_owner(self.data_dir.parent):
            # The checkout sits below a folder the 'postgres' user cannot enter (e.g. a 0700
            # mktemp dir): keep the cluster under /var/lib/gladiator and link it into the stack.
            digest = hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:12]
            target = Path("/var/lib/gladiator") / digest / "postgres"
            shutil.rmtree(target, ignore_errors=True)
            target.parent.mkdir(parents=True, exist_ok=True)
            self.data_dir.symlink_to(target, target_is_directory=True)
        target.mkdir(parents=True, exist_ok=True)
        self._as_owner(target)
        os.chmod(target, 0o700)
        result = subprocess.run(
            [_pg_bin("initdb"), "-D", str(target), "-U", "postgres", "--auth-local=trust",
             "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-instructions"],
            capture_output=True, text=True, timeout=300, user=self.user(),
        )  # fmt: skip
        if result.returncode != 0:
            shutil.rmtree(target, ignore_errors=True)
            raise ServiceError(f"initdb failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")

    def argv(self) -> list[str]:
        return [
            _pg_bin("postgres"), "-D", str(self.cluster_dir), "-p", str(self.settings.ports.postgres),
            "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self._socket_dir()}",
            "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
            "-c", "max_connections=100", "-c", "shared_buffers=256MB",
        ]  # fmt: skip

    def _socket_dir(self) -> Path:
        # unix socket paths are limited to ~107 bytes; keep it short and reachable by the owner.
        return Path("/tmp")

    def _superuser_dsn(self) -> str:
        return f"host={self._socket_dir()} port={self.settings.ports.postgres} user=postgres dbname=postgres"

    def healthy(self) -> bool:
        import psycopg

        with psycopg.connect(self._superuser_dsn(), connect_timeout=2) as conn:
            return conn.execute("SELECT 1").fetchone() == (1,)

    def after_start(self) -> None:
        import psycopg
        from psycopg import sql

        url = urlparse(self.settings.warehouse_url)
        user, password, database = url.username or "gladiator", url.password or "", url.path.lstrip("/")
        with psycopg.connect(self._superuser_dsn(), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (user,)).fetchone()
            if not exists:
                conn.execute(
                    sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                        sql.Identifier(user), sql.Literal(password)
                    )
                )
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone():
                conn.execute(
                    sql.SQL("CREATE DATABASE {} OWNER {}").format(
                        sql.Identifier(database), sql.Identifier(user)
                    )
                )


# --- the local ingestion service (landing Lambda poller, batch trigger, pipeline runner) -------
@dataclass(frozen=True)
class IngestionService(Service):
    """``local_emulation.ingestion_service``: healthy while its loop touches the heartbeat file.
    It retries until the resources exist, so it may start before provisioning."""

    name: str = "ingestion"
    start_timeout_s: float = 30.0
    heartbeat_max_age_s: float = 30.0

    @property
    def ports(self) -> dict[int, str]:
        return {}

    @property
    def marker(self) -> str:
        return f"local_emulation.ingestion_service --home {self.settings.home}"

    def argv(self) -> list[str]:
        # The home folder in argv makes the marker unique per stack (GLADIATOR_HOME).
        return [sys.executable, "-m", "local_emulation.ingestion_service", "--home", str(self.settings.home)]

    def env(self) -> dict[str, str]:
        root = str(Path(__file__).resolve().parent.parent)
        return {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p),
        }

    def healthy(self) -> bool:
        from local_emulation.ingestion_service import heartbeat_file

        beat = heartbeat_file(self.settings)
        return beat.exists() and time.time() - beat.stat().st_mtime < self.heartbeat_max_age_s


def running_ingestion_service(settings: Settings) -> IngestionService | None:
    """The local ingestion service if it runs and is healthy, else None (a deployed profile has
    none): where commands queue their runs (``local_emulation.executions``)."""
    if settings.profile != "local":
        return None
    service = IngestionService(settings)
    return service if service.running() and service.healthy() else None


def all_services(settings: Settings, *, ingestion: bool = True) -> list[Service]:
    """The services in start order (stop in reverse); the ingestion service last (``ingestion``)."""
    core: list[Service] = [
        MotoServer(settings),
        KafkaBroker(settings),
        MariaDB(settings),
        PostgreSQL(settings),
    ]
    return [*core, IngestionService(settings)] if ingestion else core
