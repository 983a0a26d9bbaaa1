"""CRM-ready import files: scored accounts in Salesforce's or HubSpot's field conventions.

- Salesforce (Data Import Wizard / Data Loader update on Account): ``Id`` plus the custom
  fields ``ICP_Score__c`` (number), ``ICP_Tier__c`` (picklist A-D), ``ICP_Segment__c`` and
  ``ICP_Reasons__c`` (long text: the top points in words, empty when not computed).
- HubSpot (company import, matched on ``Record ID`` or ``Company Domain Name``): the
  standard property ``hs_ideal_customer_profile`` whose values are ``tier_1``, ``tier_2``,
  ``tier_3`` (tiers A, B, C; tier D is left empty, i.e. "not an ideal customer"), plus
  custom properties ``icp_score``, ``icp_tier``, ``icp_segment``, ``icp_reasons``.

Every text cell is made safe against CSV/formula injection by the one shared rule in
:mod:`icpkit.csvsafe` (only real formulas are guarded; ``raw=True`` turns it off).
Salesforce text fields hold at most 255 characters: longer reasons and segment names are
cut at a word boundary (ending in "…") and the reasons also go whole into the long-text
field ``ICP_Reasons_Full__c``.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from .atomic import atomic_write_text
from .csvsafe import guard_names, safe_text
from .errors import ConfigError, SchemaError, did_you_mean

__all__ = ["FIELD_LIMITS", "TARGETS", "crm_frame", "cut_words", "export_scores", "safe_cell"]

TARGETS = ("salesforce", "hubspot", "csv")
HUBSPOT_TIERS = {"A": "tier_1", "B": "tier_2", "C": "tier_3"}
# Salesforce Text fields hold 255 characters, Long Text Area 131,072 (we use 32,768, the
# default); HubSpot single-line text properties hold 65,536.
FIELD_LIMITS = {"salesforce": 255, "salesforce_long": 32_768, "hubspot": 65_536}

safe_cell = safe_text  # the name this module has always exported


def cut_words(text: Any, limit: int) -> Any:
    """``text`` within ``limit`` characters, cut at a word boundary and ending in "…"."""
    if not isinstance(text, str) or len(text) <= limit:
        return text
    head = text[: limit - 1]
    space = head.rfind(" ")
    if space > limit // 2:
        head = head[:space]
    return head.rstrip(" ;,·") + "…"


def _frame(scores: Any) -> pd.DataFrame:
    frame = scores.to_pandas() if isinstance(scores, pa.Table) else pd.DataFrame(scores)
    for needed in ("account_id", "icp_score", "icp_tier"):
        if needed not in frame.columns:
            raise SchemaError(
                "the scored table lacks a column the CRM import needs",
                column=needed,
                hint=did_you_mean(needed, frame.columns) or "Score the accounts first (icp run)",
            )
    return frame


def _col(frame: pd.DataFrame, name: str) -> pd.Series:
    return (
        frame[name] if name in frame.columns else pd.Series([None] * len(frame), index=frame.index)
    )


def _why(frame: pd.DataFrame, limit: int) -> pd.Series:
    """Reasons read "Why: industry is Software (+18); ..." (words first: nothing in the
    field starts with a sign, so no formula guard ever touches it)."""
    reasons = _col(frame, "icp_reasons")
    full = reasons.map(lambda r: f"Why: {r}" if isinstance(r, str) and r else r)
    return full.map(lambda r: cut_words(r, limit))


def crm_frame(scores: Any, target: str) -> pd.DataFrame:
    """The import table for ``target`` (salesforce, hubspot or csv), cells not yet escaped."""
    frame = _frame(scores)
    target = target.strip().lower()
    if target == "salesforce":
        return pd.DataFrame(
            {
                "Id": frame["account_id"],
                "Name": _col(frame, "name"),
                "ICP_Score__c": frame["icp_score"],
                "ICP_Tier__c": frame["icp_tier"],
                "ICP_Segment__c": _col(frame, "icp_segment").map(
                    lambda v: cut_words(v, FIELD_LIMITS["salesforce"])
                ),
                "ICP_Reasons__c": _why(frame, FIELD_LIMITS["salesforce"]),
                "ICP_Reasons_Full__c": _why(frame, FIELD_LIMITS["salesforce_long"]),
            }
        )
    if target == "hubspot":
        return pd.DataFrame(
            {
                "Record ID": frame["account_id"],
                "Company name": _col(frame, "name"),
                "Company Domain Name": _col(frame, "domain"),
                "hs_ideal_customer_profile": frame["icp_tier"].map(HUBSPOT_TIERS),
                "icp_score": frame["icp_score"],
                "icp_tier": frame["icp_tier"],
                "icp_segment": _col(frame, "icp_segment").map(
                    lambda v: cut_words(v, FIELD_LIMITS["hubspot"])
                ),
                "icp_reasons": _why(frame, FIELD_LIMITS["hubspot"]),
            }
        )
    if target == "csv":
        return frame.copy()
    raise ConfigError(
        f"unknown CRM {target!r}; expected one of {', '.join(TARGETS)}",
        value=target,
        hint=did_you_mean(target, TARGETS),
    )


def export_scores(
    scores: Any, target: str, path: str | os.PathLike[str], *, raw: bool = False
) -> Path:
    """Write the CRM import file for ``target`` to ``path`` (UTF-8 CSV, atomically).

    Text cells are formula-safe (:mod:`icpkit.csvsafe`) unless ``raw``."""
    frame = crm_frame(scores, target)
    if not raw:
        frame.columns = guard_names([str(c) for c in frame.columns])
        for c in frame.columns:
            if not pd.api.types.is_numeric_dtype(frame[c]):  # numbers cannot hold a formula
                frame[c] = frame[c].map(safe_text)
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    return atomic_write_text(path, buffer.getvalue())
