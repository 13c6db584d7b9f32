"""`generate()`: the generator's one entry point (the CLI is a thin shell around it)."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa

from gladiator.contracts import CONTRACTS, ENTITY_NAMES
from gladiator.formats import FORMAT_CHOICES
from gladiator.generate.errors import InvalidGenerateOptions
from gladiator.generate.file_faults import write_fault_files
from gladiator.generate.landing import plan_files, write_entity_landing
from gladiator.generate.manifest import Fault, Manifest
from gladiator.generate.render import to_text
from gladiator.generate.row_faults import EntityContext, RowFaultPlanner
from gladiator.generate.tpch import run_tpchgen
from gladiator.generate.truth import SALT, build_truth, write_truth

MAX_FILES_PER_ENTITY = 1000
Progress = Callable[[str], None]


@dataclass
class GenerationReport:
    """What one generation wrote (counts are rows)."""

    out: Path
    scale: float
    seed: int
    fault_rate: float
    format: str
    files_per_entity: int
    date_shift_days: int
    truth_rows: dict[str, int] = field(default_factory=dict)
    landing_rows: dict[str, int] = field(default_factory=dict)
    landing_files: int = 0
    fault_files: int = 0
    faults_by_kind: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def truth_dir(self) -> Path:
        return self.out / "truth"

    @property
    def landing_dir(self) -> Path:
        return self.out / "landing"

    @property
    def faults_path(self) -> Path:
        return self.out / "faults.json"


def validate_options(out: Path, scale: float, faults: float, fmt: str, files_per_entity: int) -> None:
    """Raise InvalidGenerateOptions with what to do, before any work is done."""
    if not scale > 0:
        raise InvalidGenerateOptions(f"--scale must be > 0 (e.g. 0.01, 0.1, 1), got {scale}")
    if not 0 <= faults < 1:
        raise InvalidGenerateOptions(f"--faults is a fraction of rows in [0, 1) (e.g. 0.01), got {faults}")
    if fmt not in FORMAT_CHOICES:
        raise InvalidGenerateOptions(f"--format must be one of {', '.join(FORMAT_CHOICES)}, got {fmt!r}")
    if not 1 <= files_per_entity <= MAX_FILES_PER_ENTITY:
        raise InvalidGenerateOptions(
            f"--files-per-entity must be between 1 and {MAX_FILES_PER_ENTITY}, got {files_per_entity}"
        )
    if out.exists() and not out.is_dir():
        raise InvalidGenerateOptions(f"--out {out} exists and is not a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidGenerateOptions(f"--out {out} cannot be created: {exc.strerror}") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise InvalidGenerateOptions(f"--out {out} is not writable; choose another directory")


def _clear_previous(out: Path) -> None:
    for name in ("truth", "landing"):
        shutil.rmtree(out / name, ignore_errors=True)
    (out / "faults.json").unlink(missing_ok=True)


@dataclass(frozen=True)
class _LandingOptions:
    seed: int
    faults: float
    fmt: str
    files_per_entity: int
    landing_dir: Path
    say: Progress


@dataclass(frozen=True)
class _Landed:
    """One entity's landing output: its text table, row faults, file variants, rows and files written."""

    text: pa.Table
    faults: list[Fault]
    variants: list[dict[str, str]]
    rows: int
    files: int


def _land_entity(index: int, name: str, truth: dict[str, pa.Table], options: _LandingOptions) -> _Landed:
    """One entity's landing files; independent of the others (own rng), so entities run in parallel."""
    contract = CONTRACTS[name]
    options.say(f"landing: {name} ({truth[name].num_rows:,} rows)")
    rng = np.random.default_rng([options.seed, SALT[name]])
    text = to_text(truth[name].combine_chunks(), contract)  # one chunk: cheap row lookups
    files = plan_files(name, index, text.num_rows, options.fmt, options.files_per_entity)
    context = EntityContext(contract, truth[name], text, truth, rng, any(f.is_text for f in files))
    planned = RowFaultPlanner(context).plan(options.faults)
    row_faults, written = write_entity_landing(contract, text, planned, files, options.landing_dir, rng)
    variants = [
        {"entity": name, "file": f.key, "kind": kind}
        for f in files
        for kind, on in (("bom", f.bom), ("crlf", f.crlf))
        if on
    ]
    return _Landed(text, row_faults, variants, written, len(files))


