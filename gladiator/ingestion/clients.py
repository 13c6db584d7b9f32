"""Deprecated alias: boto3 clients are built by ``Settings.client(service, session)`` (gladiator/config.py).

``make_client`` remains only until its last callers are swapped to ``settings.client``.
"""

from __future__ import annotations

from typing import Any


def make_client(service: str, settings: Any, session: Any = None) -> Any:
    """``settings.client(service, session)``."""
    return settings.client(service, session)
