"""The planted truth: ICP segments, anti-ICP, additive signals and noise, and their effects.

Rules are written in the profile's condition language (``in`` / ``not_in`` / ``ge`` / ``lt``
over canonical columns), so a test can load them straight into a profile and compare.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ._tables import EUROPE

__all__ = [
    "ADDITIVE",
    "ANTI_ICP",
    "BASE_RATE",
    "MANUFACTURING_SAP",
    "MIDMARKET_FS",
    "NOISE_COLUMNS",
    "RAW_SOURCES",
    "RETAIL_SHOPIFY",
    "SEGMENTS",
    "Rule",
    "assign",
    "matches",
]


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    conditions: tuple[dict[str, Any], ...]
    win_rate: float  # planted probability that a member account is won
    churn_rate: float  # planted probability that a member customer churns (after a year)
    expand_rate: float = 0.2
    extra: dict[str, Any] = field(default_factory=dict)


SEGMENTS: tuple[Rule, ...] = (
    Rule(
        "Mid-market software on Salesforce",
        "Software companies with 200-4,999 employees that use Salesforce",
        (
            {"attribute": "industry", "in": ["Software"]},
            {"attribute": "employees", "ge": 200, "lt": 5000},
            {"attribute": "tech_salesforce", "in": ["true"]},
        ),
        win_rate=0.70,
        churn_rate=0.05,
        expand_rate=0.45,
    ),
    Rule(
        "European financial services",
        "Financial services companies in Europe with 200+ employees",
        (
            {"attribute": "industry", "in": ["Financial Services"]},
            {"attribute": "country", "in": list(EUROPE)},
            {"attribute": "employees", "ge": 200},
        ),
        win_rate=0.55,
        churn_rate=0.07,
        expand_rate=0.35,
    ),
    Rule(
        "Healthcare on AWS",
        "Healthcare companies with 50-999 employees that run on AWS",
        (
            {"attribute": "industry", "in": ["Healthcare"]},
            {"attribute": "employees", "ge": 50, "lt": 1000},
            {"attribute": "tech_aws", "in": ["true"]},
        ),
        win_rate=0.50,
        churn_rate=0.08,
        expand_rate=0.3,
    ),
)

ANTI_ICP: tuple[Rule, ...] = (
    Rule(
        "Education and government",
        "Schools, universities and public bodies: long cycles, no budget, churn",
        ({"attribute": "industry", "in": ["Education", "Government"]},),
        win_rate=0.02,
        churn_rate=0.6,
        expand_rate=0.03,
    ),
    Rule(
        "Micro companies",
        "Fewer than 10 employees: they try, rarely buy, and leave",
        ({"attribute": "employees", "lt": 10},),
        win_rate=0.02,
        churn_rate=0.6,
        expand_rate=0.03,
    ),
)

# Outside segments and anti-ICP: a logistic model with these additive signals.
BASE_RATE = 0.14  # mean win probability of the remaining accounts
ADDITIVE: tuple[dict[str, Any], ...] = (
    {
        "column": "cloud_spend",
        "raw_column": "Cloud_Spend__c",
        "effect": "+0.9 log-odds per standard deviation of log(1 + monthly cloud spend)",
        "center": 9.0,
        "scale": 2.0,
        "coef": 0.9,
    },
    {
        "column": "funding_total",
        "raw_column": "Total_Funding__c",
        "effect": "+0.45 log-odds per standard deviation of log(1 + total funding); none = 0",
        "center": 8.0,
        "scale": 7.0,
        "coef": 0.45,
    },
)
_OTHER_CHURN = 0.2
_OTHER_EXPAND = 0.2

NOISE_COLUMNS: tuple[str, ...] = ("Legacy_Score__c", "Priority__c", "Territory_Code__c")

# Canonical column -> the raw column it comes from in accounts.csv / training.csv.
RAW_SOURCES: dict[str, str] = {
    "industry": "Industry",
    "employees": "NumberOfEmployees",
    "annual_revenue": "AnnualRevenue",
    "country": "BillingCountry",
    "region": "BillingCountry",
    "founded_year": "Founded_Year__c",
    "funding_total": "Total_Funding__c",
    "last_funding_type": "Last_Funding_Type__c",
    "technologies": "Technologies__c",
    "tech_*": "Technologies__c",
    "cloud_spend": "Cloud_Spend__c",
}


def _condition(frame: pd.DataFrame, cond: dict[str, Any]) -> np.ndarray:
    col = frame[cond["attribute"]]
    if "in" in cond or "not_in" in cond:
        values = [str(v) for v in cond.get("in") or cond.get("not_in") or []]
        if pd.api.types.is_bool_dtype(col.dtype) or (
            col.dtype == object and pd.api.types.infer_dtype(col, skipna=True) == "boolean"
        ):
            # Booleans compare as 'true'/'false', as in the profile's scoring semantics;
            # nullable booleans (intake's output) never match when missing.
            flags = col.astype("boolean")
            hit = np.zeros(len(col), dtype=bool)
            if "true" in values:
                hit |= flags.fillna(False).to_numpy(dtype=bool)
            if "false" in values:
                hit |= (~flags).fillna(False).to_numpy(dtype=bool)
        elif isinstance(col.dtype, pd.CategoricalDtype):
            # Compare the few categories, then look codes up: no per-row string work.
            keep = np.array([str(c) in values for c in col.cat.categories] + [False])
            hit = keep[col.cat.codes.to_numpy()]  # code -1 (missing) reads the final False
        else:
            hit = col.astype(str).isin(values).to_numpy() & col.notna().to_numpy()
        return hit if "in" in cond else ~hit & col.notna().to_numpy()
    x = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
    ok = ~np.isnan(x)
    if cond.get("ge") is not None:
        ok &= x >= cond["ge"]
    if cond.get("lt") is not None:
        ok &= x < cond["lt"]
    return np.asarray(ok, dtype=bool)


def matches(frame: pd.DataFrame, rule: Rule) -> np.ndarray:
    """Rows of ``frame`` (canonical columns) for which every condition of ``rule`` holds."""
    hit = np.ones(len(frame), dtype=bool)
    for cond in rule.conditions:
        hit &= _condition(frame, cond)
    return hit


@dataclass
class Assignment:
    segment: np.ndarray  # planted segment name per row, None outside
    anti: np.ndarray  # anti-ICP rule name per row, None outside
    win_p: np.ndarray
    churn_p: np.ndarray
    expand_p: np.ndarray


def _additive_logit(frame: pd.DataFrame) -> np.ndarray:
    logit = np.zeros(len(frame))
    for sig in ADDITIVE:
        x = np.log1p(np.nan_to_num(frame[sig["column"]].to_numpy(dtype=float)))
        logit += sig["coef"] * (x - sig["center"]) / sig["scale"]
    return logit


def _calibrate(logit: np.ndarray, target: float) -> float:
    """Intercept giving mean sigmoid == target (bisection; the mean is monotone in it)."""
    lo, hi = -10.0, 10.0
    for _ in range(50):
        mid = (lo + hi) / 2
        mean = float(np.mean(1 / (1 + np.exp(-(mid + logit))))) if len(logit) else target
        lo, hi = (mid, hi) if mean < target else (lo, mid)
    return (lo + hi) / 2


# Other planted ICPs, for worlds planned differently (the truth benchmark, tests).
RETAIL_SHOPIFY = Rule(
    "Retail on Shopify",
    "Retailers with 50+ employees that sell on Shopify",
    (
        {"attribute": "industry", "in": ["Retail"]},
        {"attribute": "employees", "ge": 50},
        {"attribute": "tech_shopify", "in": ["true"]},
    ),
    win_rate=0.6,
    churn_rate=0.06,
)
MANUFACTURING_SAP = Rule(
    "Manufacturers on SAP",
    "Manufacturers with 200+ employees that run SAP (a small planted segment, ~1% of accounts)",
    (
        {"attribute": "industry", "in": ["Manufacturing"]},
        {"attribute": "tech_sap", "in": ["true"]},
        {"attribute": "employees", "ge": 200},
    ),
    win_rate=0.75,
    churn_rate=0.05,
)
MIDMARKET_FS = Rule(
    "Mid-market financial services",
    "Financial services with 100-2,000 employees on Snowflake",
    (
        {"attribute": "industry", "in": ["Financial Services"]},
        {"attribute": "employees", "ge": 100, "lt": 2000},
        {"attribute": "tech_snowflake", "in": ["true"]},
    ),
    win_rate=0.65,
    churn_rate=0.05,
)


def assign(frame: pd.DataFrame, segments: tuple[Rule, ...] = SEGMENTS) -> Assignment:
    """Segment, anti-ICP membership and planted probabilities for every company.

    Anti-ICP wins over segments (they cannot overlap as planted, but a rule edit might).
    The first matching segment wins, as in the profile's semantics. ``segments`` replaces the
    planted ICPs (benchmarks plant other configurations; the default world uses SEGMENTS).
    """
    n = len(frame)
    segment = np.full(n, None, dtype=object)
    anti = np.full(n, None, dtype=object)
    logit = _additive_logit(frame)
    rest = np.ones(n, dtype=bool)
    win = np.zeros(n)
    churn = np.full(n, _OTHER_CHURN)
    expand = np.full(n, _OTHER_EXPAND)
    for rule_set, label in ((ANTI_ICP, anti), (segments, segment)):
        for rule in rule_set:
            hit = matches(frame, rule) & rest
            label[hit] = rule.name
            win[hit], churn[hit], expand[hit] = rule.win_rate, rule.churn_rate, rule.expand_rate
            rest &= ~hit
    intercept = _calibrate(logit[rest], BASE_RATE)
    win[rest] = 1 / (1 + np.exp(-(intercept + logit[rest])))
    return Assignment(segment, anti, win, churn, expand)
