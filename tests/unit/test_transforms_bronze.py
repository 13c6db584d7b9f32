"""Landing file parsing: raw text kept exactly, 1-based line numbers, malformed rows kept."""

from __future__ import annotations

import gzip
import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from gladiator.contracts import get_contract
from gladiator.contracts.types import arrow_schema
from gladiator.formats import format_of
from gladiator.transforms import bronze

REGION = get_contract("region")
TS = "2024-01-02 03:04:05.123456"


def rows(table: pa.Table) -> list[dict]:
    return sorted(table.to_pylist(), key=lambda r: r[bronze.SOURCE_LINE])


def test_csv_bom_crlf_quotes_empty_is_null_and_line_numbers():
    data = (
        "\ufeffr_regionkey,r_name,r_comment,updated_at\r\n"
        f'0,AFRICA,"a, quoted ""comment""",{TS}\r\n'
        f"1, america ,,{TS}\r\n"
    ).encode()
    out = rows(bronze.parse_landing_file(data, "csv", REGION))
    assert [r[bronze.SOURCE_LINE] for r in out] == [2, 3]
    assert out[0]["r_comment"] == 'a, quoted "comment"'
    assert out[1]["r_name"] == " america "  # raw text: normalisation happens in silver
    assert out[1]["r_comment"] is None
    assert out[0]["updated_at"] == TS
    assert all(r[bronze.PARSE_ERROR] is None for r in out)


def test_csv_wrong_field_count_is_kept_as_malformed_with_its_line():
    data = f"r_regionkey,r_name,r_comment,updated_at\n0,AFRICA,c,{TS}\n1,AMERICA\n2,ASIA,c,{TS},extra\n3,EUROPE,c,{TS}\n"
    out = rows(bronze.parse_landing_file(data.encode(), "csv", REGION))
    assert [r[bronze.SOURCE_LINE] for r in out] == [2, 3, 4, 5]
    malformed = {r[bronze.SOURCE_LINE]: r for r in out if r[bronze.PARSE_ERROR]}
    assert set(malformed) == {3, 4}
    assert malformed[3][bronze.RAW_RECORD] == "1,AMERICA"
    assert "expected 4 fields, got 2" in malformed[3][bronze.PARSE_ERROR]
    assert out[3]["r_name"] == "EUROPE"


def test_csv_gz_is_decompressed():
    data = gzip.compress(f"r_regionkey,r_name,r_comment,updated_at\n4,MIDDLE EAST,c,{TS}\n".encode())
    out = rows(bronze.parse_landing_file(data, "csv.gz", REGION))
    assert out[0]["r_name"] == "MIDDLE EAST" and out[0][bronze.SOURCE_LINE] == 2


def test_jsonl_keeps_number_text_and_flags_bad_lines():
    lineitem = get_contract("lineitem")
    good = {
        "l_orderkey": 1,
        "l_quantity": 12.30,
        "l_discount": 0.05,
        "l_shipdate": "1995-01-02",
        "l_comment": None,
    }
    data = "\n".join([json.dumps(good), "{not json", "[1, 2]", "", json.dumps({"l_orderkey": "x"})]) + "\n"
    out = rows(bronze.parse_landing_file(data.encode(), "jsonl", lineitem))
    assert [r[bronze.SOURCE_LINE] for r in out] == [1, 2, 3, 5]
    assert out[0]["l_quantity"] == "12.3" and out[0]["l_orderkey"] == "1"
    assert out[0]["l_comment"] is None and out[0]["l_partkey"] is None
    assert out[1][bronze.PARSE_ERROR] and out[2][bronze.PARSE_ERROR]
    assert out[3]["l_orderkey"] == "x" and out[3][bronze.PARSE_ERROR] is None


