"""Overlapping named-only segments are folded into the segment that contains them.

On the demo world (`icp synth --accounts 3000 --seed 11`, discover training.csv) main listed
10 segments; "monthly cloud spend $30.4k+ · raised $6M–$30M · in Europe" (no points) lay
wholly inside the higher-ranked "monthly cloud spend $30.6k+ · raised $3.8M+" and did no better
there on the held-out rows (lift 2.88 against 3.04). A reader takes each listed segment as a
distinct group of ideal customers; that one is not. Two other named-only groups lie 91-100%
inside a higher one and stay listed: they succeed clearly more often than the rest of it, on
the rows they were found on and on the held-out rows.
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pytest

from _helpers import discover_world
from icpkit.folding import CONTAINED, fold_segments, folded_line
from icpkit.profile import Condition, Profile, Segment, load_profile
from icpkit.scoring import condition_mask, score_table


def _rows(segment: Segment, table: pa.Table) -> np.ndarray:
    mask = np.ones(table.num_rows, dtype=bool)
    for c in segment.conditions:
        mask &= condition_mask(c, table)
    return mask


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Profile, pa.Table]:
    """`icp discover` on the demo world: its printout (one string), profile and input table."""
    from icpkit.intake import load

    text, out, data = discover_world(tmp_path_factory.mktemp("fold"), 3000, 11)
    return text, load_profile(out), load(str(data)).table


def test_a_named_only_segment_inside_a_higher_one_does_better_there_on_the_demo_world(
    demo: tuple[str, Profile, pa.Table],
) -> None:
    """Listed inside another, a named-only group must at least beat it on held-out rows."""
    _text, profile, table = demo
    masks = [_rows(s, table) for s in profile.segments]
    nested = []
    for i, s in enumerate(profile.segments):
        if s.points or not masks[i].any():
            continue
        for j, other in enumerate(profile.segments):
            if j != i and (j < i or other.points):
                share = (masks[i] & masks[j]).sum() / masks[i].sum()
                if share >= CONTAINED:
                    nested.append((s, other, round(float(share), 2)))
    worse = [
        (s.name, s.held_out_lift, o.name, o.held_out_lift)
        for s, o, _share in nested
        if (s.held_out_lift or 0.0) <= (o.held_out_lift or 0.0)
    ]
    assert not worse, worse
    # The headline's group is still listed.
    head = (profile.metrics or {})["silhouette"]
    assert head["segment"] in [s.name for s in profile.segments]
    assert len(profile.segments) >= 5


def test_discover_prints_one_line_naming_what_was_folded(
    demo: tuple[str, Profile, pa.Table],
) -> None:
    text, profile, _table = demo
    flat = " ".join(text.split())  # rich wraps long lines
    m = re.search(
        r"(\d+) overlapping groups? folded into the segments? that contains? (?:it|them): "
        r"(.*?)\.(?: |$)",
        flat,
    )
    assert m, text
    listed = {s.name for s in profile.segments}
    parts = m.group(2).split("; ")
    assert int(m.group(1)) == len(parts) >= 1
    for part in parts:
        name, share, into = re.fullmatch(r"(.+) \((\d+)% inside (.+)\)", part).groups()  # type: ignore[union-attr]
        assert name not in listed, name  # folded: no longer a segment of its own
        assert into in listed, into  # folded into a segment the reader sees
        assert int(share) >= 80


def test_folded_line_in_words() -> None:
    one = [{"segment": "Software · on Salesforce", "into": "Software", "overlap": 0.9123}]
    assert folded_line(one) == (
        "1 overlapping group folded into the segment that contains it: "
        "Software · on Salesforce (91% inside Software)."
    )
    two = [*one, {"segment": "B · C", "into": "B", "overlap": 1.0}]
    assert folded_line(two) == (
        "2 overlapping groups folded into the segments that contain them: "
        "Software · on Salesforce (91% inside Software); B · C (100% inside B)."
    )
    assert folded_line([]) is None
    almost = [{"segment": "B · C", "into": "B", "overlap": 0.996}]
    assert "(99% inside B)" in str(folded_line(almost))


def _nested_world(
    inner_rate: float, outer_rate: float, n: int = 4000, seed: int = 3
) -> tuple[pa.Table, np.ndarray]:
    """Industry A (a quarter of rows); inside it, the half on Salesforce succeeds at
    ``inner_rate`` and the other half at ``outer_rate``; everyone else at 10%."""
    rng = np.random.default_rng(seed)
    industry = rng.choice(["A", "B", "C", "D"], n)
    sf = rng.random(n) < 0.5
    rate = np.where(industry == "A", np.where(sf, inner_rate, outer_rate), 0.10)
    y = rng.random(n) < rate
    table = pa.table({"industry": industry, "tech_salesforce": np.where(sf, "yes", "no")})
    return table, y


def _profile(table: pa.Table, y: np.ndarray, container_points: int) -> Profile:
    def seg(name: str, conds: list[Condition], points: int) -> Segment:
        m = np.ones(table.num_rows, dtype=bool)
        for c in conds:
            m &= condition_mask(c, table)
        rate = float(y[m].mean())
        return Segment(
            name=name,
            conditions=conds,
            points=points,
            size=int(m.sum()),
            success_rate=round(rate, 4),
            lift=round(rate / float(y.mean()), 3),
        )

    a = Condition.model_validate({"attribute": "industry", "in": ["A"]})
    sf = Condition.model_validate({"attribute": "tech_salesforce", "in": ["yes"]})
    return Profile(segments=[seg("A", [a], container_points), seg("A · on Salesforce", [a, sf], 0)])


@pytest.mark.parametrize("container_points", [0, 8])
def test_a_nested_group_that_separates_success_within_its_container_is_kept(
    container_points: int,
) -> None:
    # Inside A, Salesforce accounts succeed at 60% and the others at 25%: a distinct group.
    table, y = _nested_world(0.60, 0.25)
    profile = _profile(table, y, container_points)
    rows = np.random.default_rng(0).permutation(len(y))[: 3 * len(y) // 4]
    kept, folded = fold_segments(profile, table, y, rows)
    assert folded == []
    assert [s.name for s in kept.segments] == ["A", "A · on Salesforce"]


@pytest.mark.parametrize("rows", ["held-out", "all"])
def test_a_nested_group_that_succeeds_like_its_container_is_folded(rows: str) -> None:
    # Inside A, Salesforce makes no difference (40% either way): the same customers as A.
    table, y = _nested_world(0.40, 0.40)
    profile = _profile(table, y, 0)
    search = None
    if rows == "held-out":
        search = np.random.default_rng(0).permutation(len(y))[: 3 * len(y) // 4]
    kept, folded = fold_segments(profile, table, y, search)
    assert [s.name for s in kept.segments] == ["A"]
    assert [(f.segment, f.into, f.overlap) for f in folded] == [("A · on Salesforce", "A", 1.0)]
    # A named-only segment adds no points: folding it changes no score.
    before = score_table(profile, table).column("icp_score").to_numpy()
    after = score_table(kept, table).column("icp_score").to_numpy()
    assert np.array_equal(before, after)


def test_the_headline_group_and_segments_with_points_are_never_folded() -> None:
    table, y = _nested_world(0.40, 0.40)
    profile = _profile(table, y, 0)
    nested = profile.segments[1]
    _kept, folded = fold_segments(profile, table, y, keep=list(nested.conditions))
    assert folded == []
    with_points = profile.model_copy(
        update={"segments": [profile.segments[0], nested.model_copy(update={"points": 5})]}
    )
    _kept, folded = fold_segments(with_points, table, y)
    assert folded == []


def test_a_single_segment_has_nothing_to_fold_into() -> None:
    table, y = _nested_world(0.40, 0.40)
    profile = _profile(table, y, 0)
    single = profile.model_copy(update={"segments": profile.segments[:1]})
    assert fold_segments(single, table, y) == (single, [])
