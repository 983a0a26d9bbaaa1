"""CRM-ready import files: scored accounts in Salesforce's or HubSpot's field conventions.

- Salesforce (Data Import Wizard / Data Loader update on Account): ``Id`` plus the custom
  fields ``ICP_Score__c`` (number), ``ICP_Tier__c`` (picklist A-D), ``ICP_Segment__c`` and
  ``ICP_Reasons__c`` (long text: the top points in words, empty when not computed).
- HubSpot (company import, matched on ``Record ID`` or ``Company Domain Name``): the
  standard property ``hs_ideal_customer_profile`` whose values are ``tier_1``, ``tier_2``,
  ``tier_3`` (tiers A, B, C; tier D is left empty, i.e. "not an ideal customer"), plus
  custom properties ``icp_score``, ``icp_tier``, ``icp_segment``, ``icp_reasons``.

Every text cell is made safe against CSV/formula injection: a cell starting with
``= + - @``, a tab or a carriage return is prefixed with a single quote, so a spreadsheet
shows it as text instead of running it (OWASP's advice).
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
from .errors import ConfigError, SchemaError, did_you_mean

__all__ = ["TARGETS", "crm_frame", "export_scores", "safe_cell"]

TARGETS = ("salesforce", "hubspot", "csv")
_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
HUBSPOT_TIERS = {"A": "tier_1", "B": "tier_2", "C": "tier_3"}


def safe_cell(value: Any) -> Any:
    """Neutralise a text cell a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(_DANGEROUS):
        return "'" + value
    return value


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


def _why(frame: pd.DataFrame) -> pd.Series:
    """Reasons read "+18 Industry is Software; ..."; a leading '+' would be taken for a
    formula (and escaped with a visible quote in the CRM), so the field starts with words."""
    reasons = _col(frame, "icp_reasons")
    return reasons.map(lambda r: f"Why: {r}" if isinstance(r, str) and r else r)


def crm_frame(scores: Any, target: str) -> pd.DataFrame:
    """The import table for ``target`` (salesforce, hubspot or csv), cells not yet escaped."""
    frame = _frame(scores)
    if target == "salesforce":
        return pd.DataFrame(
            {
                "Id": frame["account_id"],
                "Name": _col(frame, "name"),
                "ICP_Score__c": frame["icp_score"],
                "ICP_Tier__c": frame["icp_tier"],
                "ICP_Segment__c": _col(frame, "icp_segment"),
                "ICP_Reasons__c": _why(frame),
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
                "icp_segment": _col(frame, "icp_segment"),
                "icp_reasons": _why(frame),
            }
        )
    if target == "csv":
        return frame.copy()
    raise ConfigError(
        f"unknown CRM {target!r}; expected one of {', '.join(TARGETS)}",
        value=target,
        hint=did_you_mean(target, TARGETS),
    )


def export_scores(scores: Any, target: str, path: str | os.PathLike[str]) -> Path:
    """Write the CRM import file for ``target`` to ``path`` (UTF-8 CSV, atomically)."""
    frame = crm_frame(scores, target)
    for c in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[c]):  # numbers cannot hold a formula
            frame[c] = frame[c].map(safe_cell)
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    return atomic_write_text(path, buffer.getvalue())
