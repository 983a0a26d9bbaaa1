"""The headline names the planted traits and quotes a lift fresh data confirms (issue 10).

Reproduces the truth benchmark's last headline miss: on the informative-missing world (seed 43,
employees and revenue left blank on low-fit accounts) the headline read "Software company with
revenue $49.8M+", annual revenue standing in for the planted employees condition, and quoted
3.59x where a fresh draw of the same world gives 3.08x. The refinement's grid of 12 cut points
put no cut between 180 and 280 employees, so only revenue could draw the planted boundary at 200.

And on world 61 a near tie: inside "Software company on Salesforce" revenue explained success on
the search rows about as well as employees, so a group found on revenue kept revenue; a near tie
now goes to the measure that explains the other away.

Also: a group described without points is shown only when the rows it was not found on confirm
it (the sharp search listed "in CO · 67–522 employees", 1.2x on held-out rows).
"""

from __future__ import annotations

import warnings

import numpy as np
import pyarrow as pa

from icpkit.discover import learn
from icpkit.intake import load_table
from icpkit.profile import Condition
from icpkit.segments import Atom, Rule, rule_mask
from icpkit.sharp import CONFIRM_P, confirmed
from icpkit.synth import SEGMENTS, make_world, matches
from icpkit.synth import Rule as Planted


def _overlaps(cond: dict, planted: dict) -> bool:
    if cond["attribute"] != planted["attribute"]:
        return False
    if "in" in cond or "in" in planted:
        have, want = cond.get("in"), planted.get("in")
        return have is not None and want is not None and bool({*map(str, have)} & {*map(str, want)})
    lo = max(cond.get("ge", -np.inf), planted.get("ge", -np.inf))
    hi = min(cond.get("lt", np.inf), planted.get("lt", np.inf))
    return bool(lo < hi)


def _headline(seed: int, missing_signal: float) -> dict:
    """The headline discover learns on the truth benchmark's world of this seed (its market
    universe is drawn too: it shapes the training draw)."""
    world = make_world(
        4000, seed=seed, n_universe=40000, segments=SEGMENTS, missing_signal=missing_signal
    )
    table = load_table(
        pa.Table.from_pandas(world.training, preserve_index=False), kind="accounts"
    ).table
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        profile = learn(table, "IsWon").profile
    return (profile.metrics or {})["silhouette"]


def _planted_owner(conds: list[dict]) -> Planted | None:
    """The planted segment every headline trait belongs to, if any."""
    return next(
        (p for p in SEGMENTS if all(any(_overlaps(c, q) for q in p.conditions) for c in conds)),
        None,
    )


def _fresh_lift(seed: int, conds: list[dict]) -> float:
    """The headline group's lift on a fresh draw of the same world (rows never learned from)."""
    fresh = make_world(20000, seed=seed + 10_000, n_universe=0, segments=SEGMENTS).latent
    y = fresh["won"].to_numpy(dtype=bool)
    m = matches(fresh, Planted("h", "", tuple(conds), 0.0, 0.0))
    return float(y[m].mean() / y.mean())


def test_informative_missing_world_headline_names_planted_traits_and_a_true_lift() -> None:
    head = _headline(43, missing_signal=0.5)
    conds = head["conditions"]
    assert _planted_owner(conds) is not None, (
        f"headline traits outside every planted segment: {conds}"
    )
    assert "annual_revenue" not in {c["attribute"] for c in conds}
    measured = _fresh_lift(43, conds)
    assert abs(head["lift"] - measured) <= 0.15 * measured, (head["lift"], measured)


def test_a_near_tie_goes_to_the_measure_that_explains_the_other_away() -> None:
    # World 61 (the truth benchmark's last headline miss): inside "Software company on
    # Salesforce" revenue $25.9M+ and 224+ employees explain success on the search rows almost
    # equally (log-likelihood ratios 46.5 and 47.3), so the group found on revenue kept revenue,
    # a trait outside the planted "Mid-market software on Salesforce" (200-4,999 employees).
    # Inside the revenue group employees still separates success; inside the employees group
    # revenue separates it much less, so the condition belongs to employees.
    head = _headline(61, missing_signal=0.0)
    conds = head["conditions"]
    owner = _planted_owner(conds)
    assert owner is not None, f"headline traits outside every planted segment: {conds}"
    assert owner.name == "Mid-market software on Salesforce", owner.name
    assert "annual_revenue" not in {c["attribute"] for c in conds}
    measured = _fresh_lift(61, conds)
    assert abs(head["lift"] - measured) <= 0.15 * measured, (head["lift"], measured)


def _rule(mask: np.ndarray) -> Rule:
    atom = Atom("x", (1,), Condition(attribute="x", ge=1.0), np.packbits(mask))
    return Rule((atom,), int(mask.sum()), 0, 0.0, 0.0, quality=0.0, z=0.0)


def test_a_described_group_is_shown_only_when_held_out_rows_confirm_it() -> None:
    rng = np.random.default_rng(0)
    n = 4000
    y = rng.random(n) < 0.15
    search = np.arange(3000)
    real = np.zeros(n, dtype=bool)
    real[rng.choice(n, 400, replace=False)] = True
    y[real] = rng.random(real.sum()) < 0.6  # a real group: 60% succeed everywhere
    lucky = np.zeros(n, dtype=bool)
    lucky[rng.choice(n, 200, replace=False)] = True
    lucky &= ~real
    y[lucky & (np.arange(n) < 3000)] = True  # succeeds on the search rows only
    kept = confirmed([_rule(real), _rule(lucky)], y, search)
    assert [int(rule_mask(r, n).sum()) for r in kept] == [int(real.sum())]
    assert 0 < CONFIRM_P < 0.5
    # Without rows it was not found on, nothing confirms a group: none is shown.
    assert confirmed([_rule(real)], y, None) == []
