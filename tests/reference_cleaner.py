"""A small, independent reference cleaner for generated landing files (the tests' oracle).

It lives with the tests, not in the shipped package: nothing in production calls it.

It shares nothing with the generator but the contracts: it reads every landing file, rejects bad
files with a file ReasonCode, parses and normalises rows (DuckDB), rejects rows with the reasons
they break (all of them, so a test can check "exactly one"), drops exact duplicates and stale
versions (newer ``updated_at`` wins) and returns the clean rows in the contract schema.
Cleaning generated landing files with it must give back ``truth/`` exactly, and its outcomes must
match ``faults.json`` one for one. Built for test scales (SF <= 0.1): rows are parsed in Python.

    result = clean_landing(Path(out) / "landing")
    result.clean["orders"]      # pyarrow.Table, arrow_schema(orders)
    result.outcomes             # (entity, file, line, outcome, reason) of every non-plain row
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from gladiator.contracts import CONTRACTS, ENTITY_NAMES, Contract, ReasonCode
from gladiator.contracts.types import arrow_schema, sql_type
from gladiator.errors import ContractViolation
from gladiator.outcomes import ExpectedOutcome

EXTENSIONS = ("csv.gz", "csv", "jsonl", "parquet")
NUMERIC = ("bigint", "int")


@dataclass(frozen=True)
class Outcome:
    entity: str
    file: str
    line: int | None
    outcome: str  # repaired | quarantined | dropped_duplicate | dropped_stale | file_quarantined
    reason: str | None


@dataclass
class CleanResult:
    clean: dict[str, pa.Table] = field(default_factory=dict)
    outcomes: list[Outcome] = field(default_factory=list)
    reasons: dict[tuple[str, int], list[str]] = field(default_factory=dict)  # quarantined: all reasons
    duplicate_groups: list[list[tuple[str, int]]] = field(default_factory=list)  # identical valid rows


# -- reading files ----------------------------------------------------------------------------------
def _extension(name: str) -> str | None:
    return next((ext for ext in EXTENSIONS if name.endswith("." + ext)), None)


def _check_columns(names: list[str], contract: Contract) -> None:
    expected = contract.column_names
    if names == expected:
        return
    if len(names) == 1 and any(d in names[0] for d in ";|\t"):
        raise ContractViolation(ReasonCode.WRONG_DELIMITER)
    if set(names) < set(expected):
        raise ContractViolation(ReasonCode.MISSING_COLUMNS)
    if set(names) > set(expected):
        raise ContractViolation(ReasonCode.EXTRA_COLUMNS)
    raise ContractViolation(ReasonCode.WRONG_HEADER, f"header {names}")


def _decode(data: bytes) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ContractViolation(ReasonCode.NOT_UTF8, str(exc)) from None
    return text.removeprefix("\ufeff")


Rows = tuple[list[int], list[list[str | None]]]  # (line numbers, one list of raw values per column)


def _columnar(lines: list[int], rows: list[list[str | None]], width: int) -> Rows:
    return lines, [list(col) for col in zip(*rows, strict=True)] if rows else [[] for _ in range(width)]


def _csv_rows(text: str, contract: Contract) -> Rows:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        raise ContractViolation(ReasonCode.EMPTY_FILE)
    _check_columns(header, contract)
    rows = [[v if v != "" else None for v in row] for row in reader]
    if not rows:
        raise ContractViolation(ReasonCode.HEADER_ONLY)
    return _columnar(list(range(2, len(rows) + 2)), rows, len(header))


def _jsonl_rows(text: str, contract: Contract) -> Rows:
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        try:
            record = json.loads(line, parse_float=str, parse_int=str)
        except json.JSONDecodeError as exc:
            raise ContractViolation(ReasonCode.MALFORMED_JSON, f"line {number}: {exc}") from None
        _check_columns(list(record), contract)
        rows.append([None if record[c] is None else str(record[c]) for c in contract.column_names])
    if not rows:
        raise ContractViolation(ReasonCode.EMPTY_FILE)
    return _columnar(list(range(1, len(rows) + 1)), rows, len(contract.columns))


def _parquet_rows(path: Path, contract: Contract) -> Rows:
    table = pq.read_table(path)
    if table.schema.remove_metadata() != arrow_schema(contract):
        raise ContractViolation(ReasonCode.BAD_PARQUET_SCHEMA, str(table.schema))
    columns = []
    for column in contract.columns:
        values = table[column.name]
        if column.type == "timestamp":
            values = values.cast(pa.timestamp("us"))
        columns.append(values.cast(pa.string()).to_pylist())
    return list(range(1, table.num_rows + 1)), columns


def read_file(path: Path, entity: str) -> Rows:
    """(lines, raw text values per column) of one landing file; raises ContractViolation for a bad file."""
    contract = CONTRACTS[entity]
    ext = _extension(path.name)
    if ext is None:
        raise ContractViolation(ReasonCode.UNKNOWN_FORMAT)
    if path.stat().st_size == 0:
        raise ContractViolation(ReasonCode.EMPTY_FILE)
    if ext == "parquet":
        return _parquet_rows(path, contract)
    data = path.read_bytes()
    if ext == "csv.gz":
        try:
            data = gzip.decompress(data)
        except (EOFError, OSError, zlib.error) as exc:
            raise ContractViolation(ReasonCode.TRUNCATED_GZIP, str(exc)) from None
    text = _decode(data)
    return _jsonl_rows(text, contract) if ext == "jsonl" else _csv_rows(text, contract)


def read_landing(landing_dir: Path) -> tuple[dict[str, pa.Table], list[Outcome]]:
    """Every landing row as text (+ ``_file``, ``_line``) per entity, and the rejected files."""
    parts: dict[str, list[pa.Table]] = {name: [] for name in ENTITY_NAMES}
    rejected = []
    for path in sorted(p for p in landing_dir.rglob("*") if p.is_file()):
        key = path.relative_to(landing_dir).as_posix()
        entity = key.split("/", 1)[0]
        try:
            if entity not in CONTRACTS or "/" not in key:
                raise ContractViolation(ReasonCode.UNKNOWN_ENTITY)
            lines, columns = read_file(path, entity)
        except ContractViolation as exc:
            rejected.append(Outcome(entity, key, None, ExpectedOutcome.FILE_QUARANTINED, exc.reason.value))
            continue
        parts[entity].append(_text_table(CONTRACTS[entity], key, lines, columns))
    tables = {
        name: pa.concat_tables(found)
        if found
        else _text_table(CONTRACTS[name], "", [], [[] for _ in CONTRACTS[name].columns])
        for name, found in parts.items()
    }
    return tables, rejected


def _text_table(contract: Contract, key: str, lines: list[int], columns: list[list[str | None]]) -> pa.Table:
    schema = pa.schema(
        [
            *(pa.field(c, pa.string()) for c in contract.column_names),
            ("_file", pa.string()),
            ("_line", pa.int64()),
        ]
    )
    arrays = [pa.array(col, pa.string()) for col in columns]
    arrays += [pa.array([key] * len(lines), pa.string()), pa.array(lines, pa.int64())]
    return pa.Table.from_arrays(arrays, schema=schema)


# -- cleaning rows ----------------------------------------------------------------------------------
def _normalised(column_name: str, normalize: str) -> str:
    q = f'"{column_name}"'
    return {"trim": f"trim({q})", "upper": f"upper(trim({q}))"}.get(normalize, q)


def _typed_select(contract: Contract) -> str:
    parts = []
    for c in contract.columns:
        value = _normalised(c.name, c.normalize)
        parts.append(f'TRY_CAST({value} AS {sql_type(c, "duckdb")}) AS "{c.name}"')
    return ", ".join(parts)


def _reason_checks(contract: Contract) -> list[tuple[str, str]]:
    """(reason, SQL that is TRUE when the row breaks it) over raw r.* and typed t.*."""
    checks = []
    for c in contract.columns:
        checks.append((ReasonCode.NULL_REQUIRED.value, f'r."{c.name}" IS NULL'))
        if c.type in NUMERIC or c.type.startswith("decimal"):
            checks.append(
                (ReasonCode.UNPARSABLE_NUMBER.value, f'r."{c.name}" IS NOT NULL AND t."{c.name}" IS NULL')
            )
        if c.type in ("date", "timestamp"):
            checks.append(
                (ReasonCode.UNPARSABLE_DATE.value, f'r."{c.name}" IS NOT NULL AND t."{c.name}" IS NULL')
            )
    for rule in contract.rules:
        checks.append((rule.reason.value, f"NOT coalesce(({_qualify(rule.predicate, contract)}), TRUE)"))
    return checks


def _qualify(predicate: str, contract: Contract) -> str:
    import re

    return re.sub(r"\b(" + "|".join(contract.column_names) + r")\b", r't."\1"', predicate)


def clean_landing(landing_dir: Path) -> CleanResult:
    """Clean every generated landing file (see the module docstring)."""
    tables, rejected = read_landing(Path(landing_dir))
    result = CleanResult(outcomes=list(rejected))
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    for name in ENTITY_NAMES:
        contract = CONTRACTS[name]
        con.register(f"raw_{name}", tables[name])
        con.execute(
            f"CREATE TABLE typed_{name} AS SELECT r._file, r._line, {_typed_select(contract)} FROM raw_{name} r"
        )
        checks = _reason_checks(contract)
        for fk in contract.foreign_keys:
            on = " AND ".join(
                f'p."{b}" = t."{a}"' for a, b in zip(fk.columns, fk.referenced_columns, strict=True)
            )
            present = " AND ".join(f't."{a}" IS NOT NULL' for a in fk.columns)
            checks.append(
                (
                    ReasonCode.DANGLING_FOREIGN_KEY.value,
                    f"{present} AND NOT EXISTS (SELECT 1 FROM clean_{fk.references} p WHERE {on})",
                )
            )
        for cross in contract.cross_rules:
            on = " AND ".join(f'o."{b}" = t."{a}"' for a, b in cross.join)
            predicate = _qualify(cross.predicate, contract)
            other = CONTRACTS[cross.other]
            for col in other.column_names:
                predicate = predicate.replace(col, f'o."{col}"')
            checks.append(
                (
                    cross.reason.value,
                    f"EXISTS (SELECT 1 FROM clean_{cross.other} o WHERE {on} AND NOT coalesce({predicate}, TRUE))",
                )
            )
        reasons = (
            "list_value(" + ", ".join(f"CASE WHEN {sql} THEN '{reason}' END" for reason, sql in checks) + ")"
        )
        con.execute(
            f"""CREATE TABLE checked_{name} AS
                SELECT t.*, list_distinct(list_filter({reasons}, x -> x IS NOT NULL)) AS _reasons,
                       ({" OR ".join(f'r."{c.name}" IS DISTINCT FROM t."{c.name}"::VARCHAR' for c in contract.columns if c.normalize != "none")} ) AS _changed
                FROM raw_{name} r JOIN typed_{name} t USING (_file, _line)"""
            if any(c.normalize != "none" for c in contract.columns)
            else f"""CREATE TABLE checked_{name} AS
                SELECT t.*, list_distinct(list_filter({reasons}, x -> x IS NOT NULL)) AS _reasons, FALSE AS _changed
                FROM raw_{name} r JOIN typed_{name} t USING (_file, _line)"""
        )
        for file, line, row_reasons in con.execute(
            f"SELECT _file, _line, list_sort(_reasons) FROM checked_{name} WHERE len(_reasons) > 0"
        ).fetchall():
            result.reasons[(file, line)] = row_reasons
            result.outcomes.append(Outcome(name, file, line, ExpectedOutcome.QUARANTINED, row_reasons[0]))
        columns = ", ".join(f'"{c}"' for c in contract.column_names)
        pk = ", ".join(f'"{c}"' for c in contract.primary_key)
        con.execute(
            f"""CREATE TABLE ranked_{name} AS
                SELECT *, row_number() OVER (PARTITION BY {columns} ORDER BY _file, _line) AS _copy,
                          count(*) OVER (PARTITION BY {columns}) AS _copies
                FROM checked_{name} WHERE len(_reasons) = 0"""
        )
        for group in con.execute(
            f"SELECT list(struct_pack(f := _file, l := _line) ORDER BY _file, _line) FROM ranked_{name} "
            f"WHERE _copies > 1 GROUP BY {columns}"
        ).fetchall():
            result.duplicate_groups.append([(g["f"], g["l"]) for g in group[0]])
        for file, line in con.execute(f"SELECT _file, _line FROM ranked_{name} WHERE _copy > 1").fetchall():
            result.outcomes.append(
                Outcome(name, file, line, ExpectedOutcome.DROPPED_DUPLICATE, ReasonCode.DUPLICATE.value)
            )
        con.execute(
            f"""CREATE TABLE versions_{name} AS
                SELECT *, row_number() OVER (PARTITION BY {pk} ORDER BY updated_at DESC) AS _rank,
                          count(*) OVER (PARTITION BY {pk}, updated_at) AS _ties
                FROM ranked_{name} WHERE _copy = 1"""
        )
        ties = con.execute(f"SELECT count(*) FROM versions_{name} WHERE _ties > 1").fetchone()
        assert ties is not None and ties[0] == 0, f"{name}: two different rows share a key and updated_at"
        for file, line in con.execute(f"SELECT _file, _line FROM versions_{name} WHERE _rank > 1").fetchall():
            result.outcomes.append(
                Outcome(name, file, line, ExpectedOutcome.DROPPED_STALE, ReasonCode.STALE_VERSION.value)
            )
        for file, line in con.execute(
            f"SELECT _file, _line FROM versions_{name} WHERE _rank = 1 AND _changed"
        ).fetchall():
            result.outcomes.append(Outcome(name, file, line, ExpectedOutcome.REPAIRED, None))
        con.execute(
            f"CREATE TABLE clean_{name} AS SELECT {columns} FROM versions_{name} WHERE _rank = 1 ORDER BY {pk}"
        )
        clean = con.execute(f"SELECT {columns} FROM clean_{name} ORDER BY {pk}").to_arrow_table()
        result.clean[name] = clean.cast(arrow_schema(contract))
    con.close()
    return result
