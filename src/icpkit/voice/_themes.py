"""Themes: clusters of highlights within a category, labelled by their own words.

Per category: vectors from the backend (TF-IDF or embeddings), k-means with the
number of clusters chosen by cosine silhouette (k = 1..``max_themes``), clusters
smaller than ``min_size`` folded into their nearest neighbour. Each theme is labelled
with its top keywords by class-based TF-IDF (words frequent in this theme and rare in
the category's other themes) and shows the quotes nearest its centre, preferring
ICP accounts. Shares count *accounts*, not highlights, so one chatty account cannot
make a theme.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer
from sklearn.metrics import silhouette_score

from ._backend import Backend, dense
from ._categories import CATEGORY_LABELS

__all__ = ["THEME_COLUMNS", "find_themes", "vectors"]

THEME_COLUMNS = (
    "category",
    "theme",
    "label",
    "keywords",
    "size",
    "accounts",
    "icp_accounts",
    "icp_share",
    "other_share",
    "quotes",
)
_STOP = sorted(
    ENGLISH_STOP_WORDS
    | {"we", "our", "us", "you", "your", "really", "just", "team", "thanks", "hi", "it", "s"}
)
_SAMPLE = 2000  # silhouette on at most this many highlights
_LSA_DIMS = 128


def vectors(backend: Backend, texts: list[str]) -> np.ndarray:
    """Dense, L2-normalised vectors; sparse TF-IDF is reduced by LSA (truncated SVD)."""
    raw = backend.transform(texts)
    if sparse.issparse(raw) and raw.shape[1] > _LSA_DIMS and len(texts) > _LSA_DIMS:
        raw = TruncatedSVD(n_components=_LSA_DIMS, random_state=0).fit_transform(raw)
    return dense(raw)


def _choose_k(x: np.ndarray, max_k: int, rng: np.random.Generator) -> tuple[int, np.ndarray]:
    n = len(x)
    if n < 4 or max_k < 2:
        return 1, np.zeros(n, dtype=int)
    sample = rng.choice(n, size=min(n, _SAMPLE), replace=False)
    best: tuple[float, int, np.ndarray] = (0.05, 1, np.zeros(n, dtype=int))
    for k in range(2, min(max_k, n - 1) + 1):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            labels = KMeans(n_clusters=k, n_init=3, random_state=0).fit_predict(x)
        if len(set(labels[sample])) < 2:
            continue
        score = float(silhouette_score(x[sample], labels[sample], metric="cosine"))
        if score > best[0] + 0.005:
            best = (score, k, labels)
    return best[1], best[2]


def _fold_small(x: np.ndarray, labels: np.ndarray, min_size: int) -> np.ndarray:
    """Move members of clusters below ``min_size`` to the nearest big cluster's centre."""
    sizes = pd.Series(labels).value_counts()
    big = [c for c in sizes.index if sizes[c] >= min_size]
    if not big or len(big) == len(sizes):
        return labels
    centres = np.vstack([x[labels == c].mean(axis=0) for c in big])
    out = labels.copy()
    small = ~np.isin(labels, big)
    out[small] = np.asarray(big)[np.argmax(x[small] @ centres.T, axis=1)]
    return out


def _keywords(texts: pd.Series, labels: np.ndarray, top: int = 4) -> dict[int, list[str]]:
    """Top class-based TF-IDF terms (1-2 grams) of each cluster."""
    try:
        cv = CountVectorizer(
            ngram_range=(1, 2),
            stop_words=_STOP,
            token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z\-]+\b",
            min_df=1,
        )
        counts = cv.fit_transform(texts)
    except ValueError:  # only stop words
        return {int(c): [] for c in set(labels)}
    terms = np.asarray(cv.get_feature_names_out())
    clusters = sorted(set(labels))
    per = np.vstack([np.asarray(counts[labels == c].sum(axis=0)).ravel() for c in clusters])
    tf = per / np.maximum(per.sum(axis=1, keepdims=True), 1)
    idf = np.log(1 + per.sum(axis=1).mean() / np.maximum(per.sum(axis=0), 1))
    ctfidf = tf * idf
    out: dict[int, list[str]] = {}
    for row, c in enumerate(clusters):
        order = np.argsort(-ctfidf[row])
        words: list[str] = []
        for t in terms[order]:
            # skip a unigram already inside a chosen bigram, and vice versa
            if any(t in w.split() or w in t.split() for w in words):
                continue
            words.append(str(t))
            if len(words) == top:
                break
        out[int(c)] = words
    return out


