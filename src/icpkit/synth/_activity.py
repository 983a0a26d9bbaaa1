"""What happened with each account: deals, customer outcomes, contacts and buying committees.

All tables are built with array operations over accounts (np.repeat + per-group ordinals),
never a Python loop per row, so 100k accounts stay a matter of seconds.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._latent import REFERENCE_DATE
from ._planted import Assignment
from ._render import id_text, table
from ._tables import FIRST_NAMES, LAST_NAMES, OPEN_STAGES, ROLE_TITLES, ROLES

__all__ = ["COMMITTEE", "Activity", "Committee", "make_activity"]

_DAY = np.timedelta64(1, "D")
# HubSpot-like numeric record ids: deal i is _DEAL_ID0 + i * _ID_STEP, contact j likewise.
_DEAL_ID0, _CONTACT_ID0, _ID_STEP = 8_000_000_011, 50_000_003, 37


# Planted buying committee: won deals have ~5.7 people (3 + Poisson(2.7)), others ~2.8, and
# economic buyers and executive sponsors show up far more often in won deals.
@dataclass(frozen=True)
class Committee:
    won_size: tuple[int, float]  # minimum + Poisson mean
    other_size: tuple[int, float]
    won_role_p: dict[str, float]
    other_role_p: dict[str, float]
    planted_roles: tuple[str, ...]


COMMITTEE = Committee(
    won_size=(3, 2.7),
    other_size=(1, 1.8),
    won_role_p=dict(zip(ROLES, (0.20, 0.14, 0.18, 0.16, 0.18, 0.14), strict=True)),
    other_role_p=dict(zip(ROLES, (0.05, 0.03, 0.12, 0.22, 0.30, 0.28), strict=True)),
    planted_roles=("Economic Buyer", "Executive Sponsor"),
)


@dataclass
class Activity:
    deals: pd.DataFrame  # clean: deal_id, account_id, created, closed, stage, won, amount, ...
    outcomes: pd.DataFrame  # clean, customers only
    contacts: pd.DataFrame  # clean: contact_id, account_id, first_name, last_name, email, title
    roles: pd.DataFrame  # clean: deal_id, deal_row (index into deals), contact_id, deal_role, ...


def _ordinal(group_sizes: np.ndarray) -> np.ndarray:
    """0..k-1 within each consecutive group of the given sizes."""
    total = int(group_sizes.sum())
    starts = np.repeat(np.cumsum(group_sizes) - group_sizes, group_sizes)
    return np.arange(total) - starts


def _deals(
    rng: np.random.Generator, acc: pd.DataFrame, plan: Assignment, won: np.ndarray
) -> pd.DataFrame:
    n = len(acc)
    emp = acc["employees"].to_numpy(dtype=float)
    icp = plan.segment != None  # noqa: E711  (element-wise on an object array)
    created_acc = acc["created"].to_numpy(dtype="datetime64[D]")
    cycle = np.round(np.exp(rng.normal(np.log(45) + 0.15 * (np.log(emp) - 4) - 0.25 * icp, 0.4)))
    start = created_acc + rng.integers(5, 300, n) * _DAY
    close = start + cycle.astype(int) * _DAY
    late = close > REFERENCE_DATE - 7 * _DAY
    shift = np.where(late, (close - REFERENCE_DATE) // _DAY + rng.integers(7, 120, n), 0)
    start, close = start - shift * _DAY, close - shift * _DAY
    acv = np.round(
        np.exp(0.5 * np.log(emp) + rng.normal(np.log(1500), 0.5, n)) * (1 + 0.3 * icp), -2
    )
    open_ = ~won & (rng.random(n) < 0.2)
    stage = np.where(won, "Closed Won", "Closed Lost").astype(object)
    stage[open_] = np.array(OPEN_STAGES, dtype=object)[
        rng.integers(0, len(OPEN_STAGES), open_.sum())
    ]
    close = np.where(open_, REFERENCE_DATE + rng.integers(10, 120, n) * _DAY, close)
    primary = table(
        {"row": np.arange(n), "created": start, "closed": close, "stage": stage, "amount": acv,
         "deal_type": "New Business", "cycle": cycle}
    )  # fmt: skip
    # Some accounts lost a deal before (or instead of) the current one.
    prior = np.flatnonzero(rng.random(n) < 0.25)
    back = rng.integers(120, 700, len(prior)) * _DAY
    earlier = table(
        {"row": prior, "created": start[prior] - back, "closed": start[prior] - back + 40 * _DAY,
         "stage": "Closed Lost", "amount": np.round(acv[prior] * rng.uniform(0.6, 1.4, len(prior)), -2),
         "deal_type": "New Business", "cycle": 40.0}
    )  # fmt: skip
    return _finish(acc, [earlier, primary])


def _finish(acc: pd.DataFrame, parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Deals in account then date order, with ids and flags."""
    frame = pd.concat(parts, ignore_index=True).sort_values(["row", "created"], kind="stable")
    frame = frame.reset_index(drop=True).drop(columns=["account_id", "deal_id"], errors="ignore")
    frame["account_id"] = acc["account_id"].to_numpy()[frame["row"].to_numpy()]
    frame["deal_id"] = id_text(_DEAL_ID0 + np.arange(len(frame)) * _ID_STEP)
    frame["won"] = frame["stage"].eq("Closed Won")
    frame["is_closed"] = frame["stage"].isin(["Closed Won", "Closed Lost"])
    frame.loc[~frame["is_closed"], "cycle"] = np.nan
    return frame


