"""Optional second emulator: LocalStack for S3, SQS and EventBridge (DynamoDB stays on moto).

``localstack-core`` runs on the host only under Python 3.13, from its own venv
(``.gladiator/localstack-venv``, made by scripts/setup.sh). Offline it serves S3 with the true
AWS event shape (real, growing sequencers), SQS and EventBridge; its DynamoDB needs a download, so
emulators are mixed with per-service endpoints (``AWS_ENDPOINT_URL_<SERVICE>``), which
``Settings.client`` (gladiator/config.py) honours.

``start_localstack`` runs one private instance on a free port, with its state in a temporary
folder, and ``LocalStack.stop`` ends exactly that process group (tests and the benchmark own it).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from gladiator.config import REPO_ROOT
from gladiator.errors import ServiceError

SERVICES = ("s3", "sqs", "events")
VENV = REPO_ROOT / ".gladiator" / "localstack-venv"


class LocalStackUnavailable(ServiceError):
    """LocalStack cannot run here (no venv / no Python 3.13 / failed start); says why."""


@dataclass
class LocalStack:
    port: int
    process: subprocess.Popen[bytes]
    workdir: Path

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.workdir / "localstack.log"

    def endpoints_env(self, dynamodb_endpoint: str) -> dict[str, str]:
        """Per-service endpoints: S3/SQS/EventBridge here, DynamoDB on ``dynamodb_endpoint``."""
        return {
            "AWS_ENDPOINT_URL_S3": self.endpoint,
            "AWS_ENDPOINT_URL_SQS": self.endpoint,
            "AWS_ENDPOINT_URL_EVENTBRIDGE": self.endpoint,
            "AWS_ENDPOINT_URL_DYNAMODB": dynamodb_endpoint,
        }

    def stop(self, timeout_s: float = 20) -> None:
        """Stop this instance (its own process group) and remove its state."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        shutil.rmtree(self.workdir, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _health(endpoint: str) -> dict[str, str]:
    with urllib.request.urlopen(f"{endpoint}/_localstack/health", timeout=2) as response:
        return dict(json.load(response).get("services", {}))


def start_localstack(*, venv: Path = VENV, timeout_s: float = 120) -> LocalStack:
    """Start a private LocalStack (S3, SQS, EventBridge) and wait until it serves them."""
    python = venv / "bin" / "python"
    if not python.exists():
        raise LocalStackUnavailable(
            f"LocalStack is not installed ({venv} missing): scripts/setup.sh installs it when a "
            "Python 3.13 is available (pyenv or python3.13 on PATH)"
        )
    port = _free_port()
    workdir = Path(tempfile.mkdtemp(prefix="gladiator-localstack-"))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_ENDPOINT_URL", "PYTHON"))},
        "OVERRIDE_IN_DOCKER": "0",
        "GATEWAY_LISTEN": f"127.0.0.1:{port}",
        "SERVICES": ",".join(SERVICES),
        "DISABLE_EVENTS": "1",  # no analytics calls
        "SKIP_SSL_CERT_DOWNLOAD": "1",
        "LOCALSTACK_VOLUME_DIR": str(workdir / "volume"),
        "FILESYSTEM_ROOT": str(workdir / "fs"),
        "PERSISTENCE": "0",
    }
    log = (workdir / "localstack.log").open("wb")
    process = subprocess.Popen(
        [str(python), "-m", "localstack.runtime.main"],
        env=env,
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    instance = LocalStack(port=port, process=process, workdir=workdir)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = instance.log.read_text(errors="replace")[-1500:]
            instance.stop()
            raise LocalStackUnavailable(f"LocalStack exited with code {process.returncode}:\n{tail}")
        try:
            services = _health(instance.endpoint)
            if all(services.get(s) in ("available", "running") for s in SERVICES):
                return instance
        except OSError:
            pass
        time.sleep(0.5)
    tail = instance.log.read_text(errors="replace")[-1500:]
    instance.stop()
    raise LocalStackUnavailable(
        f"LocalStack did not serve {', '.join(SERVICES)} within {timeout_s:.0f}s:\n{tail}"
    )
