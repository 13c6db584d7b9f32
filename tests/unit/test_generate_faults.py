"""The fault manifest is complete and exact, and cleaning the landing files gives back the truth.

Two independent recomputations from the files themselves:
- a plain diff of landing rows against truth (DuckDB): every landing row that is not a unique exact
  truth row must be in faults.json, and nothing else;
- the reference cleaner (tests.reference_cleaner, shares no code with the generator):
  its outcomes equal faults.json one for one, every rejected row breaks exactly one check, and the
  cleaned rows equal truth/ exactly (both directions, with multiplicity).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from gladiator.contracts import CONTRACTS, ENTITY_NAMES, ReasonCode
from gladiator.contracts.types import sql_type
from gladiator.generate import GenerationReport, generate
from tests.reference_cleaner import CleanResult, clean_landing, read_landing

ROW_KINDS = {
    "whitespace_noise",
    "case_noise",
    "duplicate",
    "stale_version",
    "null_required",
    "out_of_domain",
    "unparsable_number",
    "unparsable_date",
    "dangling_foreign_key",
    "ship_before_order",
}
FILE_KINDS = {
    "wrong_header",
    "missing_column",
    "extra_column",
    "wrong_delimiter",
    "empty_file",
    "header_only",
    "truncated_gzip",
    "not_utf8",
    "unknown_entity",
    "bad_parquet_schema",
    "malformed_json",
    "unknown_format",
}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> GenerationReport:
    out = tmp_path_factory.mktemp("faults")
    return generate(out, scale=0.01, seed=11, faults=0.02, fmt="mixed", files_per_entity=2)


@pytest.fixture(scope="module")
def manifest(report: GenerationReport) -> dict:
    return json.loads(report.faults_path.read_text())


@pytest.fixture(scope="module")
def cleaned(report: GenerationReport) -> CleanResult:
    return clean_landing(report.landing_dir)


def truth(report: GenerationReport, entity: str) -> pa.Table:
    return pq.read_table(report.truth_dir / entity / "part-00000.parquet")


def row_faults(manifest: dict, *kinds: str) -> set[tuple[str, int]]:
    return {
        (f["file"], f["line"])
        for f in manifest["faults"]
        if f["line"] is not None and (not kinds or f["kind"] in kinds)
    }


def test_every_fault_kind_is_injected(manifest: dict) -> None:
    kinds = Counter(f["kind"] for f in manifest["faults"])
    assert set(kinds) == ROW_KINDS | FILE_KINDS
    assert all(kinds[k] == 1 for k in FILE_KINDS)
    expected = {f["kind"]: f["expected"] for f in manifest["faults"]}
    assert expected["duplicate"] == "dropped_duplicate" and expected["stale_version"] == "dropped_stale"
    assert expected["case_noise"] == expected["whitespace_noise"] == "repaired"
    assert all(f["reason"] in {r.value for r in ReasonCode} for f in manifest["faults"] if f["reason"])


def test_landing_diff_against_truth_is_exactly_the_manifest(report: GenerationReport, manifest: dict) -> None:
    """Independent of any cleaning logic: raw landing rows (typed, not normalised) vs truth rows."""
    texts, _rejected = read_landing(report.landing_dir)
    con = duckdb.connect()
    odd: set[tuple[str, int]] = set()
    extra_copies = 0
    duplicate_lines: set[tuple[str, int]] = set()
    for name in ENTITY_NAMES:
        contract = CONTRACTS[name]
        con.register("raw", texts[name])
        con.register("truth_rows", truth(report, name))
        typed = ", ".join(
            f'TRY_CAST("{c.name}" AS {sql_type(c, "duckdb")}) AS "{c.name}"' for c in contract.columns
        )
        con.execute(f"CREATE OR REPLACE TABLE landed AS SELECT _file, _line, {typed} FROM raw")
        columns = ", ".join(f'"{c}"' for c in contract.column_names)
        # the join below is on every column, so a changed value anywhere makes the row "odd"
        odd |= set(
            con.execute(f"SELECT _file, _line FROM landed ANTI JOIN truth_rows USING ({columns})").fetchall()
        )
        copies = con.execute(
            f"SELECT count(*) - 1, list(struct_pack(f := _file, l := _line)) FROM landed SEMI JOIN truth_rows USING ({columns}) "
            f"GROUP BY {columns} HAVING count(*) > 1"
        ).fetchall()
        extra_copies += sum(c for c, _ in copies)
        duplicate_lines |= {(g["f"], g["l"]) for _, group in copies for g in group}
        missing = con.execute(
            f"SELECT count(*) FROM truth_rows ANTI JOIN landed USING ({columns})"
        ).fetchone()
        noisy = sum(1 for f in manifest["faults"] if f["entity"] == name and f["expected"] == "repaired")
        assert missing is not None and missing[0] == noisy, (
            f"{name}: truth rows absent from landing (beyond noise)"
        )
    assert odd == row_faults(manifest) - row_faults(manifest, "duplicate")
    duplicates = row_faults(manifest, "duplicate")
    assert extra_copies == len(duplicates)
    assert duplicates <= duplicate_lines


def test_reference_cleaner_gives_back_truth_exactly(report: GenerationReport, cleaned: CleanResult) -> None:
    con = duckdb.connect()
    for name in ENTITY_NAMES:
        expected = truth(report, name)
        actual = cleaned.clean[name]
        assert actual.num_rows == expected.num_rows, name
        con.register("expected", expected)
        con.register("actual", actual)
        only_expected = con.execute("SELECT * FROM expected EXCEPT ALL SELECT * FROM actual").fetchall()
        only_actual = con.execute("SELECT * FROM actual EXCEPT ALL SELECT * FROM expected").fetchall()
        assert not only_expected and not only_actual, (
            f"{name}: missing {only_expected[:3]} unexpected {only_actual[:3]}"
        )


def test_reference_outcomes_equal_the_manifest(manifest: dict, cleaned: CleanResult) -> None:
    def outcomes(kind: str) -> set[tuple]:
        return {(o.file, o.line, o.reason) for o in cleaned.outcomes if o.outcome == kind}

    def listed(kind: str) -> set[tuple]:
        return {(f["file"], f["line"], f["reason"]) for f in manifest["faults"] if f["expected"] == kind}

    for kind in ("quarantined", "dropped_stale", "repaired", "file_quarantined"):
        assert outcomes(kind) == listed(kind), kind
    several = {k: v for k, v in cleaned.reasons.items() if len(v) != 1}
    assert not several, f"rejected rows must break exactly one check: {list(several.items())[:5]}"
    # duplicates: which of two identical rows is "the copy" is arbitrary; each listed copy must be
    # one of a pair of identical valid rows, one listed copy per pair
    listed_copies = {(f, line) for f, line, _ in listed("dropped_duplicate")}
    assert len(outcomes("dropped_duplicate")) == len(listed_copies)
    assert all(len(group) == 2 and len(listed_copies & set(group)) == 1 for group in cleaned.duplicate_groups)


def test_valid_variants_are_present_and_accepted(
    report: GenerationReport, manifest: dict, cleaned: CleanResult
) -> None:
    variants = {(v["file"], v["kind"]) for v in manifest["variants"]}
    assert {kind for _, kind in variants} == {"bom", "crlf"}
    rejected = {o.file for o in cleaned.outcomes if o.outcome == "file_quarantined"}
    for file, kind in variants:
        assert file not in rejected
        data = (report.landing_dir / file).read_bytes()
        if file.endswith(".gz"):
            import gzip

            data = gzip.decompress(data)
        assert data.startswith(b"\xef\xbb\xbf") if kind == "bom" else b"\r\n" in data
    quoted = [
        c
        for name in ENTITY_NAMES
        for c in truth(report, name).to_pylist()
        if any('"' in str(v) for v in c.values())
    ]
    assert quoted, "some truth values carry a double quote (RFC 4180 quoting is exercised)"


def test_no_faults_means_landing_equals_truth(tmp_path: Path) -> None:
    report = generate(tmp_path, scale=0.01, seed=5, faults=0.0, fmt="csv")
    assert json.loads(report.faults_path.read_text())["faults"] == []
    assert sorted(p.name for p in (report.landing_dir / "orders").iterdir()) == ["orders-00000.csv"]
    result = clean_landing(report.landing_dir)
    assert not result.outcomes
    for name in ENTITY_NAMES:
        order = [(k, "ascending") for k in CONTRACTS[name].primary_key]
        assert result.clean[name].sort_by(order).equals(truth(report, name).sort_by(order)), name