def test_parquet_typed_values_become_csv_text():
    orders = get_contract("orders")
    import datetime as dt
    from decimal import Decimal

    row = {
        "o_orderkey": 7,
        "o_custkey": 1,
        "o_orderstatus": "F",
        "o_totalprice": Decimal("12.30"),
        "o_orderdate": dt.date(1995, 1, 2),
        "o_orderpriority": "1-URGENT",
        "o_clerk": "Clerk#1",
        "o_shippriority": 0,
        "o_comment": "c",
        "updated_at": dt.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=dt.UTC),
    }
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pylist([row], schema=arrow_schema(orders)), buffer)
    out = rows(bronze.parse_landing_file(buffer.getvalue(), "parquet", orders))
    assert out[0]["o_totalprice"] == "12.30"
    assert out[0]["o_orderdate"] == "1995-01-02"
    assert out[0]["updated_at"] == TS
    assert out[0][bronze.SOURCE_LINE] == 1


@pytest.mark.parametrize(
    ("key", "fmt"),
    [
        ("a/b.csv", "csv"),
        ("a/b.csv.gz", "csv.gz"),
        ("a/b.jsonl", "jsonl"),
        ("a/b.parquet", "parquet"),
        ("a/b.tsv", None),
    ],
)
def test_format_of(key, fmt):
    assert format_of(key) == fmt


@pytest.mark.parametrize("fmt", ["csv", "csv.gz"])
def test_csv_streamed_in_small_blocks_keeps_every_record_and_its_line(tmp_path, monkeypatch, fmt):
    """Bad records spread over many read blocks: each good row keeps its record number, each bad
    one is kept once, from a local file as from bytes."""
    monkeypatch.setattr(bronze, "CSV_BLOCK_BYTES", 256)
    lines = ["r_regionkey,r_name,r_comment,updated_at"]
    for i in range(2, 400):
        lines.append(
            f"{i},R{i}" if i % 37 == 0 else f'{i},R{i},"c\n{i}",{TS}' if i % 11 == 0 else f"{i},R{i},c,{TS}"
        )
    data = ("\n".join(lines) + "\n").encode()
    if fmt == "csv.gz":
        data = gzip.compress(data)
    path = tmp_path / f"region.{fmt}"
    path.write_bytes(data)
    batches = list(bronze.iter_landing_file(str(path), fmt, REGION))
    assert len(batches) > 10  # really streamed
    out = rows(pa.Table.from_batches(batches))
    assert out == rows(bronze.parse_landing_file(data, fmt, REGION))
    assert [r[bronze.SOURCE_LINE] for r in out] == list(range(2, 400))
    for r in out:
        line = r[bronze.SOURCE_LINE]
        assert (r[bronze.PARSE_ERROR] is not None) == (line % 37 == 0)
        if line % 37:
            assert r["r_regionkey"] == str(line)
            assert r["r_comment"] == (f"c\n{line}" if line % 11 == 0 else "c")
        else:
            assert r[bronze.RAW_RECORD] == f"{line},R{line}"


def test_jsonl_and_parquet_come_in_bounded_batches(tmp_path, monkeypatch):
    monkeypatch.setattr(bronze, "ROWS_PER_ARROW_BATCH", 10)
    data = "".join(json.dumps({"r_regionkey": i, "r_name": f"R{i}"}) + "\n" for i in range(1, 96)).encode()
    batches = list(bronze.iter_landing_file(data, "jsonl", REGION))
    assert [b.num_rows for b in batches] == [10] * 9 + [5]
    table = pa.Table.from_batches(batches)
    assert table.column(bronze.SOURCE_LINE).to_pylist() == list(range(1, 96))
    path = tmp_path / "region.parquet"
    pq.write_table(pa.table({"r_regionkey": list(range(95)), "r_name": [f"R{i}" for i in range(95)]}), path)
    batches = list(bronze.iter_landing_file(str(path), "parquet", REGION))
    assert max(b.num_rows for b in batches) <= 10
    table = pa.Table.from_batches(batches)
    assert table.column(bronze.SOURCE_LINE).to_pylist() == list(range(1, 96))
    assert table.column("r_regionkey").to_pylist() == [str(i) for i in range(95)]
