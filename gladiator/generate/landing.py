"""Landing files of one entity: truth rows (some with noise) and injected rows, split into files.

Row order is the truth order with each injected row placed after a chosen truth row; file ``i`` of
``N`` holds the ``i``-th contiguous slice of truth rows plus the rows placed among them. Positions
are computed arithmetically (no per-row Python), so line numbers in faults.json are exact.
"""

from __future__ import annotations

import gzip
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from gladiator.contracts import Contract
from gladiator.formats import FORMATS, MIXED
from gladiator.generate.manifest import Fault
from gladiator.generate.render import text_schema, to_typed, write_jsonl, write_parquet
from gladiator.generate.row_faults import PlannedRow

BOM = b"\xef\xbb\xbf"
GZIP_LEVEL = 1  # speed over size: landing files are transient
MAX_INSERTION_POINTS = 1000
VARIANT_FREE = ("orders", "lineitem")  # big files: rewriting them in memory for BOM/CRLF costs too much


@dataclass(frozen=True)
class LandingFile:
    entity: str
    index: int
    fmt: str
    start: int  # first truth row (inclusive)
    stop: int  # last truth row (exclusive)
    bom: bool = False
    crlf: bool = False

    @property
    def name(self) -> str:
        return f"{self.entity}-{self.index:05d}.{self.fmt}"

    @property
    def key(self) -> str:
        return f"{self.entity}/{self.name}"

    @property
    def is_text(self) -> bool:
        return self.fmt != "parquet"

    @property
    def header_lines(self) -> int:
        return 1 if self.fmt in ("csv", "csv.gz") else 0


def plan_files(entity: str, entity_index: int, rows: int, fmt: str, files: int) -> list[LandingFile]:
    """The valid landing files of one entity (formats rotate in ``mixed`` mode)."""
    planned = []
    for i in range(files):
        file_fmt = FORMATS[(entity_index + i) % len(FORMATS)] if fmt == MIXED else fmt
        variant = (entity_index + i) % 4 if entity not in VARIANT_FREE and file_fmt != "parquet" else 0
        planned.append(
            LandingFile(
                entity=entity,
                index=i,
                fmt=file_fmt,
                start=i * rows // files,
                stop=(i + 1) * rows // files,
                bom=variant in (1, 3) and file_fmt in ("csv", "csv.gz"),
                crlf=variant in (2, 3),
            )
        )
    return planned


def place_rows(planned: list[PlannedRow], files: list[LandingFile], rng: np.random.Generator) -> np.ndarray:
    """For every injected (non-noise) row, the truth row it follows; text-only rows go to text files.

    Rows are spread over at most MAX_INSERTION_POINTS random places per file (several injected
    rows may follow one truth row): the landing data is then a concatenation of a few thousand
    zero-copy slices instead of a gather of every row (the difference at SF1 is seconds).
    """
    all_ranges = [(f.start, f.stop) for f in files if f.stop > f.start]
    text_ranges = [(f.start, f.stop) for f in files if f.stop > f.start and f.is_text]
    positions = np.zeros(len(planned), dtype=np.int64)
    for ranges, wanted in ((all_ranges, False), (text_ranges, True)):
        chosen = [i for i, p in enumerate(planned) if p.text_only == wanted]
        if not chosen:
            continue
        if not ranges:
            raise ValueError("text-only rows planned but no text landing file")
        sizes = np.array([b - a for a, b in ranges])
        points = min(len(chosen), MAX_INSERTION_POINTS * len(ranges))
        draws = rng.integers(0, sizes.sum(), size=points)
        bounds = np.cumsum(sizes)
        slot = np.searchsorted(bounds, draws, side="right")
        offsets = draws - np.r_[0, bounds[:-1]][slot]
        starts = np.array([a for a, _ in ranges])
        spots = starts[slot] + offsets
        positions[chosen] = (
            spots if points == len(chosen) else spots[rng.integers(0, points, size=len(chosen))]
        )
    return positions


def _write_csv(table: pa.Table, path: Path, landing: LandingFile) -> None:
    if not (landing.bom or landing.crlf):
        if landing.fmt == "csv":
            pacsv.write_csv(table, path)
            return
        with (
            path.open("wb") as raw,
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=GZIP_LEVEL) as sink,
        ):
            pacsv.write_csv(table, sink)
        return
    buffer = pa.BufferOutputStream()
    pacsv.write_csv(table, buffer)
    data = buffer.getvalue().to_pybytes()
    if landing.crlf:
        data = data.replace(b"\n", b"\r\n")
    if landing.bom:
        data = BOM + data
    if landing.fmt == "csv.gz":
        data = gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)
    path.write_bytes(data)


