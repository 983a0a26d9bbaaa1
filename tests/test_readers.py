"""Readers: encodings, delimiters, Excel, JSON, Parquet, DuckDB, PostgreSQL, streaming."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from icpkit.errors import ReadError
from icpkit.intake import iter_batches, load, load_batches, read_table, sniff
from icpkit.intake._arrow import table_warnings

ROWS = "name,city,revenue\nSociété Générale,Paris,€ 1.200\nCafé Müller,Malmö,€3 bn\n"


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# ---------------------------------------------------------------- encodings


@pytest.mark.parametrize(
    ("encoding", "prefix", "detected"),
    [
        ("utf-8", b"", {"utf-8"}),
        ("utf-8", b"\xef\xbb\xbf", {"utf-8-sig"}),
        ("cp1252", b"", {"cp1252"}),
    ],
)
def test_encodings_are_detected_and_values_decode_exactly(
    tmp_path: Path, encoding: str, prefix: bytes, detected: set[str]
) -> None:
    path = _write(tmp_path, "a.csv", prefix + ROWS.encode(encoding))
    info = sniff(path)
    assert info.encoding in detected
    assert info.has_bom == bool(prefix)
    table = read_table(path)
    assert table.column_names == ["name", "city", "revenue"]  # no BOM in the first name
    assert table.column("name").to_pylist() == ["Société Générale", "Café Müller"]
    assert table.column("revenue").to_pylist() == ["€ 1.200", "€3 bn"]


def test_utf16_unicode_text_from_excel(tmp_path: Path) -> None:
    # Excel's "Unicode Text" export: UTF-16 with a BOM, tab-separated, CRLF.
    text = "Account Name\tEmployees\r\nSociété Générale\t1200\r\nZürich AG\t51-200\r\n"
    path = _write(tmp_path, "export.txt", text.encode("utf-16"))
    info = sniff(path)
    assert (info.encoding, info.delimiter, info.has_bom) == ("utf-16", "\t", True)
    assert read_table(path).column("Account Name").to_pylist() == ["Société Générale", "Zürich AG"]
    assert [b.num_rows for b in iter_batches(path)] == [2]


def test_latin1_decodes_exactly(tmp_path: Path) -> None:
    text = "name,city\nRenée Dubois,Düsseldorf\nJosé Álvarez,Málaga\nÅsa Ørsted,Århus\n"
    path = _write(tmp_path, "latin.csv", text.encode("latin-1"))
    # cp1252 is a superset of latin-1 for every printable character, so either name is right.
    assert sniff(path).encoding in {"cp1252", "latin-1", "iso8859-1"}
    table = read_table(path)
    assert table.column("name").to_pylist() == ["Renée Dubois", "José Álvarez", "Åsa Ørsted"]
    assert table.column("city").to_pylist() == ["Düsseldorf", "Málaga", "Århus"]


def test_bom_with_explicit_utf8_does_not_leak_into_the_header(tmp_path: Path) -> None:
    path = _write(tmp_path, "a.csv", b"\xef\xbb\xbfId,Name\n1,Acme\n")
    assert read_table(path, encoding="utf-8").column_names == ["Id", "Name"]


def test_explicit_encoding_wins(tmp_path: Path) -> None:
    path = _write(tmp_path, "a.csv", "name\nœuvre\n".encode("cp1252"))
    assert read_table(path, encoding="latin-1").column("name").to_pylist() == ["\x9cuvre"]
    assert read_table(path).column("name").to_pylist() == ["œuvre"]


# ---------------------------------------------------------------- delimiters and shape


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiters_are_detected(tmp_path: Path, delimiter: str) -> None:
    rows = [
        ["Company", "Employees", "Country"],
        ["Acme, Inc.", "1,200", "US"],
        ["Beta", "30", "DE"],
    ]
    body = "\n".join(
        delimiter.join(f'"{v}"' if delimiter in v or "," in v else v for v in row) for row in rows
    )
    path = _write(tmp_path, "a.csv", (body + "\n").encode())
    assert sniff(path).delimiter == delimiter
    table = read_table(path)
    assert table.column_names == ["Company", "Employees", "Country"]
    assert table.column("Company").to_pylist() == ["Acme, Inc.", "Beta"]
    assert table.column("Employees").to_pylist() == ["1,200", "30"]


def test_tsv_extension_reads_tabs(tmp_path: Path) -> None:
    path = _write(tmp_path, "a.tsv", b"a\tb\n1\t2\n")
    assert read_table(path).to_pydict() == {"a": ["1"], "b": ["2"]}


def test_csv_values_stay_raw_strings_and_blanks_are_null(tmp_path: Path) -> None:
    path = _write(tmp_path, "a.csv", b"id,employees,flag\n007,51-200,TRUE\n008,,\n")
    table = read_table(path)
    assert all(pa.types.is_string(t) for t in table.schema.types)
    assert table.to_pydict() == {
        "id": ["007", "008"],
        "employees": ["51-200", None],
        "flag": ["TRUE", None],
    }


def test_quoted_newlines_and_crlf(tmp_path: Path) -> None:
    path = _write(tmp_path, "a.csv", b'name,notes\r\nAcme,"line one\r\nline two"\r\nBeta,x\r\n')
    table = read_table(path)
    assert table.num_rows == 2
    assert table.column("notes").to_pylist()[0].splitlines() == ["line one", "line two"]


def test_blank_and_duplicate_headers_are_repaired_with_warnings(tmp_path: Path) -> None:
    path = _write(tmp_path, "a.csv", b"Name,,Name,Name\na,b,c,d\n")
    table = read_table(path)
    assert table.column_names == ["Name", "column_2", "Name_2", "Name_3"]
    warnings = table_warnings(table)
    assert len(warnings) == 3
    assert any("no header" in w for w in warnings)


def test_sniff_reports_format_and_size(tmp_path: Path) -> None:
    path = _write(tmp_path, "a.csv", b"a;b\n1;2\n")
    info = sniff(path)
    assert (info.format, info.delimiter, info.size, info.has_bom) == ("csv", ";", 8, False)
    assert info.to_dict()["encoding"] == "utf-8"


# ---------------------------------------------------------------- Excel, JSON, Parquet


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Accounts"
    sheet.append(["Account Name", "Employees", "Revenue", "Since", "Active"])
    sheet.append(["Acme", 250, 1.5e6, dt.datetime(2020, 1, 31), True])
    sheet.append(["Beta", 30, None, dt.datetime(2021, 6, 1), False])
    other = book.create_sheet("Deals")
    other.append(["Deal", "Amount"])
    other.append(["D1", "12,000"])
    path = tmp_path / "crm.xlsx"
    book.save(path)
    return path


def test_excel_keeps_types_and_reads_sheets_by_name_or_index(workbook: Path) -> None:
    table = read_table(workbook)
    assert table.column_names == ["Account Name", "Employees", "Revenue", "Since", "Active"]
    assert table.column("Employees").to_pylist() == [250, 30]
    assert table.column("Revenue").to_pylist() == [1.5e6, None]
    assert table.column("Active").to_pylist() == [True, False]
    assert str(table.column("Since").to_pylist()[0])[:10] == "2020-01-31"
    assert read_table(workbook, sheet="Deals").to_pydict() == {"Deal": ["D1"], "Amount": ["12,000"]}
    assert read_table(workbook, sheet=1).column_names == ["Deal", "Amount"]


def test_excel_bad_sheet_lists_the_sheets(workbook: Path) -> None:
    with pytest.raises(ReadError, match=r"no sheet 'Deal'.*Did you mean 'Deals'.*'Accounts'"):
        read_table(workbook, sheet="Deal")


def test_json_array_object_wrapper_and_nested_records(tmp_path: Path) -> None:
    records = [
        {"id": 1, "name": "Acme", "hq": {"country": "US", "city": "NYC"}},
        {"id": 2, "name": "Beta", "employees": 40},  # a key the first record does not have
    ]
    path = _write(tmp_path, "a.json", json.dumps(records).encode())
    table = read_table(path)
    assert table.column_names == ["id", "name", "hq.country", "hq.city", "employees"]
    assert table.column("employees").to_pylist() == [None, 40]
    assert table.column("id").type == pa.int64()
    wrapped = _write(tmp_path, "b.json", json.dumps({"results": records}).encode())
    assert read_table(wrapped).num_rows == 2


def test_jsonl_and_its_errors(tmp_path: Path) -> None:
    path = _write(tmp_path, "a.jsonl", b'{"a": 1, "b": "x"}\n\n{"a": 2.5, "b": null}\n')
    table = read_table(path)
    assert table.to_pydict() == {"a": [1.0, 2.5], "b": ["x", None]}
    bad = _write(tmp_path, "bad.jsonl", b'{"a": 1}\n{"a": \n')
    with pytest.raises(ReadError) as info:
        read_table(bad)
    assert info.value.row == 2


def test_mixed_types_in_a_json_column_become_text(tmp_path: Path) -> None:
    path = _write(tmp_path, "a.json", json.dumps([{"v": 1}, {"v": "n/a"}, {"v": [1, 2]}]).encode())
    assert read_table(path).column("v").to_pylist() == ["1", "n/a", "[1, 2]"]


def test_parquet_keeps_types(tmp_path: Path) -> None:
    path = tmp_path / "a.parquet"
    pq.write_table(pa.table({"n": [1, 2], "x": [0.5, None], "s": ["a", "b"]}), path)
    table = read_table(path)
    assert table.schema.types == [pa.int64(), pa.float64(), pa.string()]
    assert sniff(path).format == "parquet"


# ---------------------------------------------------------------- SQL


@pytest.fixture
def duck(tmp_path: Path) -> Path:
    path = tmp_path / "crm.duckdb"
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE accounts AS SELECT * FROM (VALUES (1, 'Acme', 250, 'US'),"
        " (2, 'Beta', 30, 'DE')) t(account_id, name, employees, country)"
    )
    con.execute("CREATE TABLE deals (deal_id INTEGER, amount DOUBLE)")
    con.close()
    return path


def test_duckdb_table_query_and_path(duck: Path) -> None:
    url = f"duckdb:///{duck}"
    table = read_table(url, table="accounts")
    assert table.column("name").to_pylist() == ["Acme", "Beta"]
    assert pa.types.is_integer(table.column("employees").type)
    result = read_table(url, query="SELECT name FROM accounts WHERE employees > 100")
    assert result.to_pydict() == {"name": ["Acme"]}
    assert read_table(duck, table="deals").num_rows == 0  # a .duckdb path works too
    batches = list(load_batches(url, table="accounts", batch_size=1))
    assert [b.num_rows for b in batches] == [1, 1]
    assert batches[1].column("country").to_pylist() == ["DE"]
    loaded = load(url, table="accounts")
    assert loaded.kind == "accounts"
    assert loaded.table.column("country").to_pylist() == ["US", "DE"]


def test_duckdb_errors(duck: Path) -> None:
    url = f"duckdb:///{duck}"
    with pytest.raises(ReadError, match=r"no table 'acounts'.*Did you mean 'accounts'"):
        read_table(url, table="acounts")
    with pytest.raises(ReadError, match=r"needs a table or a query.*accounts, deals"):
        read_table(url)
    with pytest.raises(ReadError, match="query failed"):
        read_table(url, query="SELECT nope FROM accounts")


def test_postgresql_table_query_stream_and_errors(postgres_url: str) -> None:
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as con:
        con.execute("DROP TABLE IF EXISTS crm_accounts")
        con.execute(
            "CREATE TABLE crm_accounts (id integer, name text, employees integer,"
            " revenue numeric(12,2), country text, created timestamptz, tags jsonb)"
        )
        with con.cursor() as cur:
            cur.executemany(
                "INSERT INTO crm_accounts VALUES (%s, %s, %s, %s, %s, now(), NULL)",
                [
                    (i, f"Co {i}", 10 * i, 1000.5 * i, "US" if i % 2 else "Germany")
                    for i in range(25)
                ],
            )
            cur.execute("""UPDATE crm_accounts SET tags = '{"tier": 1}' WHERE id = 24""")
    table = read_table(postgres_url, table="crm_accounts")
    assert table.num_rows == 25
    assert table.column("revenue").type == pa.float64()  # numeric -> float, not Decimal
    assert pa.types.is_timestamp(table.column("created").type)
    tags = table.sort_by("id").column("tags")
    assert tags.type == pa.string()  # jsonb (and other exotic types) -> text
    assert "tier" in tags.to_pylist()[-1]
    assert table.column("name").to_pylist()[:2] == ["Co 0", "Co 1"]
    small = read_table(postgres_url, query="SELECT name FROM crm_accounts WHERE id < 3")
    assert small.to_pydict() == {"name": ["Co 0", "Co 1", "Co 2"]}
    batches = list(iter_batches(postgres_url, table="crm_accounts", batch_size=10))
    assert [b.num_rows for b in batches] == [10, 10, 5]
    assert len({b.schema for b in batches}) == 1
    loaded = load(postgres_url, table="crm_accounts")
    assert loaded.kind == "accounts"
    assert loaded.table.column("country").to_pylist()[:2] == ["DE", "US"]
    with pytest.raises(ReadError, match="Did you mean 'crm_accounts'"):
        read_table(postgres_url, table="crm_acounts")
    assert "postgresql" in sniff(postgres_url).format


def test_postgresql_unreachable_is_a_read_error_without_the_password() -> None:
    with pytest.raises(ReadError, match="cannot connect") as info:
        read_table("postgresql://nobody:secret@127.0.0.1:1/none", table="x")
    assert "secret" not in str(info.value)
    assert "nobody:***@" in str(info.value)


# ---------------------------------------------------------------- streaming


def test_streaming_a_larger_csv_gives_batches_with_one_schema(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with path.open("w", encoding="cp1252", newline="") as fh:
        fh.write("Id;Name;NumberOfEmployees;BillingCountry\n")
        for i in range(60_000):
            # Later rows hold values that would type differently (numbers then text).
            employees = str(i) if i < 50_000 else "51-200"
            fh.write(f"{i:06d};Société {i};{employees};France\n")
    batches = list(iter_batches(path, batch_size=8_192))
    assert len(batches) >= 7
    assert sum(b.num_rows for b in batches) == 60_000
    assert {b.schema for b in batches} == {batches[0].schema}
    assert all(pa.types.is_string(t) for t in batches[0].schema.types)
    assert batches[0].column(1)[0].as_py() == "Société 0"
    assert batches[-1].column(2)[-1].as_py() == "51-200"


def test_streaming_parquet_and_json(tmp_path: Path) -> None:
    path = tmp_path / "a.parquet"
    pq.write_table(pa.table({"n": list(range(1000))}), path, row_group_size=300)
    batches = list(iter_batches(path, batch_size=250))
    assert sum(b.num_rows for b in batches) == 1000
    assert max(b.num_rows for b in batches) <= 250
    json_path = _write(tmp_path, "a.jsonl", b"".join(b'{"n": %d}\n' % i for i in range(10)))
    assert [b.num_rows for b in iter_batches(json_path, batch_size=4)] == [4, 4, 2]


def test_compressed_csv_and_jsonl(tmp_path: Path) -> None:
    import bz2
    import gzip

    gz = _write(
        tmp_path, "accounts.csv.gz", gzip.compress("Name;City\nAcmé;Zürich\n".encode("cp1252"))
    )
    assert sniff(gz).delimiter == ";"
    assert read_table(gz).to_pydict() == {"Name": ["Acmé"], "City": ["Zürich"]}
    assert sum(b.num_rows for b in iter_batches(gz)) == 1
    jl = _write(tmp_path, "a.jsonl.bz2", bz2.compress(b'{"a": 1}\n{"a": 2}\n'))
    assert read_table(jl).column("a").to_pylist() == [1, 2]
    with pytest.raises(ReadError, match="unsupported file type"):
        sniff(_write(tmp_path, "a.parquet.gz", b"x"))


SF_REPORT = (
    '"Account Name","Employees","Billing Country"\n"Acme","250","US"\n"Beta","30","DE"\n\n'
    '"Copyright (c) 2000-2024 salesforce.com, inc. All rights reserved."\n'
    '"Confidential Information - Do Not Distribute"\n'
    '"Generated By:  Dana Smith  11/22/2026 10:00 AM"\n"Acme Corp"\n'
)


def test_salesforce_report_footer_is_skipped_with_a_warning(tmp_path: Path) -> None:
    path = _write(tmp_path, "report.csv", SF_REPORT.encode())
    table = read_table(path)
    assert table.column("Account Name").to_pylist() == ["Acme", "Beta"]
    assert any("4-line report footer" in w for w in table_warnings(table))
    assert any("footer" in w for w in load(path).report["warnings"])
    streamed = list(iter_batches(path))  # streaming skips the footer too
    assert sum(b.num_rows for b in streamed) == 2
    # A short last row without footer words is still a ragged-row error.
    ragged = _write(tmp_path, "ragged.csv", b"a,b\n1,2\n3\n")
    with pytest.raises(ReadError, match="ragged row"):
        read_table(ragged)


def test_excel_report_title_rows_and_footer_are_skipped(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (
        ["Accounts by owner"],
        ["Acme Corp"],
        [],
        ["Account Name", "Employees", "Country"],
        ["Acme", 250, "US"],
        ["Beta", 30, "DE"],
        [],
        ["Grand Totals (2 records)"],
        ["Confidential Information - Do Not Distribute"],
    ):
        sheet.append(row)
    path = tmp_path / "report.xlsx"
    book.save(path)
    table = read_table(path)
    assert table.column_names == ["Account Name", "Employees", "Country"]
    assert table.column("Country").to_pylist() == ["US", "DE"]
    warnings = table_warnings(table)
    assert any("title row(s)" in w and "Accounts by owner" in w for w in warnings)
    assert any("2-line report footer" in w for w in warnings)


def test_excel_sep_line_and_trailing_delimiters(tmp_path: Path) -> None:
    sep = _write(tmp_path, "sep.csv", b"sep=;\nName;Employees\nAcme;1,200\n")
    assert sniff(sep).delimiter == ";"
    assert read_table(sep).to_pydict() == {"Name": ["Acme"], "Employees": ["1,200"]}
    trailing = _write(tmp_path, "trailing.csv", b"Name,Employees\nAcme,1200,\nBeta,30,\n")
    table = read_table(trailing)
    assert table.to_pydict() == {"Name": ["Acme", "Beta"], "Employees": ["1200", "30"]}
    assert any("trailing delimiter" in w for w in table_warnings(table))


def test_excel_data_away_from_a1_keeps_excel_row_numbers(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Accounts"
    sheet["C3"], sheet["D3"] = "Account Name", "Employees"
    sheet["C4"], sheet["D4"] = "Acme", 250
    sheet["C5"], sheet["D5"] = "Beta", "lots"
    book.create_sheet("Deals")
    path = tmp_path / "away.xlsx"
    book.save(path)
    table = read_table(path)
    assert table.column_names == ["Account Name", "Employees"]  # empty columns A-B left out
    assert any("first of 2" in w and "'Deals'" in w for w in table_warnings(table))
    coercion = load(path).report["coercions"][0]
    assert (coercion["column"], coercion["first_row"]) == ("Employees", 5)


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8"])
def test_accents_after_a_long_ascii_head_decide_the_encoding(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "late.csv"
    with path.open("wb") as fh:
        fh.write(b"Name,City\n")
        fh.write(b"".join(b"Company %d,Paris\n" % i for i in range(80_000)))  # > 1 MiB of ASCII
        fh.write("Café Müller,Zürich\n".encode(encoding))
    assert sniff(path).encoding == encoding
    assert read_table(path).column("City").to_pylist()[-1] == "Zürich"
