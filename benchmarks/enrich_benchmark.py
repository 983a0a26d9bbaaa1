"""Enrichment, lookalikes and person fit: the figures issue 13 asks for.

    python benchmarks/enrich_benchmark.py                  # everything (100k x 1M timing included)
    python benchmarks/enrich_benchmark.py --accounts 20000 --universe 200000   # a smaller run
    python benchmarks/enrich_benchmark.py --only real      # one part: planted, real, lookalike,
                                                           # persona, xeducation

1. planted: the synthetic world's CRM accounts damaged the way real CRMs are
   (``icpkit.synth.enrichment_case``), matched to its universe: precision and recall against the
   recorded true universe row, fill rate before/after, and the time of ``enrich`` (intake's
   normalising of both files is timed apart).
2. real: crunchbase_2013, inc5000_2019 and fortune1000_2021 matched against each other; a seeded
   sample of 100 matches was checked by hand (benchmarks/enrich_hand_check.csv holds each pair
   and the verdict), and its precision is printed.
3. lookalike: seeded with 20 planted-ICP customers of a 20,000-account world, the share of
   planted-ICP companies among the top 500 lookalikes in its universe.
4. persona: the persona table learned from the world's leads: do the planted roles lead it?
5. xeducation: x_education_leads, stratified 75/25 hold-outs (4 seeds): AUC of the
   account-only score vs the combined priority (account tier x persona tier) as users sort it:
   ``priority_rank`` (the cell's place in the learned order), then the two scores' sum.
"""

from __future__ import annotations

import argparse
import csv
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from icpkit.discover import learn
from icpkit.enrich import enrich, match_companies
from icpkit.evaluate import auc
from icpkit.intake import load, load_table
from icpkit.lookalike import lookalikes
from icpkit.persona import priority_rank, priority_sort_key
from icpkit.scoring import score_table
from icpkit.synth import enrichment_case, make_world
from icpkit.synth._planted import assign

DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets"
if not DATA.is_dir():
    DATA = Path("/work/shared/datasets")
HAND = Path(__file__).with_name("enrich_hand_check.csv")
FIELDS = ("industry", "employees", "annual_revenue", "founded_year", "technologies", "cloud_spend")


