"""Where ICP evidence is missing or thin, and whom to interview about it.

The standard ICP questions (pain points and needs, buying process, discovery channel,
why they buy, what they love) each look at one or two categories. A topic is

- ``missing`` when no ICP account said anything about it,
- ``thin`` when fewer than ``min_accounts`` ICP accounts did, or under ``min_share`` of
  the ICP accounts that gave feedback, or under ``relative`` (half) of the median of
  the other topics: a topic far less covered than the rest is where the data is
  silent, even when a few stray highlights (or misread ones) mention it,
- ``covered`` otherwise.

The interview plan picks 5-10 contacts at ICP accounts: decision makers first
(C-level, VP, head/director, by job title; "Decision Maker"/"Economic Buyer" deal
roles), one per account, accounts without feedback or with the least evidence first,
then by ICP score; and lists 3-5 questions per gap topic.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError, SchemaError
from ._analyze import Labelled, label_feedback
from ._backend import single_threaded

__all__ = ["TOPICS", "find_gaps", "interview_plan", "plan_interviews"]

TOPICS: dict[str, dict[str, Any]] = {
    "pain_points": {
        "label": "Pain points and needs",
        "categories": ["pain_point", "feature_request"],
        "questions": [
            "Walk me through the last time this problem cost you time or money. What happened?",
            "What were you using before us, and what made it stop being good enough?",
            "Which part of your week would you most like to get rid of?",
            "What have you tried to fix it, and why did that not work?",
        ],
    },
    "buying_process": {
        "label": "Buying process",
        "categories": ["buying_process"],
        "questions": [
            "Who was involved in the decision to buy us, and what did each person care about?",
            "What steps did the purchase go through (trial, security review, legal, procurement)?",
            "Who signed off on the budget, and what did they need to see?",
            "How long did it take from first conversation to signature, and what slowed it down?",
        ],
    },
    "discovery_channel": {
        "label": "How they found us",
        "categories": ["discovery_channel"],
        "questions": [
            "How did you first hear about us?",
            "Think of the last tool you bought: how were you originally introduced to it?",
            "Where do you find out about new solutions (communities, newsletters, events, peers)?",
        ],
    },
    "purchase_reason": {
        "label": "Why they buy from us",
        "categories": ["purchase_reason"],
        "questions": [
            "Which alternatives did you assess, and why did you go with us over them?",
            "What was most important to you when picking your last vendor?",
            "What almost made you choose someone else?",
        ],
    },
    "praise": {
        "label": "What they love",
        "categories": ["praise"],
        "questions": [
            "What would you miss most if you could no longer use us?",
            "What result have you been able to show internally thanks to us?",
            "What would you tell a peer who asked whether to buy us?",
        ],
    },
}

_SENIORITY_RANK = {
    "C-level": 5,
    "Owner": 5,
    "Founder": 5,
    "VP": 4,
    "Head": 3,
    "Director": 3,
    "Manager": 1,
}
_TITLE_RANK = (
    (r"\b(chief|ceo|cfo|cto|coo|cro|cmo|cio|ciso|founder|owner|president|partner)\b", 5),
    (r"\b(vp|vice president|svp|evp)\b", 4),
    (r"\b(head|director)\b", 3),
    (r"\b(manager|lead)\b", 1),
)
_DECISION_ROLES = {"decision maker": 3, "economic buyer": 3, "executive sponsor": 2, "champion": 1}


def find_gaps(
    labelled: Labelled,
    *,
    min_accounts: int = 3,
    min_share: float = 0.1,
    relative: float = 0.5,
) -> pd.DataFrame:
    """One row per standard topic: ICP highlights and accounts, share, status."""
    if labelled.accounts is None:
        raise ConfigError("finding gaps needs scored accounts (to know the ICP accounts)")
    icp = labelled.highlights[labelled.highlights["is_icp"]]
    with_feedback = max(1, icp["account_id"].nunique())
    counts = {
        topic: (icp[icp["category"].isin(spec["categories"])]) for topic, spec in TOPICS.items()
    }
    accounts = {t: int(g["account_id"].nunique()) for t, g in counts.items()}
    rows = []
    for topic, spec in TOPICS.items():
        n = accounts[topic]
        others = float(np.median([v for t, v in accounts.items() if t != topic]))
        share = n / with_feedback
        thin = n < min_accounts or share < min_share or n < relative * others
        rows.append(
            {
                "topic": topic,
                "label": spec["label"],
                "icp_highlights": len(counts[topic]),
                "icp_accounts": n,
                "share_of_icp_accounts_with_feedback": round(share, 4),
                "status": "missing" if n == 0 else ("thin" if thin else "covered"),
            }
        )
    return pd.DataFrame(rows)


def _decision_rank(title: Any, deal_role: Any) -> int:
    rank = 0
    text = "" if title is None or title is pd.NA or pd.isna(title) else str(title)
    if text:
        try:
            from ..intake.normalizers import parse_title

            _, seniority = parse_title(text)
            rank = _SENIORITY_RANK.get(str(seniority), 0)
        except ImportError:  # pragma: no cover - normalisers ship with intake
            seniority = None
        if rank == 0:
            low = text.lower()
            rank = next((r for pattern, r in _TITLE_RANK if re.search(pattern, low)), 0)
    role = (
        ""
        if deal_role is None or deal_role is pd.NA or pd.isna(deal_role)
        else str(deal_role).lower()
    )
    return rank * 10 + _DECISION_ROLES.get(role, 0)


def _read_contacts(contacts: str | os.PathLike[str] | pd.DataFrame) -> pd.DataFrame:
    if isinstance(contacts, pd.DataFrame):
        frame = contacts.copy()
    else:
        from ..intake import load

        frame = load(contacts, kind="contacts").table.to_pandas()
    if "account_id" not in frame:
        raise SchemaError("the contacts table has no account id column")
    if "contact_id" not in frame:
        frame["contact_id"] = [f"contact-{i + 1}" for i in range(len(frame))]
    frame["account_id"] = frame["account_id"].astype("string")
    return frame


def _pick_contacts(
    labelled: Labelled, contacts: pd.DataFrame, n: int, gap_categories: list[str]
) -> pd.DataFrame:
    acc = labelled.accounts
    assert acc is not None
    icp_ids = set(labelled.highlights.loc[labelled.highlights["is_icp"], "account_id"].dropna())
    tiers = labelled.report["icp"]["tiers"]
    icp_acc = acc[acc["icp_tier"].astype("string").isin(tiers).fillna(False)]
    if labelled.report["icp"]["segment"] is not None and "icp_segment" in icp_acc:
        icp_acc = icp_acc[icp_acc["icp_segment"] == labelled.report["icp"]["segment"]]
    h = labelled.highlights
    evidence = h[h["is_icp"] & h["category"].isin(gap_categories)].groupby("account_id").size()
    c = contacts[contacts["account_id"].isin(set(icp_acc["account_id"]))].copy()
    if c.empty:
        return c
    title = c["title"] if "title" in c else pd.Series(None, index=c.index)
    role = c["deal_role"] if "deal_role" in c else pd.Series(None, index=c.index)
    c["decision_rank"] = [_decision_rank(t, r) for t, r in zip(title, role, strict=True)]
    c["gap_evidence"] = c["account_id"].map(evidence).fillna(0).astype(int)
    c["has_feedback"] = c["account_id"].isin(icp_ids)
    score = acc.set_index("account_id")["icp_score"] if "icp_score" in acc else None
    c["icp_score"] = c["account_id"].map(score) if score is not None else 0
    c = c.sort_values(
        ["decision_rank", "gap_evidence", "icp_score"],
        ascending=[False, True, False],
        kind="stable",
    )
    best = c.groupby("account_id", sort=False).head(1)
    # one per account first; if there are too few accounts, second contacts fill in
    rest = c.drop(best.index)
    return pd.concat([best, rest]).head(n)


@single_threaded
def interview_plan(
    labelled: Labelled,
    contacts: str | os.PathLike[str] | pd.DataFrame,
    *,
    n_contacts: int = 8,
    min_accounts: int = 3,
    min_share: float = 0.1,
) -> dict[str, Any]:
    """Gaps in ICP evidence, 5-10 contacts to interview, and questions per gap topic."""
    _check_n(n_contacts)
    gaps = find_gaps(labelled, min_accounts=min_accounts, min_share=min_share)
    open_gaps = gaps[gaps["status"] != "covered"]
    # With no gap, interviews still refresh the thinnest topic.
    focus = open_gaps if not open_gaps.empty else gaps.sort_values("icp_accounts").head(1)
    cats = [c for t in focus["topic"] for c in TOPICS[t]["categories"]]
    picked = _pick_contacts(labelled, _read_contacts(contacts), n_contacts, cats)
    cols = [
        c
        for c in (
            "contact_id",
            "account_id",
            "first_name",
            "last_name",
            "name",
            "title",
            "email",
            "deal_role",
        )
        if c in picked
    ]
    people = [
        {**{k: (None if pd.isna(v) else v) for k, v in row.items()}}
        for row in picked[cols].to_dict("records")
    ]
    return {
        "icp": labelled.report["icp"],
        "gaps": gaps.to_dict("records"),
        "topics": [
            {"topic": t, "label": TOPICS[t]["label"], "questions": TOPICS[t]["questions"]}
            for t in focus["topic"]
        ],
        "contacts": people,
        "note": None if len(people) >= 5 else f"only {len(people)} contacts found at ICP accounts",
    }


def _check_n(n_contacts: int) -> None:
    if not 5 <= n_contacts <= 10:
        raise ConfigError(
            f"The 'n_contacts' parameter must be an int in [5, 10]. Got {n_contacts!r} instead."
        )


@single_threaded
def plan_interviews(
    feedback: str | os.PathLike[str] | pd.DataFrame,
    accounts: str | os.PathLike[str] | pd.DataFrame,
    contacts: str | os.PathLike[str] | pd.DataFrame,
    *,
    profile: Any = None,
    tiers: Sequence[str] = ("A",),
    segment: str | None = None,
    method: str | None = "auto",
    n_contacts: int = 8,
) -> dict[str, Any]:
    """Read, label and plan in one call (what ``icp interviews`` runs)."""
    _check_n(n_contacts)
    labelled = label_feedback(
        feedback, accounts, profile=profile, tiers=tiers, segment=segment, method=method
    )
    return interview_plan(labelled, contacts, n_contacts=n_contacts)
