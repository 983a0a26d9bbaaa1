"""`icp discover` as a new user read it, on the world they ran (synthetic, seed 5, 2,000 accounts).

The segment table is read on a world of 3,000 accounts (seed 8) as well: described segments
are shown only when held-out rows confirm them, and 2,000 rows are cross-validated, none held out.
Its segment table listed 0-point rows and one-trait segments alike as "several ICPs", and its
attributes table showed column names (Territory_Code__c, cloud_spend, tech_aws).
"""

from __future__ import annotations

import pytest

from _helpers import discover_world
from icpkit.explain import segment_role
from icpkit.profile import Profile, load_profile

RAW = ("Territory_Code__c", "cloud_spend", "annual_revenue", "tech_", "founded_year", "__c")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Profile]:
    """discover's printout (one table row per line) and the profile it wrote."""
    return _discover(tmp_path_factory, 2000, 5)


@pytest.fixture(scope="module")
def held(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Profile]:
    """The same on 3,000 rows: discover holds rows out, so described segments can be shown."""
    return _discover(tmp_path_factory, 3000, 8)


def _discover(
    tmp_path_factory: pytest.TempPathFactory, accounts: int, seed: int
) -> tuple[str, Profile]:
    text, out, _ = discover_world(tmp_path_factory.mktemp("nu"), accounts, seed)
    return text, load_profile(out)


def _table(text: str, title: str, end: str) -> list[list[str]]:
    part = text[text.index(title) : text.index(end)]
    return [
        [c.strip() for c in line.split("│")[1:-1]]
        for line in part.splitlines()
        if line.startswith("│")
    ]


def test_segment_table_shows_what_carries_weight_with_held_out_figures(
    held: tuple[str, Profile],
) -> None:
    text, profile = held
    roles = {s.name: segment_role(s, profile) for s in profile.segments}
    assert {"top-up", "described"} <= set(roles.values())  # the case the new user saw
    rows = _table(text, "Segments (several ICPs)", "Anti-ICP")
    # exactly the segments that are ICPs of their own have a row, each with its bonus
    own = {
        s.name: f"{s.points:+d}" if s.points else "0"
        for s in profile.segments
        if roles[s.name] in {"bonus", "correction", "described"}
    }
    assert {r[1]: r[2] for r in rows} == own
    # in the profile's order, numbered by it: the order that gives a record its segment
    order = {s.name: i for i, s in enumerate(profile.segments, 1)}
    assert [r[0] for r in rows] == [str(order[r[1]]) for r in rows]
    assert [int(r[0]) for r in rows] == sorted(int(r[0]) for r in rows)
    part = text[text.index("Segments (several ICPs)") : text.index("Anti-ICP")]
    head = next(line for line in part.splitlines() if line.startswith("┃"))
    assert "in-sample" in head
    assert "held-out" in head
    assert "score through their traits' points" in part
    line = next(x for x in part.splitlines() if x.startswith("One-trait bonuses"))
    assert "not separate ICPs" in line
    assert all(n in line for n, r in roles.items() if r == "top-up")


def test_attributes_table_reads_business_names(run: tuple[str, Profile]) -> None:
    text, profile = run
    # Cross-validated (2,000 rows): no rows confirm a described group, so none is listed.
    assert all(segment_role(s, profile) != "described" for s in profile.segments)
    rows = _table(text, "What best customers share", "Segments (several ICPs)")
    names = [r[0] for r in rows]
    assert "Territory Code" in names  # a Salesforce custom field: its label, not its API name
    assert "monthly cloud spend" in names
    for name in names:
        assert not any(raw in name for raw in RAW), name