def _land_every_entity(truth: dict[str, pa.Table], options: _LandingOptions) -> dict[str, _Landed]:
    """Every entity's landing files, in ENTITY_NAMES order. Biggest first, two at a time: Arrow
    casts and CSV/Parquet encoding release the GIL."""
    by_size = sorted(enumerate(ENTITY_NAMES), key=lambda item: -truth[item[1]].num_rows)
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="landing") as pool:
        landed = dict(
            zip(
                [name for _, name in by_size],
                pool.map(lambda item: _land_entity(item[0], item[1], truth, options), by_size),
                strict=True,
            )
        )
    return {name: landed[name] for name in ENTITY_NAMES}


def generate_truth(
    out: str | Path, scale: float = 0.01, seed: int = 42, end_date: date | None = None
) -> dict[str, Path]:
    """Only the clean truth (DIR/truth/<entity>/part-00000.parquet), e.g. to seed MySQL."""
    out = Path(out)
    validate_options(out, scale, 0.0, "csv", 1)
    shutil.rmtree(out / "truth", ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix=".tpchgen-", dir=out) as scratch:
        truth, _shift = build_truth(run_tpchgen(scale, Path(scratch)), seed, end_date)
    return write_truth(truth, out)


def generate(
    out: str | Path,
    scale: float = 0.01,
    seed: int = 42,
    faults: float = 0.01,
    fmt: str = "csv",
    files_per_entity: int = 1,
    end_date: date | None = None,
    *,
    progress: Progress | None = None,
) -> GenerationReport:
    """Generate truth, landing files and faults.json under ``out`` (replacing earlier output).

    ``faults`` is the fraction of each entity's rows injected as row faults (every applicable
    fault kind at least once when > 0, plus one fault file per file-fault kind); 0 gives clean
    landing files equal to the truth. Deterministic: same arguments, byte-identical files.
    """
    started = time.perf_counter()
    out = Path(out)
    validate_options(out, scale, faults, fmt, files_per_entity)
    say = progress or (lambda _message: None)
    _clear_previous(out)
    report = GenerationReport(out, scale, seed, faults, fmt, files_per_entity, 0)

    with tempfile.TemporaryDirectory(prefix=".tpchgen-", dir=out) as scratch:
        say(f"tpchgen-cli: TPC-H at scale {scale:g}")
        sources = run_tpchgen(scale, Path(scratch))
        say("truth: updated_at, date shift, contract schema")
        truth, shift = build_truth(sources, seed, end_date)
    report.date_shift_days = shift
    # Parquet encoding releases the GIL: write the truth on a second thread while landing is built.
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="truth-writer")
    truth_written = executor.submit(write_truth, truth, out)
    report.truth_rows = {name: t.num_rows for name, t in truth.items()}

    manifest = Manifest(seed=seed, scale=scale, format=fmt, date_shift_days=shift)
    landing_dir = out / "landing"
    options = _LandingOptions(seed, faults, fmt, files_per_entity, landing_dir, say)
    texts = {}
    for name, landed in _land_every_entity(truth, options).items():
        texts[name] = landed.text
        manifest.faults += landed.faults
        manifest.variants += landed.variants
        report.landing_rows[name] = landed.rows
        report.landing_files += landed.files
    if faults > 0:
        say("landing: fault files")
        file_faults = write_fault_files(
            texts, landing_dir, files_per_entity, np.random.default_rng([seed, 0])
        )
        manifest.faults += file_faults
        report.fault_files = len(file_faults)
    manifest.write(report.faults_path)
    truth_written.result()
    executor.shutdown()
    report.faults_by_kind = dict(sorted(Counter(f.kind for f in manifest.faults).items()))
    report.seconds = time.perf_counter() - started
    return report
