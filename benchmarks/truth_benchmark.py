"""Does the ICP tell the truth? Discover on synthetic worlds with planted ICPs, checked against them.

Each world is a synthetic CRM (``icpkit.synth.make_world``) with its own seed and planted
segments: the standard three, single big ones, a small planted segment, and one with
informative missingness (facts left blank on low-fit accounts). For each world discover learns
a profile from training.csv (as a user would, through intake), and the script prints:

* recovery: the share of planted segments matched by a discovered segment whose rows in the
  market universe overlap the planted rows with Jaccard >= 0.6;
* silhouette: whether every trait of the headline belongs to one planted segment, and whether
  the lift it quotes is within 15% of that group's lift measured on a fresh world drawn from
  the same plan (rows the profile never saw);
* contradictions: bins whose points order disagrees with their success-rate order;
* AUC on discover's own held-out rows, beside the figure today's main gave (``--baseline``).

Run: ``python benchmarks/truth_benchmark.py [--worlds 10] [--accounts 4000]``; ``--worlds`` takes
a count (the first N worlds) or seeds separated by commas (``--worlds 61,`` runs world 61 alone).
``--save-baseline FILE`` writes the AUCs (run it on an unchanged checkout of main).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from icpkit.synth import (
    MANUFACTURING_SAP,
    MIDMARKET_FS,
    RETAIL_SHOPIFY,
    SEGMENTS,
    Rule,
    make_world,
    matches,
)

HERE = Path(__file__).parent
BASELINE = HERE / "truth_baseline.json"

_SW_SF, _EU_FS, _HC_AWS = SEGMENTS

# (name, seed, planted segments, informative-missingness strength)
WORLDS: list[tuple[str, int, tuple[Rule, ...], float]] = [
    ("standard", 11, SEGMENTS, 0.0),
    ("standard", 7, SEGMENTS, 0.0),
    ("standard", 23, SEGMENTS, 0.0),
    ("software only", 31, (_SW_SF,), 0.0),
    ("healthcare + retail", 37, (_HC_AWS, RETAIL_SHOPIFY), 0.0),
    ("small segment", 41, (_SW_SF, MANUFACTURING_SAP), 0.0),
    ("informative missing", 43, SEGMENTS, 0.5),
    ("financial pair", 47, (_EU_FS, MIDMARKET_FS), 0.0),
    ("four segments", 53, (*SEGMENTS, RETAIL_SHOPIFY), 0.0),
    ("small + missing", 59, (_HC_AWS, MANUFACTURING_SAP), 0.4),
    ("standard", 61, SEGMENTS, 0.0),
    ("retail only", 67, (RETAIL_SHOPIFY,), 0.0),
]


def _canonical(frame: Any) -> pa.Table:
    from icpkit.intake import load_table

    return load_table(pa.Table.from_pandas(frame, preserve_index=False), kind="accounts").table


def _rule_dicts(conditions: list[Any]) -> list[dict[str, Any]]:
    return [c.model_dump(by_alias=True, exclude_none=True) for c in conditions]


def _mask(frame: Any, conditions: list[dict[str, Any]]) -> np.ndarray:
    """Rows of a latent (canonical) frame where every condition holds; False on unknown columns."""
    if any(c["attribute"] not in frame.columns for c in conditions):
        return np.zeros(len(frame), dtype=bool)
    return matches(frame, Rule("r", "", tuple(conditions), 0.0, 0.0))


def _jaccard(a: np.ndarray, b: np.ndarray) -> float:
    union = int((a | b).sum())
    return int((a & b).sum()) / union if union else 0.0


def _overlaps(cond: dict[str, Any], planted: dict[str, Any]) -> bool:
    """A headline trait belongs to a planted condition: same attribute, overlapping values."""
    if cond["attribute"] != planted["attribute"]:
        return False
    if "in" in cond and "in" in planted:
        return bool({str(v) for v in cond["in"]} & {str(v) for v in planted["in"]})
    if "in" in cond or "in" in planted:
        return False
    lo = max(cond.get("ge", -np.inf), planted.get("ge", -np.inf))
    hi = min(cond.get("lt", np.inf), planted.get("lt", np.inf))
    return bool(lo < hi)


def _silhouette_ok(
    profile: Any, plan: tuple[Rule, ...], fresh: Any
) -> tuple[bool, str, float | None, float | None]:
    """(traits in one planted segment and lift within 15%, why, quoted lift, measured lift)."""
    head = (profile.metrics or {}).get("silhouette")
    if not isinstance(head, dict) or not head.get("conditions"):
        return False, "no structured headline", None, None
    conds = head["conditions"]
    owner = next(
        (r for r in plan if all(any(_overlaps(c, p) for p in r.conditions) for c in conds)),
        None,
    )
    quoted = head.get("lift")
    y = fresh["won"].to_numpy(dtype=bool)
    m = _mask(fresh, conds)
    measured = float(y[m].mean() / y.mean()) if m.sum() else None
    if owner is None:
        return False, "traits outside any planted segment", quoted, measured
    if quoted is None or measured is None or abs(quoted - measured) > 0.15 * measured:
        return False, "lift off", quoted, measured
    return True, owner.name, quoted, measured


def run_world(
    name: str, seed: int, plan: tuple[Rule, ...], missing: float, n: int
) -> dict[str, Any]:
    from icpkit.discover import learn

    t0 = time.perf_counter()
    world = make_world(n, seed=seed, n_universe=10 * n, segments=plan, missing_signal=missing)
    table = _canonical(world.training)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = learn(table, "IsWon")
    profile = result.profile
    uni = world.latent_universe
    found = [_mask(uni, _rule_dicts(s.conditions)) for s in profile.segments]
    recovered = []
    for rule in plan:
        planted = matches(uni, rule)
        best = max((_jaccard(planted, f) for f in found), default=0.0)
        recovered.append((rule.name, round(best, 3)))
    fresh = make_world(20000, seed=seed + 10_000, n_universe=0, segments=plan).latent
    ok, why, quoted, measured = _silhouette_ok(profile, plan, fresh)
    contradictions = _contradictions(profile)
    return {
        "world": f"{name} (seed {seed})",
        "planted": len(plan),
        "recovered": sum(j >= 0.6 for _n, j in recovered),
        "jaccard": recovered,
        "silhouette_ok": ok,
        "silhouette_why": why,
        "quoted_lift": quoted,
        "measured_lift": None if measured is None else round(measured, 2),
        "headline": profile.silhouette,
        "contradictions": contradictions,
        "auc": (profile.metrics or {}).get("held_out", {}).get("auc"),
        "seconds": round(time.perf_counter() - t0, 1),
    }


def _contradictions(profile: Any) -> int | None:
    try:
        from icpkit.contradictions import contradictions
    except ImportError:  # today's main has no such check
        return None
    return len(contradictions(profile))


def _chosen_worlds(spec: str) -> list[tuple[str, int, tuple[Rule, ...], float]]:
    """The worlds ``--worlds`` names: a count (the first N) or seeds with commas ("61," or "7,61")."""
    if "," not in spec:
        try:
            count = int(spec)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a count or a list of seeds: {spec!r}") from None
        if count < 1:
            raise argparse.ArgumentTypeError(f"a count of worlds must be 1 or more, not {count}")
        return WORLDS[:count]
    by_seed = {w[1]: w for w in WORLDS}
    chosen = []
    for part in filter(None, (p.strip() for p in spec.split(","))):
        if not part.isdigit() or int(part) not in by_seed:
            known = ", ".join(str(s) for s in by_seed)
            raise argparse.ArgumentTypeError(f"no world with seed {part!r} (seeds: {known})")
        chosen.append(by_seed[int(part)])
    if not chosen:
        raise argparse.ArgumentTypeError("no seed given")
    return chosen


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--worlds",
        type=_chosen_worlds,
        default=WORLDS,
        help="a count (the first N worlds) or seeds separated by commas, e.g. 61,",
    )
    ap.add_argument("--accounts", type=int, default=4000)
    ap.add_argument("--save-baseline", type=Path, default=None)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    base = json.loads(BASELINE.read_text()) if BASELINE.is_file() else {}
    rows = []
    for name, seed, plan, missing in args.worlds:
        row = run_world(name, seed, plan, missing, args.accounts)
        key = f"{row['world']}|{args.accounts}"
        row["auc_main"] = base.get(key)
        rows.append(row)
        _print_row(row)
    if args.save_baseline:
        data = {f"{r['world']}|{args.accounts}": r["auc"] for r in rows}
        args.save_baseline.write_text(json.dumps(data, indent=1) + "\n")
    _print_total(rows)
    if args.json:
        print(json.dumps(rows, indent=1, default=str))
    return 0


def _print_row(r: dict[str, Any]) -> None:
    main_auc = "–" if r["auc_main"] is None else f"{r['auc_main']:.3f}"
    contra = "–" if r["contradictions"] is None else str(r["contradictions"])
    print(
        f"{r['world']:<32} recovered {r['recovered']}/{r['planted']} "
        f"{[j for _n, j in r['jaccard']]}  silhouette {'ok' if r['silhouette_ok'] else 'NO'} "
        f"({r['silhouette_why']}; quoted {r['quoted_lift']}, measured {r['measured_lift']})  "
        f"contradictions {contra}  AUC {r['auc']:.3f} (main {main_auc})  {r['seconds']}s",
        flush=True,
    )
    print(f"    {r['headline']}", flush=True)


def _print_total(rows: list[dict[str, Any]]) -> None:
    planted = sum(r["planted"] for r in rows)
    recovered = sum(r["recovered"] for r in rows)
    sil = sum(r["silhouette_ok"] for r in rows)
    contra = [r["contradictions"] for r in rows if r["contradictions"] is not None]
    drops = [r["auc"] - r["auc_main"] for r in rows if r["auc_main"] is not None]
    print(
        f"\noverall: recovery {recovered}/{planted} = {recovered / max(planted, 1):.2f}; "
        f"silhouette {sil}/{len(rows)}; contradictions "
        f"{sum(contra) if contra else '–'}; worst AUC change vs main "
        f"{min(drops) if drops else float('nan'):+.4f}"
    )


if __name__ == "__main__":
    sys.exit(main())
