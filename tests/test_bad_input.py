"""Bad input gives one line on stderr and exit code 2, never a traceback.

Most cases run the real console entry point (``icpkit.cli._app.main``) in process;
two run the installed ``icp`` executable to prove the same holds end to end.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from icpkit.cli._app import main
from icpkit.errors import SchemaError
from icpkit.intake import load, require

ICP = Path(sys.executable).parent / "icp"


def run_icp(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run ``icp ARGS`` through the console entry point; (exit code, stdout, stderr)."""
    old = sys.argv
    sys.argv = ["icp", *args]
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.argv = old
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line_error(code: int, err: str, *needles: str) -> None:
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    assert "Traceback" not in err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "header_only.csv").write_bytes(b"Name,Employees,Country\r\n")
    (tmp_path / "blank_lines.csv").write_bytes(b"\n \n\n")
    (tmp_path / "semicolons.csv").write_bytes(b"Name;Employees;Country\nAcme;250;US\nBeta;30;DE\n")
    (tmp_path / "ragged.csv").write_bytes(b"Name,Employees,Country\nAcme,250,US\nBeta,30\nC,1,FR\n")
    (tmp_path / "quotes.csv").write_bytes(b'Name,Employees\nAcme,"250\nBeta,30\n')
    (tmp_path / "mixed.csv").write_bytes("Name,City\nJosé,Málaga\n".encode() + b"Ren\xe9e,Paris\n")
    (tmp_path / "binary.csv").write_bytes(b"Name,City\nAcme\x00\x01\x02,X\n")
    (tmp_path / "zip.csv").write_bytes(b"PK\x03\x04\x14\x00\x06\x00rest-of-an-xlsx")
    (tmp_path / "ok.csv").write_bytes(b"Name,Employees,Country\nAcme,250,US\nBeta,30,DE\n")
    (tmp_path / "messy.csv").write_bytes(b"Name,Employees,Country\nA,250,US\nB,lots,DE\nC,1,Mars\n")
    (tmp_path / "notes.xyz").write_bytes(b"hello")
    (tmp_path / "folder.csv").mkdir()
    (tmp_path / "bad.json").write_bytes(b'[{"a": 1},\n {"a": 2,,}]')
    (tmp_path / "scalars.json").write_bytes(b"[1, 2, 3]")
    con = duckdb.connect(str(tmp_path / "crm.duckdb"))
    con.execute("CREATE TABLE accounts (name TEXT)")
    con.close()
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Accounts"
    sheet.append(["Name"])
    sheet.append(["Acme"])
    book.save(tmp_path / "book.xlsx")
    return tmp_path


