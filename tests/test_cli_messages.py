"""What the `icp` command says: help in plain words, and one spelling of every error line.

Issue 15: help showed Python types (`<bool>`, `<list[str]>`) and braces around arguments
(`{directory}`); errors were spelled "Error:" in some places and "error:" in others; text in
square brackets inside an error (a file name, the hint `pip install 'icpkit[pdf]'`) was read as
Rich markup, so it vanished from the line, or a stray `[/]` crashed with a traceback.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer

from _helpers import icp


def all_commands() -> list[list[str]]:
    """Every command path, subcommands of groups included (`keys add`, `webhooks list`...)."""
    import icpkit.cli.commands  # noqa: F401  (registers the commands)
    from icpkit.cli import app

    found: list[list[str]] = [[]]

    def walk(group: object, path: list[str]) -> None:
        for name, sub in sorted(getattr(group, "commands", {}).items()):
            found.append([*path, name])
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return found


COMMANDS = all_commands()
PYTHON_TYPES = re.compile(r"<(bool|str|int|float|path|Path|list\[[^>]*\]|[a-z_]+\|[^>]*)>")


def test_there_are_commands_to_check() -> None:
    assert len(COMMANDS) > 25
    assert ["init"] in COMMANDS
    assert ["score"] in COMMANDS


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "icp")
def test_help_names_types_in_plain_words(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = icp(capsys, *command, "--help")
    assert code == 0, err
    assert "Usage: icp" in out
    assert not PYTHON_TYPES.search(out), PYTHON_TYPES.search(out)
    usage = next(line for line in out.splitlines() if "Usage:" in line)
    assert "{" not in usage, usage
    if any(p.startswith("--") for p in out.split()):
        assert "--help" in out


def test_an_argument_shows_its_name_in_capitals_and_its_kind(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = icp(capsys, "init", "--help")
    assert code == 0
    assert "Usage: icp init [OPTIONS] DIRECTORY" in out
    assert re.search(r"directory\s+PATH", out)
    assert re.search(r"--accounts\s+TEXT", out)
    assert re.search(r"--force\s+Overwrite", out)  # a flag takes no value: no type shown


def failing_calls(tmp_path: Path) -> list[list[str]]:
    missing = str(tmp_path / "nope.csv")
    profile = tmp_path / "profile.yaml"
    profile.write_text("attributes: []\n", encoding="utf-8")
    return [
        ["inspect", missing],
        ["normalize", missing, "-o", str(tmp_path / "o.csv")],
        ["discover", missing, "-o", str(tmp_path / "p.yaml")],
        ["evaluate", missing, "-p", str(profile)],
        ["score", missing, "-p", str(profile), "-o", str(tmp_path / "s.csv")],
        ["explain", str(tmp_path / "nope.yaml")],
        ["quality", missing],
        ["run", str(tmp_path / "no-workspace")],
        ["report", str(tmp_path / "no-workspace")],
        ["discover", missing],  # a usage error: the required -o is missing
        ["no-such-command"],
        ["inspect", str(tmp_path / "exports[old].csv")],
        ["inspect", str(tmp_path / "odd[/].csv")],
    ]


def test_every_error_is_one_line_spelled_error_lowercase(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for args in failing_calls(tmp_path):
        code, _, err = icp(capsys, *args)
        assert code == 2, (args, err)
        assert err.startswith("error: "), (args, err)
        assert "Error" not in err, (args, err)
        assert "Traceback" not in err, (args, err)
        assert len(err.strip().splitlines()) == 1, (args, err)


def test_brackets_in_an_error_are_text_not_markup(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("exports[old].csv", "odd[/].csv", "[bold]x.csv"):
        code, _, err = icp(capsys, "inspect", tmp_path / name)
        assert code == 2
        assert f"{name}: file not found" in err, err


def test_brackets_in_column_names_and_values_are_printed_as_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A column named "[/]" crashed `icp inspect` and `icp quality` (Rich's MarkupError) and
    one named "Id [bold]" lost its brackets: data is never read as markup."""
    rows = ["Name,Industry,Employees,[/],Id [bold]"]
    rows += [
        f"Co {i},{['Software', '[/]x', 'Retail'][i % 3]},{10 + i},v{i % 4},{i}" for i in range(60)
    ]
    path = tmp_path / "accounts.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    for args in (
        ["inspect", path],
        ["quality", path],
        ["normalize", path, "-o", tmp_path / "n.csv"],
    ):
        code, out, err = icp(capsys, *args)
        assert code == 0, (args, err)
        assert "Traceback" not in err
        if args[0] == "inspect":
            assert "│ [/]" in out
            assert "Id [bold]" in out


def test_a_count_of_one_reads_in_the_singular(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`icp evaluate` on rows with one success printed "1 successes"."""
    corpus = Path(__file__).parent / "corpus"
    rows = ["Name,Industry,Employees,AnnualRevenue,won"]
    rows += [
        f"Co {i},{['Software', 'Retail'][i % 2]},{10 + i * 30},{i * 10_000},{i == 3}"
        for i in range(1200)
    ]
    path = tmp_path / "accounts.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code, out, err = icp(capsys, "evaluate", path, "-p", corpus / "profile.yaml", "--target", "won")
    assert code == 0, err
    assert "; 1,200 rows, 1 success; " in out
