"""Nothing in a profile can inject or exhaust: one refusal for every command.

Each attack of issue 15 on profiles: a YAML alias bomb in the free-form keys, a key
written twice, NUL and other control characters in names and values, a million bins,
points of 10^29. ``explain``, ``score``, ``sql`` and ``drift`` accept or refuse the same
file, with the same one line and exit code 2.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from _helpers import icp
from icpkit.errors import ProfileError
from icpkit.profile import MAX_BINS, MAX_POINTS, load_profile, profile_from_dict

GOOD = {
    "intercept": 40,
    "attributes": [
        {
            "name": "industry",
            "kind": "categorical",
            "bins": [{"values": ["Software"], "points": 30}, {"values": ["Retail"], "points": -5}],
        }
    ],
}

BOMB = """\
intercept: 10
attributes:
  - name: industry
    kind: categorical
    bins:
      - {values: [Software], points: 30}
metrics:
  a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]
  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
  d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
  e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
  f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
  g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
"""

DUPLICATE = """\
intercept: 40
attributes:
  - name: industry
    kind: categorical
    bins:
      - {values: [Software], points: 30}
intercept: 99
"""


def with_bins(n: int) -> dict:
    bins = [{"lower": float(i), "upper": float(i + 1), "points": 1} for i in range(n)]
    return {"attributes": [{"name": "employees", "kind": "numeric", "bins": bins}]}


def with_points(points: float) -> dict:
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    data["attributes"][0]["bins"][0]["points"] = points
    return data


def with_value(value: str) -> dict:
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    data["attributes"][0]["bins"][1]["values"] = ["Software2", value]
    return data


ATTACKS: dict[str, tuple[str | dict, str]] = {
    "alias bomb": (BOMB, "expands to more than 200,000 values"),
    "duplicate key": (DUPLICATE, "the key 'intercept' is written twice (again on row 7)"),
    "NUL in a value": (with_value("é\0'; DROP TABLE accounts; --"), "control character '\\x00'"),
    "escape in a value": (with_value("Retail\x1b[31m"), "control character '\\x1b'"),
    "a million bins": (with_bins(MAX_BINS + 1), "at most 1000 items"),
    # The attack wrote the number out: 1 and 29 zeros is an integer to YAML and to pydantic,
    # so it passed the old `points: int` and overflowed the scorer's int64 (explain and sql
    # printed it). `1e29` as typed is text to YAML 1.1 and was always refused.
    "points 10**29": (with_points(10**29), f"less than or equal to {MAX_POINTS}"),
    "points past int32": (with_points(3_000_000_000), f"less than or equal to {MAX_POINTS}"),
    "points 2e6": (with_points(2_000_000), f"less than or equal to {MAX_POINTS}"),
}


def write(tmp_path: Path, content: str | dict) -> Path:
    path = tmp_path / "profile.yaml"
    text = content if isinstance(content, str) else yaml.safe_dump(content, allow_unicode=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_every_command_refuses_the_same_profile_in_one_line(
    attack: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content, needle = ATTACKS[attack]
    path = write(tmp_path, content)
    with pytest.raises(ProfileError, match="profile") as info:
        load_profile(path)
    assert needle in str(info.value)
    data = tmp_path / "accounts.csv"
    data.write_text("Name,Industry\nA,Software\n")
    commands = [
        ["explain", path],
        ["score", data, "-p", path, "-o", tmp_path / "out.csv"],
        ["sql", path, "--dialect", "postgres"],
        ["drift", path, path],
    ]
    for args in commands:
        code, _, err = icp(capsys, *args)
        assert code == 2, (args, err)
        assert err.count("\n") == 1, (args, err)
        assert needle in err, (args, err)
    assert not (tmp_path / "out.csv").exists()


def test_a_profile_within_the_caps_is_accepted(tmp_path: Path) -> None:
    profile = load_profile(write(tmp_path, with_bins(MAX_BINS)))
    assert len(profile.attributes[0].bins) == MAX_BINS
    assert profile_from_dict(with_points(MAX_POINTS)).attributes[0].bins[0].points == MAX_POINTS


def test_tabs_and_newlines_in_descriptions_are_fine() -> None:
    data = dict(GOOD, description="Line one\n\tLine two")
    assert profile_from_dict(data).description == "Line one\n\tLine two"


def test_a_small_anchor_is_still_allowed(tmp_path: Path) -> None:
    text = (
        "attributes:\n  - name: industry\n    kind: categorical\n    bins:\n"
        "      - {values: &sw [Software, SaaS], points: 30}\n"
        "segments:\n  - name: Software\n    conditions: [{attribute: industry, in: *sw}]\n"
    )
    profile = load_profile(write(tmp_path, text))
    assert profile.segments[0].conditions[0].in_ == ["Software", "SaaS"]
