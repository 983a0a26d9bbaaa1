"""Synthetic customer feedback with planted themes, for the synthetic world.

Each planted ICP segment gets its own set of themes (one per voice category: the pain
it suffers, what it asks for, how it found us, why it bought, what it loves). Accounts
outside the planted ICP talk about price, budget cuts and cancelling. The buying process
is deliberately *silent* for ICP accounts (almost never mentioned), so gap detection and
the interview plan have something real to find.

Texts are assembled from varied phrasings of each theme plus neutral filler, so the same
theme is said in several ways (voice must cluster paraphrases, not exact strings). The
voice evaluation set (tests/golden/voice) is written independently of these phrasings.

Generation is one Python pass over the feedback rows (string formatting), with every
random choice drawn vectorised up front; ~50k items take well under a second.
"""

from __future__ import annotations

import bisect
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["FEEDBACK_COLUMNS", "SILENT_FOR_ICP", "SOURCES", "make_feedback"]

FEEDBACK_COLUMNS = ("feedback_id", "account_id", "contact_id", "source", "date", "text")
SOURCES = ("call", "ticket", "review", "interview", "chat")
SILENT_FOR_ICP = ("buying_process",)

# One theme = (label, keywords that identify it, phrasings). Keywords are what a
# theme finder should surface; phrasings vary the words around them.
_Theme = tuple[str, tuple[str, ...], tuple[str, ...]]

_ICP_THEME_SETS: tuple[dict[str, _Theme], ...] = (
    {
        "pain_point": (
            "manual CRM data entry",
            ("manual", "data entry", "crm"),
            (
                "Our reps were losing hours every week to manual CRM data entry.",
                "Manual data entry into the CRM meant our pipeline was always out of date.",
                "Everybody on the team hated the manual CRM data entry after each meeting.",
                "The biggest headache was manual data entry, our CRM was never complete.",
                "We had a real problem with manual CRM data entry eating into selling time.",
            ),
        ),
        "feature_request": (
            "forecast roll-ups by region",
            ("forecast", "region", "roll-up"),
            (
                "It would be great to get forecast roll-ups by region.",
                "Could you add a forecast roll-up per region for our sales leaders?",
                "We really need forecast roll-ups by region before next quarter.",
                "Please consider regional forecast roll-ups, we build them by hand today.",
            ),
        ),
        "discovery_channel": (
            "peer referral at a RevOps community",
            ("revops", "community", "peer"),
            (
                "A peer in our RevOps community recommended you to us.",
                "We first heard about you from a peer at a RevOps community meetup.",
                "Someone in the RevOps community Slack referred us, that is how we found you.",
                "Honestly it was a peer referral from the RevOps community that brought us in.",
            ),
        ),
        "purchase_reason": (
            "native Salesforce integration",
            ("salesforce", "integration", "native"),
            (
                "We chose you over the alternatives because of the native Salesforce integration.",
                "The native Salesforce integration was the deciding factor against the other vendor.",
                "Compared to the competitor, your Salesforce integration is native and that won us over.",
                "What tipped the decision was the native integration with Salesforce.",
            ),
        ),
        "praise": (
            "automatic activity capture",
            ("activity", "capture", "automatic"),
            (
                "We love the automatic activity capture, it just works.",
                "The automatic activity capture is fantastic, the reps adore it.",
                "Automatic activity capture has been a huge win for the whole team.",
                "Really happy with how the activity capture works automatically in the background.",
            ),
        ),
    },
    {
        "pain_point": (
            "audit trail for compliance reporting",
            ("audit", "compliance", "reporting"),
            (
                "Preparing the audit trail for compliance reporting used to take us weeks.",
                "Our compliance reporting was painful because the audit trail lived in spreadsheets.",
                "Every regulatory audit meant rebuilding the audit trail for compliance by hand.",
                "The audit trail for compliance reporting was our biggest operational risk.",
            ),
        ),
        "feature_request": (
            "single sign-on with granular permissions",
            ("sso", "permissions", "granular"),
            (
                "We need SSO with more granular permissions for our teams.",
                "Could you support SSO and granular permissions per business unit?",
                "Our security team asked for SSO with granular permissions before the rollout.",
                "Granular permissions on top of SSO would unblock the next department.",
            ),
        ),
        "discovery_channel": (
            "analyst report shortlist",
            ("analyst", "report", "shortlist"),
            (
                "We found you in an analyst report while building our shortlist.",
                "You were on the shortlist of the analyst report our CIO reads.",
                "An analyst report put you on our shortlist in the first place.",
                "We discovered you through an industry analyst report on the category.",
            ),
        ),
        "purchase_reason": (
            "EU data residency",
            ("data residency", "eu", "hosting"),
            (
                "You were the only vendor offering EU data residency, which settled it.",
                "EU data residency was the reason we picked you over the competitor.",
                "We went with you because of EU data residency and local hosting.",
                "The other vendor could not guarantee EU data residency, you could.",
            ),
        ),
        "praise": (
            "responsive support team",
            ("support", "responsive", "team"),
            (
                "Your support team is incredibly responsive, thank you.",
                "We love how responsive the support team is, answers within the hour.",
                "The support team has been responsive and genuinely helpful every time.",
                "Great responsive support team, they fixed our issue the same day.",
            ),
        ),
    },
    {
        "pain_point": (
            "disconnected spreadsheets",
            ("spreadsheets", "disconnected", "version"),
            (
                "We were drowning in disconnected spreadsheets across departments.",
                "Disconnected spreadsheets meant nobody trusted the numbers.",
                "Every team had its own spreadsheet and none of them were connected.",
                "Our problem was a dozen disconnected spreadsheets with different versions.",
            ),
        ),
        "feature_request": (
            "public API access",
            ("api", "access", "endpoint"),
            (
                "We need API access to push data into our warehouse.",
                "Could you open up a public API endpoint for the usage data?",
                "Better API access would let our engineers automate the exports.",
                "An API endpoint for bulk access is the one thing we are missing.",
            ),
        ),
        "discovery_channel": (
            "webinar",
            ("webinar", "attended", "session"),
            (
                "We first found you through a webinar our ops lead attended.",
                "Your webinar on process automation is how we discovered you.",
                "I attended one of your webinar sessions and signed up afterwards.",
                "We came across you at a webinar session last spring.",
            ),
        ),
        "purchase_reason": (
            "fast implementation",
            ("implementation", "weeks", "fast"),
            (
                "We bought because implementation took two weeks instead of six months.",
                "Fast implementation was why we chose you over the big suite.",
                "The competitor quoted a long implementation, yours was live in weeks.",
                "What decided it was how fast the implementation was.",
            ),
        ),
        "praise": (
            "clear dashboards",
            ("dashboards", "clear", "visibility"),
            (
                "The dashboards are clear and the leadership team loves them.",
                "We love the dashboards, finally real visibility for everyone.",
                "Clear dashboards gave our managers visibility they never had.",
                "Your dashboards are the clearest we have used.",
            ),
        ),
    },
)

