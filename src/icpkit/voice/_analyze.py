"""Voice of the customer, end to end: read, link, split, label, mark ICP, find themes.

``label_feedback`` does the shared first half (used by ``analyze``, ``ask`` and the
interview plan); ``analyze`` adds themes and the report dict.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import ConfigError, SchemaError
from ._backend import Backend, TfidfBackend, get_backend, single_threaded
from ._categories import CATEGORIES, CATEGORY_LABELS, classify
from ._encodings import encoding_store
from ._highlights import split_highlights
from ._ingest import FEEDBACK_FIELDS, read_feedback
from ._link import link_accounts
from ._themes import find_themes

__all__ = ["Labelled", "VoiceResult", "analyze", "label_feedback", "load_accounts"]

TIERS = ("A", "B", "C", "D")


@dataclass
class Labelled:
    """Highlights with categories and ICP flags, plus what the reading and linking found."""

    highlights: pd.DataFrame
    method: str
    report: dict[str, Any]
    accounts: pd.DataFrame | None = None
    backend: Backend | None = field(default=None, repr=False)


@dataclass
class VoiceResult:
    """Labelled highlights, their themes, and a plain-dict report."""

    highlights: pd.DataFrame
    themes: pd.DataFrame
    report: dict[str, Any]


def load_accounts(
    source: str | os.PathLike[str] | pd.DataFrame, profile: Any = None
) -> pd.DataFrame:
    """Scored accounts (``account_id``, ``icp_tier``, maybe ``icp_segment``/name/domain).

    A file without ``icp_tier`` is scored with ``profile`` (a Profile or a YAML path).
    """
    if isinstance(source, pd.DataFrame):
        frame = source.copy()
        name = None
    else:
        from ..intake import load

        name = str(source)
        frame = load(source, kind="accounts").table.to_pandas()
    if "account_id" not in frame:
        raise SchemaError("the accounts table has no account id column", file=name)
    if "icp_tier" not in frame:
        if profile is None:
            raise SchemaError(
                "the accounts are not scored (no icp_tier column)",
                file=name,
                hint="Score them first with `icp score`, or pass --profile",
            )
        frame = _score(frame, profile)
    frame["account_id"] = frame["account_id"].astype("string")
    return frame


def _score(frame: pd.DataFrame, profile: Any) -> pd.DataFrame:
    from ..profile import Profile, load_profile
    from ..scoring import score_table

    prof = profile if isinstance(profile, Profile) else load_profile(profile)
    scored = score_table(prof, frame).to_pandas()
    out = frame.drop(columns=[c for c in scored.columns if c in frame], errors="ignore")
    return pd.concat([out.reset_index(drop=True), scored], axis=1)


def _check_tiers(tiers: Sequence[str]) -> tuple[str, ...]:
    out = tuple(str(t).strip().upper() for t in tiers if str(t).strip())
    bad = [t for t in out if t not in TIERS]
    if bad or not out:
        raise ConfigError(
            f"The 'tier' option must be tiers among {', '.join(TIERS)} (e.g. A or A,B). "
            f"Got {','.join(tiers)!r} instead."
        )
    return out


def _icp_flags(
    highlights: pd.DataFrame,
    accounts: pd.DataFrame | None,
    tiers: tuple[str, ...],
    segment: str | None,
) -> pd.DataFrame:
    out = highlights.copy()
    if accounts is None:
        out["icp_tier"] = pd.Series(pd.NA, index=out.index, dtype="string")
        out["icp_segment"] = pd.Series(pd.NA, index=out.index, dtype="string")
        out["is_icp"] = False
        return out
    acc = accounts.drop_duplicates("account_id").set_index("account_id")
    out["icp_tier"] = out["account_id"].map(acc["icp_tier"]).astype("string")
    seg = acc["icp_segment"] if "icp_segment" in acc else pd.Series(dtype="string")
    out["icp_segment"] = out["account_id"].map(seg).astype("string")
    is_icp = out["icp_tier"].isin(tiers).fillna(False)
    if segment is not None:
        is_icp &= (out["icp_segment"] == segment).fillna(False)
    out["is_icp"] = is_icp.astype(bool)
    return out


@single_threaded
def label_feedback(
    feedback: str | os.PathLike[str] | pd.DataFrame,
    accounts: str | os.PathLike[str] | pd.DataFrame | None = None,
    *,
    profile: Any = None,
    tiers: Sequence[str] = ("A",),
    segment: str | None = None,
    method: str | None = "auto",
    encoding_cache: str | os.PathLike[str] | None = None,
) -> Labelled:
    """Read and link feedback, split it into highlights, label and flag the ICP ones.

    ``encoding_cache``: a DuckDB file keeping sentence embeddings by text hash (used by
    the embeddings method), so a re-run encodes only new feedback.
    """
    with encoding_store(encoding_cache):
        return _label_feedback(feedback, accounts, profile, tiers, segment, method)


def _label_feedback(
    feedback: str | os.PathLike[str] | pd.DataFrame,
    accounts: str | os.PathLike[str] | pd.DataFrame | None,
    profile: Any,
    tiers: Sequence[str],
    segment: str | None,
    method: str | None,
) -> Labelled:
    tiers_ = _check_tiers(tiers)
    backend = get_backend(method)  # bad options fail before any reading
    items = feedback.copy() if isinstance(feedback, pd.DataFrame) else read_feedback(feedback)
    if "text" not in items:
        raise SchemaError("the feedback table has no text column")
    for col in FEEDBACK_FIELDS:  # "text" is there (checked above)
        if col not in items:
            items[col] = pd.Series(pd.NA, index=items.index, dtype="string")
    if items["feedback_id"].isna().any():
        items["feedback_id"] = [f"item-{i + 1}" for i in range(len(items))]
    acc = None if accounts is None else load_accounts(accounts, profile)
    link: dict[str, Any] = {"linked": None}
    if acc is not None:
        items, link = link_accounts(items, acc)
    else:  # no accounts table: the account as the item names it still counts accounts
        named = items["account_id"].astype("string")
        for col in ("account_name", "domain"):
            named = named.fillna(items[col].astype("string"))
        items["account_id"] = named
    highlights, counts = split_highlights(items)
    prompts = highlights["prompt"]
    labels = classify(
        highlights["text"].astype(str).tolist(),
        method=backend.name,
        prompts=None if prompts.isna().all() else prompts.astype(object).tolist(),
    )
    highlights = pd.concat([highlights, labels], axis=1)
    highlights = _icp_flags(highlights, acc, tiers_, segment)
    icp_ids = (
        set()
        if acc is None
        else set(acc.loc[acc["icp_tier"].astype("string").isin(tiers_).fillna(False), "account_id"])
    )
    if acc is not None and segment is not None and "icp_segment" in acc:
        icp_ids &= set(acc.loc[acc["icp_segment"] == segment, "account_id"])
    report = {
        "method": backend.name,
        "feedback": counts,
        "link": link,
        "icp": {
            "tiers": list(tiers_),
            "segment": segment,
            "accounts": len(icp_ids),
            "accounts_with_feedback": int(
                highlights.loc[highlights["is_icp"], "account_id"].nunique()
            ),
        },
    }
    return Labelled(highlights, backend.name, report, acc, backend)


def _theme_backend(labelled: Labelled) -> Backend:
    """TF-IDF fitted on this corpus, or the embeddings backend as it is."""
    if labelled.method == "tfidf":  # fitted on each distinct sentence once, weighted
        said = labelled.highlights["text"].astype(str).value_counts()
        return TfidfBackend(min_df=1).fit(said.index.tolist(), said.to_numpy(dtype=float))
    backend = labelled.backend or get_backend(labelled.method)
    return backend.fit([])


def category_summary(highlights: pd.DataFrame) -> list[dict[str, Any]]:
    """Per category: highlights and accounts, ICP versus others."""
    icp = highlights["is_icp"]
    n_icp = max(1, highlights.loc[icp, "account_id"].nunique())
    n_other = max(1, highlights.loc[~icp, "account_id"].nunique())
    rows = []
    for cat in CATEGORIES:
        g = highlights[highlights["category"] == cat]
        gi = g[g["is_icp"]]
        rows.append(
            {
                "category": cat,
                "label": CATEGORY_LABELS[cat],
                "highlights": len(g),
                "icp_highlights": len(gi),
                "icp_accounts": int(gi["account_id"].nunique()),
                "icp_share": round(gi["account_id"].nunique() / n_icp, 4),
                "other_share": round(g.loc[~g["is_icp"], "account_id"].nunique() / n_other, 4),
            }
        )
    return rows


@single_threaded
def analyze(
    feedback: str | os.PathLike[str] | pd.DataFrame,
    accounts: str | os.PathLike[str] | pd.DataFrame | None = None,
    *,
    profile: Any = None,
    tiers: Sequence[str] = ("A",),
    segment: str | None = None,
    method: str | None = "auto",
    icp_only: bool = False,
    max_themes: int = 8,
    encoding_cache: str | os.PathLike[str] | None = None,
) -> VoiceResult:
    """Categories and themes of customer feedback, ICP accounts versus the rest.

    ``accounts`` is a scored accounts table or file (``icp_tier``; see load_accounts);
    ICP = accounts in ``tiers`` (and in ``segment`` when given). With ``icp_only`` the
    themes are found among ICP highlights only ("keep only what the best customers said").
    ``encoding_cache``: see :func:`label_feedback`.
    """
    if max_themes < 1:
        raise ConfigError(
            f"The 'max_themes' parameter must be an int >= 1. Got {max_themes!r} instead."
        )
    with encoding_store(encoding_cache):
        labelled = label_feedback(
            feedback,
            accounts,
            profile=profile,
            tiers=tiers,
            segment=segment,
            method=method,
            encoding_cache=encoding_cache,
        )
        return _analyze(labelled, icp_only, max_themes)


def _analyze(labelled: Labelled, icp_only: bool, max_themes: int) -> VoiceResult:
    highlights = labelled.highlights
    if icp_only:
        if labelled.accounts is None:
            raise ConfigError("icp_only needs scored accounts (--accounts)")
        highlights = highlights[highlights["is_icp"]].reset_index(drop=True)
    themes = find_themes(highlights, _theme_backend(labelled), max_themes=max_themes)
    report = dict(labelled.report)
    report["icp_only"] = icp_only
    report["categories"] = category_summary(highlights)
    report["themes"] = themes.to_dict("records")
    if labelled.accounts is not None:
        from ._interviews import find_gaps  # (it builds on this module)

        report["gaps"] = find_gaps(labelled).to_dict("records")
    return VoiceResult(highlights, themes, report)


def source_name(source: Any) -> str:
    return Path(source).name if isinstance(source, str | os.PathLike) else "<table>"
