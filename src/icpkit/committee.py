"""The buying committee: who is involved when deals are won, and who is missing today.

Titles are normalised to a role (department) and a seniority with
:func:`icpkit.intake.normalizers.parse_title`. A deal's committee is the contacts on
its contact roles (Salesforce OpportunityContactRole); without contact roles, the
contacts of the deal's account stand in (``summary["committee_basis"]`` says which).

For each deal role (Economic Buyer, ...), role, seniority and persona (role ·
seniority): the share of won and of lost deals whose committee includes it, and the
lift (won share / lost share, each smoothed by adding half a deal so that a role never
seen in a lost deal still gets a finite lift). Committee size is compared between won and lost deals.

For each open account in the ICP (tier A/B under the profile, with an open deal or not
yet a customer), :func:`committee_gaps` lists the personas typical of won committees
that its contacts lack, and recommends 3-10 contacts to add, by persona.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from .drift import won_flags
from .errors import SchemaError
from .profile import Profile
from .quality import plain, read_frame
from .scoring import score_table, to_arrow

__all__ = ["CommitteeResult", "buying_committee", "committee_gaps", "contact_personas"]

MIN_RECOMMEND = 3
MAX_RECOMMEND = 10
# A persona is "typical" of won committees when this share of won deals has one.
TYPICAL_SHARE = 0.25
DIMENSIONS = ("deal_role", "role", "seniority", "persona")


class CommitteeResult(NamedTuple):
    table: pd.DataFrame
    summary: dict[str, Any]


def contact_personas(contacts: pd.DataFrame) -> pd.DataFrame:
    """Contacts with ``role``, ``seniority`` and ``persona`` ('Finance · C-level')."""
    out = contacts.copy()
    if "role" not in out.columns or "seniority" not in out.columns:
        if "title" not in out.columns:
            raise SchemaError(
                "the contacts need a job title (or role and seniority columns)",
                column="title",
                hint="Map the job title column with intake",
            )
        from .intake.normalizers import parse_title

        titles = out["title"].astype("string")
        parsed = {t: parse_title(str(t)) for t in titles.dropna().unique()}
        out["role"] = titles.map(lambda t: parsed.get(t, (None, None))[0] if pd.notna(t) else None)
        out["seniority"] = titles.map(
            lambda t: parsed.get(t, (None, None))[1] if pd.notna(t) else None
        )
    role = out["role"].astype("string").fillna("Unknown")
    seniority = out["seniority"].astype("string").fillna("Unknown")
    out["role"], out["seniority"] = role, seniority
    out["persona"] = role + " · " + seniority
    return out


def _outcomes(deals: pd.DataFrame) -> pd.Series:
    """'won', 'lost' or 'open' per deal."""
    won = won_flags(deals)
    if won is None:
        raise SchemaError("the deals need a won flag or a stage column", column="stage")
    stage = deals["stage"].astype("string").str.lower() if "stage" in deals.columns else None
    if "is_closed" in deals.columns:
        closed = deals["is_closed"].astype("string").str.lower().isin(["true", "1", "yes"])
    elif stage is not None:
        closed = stage.str.contains("closed|lost|won", regex=True).fillna(False)
    else:
        closed = pd.Series(True, index=deals.index)  # a won flag alone: every deal is decided
    out = np.where(
        won.to_numpy(dtype=bool), "won", np.where(closed.to_numpy(dtype=bool), "lost", "open")
    )
    return pd.Series(out, index=deals.index)


def _members(
    contacts: pd.DataFrame, deals: pd.DataFrame, roles: pd.DataFrame | None
) -> tuple[pd.DataFrame, str]:
    """One row per (deal, contact) on a committee, with the contact's persona and deal role."""
    people = (
        contacts.drop_duplicates("contact_id") if "contact_id" in contacts.columns else contacts
    )
    if roles is not None:
        for col in ("deal_id", "contact_id"):
            if col not in roles.columns:
                raise SchemaError("the contact roles need this column", column=col)
        keep = [c for c in ("deal_id", "contact_id", "deal_role") if c in roles.columns]
        m = (
            roles[keep]
            .astype({"deal_id": str, "contact_id": str})
            .merge(
                people.astype({"contact_id": str}).drop(
                    columns=["deal_role", "deal_id"], errors="ignore"
                ),
                on="contact_id",
                how="left",
            )
        )
        return m, "contact roles on deals"
    if "deal_id" in contacts.columns and contacts["deal_id"].notna().any():
        return contacts.dropna(subset=["deal_id"]).astype({"deal_id": str}), "contacts' deal ids"
    if "account_id" not in contacts.columns or "account_id" not in deals.columns:
        raise SchemaError(
            "cannot tie contacts to deals: no contact roles, deal_id or account_id",
            column="account_id",
        )
    m = (
        deals[["deal_id", "account_id"]]
        .astype(str)
        .merge(contacts.astype({"account_id": str}), on="account_id")
    )
    return m, "all contacts of the deal's account (no contact roles given)"


