"""The generator's truth, arguments and determinism (SF 0.01, fast)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from gladiator.contracts import CONTRACTS, ENTITY_NAMES
from gladiator.contracts.types import arrow_schema
from gladiator.generate import GenerationReport, InvalidGenerateOptions, generate

TPCHGEN = Path(sys.executable).parent / "tpchgen-cli"


def tpchgen_counts(tmp: Path, scale: float) -> dict[str, int]:
    """Row counts of tpchgen-cli's own output at ``scale`` (independent of the generator)."""
    subprocess.run(
        [str(TPCHGEN), "parquet", "-s", f"{scale:g}", "-o", str(tmp)], check=True, capture_output=True
    )
    return {name: pq.read_metadata(tmp / f"{name}.parquet").num_rows for name in ENTITY_NAMES}


def tree_digest(root: Path) -> dict[str, str]:
    """sha256 of every file under ``root`` by relative path."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> GenerationReport:
    return generate(
        tmp_path_factory.mktemp("gen"), scale=0.01, seed=7, faults=0.02, fmt="mixed", files_per_entity=2
    )


def test_truth_counts_equal_tpchgen_at_sf001(generated: GenerationReport, tmp_path: Path) -> None:
    expected = tpchgen_counts(tmp_path, 0.01)
    actual = {
        name: pq.read_metadata(generated.truth_dir / name / "part-00000.parquet").num_rows
        for name in ENTITY_NAMES
    }
    assert actual == expected


def test_truth_counts_equal_tpchgen_at_sf01(tmp_path: Path) -> None:
    """~13 s on a busy 2-core machine (not marked slow: under the 20 s line)."""
    report = generate(tmp_path / "gen", scale=0.1, seed=1, faults=0.0)
    assert report.truth_rows == tpchgen_counts(tmp_path / "tpch", 0.1)


def test_truth_has_the_contract_schema(generated: GenerationReport) -> None:
    for name in ENTITY_NAMES:
        schema = pq.read_schema(generated.truth_dir / name / "part-00000.parquet")
        assert schema.remove_metadata() == arrow_schema(CONTRACTS[name]), name


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    args = {"scale": 0.01, "faults": 0.02, "fmt": "mixed", "files_per_entity": 2}
    first = tree_digest(generate(tmp_path / "a", seed=3, **args).out)
    again = tree_digest(generate(tmp_path / "b", seed=3, **args).out)
    other = tree_digest(generate(tmp_path / "c", seed=4, **args).out)
    assert first == again
    differing = [path for path in first if first[path] != other.get(path)]
    assert "faults.json" in differing
    assert any(p.startswith("truth/") for p in differing)  # updated_at depends on the seed
    assert any(p.startswith("landing/lineitem/") for p in differing)


def test_end_date_shifts_the_latest_date(tmp_path: Path) -> None:
    report = generate(tmp_path, scale=0.01, seed=1, faults=0.0, end_date=date(2026, 11, 25))
    lineitem = pq.read_table(report.truth_dir / "lineitem" / "part-00000.parquet")
    orders = pq.read_table(report.truth_dir / "orders" / "part-00000.parquet")
    latest = max(max(lineitem[c].to_pylist()) for c in ("l_shipdate", "l_commitdate", "l_receiptdate"))
    assert latest == date(2026, 11, 25)
    assert max(orders["o_orderdate"].to_pylist()) < latest
    assert report.date_shift_days > 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scale": 0}, "--scale must be > 0"),
        ({"scale": -1}, "--scale must be > 0"),
        ({"fmt": "xml"}, "--format must be one of"),
        ({"faults": 1.0}, "--faults is a fraction"),
        ({"faults": -0.1}, "--faults is a fraction"),
        ({"files_per_entity": 0}, "--files-per-entity"),
    ],
)
def test_bad_arguments_are_refused_before_any_work(tmp_path: Path, kwargs: dict, message: str) -> None:
    args = {"scale": 0.01, "faults": 0.01, "fmt": "csv", "files_per_entity": 1} | kwargs
    with pytest.raises(InvalidGenerateOptions, match=message):
        generate(tmp_path / "out", **args)
    assert not (tmp_path / "out" / "truth").exists()


def test_unwritable_out_dir_is_refused(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(InvalidGenerateOptions, match="not a directory"):
        generate(blocker, scale=0.01)
    with pytest.raises(InvalidGenerateOptions, match="cannot be created"):
        generate(blocker / "below", scale=0.01)


def test_cli_prints_a_clear_error_and_exits_non_zero(tmp_path: Path) -> None:
    gladiator = Path(sys.executable).parent / "gladiator"
    result = subprocess.run(
        [str(gladiator), "generate", "--scale", "-1", "--out", str(tmp_path)], capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "error: --scale must be > 0" in result.stderr
    assert "Traceback" not in result.stderr
