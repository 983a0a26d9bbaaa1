"""The real-text evaluation set: labels in tests/golden/voice/real.tsv, text read back from
the source datasets (their licences do not allow us to copy the text into this repository).

Each golden row points at a span of a cell: ``dataset``, ``row`` (G2: ``review_id``;
lead form: 0-based line), ``column``, ``start``, ``length``; ``sha1`` (first 12 hex digits
of the span's SHA-1) proves the span read back is the one that was labelled.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "voice" / "real.tsv"
_FILES = {
    "g2_fpa_software_reviews": ("g2_fpa_reviews.csv", "review_id"),
    "x_education_leads": ("Leads.csv", None),
}
G2_PROMPTS = {
    "likes": "What do you like best about {p}?",
    "dislikes": "What do you dislike about {p}?",
    "problems_benefits": "What problems is {p} solving and how is that benefiting you?",
    "recommendations": "Recommendations to others considering {p}",
}


def datasets_dir() -> Path:
    """The shared datasets: $ICPKIT_DATASETS, else ../shared/datasets near the repo, else /work/shared."""
    env = os.environ.get("ICPKIT_DATASETS")
    candidates = [Path(env)] if env else []
    candidates += [p / "shared" / "datasets" for p in (ROOT.parent, ROOT.parent.parent)]
    candidates.append(
        Path("/work/shared/datasets")
    )  # where the shared checkout sits on our machines
    for c in candidates:
        if (c / "g2_fpa_software_reviews").is_dir():
            return c
    raise SystemExit(
        "the real-text set needs the shared datasets: set ICPKIT_DATASETS to the folder "
        "holding g2_fpa_software_reviews/ and x_education_leads/"
    )


def g2_reviews() -> pd.DataFrame:
    return pd.read_csv(datasets_dir() / "g2_fpa_software_reviews" / "g2_fpa_reviews.csv")


def load_real(split: str | None = None) -> pd.DataFrame:
    """Golden rows (``split`` 'dev', 'eval' or None for both) with their ``text``."""
    gold = pd.read_csv(GOLDEN, sep="\t")
    if split is not None:
        gold = gold[gold["split"] == split].reset_index(drop=True)
    base = datasets_dir()
    texts = []
    tables: dict[str, pd.DataFrame] = {}
    for r in gold.itertuples():
        name, key = _FILES[str(r.dataset)]
        if r.dataset not in tables:
            t = pd.read_csv(base / str(r.dataset) / name)
            tables[str(r.dataset)] = t.set_index(key) if key else t
        cell = str(tables[str(r.dataset)].loc[r.row, r.column])
        text = cell[int(r.start) : int(r.start) + int(r.length)]  # type: ignore[call-overload]
        if hashlib.sha1(text.encode()).hexdigest()[:12] != r.sha1:
            raise SystemExit(f"{GOLDEN.name} {r.id}: the source text changed; relabel it")
        texts.append(text)
    gold["text"] = texts
    return gold


def resample_range(
    truth: pd.Series, pred: np.ndarray, groups: pd.Series, n: int = 1000, seed: int = 0
) -> tuple[float, float]:
    """95% range of macro-F1 when the reviews (``groups``) are drawn again with replacement:
    how much the figure would move on another sample of reviews like these."""
    from sklearn.metrics import f1_score

    labels = sorted(set(truth))
    rng = np.random.default_rng(seed)
    codes, uniques = pd.factorize(groups)
    members = [np.flatnonzero(codes == g) for g in range(len(uniques))]
    t, p = truth.to_numpy(), np.asarray(pred)
    out = []
    for _ in range(n):
        rows = np.concatenate([members[g] for g in rng.integers(0, len(members), len(members))])
        out.append(f1_score(t[rows], p[rows], labels=labels, average="macro", zero_division=0))
    lo, hi = np.percentile(out, [2.5, 97.5])
    return round(float(lo), 3), round(float(hi), 3)