def _presence(members: pd.DataFrame, outcome: pd.Series) -> pd.DataFrame:
    """Share of won and lost deals whose committee includes each value, with lift."""
    n_won, n_lost = int((outcome == "won").sum()), int((outcome == "lost").sum())
    rows = []
    for dim in DIMENSIONS:
        if dim not in members.columns:
            continue
        pairs = members[["deal_id", dim]].dropna().drop_duplicates()
        pairs = pairs.assign(outcome=pairs["deal_id"].map(outcome))
        counts = pairs.groupby([dim, "outcome"]).size().unstack(fill_value=0)
        for value, r in counts.iterrows():
            won = r.get("won", 0) / n_won if n_won else np.nan
            lost = r.get("lost", 0) / n_lost if n_lost else np.nan
            # Smoothed (add one half) so a role never seen in lost deals gets a finite lift.
            lift = ((r.get("won", 0) + 0.5) / (n_won + 1)) / (
                (r.get("lost", 0) + 0.5) / (n_lost + 1)
            )
            rows.append(
                {
                    "dimension": dim,
                    "value": str(value),
                    "won_deals": int(r.get("won", 0)),
                    "lost_deals": int(r.get("lost", 0)),
                    "won_share": round(won, 4),
                    "lost_share": round(lost, 4),
                    "lift": round(lift, 3),
                }
            )
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    order = {d: i for i, d in enumerate(DIMENSIONS)}
    return table.sort_values(
        ["dimension", "won_share"], key=lambda s: s.map(order) if s.name == "dimension" else -s
    ).reset_index(drop=True)


def _sizes(members: pd.DataFrame, outcome: pd.Series) -> dict[str, Any]:
    size = (
        members.groupby("deal_id")["contact_id"].nunique()
        if "contact_id" in members.columns
        else members.groupby("deal_id").size()
    )
    out: dict[str, Any] = {}
    for kind in ("won", "lost"):
        ids = outcome.index[outcome == kind]
        s = size.reindex(ids).dropna()
        out[kind] = {
            "deals": len(ids),
            "deals_with_committee": len(s),
            "mean_size": None if s.empty else round(float(s.mean()), 2),
            "median_size": None if s.empty else float(s.median()),
        }
    return out


def _typical(presence: pd.DataFrame) -> pd.DataFrame:
    """Personas of won committees, best first: typical ones (common and lifting) lead."""
    p = presence[(presence["dimension"] == "persona") & (presence["won_deals"] > 0)].copy()
    lift = p["lift"].astype(float).replace(np.inf, 10.0).fillna(1.0)
    p["typical"] = (p["won_share"] >= TYPICAL_SHARE) & (lift > 1.0)
    p["rank_key"] = np.where(p["typical"], 1.0, 0.0) * 100 + p["won_share"] * lift.clip(upper=10)
    return p.sort_values(["rank_key", "value"], ascending=[False, True]).reset_index(drop=True)


def _load(
    contacts: Any, deals: Any, roles: Any
) -> tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame | None]:
    c = contact_personas(read_frame(contacts, "contacts"))
    d = read_frame(deals, "deals") if deals is not None else None
    r = read_frame(roles, "contact_roles") if roles is not None else None
    if d is not None:
        for col in ("deal_id",):
            if col not in d.columns:
                raise SchemaError("the deals need this column", column=col)
        d = d.assign(deal_id=d["deal_id"].astype(str))
    return c, d, r


def _mix_only(c: pd.DataFrame, mix: dict[str, Any]) -> CommitteeResult:
    """Without deals: the role and seniority mix of the contacts (e.g. a contact list)."""
    table = (
        c.groupby(["role", "seniority"])
        .size()
        .rename("contacts")
        .reset_index()
        .sort_values(["contacts", "role", "seniority"], ascending=[False, True, True])
        .reset_index(drop=True)
    )
    table["share"] = (table["contacts"] / len(c)).round(4)
    summary = {
        "contacts": len(c),
        "contact_mix": mix,
        "committee_basis": None,
        "note": "give deals (and contact roles) to compare won and lost committees",
    }
    return CommitteeResult(table, plain(summary))


