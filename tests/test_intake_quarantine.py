"""Quarantine, not stop: unreadable rows are set aside, counted and written beside the output.

Each case of issue 15's "one bad row stops everything" list: a ragged row, an
unterminated quote, a NUL byte, one invalid JSONL line, an unquoted comma, a file
without an extension and a header-only file.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from _helpers import icp
from icpkit.errors import ConfigError, ReadError
from icpkit.intake import load, load_batches, read_table
from icpkit.intake._quarantine import parse_max_rejects, rejects_path, table_rejects

HEADER = "Id,Name,Industry,NumberOfEmployees,BillingCountry"


def export(tmp_path: Path, name: str, bad: dict[int, str] | None = None, n: int = 300) -> Path:
    """A Salesforce-like export of ``n`` rows; ``bad`` replaces data lines (1-based rows)."""
    lines = [HEADER] + [f"001{i:05d},Company {i},Software,{10 + i},Germany" for i in range(n)]
    for row, text in (bad or {}).items():
        lines[row - 1] = text
    path = tmp_path / name
    path.write_bytes(("\n".join(lines) + "\n").encode())
    return path


CASES = {
    "ragged row": ("001X,Short,Software", "ragged row: 3 fields where the header has 5"),
    "unterminated quote": ('001X,"Acme,Software,5,Peru', "unbalanced quotes"),
    "unquoted comma": ("001X,Hanil,Retail,10,Korea, Republic of", "6 fields where the header"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_one_bad_row_is_set_aside_and_the_rest_loads(tmp_path: Path, case: str) -> None:
    line, reason = CASES[case]
    path = export(tmp_path, "accounts.csv", {42: line})
    loaded = load(path)
    assert loaded.table.num_rows == 299
    assert [(r.row, r.raw) for r in loaded.rejects] == [(42, line)]
    assert reason in loaded.rejects[0].reason
    assert loaded.report["rejects"]["count"] == 1
    assert any("set aside 1 row" in w for w in loaded.report["warnings"])
    # The row after the bad one is whole: the stray quote did not swallow the file.
    assert "00100041" in loaded.table.column("account_id").to_pylist()


def test_rows_keep_their_file_row_numbers_after_a_reject(tmp_path: Path) -> None:
    path = export(tmp_path, "accounts.csv", {10: "001X,Short", 20: "001Y,x,Software,lots,Germany"})
    coercion = {c["column"]: c for c in load(path).report["coercions"]}["NumberOfEmployees"]
    assert coercion["first_row"] == 20  # the file row, counted past the rejected row 10


def test_nul_bytes_are_stripped_and_reported(tmp_path: Path) -> None:
    path = export(tmp_path, "accounts.csv", {7: "0010000X,Nul\0Corp,Software,5,Peru"})
    loaded = load(path)
    assert loaded.table.num_rows == 300
    assert "NulCorp" in loaded.table.column("name").to_pylist()
    assert any("removed 1 NUL" in w and "row 7" in w for w in loaded.report["warnings"])


def test_invalid_jsonl_line_is_set_aside(tmp_path: Path) -> None:
    lines = [json.dumps({"Name": f"C{i}", "Employees": i}) for i in range(300)]
    lines[4] = '{"Name": "broken", '
    path = tmp_path / "accounts.jsonl"
    path.write_text("\n".join(lines) + "\n")
    loaded = load(path)
    assert loaded.table.num_rows == 299
    assert loaded.rejects[0].row == 5
    assert loaded.rejects[0].reason.startswith("invalid JSON")


def test_a_file_without_extension_is_sniffed_by_content(tmp_path: Path) -> None:
    csv_file = export(tmp_path, "Account_export")
    assert load(csv_file).table.num_rows == 300
    parquet_file = tmp_path / "scores_download"
    pq.write_table(pa.table({"Name": ["A", "B"]}), parquet_file)
    assert read_table(parquet_file).num_rows == 2
    json_file = tmp_path / "hubspot_dump"
    json_file.write_text('[{"Name": "A"}, {"Name": "B"}, {"Name": "C"}]')
    assert read_table(json_file).num_rows == 3


def test_a_header_only_file_inspects_as_zero_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "header_only.csv"
    path.write_text(HEADER + "\r\n")
    code, out, err = icp(capsys, "inspect", path, "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["rows"] == 0
    assert "no data rows" in " ".join(report["warnings"])


def test_too_many_rejects_fail_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = export(tmp_path, "accounts.csv", dict.fromkeys(range(2, 12), "bad,row"))  # 10 of 300
    code, _, err = icp(capsys, "inspect", path)
    assert code == 2
    assert err.count("\n") == 1
    assert "10 of 300 rows (3%) could not be read" in err
    assert "row 2" in err
    code, out, err = icp(capsys, "inspect", path, "--max-rejects", "5%", "--json")
    assert code == 0, err
    assert json.loads(out)["rejects"]["count"] == 10


def test_nothing_usable_left_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "all_bad.jsonl"
    path.write_text("nope\n{nope\n")
    with pytest.raises(ReadError, match="no row could be read"):
        load(path, max_rejects=1.0)


def test_max_rejects_is_parsed_and_checked() -> None:
    assert parse_max_rejects(None) == 0.01
    assert parse_max_rejects("5%") == pytest.approx(0.05)
    assert parse_max_rejects("0.2") == pytest.approx(0.2)
    for bad in ("lots", "150%", "-1"):
        with pytest.raises(ConfigError, match="between 0% and 100%"):
            parse_max_rejects(bad)


def read_rejects(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_normalize_writes_the_rejects_file_beside_the_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = '=HYPERLINK("http://x"),"Open,Software'
    path = export(tmp_path, "accounts.csv", {42: bad})
    out = tmp_path / "out" / "accounts.parquet"
    code, stdout, err = icp(capsys, "normalize", path, "-o", out)
    assert code == 0, err
    assert rejects_path(out) == tmp_path / "out" / "accounts.rejects.csv"
    rows = read_rejects(rejects_path(out))
    assert [r["row"] for r in rows] == ["42"]
    assert rows[0]["raw"] == "'" + bad  # the raw text came from the data: formula-safe
    assert "unbalanced quotes" in rows[0]["reason"]
    assert "Rows set aside (1)" in stdout
    # A clean rerun removes the stale rejects file: what sits beside an output describes it.
    code, _, err = icp(capsys, "normalize", export(tmp_path, "accounts.csv"), "-o", out)
    assert code == 0, err
    assert not rejects_path(out).exists()


def test_score_sets_rows_aside_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    profile = tmp_path / "profile.yaml"
    profile.write_text(
        "attributes:\n  - name: employees\n    kind: numeric\n    bins:\n"
        "      - {upper: 100, points: 10}\n      - {lower: 100, points: 40}\n"
    )
    path = export(tmp_path, "accounts.csv", {100: "001X,Short", 200: '001Y,"Open,Retail,1,Peru'})
    out = tmp_path / "scored.csv"
    code, stdout, err = icp(capsys, "score", path, "-p", profile, "-o", out, "--json")
    assert code == 0, err
    report = json.loads(stdout)
    assert report["rows"] == 298
    assert report["rejects"] == 2
    assert [r["row"] for r in read_rejects(tmp_path / "scored.rejects.csv")] == ["100", "200"]


def test_streaming_locates_ragged_rows(tmp_path: Path) -> None:
    path = export(tmp_path, "accounts.csv", {150: "001X,Short"})
    rejects: list = []
    batches = list(load_batches(path, batch_size=64, rejects=rejects))
    assert sum(b.num_rows for b in batches) == 299
    assert [(r.row, r.raw) for r in rejects] == [(150, "001X,Short")]


def test_a_technology_first_seen_in_a_later_batch_gets_its_flag(tmp_path: Path) -> None:
    lines = ["Name,Technologies"] + [f"C{i},Salesforce" for i in range(200)]
    lines += ["Late,Snowflake;Salesforce", "Unknown,"]
    path = tmp_path / "accounts.csv"
    path.write_text("\n".join(lines) + "\n")
    table = pa.Table.from_batches(list(load_batches(path, batch_size=50)))
    assert "tech_snowflake" in table.column_names
    flags = table.column("tech_snowflake").to_pylist()
    assert flags[:200] == [False] * 200  # known lists without it: False, not missing
    assert flags[200] is True
    assert flags[201] is None  # no list at all: unknown


@pytest.mark.parametrize("special", ["fifo", "device"])
def test_pipes_and_devices_are_refused_clearly(tmp_path: Path, special: str) -> None:
    if special == "fifo":
        path = tmp_path / "pipe.csv"
        os.mkfifo(path)
    else:
        path = Path("/dev/zero")
    with pytest.raises(ReadError, match="not a regular file"):
        read_table(path)


def test_long_fields_and_headers_read(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text("Name," + "H" * 200_000 + "\nA," + "x" * 300_000 + "\n")
    table = read_table(path)
    assert table.num_rows == 1
    assert len(table.column(1)[0].as_py()) == 300_000


def test_mixed_line_endings_and_bare_cr(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes(b'Name,City\r\nA,Paris\rB,Lima\nC,"Two\rlines"\r\n')
    table = read_table(path)
    assert table.column("Name").to_pylist() == ["A", "B", "C"]
    assert table.column("City").to_pylist()[2] == "Two\nlines"


def test_deep_json_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ReadError, match="nested too deeply"):
        read_table(path)


def test_nested_parquet_types_write_to_csv_as_json_text(tmp_path: Path) -> None:
    source = tmp_path / "nested.parquet"
    pq.write_table(
        pa.table({"Name": ["A", "B"], "tags": [["x", "y"], None], "hq": [{"c": "P"}, None]}),
        source,
    )
    out = tmp_path / "out.csv"
    from icpkit.intake import write_table

    write_table(read_table(source), out)
    rows = read_rejects(out)  # any CSV reader
    assert rows[0]["tags"] == '["x", "y"]'
    assert rows[0]["hq"] == '{"c": "P"}'
    assert rows[1]["tags"] == ""


def test_a_400_digit_employee_count_is_not_a_count(tmp_path: Path) -> None:
    path = export(tmp_path, "accounts.csv", {5: "0010000X,Big,Software," + "9" * 400 + ",Peru"})
    loaded = load(path)
    coercion = {c["column"]: c for c in loaded.report["coercions"]}["NumberOfEmployees"]
    assert coercion["became_missing"] == 1
    assert coercion["first_row"] == 5


def test_table_rejects_of_a_clean_read_is_empty(tmp_path: Path) -> None:
    assert table_rejects(read_table(export(tmp_path, "accounts.csv"))) == []


def test_duplicate_ids_with_conflicting_values_are_reported(tmp_path: Path) -> None:
    path = export(tmp_path, "accounts.csv", {3: "00100000,Company 0,Retail,99999,France"})
    warnings = load(path).report["warnings"]
    said = [w for w in warnings if "more than one row" in w]
    assert said == [
        "1 account_id value(s) appear on more than one row (2 rows); 1 of them with different"
        " values in other columns (first: '00100000'): de-duplicate the export, or map another"
        " column as the key"
    ]
    assert not any(
        "more than one row" in w for w in load(export(tmp_path, "ok.csv")).report["warnings"]
    )


def test_score_strips_nuls_like_inspect(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    profile = tmp_path / "profile.yaml"
    profile.write_text(
        "attributes:\n  - name: employees\n    kind: numeric\n    bins:\n"
        "      - {upper: 100, points: 10}\n      - {lower: 100, points: 40}\n"
    )
    path = export(tmp_path, "accounts.csv", {9: "0010000X,Nul\0Corp,Software,5,Peru"})
    out = tmp_path / "scored.csv"
    code, _, err = icp(capsys, "score", path, "-p", profile, "-o", out)
    assert code == 0, err
    data = out.read_bytes()
    assert b"\0" not in data
    assert b"NulCorp" in data