def _expansions(
    rng: np.random.Generator, acc: pd.DataFrame, deals: pd.DataFrame, outcomes: pd.DataFrame
) -> pd.DataFrame:
    """Expanded customers bought more later: an 'Existing Business' deal, won."""
    exp = outcomes[outcomes["expanded"].to_numpy(dtype=bool)]
    m = len(exp)
    since = exp["customer_since"].to_numpy(dtype="datetime64[D]")
    room = (REFERENCE_DATE - since).astype(np.int64)
    created = since + (room * rng.uniform(0.2, 0.8, m)).astype(np.int64) * _DAY
    closed = np.minimum(created + rng.integers(14, 60, m) * _DAY, REFERENCE_DATE)
    more = table(
        {"row": exp["row"].to_numpy(), "created": created, "closed": closed, "stage": "Closed Won",
         "amount": np.round(exp["acv"].to_numpy(dtype=float) * rng.uniform(0.15, 0.6, m), -2),
         "deal_type": "Existing Business", "cycle": (closed - created).astype(np.int64).astype(float)}
    )  # fmt: skip
    return _finish(acc, [deals, more])


def _outcomes(
    rng: np.random.Generator, acc: pd.DataFrame, plan: Assignment, deals: pd.DataFrame
) -> pd.DataFrame:
    first_win = deals[deals["won"]].drop_duplicates("row")
    rows = first_win["row"].to_numpy()
    m = len(rows)
    since = first_win["closed"].to_numpy(dtype="datetime64[D]")
    tenure = (REFERENCE_DATE - since).astype(np.int64)  # days
    up_for_renewal = tenure >= 365
    churned = up_for_renewal & (rng.random(m) < plan.churn_p[rows])
    expanded = ~churned & (rng.random(m) < plan.expand_p[rows])
    acv = first_win["amount"].to_numpy(dtype=float)
    nrr = np.round(1 + expanded * rng.uniform(0.1, 0.6, m) - churned - rng.uniform(0, 0.05, m), 2)
    lifetime = 1 / np.maximum(plan.churn_p[rows], 0.05)
    icp = plan.segment[rows] != None  # noqa: E711
    renewed = pd.array(np.where(up_for_renewal, ~churned, False), dtype="boolean")
    renewed[~up_for_renewal] = pd.NA
    return table(
        {
            "row": rows,
            "account_id": acc["account_id"].to_numpy()[rows],
            "customer_since": since,
            "acv": acv,
            "renewed": renewed,
            "expanded": expanded,
            "churned": churned,
            "seats": np.maximum(1, np.round(acv / np.exp(rng.normal(np.log(600), 0.3, m)))).astype(
                int
            ),
            "nrr": np.maximum(nrr, 0.0),
            "ltv": np.round(acv * lifetime * 0.8 * rng.uniform(0.8, 1.2, m), -2),
            "cac": np.round(acv * np.exp(rng.normal(np.log(0.7) - 0.4 * icp, 0.35)), -2),
            "sales_cycle_days": first_win["cycle"].to_numpy().astype(int),
        }
    )


def _committees(rng: np.random.Generator, deals: pd.DataFrame) -> np.ndarray:
    won = deals["won"].to_numpy()
    (w0, wl), (o0, ol) = COMMITTEE.won_size, COMMITTEE.other_size
    return np.where(won, w0 + rng.poisson(wl, len(won)), o0 + rng.poisson(ol, len(won)))


