"""Themes: clusters of highlights within a category, labelled by their own words.

Per category: each distinct highlight is embedded once (TF-IDF or embeddings) and
weighted by how often it was said; weighted k-means with the number of clusters chosen
by cosine silhouette (k = 1..``max_themes``); clusters smaller than ``min_size`` folded
into their nearest neighbour; themes whose centres nearly coincide, or that would get
the same label, merged. Each theme is labelled by a short phrase taken verbatim from
its highlights (at most six words: the clause that carries most of the theme's
keywords and is said most often), with its top keywords by class-based TF-IDF (words
frequent in this theme and rare in the category's other themes) as secondary. Quotes
are the clearest sentences near the theme's centre (whole sentences of readable
length), ICP accounts first. Shares count *accounts*, not highlights, so one chatty
account cannot make a theme.
"""

from __future__ import annotations

import re
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
_SAMPLE = 1000  # silhouette on at most this many distinct highlights
_LSA_DIMS = 128
_MERGE_COSINE = 0.8  # centres this close are one theme said in two ways
_MAX_LABEL_WORDS = 6
_PHRASE_SOURCES = 300
_CLAUSE = re.compile(
    r"[,;:()\[\]\"“”!?.]+|\s[-–—]\s|\b(?:and|but|because|so|which|while|although|though|when|since|then|as well as)\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'\-]*")


def vectors(backend: Backend, texts: list[str], weight: np.ndarray | None = None) -> np.ndarray:
    """Dense, L2-normalised vectors; sparse TF-IDF is reduced by LSA (truncated SVD).

    With ``weight`` (how often each distinct text was said) the LSA axes are fitted on
    the texts scaled by the square root of their weight, as if every repeat were there:
    a long tail of one-off sentences must not choose the axes.
    """
    raw = backend.transform(texts)
    # (a few rows of a 50,000-word vocabulary are reduced too: dense they would be huge)
    dims = min(_LSA_DIMS, raw.shape[0] - 1, raw.shape[1] - 1)
    if sparse.issparse(raw) and raw.shape[1] > _LSA_DIMS and dims >= 2:
        svd = TruncatedSVD(n_components=dims, random_state=0)
        if weight is None:
            raw = svd.fit_transform(raw)
        else:
            svd.fit(sparse.diags(np.sqrt(weight)) @ raw)
            raw = svd.transform(raw)
    return dense(raw)


def _choose_k(
    x: np.ndarray, max_k: int, rng: np.random.Generator, weight: np.ndarray | None = None
) -> tuple[int, np.ndarray]:
    """k by cosine silhouette on (a sample of) the distinct highlights; k-means weighted
    by how often each was said."""
    n = len(x)
    if n < 4 or max_k < 2:
        return 1, np.zeros(n, dtype=int)
    # the silhouette sample is drawn as highlights are said (a sentence said 90 times
    # counts 90 times), so a long tail of one-off sentences does not decide k
    if weight is None:
        sample = rng.choice(n, size=min(n, _SAMPLE), replace=False)
    else:
        size = int(min(weight.sum(), _SAMPLE))
        sample = rng.choice(n, size=size, replace=True, p=weight / weight.sum())
    best: tuple[float, int, np.ndarray] = (0.05, 1, np.zeros(n, dtype=int))
    for k in range(2, min(max_k, n - 1) + 1):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            labels = KMeans(n_clusters=k, n_init=3, random_state=0).fit_predict(
                x, sample_weight=weight
            )
        if len(set(labels[sample])) < 2:
            continue
        score = float(silhouette_score(x[sample], labels[sample], metric="cosine"))
        if score > best[0] + 0.005:
            best = (score, k, labels)
    return best[1], best[2]


def _fold_small(
    x: np.ndarray, labels: np.ndarray, min_size: int, weight: np.ndarray | None = None
) -> np.ndarray:
    """Move members of clusters below ``min_size`` to the nearest big cluster's centre."""
    w = np.ones(len(labels)) if weight is None else weight
    sizes = pd.Series(w).groupby(labels).sum()
    big = [c for c in sizes.index if sizes[c] >= min_size]
    if not big or len(big) == len(sizes):
        return labels
    centres = np.vstack([x[labels == c].mean(axis=0) for c in big])
    out = labels.copy()
    small = ~np.isin(labels, big)
    out[small] = np.asarray(big)[np.argmax(x[small] @ centres.T, axis=1)]
    return out


