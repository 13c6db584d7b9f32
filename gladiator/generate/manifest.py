"""DIR/faults.json: every landing row that is not a plain truth row, and every fault file.

Format (docs/HELPERS.md "Generated data"): {"seed", "scale", "format", "faults": [{"entity",
"file", "line", "kind", "expected", "reason"}]} plus, per fault, "column" and "key" (the primary
key as landing text) to make checks easy, and a top-level "variants" list of valid-but-unusual
files (BOM, CRLF) that must be accepted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gladiator.outcomes import ExpectedOutcome

EXPECTED = tuple(ExpectedOutcome)


@dataclass(frozen=True)
class Fault:
    entity: str
    file: str  # landing key: "<entity>/<file name>"
    line: int | None  # 1-based; CSV counts the header as line 1; None for a file fault
    kind: str
    expected: str  # an ExpectedOutcome
    reason: str | None
    column: str | None = None
    key: dict[str, str | None] | None = None
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "entity": self.entity, "file": self.file, "line": self.line, "kind": self.kind,
            "expected": self.expected, "reason": self.reason, "column": self.column, "key": self.key,
            "detail": self.detail,
        }  # fmt: skip

    def __post_init__(self) -> None:
        if self.expected not in EXPECTED:
            raise ValueError(f"unknown expected outcome {self.expected!r}")


@dataclass
class Manifest:
    seed: int
    scale: float
    format: str
    faults: list[Fault] = field(default_factory=list)
    variants: list[dict[str, str]] = field(default_factory=list)
    date_shift_days: int = 0

    def to_json(self) -> dict[str, Any]:
        faults = sorted(self.faults, key=lambda f: (f.entity, f.file, f.line or 0, f.kind))
        return {
            "seed": self.seed,
            "scale": self.scale,
            "format": self.format,
            "date_shift_days": self.date_shift_days,
            "faults": [f.as_dict() for f in faults],
            "variants": sorted(self.variants, key=lambda v: (v["file"], v["kind"])),
        }

    def write(self, path: Path) -> None:
        """One fault per line (readable diffs; json's C encoder only runs without ``indent``)."""
        document = self.to_json()
        faults = document.pop("faults")
        head = json.dumps(document)[:-1]
        lines = ",\n ".join(json.dumps(f) for f in faults)
        path.write_text(f'{head}, "faults": [\n {lines}\n]}}\n', encoding="utf-8")