def _roles(rng: np.random.Generator, won: np.ndarray) -> np.ndarray:
    """A role per committee seat, drawn from the won or the other distribution."""
    cum_w = np.cumsum(list(COMMITTEE.won_role_p.values()))
    cum_o = np.cumsum(list(COMMITTEE.other_role_p.values()))
    u = rng.random(len(won))
    idx = np.where(
        won, np.searchsorted(cum_w, u * cum_w[-1]), np.searchsorted(cum_o, u * cum_o[-1])
    )
    return np.array(ROLES, dtype=object)[np.minimum(idx, len(ROLES) - 1)]


def _people(
    rng: np.random.Generator, acc: pd.DataFrame, deals: pd.DataFrame, size: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Contacts per account (enough for its biggest committee) and the committee seats."""
    need = pd.Series(size).groupby(deals["row"].to_numpy()).max()
    per_acc = np.zeros(len(acc), dtype=int)
    per_acc[need.index.to_numpy()] = need.to_numpy()
    per_acc += rng.poisson(1.5, len(acc))
    per_acc = np.maximum(per_acc, 1)
    acc_row = np.repeat(np.arange(len(acc)), per_acc)
    first_contact = np.cumsum(per_acc) - per_acc
    k = len(acc_row)

    seat_deal = np.repeat(np.arange(len(deals)), size)
    seat = _ordinal(size)
    seat_contact = first_contact[deals["row"].to_numpy()[seat_deal]] + seat
    seat_won = deals["won"].to_numpy()[seat_deal]
    roles = table(
        {
            "deal_id": id_text(_DEAL_ID0 + seat_deal * _ID_STEP),
            "deal_row": seat_deal,
            "contact_id": id_text(_CONTACT_ID0 + seat_contact * _ID_STEP),
            "deal_role": _roles(rng, seat_won),
            "is_primary": seat == 0,
        }
    )

    # A contact's title fits the role they hold in their first committee; others get any title.
    first_role = pd.Series(roles["deal_role"].to_numpy(), index=seat_contact)
    first_role = first_role[~first_role.index.duplicated()]
    role = np.array(ROLES, dtype=object)[rng.integers(0, len(ROLES), k)]
    role[first_role.index.to_numpy()] = first_role.to_numpy()
    title = np.empty(k, dtype=object)
    for r, titles in ROLE_TITLES.items():
        rows = role == r
        title[rows] = np.array(titles, dtype=object)[rng.integers(0, len(titles), rows.sum())]
    f_idx, l_idx = rng.integers(0, len(FIRST_NAMES), k), rng.integers(0, len(LAST_NAMES), k)
    first, last = (
        np.array(FIRST_NAMES, dtype=object)[f_idx],
        np.array(LAST_NAMES, dtype=object)[l_idx],
    )
    email = _email_local(f_idx, l_idx) + "@" + acc["domain"].to_numpy()[acc_row]
    contacts = table(
        {
            "contact_id": id_text(_CONTACT_ID0 + np.arange(k) * _ID_STEP),
            "account_id": acc["account_id"].to_numpy()[acc_row],
            "first_name": first,
            "last_name": last,
            "email": email,
            "title": title,
            "role_hint": role,
            "last_activity": REFERENCE_DATE - rng.integers(0, 400, k) * _DAY,
            "last_verified": REFERENCE_DATE - rng.integers(0, 900, k) * _DAY,
        }
    )
    return contacts, roles


def _email_local(first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """'first.last' from name indices: lower-case ASCII letters, built once per name pair."""
    pairs = [f"{f}.{la}" for f in FIRST_NAMES for la in LAST_NAMES]
    ascii_ = [unicodedata.normalize("NFKD", u).encode("ascii", "ignore").decode() for u in pairs]
    clean = np.array([re.sub(r"[^a-z.]", "", u.lower()) for u in ascii_], dtype=object)
    return clean[first * len(LAST_NAMES) + last]


def make_activity(
    rng: np.random.Generator, acc: pd.DataFrame, plan: Assignment, won: np.ndarray
) -> Activity:
    deals = _deals(rng, acc, plan, won)
    outcomes = _outcomes(rng, acc, plan, deals)
    deals = _expansions(rng, acc, deals, outcomes)
    size = _committees(rng, deals)
    deals["committee_size"] = size
    contacts, roles = _people(rng, acc, deals, size)
    return Activity(deals, outcomes, contacts, roles)