def _canonical(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    return load_table(
        pa.Table.from_pandas(frame, preserve_index=False), kind=kind
    ).table.to_pandas()


def planted(n: int, n_uni: int) -> None:
    t0 = time.perf_counter()
    world = make_world(n, seed=7, n_universe=n_uni)
    case = enrichment_case(world, seed=0)
    t1 = time.perf_counter()
    acc, uni = _canonical(case.accounts, "accounts"), _canonical(world.universe, "universe")
    t2 = time.perf_counter()
    cpu = time.process_time()
    result = enrich(acc, uni)
    cpu = time.process_time() - cpu
    t3 = time.perf_counter()
    got = result.table["enrich_company"].fillna("").to_numpy(dtype=object)
    want = case.truth["company_id"].fillna("").to_numpy(dtype=object)
    made, right = got != "", (got != "") & (got == want)
    s = result.summary
    print(f"\n== planted truth: {n:,} damaged CRM accounts vs a {n_uni:,}-company universe")
    print(f"world {t1 - t0:.1f} s; intake of both tables {t2 - t1:.1f} s")
    print(f"enrich (match + fill): {t3 - t2:.1f} s wall, {cpu:.1f} s CPU")
    print(
        f"matched by domain {s['matched_by_domain']:,}, by name {s['matched_by_name']:,}, "
        f"unmatched {s['unmatched']:,}, ambiguous (not used) {s['ambiguous']:,}"
    )
    print(
        f"precision {right.sum() / max(made.sum(), 1):.4f}  "
        f"recall {right[want != ''].sum() / max((want != '').sum(), 1):.4f}  "
        f"(accounts whose company the universe holds: {(want != '').sum():,})"
    )
    by = pd.DataFrame({"damage": case.truth["website_damage"], "ok": right, "has": want != ""})
    rec = by[by["has"]].groupby("damage")["ok"].mean()
    print("recall by website damage: " + ", ".join(f"{k} {v:.3f}" for k, v in rec.items()))
    fill = result.fill.set_index("field").loc[
        [f for f in FIELDS if f in result.fill["field"].values]
    ]
    for f, row in fill.iterrows():
        print(
            f"  fill {f:<15} {row['fill_before']:.1%} -> {row['fill_after']:.1%}  "
            f"(conflicts kept as in the CRM: {int(row['conflicts']):,})"
        )


# ------------------------------------------------------------------------- real universes


def _real() -> dict[str, pd.DataFrame]:
    cb = pd.read_csv(DATA / "crunchbase_2013/crunchbase-companies.csv", dtype=str)
    inc = pd.read_csv(DATA / "inc5000_2019/inc5000-2019.csv", dtype=str)
    f1k = pd.read_csv(DATA / "fortune1000_2021/Fortune_1000.csv", dtype=str)
    # Crunchbase has no website; countries are ISO-3 there, the others are US lists.
    return {
        "crunchbase_2013": pd.DataFrame(
            {
                "name": cb["name"],
                "country": cb["country_code"].replace({"USA": "US"}),
                "city": cb["city"],
            }
        ),
        "inc5000_2019": pd.DataFrame(
            {"name": inc["name"], "domain": inc["url"], "country": "US", "city": inc["city"]}
        ),
        "fortune1000_2021": pd.DataFrame(
            {"name": f1k["company"], "domain": f1k["Website"], "country": "US", "city": f1k["city"]}
        ),
    }


PAIRS = (
    ("inc5000_2019", "fortune1000_2021"),
    ("crunchbase_2013", "inc5000_2019"),
    ("crunchbase_2013", "fortune1000_2021"),
)


def _real_matches() -> pd.DataFrame:
    data = _real()
    rows = []
    for left, right in PAIRS:
        a, b = data[left], data[right]
        t = time.perf_counter()
        m, amb = match_companies(a, b)
        secs = time.perf_counter() - t
        hit = m[m["urow"] >= 0]
        by = hit["method"].value_counts()
        print(
            f"{left} ({len(a):,}) -> {right} ({len(b):,}): {len(hit):,} matches "
            f"(domain {by.get('domain', 0):,}, name {by.get('name', 0):,}), "
            f"{len(amb):,} ambiguous, {secs:.1f} s"
        )
        for r in hit.itertuples():
            rows.append(
                {
                    "pair": f"{left}->{right}",
                    "left_name": a["name"].iloc[r.row],
                    "left_city": a["city"].iloc[r.row],
                    "left_domain": a["domain"].iloc[r.row] if "domain" in a else "",
                    "right_name": b["name"].iloc[r.urow],
                    "right_city": b["city"].iloc[r.urow],
                    "right_domain": b["domain"].iloc[r.urow],
                    "method": r.method,
                    "score": round(float(r.score), 1),
                }
            )
    return pd.DataFrame(rows)


def real(write_sample: bool = False) -> None:
    print("\n== real universes matched against each other")
    matches = _real_matches()
    sample = matches.sample(n=min(100, len(matches)), random_state=13).reset_index(drop=True)
    key = ["pair", "left_name", "right_name"]
    if write_sample or not HAND.exists():
        sample.assign(verdict="").to_csv(HAND, index=False, quoting=csv.QUOTE_MINIMAL)
        print(f"wrote the sample to {HAND}: fill in 'verdict' (same / different) by hand")
        return
    checked = pd.read_csv(HAND, dtype=str, keep_default_na=False)
    merged = sample.astype({"left_name": str, "right_name": str}).merge(
        checked[[*key, "verdict"]], on=key, how="left"
    )
    done = merged["verdict"].isin(["same", "different"])
    if not done.all():
        print(f"{(~done).sum()} sampled matches have no hand verdict in {HAND.name}")
    same = (merged.loc[done, "verdict"] == "same").sum()
    print(
        f"hand-checked sample: {done.sum()} matches, {same} the same company: "
        f"precision {same / max(done.sum(), 1):.2f}"
    )
    for r in merged[merged["verdict"] == "different"].itertuples():
        print(f"  wrong: {r.left_name!r} ({r.left_city}) -> {r.right_name!r} ({r.right_city})")


# ------------------------------------------------------------------------- lookalike, persona


def lookalike_precision(
    n: int = 20000, n_uni: int = 100_000, seeds: int = 20, k: int = 500
) -> None:
    world = make_world(n, seed=7, n_universe=n_uni)
    train = load_table(pa.Table.from_pandas(world.training, preserve_index=False), kind="accounts")
    profile = learn(train.table, "IsWon", validate=False).profile
    acc = _canonical(world.accounts, "accounts")
    uni = _canonical(world.universe, "universe")
    lat = world.latent
    icp = np.flatnonzero(lat["icp_segment"].notna().to_numpy() & lat["won"].to_numpy())
    seed_rows = acc.iloc[np.random.default_rng(0).choice(icp, seeds, replace=False)]
    t = time.perf_counter()
    table, _ = lookalikes(uni, profile, seeds=seed_rows, k=k, crm=acc)
    secs = time.perf_counter() - t
    lu = world.latent_universe
    member = pd.Series(pd.notna(assign(lu).segment), index=lu["company_id"].astype(str).to_numpy())
    hit = member.reindex(table["company_id"].astype(str)).to_numpy(dtype=bool)
    base = member[~lu["in_crm"].to_numpy()].mean()
    print(f"\n== lookalikes: {seeds} planted-ICP customers of a {n:,}-account world as seeds")
    print(
        f"top {k}: planted-ICP precision {hit.mean():.3f} (share of planted-ICP companies among "
        f"universe companies not in the CRM: {base:.3f}); {secs:.1f} s over {len(uni):,} companies"
    )


def persona_recovery() -> None:
    world = make_world(3000, seed=7)
    leads = load_table(pa.Table.from_pandas(world.leads, preserve_index=False), kind="leads").table
    profile = learn(leads, success="notnull(won_date)", persona="auto").profile
    assert profile.persona is not None
    print("\n== persona: which people convert, learned from the synthetic world's leads")
    print(
        f"planted: converted leads' titles favour {', '.join(world.truth['persona']['planted_roles'])}"
    )
    print(f"  (departments {', '.join(world.truth['persona']['departments'])})")
    for a in profile.persona.attributes:
        for b in sorted(a.bins, key=lambda b: -b.points):
            rate = f"{b.success_rate:.1%}" if b.success_rate is not None else ""
            print(f"  {a.name:<10} {b.label or '':<45} {b.points:>4} points  converts {rate}")
    held = (profile.persona.metrics or {}).get("held_out", {})
    print(f"persona held-out AUC {held.get('auc')}")


PERSON = [
    "What is your current occupation",
    "Specialization",
    "country",
    "City",
    "What matters most to you in choosing a course",
]
POST_CONTACT = ["Tags", "Lead Quality", "Last Activity", "Last Notable Activity"]


def xeducation(splits: int = 4) -> None:
    from icpkit.success import success_label

    table = load(DATA / "x_education_leads/Leads.csv").table
    label = success_label(table.select(["converted"]).to_pandas(), "converted")
    table = table.filter(pa.array(label.defined))
    y = label.y[label.defined]
    rows = []
    for seed in range(splits):
        rng = np.random.default_rng(seed)
        test = np.zeros(len(y), dtype=bool)
        for cls in (True, False):
            idx = np.flatnonzero(y == cls)
            test[rng.choice(idx, round(len(idx) * 0.25), replace=False)] = True
        train, hold = np.flatnonzero(~test), np.flatnonzero(test)
        both = learn(
            table.take(train), "converted", exclude=POST_CONTACT, persona=PERSON, validate=False
        ).profile
        one = learn(table.take(train), "converted", exclude=POST_CONTACT, validate=False).profile
        scored = score_table(both, table.take(hold))
        yh = y[hold]
        acc = scored.column("icp_score").to_numpy().astype(float)
        per = scored.column("persona_score").to_numpy().astype(float)
        cells = scored.column("icp_priority").to_pylist()
        rank = scored.column("priority_rank").to_numpy().astype(float)  # as users see it
        tier = pd.Series(scored.column("icp_tier").to_pylist()).map(
            {"A": 0, "B": 1, "C": 2, "D": 3}
        )
        rows.append(
            {
                "account-only score (the other columns)": auc(yh, acc),
                "persona score alone": auc(yh, per),
                "account tier alone (4 cells, A ... D)": auc(yh, -tier.to_numpy(float)),
                "priority grid, diagonal order (A1, A2, B1, ...)": auc(
                    yh, -priority_rank(cells).astype(float)
                ),
                "priority grid, learned order (priority_rank)": auc(yh, -rank),
                "call list, diagonal order, then points": auc(
                    yh, -priority_sort_key(cells, acc, per)
                ),
                "call list: priority_rank, then points": auc(yh, -(rank * 1000 - acc - per)),
                "one points table over all columns (no persona)": auc(
                    yh, score_table(one, table.take(hold)).column("icp_score").to_numpy()
                ),
            }
        )
    frame = pd.DataFrame(rows)
    gain = frame["call list: priority_rank, then points"] - frame.iloc[:, 0]
    print(f"\n== x_education_leads: held-out AUC, {splits} stratified 25% splits (seeds 0..)")
    print("   (post-contact columns left out)")
    print(f"person columns: {', '.join(PERSON)}")
    print(f"{'':<50} {'mean':>6} {'min':>6} {'max':>6}   per split")
    for name in frame.columns:
        col = frame[name]
        each = " ".join(f"{v:.3f}" for v in col)
        print(f"{name:<50} {col.mean():.3f} {col.min():.3f} {col.max():.3f}   {each}")
    print(
        f"call list minus account-only: mean {gain.mean():+.4f}, worst {gain.min():+.4f}, "
        f"at least as good on {(gain >= 0).sum()} of {splits} splits"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--accounts", type=int, default=100_000)
    ap.add_argument("--universe", type=int, default=1_000_000)
    ap.add_argument("--only", choices=["planted", "real", "lookalike", "persona", "xeducation"])
    ap.add_argument("--write-sample", action="store_true", help="(re)write the hand-check sample")
    args = ap.parse_args()
    print(f"load before: {os.getloadavg()[0]:.1f} (1-minute average, {os.cpu_count()} cores)")
    parts: dict[str, Any] = {
        "planted": lambda: planted(args.accounts, args.universe),
        "real": lambda: real(args.write_sample),
        "lookalike": lookalike_precision,
        "persona": persona_recovery,
        "xeducation": xeducation,
    }
    for name, run in parts.items():
        if args.only in (None, name):
            run()
    print(f"\nload after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