_OTHER_THEMES: dict[str, _Theme] = {
    "pain_point": (
        "slow app and crashes",
        ("slow", "crashes", "loading"),
        (
            "The app is slow and crashes when we open large reports.",
            "Loading the pipeline page is painfully slow most mornings.",
            "It crashes every time two of us edit the same record, and loading is slow.",
            "The slow loading times are frustrating our whole team.",
        ),
    ),
    "churn_risk": (
        "price too high, thinking of cancelling",
        ("price", "expensive", "cancel"),
        (
            "Honestly the price is too high for a team our size, we may cancel at renewal.",
            "The per-seat pricing is too expensive for what we use.",
            "Budget cuts mean the price is hard to justify, we are considering cancelling.",
            "Pricing went up again and it is getting too expensive, please send the steps to cancel.",
        ),
    ),
    "buying_process": (
        "procurement sign-offs",
        ("procurement", "sign-off", "approval"),
        (
            "Our procurement process needed three sign-offs before we could buy.",
            "The purchase went through procurement and finance approval took a month.",
            "Legal review and procurement approval slowed the purchase down.",
            "Our CFO had to sign off, and procurement asked for a security review.",
        ),
    ),
    "discovery_channel": (
        "search engine",
        ("google", "search", "searching"),
        (
            "We found you by searching on Google.",
            "I came across you in a Google search for sales tools.",
            "A quick search online turned you up.",
        ),
    ),
    "praise": (
        "easy setup",
        ("setup", "easy", "simple"),
        (
            "Setup was easy enough.",
            "The setup is simple and we were running the same day.",
        ),
    ),
}

_FILLER: dict[str, tuple[str, ...]] = {
    "call": (
        "Thanks for jumping on the call today.",
        "We covered the roadmap and next steps.",
        "Follow-up meeting booked for next month.",
    ),
    "ticket": (
        "Hi support team,",
        "Ticket raised by our admin.",
        "Screenshots attached.",
    ),
    "review": (
        "Overall a solid product.",
        "Review written after one year of use.",
        "Would recommend to similar teams.",
    ),
    "interview": (
        "Interview with the project owner.",
        "Notes from the customer interview.",
        "The interviewee has been a user since launch.",
    ),
    "chat": (
        "Hello, quick question.",
        "Thanks for the help!",
        "Chat started from the in-app widget.",
    ),
}

# Which categories an account talks about, with relative weights.
_ICP_CATEGORY_WEIGHTS = {
    "pain_point": 3.0,
    "feature_request": 2.0,
    "discovery_channel": 2.0,
    "purchase_reason": 2.0,
    "praise": 2.5,
}
_OTHER_CATEGORY_WEIGHTS = {
    "pain_point": 3.0,
    "churn_risk": 2.0,
    "buying_process": 1.5,
    "discovery_channel": 1.0,
    "praise": 1.0,
}


