"""From the configured tables to the rows discovery learns from (one label per row).

Features are the accounts' own columns; outcome and deal columns define success but are
never features (they are known only after the sale, so learning from them would leak).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ..errors import ConfigError, SchemaError, did_you_mean
from ..outcomes import closed_stage
from ..phrases import counted
from ._config import Success
from ._sources import optional

__all__ = ["LABEL", "NOT_FEATURES", "best_customers", "label_values", "training_frame"]

LABEL = "is_success"
# Not features, but kept in the training rows: discover splits by time on a creation date
# (held-out = the newest rows), exactly as `icp discover` does on the same export.
SPLIT_DATES = ("created",)
_TRUE = {"true", "1", "1.0", "yes", "y", "t", "won", "closed won", "closedwon"}
# Account columns that restate the outcome or identify a record: never learned from.
NOT_FEATURES = (
    "account_id",
    "name",
    "domain",
    "owner",
    "account_type",
    "is_customer",
    "created",
    "last_modified",
    "last_verified",
    "parent",
    "company_id",
)


def label_values(values: pd.Series, positive: list[str] | None) -> pd.Series:
    """True where a value means success (``positive`` values, else the usual yes/won words)."""
    wanted = {p.strip().lower() for p in positive} if positive else _TRUE
    text = values.astype("string").str.strip().str.lower()
    return text.isin(wanted).fillna(False).astype(bool)


def _frame(table: pa.Table | None) -> pd.DataFrame | None:
    return None if table is None else table.to_pandas()


def _deal_won(deals: pd.DataFrame) -> pd.Series:
    if "won" in deals:
        return label_values(deals["won"], None)
    if "stage" in deals:
        return deals["stage"].astype("string").str.lower().str.contains("won").fillna(False)
    raise SchemaError(
        "deals need a won flag or a stage column",
        column="won",
        hint=did_you_mean("stage", deals.columns) or "Map the deal stage column to 'stage'",
    )


def _deal_closed(deals: pd.DataFrame, won: pd.Series) -> pd.Series:
    """Deals whose outcome is known; open ones are neither won nor lost yet."""
    if "is_closed" in deals:
        return label_values(deals["is_closed"], None) | won
    if "stage" in deals:
        return closed_stage(deals["stage"]) | won
    return pd.Series(True, index=deals.index)


def _join_key(deals: pd.DataFrame, accounts: pd.DataFrame) -> tuple[str, str]:
    if "account_id" in deals and "account_id" in accounts:
        ids = set(accounts["account_id"].dropna().astype(str))
        if deals["account_id"].dropna().astype(str).isin(ids).any():
            return "account_id", "account_id"
    if "account_name" in deals and "name" in accounts:
        return "account_name", "name"
    raise SchemaError(
        "cannot link deals to accounts: no shared account_id, and no account_name",
        column="account_id",
        hint="Map the deals' account column to account_id (or account_name) in icp.yaml",
    )


_KEYS = ("account_id", "name", *SPLIT_DATES)


def _features(accounts: pd.DataFrame, exclude: list[str]) -> list[str]:
    drop = set(NOT_FEATURES) | set(exclude)
    return [c for c in accounts.columns if c not in drop]


def training_frame(
    success: Success, tables: dict[str, pa.Table | None], target_name: str | None = None
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """(training rows with the label column ``is_success`` + ids, description of success).

    ``target_name`` is the success column as the export spells it ('Churn' for 'churned'),
    for the description."""
    accounts = _frame(tables.get("accounts"))
    assert accounts is not None
    outcomes, deals = _frame(tables.get("outcomes")), _frame(tables.get("deals"))
    features = _features(accounts, success.exclude)
    if success.table == "deals":
        assert deals is not None
        won = _deal_won(deals)
        known = _deal_closed(deals, won) | success.open_as_failure
        closed = deals[known].assign(**{LABEL: won})
        left, right = _join_key(closed, accounts)
        frame = closed[[left, LABEL]].merge(
            accounts.drop_duplicates(right), left_on=left, right_on=right, how="inner"
        )
        described = (
            "a deal that was won (one row per deal, open ones counted as failures)"
            if success.open_as_failure
            else "a closed deal that was won (one row per closed deal)"
        )
        info: dict[str, Any] = {"level": "deals", "description": described, "features": features}
        n_open = int((~known).sum())
        if n_open:
            info["left_out"] = _left_out(n_open, "open deal")
            info["description"] += f" ({info['left_out']})"
        keep = [c for c in frame.columns if c in features or c in (LABEL, *_KEYS)]
        return frame[keep], info
    frame = accounts
    if outcomes is not None and "account_id" in outcomes and "account_id" in accounts:
        extra = [c for c in outcomes.columns if c not in accounts.columns or c == "account_id"]
        frame = accounts.merge(
            outcomes[extra].drop_duplicates("account_id"), on="account_id", how="left"
        )
    target = success.target or ""
    left_out = None
    if success.expression or target in frame.columns:
        frame, described = _labelled(frame, success, target_name)
    elif target == "won" and deals is not None:
        frame, described, left_out = _account_won(frame, accounts, deals, success.open_as_failure)
    else:
        raise SchemaError(
            "the success column is not in the accounts (or outcomes) table",
            column=target,
            hint=did_you_mean(target, frame.columns) or "Set success.target in icp.yaml",
        )
    keep = [c for c in frame.columns if c in features or c in (LABEL, *_KEYS)]
    info = {"level": "accounts", "description": described, "features": features}
    if left_out:
        info["left_out"] = left_out
    return frame[keep], info


def _labelled(
    frame: pd.DataFrame, success: Success, target_name: str | None = None
) -> tuple[pd.DataFrame, str]:
    """Label rows with icpkit.success (same words and expressions as `icp discover`)."""
    fn = optional("success", "success_label")
    if fn is None:
        if success.expression:
            raise ConfigError(
                "success expressions need icpkit.success", column="success.expression"
            )
        values = label_values(frame[success.target], success.positive)
        return frame.assign(**{LABEL: values}), f"{success.target} is {success.positive or 'yes'}"
    if success.expression:
        label = fn(frame, expression=success.expression)
        described = success.expression
    else:
        label = fn(
            frame,
            success.target,
            positive=success.positive,
            open_as_failure=success.open_as_failure,
            unit="accounts",
            name=target_name,
        )
        # read from the label, so a loss target says the value it treats as success
        described = label.words
    defined = np.asarray(label.defined, dtype=bool)
    out = frame[defined].assign(**{LABEL: np.asarray(label.y, dtype=bool)[defined]})
    dropped = int((~defined).sum())
    if dropped:
        described += f" ({dropped:,} rows with no known outcome left out)"
    return out, described


def _account_won(
    frame: pd.DataFrame, accounts: pd.DataFrame, deals: pd.DataFrame, open_as_failure: bool
) -> tuple[pd.DataFrame, str, str | None]:
    """Accounts labelled by their deals; one whose deals are all still open has no outcome
    yet, so it is left out (not counted as a failure) unless ``open_as_failure``."""
    won = _deal_won(deals)
    left, right = _join_key(deals, accounts)
    key = frame[right].astype(str)
    winners = set(deals.loc[won, left].dropna().astype(str))
    frame = frame.assign(**{LABEL: key.isin(winners)})
    described = "the account has at least one won deal"
    with_deals = set(deals[left].dropna().astype(str))
    closed = set(deals.loc[_deal_closed(deals, won), left].dropna().astype(str))
    only_open = key.isin(with_deals - closed)
    if not only_open.any() or open_as_failure:
        return frame, described, None
    left_out = _left_out(int(only_open.sum()), "account", " with only open deals")
    return frame[~only_open.to_numpy()], f"{described} ({left_out})", left_out


def _left_out(n: int, noun: str, which: str = "") -> str:
    """'2,089 open deals left out: their outcome is not known yet'."""
    return f"{counted(n, noun)}{which} left out: {'its' if n == 1 else 'their'} outcome is not known yet"


def _values(key: str, tables: dict[str, pa.Table | None]) -> pd.Series | None:
    """Money per account (indexed by ``key`` as text): ACV/ARR/LTV, else won deal amounts."""
    outcomes = _frame(tables.get("outcomes"))
    if key == "account_id" and outcomes is not None and "account_id" in outcomes:
        for col in ("acv", "arr", "ltv"):
            if col in outcomes:
                money = pd.to_numeric(outcomes[col], errors="coerce")
                by_id = pd.Series(money.to_numpy(), index=outcomes["account_id"].astype(str))
                return by_id.groupby(level=0).max()
    deals = _frame(tables.get("deals"))
    deal_key = {"account_id": "account_id", "name": "account_name"}[key]
    if deals is None or deal_key not in deals or "amount" not in deals:
        return None
    won = deals[_deal_won(deals)] if ("won" in deals or "stage" in deals) else deals
    amount = pd.to_numeric(won["amount"], errors="coerce")
    return amount.groupby(won[deal_key].astype(str)).sum()


def best_customers(
    frame: pd.DataFrame, tables: dict[str, pa.Table | None], n: int = 10
) -> list[dict[str, Any]]:
    """The successful accounts worth most (by ACV/ARR/LTV, else won deal amount)."""
    key = next((k for k in ("account_id", "name") if k in frame and frame[k].notna().any()), None)
    good = frame[frame[LABEL]]
    if good.empty or key is None:
        return []
    good = good.drop_duplicates(key)
    by_key = _values(key, tables)
    value = good[key].astype(str).map(by_key) if by_key is not None else pd.Series(np.nan)
    good = good.assign(_value=pd.to_numeric(value, errors="coerce")).sort_values(
        "_value", ascending=False, na_position="last"
    )
    cols = [c for c in ("account_id", "name", "industry", "employees", "country") if c in good]
    out = []
    for _, r in good.head(n).iterrows():
        item = {c: (None if pd.isna(r[c]) else r[c]) for c in cols}
        item["value"] = None if pd.isna(r["_value"]) else float(r["_value"])
        out.append(item)
    return out
