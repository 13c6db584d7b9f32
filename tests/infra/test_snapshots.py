"""Golden templates, one per stack. Update with ``GLADIATOR_UPDATE_SNAPSHOTS=1``.

Asset hashes are normalized: they change whenever a Lambda, job script or the shared package
changes, which is not an infrastructure change.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("GLADIATOR_UPDATE_SNAPSHOTS") == "1"
STACKS = ["Storage", "State", "Ingestion", "Processing", "Streaming", "Warehouse", "Observability"]
_ASSET_HASH = re.compile(r"\b[0-9a-f]{64}\b")


def normalized(template: dict[str, Any]) -> str:
    text = json.dumps(template, indent=1, sort_keys=True)
    return _ASSET_HASH.sub("<asset-hash>", text) + "\n"


@pytest.mark.parametrize("stack", STACKS)
def test_stack_matches_its_snapshot(stack: str, templates: dict[str, Template]) -> None:
    actual = normalized(templates[stack].to_json())
    golden = SNAPSHOTS / f"{stack}.json"
    if UPDATE or not golden.exists():
        if not UPDATE:
            pytest.fail(f"no snapshot {golden}: run with GLADIATOR_UPDATE_SNAPSHOTS=1 and review it")
        golden.write_text(actual)
    expected = golden.read_text()
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(expected.splitlines(True), actual.splitlines(True), "golden", "actual", n=2)
        )
        pytest.fail(f"{stack} template changed (GLADIATOR_UPDATE_SNAPSHOTS=1 to accept):\n{diff[:6000]}")
