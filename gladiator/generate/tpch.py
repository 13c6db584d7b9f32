"""Clean TPC-H data from `tpchgen-cli` (identical to classic dbgen), as Parquet."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from gladiator.generate.errors import TpchGenerationFailed


def tpchgen_binary() -> str:
    """The tpchgen-cli next to this Python (the project venv), else the one on PATH."""
    local = Path(sys.executable).parent / "tpchgen-cli"
    if local.exists():
        return str(local)
    found = shutil.which("tpchgen-cli")
    if not found:
        raise TpchGenerationFailed(
            "tpchgen-cli not found next to the Python interpreter or on PATH; "
            "install the project with `pip install -c constraints.txt -e .[dev]`"
        )
    return found


def format_scale(scale: float) -> str:
    """The scale factor as tpchgen-cli expects it (``1`` not ``1.0``)."""
    return f"{scale:g}"


def run_tpchgen(scale: float, out_dir: Path) -> dict[str, Path]:
    """Generate every TPC-H table at ``scale`` into ``out_dir``; returns entity -> parquet path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    cmd = [tpchgen_binary(), "parquet", "-s", format_scale(scale), "-o", str(out_dir), "--overwrite"]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise TpchGenerationFailed(f"{' '.join(cmd)} failed ({result.returncode}): {result.stderr.strip()}")
    paths = {p.stem: p for p in out_dir.glob("*.parquet")}
    return paths