def _keywords(
    texts: pd.Series, labels: np.ndarray, top: int = 4, weight: np.ndarray | None = None
) -> tuple[dict[int, list[str]], dict[int, dict[str, float]]]:
    """Top class-based TF-IDF terms (1-2 grams) of each cluster, and every word's weight
    in each cluster (for choosing the label phrase)."""
    try:
        cv = CountVectorizer(
            ngram_range=(1, 2),
            stop_words=_STOP,
            token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z\-]+\b",
            min_df=1,
        )
        counts = cv.fit_transform(texts)
    except ValueError:  # only stop words
        return {int(c): [] for c in set(labels)}, {int(c): {} for c in set(labels)}
    if weight is not None:
        counts = sparse.diags(weight) @ counts
    terms = np.asarray(cv.get_feature_names_out())
    clusters = sorted(set(labels))
    per = np.vstack([np.asarray(counts[labels == c].sum(axis=0)).ravel() for c in clusters])
    tf = per / np.maximum(per.sum(axis=1, keepdims=True), 1)
    idf = np.log(1 + per.sum(axis=1).mean() / np.maximum(per.sum(axis=0), 1))
    ctfidf = tf * idf
    out: dict[int, list[str]] = {}
    unigram = np.array([" " not in t for t in terms])
    weights: dict[int, dict[str, float]] = {}
    for row, c in enumerate(clusters):
        top_w = float(ctfidf[row].max()) or 1.0
        weights[int(c)] = {
            str(t): float(v) / top_w
            for t, v in zip(terms[unigram], ctfidf[row][unigram], strict=True)
            if v > 0
        }
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
    return out, weights


def _phrase(texts: list[str], weight: np.ndarray, words: dict[str, float]) -> str:
    """The label: a clause or a run of at most six words taken verbatim from the theme's
    highlights, scored by the keyword weight it carries (per word, so short wins ties)
    and by how many of the theme's highlights say it."""
    candidates: dict[str, float] = {}
    shown: dict[str, str] = {}
    # the phrase comes from the most-said sentences (a few hundred are plenty)
    top = np.argsort(-weight, kind="stable")[:_PHRASE_SOURCES]
    for text, w in zip([texts[i] for i in top], weight[top], strict=True):
        for clause in _CLAUSE.split(text):
            tokens = _WORD.findall(clause)
            if not tokens:
                continue
            spans = (
                [tokens]
                if len(tokens) <= _MAX_LABEL_WORDS
                else [
                    tokens[i : i + n]
                    for n in (_MAX_LABEL_WORDS - 2, _MAX_LABEL_WORDS)
                    for i in range(len(tokens) - n + 1)
                ]
            )
            for span in spans:
                while span and span[0].lower() in _STOP:
                    span = span[1:]
                while span and span[-1].lower() in _STOP:
                    span = span[:-1]
                if not span:
                    continue
                key = " ".join(t.lower() for t in span)
                candidates[key] = candidates.get(key, 0.0) + float(w)
                shown.setdefault(key, " ".join(span))
    if not candidates:
        return ""
    total = float(weight.sum()) or 1.0
    best, best_score = "", -1.0
    for key, said in candidates.items():
        tokens = key.split()
        content = [t for t in tokens if t not in _STOP]
        carried = sum(words.get(t, 0.0) for t in content)
        if carried == 0:
            continue
        # keyword mass per word (a compact phrase), times how widely it is said; a
        # lone word reads as a keyword, not a phrase
        score = carried / (len(tokens) ** 0.5) * (0.25 + said / total)
        score *= 0.5 if len(tokens) == 1 else 1.0
        if score > best_score or (score == best_score and key < best):
            best, best_score = key, score
    return shown.get(best, "")


