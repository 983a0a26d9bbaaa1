"""icp voice / ask / interviews through the real entry point (exit codes, one-line errors)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import icpkit.cli.commands  # noqa: F401  (registers the commands)
from icpkit.cli._app import app, main
from icpkit.synth import World

ICP = [str(Path(sys.executable).parent / "icp")]


class _Result:
    def __init__(self, code: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = code, stdout, stderr


def _run(*args: str | Path) -> _Result:
    """In process (the classifier is fitted once per test session), like the real CLI."""
    res = CliRunner().invoke(app, [str(a) for a in args])
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        raise res.exception
    return _Result(res.exit_code, res.stdout, res.stderr if res.stderr_bytes else "")


def _run_entry_point(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """The real ``icp`` executable: how errors reach a user."""
    return subprocess.run(
        [*ICP, *map(str, args)], capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture(scope="module")
def files(
    world: World, world_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("voice_cli")
    lat = world.latent
    planted = lat["icp_segment"].notna()
    scored = out / "scored.csv"
    pd.DataFrame(
        {
            "Account ID": lat["account_id"].astype(str),
            "Account Name": lat["name"],
            "icp_score": np.where(planted, 90, 30),
            "icp_tier": np.where(planted, "A", "C"),
            "icp_segment": lat["icp_segment"],
        }
    ).to_csv(scored, index=False)
    # A sample keeps these wiring tests quick; quality is tested in test_voice_synth.
    feedback = out / "feedback.csv"
    pd.read_csv(world_dir / "feedback.csv", dtype=str).head(500).to_csv(feedback, index=False)
    return {
        "feedback": feedback,
        "contacts": world_dir / "contacts.csv",
        "scored": scored,
        "out": out,
    }


def test_voice_json_and_files(files: dict[str, Path]) -> None:
    res = _run(
        "voice", files["feedback"], "--accounts", files["scored"], "--tier", "A",
        "--method", "tfidf", "--json", "--out", files["out"] / "voice",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["method"] == "tfidf"
    assert report["link"]["unlinked"] == 0
    assert report["icp"]["accounts"] > 0
    assert {c["category"] for c in report["categories"]} >= {"pain_point", "praise"}
    assert report["themes"]
    written = sorted(p.name for p in (files["out"] / "voice").iterdir())
    assert written == ["highlights.csv", "themes.csv", "voice.json"]
    highlights = pd.read_csv(files["out"] / "voice" / "highlights.csv")
    assert {"text", "category", "categories", "confidence", "is_icp"} <= set(highlights.columns)


def test_voice_table_output(files: dict[str, Path]) -> None:
    res = _run("voice", files["feedback"], "--accounts", files["scored"], "--method", "tfidf")
    assert res.returncode == 0, res.stderr
    assert "Categories" in res.stdout
    assert "Themes" in res.stdout


def test_ask(files: dict[str, Path]) -> None:
    res = _run(
        "ask", files["feedback"], "How do customers find us?", "--scored", files["scored"],
        "--method", "tfidf", "--json", "--top", "5",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    answer = json.loads(res.stdout)
    assert answer["categories"][0] == "discovery_channel"
    assert 1 <= len(answer["evidence"]) <= 5
    assert all(e["account_id"] and e["source"] for e in answer["evidence"])
    plain = _run("ask", files["feedback"], "What do they love?", "--method", "tfidf")
    assert plain.returncode == 0, plain.stderr
    assert "Top themes" in plain.stdout


def test_interviews(files: dict[str, Path]) -> None:
    res = _run(
        "interviews", files["feedback"], "--scored", files["scored"], "--contacts",
        files["contacts"], "--method", "tfidf", "--json",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    plan = json.loads(res.stdout)
    assert 5 <= len(plan["contacts"]) <= 10
    assert any(g["status"] != "covered" for g in plan["gaps"])
    text = _run(
        "interviews", files["feedback"], "--scored", files["scored"], "--contacts",
        files["contacts"], "--method", "tfidf",
    )  # fmt: skip
    assert text.returncode == 0, text.stderr
    assert "Whom to interview" in text.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("voice", "missing.csv"),
        ("voice", "{feedback}", "--accounts", "{scored}", "--tier", "Z"),
        ("voice", "{feedback}", "--method", "magic"),
        ("ask", "{feedback}", "   "),
        (
            "interviews",
            "{feedback}",
            "--scored",
            "{scored}",
            "--contacts",
            "{contacts}",
            "--n",
            "50",
        ),
        ("voice", "{feedback}", "--accounts", "{contacts}"),
    ],
)
def test_errors_are_one_line(
    files: dict[str, Path],
    args: tuple[str, ...],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Through ``main()``, the entry point's error handling, in process."""
    filled = [a.format(**{k: str(v) for k, v in files.items()}) for a in args]
    monkeypatch.setattr(sys, "argv", ["icp", *filled])
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 2
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("error:")
    assert "Traceback" not in err


