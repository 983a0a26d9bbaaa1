"""Excel like a person: empty columns reported and ignored, the sheet chosen by its content
(and said aloud), title rows and merged group-header rows above the header handled."""

from __future__ import annotations

from pathlib import Path

import pytest

from _helpers import icp
from icpkit.errors import ConfigError
from icpkit.intake import load, read_table

FILES = Path(__file__).parent / "corpus" / "files"


def test_an_empty_column_is_reported_and_left_out() -> None:
    loaded = load(FILES / "excel_empty_fax_column.xlsx")
    assert "Fax" not in loaded.original.column_names
    assert any("ignored 1 empty column(s)" in w and "'Fax'" in w for w in loaded.report["warnings"])
    assert loaded.table.num_rows == 200


def test_discover_learns_from_a_workbook_with_an_empty_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # This once died in discover's column screen: count_distinct has no kernel for null.
    import random

    import openpyxl

    rng = random.Random(3)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Id", "Industry", "NumberOfEmployees", "Fax", "IsWon"])
    for i in range(600):
        industry = rng.choice(["Software", "Retail", "Education"])
        won = rng.random() < (0.6 if industry == "Software" else 0.1)
        sheet.append([f"A{i}", industry, rng.randint(5, 5000), None, won])
    book.save(tmp_path / "accounts.xlsx")
    code, _, err = icp(
        capsys,
        "discover",
        tmp_path / "accounts.xlsx",
        "--target",
        "IsWon",
        "-o",
        tmp_path / "profile.yaml",
    )
    assert "Traceback" not in err
    assert code == 0, err
    assert "industry" in (tmp_path / "profile.yaml").read_text()


def test_the_sheet_is_chosen_by_the_kind_asked_for_and_said_aloud() -> None:
    deals = load(FILES / "excel_accounts_then_deals.xlsx", kind="deals")
    assert deals.table.num_rows == 100
    assert "won" in deals.table.column_names
    said = [w for w in deals.report["warnings"] if w.startswith("read sheet")]
    assert said == [
        "read sheet 'Opportunities': its columns look like deals (others: 'Accounts');"
        " --sheet to choose another"
    ]
    accounts = load(FILES / "excel_accounts_then_deals.xlsx", kind="accounts")
    assert accounts.table.num_rows == 200
    forced = load(FILES / "excel_accounts_then_deals.xlsx", kind="deals", sheet="Accounts")
    assert forced.table.num_rows == 200  # --sheet / sheet: wins


def test_without_a_kind_the_first_sheet_is_read_and_named() -> None:
    loaded = load(FILES / "excel_accounts_then_deals.xlsx")
    assert any("read sheet 'Accounts', the first of 2" in w for w in loaded.report["warnings"])


def test_title_rows_above_the_header_are_skipped() -> None:
    table = read_table(FILES / "excel_title_rows.xlsx")
    assert table.column_names[:2] == ["Id", "Name"]
    assert table.num_rows == 200


def test_a_group_header_row_above_the_header_is_handled(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Company", None, "Primary contact", None])
    sheet.merge_cells("A1:B1")
    sheet.merge_cells("C1:D1")
    sheet.append(["Name", "Industry", "Name", "Email"])
    sheet.append(["Acme", "Software", "Ann", "ann@acme.com"])
    sheet.append(["Beta", "Retail", "Bob", "bob@beta.com"])
    book.save(tmp_path / "merged.xlsx")
    table = read_table(tmp_path / "merged.xlsx")
    # The repeated "Name" takes its group's name instead of a bare "Name_2".
    assert table.column_names == ["Company Name", "Industry", "Primary contact Name", "Email"]
    assert table.column("Primary contact Name").to_pylist() == ["Ann", "Bob"]


def test_a_header_only_sheet_is_zero_rows_and_discover_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert read_table(FILES / "excel_header_only.xlsx").num_rows == 0
    code, _, err = icp(
        capsys, "discover", FILES / "header_only.csv", "--target", "Industry", "-o", tmp_path / "p"
    )
    assert code == 2
    assert "no data rows: there is nothing to learn from" in err


def test_an_all_missing_target_says_so() -> None:
    import pandas as pd

    from icpkit.success import success_label

    frame = pd.DataFrame({"won": [None, None, None], "x": [1, 2, 3]})
    with pytest.raises(ConfigError, match="every row's outcome is missing"):
        success_label(frame, target="won")
