"""Column screening: which columns may become attributes, and why the others may not.

Ids, dates, outcomes, free text and provenance columns are flagged by name and shape; columns
known only after the sale (ltv, seats, usage, tenure; see :mod:`icpkit.schema`) and contact
details (phone, postal code) by name, unless the user keeps them (``--keep``); after binning,
an attribute that alone separates outcomes almost perfectly is dropped as a likely leak.
Every flagged column is reported with its reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .binning import BinnedAttribute, Kind, column_kind
from .evaluate import auc
from .schema import is_after_sale, is_contact_detail, is_worked_trace

__all__ = [
    "AFTER_SALE_REASON",
    "CONTACT_REASON",
    "LEAK_AUC",
    "OUTCOME_COLUMNS",
    "WORKED_REASON",
    "Screen",
    "drop_leaks",
    "in_users_words",
    "screen_columns",
]

# Columns that record the outcome itself (see icpkit.schema): never attributes.
OUTCOME_COLUMNS = {
    "customer_since",
    "renewed",
    "expanded",
    "churned",
    "sales_cycle_days",
    "won",
    "is_closed",
    "stage",
    "closed",
    "probability",
    "converted",
    "won_date",
    "opportunity_date",
    "sql_date",
    "is_customer",
    "account_type",
    "status",
    "churn",
    "churn_flag",
    "iswon",
    "is_won",
    "deal_stage",
    "close_date",
    "close_value",
}  # value columns (acv, ltv, ...) are left to the statistical leak check: they are
# attributes in a churn study but leak the answer in a win study
_ID_NAME = re.compile(r"(^|[_\s.])(id|uuid|guid|key|number|no)$|^id([_\s]|$)|Id$", re.IGNORECASE)
_TEXT_NAME = re.compile(
    r"^(name|company|email|phone|domain|website|url|first_name|last_name)$", re.I
)
LEAK_AUC = 0.92
AFTER_SALE_REASON = (
    "known only after the sale (leaks the answer, and describes today's customers, not "
    "prospects to find); --keep to use it"
)
WORKED_REASON = (
    "written while the lead or account is worked (follows contact: leaks the answer, and is "
    "unknown for a new lead); --keep to use it"
)
CONTACT_REASON = (
    "a contact detail (whether it is filled in reflects record keeping, not fit); --keep to use it"
)


@dataclass
class Screen:
    columns: list[str]
    kinds: dict[str, Kind]
    flagged: list[dict[str, Any]]
    dates: list[str]


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def _date_like(col: pa.ChunkedArray) -> bool:
    t = col.type
    if pa.types.is_timestamp(t) or pa.types.is_date(t):
        return True
    if not (pa.types.is_string(t) or pa.types.is_large_string(t)):
        return False
    sample = pc.drop_null(col.slice(0, 500)).to_pandas()
    sample = sample[sample.str.strip() != ""]
    if len(sample) < 5 or not sample.str.contains(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}").mean() > 0.9:
        return False
    parsed = pd.to_datetime(sample, errors="coerce", format="mixed")
    return bool(parsed.notna().mean() > 0.95)


def screen_columns(
    table: pa.Table,
    *,
    label_columns: Sequence[str] = (),
    exclude: Sequence[str] = (),
    id_column: str | None = None,
    keep: Sequence[str] = (),
) -> Screen:
    """Candidate attributes and their kinds; id-like, outcome and unusable columns are flagged."""
    columns, kinds, flagged, dates = [], {}, [], []
    n = table.num_rows
    for name in table.column_names:
        col = table.column(name)
        why = None
        if name in label_columns:
            continue
        base = re.sub(r"_(original|band|currency)$", "", name)
        if name in exclude:
            why = "excluded by you"
        elif base != name and base in table.column_names and name not in keep:
            why = f"derived from {base} (kept once, as {base})"
        elif name == "technologies" and any(c.startswith("tech_") for c in table.column_names):
            why = "a list, used as one tech_ flag per technology"
        elif name == id_column:
            why = "the id column"
        elif name.startswith("enrich_") or (
            name.endswith("_source") and name.removesuffix("_source") in table.column_names
        ):
            why = "where an enriched value came from (provenance, not an attribute)"
        elif _date_like(col):
            dates.append(name)
            why = "a date (used to split by time, not as an attribute)"
        else:
            kind = column_kind(col)
            distinct = pc.count_distinct(col).as_py() if kind else 0
            present = n - col.null_count
            if kind is None:
                why = f"unsupported type {col.type}"
            elif present == 0:
                why = "empty"
            elif distinct <= 1:
                why = "constant"
            elif _norm(name) in OUTCOME_COLUMNS and name not in keep:
                why = "an outcome known only after the sale (leaks the answer)"
            elif is_after_sale(name) and name not in keep:
                why = AFTER_SALE_REASON
            elif is_worked_trace(name) and name not in keep:
                why = WORKED_REASON
            elif is_contact_detail(name) and name not in keep:
                why = CONTACT_REASON
            elif _ID_NAME.search(name) and distinct > 0.5 * present and name not in keep:
                why = f"id-like ({distinct:,} distinct values)"
            elif (
                kind == "categorical"
                and (
                    (distinct > max(0.5 * present, 50))
                    or (_TEXT_NAME.match(name) and distinct > 20)
                )
                and name not in keep
            ):
                why = f"free text or an identifier ({distinct:,} distinct values)"
            else:
                columns.append(name)
                kinds[name] = kind
        if why:
            flagged.append({"column": name, "reason": why, "excluded": True})
    return Screen(columns, kinds, flagged, dates)


def _leaks(
    attrs: dict[str, BinnedAttribute], codes: dict[str, np.ndarray], y: np.ndarray
) -> list[str]:
    """Attributes that alone separate outcomes almost perfectly: a sign of leakage."""
    out = []
    for name, attr in attrs.items():
        woe = np.array([b.woe for b in attr.all_bins()])
        if attr.informative and auc(y, woe[codes[name]]) >= LEAK_AUC:
            out.append(name)
    return out


def drop_leaks(
    attrs: dict[str, BinnedAttribute],
    codes: dict[str, np.ndarray],
    y: np.ndarray,
    keep: Sequence[str],
) -> list[dict[str, Any]]:
    """Remove (and report) attributes that alone separate outcomes almost perfectly."""
    leaks = []
    for name in _leaks(attrs, codes, y):
        if name in keep:
            continue
        reason = f"predicts the outcome almost alone (AUC >= {LEAK_AUC}); likely leaks it"
        leaks.append({"column": name, "excluded": True, "reason": reason})
        del attrs[name]
    return leaks


def in_users_words(
    flagged: list[dict[str, Any]], origin: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Flagged columns named as the user's file names them (``origin``: canonical -> original).

    A money column is split by intake into its amount and its currency; the currency part
    'derived from' the same file column is not a column the user has, so it is not listed.
    """
    out = []
    for f in flagged:
        name = str(f["column"])
        base = re.sub(r"_(original|band|currency)$", "", name)
        shown = origin.get(name, name)
        reason = str(f["reason"])
        if reason.startswith("derived from ") and base != name:
            if origin.get(base, base) == shown:
                continue
            reason = reason.replace(base, origin.get(base, base))
        out.append({**f, "column": shown, "reason": reason})
    return out