def buying_committee(
    contacts: Any,
    deals: Any = None,
    *,
    roles: Any = None,
    accounts: Any = None,
    profile: Profile | None = None,
) -> CommitteeResult:
    """Roles in won versus lost deals (table, with lift), committee sizes and gaps (summary)."""
    c, d, r = _load(contacts, deals, roles)
    mix = {
        "role": c["role"].value_counts().to_dict(),
        "seniority": c["seniority"].value_counts().to_dict(),
    }
    if d is None:
        return _mix_only(c, mix)
    outcome = pd.Series(_outcomes(d).to_numpy(), index=d["deal_id"])
    outcome = outcome[~outcome.index.duplicated()]
    members, basis = _members(c, d, r)
    presence = _presence(members, outcome)
    sizes = _sizes(members, outcome)
    typical = _typical(presence) if not presence.empty else pd.DataFrame()
    top_roles = (
        presence[presence["dimension"] == "deal_role"].sort_values("lift", ascending=False)
        if not presence.empty
        else presence
    )
    summary: dict[str, Any] = {
        "contacts": len(c),
        "contact_mix": mix,
        "committee_basis": basis,
        "deals": {k: int((outcome == k).sum()) for k in ("won", "lost", "open")},
        "committee_size": sizes,
        "size_difference": None
        if sizes["won"]["mean_size"] is None or sizes["lost"]["mean_size"] is None
        else round(sizes["won"]["mean_size"] - sizes["lost"]["mean_size"], 2),
        "deal_roles_by_lift": [
            {"role": x.value, "won_share": x.won_share, "lost_share": x.lost_share, "lift": x.lift}
            for x in top_roles.itertuples()
        ],
        "typical_personas": [str(v) for v in typical.loc[typical["typical"], "value"]]
        if not typical.empty
        else [],
    }
    if accounts is not None or profile is not None:
        _, gap_summary = committee_gaps(c, d, roles=r, accounts=accounts, profile=profile)
        summary["gaps"] = gap_summary
    return CommitteeResult(presence, plain(summary))


def _candidates(
    d: pd.DataFrame, outcome: pd.Series, accounts: Any, profile: Profile | None
) -> pd.DataFrame:
    """Open accounts in the ICP: account_id, name, tier."""
    if "account_id" not in d.columns:
        raise SchemaError("the deals need account_id to find open accounts", column="account_id")
    acc_of = d.assign(
        outcome=outcome.reindex(d["deal_id"]).to_numpy(), account_id=d["account_id"].astype(str)
    )
    won = set(acc_of.loc[acc_of["outcome"] == "won", "account_id"])
    open_ = set(acc_of.loc[acc_of["outcome"] == "open", "account_id"])
    if accounts is None or profile is None:
        ids = sorted(open_ - won)
        return pd.DataFrame({"account_id": ids, "name": None, "tier": None})
    acc = read_frame(accounts, "accounts")
    if "account_id" not in acc.columns:
        raise SchemaError("the accounts need account_id", column="account_id")
    if "icp_tier" in acc.columns:  # already scored (e.g. by `icp run`)
        tiers = acc["icp_tier"].astype("string").to_numpy()
    else:
        tiers = (
            score_table(profile, to_arrow(acc)).column("icp_tier").to_numpy(zero_copy_only=False)
        )
    out = pd.DataFrame(
        {
            "account_id": acc["account_id"].astype(str).to_numpy(),
            "name": acc["name"].to_numpy() if "name" in acc.columns else None,
            "tier": tiers,
        }
    )
    return out[out["tier"].isin(["A", "B"]) & ~out["account_id"].isin(won)].reset_index(drop=True)


class _Need(NamedTuple):
    deal_role: str | None
    personas: list[str]  # who fills it in won deals, most common first (>= 10% each)
    won_share: float
    lift: float


def _needs(members: pd.DataFrame, outcome: pd.Series, presence: pd.DataFrame) -> list[_Need]:
    """What won committees have, best first: deal roles by lift with the personas filling them.

    Without deal roles, the personas typical of won committees stand in.
    """
    roles = presence[presence["dimension"] == "deal_role"]
    if roles.empty:
        typical = _typical(presence)
        keep = typical[typical["typical"]] if typical["typical"].any() else typical.head(5)
        return [
            _Need(None, [str(r["value"])], float(r["won_share"]), float(r["lift"]))
            for r in keep.to_dict("records")
        ]
    won = members[members["deal_id"].map(outcome) == "won"]
    needs = []
    ordered = roles.sort_values(["lift", "value"], ascending=[False, True]).to_dict("records")
    for r in ordered:
        shares = won.loc[won["deal_role"] == r["value"], "persona"].value_counts(normalize=True)
        fillers = [str(p) for p, x in shares.items() if x >= 0.10] or [
            str(p) for p in shares.index[:1]
        ]
        if fillers:
            needs.append(_Need(str(r["value"]), fillers, float(r["won_share"]), float(r["lift"])))
    return needs


