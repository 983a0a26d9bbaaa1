"""Train the voice classifier's supervised head offline and cross-validate it on dev only.

    python benchmarks/voice_head.py                     # both methods: CV report, then write
    python benchmarks/voice_head.py --method tfidf --cv-only

Training data: the real dev split of tests/golden/voice/real.tsv (text read from the
shared datasets, see voice_real.py) with the question each sentence answers, plus the
hand-written development splits calib.tsv, dev2.tsv and dev3.tsv (no question) at a
lower weight. The eval split is never read here.

Cross-validation: 5 folds by review (a review's sentences are all in one fold); each
fold's head is trained on the other four folds plus the hand-written splits and scores
the fold left out. Printed: macro-F1 with its 95% range over resampled reviews and
per-category precision/recall, for the classifier without the head (as shipped before)
and with it. Then the head is fitted on all the training data and written to
src/icpkit/voice/head_<method>.json (coefficients and its vocabulary: no text).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score, precision_recall_fscore_support
from sklearn.model_selection import GroupKFold

sys.path.insert(0, str(Path(__file__).resolve().parent))
from icpkit.voice import CATEGORIES, CategoryClassifier, embeddings_available
from icpkit.voice._head import fit_head
from voice_real import load_real, resample_range

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "voice"
HANDWRITTEN = ("calib.tsv", "dev2.tsv", "dev3.tsv")


def training_sets() -> tuple[pd.DataFrame, pd.DataFrame]:
    dev = load_real("dev")
    dev["review"] = dev["dataset"] + ":" + dev["row"].astype(str)
    written = pd.concat([pd.read_csv(GOLDEN / f, sep="\t") for f in HANDWRITTEN], ignore_index=True)
    return dev, written


def fit_on(clf, dev, written, args):  # type: ignore[no-untyped-def]
    texts = dev["text"].tolist() + written["text"].tolist()
    prompts = dev["prompt"].tolist() + [None] * len(written)
    labels = dev["category"].tolist() + written["category"].tolist()
    weights = np.r_[np.ones(len(dev)), np.full(len(written), args.written_weight)]
    return fit_head(
        clf,
        texts,
        prompts,
        labels,
        weights,
        C=args.C,
        min_df=args.min_df,
        embeddings=args.embedding_features and clf.backend_.name == "embeddings",
    )


def report(title: str, dev: pd.DataFrame, pred: np.ndarray) -> float:
    truth = dev["category"]
    labels = [c for c in CATEGORIES if c in set(truth)]
    f1 = f1_score(truth, pred, labels=labels, average="macro")
    lo, hi = resample_range(truth, pred, dev["review"])
    print(f"\n-- {title}: macro-F1 {f1:.3f} (95% range {lo:.3f}-{hi:.3f}), {len(dev)} sentences")
    p, r, _f, n = precision_recall_fscore_support(truth, pred, labels=labels, zero_division=0)
    for i, c in enumerate(labels):
        print(f"{c:20s} {p[i]:9.3f} {r[i]:7.3f} {n[i]:4d}")
    return float(f1)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--method", choices=["tfidf", "embeddings", "both"], default="both")
    parser.add_argument("--cv-only", action="store_true", help="do not write the head files")
    parser.add_argument("--C", type=float, default=1.0)
    parser.add_argument("--min-df", type=int, default=3)
    parser.add_argument("--written-weight", type=float, default=0.3)
    parser.add_argument("--no-embedding-features", dest="embedding_features", action="store_false")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    methods = ["tfidf", "embeddings"] if args.method == "both" else [args.method]
    if "embeddings" in methods and not embeddings_available():
        methods.remove("embeddings")
    dev, written = training_sets()
    for method in methods:
        print(f"\n== method {method}")
        clf = CategoryClassifier(method=method, head=False).fit()
        before = clf.predict(dev["text"].tolist(), dev["prompt"].tolist())
        f_before = report("dev split, without the head", dev, before)
        pred = np.empty(len(dev), dtype=object)
        for train, test in GroupKFold(n_splits=5).split(dev, groups=dev["review"]):
            clf.head_ = fit_on(clf, dev.iloc[train], written, args)
            part = dev.iloc[test]
            pred[test] = clf.predict(part["text"].tolist(), part["prompt"].tolist())
        f_after = report("dev split, with the head, 5-fold CV by review", dev, pred)
        if args.cv_only:
            continue
        head = fit_on(clf, dev, written, args)
        head.about = {
            "trained": dt.date.today().isoformat(),
            "by": "benchmarks/voice_head.py",
            "data": (
                f"{len(dev)} real G2 review sentences (dev split of tests/golden/voice/real.tsv) "
                f"with their question, plus {len(written)} hand-written sentences "
                f"({', '.join(HANDWRITTEN)}) at weight {args.written_weight}"
            ),
            "settings": {"C": args.C, "min_df": args.min_df},
            "dev_macro_f1_cv": round(f_after, 3),
            "dev_macro_f1_without_head": round(f_before, 3),
        }
        out = ROOT / "src" / "icpkit" / "voice" / f"head_{method}.json"
        tmp = out.with_suffix(".tmp")
        tmp.write_text(head.to_json(), encoding="utf-8")
        tmp.replace(out)  # atomic: a reader never sees half a file
        print(
            f"wrote {out.relative_to(ROOT)} ({out.stat().st_size:,} bytes, {len(head.words):,} words)"
        )


if __name__ == "__main__":
    main()