def _segment_themes(icp_segment: np.ndarray) -> dict[str, dict[str, _Theme]]:
    """Each planted segment (sorted by name, for determinism) gets its own theme set."""
    names = sorted({str(s) for s in pd.unique(icp_segment) if _is_segment(s)})
    return {name: _ICP_THEME_SETS[i % len(_ICP_THEME_SETS)] for i, name in enumerate(names)}


def _is_segment(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and np.isnan(value)) and value != ""


def _cdf(weights: dict[str, float]) -> tuple[list[str], list[float]]:
    total = sum(weights.values())
    cats, acc, cdf = list(weights), 0.0, []
    for c in cats:
        acc += weights[c] / total
        cdf.append(acc)
    cdf[-1] = 1.0
    return cats, cdf


def _texts(
    themes: list[dict[str, _Theme]],
    icp: np.ndarray,
    sources: np.ndarray,
    names: list[str],
    rng: np.random.Generator,
) -> list[str]:
    """One multi-sentence text per row: 1-2 theme sentences plus 0-2 filler sentences."""
    n = len(themes)
    u = rng.random((n, 6)).tolist()
    pick = {True: _cdf(_ICP_CATEGORY_WEIGHTS), False: _cdf(_OTHER_CATEGORY_WEIGHTS)}
    out: list[str] = []
    for i in range(n):
        cats, cdf = pick[bool(icp[i])]
        ui = u[i]
        picks = [cats[bisect.bisect_left(cdf, ui[0])]]
        if ui[1] < 0.45:
            second = cats[bisect.bisect_left(cdf, ui[2])]
            if second != picks[0]:
                picks.append(second)
        sentences = []
        for j, cat in enumerate(picks):
            phrasings = themes[i][cat][2]
            sentences.append(phrasings[int(ui[3 + j] * len(phrasings)) % len(phrasings)])
        filler = _FILLER[str(sources[i])]
        if ui[5] < 0.6:
            sentences.insert(0, filler[int(ui[5] * 10) % len(filler)])
        if ui[5] > 0.75 and names[i]:
            sentences.append(f"Happy to share more about how {names[i]} uses it.")
        out.append(" ".join(sentences))
    return out


def make_feedback(
    accounts: pd.DataFrame, icp_segment: np.ndarray, rng: np.random.Generator
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Feedback items for ``accounts`` with planted themes per ICP segment.

    ``accounts`` needs ``account_id`` (``name`` is used when present); ``icp_segment``
    holds the planted segment name per account, or None outside the ICP. Returns the
    feedback table (columns ``FEEDBACK_COLUMNS``) and the truth dict: the planted theme
    of every category for every segment, the themes of non-ICP accounts, and the
    categories that are silent for ICP accounts.
    """
    seg = np.asarray(icp_segment, dtype=object)
    if len(seg) != len(accounts):
        raise ValueError(f"icp_segment has {len(seg)} values for {len(accounts)} accounts")
    by_segment = _segment_themes(seg)
    labels = pd.Series(seg, dtype=object)
    is_icp = (labels.notna() & labels.ne("")).to_numpy(dtype=bool)  # as _is_segment, vectorised
    # ICP accounts are mostly customers and talk to us more often.
    counts = rng.poisson(np.where(is_icp, 1.6, 0.4))
    rows = np.repeat(np.arange(len(accounts)), counts)
    n = len(rows)
    ids = accounts["account_id"].astype(str).to_numpy()[rows]
    names_all = (
        accounts["name"].fillna("").astype(str).to_numpy()
        if "name" in accounts
        else np.full(len(accounts), "", dtype=object)
    )
    themes = [by_segment[str(seg[r])] if is_icp[r] else _OTHER_THEMES for r in rows]
    sources = np.array(SOURCES, dtype=object)[
        rng.choice(len(SOURCES), size=n, p=[0.3, 0.25, 0.15, 0.15, 0.15])
    ]
    start = np.datetime64("2023-01-01")
    # Up to the synthetic world's "today" (2025-06-30): no feedback from the future.
    dates = (start + rng.integers(0, 911, size=n).astype("timedelta64[D]")).astype(str)
    texts = _texts(themes, is_icp[rows], sources, list(names_all[rows]), rng)
    table = pd.DataFrame(
        {
            "feedback_id": [f"FB-{i + 1:06d}" for i in range(n)],
            "account_id": ids,
            "contact_id": [None] * n,
            "source": sources,
            "date": dates,
            "text": texts,
        },
        columns=list(FEEDBACK_COLUMNS),
    )
    truth = {
        "categories": sorted(set(_ICP_CATEGORY_WEIGHTS) | set(_OTHER_CATEGORY_WEIGHTS)),
        "segments": {
            name: {cat: {"theme": t[0], "keywords": list(t[1])} for cat, t in themes_.items()}
            for name, themes_ in by_segment.items()
        },
        "non_icp": {
            cat: {"theme": t[0], "keywords": list(t[1])} for cat, t in _OTHER_THEMES.items()
        },
        "silent_for_icp": list(SILENT_FOR_ICP),
        "n_items": int(n),
        "n_items_icp": int(counts[is_icp].sum()),
    }
    return table, truth
