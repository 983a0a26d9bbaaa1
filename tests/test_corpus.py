"""The broken-files corpus: every file through `icp inspect`, `icp normalize` and `icp score`.

tests/corpus/files holds 70+ broken or awkward files (made by tests/corpus/make_corpus.py:
ragged rows, stray quotes, NUL bytes, bare CRs, encodings, footers, huge fields and
headers, formula and HTML payloads, deep JSON, nested Parquet, Excel quirks, ...).
tests/golden/corpus.yaml says, for each file and command, the documented outcome: a result
(rows and rows set aside) or the one clear error line. The test compares, it never writes
the golden file; ``python tests/test_corpus.py`` prints the current outcomes to review.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
import yaml

from icpkit.cli._app import main

CORPUS = Path(__file__).parent / "corpus"
FILES = CORPUS / "files"
GOLDEN = Path(__file__).parent / "golden" / "corpus.yaml"
COMMANDS = ("inspect", "normalize", "score")


def _run(args: list[str], capfd: pytest.CaptureFixture[str] | None) -> tuple[int, str, str]:
    old = sys.argv
    sys.argv = ["icp", *args]
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.argv = old
    if capfd is None:
        return code, "", ""
    captured = capfd.readouterr()
    return code, captured.out, captured.err


def args_for(command: str, name: str, out: Path) -> list[str]:
    if command == "inspect":
        return ["inspect", name, "--json"]
    if command == "normalize":
        return ["normalize", name, "-o", str(out / "normalized.parquet"), "--json"]
    return ["score", name, "-p", str(CORPUS / "profile.yaml"), "-o", str(out / "s.csv"), "--json"]


def outcome(command: str, code: int, stdout: str, stderr: str) -> str:
    """'ok: 199 rows, 1 set aside' or 'exit 2: <the error line>'; raises on a traceback."""
    assert "Traceback" not in stderr, stderr
    if code == 0:
        report = json.loads(stdout)
        rejects = report["rejects"]
        count = rejects["count"] if isinstance(rejects, dict) else rejects
        return f"ok: {report['rows']} rows, {count} set aside"
    assert code == 2, (code, stderr)
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return f"exit 2: {lines[0].removeprefix('error: ')}"


def load_golden() -> dict[str, dict[str, str]]:
    data: dict[str, dict[str, str]] = yaml.safe_load(GOLDEN.read_text(encoding="utf-8"))
    return data


def test_the_corpus_and_the_golden_file_agree_on_the_cases() -> None:
    names = sorted(p.name for p in FILES.iterdir())
    assert len(names) >= 60
    assert sorted(load_golden()) == names


@pytest.mark.parametrize("name", sorted(p.name for p in FILES.iterdir()))
def test_corpus_file(
    name: str,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    expected = load_golden().get(name)
    monkeypatch.chdir(FILES)
    got = {}
    for command in COMMANDS:
        code, stdout, stderr = _run(args_for(command, name, tmp_path), capfd)
        got[command] = outcome(command, code, stdout, stderr)
    assert got == expected
    # A failed write leaves nothing behind; a good one says where rejects went.
    if got["score"].startswith("exit"):
        assert not (tmp_path / "s.csv").exists()
    left = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("."))
    assert left == [], left  # no temporary files


def _print_outcomes() -> None:  # pragma: no cover - a helper for reviewing the corpus
    import contextlib
    import io
    import tempfile

    os.chdir(FILES)
    result: dict[str, dict[str, str]] = {}
    for path in sorted(FILES.iterdir()):
        result[path.name] = {}
        for command in COMMANDS:
            with tempfile.TemporaryDirectory() as tmp:
                out, err = io.StringIO(), io.StringIO()
                with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                    from icpkit.cli import _app

                    _app.out.file, _app.err.file = out, err
                    code, _, _ = _run(args_for(command, path.name, Path(tmp)), None)
                result[path.name][command] = outcome(command, code, out.getvalue(), err.getvalue())
    print(yaml.safe_dump(result, sort_keys=True, allow_unicode=True, width=1000))


if __name__ == "__main__":  # pragma: no cover
    _print_outcomes()
