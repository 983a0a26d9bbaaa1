"""truth.json: what was planted, and how it came out in this particular draw.

Planted numbers (the rules' win rates) and realised numbers (sizes, win rates in the CRM,
counts in the universe) are both recorded, so tests compare recovery against what is
actually in the data, not against an ideal the sample could not show.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ._activity import COMMITTEE, Activity
from ._latent import REFERENCE_DATE
from ._leads import SOURCE_P
from ._planted import (
    ADDITIVE,
    ANTI_ICP,
    BASE_RATE,
    NOISE_COLUMNS,
    RAW_SOURCES,
    SEGMENTS,
    Rule,
    matches,
)
from ._tables import COUNTRIES, INDUSTRIES, LEAD_SOURCES, TECHNOLOGIES

__all__ = ["LEAKY_COLUMNS", "build_truth"]

# Columns of training.csv that are known only after a deal is won: using them to predict
# IsWon is leakage, and discover must flag them.
LEAKY_COLUMNS = (
    "Type",
    "Customer Since",
    "ACV",
    "Renewed",
    "Expanded",
    "Churned",
    "Seats",
    "NRR",
    "LTV",
    "CAC",
    "Sales Cycle Days",
)


def _raw_columns(rule: Rule) -> dict[str, str]:
    out = {}
    for cond in rule.conditions:
        attr = cond["attribute"]
        out[attr] = RAW_SOURCES["tech_*"] if attr.startswith("tech_") else RAW_SOURCES[attr]
    return out


def _rule_entry(
    rule: Rule, accounts: pd.DataFrame, universe: pd.DataFrame, in_crm: np.ndarray
) -> dict[str, Any]:
    member = matches(accounts, rule)
    won = accounts["won"].to_numpy()
    churned = accounts["churned"].to_numpy(dtype=bool)
    in_universe = matches(universe, rule)
    size = int(member.sum())
    customers = int((member & won).sum())
    return {
        "name": rule.name,
        "description": rule.description,
        "conditions": [dict(c) for c in rule.conditions],
        "raw_columns": _raw_columns(rule),
        "planted_win_rate": rule.win_rate,
        "planted_churn_rate": rule.churn_rate,
        "size": size,
        "share": round(size / max(len(accounts), 1), 4),
        "win_rate": round(customers / size, 4) if size else None,
        "customers": customers,
        "churn_rate": round(int((member & churned).sum()) / customers, 4) if customers else None,
        "tam": int(in_universe.sum()),
        "tam_not_in_crm": int((in_universe & ~in_crm).sum()),
    }


def _committee_truth(activity: Activity) -> dict[str, Any]:
    deals, roles = activity.deals, activity.roles
    won = deals["won"].to_numpy(dtype=bool)
    lost = deals["is_closed"].to_numpy(dtype=bool) & ~won
    seat_deal = roles["deal_row"].to_numpy()
    seat_role = roles["deal_role"].to_numpy()
    presence: dict[str, dict[str, float]] = {}
    for role in COMMITTEE.won_role_p:
        has = np.zeros(len(deals), dtype=bool)
        has[seat_deal[seat_role == role]] = True
        presence[role] = {
            "won": round(float(has[won].mean()), 4) if won.any() else 0.0,
            "lost": round(float(has[lost].mean()), 4) if lost.any() else 0.0,
        }
    size = deals["committee_size"].to_numpy()
    return {
        "planted_roles": list(COMMITTEE.planted_roles),
        "mean_size_won": round(float(size[won].mean()), 3) if won.any() else None,
        "mean_size_lost": round(float(size[lost].mean()), 3) if lost.any() else None,
        "planted_mean_size_won": COMMITTEE.won_size[0] + COMMITTEE.won_size[1],
        "role_probabilities_won": dict(COMMITTEE.won_role_p),
        "role_probabilities_other": dict(COMMITTEE.other_role_p),
        "role_presence": presence,
    }


def build_truth(
    *,
    seed: int,
    accounts: pd.DataFrame,
    universe: pd.DataFrame,
    activity: Activity,
    feedback: dict[str, Any],
    segments: tuple[Rule, ...] = SEGMENTS,
) -> dict[str, Any]:
    in_crm = universe["in_crm"].to_numpy(dtype=bool)
    won = accounts["won"].to_numpy()
    outside = accounts["icp_segment"].isna() & accounts["anti_icp"].isna()
    return {
        "seed": seed,
        "reference_date": str(REFERENCE_DATE),
        "n_accounts": len(accounts),
        "n_universe": len(universe),
        "label": {"file": "training.csv", "column": "IsWon", "positive": "true"},
        "base_rate": round(float(won.mean()), 4) if len(won) else None,
        "planted_rate_outside_rules": BASE_RATE,
        "win_rate_outside_rules": round(float(won[outside.to_numpy()].mean()), 4)
        if outside.any()
        else None,
        "segments": [_rule_entry(s, accounts, universe, in_crm) for s in segments],
        "anti_icp": [_rule_entry(a, accounts, universe, in_crm) for a in ANTI_ICP],
        "additive": [dict(a) for a in ADDITIVE],
        "noise_columns": list(NOISE_COLUMNS),
        "leaky_columns": list(LEAKY_COLUMNS),
        "raw_sources": dict(RAW_SOURCES),
        "industry_labels": {
            i.label: {"salesforce": list(i.salesforce_labels), "hubspot": i.hubspot_label}
            for i in INDUSTRIES
        },
        "country_labels": {c.iso: {"names": list(c.names), "region": c.region} for c in COUNTRIES},
        "technologies": {
            t.name: {"column": t.column, "spellings": list(t.spellings)} for t in TECHNOLOGIES
        },
        "committee": _committee_truth(activity),
        "lead_sources": {
            "mix": "each lead draws its source from 'high' with probability 1.5 x planted fit",
            **{k: dict(zip(LEAD_SOURCES, p, strict=True)) for k, p in SOURCE_P.items()},
        },
        "universe": {
            "size": len(universe),
            "overlap_accounts": int(in_crm.sum()),
            "match_key": "domain (accounts.csv Website ~ universe 'Company Domain Name')",
        },
        "feedback": feedback,
    }