CASES = {
    "missing file": (["inspect", "nope.csv"], ["nope.csv", "file not found"]),
    "typo in file name": (["inspect", "semicolon.csv"], ["Did you mean", "semicolons.csv"]),
    "directory": (["inspect", "folder.csv"], ["is a directory"]),
    "empty file": (["inspect", "empty.csv"], ["empty (0 bytes)"]),
    "blank lines only": (["inspect", "blank_lines.csv"], ["empty"]),
    "wrong delimiter": (
        ["inspect", "semicolons.csv", "--delimiter", ","],
        ["one column", "semicolon-separated", "--delimiter ';'"],
    ),
    "ragged rows": (["inspect", "ragged.csv"], ["row 3", "2 fields where the header has 3"]),
    "unbalanced quotes": (["inspect", "quotes.csv"], ["row 2", "unbalanced quotes"]),
    "undecodable bytes": (["inspect", "mixed.csv"], ["row 3", "byte offset", "0xe9"]),
    "binary": (["inspect", "binary.csv"], ["NUL byte", "row 2"]),
    "zip named csv": (["inspect", "zip.csv"], ["Excel workbook"]),
    "unsupported extension": (["inspect", "notes.xyz"], ["unsupported file type '.xyz'", ".csv"]),
    "unknown mapping column": (
        ["inspect", "ok.csv", "--map", "Employes=employees"],
        ["not in the table: 'Employes'", "Did you mean 'Employees'"],
    ),
    "unknown canonical column": (
        ["inspect", "ok.csv", "--map", "Employees=employes"],
        ["not a canonical column of accounts", "Did you mean 'employees'"],
    ),
    "bad --map syntax": (["inspect", "ok.csv", "--map", "Employees"], ["Column=canonical"]),
    "unknown kind": (["inspect", "ok.csv", "--kind", "acounts"], ["Did you mean 'accounts'"]),
    "bad encoding name": (["inspect", "ok.csv", "--encoding", "klingon"], ["unknown encoding"]),
    "bad delimiter": (["inspect", "ok.csv", "--delimiter", ";;"], ["one character"]),
    "bad sheet": (["inspect", "book.xlsx", "--sheet", "Acounts"], ["Did you mean 'Accounts'"]),
    "bad SQL table": (
        ["inspect", "duckdb:///{tmp}/crm.duckdb", "--table", "acount"],
        ["no table 'acount'", "Did you mean 'accounts'"],
    ),
    "missing DuckDB file": (
        ["inspect", "duckdb:///{tmp}/none.duckdb", "--table", "x"],
        ["not found"],
    ),
    "table option on a file": (["inspect", "ok.csv", "--table", "x"], ["only apply to SQL"]),
    "invalid JSON": (["inspect", "bad.json"], ["invalid JSON", "row 2"]),
    "JSON without records": (["inspect", "scalars.json"], ["array of objects"]),
    "bad output extension": (["normalize", "ok.csv", "-o", "out.txt"], ["cannot write '.txt'"]),
    "bad --scale syntax": (["inspect", "ok.csv", "--scale", "employees=lots"], ["column=factor"]),
    "scale of a missing column": (
        ["inspect", "ok.csv", "--scale", "revenue=million"],
        ["cannot scale 'revenue'"],
    ),
    "strict: unreadable value": (
        ["inspect", "messy.csv", "--strict"],
        ["messy.csv, row 3, column 'Employees'", "(value 'lots')", "1 more value"],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_one_line_and_exit_2(
    case: str, files: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    args, needles = CASES[case]
    monkeypatch.chdir(files)
    args = [a.replace("{tmp}", str(files)) for a in args]
    code, _, err = run_icp(args, capsys)
    assert_one_line_error(code, err, *needles)


def test_failed_normalize_leaves_no_output(
    files: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(files)
    code, _, err = run_icp(["normalize", "ragged.csv", "-o", "out.parquet"], capsys)
    assert_one_line_error(code, err, "ragged")
    assert not (files / "out.parquet").exists()
    assert not list(files.glob(".out.parquet.*"))


def test_require_names_the_missing_column_and_the_closest_original(files: Path) -> None:
    path = files / "contacts.csv"
    path.write_text("Email,Title,NumberOfEmployees\na@b.c,CTO,50\n", encoding="utf-8")
    loaded = load(path, kind="contacts")  # contacts have no employees column
    require(loaded, ["email", "title"])  # present: no error
    with pytest.raises(SchemaError) as info:
        require(loaded, ["email", "employees"])
    text = str(info.value)
    assert "missing required column 'employees'" in text
    assert "Did you mean 'NumberOfEmployees'?" in text
    assert "\n" not in text


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["inspect", "ragged.csv"], "ragged row"),
        (["inspect", "missing.csv"], "file not found"),
    ],
)
def test_the_installed_icp_executable_gives_one_line(
    files: Path, args: list[str], needle: str
) -> None:
    env = {**os.environ, "COLUMNS": "200"}
    proc = subprocess.run(
        [str(ICP), *args],
        cwd=files,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert_one_line_error(proc.returncode, proc.stderr, needle)
    assert proc.stdout == ""


BARE_CR_PROFILE = """\
intercept: 30
attributes:
  - name: industry
    kind: categorical
    bins:
      - {values: [Software], points: 30}
      - {values: [Retail], points: -10}
"""


def bare_cr_export(path: Path) -> Path:
    """A CRM export with CRLF rows and one bare CR inside an unquoted name (Excel on a Mac)."""
    rows = ["Name,Industry,Employees,won,Title,Created,Status"]
    for i in range(300):  # one unreadable row is under the 1% --max-rejects
        industry = ["Software", "Retail", "Health"][i % 3]
        won = "true" if i % 3 == 0 or i % 7 == 0 else "false"
        status = ["Open", "Qualified", "Converted"][i % 3]
        rows.append(f"Co {i},{industry},{10 + i * 40},{won},VP Sales,2021-0{1 + i % 9}-15,{status}")
    rows[5] = rows[5].replace("Co 4", "Co\r4")
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode())
    return path


@pytest.mark.parametrize(
    "command",
    [
        ["quality", "{data}"],
        ["funnel", "{data}", "--profile", "{profile}"],
        ["committee", "{data}"],
        ["evaluate", "{data}", "-p", "{profile}", "--target", "won"],
        ["drift", "--profile", "{profile}", "--before", "{data}", "--after", "{data}"],
    ],
    ids=lambda c: c[0],
)
def test_a_bare_cr_in_a_field_is_read_by_every_command(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 15: `_csv.Error: new-line character seen in unquoted field` (a traceback) in
    quality, funnel, committee, drift and evaluate: each now reads the file as intake does."""
    data = bare_cr_export(tmp_path / "export.csv")
    profile = tmp_path / "profile.yaml"
    profile.write_text(BARE_CR_PROFILE, encoding="utf-8")
    args = [a.format(data=data, profile=profile) for a in command]
    code, out, err = run_icp(args, capsys)
    assert "Traceback" not in err
    assert "new-line character" not in err
    assert code == 0, err
    assert out.strip()