def _quotes(
    group: pd.DataFrame, x: np.ndarray, centre: np.ndarray, n_quotes: int
) -> list[dict[str, Any]]:
    closeness = x @ centre
    order = np.lexsort((-closeness, ~group["is_icp"].to_numpy(dtype=bool)))
    texts = group["text"].astype(str).to_numpy()
    accounts = group["account_id"].to_numpy(dtype=object)
    sources = group["source"].to_numpy(dtype=object)
    ids = group["feedback_id"].astype(str).to_numpy()
    quotes: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i in order:
        key = texts[i].lower()
        if key in seen:
            continue
        seen.add(key)
        quotes.append(
            {
                "text": texts[i],
                "account_id": None if pd.isna(accounts[i]) else str(accounts[i]),
                "source": None if pd.isna(sources[i]) else str(sources[i]),
                "feedback_id": ids[i],
            }
        )
        if len(quotes) == n_quotes:
            break
    return quotes


def find_themes(
    highlights: pd.DataFrame,
    backend: Backend,
    *,
    max_themes: int = 8,
    min_size: int = 3,
    n_quotes: int = 3,
    categories: list[str] | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """Themes per category of labelled highlights (columns ``THEME_COLUMNS``).

    ``highlights`` needs ``text``, ``category``, ``account_id``, ``source``,
    ``feedback_id`` and ``is_icp``; ``backend`` must be fitted. Sorted by category and
    by the number of ICP accounts that raise the theme.
    """
    rng = np.random.default_rng(seed)
    cats = categories or [c for c in CATEGORY_LABELS if c != "other"]
    icp_total = max(1, highlights.loc[highlights["is_icp"], "account_id"].nunique())
    other_total = max(1, highlights.loc[~highlights["is_icp"], "account_id"].nunique())
    rows: list[dict[str, Any]] = []
    for cat in cats:
        group = highlights[highlights["category"] == cat].reset_index(drop=True)
        if group.empty:
            continue
        x = vectors(backend, group["text"].astype(str).tolist())
        _, labels = _choose_k(x, max_themes, rng)
        labels = _fold_small(x, labels, min_size)
        words = _keywords(group["text"].astype(str), labels)
        for c in sorted(set(labels)):
            member = labels == c
            g = group[member]
            centre = x[member].mean(axis=0)
            centre /= max(float(np.linalg.norm(centre)), 1e-12)
            icp_accounts = g.loc[g["is_icp"], "account_id"].nunique()
            other_accounts = g.loc[~g["is_icp"], "account_id"].nunique()
            rows.append(
                {
                    "category": cat,
                    "label": " / ".join(words[int(c)][:3]) or str(g["text"].iloc[0])[:60],
                    "keywords": words[int(c)],
                    "size": int(member.sum()),
                    "accounts": int(g["account_id"].nunique()),
                    "icp_accounts": int(icp_accounts),
                    "icp_share": round(icp_accounts / icp_total, 4),
                    "other_share": round(other_accounts / other_total, 4),
                    "quotes": _quotes(g.reset_index(drop=True), x[member], centre, n_quotes),
                }
            )
    out = pd.DataFrame(rows, columns=[c for c in THEME_COLUMNS if c != "theme"])
    if out.empty:
        return pd.DataFrame(columns=list(THEME_COLUMNS))
    out = out.sort_values(["category", "icp_accounts", "size"], ascending=[True, False, False])
    out.insert(1, "theme", [f"T{i + 1:03d}" for i in range(len(out))])
    return out.reset_index(drop=True)