def _quotes(group: pd.DataFrame, closeness: np.ndarray, n_quotes: int) -> list[dict[str, Any]]:
    texts = group["text"].astype(str).to_numpy()
    # clear quotes: near the centre, a whole sentence of readable length (6-30 words,
    # ending in punctuation), not a fragment or a run-on
    n_words = np.array([len(t.split()) for t in texts])
    clarity = (
        -0.15 * (n_words < 6)
        - 0.005 * np.clip(n_words - 30, 0, None)
        - 0.05 * np.array([not t.rstrip().endswith((".", "!", "?")) for t in texts])
        if len(texts)
        else np.zeros(0)
    )
    order = np.lexsort((-(closeness + clarity), ~group["is_icp"].to_numpy(dtype=bool)))
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


def _phrases(
    distinct: np.ndarray,
    labels: np.ndarray,
    weight: np.ndarray,
    weights: dict[int, dict[str, float]],
) -> dict[int, str]:
    return {
        int(c): _phrase(
            [str(t) for t in distinct[labels == c]], weight[labels == c], weights[int(c)]
        )
        for c in set(labels)
    }


def _merge(x: np.ndarray, labels: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Merge clusters whose weighted centres have cosine >= ``_MERGE_COSINE``."""
    while True:
        clusters = sorted(set(labels))
        if len(clusters) < 2:
            return labels
        centres = np.vstack(
            [np.average(x[labels == c], axis=0, weights=weight[labels == c]) for c in clusters]
        )
        centres /= np.maximum(np.linalg.norm(centres, axis=1, keepdims=True), 1e-12)
        sim = centres @ centres.T
        np.fill_diagonal(sim, -1)
        i, j = np.unravel_index(int(np.argmax(sim)), sim.shape)
        if sim[i, j] < _MERGE_COSINE:
            return labels
        labels = np.where(labels == clusters[j], clusters[i], labels)


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
        # cluster each distinct sentence once, weighted by how often it was said
        texts = group["text"].astype(str)
        distinct, inverse = np.unique(texts.to_numpy(dtype=object), return_inverse=True)
        inverse = inverse.ravel()
        weight = np.bincount(inverse, minlength=len(distinct)).astype(np.float64)
        x_distinct = vectors(backend, [str(t) for t in distinct], weight)
        _, d_labels = _choose_k(x_distinct, max_themes, rng, weight)
        d_labels = _fold_small(x_distinct, d_labels, min_size, weight)
        d_labels = _merge(x_distinct, d_labels, weight)
        words, weights = _keywords(pd.Series(distinct), d_labels, weight=weight)
        phrases = _phrases(distinct, d_labels, weight, weights)
        # two clusters that read the same are one theme
        first: dict[str, int] = {}
        for c in sorted(phrases):
            key = phrases[c].lower()
            if key and key in first:
                d_labels = np.where(d_labels == c, first[key], d_labels)
            first.setdefault(key, c)
        if len(set(d_labels)) < len(phrases):
            words, weights = _keywords(pd.Series(distinct), d_labels, weight=weight)
            phrases = _phrases(distinct, d_labels, weight, weights)
        labels = d_labels[inverse]
        for c in sorted(set(labels)):
            member = labels == c
            g = group[member]
            inside = d_labels == c
            centre = np.average(x_distinct[inside], axis=0, weights=weight[inside])
            centre /= max(float(np.linalg.norm(centre)), 1e-12)
            closeness = (x_distinct @ centre)[inverse[member]]
            icp_accounts = g.loc[g["is_icp"], "account_id"].nunique()
            other_accounts = g.loc[~g["is_icp"], "account_id"].nunique()
            rows.append(
                {
                    "category": cat,
                    "label": phrases[int(c)] or " / ".join(words[int(c)][:3]),
                    "keywords": words[int(c)],
                    "size": int(member.sum()),
                    "accounts": int(g["account_id"].nunique()),
                    "icp_accounts": int(icp_accounts),
                    "icp_share": round(icp_accounts / icp_total, 4),
                    "other_share": round(other_accounts / other_total, 4),
                    "quotes": _quotes(g.reset_index(drop=True), closeness, n_quotes),
                }
            )
    out = pd.DataFrame(rows, columns=[c for c in THEME_COLUMNS if c != "theme"])
    if out.empty:
        return pd.DataFrame(columns=list(THEME_COLUMNS))
    out = out.sort_values(["category", "icp_accounts", "size"], ascending=[True, False, False])
    out.insert(1, "theme", [f"T{i + 1:03d}" for i in range(len(out))])
    return out.reset_index(drop=True)
