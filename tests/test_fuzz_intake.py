"""Fuzz pass: hypothesis-made CSV and JSON through ``read_table`` and ``icp inspect``.

Random bytes, encodings, delimiters, quotes and row widths: every input gives a table
(with rows set aside, maybe) or one clear error (an IcpError; exit code 2 on the command
line), never a traceback. The number of examples is bounded so CI stays quick
(ICPKIT_FUZZ_EXAMPLES, default 60 per test).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _helpers import icp
from icpkit.errors import IcpError
from icpkit.intake import read_table

EXAMPLES = int(os.environ.get("ICPKIT_FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,  # the same examples on every run: a failure reproduces
)

CELL = st.text(
    alphabet=st.sampled_from(list("ab ,;|\t\"'\r\n\x00=+-@é€🙂\u200b0123456789")),
    max_size=12,
)
ROW = st.lists(CELL, min_size=0, max_size=6)


@st.composite
def csv_bytes(draw: st.DrawFn) -> bytes:
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    rows = draw(st.lists(ROW, min_size=0, max_size=12))
    quote = draw(st.booleans())
    lines = []
    for row in rows:
        cells = [f'"{c}"' if quote and draw(st.booleans()) else c for c in row]
        lines.append(delimiter.join(cells))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = newline.join(lines) + draw(st.sampled_from(["", newline]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"]))
    data = text.encode(encoding, errors="replace")
    if draw(st.booleans()):  # a few random bytes somewhere
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(max_size=8)) + data[at:]
    return data


JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=12,
)


@st.composite
def json_bytes(draw: st.DrawFn) -> tuple[str, bytes]:
    records = draw(st.lists(JSON_VALUE, max_size=6))
    if draw(st.booleans()):
        lines = [json.dumps(r) for r in records]
        if lines and draw(st.booleans()):
            lines[draw(st.integers(0, len(lines) - 1))] = draw(st.text(max_size=10))
        return ".jsonl", "\n".join(lines).encode("utf-8", errors="replace")
    text = json.dumps(records)
    if draw(st.booleans()):
        text = text[: draw(st.integers(0, len(text)))]  # truncated
    return ".json", text.encode()


def read_or_clear_error(path: Path) -> None:
    message = None
    try:
        table = read_table(path, max_rejects=1.0)
    except IcpError as exc:  # the one kind of error allowed: it says what and where
        message = str(exc).strip()
    if message is not None:
        assert message, "an error must say something"
        assert "\n" not in message
    else:
        assert table.num_columns >= 0


@FUZZ
@given(data=csv_bytes())
def test_read_table_never_raises_anything_but_a_clear_error(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "fuzz.csv"
    path.write_bytes(data)
    read_or_clear_error(path)


@FUZZ
@given(case=json_bytes())
def test_json_never_raises_anything_but_a_clear_error(
    tmp_path: Path, case: tuple[str, bytes]
) -> None:
    suffix, data = case
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data)
    read_or_clear_error(path)


@FUZZ
@given(data=csv_bytes())
def test_icp_inspect_gives_a_result_or_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes
) -> None:
    path = tmp_path / "fuzz.csv"
    path.write_bytes(data)
    code, out, err = icp(capsys, "inspect", path, "--json", "--max-rejects", "100%")
    assert "Traceback" not in err
    if code == 0:
        report = json.loads(out)
        assert report["rows"] >= 0
        assert report["rejects"]["count"] >= 0
    else:
        assert code == 2, err
        assert err.strip().count("\n") == 0, err
        assert err.startswith("error: ")
