"""Ask a question of the feedback: ranked evidence and an extractive summary.

No text is generated. A question is mapped to the categories it is about (intent
patterns such as "find us" -> discovery channel; else the category classifier run on
the question), and every highlight is scored as

    relevance = 0.6 * category match + 0.4 * cosine(question, highlight)

where category match is 1 when the highlight's top category is one the question is
about, 0.5 when it is among its other categories, else 0. The summary lists the
themes (keyword clusters) among the top evidence, with counts of accounts.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ._analyze import Labelled, _theme_backend, label_feedback
from ._backend import dense, single_threaded
from ._categories import CATEGORY_LABELS, classify
from ._themes import find_themes

__all__ = ["ask", "question_categories", "rank_evidence"]

_INTENTS: tuple[tuple[str, str], ...] = (
    (
        "discovery_channel",
        r"\b(find|found|finds|hear|heard|discover\w*|learn\w* about|channel|come across|referr\w*)\b",
    ),
    (
        "buying_process",
        r"\b(buying|purchas(e|ing) process|procure\w*|approv\w*|who (is|was|are|were) involved|decision|sign[- ]?off|evaluat\w*|committee|how do they buy)\b",
    ),
    (
        "purchase_reason",
        r"\bwhy\b.*\b(buy|bought|choose|chose|pick|picked|purchase|select|sign)\w*|\b(competitor|alternative|versus|vs|over the|instead of)\w*",
    ),
    (
        "praise",
        r"\b(love|loved|like most|like best|favou?rite|praise|happy|delight\w*|value most)\b",
    ),
    (
        "pain_point",
        r"\b(pain|pains|problem|problems|struggl\w*|challenge\w*|frustrat\w*|hard|difficult)\b",
    ),
    (
        "feature_request",
        r"\b(need|needs|want|wants|missing|feature\w*|request\w*|wish|ask for|roadmap)\b",
    ),
    (
        "churn_risk",
        r"\b(churn|cancel\w*|leave|leaving|price|pricing|billing|invoice|renew\w*|expensive)\b",
    ),
)


def question_categories(question: str, method: str = "tfidf") -> list[str]:
    """The categories a question is about, most specific first."""
    text = question.lower()
    hits = [cat for cat, pattern in _INTENTS if re.search(pattern, text)]
    if hits:
        return hits[:2]
    guess = classify([question], method=method)["categories"].iloc[0]
    return [c for c in guess if c != "other"][:2] or list(CATEGORY_LABELS)[:-1]


def rank_evidence(
    labelled: Labelled, question: str, *, top: int = 10, icp_only: bool = False
) -> tuple[pd.DataFrame, list[str]]:
    """Highlights ranked by relevance to ``question`` (best first) and the intent."""
    if not question.strip():
        raise ConfigError("the question is empty")
    if top < 1:
        raise ConfigError(f"The 'top' parameter must be an int >= 1. Got {top!r} instead.")
    h = labelled.highlights
    if icp_only:
        h = h[h["is_icp"]]
    h = h[h["category"] != "other"].reset_index(drop=True)
    intent = question_categories(question, labelled.method)
    if h.empty:
        return h.assign(relevance=pd.Series(dtype=float)), intent
    backend = _theme_backend(Labelled(h, labelled.method, {}, None, labelled.backend))
    x = dense(backend.transform(h["text"].astype(str).tolist()))
    q = dense(backend.transform([question]))[0]
    cosine = np.clip(x @ q, 0.0, 1.0)
    match = np.where(
        h["category"].isin(intent),
        1.0,
        np.where(h["categories"].map(lambda cs: bool(set(cs) & set(intent))), 0.5, 0.0),
    )
    relevance = 0.6 * match + 0.4 * cosine
    out = h.assign(relevance=np.round(relevance, 4))
    # ICP evidence first among equals; within an account, keep the best few.
    out = out.sort_values(["relevance", "is_icp", "confidence"], ascending=False)
    out = out[out["relevance"] > 0.2]
    # The same words from several accounts are one piece of evidence said N times.
    key = out["text"].str.lower().str.strip()
    said_by = out.groupby(key)["account_id"].transform("nunique")
    out = out.assign(accounts_saying=said_by.astype(int))
    out = out[~key.duplicated()]
    return out.head(top).reset_index(drop=True), intent


@single_threaded
def ask(
    feedback: str | os.PathLike[str] | pd.DataFrame | Labelled,
    question: str,
    accounts: str | os.PathLike[str] | pd.DataFrame | None = None,
    *,
    profile: Any = None,
    tiers: Sequence[str] = ("A",),
    segment: str | None = None,
    icp_only: bool | None = None,
    top: int = 10,
    method: str | None = "auto",
) -> dict[str, Any]:
    """Evidence highlights answering ``question``, with an extractive summary.

    With scored ``accounts`` only ICP evidence is used (``icp_only`` defaults to True
    then). Returns a plain dict: question, categories, evidence (list of dicts with
    text, account, source, category, relevance) and summary (themes and a sentence).
    """
    if not question.strip():
        raise ConfigError("the question is empty")
    labelled = (
        feedback
        if isinstance(feedback, Labelled)
        else label_feedback(
            feedback, accounts, profile=profile, tiers=tiers, segment=segment, method=method
        )
    )
    only = (labelled.accounts is not None) if icp_only is None else icp_only
    if only and labelled.accounts is None:
        raise ConfigError("ICP-only answers need scored accounts (--scored)")
    evidence, intent = rank_evidence(labelled, question, top=top, icp_only=only)
    summary = _summary(labelled, evidence, intent)
    cols = [
        "highlight_id",
        "text",
        "account_id",
        "source",
        "date",
        "category",
        "confidence",
        "relevance",
        "is_icp",
        "accounts_saying",
    ]
    return {
        "question": question,
        "categories": intent,
        "icp_only": only,
        "method": labelled.method,
        "evidence": [_plain(r) for r in evidence[cols].to_dict("records")],
        "summary": summary,
    }


def _plain(row: dict[Any, Any]) -> dict[str, Any]:
    return {
        str(k): (None if v is pd.NA or (isinstance(v, float) and np.isnan(v)) else v)
        for k, v in row.items()
    }


def _summary(labelled: Labelled, evidence: pd.DataFrame, intent: list[str]) -> dict[str, Any]:
    if evidence.empty:
        topics = ", ".join(CATEGORY_LABELS[c].lower() for c in intent)
        return {
            "themes": [],
            "text": f"No evidence found about {topics}: a gap to fill with interviews.",
        }
    h = evidence.assign(is_icp=evidence["is_icp"].astype(bool))
    backend = _theme_backend(Labelled(h, labelled.method, {}, None, labelled.backend))
    themes = find_themes(h, backend, max_themes=4, min_size=2, n_quotes=1, categories=intent)
    themes = themes.sort_values(["accounts", "size"], ascending=False).head(3)
    parts = [
        f"{t.label} ({t.accounts} account{'s' if t.accounts != 1 else ''})"
        for t in themes.itertuples()
    ]
    text = (
        f"Top themes among {len(h)} highlights from {h['account_id'].nunique()} accounts: "
        + "; ".join(parts)
        + "."
    )
    return {
        "themes": [
            {
                "label": t["label"],
                "keywords": t["keywords"],
                "accounts": t["accounts"],
                "quote": t["quotes"][0]["text"] if t["quotes"] else None,
            }
            for t in themes.to_dict("records")
        ],
        "text": text,
    }
