"""Voice of the customer: per-category precision/recall on the labelled evaluation set.

    python benchmarks/voice_benchmark.py              # default (tfidf) and, if installed, embeddings
    python benchmarks/voice_benchmark.py --method tfidf
    python benchmarks/voice_benchmark.py --json
    python benchmarks/voice_benchmark.py --split calib --world 0   # a development split

The set is tests/golden/voice/eval.tsv (320 hand-labelled highlights, 40 per
category; provenance in tests/golden/voice/README.md). Also prints how long fitting
and labelling took, and how fast the whole `analyze` runs on a synthetic world.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import pandas as pd
from sklearn.metrics import f1_score, precision_recall_fscore_support

from icpkit.voice import CATEGORIES, CategoryClassifier, analyze, embeddings_available

GOLDEN = Path(__file__).resolve().parents[1] / "tests" / "golden" / "voice"
# Tune on the development splits (dev2, dev3, calib); eval is the held-out set.
SPLITS = ("eval", "calib", "dev2", "dev3")


def evaluate(method: str, split: str = "eval") -> dict[str, object]:
    data = pd.read_csv(GOLDEN / f"{split}.tsv", sep="\t")
    t0 = time.perf_counter()
    clf = CategoryClassifier(method=method).fit()
    t1 = time.perf_counter()
    pred = clf.predict(data["text"].tolist())
    t2 = time.perf_counter()
    p, r, f, n = precision_recall_fscore_support(
        data["category"], pred, labels=list(CATEGORIES), zero_division=0
    )
    return {
        "method": method,
        "split": split,
        "highlights": len(data),
        "macro_f1": round(float(f1_score(data["category"], pred, average="macro")), 3),
        "accuracy": round(float((pred == data["category"].to_numpy()).mean()), 3),
        "per_category": {
            c: {
                "precision": round(float(p[i]), 3),
                "recall": round(float(r[i]), 3),
                "f1": round(float(f[i]), 3),
                "n": int(n[i]),
            }
            for i, c in enumerate(CATEGORIES)
        },
        "fit_seconds": round(t1 - t0, 2),
        "label_per_second": round(len(data) / max(t2 - t1, 1e-9)),
    }


def world_speed(method: str, n_accounts: int) -> dict[str, object]:
    import numpy as np

    from icpkit.synth import make_world

    w = make_world(n_accounts=n_accounts, seed=1)
    lat = w.latent
    scored = pd.DataFrame(
        {
            "account_id": lat["account_id"].astype(str),
            "icp_tier": np.where(lat["icp_segment"].notna(), "A", "C"),
        }
    )
    t0 = time.perf_counter()
    result = analyze(w.feedback, scored, method=method)
    return {
        "method": method,
        "accounts": n_accounts,
        "feedback_items": len(w.feedback),
        "highlights": len(result.highlights),
        "themes": len(result.themes),
        "seconds": round(time.perf_counter() - t0, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--method", choices=["tfidf", "embeddings", "both"], default="both")
    parser.add_argument(
        "--world", type=int, default=3000, help="accounts in the speed run (0: skip)"
    )
    parser.add_argument("--split", choices=SPLITS, default="eval", help="labelled set to score")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    methods = ["tfidf", "embeddings"] if args.method == "both" else [args.method]
    if "embeddings" in methods and not embeddings_available():
        print(
            "embeddings extra not installed: skipping it (pip install torch==2.13.0 'icpkit[embeddings]')"
        )
        methods.remove("embeddings")
    results = [evaluate(m, args.split) for m in methods]
    speed = [world_speed(m, args.world) for m in methods] if args.world else []
    if args.json:
        print(json.dumps({"eval": results, "speed": speed}, indent=2))
        return
    for res in results:
        print(
            f"\n== method {res['method']}: macro-F1 {res['macro_f1']:.3f}, accuracy {res['accuracy']:.3f} on {res['highlights']} highlights ({res['split']})"
        )
        print(f"{'category':20s} {'precision':>9s} {'recall':>7s} {'F1':>6s}")
        for cat, m in res["per_category"].items():  # type: ignore[attr-defined]
            print(f"{cat:20s} {m['precision']:9.3f} {m['recall']:7.3f} {m['f1']:6.3f}")
        print(f"fit {res['fit_seconds']} s, labelling {res['label_per_second']:,} highlights/s")
    for s in speed:
        print(
            f"\nanalyze ({s['method']}): {s['feedback_items']:,} feedback items, {s['highlights']:,} highlights,"
            f" {s['themes']} themes in {s['seconds']} s ({s['accounts']:,}-account synthetic world)"
        )


if __name__ == "__main__":
    main()
