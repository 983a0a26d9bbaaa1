"""Voice of the customer: accuracy on hand-labelled sets, weak-label agreement, speed.

    python benchmarks/voice_benchmark.py                      # everything, both methods
    python benchmarks/voice_benchmark.py --method tfidf       # the default method only
    python benchmarks/voice_benchmark.py --real-split dev     # the real set's dev split
    python benchmarks/voice_benchmark.py --real-split dev --confusion --accounts 0
    python benchmarks/voice_benchmark.py --accounts 0         # skip the speed runs
    python benchmarks/voice_benchmark.py --json

Prints, for the default method (tfidf) and the embeddings extra:

1. per-category precision/recall on the old set (tests/golden/voice/eval.tsv, 320
   highlights written by us) and on the real-text set (tests/golden/voice/real.tsv,
   eval split: real G2 review sentences and lead-form answers, with the question each
   answers; text read from the shared datasets, see benchmarks/voice_real.py);
2. weak-label agreement on all 1,071 G2 reviews: the share of "What do you like best?"
   highlights labelled praise or purchase reason, and of "What do you dislike?"
   highlights labelled pain point, feature request or churn risk;
3. highlights/s of `analyze` (labels + themes, end to end, classifier fit included) on
   the feedback of a synthetic world (`icp synth --accounts 50000`), and for the
   embeddings the re-run time with the encoding cache warm.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support

sys.path.insert(0, str(Path(__file__).resolve().parent))
from icpkit.voice import (
    CATEGORIES,
    CategoryClassifier,
    analyze,
    embeddings_available,
    split_sentences,
)
from voice_real import G2_PROMPTS, g2_reviews, load_real, resample_range

GOLDEN = Path(__file__).resolve().parents[1] / "tests" / "golden" / "voice"
LIKES = {"praise", "purchase_reason"}
DISLIKES = {"pain_point", "feature_request", "churn_risk"}


def scores(truth: pd.Series, pred: np.ndarray) -> dict[str, Any]:
    labels = [c for c in CATEGORIES if c in set(truth)]
    p, r, _f, n = precision_recall_fscore_support(truth, pred, labels=labels, zero_division=0)
    return {
        "confusion": confusion_matrix(truth, pred, labels=list(CATEGORIES)).tolist(),
        "highlights": len(truth),
        "macro_f1": round(float(f1_score(truth, pred, labels=labels, average="macro")), 3),
        "accuracy": round(float((pred == truth.to_numpy()).mean()), 3),
        "per_category": {
            c: {"precision": round(float(p[i]), 3), "recall": round(float(r[i]), 3), "n": int(n[i])}
            for i, c in enumerate(labels)
        },
    }


def accuracy(method: str, real_split: str) -> dict[str, Any]:
    t0 = time.perf_counter()
    clf = CategoryClassifier(method=method).fit()
    fit = time.perf_counter() - t0
    old = pd.read_csv(GOLDEN / "eval.tsv", sep="\t")
    real = load_real(real_split)
    t1 = time.perf_counter()
    real_pred = clf.predict(real["text"].tolist(), prompts=real["prompt"].tolist())
    label_time = time.perf_counter() - t1
    return {
        "method": method,
        "fit_seconds": round(fit, 2),
        "old": scores(old["category"], clf.predict(old["text"].tolist())),
        "real": {
            "split": real_split,
            **scores(real["category"], real_pred),
            # reviews drawn again with replacement: how far another sample would move it
            "macro_f1_range": resample_range(
                real["category"], real_pred, real["dataset"] + ":" + real["row"].astype(str)
            ),
            "macro_f1_without_prompts": scores(
                real["category"], clf.predict(real["text"].tolist())
            )["macro_f1"],
        },
        "real_label_per_second": round(len(real) / max(label_time, 1e-9)),
        "_clf": clf,
    }


def weak_agreement(clf: CategoryClassifier) -> dict[str, Any]:
    """Likes → praise/purchase reason; dislikes → pain point/feature request/churn risk."""
    reviews = g2_reviews()
    out: dict[str, Any] = {"reviews": len(reviews)}
    for field, want in (("likes", LIKES), ("dislikes", DISLIKES)):
        texts, prompts = [], []
        for product, answer in zip(reviews["product"], reviews[field], strict=True):
            if isinstance(answer, str):
                for s in split_sentences(answer):
                    texts.append(s)
                    prompts.append(G2_PROMPTS[field].format(p=product))
        pred = clf.predict(texts, prompts=prompts)
        plain = clf.predict(texts)
        out[field] = {
            "highlights": len(texts),
            "agreement": round(float(np.isin(pred, list(want)).mean()), 3),
            "agreement_without_prompts": round(float(np.isin(plain, list(want)).mean()), 3),
        }
    return out


def world_feedback(n_accounts: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    from icpkit.synth import make_world

    w = make_world(n_accounts=n_accounts)  # the seed `icp synth` uses by default
    lat = w.latent
    scored = pd.DataFrame(
        {
            "account_id": lat["account_id"].astype(str),
            "icp_tier": np.where(lat["icp_segment"].notna(), "A", "C"),
        }
    )
    return w.feedback, scored


def speed(method: str, feedback: pd.DataFrame, scored: pd.DataFrame) -> dict[str, Any]:
    from icpkit.voice import _categories, _encodings

    _categories._fitted.cache_clear()  # the classifier fit counts, as in a fresh process
    _encodings._MEMORY.clear()
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "runs.duckdb"
        t0 = time.perf_counter()
        result = analyze(feedback, scored, method=method, encoding_cache=store)
        cold = time.perf_counter() - t0
        out = {
            "method": method,
            "feedback_items": len(feedback),
            "highlights": len(result.highlights),
            "distinct_highlights": int(result.highlights["text"].nunique()),
            "themes": len(result.themes),
            "seconds": round(cold, 1),
            "highlights_per_second": round(len(result.highlights) / cold),
        }
        if method == "embeddings":  # a re-run in a new process: only the store is warm
            _categories._fitted.cache_clear()
            _encodings._MEMORY.clear()
            t0 = time.perf_counter()
            analyze(feedback, scored, method=method, encoding_cache=store)
            out["warm_cache_seconds"] = round(time.perf_counter() - t0, 1)
    return out


def _print_confusion(res: dict[str, Any]) -> None:
    """Rows: the hand label; columns: what the method said (first 6 letters)."""
    print(f"{'label / said':20s} " + " ".join(f"{c[:6]:>6s}" for c in CATEGORIES))
    for cat, row in zip(CATEGORIES, res["confusion"], strict=True):
        print(f"{cat:20s} " + " ".join(f"{v:6d}" for v in row))


def _print_scores(title: str, res: dict[str, Any]) -> None:
    print(
        f"\n-- {title}: macro-F1 {res['macro_f1']:.3f}, accuracy {res['accuracy']:.3f}, "
        f"{res['highlights']} highlights"
    )
    print(f"{'category':20s} {'precision':>9s} {'recall':>7s} {'n':>4s}")
    for cat, m in res["per_category"].items():
        print(f"{cat:20s} {m['precision']:9.3f} {m['recall']:7.3f} {m['n']:4d}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--method", choices=["tfidf", "embeddings", "both"], default="both")
    parser.add_argument("--real-split", choices=["eval", "dev"], default="eval")
    parser.add_argument(
        "--accounts", type=int, default=50_000, help="synthetic world for the speed runs (0: skip)"
    )
    parser.add_argument(
        "--confusion", action="store_true", help="also print the real split's confusion matrix"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    methods = ["tfidf", "embeddings"] if args.method == "both" else [args.method]
    if "embeddings" in methods and not embeddings_available():
        print("embeddings extra not installed: skipping it (pip install 'icpkit[embeddings]')")
        methods.remove("embeddings")
    results = []
    for m in methods:
        res = accuracy(m, args.real_split)
        res["weak_labels"] = weak_agreement(res.pop("_clf"))
        results.append(res)
    runs = []
    if args.accounts:
        feedback, scored = world_feedback(args.accounts)
        runs = [speed(m, feedback, scored) for m in methods]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    if args.json:
        print(json.dumps({"accuracy": results, "speed": runs, "load": load}, indent=2))
        return
    for res in results:
        print(f"\n== method {res['method']} (classifier fit {res['fit_seconds']} s)")
        _print_scores("old set (tests/golden/voice/eval.tsv, written by us)", res["old"])
        real = res["real"]
        _print_scores(f"real-text set, {real['split']} split, with the question's context", real)
        lo, hi = real["macro_f1_range"]
        print(f"   (macro-F1 95% range over resampled reviews: {lo:.3f}-{hi:.3f})")
        if args.confusion:
            _print_confusion(real)
        print(
            f"   (without the question's context: macro-F1 {real['macro_f1_without_prompts']:.3f})"
        )
        weak = res["weak_labels"]
        for field in ("likes", "dislikes"):
            w = weak[field]
            print(
                f"weak labels, {field}: {w['agreement']:.3f} of {w['highlights']:,} highlights "
                f"({w['agreement_without_prompts']:.3f} without the question)"
            )
    for s in runs:
        line = (
            f"\nspeed {s['method']}: {s['feedback_items']:,} feedback items, "
            f"{s['highlights']:,} highlights ({s['distinct_highlights']:,} distinct), "
            f"{s['themes']} themes in {s['seconds']} s = {s['highlights_per_second']:,} highlights/s"
        )
        if "warm_cache_seconds" in s:
            line += f"; re-run with the encoding cache warm: {s['warm_cache_seconds']} s"
        print(line)
    print(f"\nload average (1 min) at the end: {load:.1f}")


if __name__ == "__main__":
    main()
