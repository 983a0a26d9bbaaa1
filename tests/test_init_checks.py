"""`icp init` checks what it is given: missing files, and an accounts-only export with no outcome."""

from __future__ import annotations

from pathlib import Path

import pytest

from _helpers import icp


def test_a_missing_file_is_one_line_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "accounts.csv").write_text("Name,Industry\nA,Software\n")
    code, _, err = icp(capsys, "init", "ws", "--accounts", "acounts.csv")
    assert code == 2
    assert "acounts.csv: file not found. Did you mean 'accounts.csv'?" in err
    assert not (tmp_path / "ws" / "icp.yaml").exists()


@pytest.mark.parametrize(
    ("column", "values"),
    [
        ("Type", ["Customer - Direct", "Prospect", "Customer - Channel"]),
        ("Classification__c", ["Active Client", "Lead", "Former Client"]),
    ],
)
def test_accounts_only_suggests_deals_or_a_status_column(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    column: str,
    values: list[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    rows = [f"Id,Name,Industry,{column}"] + [
        f"{i},Co {i},Software,{values[i % 3]}" for i in range(30)
    ]
    (tmp_path / "accounts.csv").write_text("\n".join(rows) + "\n")
    code, out, err = icp(capsys, "init", "ws", "--accounts", "accounts.csv")
    assert code == 0, err
    assert "has no 'won' column and no --deals or --outcomes file was given" in out
    assert "Pass --deals FILE" in out
    assert f"'{column}' looks like a customer status" in out
    assert f"'{values[0]}'" in out


def test_a_workspace_with_no_files_says_what_to_edit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = icp(capsys, "init", tmp_path / "ws")
    assert code == 0, err
    assert "Edit it to point at your files" in out
    assert (tmp_path / "ws" / "icp.yaml").is_file()


def test_no_hint_when_the_outcome_is_there(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "accounts.csv").write_text("Id,Name,IsWon\n1,A,true\n2,B,false\n")
    code, out, err = icp(capsys, "init", "ws", "--accounts", "accounts.csv", "--target", "IsWon")
    assert code == 0, err
    assert "warning" not in out
