"""Start, watch and stop one background process that we own, tracked by a PID file.

A PID file holds the pid and a marker string that must appear in ``/proc/<pid>/cmdline``, so
``down`` never signals a process that merely reused the pid of one of ours.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from gladiator.errors import PortInUse, ServiceError


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped by its parent) is not running.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


@dataclass(frozen=True, kw_only=True)
class ManagedProcess:
    """One long-running process of the local stack."""

    name: str
    run_dir: Path
    log_dir: Path

    @property
    def pid_file(self) -> Path:
        return self.run_dir / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        return self.log_dir / f"{self.name}.log"

    def pid(self) -> int | None:
        """The pid of our running process, or None (a stale PID file is removed)."""
        try:
            record = json.loads(self.pid_file.read_text())
        except (OSError, ValueError):
            return None
        pid, marker = int(record["pid"]), str(record["marker"])
        if _alive(pid) and marker in _cmdline(pid):
            return pid
        self.pid_file.unlink(missing_ok=True)
        return None

    def start(
        self,
        argv: Sequence[str],
        *,
        marker: str,
        ports: dict[int, str],
        env: dict[str, str] | None = None,
        user: str | None = None,
        cwd: Path | None = None,
    ) -> subprocess.Popen[bytes]:
        """Launch ``argv`` in its own session, logging to ``log_file``; return the process.

        ``ports`` (port -> what uses it) must all be free first, else PortInUse names the port.
        """
        for port, what in ports.items():
            if not port_is_free(port):
                raise PortInUse(what, port)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_file.open("ab")
        log.write(f"\n--- {time.strftime('%Y-%m-%dT%H:%M:%S')} starting: {' '.join(argv)}\n".encode())
        log.flush()
        try:
            proc = subprocess.Popen(
                list(argv),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                cwd=cwd,
                user=user,
                start_new_session=True,
            )
        except OSError as exc:
            raise ServiceError(f"{self.name}: cannot run {argv[0]}: {exc}") from exc
        finally:
            log.close()
        tmp = self.pid_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({"pid": proc.pid, "marker": marker}))
        tmp.replace(self.pid_file)  # atomic: a concurrent reader never sees half a record
        return proc

    def wait_healthy(
        self, check: Callable[[], bool], *, timeout_s: float, proc: subprocess.Popen[bytes] | None = None
    ) -> None:
        """Poll ``check`` until it passes; fail early if the process dies, with its log tail.

        ``proc`` is the process this call started (its exit status is authoritative); without
        it, the PID file says whether our process still runs.
        """
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            exited = proc.poll() is not None if proc is not None else self.pid() is None
            if exited:
                code = f" with exit code {proc.returncode}" if proc is not None else ""
                raise ServiceError(f"{self.name} exited during start-up{code}.\n{self.log_tail()}")
            with contextlib.suppress(Exception):
                if check():
                    return
            time.sleep(0.3)
        raise ServiceError(f"{self.name} did not become healthy within {timeout_s:.0f} s.\n{self.log_tail()}")

    def stop(self, *, timeout_s: float = 30.0) -> bool:
        """SIGTERM the process group, then SIGKILL after ``timeout_s``. True if it was running."""
        pid = self.pid()
        if pid is None:
            return False
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.2)
        if _alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            time.sleep(0.5)
        self.pid_file.unlink(missing_ok=True)
        return True

    def log_tail(self, lines: int = 15) -> str:
        try:
            tail = self.log_file.read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            return f"(no log at {self.log_file})"
        return f"last lines of {self.log_file}:\n  " + "\n  ".join(tail)
