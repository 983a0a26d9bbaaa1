"""Discover → score → evaluate on the shared datasets and the synthetic world, beside baselines.

For every dataset the same stratified 75/25 split is used for icpkit, LightGBM and a logistic
regression (one-hot + standardised numbers). icpkit learns on the training rows only
(``validate=False``), its profile is applied with the reference scorer to the test rows, and
the table shows test AUC for each model and the share of test successes held by tiers A+B with
their share of rows. Then ``discover`` runs on a 100k-row synthetic world and prints its time
with per-stage timings.

Run: ``.venv/bin/python benchmarks/discover_benchmark.py [--quick] [--rows 100000]``
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from icpkit.discover import learn, screen_columns
from icpkit.evaluate import auc, evaluate_scores
from icpkit.scoring import score_table

DATA = Path("/work/shared/datasets")


# ---------------------------------------------------------------------------------------------
# Datasets: (table, target, positive, columns to exclude)


def x_education() -> tuple[pa.Table, str, Any, list[str]]:
    from icpkit.intake import load

    t = load(DATA / "x_education_leads/Leads.csv").table
    post = ["Tags", "Lead Quality", "Last Activity", "Last Notable Activity"]
    return t, "converted", None, post


def crm_opportunities() -> tuple[pa.Table, str, Any, list[str]]:
    d = DATA / "crm_sales_opportunities"
    pipe = pd.read_csv(d / "sales_pipeline.csv")
    pipe = pipe[pipe["deal_stage"].isin(["Won", "Lost"])]
    acc = pd.read_csv(d / "accounts.csv")
    teams = pd.read_csv(d / "sales_teams.csv")
    df = pipe.merge(acc, on="account", how="left").merge(teams, on="sales_agent", how="left")
    df = df.drop(columns=["opportunity_id", "close_date", "close_value"])
    return pa.Table.from_pandas(df, preserve_index=False), "deal_stage", "Won", []


def telco() -> tuple[pa.Table, str, Any, list[str]]:
    from icpkit.intake import load

    t = load(DATA / "telco_customer_churn/WA_Fn-UseC_-Telco-Customer-Churn.csv").table
    return t, "churned", "No", []


def ravenstack() -> tuple[pa.Table, str, Any, list[str]]:
    d = DATA / "ravenstack_saas_synthetic"
    acc = pd.read_csv(d / "ravenstack_accounts.csv")
    subs = pd.read_csv(d / "ravenstack_subscriptions.csv")
    usage = pd.read_csv(d / "ravenstack_feature_usage.csv")
    tickets = pd.read_csv(d / "ravenstack_support_tickets.csv")
    s = subs.groupby("account_id").agg(
        subscriptions=("subscription_id", "size"),
        mean_mrr=("mrr_amount", "mean"),
        max_seats=("seats", "max"),
        upgrades=("upgrade_flag", "sum"),
        downgrades=("downgrade_flag", "sum"),
        auto_renew_share=("auto_renew_flag", "mean"),
        annual_billing_share=("billing_frequency", lambda b: float((b == "annual").mean())),
    )
    u = (
        usage.merge(subs[["subscription_id", "account_id"]], on="subscription_id")
        .groupby("account_id")
        .agg(
            usage_events=("usage_id", "size"),
            usage_count=("usage_count", "sum"),
            usage_hours=("usage_duration_secs", lambda x: x.sum() / 3600),
            usage_errors=("error_count", "sum"),
            features_used=("feature_name", "nunique"),
        )
    )
    k = tickets.groupby("account_id").agg(
        tickets=("ticket_id", "size"),
        mean_resolution_hours=("resolution_time_hours", "mean"),
        mean_satisfaction=("satisfaction_score", "mean"),
        escalations=("escalation_flag", "sum"),
    )
    df = acc.merge(s, on="account_id", how="left").merge(u, on="account_id", how="left")
    df = df.merge(k, on="account_id", how="left").drop(columns=["account_name"])
    return pa.Table.from_pandas(df, preserve_index=False), "churn_flag", "False", ["signup_date"]


def synthetic(n: int = 20000, seed: int = 3) -> tuple[pa.Table, str, Any, list[str]]:
    from icpkit.intake import load_table
    from icpkit.synth import make_world

    w = make_world(n_accounts=n, seed=seed)
    t = load_table(pa.Table.from_pandas(w.training, preserve_index=False), kind="accounts").table
    return t, "IsWon", None, []


DATASETS = {
    "x_education_leads": x_education,
    "crm_sales_opportunities": crm_opportunities,
    "telco_customer_churn": telco,
    "ravenstack": ravenstack,
    "synthetic_world": synthetic,
}


# ---------------------------------------------------------------------------------------------
# Baselines on the same columns and split


def _features(table: pa.Table, columns: list[str], kinds: dict[str, str]) -> pd.DataFrame:
    from icpkit.binning import column_text, column_values

    out = {}
    for c in columns:
        col = table.column(c)
        if kinds[c] == "numeric":
            out[c] = column_values(col)
        else:
            out[c] = pd.Categorical(column_text(col))
    return pd.DataFrame(out)


def baselines(
    X: pd.DataFrame, y: np.ndarray, train: np.ndarray, test: np.ndarray
) -> dict[str, float]:
    import lightgbm as lgb
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    cats = [c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)]
    nums = [c for c in X.columns if c not in cats]
    Xl = X.copy()
    for c in cats:  # categories seen in training only
        Xl[c] = pd.Categorical(Xl[c].astype(object), categories=X[c].iloc[train].dropna().unique())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gbm = lgb.LGBMClassifier(n_estimators=300, learning_rate=0.05, num_leaves=31, verbose=-1)
        gbm.fit(Xl.iloc[train], y[train])
        p_gbm = gbm.predict_proba(Xl.iloc[test])[:, 1]
        Xo = X.copy()
        for c in cats:
            Xo[c] = Xo[c].astype(object).where(Xo[c].notna(), "missing")
        pre = ColumnTransformer(
            [
                (
                    "num",
                    make_pipeline(
                        SimpleImputer(strategy="median", add_indicator=True), StandardScaler()
                    ),
                    nums,
                ),
                ("cat", OneHotEncoder(handle_unknown="ignore", min_frequency=10), cats),
            ]
        )
        lr = make_pipeline(pre, LogisticRegression(max_iter=2000, C=1.0))
        lr.fit(Xo.iloc[train], y[train])
        p_lr = lr.predict_proba(Xo.iloc[test])[:, 1]
    return {"lightgbm": auc(y[test], p_gbm), "logreg": auc(y[test], p_lr)}


def split(y: np.ndarray, seed: int = 0, test_size: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    test = np.zeros(len(y), dtype=bool)
    for cls in (True, False):
        idx = np.flatnonzero(y == cls)
        test[rng.choice(idx, round(len(idx) * test_size), replace=False)] = True
    return np.flatnonzero(~test), np.flatnonzero(test)


def run_one(name: str) -> dict[str, Any]:
    from icpkit.success import success_label

    table, target, positive, exclude = DATASETS[name]()
    label = success_label(table.select([target]).to_pandas(), target, positive=positive)
    table = table.filter(pa.array(label.defined))
    y = label.y[label.defined]
    train, test = split(y)
    t0 = time.perf_counter()
    res = learn(table.take(train), target, positive=positive, exclude=exclude, validate=False)
    fit_s = time.perf_counter() - t0
    scored = score_table(res.profile, table.take(test))
    m = evaluate_scores(
        y[test],
        scored.column("icp_score").to_numpy(),
        np.asarray(scored.column("icp_tier").to_pylist()),
    )
    flagged = {f["column"] for f in res.flagged}
    screen = screen_columns(table, label_columns=[target], exclude=exclude)
    cols = [c for c in screen.columns if c not in flagged]
    base = baselines(_features(table, cols, screen.kinds), y, train, test)  # type: ignore[arg-type]
    return {
        "dataset": name,
        "rows": len(y),
        "icpkit": m["auc"],
        **base,
        "ab_succ": m["ab_share_of_successes"],
        "ab_rows": m["ab_share_of_rows"],
        "fit_s": fit_s,
        "segments": len(res.profile.segments),
        "attributes": len(res.profile.attributes),
    }


def speed(rows: int) -> None:
    from icpkit.intake import load_table
    from icpkit.synth import make_world

    w = make_world(n_accounts=rows, seed=11)
    table = load_table(
        pa.Table.from_pandas(w.training, preserve_index=False), kind="accounts"
    ).table
    extra = {f"custom_{i}": np.random.default_rng(i).normal(size=rows) for i in range(12)}
    for k, v in extra.items():
        table = table.append_column(k, pa.array(v))
    n_attr = len(screen_columns(table, label_columns=["IsWon"]).columns)
    t0 = time.perf_counter()
    res = learn(table, "IsWon")
    total = time.perf_counter() - t0
    print(
        f"\ndiscover on {rows:,} rows x {n_attr} attributes (with hold-out validation + refit): "
        f"{total:.1f} s"
    )
    print("  stages: " + ", ".join(f"{k} {v:.2f}s" for k, v in res.timings.items()))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="skip the 100k-row speed run")
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--only", nargs="*", default=None)
    args = ap.parse_args()
    rows = []
    for name in args.only or DATASETS:
        r = run_one(name)
        rows.append(r)
        print(f"done {name} in {r['fit_s']:.1f}s", file=sys.stderr)
    print(
        f"\n{'dataset':<26}{'rows':>7} {'icpkit':>7} {'lightgbm':>9} {'logreg':>7} {'gap':>7}"
        f" {'A+B succ':>9} {'A+B rows':>9} {'segs':>5} {'attrs':>6}"
    )
    for r in rows:
        gap = r["icpkit"] - r["lightgbm"]
        print(
            f"{r['dataset']:<26}{r['rows']:>7} {r['icpkit']:>7.3f} {r['lightgbm']:>9.3f} "
            f"{r['logreg']:>7.3f} {gap:>+7.3f} {r['ab_succ']:>9.1%} {r['ab_rows']:>9.1%}"
            f" {r['segments']:>5} {r['attributes']:>6}"
        )
    if not args.quick:
        speed(args.rows)


if __name__ == "__main__":
    main()
