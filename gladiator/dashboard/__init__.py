"""The business dashboard: charts over the warehouse views and a live KPI panel.

``DashboardServer(settings, port=0).start()`` serves it in a background thread (``.url``, ``.stop()``);
``serve_forever`` is what ``gladiator dashboard`` runs.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from gladiator.config import Settings


class DashboardServer:
    """The dashboard on a werkzeug server in a daemon thread (``port=0``: a free port)."""

    def __init__(
        self,
        settings: Settings,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        schema: str = "gold",
        kpi_prefix: str = "",
    ) -> None:
        from werkzeug.serving import make_server

        from gladiator.dashboard.app import create_app

        self._server = make_server(
            host, port, create_app(settings, schema=schema, kpi_prefix=kpi_prefix), threaded=True
        )
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self._server.host}:{self._server.server_port}/"

    def start(self) -> DashboardServer:
        self._thread = threading.Thread(target=self._server.serve_forever, name="dashboard", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        if self._thread:
            self._thread.join(timeout=10)

    def __enter__(self) -> DashboardServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def serve_forever(
    settings: Settings, *, host: str = "127.0.0.1", port: int = 8050, schema: str = "gold"
) -> None:
    server = DashboardServer(settings, host=host, port=port, schema=schema)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl+C ends the command quietly
        server._server.serve_forever()


__all__ = ["DashboardServer", "serve_forever"]
