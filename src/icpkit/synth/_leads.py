"""Leads: people who came in through a channel, with funnel stage dates driven by fit.

Most leads belong to CRM accounts; the rest come from market companies not in the CRM.
The first lead of every won account walks the whole funnel (MQL → SQL → opportunity →
won); other leads move on with probabilities that rise with the account's planted fit, so
conversion by fit tier is a real, recoverable signal.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._latent import REFERENCE_DATE
from ._render import table
from ._tables import FIRST_NAMES, LAST_NAMES, LEAD_SOURCES, ROLE_TITLES

__all__ = ["SOURCE_P", "make_leads"]

_DAY = np.timedelta64(1, "D")
_ALL_TITLES = np.array([t for titles in ROLE_TITLES.values() for t in titles], dtype=object)


def _only(keep: np.ndarray, values: np.ndarray) -> np.ndarray:
    out = np.array(values, dtype=object)
    out[~keep] = None
    return out


def _funnel(
    rng: np.random.Generator,
    row: np.ndarray,
    full: np.ndarray,
    fit: np.ndarray,
    is_account: np.ndarray,
    won_deal: tuple[np.ndarray, np.ndarray],
) -> dict[str, np.ndarray]:
    """Stage flags and dates: each stage is reached with a probability rising with fit."""
    n = len(row)
    # Leave room for the stage gaps (< 135 days) so that nothing lands after "today".
    created = REFERENCE_DATE - rng.integers(140, 6 * 365, n) * _DAY
    mql = full | (rng.random(n) < 0.35 + 0.5 * fit)
    sql = full | (mql & (rng.random(n) < 0.25 + 0.6 * fit))
    opp = full | (sql & is_account[row] & (rng.random(n) < 0.3 + 0.6 * fit))
    gaps = rng.integers(1, 45, (4, n)) * _DAY
    nat = np.datetime64("NaT")
    mql_d = np.where(mql, created + gaps[0], nat)
    sql_d = np.where(sql, mql_d + gaps[1], nat)
    opp_d = np.where(opp, sql_d + gaps[2], nat)
    won_d = np.full(n, nat, dtype=opp_d.dtype)
    # The converting lead walks the funnel backwards from the account's real winning deal.
    opp_d[full] = won_deal[0][row[full]]
    won_d[full] = won_deal[1][row[full]]
    sql_d[full] = opp_d[full] - gaps[2][full]
    mql_d[full] = sql_d[full] - gaps[1][full]
    created[full] = mql_d[full] - gaps[0][full]
    status = np.select(
        [full, opp | sql, mql],
        ["Closed - Converted", "Working - Contacted", "Open - Not Contacted"],
        "Closed - Not Converted",
    )
    return {
        "status": status.astype(object),
        "created": created,
        "mql_date": mql_d,
        "sql_date": sql_d,
        "opportunity_date": opp_d,
        "won_date": won_d,
    }


# Lead sources: good-fit companies come more through referrals and events.
SOURCE_P = {
    "low": (0.34, 0.10, 0.06, 0.16, 0.10, 0.08, 0.10, 0.06),
    "high": (0.18, 0.06, 0.24, 0.04, 0.06, 0.16, 0.12, 0.14),
}


def make_leads(
    rng: np.random.Generator,
    companies: pd.DataFrame,
    fit: np.ndarray,
    is_account: np.ndarray,
    won_deal: tuple[np.ndarray, np.ndarray],
    per_company: float = 1.5,
) -> pd.DataFrame:
    """Clean leads; ``companies`` rows carry name/domain/firmographics and an ``account_id``
    (None for market companies), ``fit`` the planted win probability per company, and
    ``won_deal`` the (created, closed) dates of each company's winning deal (NaT if none)."""
    won = ~np.isnat(won_deal[1])
    count = rng.poisson(per_company, len(companies))
    count[won & (count == 0)] = 1  # every customer came in through at least one lead
    row = np.repeat(np.arange(len(companies)), count)
    first = np.r_[True, row[1:] != row[:-1]] if len(row) else np.zeros(0, dtype=bool)
    n = len(row)
    full = first & won[row]
    stages = _funnel(rng, row, full, fit[row], is_account, won_deal)
    high = rng.random(n) < 1.5 * fit[row]
    source = np.where(
        high,
        rng.choice(len(LEAD_SOURCES), n, p=SOURCE_P["high"]),
        rng.choice(len(LEAD_SOURCES), n, p=SOURCE_P["low"]),
    )
    return table(
        {
            "lead_id": pd.Series(np.arange(n) + 1).astype(str).str.zfill(12).radd("00Q").to_numpy(),
            "row": row,
            "account_id": companies["account_id"].to_numpy()[row],
            "converted_account_id": _only(full, companies["account_id"].to_numpy()[row]),
            "first_name": np.array(FIRST_NAMES, dtype=object)[rng.integers(0, len(FIRST_NAMES), n)],
            "last_name": np.array(LAST_NAMES, dtype=object)[rng.integers(0, len(LAST_NAMES), n)],
            "title": _ALL_TITLES[rng.integers(0, len(_ALL_TITLES), n)],
            "source": np.array(LEAD_SOURCES, dtype=object)[source],
            **stages,
        }
    )