def _write_jsonl(table: pa.Table, path: Path, landing: LandingFile, contract: Contract) -> None:
    if not landing.crlf:
        with path.open("wb") as sink:
            write_jsonl(table, contract, sink)
        return
    buffer = io.BytesIO()
    write_jsonl(table, contract, buffer)
    path.write_bytes(buffer.getvalue().replace(b"\n", b"\r\n"))


def write_file(table: pa.Table, path: Path, landing: LandingFile, contract: Contract) -> None:
    """Write one landing file in its format (see docs/HELPERS.md "Generated data")."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if landing.fmt in ("csv", "csv.gz"):
        _write_csv(table, path, landing)
    elif landing.fmt == "jsonl":
        _write_jsonl(table, path, landing, contract)
    else:
        write_parquet(to_typed(table, contract), path, contract)


def _interleave(
    text: pa.Table,
    noise: list[PlannedRow],
    noise_table: pa.Table,
    sorted_positions: np.ndarray,
    order: np.ndarray,
    extra_table: pa.Table,
) -> pa.Table:
    """Truth rows in order, noisy rows in place of their truth row, each extra row after its
    position: a zero-copy concatenation of slices (no gather of the big table)."""
    events = sorted(
        [(int(p.replaces), 0, k) for k, p in enumerate(noise) if p.replaces is not None]
        + [(int(sorted_positions[rank]), 1, int(order[rank])) for rank in range(len(order))],
    )
    if not events:
        return text
    segments = []
    cursor = 0
    for row, is_extra, index in events:
        stop = row + 1 if is_extra else row
        if stop > cursor:
            segments.append(text.slice(cursor, stop - cursor))
        segments.append((extra_table if is_extra else noise_table).slice(index, 1))
        cursor = row + 1
    if cursor < text.num_rows:
        segments.append(text.slice(cursor))
    return pa.concat_tables(segments)


def write_entity_landing(
    contract: Contract,
    text: pa.Table,
    planned: list[PlannedRow],
    files: list[LandingFile],
    landing_dir: Path,
    rng: np.random.Generator,
) -> tuple[list[Fault], int]:
    """Write the entity's landing files; returns (row faults with their file and line, rows written)."""
    noise = [p for p in planned if p.replaces is not None]
    extras = [p for p in planned if p.replaces is None]
    schema = text_schema(contract)
    noise_table = _rows_table([p.values for p in noise], schema)
    extra_table = _rows_table([p.values for p in extras], schema)

    positions = place_rows(extras, files, rng)
    order = np.argsort(positions, kind="stable")
    sorted_positions = positions[order]
    ordered = _interleave(text, noise, noise_table, sorted_positions, order, extra_table)

    def ordered_position(truth_rows: np.ndarray) -> np.ndarray:
        return truth_rows + np.searchsorted(sorted_positions, truth_rows, side="left")

    stops = np.array([f.stop for f in files])
    file_starts = ordered_position(np.array([f.start for f in files]))
    file_stops = ordered_position(stops)
    for landing, first, last in zip(files, file_starts, file_stops, strict=True):
        write_file(ordered.slice(int(first), int(last - first)), landing_dir / landing.key, landing, contract)

    # where each non-plain row ended up: its truth row decides the file, its rank the line
    noise_rows = np.array([p.replaces for p in noise], dtype=np.int64)
    truth_rows = np.concatenate([noise_rows, sorted_positions])
    ordered_at = np.concatenate([ordered_position(noise_rows), sorted_positions + 1 + np.arange(len(order))])
    file_index = np.searchsorted(stops, truth_rows, side="right")
    headers = np.array([f.header_lines for f in files])
    lines = ordered_at - file_starts[file_index] + 1 + headers[file_index]
    rows = noise + [extras[i] for i in order]
    keys = [f.key for f in files]
    faults = [
        Fault(contract.name, keys[f], line, p.kind, p.expected, p.reason.value if p.reason else None,
              p.column, p.key, p.detail)
        for p, f, line in zip(rows, file_index.tolist(), lines.tolist(), strict=True)
    ]  # fmt: skip
    return faults, ordered.num_rows


def _rows_table(rows: list[dict[str, str | None]], schema: pa.Schema) -> pa.Table:
    return pa.table(
        {name: pa.array([r[name] for r in rows], pa.string()) for name in schema.names}, schema=schema
    )