def _recommend(have: set[str], needs: list[_Need], target: int) -> list[tuple[_Need, str, bool]]:
    """(need, persona, gap) picks: uncovered deal roles first (by lift), then backups."""
    covered = [bool(have & set(n.personas)) for n in needs]
    picks = [
        (n, n.personas[0], True)
        for n, cov in zip(needs, covered, strict=True)
        if not cov and n.lift > 1
    ]
    n_target = max(MIN_RECOMMEND, min(MAX_RECOMMEND, target - sum(covered)))
    chosen = {p for _, p, _ in picks}
    for depth in range(3):  # then the next persona of each role, strongest roles first
        for need in needs:
            if len(picks) >= n_target:
                return picks
            if depth < len(need.personas) and need.personas[depth] not in have | chosen:
                picks.append((need, need.personas[depth], False))
                chosen.add(need.personas[depth])
    return picks[:n_target]


def _reason(need: _Need, persona: str) -> str:
    what = need.deal_role or persona
    return f"{what}: in {need.won_share:.0%} of won deals (lift {need.lift:.1f}); usually {need.personas[0]}"


def _recommendations(
    contacts: pd.DataFrame, cand: pd.DataFrame, needs: list[_Need], target: int
) -> pd.DataFrame:
    """One row per recommended contact: account, rank, deal role, persona and why."""
    have = (
        contacts.assign(account_id=contacts["account_id"].astype(str))
        .groupby("account_id")["persona"]
        .agg(set)
        if "account_id" in contacts.columns
        else pd.Series(dtype=object)
    )
    rows = []
    for acc in cand.itertuples():
        picks = _recommend(set(have.get(acc.account_id, ())), needs, target)
        for rank, (need, persona, gap) in enumerate(picks, start=1):
            role, _, seniority = persona.partition(" · ")
            rows.append(
                {
                    "account_id": acc.account_id,
                    "name": acc.name,
                    "tier": acc.tier,
                    "rank": rank,
                    "deal_role": need.deal_role,
                    "persona": persona,
                    "role": role,
                    "seniority": seniority,
                    "gap": gap,
                    "reason": _reason(need, persona),
                }
            )
    return pd.DataFrame(rows)


def committee_gaps(
    contacts: Any,
    deals: Any,
    *,
    roles: Any = None,
    accounts: Any = None,
    profile: Profile | None = None,
) -> CommitteeResult:
    """For each open ICP account: who to add (3-10 contacts, by persona), most needed first.

    What won committees have is learned from the deals: each deal role (by lift) and the
    personas that fill it in won deals. An account covers a deal role when one of its
    contacts has one of those personas. Open ICP accounts are tier A/B accounts without a
    won deal when ``accounts`` and ``profile`` are given; otherwise accounts with an open deal.
    """
    c, d, r = _load(contacts, deals, roles)
    if d is None:
        raise SchemaError(
            "committee gaps need deals (to learn what won committees look like)", column="deal_id"
        )
    outcome = pd.Series(_outcomes(d).to_numpy(), index=d["deal_id"])
    outcome = outcome[~outcome.index.duplicated()]
    members, _ = _members(c, d, r)
    presence = _presence(members, outcome)
    needs = _needs(members, outcome, presence) if not presence.empty else []
    if not needs:
        return CommitteeResult(
            pd.DataFrame(), {"accounts": 0, "note": "no committees on won deals"}
        )
    target = round(float(_sizes(members, outcome)["won"]["median_size"] or MIN_RECOMMEND))
    cand = _candidates(d, outcome, accounts, profile)
    table = _recommendations(c, cand, needs, target)
    gaps = table[table["gap"]] if len(table) else table
    summary = {
        "accounts": len(cand),
        "needs": [n._asdict() for n in needs],
        "target_committee_size": target,
        "contacts_to_add": len(table),
        "accounts_with_gaps": int(gaps["account_id"].nunique()) if len(gaps) else 0,
        "most_missing": gaps["deal_role"].fillna(gaps["persona"]).value_counts().head(5).to_dict()
        if len(gaps)
        else {},
    }
    return CommitteeResult(table, plain(summary))