def test_real_entry_point_error(tmp_path: Path) -> None:
    res = _run_entry_point("ask", tmp_path / "missing.csv", "How do customers find us?")
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1
    assert "missing.csv" in res.stderr


REVIEWS = [
    "Support answered within the hour and fixed our import problem.",
    "The pricing is too expensive for a small finance team.",
    "We found them through a partner who recommended the product.",
    "Reporting is fast and the dashboards are easy to share with the board.",
]


@pytest.mark.parametrize("command", ["voice", "ask", "interviews"])
def test_the_text_column_named_in_the_hint_can_be_given(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str
) -> None:
    """G2 reviews keep their text in 'text_unsplit': the error said 'Name it with --text-column',
    an option no command had."""
    from _helpers import icp

    path = tmp_path / "reviews.csv"
    accounts = [f"a{i % 2}" for i in range(len(REVIEWS))]
    pd.DataFrame({"account_id": accounts, "text_unsplit": REVIEWS}).to_csv(path, index=False)
    scored, contacts = tmp_path / "scored.csv", tmp_path / "contacts.csv"
    pd.DataFrame({"account_id": ["a0", "a1"], "icp_tier": ["A", "C"]}).to_csv(scored, index=False)
    pd.DataFrame({"contact_id": ["c0"], "account_id": ["a0"], "title": ["CFO"]}).to_csv(
        contacts, index=False
    )
    extra = {
        "voice": [],
        "ask": ["How do customers find us?"],
        "interviews": ["--scored", scored, "--contacts", contacts],
    }[command]
    code, _, err = icp(capsys, command, path, *extra)
    assert code == 2
    assert "--text-column" in err
    code, text, err = icp(capsys, command, path, *extra, "--text-column", "text_unsplit", "--json")
    assert code == 0, err
    assert json.loads(text)
    code, _, err = icp(capsys, command, path, *extra, "--text-column", "txt_unsplit")
    assert code == 2
    assert "'txt_unsplit'" in err  # the missing column, and the one meant
    assert "Did you mean 'text_unsplit'?" in err


def test_without_scored_accounts_no_empty_icp_columns_and_no_question_marks(
    files: dict[str, Path], tmp_path: Path
) -> None:
    """G2 reviews, no accounts: every row read 'ICP share 0%, others share 0%' and every quote
    ended '— ? (?)'; theme rows named categories by key (pain_point) beside labelled ones."""
    bare = tmp_path / "reviews.csv"
    pd.read_csv(files["feedback"], dtype=str)[["feedback_id", "text"]].to_csv(bare, index=False)
    res = _run("voice", bare, "--method", "tfidf")
    assert res.returncode == 0, res.stderr
    assert "ICP share" not in res.stdout
    assert "others share" not in res.stdout
    assert "No scored accounts (--accounts): ICP accounts are not compared" in res.stdout
    assert "— ?" not in res.stdout  # an unknown account or source is left out, not '?'
    assert "(?)" not in res.stdout
    report = json.loads(_run("voice", bare, "--method", "tfidf", "--json").stdout)
    keys = [c["category"] for c in report["categories"] if "_" in c["category"]]
    assert keys  # keys like pain_point (one-word keys such as 'other' also occur in quotes)
    for key in keys:
        assert key not in res.stdout  # the label is shown, not the key
    # with accounts the comparison columns are there
    scored = _run("voice", files["feedback"], "--accounts", files["scored"], "--method", "tfidf")
    assert "ICP share" in scored.stdout
