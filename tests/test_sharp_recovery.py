"""Planted ICPs are recovered whole, on the attribute that draws them (issue 10).

Reproduces the truth benchmark's misses: on the standard seed-11 world "European financial
services" was not found at all (best Jaccard 0.11: its traits score little alone, and the
search by success rate spent its groups on high cloud spend); on seed 7 it came out as
"516+ employees" (Jaccard 0.43, planted 200+) and Healthcare-on-AWS needed revenue for size.
"""

from __future__ import annotations

import warnings

import numpy as np
import pyarrow as pa
import pytest

from icpkit.discover import learn
from icpkit.intake import load_table
from icpkit.profile import Condition
from icpkit.refine import refine_ranges
from icpkit.scoring import condition_mask
from icpkit.segments import Atom, SegmentFinder, rule_mask
from icpkit.synth import SEGMENTS, Rule, make_world, matches


def _found(seed: int) -> list[tuple[tuple[dict, ...], np.ndarray, list[float]]]:
    """Per discovered segment: its conditions, its rows in the market universe, and its
    Jaccard with each planted segment."""
    world = make_world(4000, seed=seed, n_universe=40000)
    table = load_table(
        pa.Table.from_pandas(world.training, preserve_index=False), kind="accounts"
    ).table
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        profile = learn(table, "IsWon").profile
    uni = world.latent_universe
    truths = [matches(uni, planted) for planted in SEGMENTS]
    found = []
    for s in profile.segments:
        conds = tuple(c.model_dump(by_alias=True, exclude_none=True) for c in s.conditions)
        if all(c["attribute"] in uni.columns for c in conds):
            f = matches(uni, Rule("s", "", conds, 0.0, 0.0))
            found.append((conds, f, [(f & t).sum() / (f | t).sum() for t in truths]))
    return found


def _best_jaccards(seed: int) -> list[float]:
    found = _found(seed)
    return [max((j[k] for _c, _f, j in found), default=0.0) for k in range(len(SEGMENTS))]


@pytest.mark.parametrize("seed", [11, 7])
def test_every_planted_segment_is_recovered(seed: int) -> None:
    jaccards = _best_jaccards(seed)
    assert min(jaccards) >= 0.6, dict(zip([s.name for s in SEGMENTS], jaccards, strict=True))


def test_a_near_tie_on_a_few_rows_keeps_the_measure_the_search_found() -> None:
    # Seed 7: inside "Financial Services · in Europe" (126 search rows) employees 149+ and
    # revenue $52M+ tie; revenue separated success a little inside the employees range (3.1 on
    # 61 rows) and employees hardly inside revenue's (0.7 on 44), which moved the planted
    # employees condition to revenue (Jaccard 0.84 -> 0.67) until explaining away had to be
    # clear on its own, not only larger.
    found = _found(7)
    k = next(i for i, p in enumerate(SEGMENTS) if p.name == "European financial services")
    conds, _rows, _jaccards = max(found, key=lambda f: f[2][k])
    attributes = {c["attribute"] for c in conds}
    assert "employees" in attributes, conds
    assert "annual_revenue" not in attributes, conds


def _atom(cond: Condition, table: pa.Table) -> Atom:
    return Atom(cond.attribute, (-3,), cond, np.packbits(condition_mask(cond, table)))


def _proxy_world(n: int = 6000, seed: int = 0) -> tuple[pa.Table, np.ndarray, np.ndarray]:
    """Industry A with 50-999 employees succeeds 60%, everyone else 12%; revenue follows
    employees loosely (a proxy), founding year is noise."""
    rng = np.random.default_rng(seed)
    industry = rng.choice(["A", "B", "C", "D"], n)
    employees = np.round(np.exp(rng.normal(5.0, 1.6, n)))
    revenue = employees * np.exp(rng.normal(11.5, 0.8, n))
    founded = rng.integers(1970, 2024, n).astype(float)
    member = (industry == "A") & (employees >= 50) & (employees < 1000)
    y = rng.random(n) < np.where(member, 0.6, 0.12)
    table = pa.table(
        {
            "industry": industry,
            "employees": employees,
            "annual_revenue": revenue,
            "founded_year": founded,
        }
    )
    return table, y, member


def _refined(conditions: list[Condition], table: pa.Table, y: np.ndarray) -> list[Condition]:
    finder = SegmentFinder().fit({}, {}, y)
    rule = finder.measure(tuple(_atom(c, table) for c in conditions), table, y)
    numeric = ["employees", "annual_revenue", "founded_year"]
    return refine_ranges(rule, finder, table, y, None, numeric).conditions


def _jaccard(conditions: list[Condition], table: pa.Table, member: np.ndarray) -> float:
    m = np.ones(table.num_rows, dtype=bool)
    for c in conditions:
        m &= condition_mask(c, table)
    return float((m & member).sum() / (m | member).sum())


def test_a_proxy_condition_moves_to_the_attribute_that_draws_the_group() -> None:
    table, y, member = _proxy_world()
    industry = Condition.model_validate({"attribute": "industry", "in": ["A"]})
    proxy = [industry, Condition(attribute="annual_revenue", ge=5_000_000)]
    refined = _refined(proxy, table, y)
    assert {c.attribute for c in refined} == {"industry", "employees"}
    size = next(c for c in refined if c.attribute == "employees")
    assert size.ge is not None
    assert size.lt is not None
    assert 30 <= size.ge <= 80, size
    assert 600 <= size.lt <= 1600, size
    assert _jaccard(refined, table, member) >= 0.8 > _jaccard(proxy, table, member)


def test_a_narrow_range_widens_and_noise_does_not_replace_it() -> None:
    table, y, member = _proxy_world(seed=1)
    industry = Condition.model_validate({"attribute": "industry", "in": ["A"]})
    narrow = [industry, Condition(attribute="employees", ge=70, lt=500)]
    refined = _refined(narrow, table, y)
    assert [c.attribute for c in refined] == ["industry", "employees"]
    assert _jaccard(refined, table, member) > _jaccard(narrow, table, member) + 0.1


def test_refinement_keeps_the_rule_when_nothing_explains_better() -> None:
    table, y, _member = _proxy_world(seed=2)
    finder = SegmentFinder().fit({}, {}, y)
    cond = Condition.model_validate({"attribute": "industry", "in": ["A"]})
    rule = finder.measure((_atom(cond, table),), table, y)
    same = refine_ranges(rule, finder, table, y, None, ["employees"])
    assert same is rule  # no number condition to refine
    assert rule_mask(same, len(y)).sum() == (table.column("industry").to_numpy() == "A").sum()
