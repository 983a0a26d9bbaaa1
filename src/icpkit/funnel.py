"""The funnel by fit tier: how much of the pipeline is ICP, and where effort goes to waste.

Every lead gets a tier (from an ``icp_tier`` column, by scoring the lead with the
profile, or through its account), and reaches a stage of the funnel::

    lead -> MQL -> SQL -> opportunity -> won

read from stage dates (``mql_date``, ``sql_date``, ``opportunity_date``, ``won_date``: a
later date implies the earlier stages) or, when there are none, from a status column
("MQL", "Sales Qualified", "Closed Won", ...), or, when there is neither, from a won or
converted flag alone (lead -> won: the stages between are not known, and not shown).
Per tier: counts reaching each stage, stage-to-stage conversion, win rate
(won / opportunities), median cycle time
(created → won) and mean ACV of won leads; the same by segment and by channel × tier;
and flags where the funnel spends effort on non-ICP (tier C/D) leads.
"""

from __future__ import annotations

import os
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from .drift import success_flags, won_flags
from .errors import SchemaError
from .gaps import score_gaps
from .profile import Profile
from .quality import normalize_domain, normalize_name, plain, read_frame
from .scoring import score_table, to_arrow

__all__ = ["STAGES", "FunnelResult", "funnel_by_tier", "lead_stages", "lead_tiers"]

STAGES = ("lead", "mql", "sql", "opportunity", "won")
TIERS = ("A", "B", "C", "D")
UNMATCHED = "unmatched"  # a lead whose account is not in the accounts table: shown, not dropped
_DATE_COLUMNS = {
    "mql": "mql_date",
    "sql": "sql_date",
    "opportunity": "opportunity_date",
    "won": "won_date",
}
# Status words -> the stage they prove was reached (checked in this order, first hit wins).
_STATUS_WORDS = (
    ("won", ("closed won", "won", "customer", "closedwon")),
    ("opportunity", ("opportunit", "proposal", "negotiat", "closed lost", "lost", "converted")),
    ("sql", ("sql", "sales qualified", "sales accepted", "sal")),
    ("mql", ("mql", "marketing qualified", "qualified", "working", "engag", "nurtur")),
)
_PLURAL = {"lead": "leads", "mql": "MQLs", "sql": "SQLs", "opportunity": "opportunities"}
# Effort on tier C/D above this share of a stage is worth a flag.
WASTE_SHARE = 0.30
MIN_FLAG_LEADS = 20
WORSE = 0.8  # C/D leads must end won at under 80% of the A/B rate to be called waste


class FunnelResult(NamedTuple):
    table: pd.DataFrame
    summary: dict[str, Any]


def _status_stage(status: pd.Series) -> pd.Series:
    text = status.astype("string").str.strip().str.lower().fillna("")
    out = pd.Series(0, index=status.index, dtype="int64")
    for stage, words in reversed(_STATUS_WORDS):
        hit = pd.Series(False, index=status.index)
        for w in words:
            pattern = rf"\b{w}" if len(w) <= 3 else w
            hit |= text.str.contains(pattern, regex=True)
        out = out.where(~hit.to_numpy(dtype=bool), STAGES.index(stage))
    # "unqualified", "not converted" contain stage words but prove nothing beyond the lead.
    nothing = text.str.contains(r"\b(?:un|dis)qualified|not converted", regex=True)
    out = out.where(~nothing.to_numpy(dtype=bool), 0)
    return out


# Columns that say whether a lead was won, when nothing says how far it got on the way.
_WON_FLAGS = ("won", "is_won", "IsWon", "converted", "is_converted", "is_customer")


def _won_flag(leads: pd.DataFrame, profile: Profile | None) -> tuple[pd.Series, str] | None:
    """Won per lead from the profile's success column or a won/converted flag, and its name."""
    success = profile.success if profile is not None else None
    target = success.target if success is not None else None
    for col in (target, *_WON_FLAGS):
        if col and col in leads.columns:
            positive = success.positive if success is not None and col == target else None
            flags = success_flags(leads[col], positive)
            if flags.notna().any():
                return flags.fillna(False).astype(bool), col
    return None


def lead_stages(leads: pd.DataFrame, profile: Profile | None = None) -> tuple[pd.Series, str]:
    """The furthest stage index (0 = lead ... 4 = won) each lead reached, and the evidence used.

    With neither stage dates nor a status, a won or converted flag (the profile's success
    column first) says lead or won.
    """
    dated = {s: c for s, c in _DATE_COLUMNS.items() if c in leads.columns}
    if dated:
        reached = np.zeros(len(leads), dtype=np.int64)
        for stage, col in dated.items():
            present = leads[col].notna() & (leads[col].astype("string").str.strip() != "")
            hit = present.fillna(False).to_numpy(dtype=bool)
            reached[hit] = np.maximum(reached[hit], STAGES.index(stage))
        if "won" in leads.columns and "won_date" not in dated:
            won = leads["won"].astype("string").str.lower().isin(["true", "1", "yes"]).fillna(False)
            reached[won.to_numpy(dtype=bool)] = STAGES.index("won")
        words = ", ".join(s.upper() if s in ("mql", "sql") else s for s in dated)
        return pd.Series(reached, index=leads.index), f"the stage dates ({words})"
    for col in ("status", "stage", "deal_stage", "lead_status", "lifecycle_stage"):
        if col in leads.columns:
            return _status_stage(leads[col]), f"the {col.replace('_', ' ')} column"
    found = _won_flag(leads, profile)
    if found is not None:
        won, col = found
        won_stage = np.where(won.to_numpy(), STAGES.index("won"), 0)
        return pd.Series(won_stage, index=leads.index), f"the {col} column alone{_WON_ONLY}"
    raise SchemaError(
        "the leads do not say how far each one got: no lead status or stage, no stage dates "
        "(MQL, SQL, opportunity, won) and no won or converted column",
        hint="Export the leads with their lead status (or lifecycle stage), or with a column "
        "that says whether each lead converted",
    )


# Stages only a status or stage dates can show: a won flag alone says nothing of them.
_BETWEEN = ("mql", "sql", "opportunity")
_WON_ONLY = " (lead to won only: no lead status or stage dates)"


def lead_tiers(
    leads: pd.DataFrame,
    profile: Profile | None,
    accounts: Any = None,
    gaps: list[dict[str, Any]] | None = None,
) -> pd.DataFrame:
    """``icp_tier`` and ``icp_segment`` per lead: given, scored on the lead, or via its account.

    A profile column the scored table lacks scores as missing; each such column is added to
    ``gaps`` (see :mod:`icpkit.gaps`) for the caller to warn about.
    """
    found = gaps if gaps is not None else []
    if "icp_tier" in leads.columns:
        seg = (
            leads["icp_segment"]
            if "icp_segment" in leads.columns
            else pd.Series(None, index=leads.index)
        )
        return pd.DataFrame({"icp_tier": leads["icp_tier"], "icp_segment": seg}, index=leads.index)
    if profile is None:
        raise SchemaError(
            "the leads have no fit tier (icp_tier) and no profile was given",
            hint="Give --profile P.yaml to tier them, or score them first with `icp score`",
        )
    missing = [c for c in profile.columns if c not in leads.columns]
    if missing and accounts is not None:
        return _tiers_via_accounts(leads, profile, read_frame(accounts, "accounts"), found)
    if len(missing) == len(profile.columns):
        raise SchemaError(
            "the leads have none of the columns the profile reads",
            column=missing[0],
            hint="Give the accounts so leads take their account's tier (by id, domain or name)",
        )
    table, lacked = score_gaps(profile, to_arrow(leads), "the leads table")
    found += lacked
    return score_table(profile, table).to_pandas().set_index(leads.index)


def _tiers_via_accounts(
    leads: pd.DataFrame, profile: Profile, acc: pd.DataFrame, gaps: list[dict[str, Any]]
) -> pd.DataFrame:
    """Each lead takes its account's tier: matched by account_id, else domain, else name."""
    table, lacked = score_gaps(profile, to_arrow(acc), "the accounts table")
    gaps += lacked
    scored = score_table(profile, table).to_pandas()
    tier = pd.Series(pd.NA, index=leads.index, dtype="string")
    segment = pd.Series(pd.NA, index=leads.index, dtype="string")
    keys = (
        ("account_id", "account_id", lambda s: s.astype("string")),
        ("domain", "domain", normalize_domain),
        ("company", "name", normalize_name),
    )
    for lead_col, acc_col, norm in keys:
        if lead_col not in leads.columns or acc_col not in acc.columns:
            continue
        acc_key = norm(acc[acc_col]).to_numpy()
        lookup = pd.DataFrame(
            {"t": scored["icp_tier"].to_numpy(), "s": scored["icp_segment"].to_numpy()},
            index=acc_key,
        )
        lookup = lookup[lookup.index.notna() & ~lookup.index.duplicated()]
        todo = tier.isna()
        lead_key = norm(leads.loc[todo, lead_col])
        tier[todo] = lead_key.map(lookup["t"]).astype("string")
        segment[todo] = lead_key.map(lookup["s"]).astype("string")
    unmatched = tier.isna()
    return pd.DataFrame(
        {"icp_tier": tier.fillna(UNMATCHED), "icp_segment": segment.mask(unmatched)},
        index=leads.index,
    )


def _cycle_days(leads: pd.DataFrame, stage: pd.Series) -> pd.Series:
    """Days from creation (or first engagement) to won; NaN where unknown or not won."""
    start_col = next((c for c in ("created", "engage_date") if c in leads.columns), None)
    end_col = next((c for c in ("won_date", "closed", "close_date") if c in leads.columns), None)
    if start_col is None or end_col is None:
        return pd.Series(np.nan, index=leads.index)
    start = pd.to_datetime(leads[start_col], errors="coerce", format="mixed")
    end = pd.to_datetime(leads[end_col], errors="coerce", format="mixed")
    days = (end - start).dt.days.astype(float)
    return days.where(stage.to_numpy() == STAGES.index("won"))


def _lead_values(leads: pd.DataFrame, deals: Any) -> pd.Series:
    """Amount of each won lead: its own amount column, else its account's won deals (mean)."""
    for col in ("amount", "acv", "deal_amount", "close_value"):
        if col in leads.columns:
            return pd.to_numeric(leads[col], errors="coerce").astype(float)
    if deals is None or "account_id" not in leads.columns:
        return pd.Series(np.nan, index=leads.index)
    d = read_frame(deals, "deals")
    if "account_id" not in d.columns or "amount" not in d.columns:
        raise SchemaError("the deals table needs account_id and amount", column="amount")
    won = won_flags(d)
    if won is None:
        raise SchemaError("the deals table needs a won flag or a stage column", column="won")
    mask = won.to_numpy(dtype=bool)
    amount = pd.to_numeric(d.loc[mask, "amount"], errors="coerce")
    per_account = amount.groupby(d.loc[mask, "account_id"].astype(str)).mean()
    return leads["account_id"].astype(str).map(per_account).astype(float)


def _rate(num: float, den: float) -> float | None:
    return None if not den else round(float(num) / float(den), 4)


def _group_rows(frame: pd.DataFrame, key: str, order: list[str]) -> pd.DataFrame:
    total = len(frame)
    rows = []
    for name in order:
        g = frame[frame[key] == name] if name != "all" else frame
        if g.empty and name not in TIERS:
            continue
        n = [int((g["stage"] >= i).sum()) for i in range(len(STAGES))]
        won = g["stage"] == STAGES.index("won")
        row: dict[str, Any] = {
            key.removeprefix("icp_"): name,
            "leads": n[0],
            "share": _rate(n[0], total),
        }
        row.update({s: n[i] for i, s in enumerate(STAGES) if i})
        for i in range(1, len(STAGES)):
            row[f"{STAGES[i - 1]}_to_{STAGES[i]}"] = _rate(n[i], n[i - 1])
        row["win_rate"] = _rate(n[4], n[3])
        row["lead_to_won"] = _rate(n[4], n[0])
        cycle = g.loc[won, "cycle_days"].dropna()
        row["median_cycle_days"] = None if cycle.empty else float(cycle.median())
        acv = g.loc[won, "value"].dropna()
        row["mean_acv"] = None if acv.empty else round(float(acv.mean()), 2)
        rows.append(row)
    return pd.DataFrame(rows)


def _flags(by_tier: pd.DataFrame, by_channel: pd.DataFrame) -> list[str]:
    """Plain sentences where effort goes to non-ICP leads."""
    flags: list[str] = []
    tiers = by_tier[by_tier["tier"].isin(TIERS)].set_index("tier")
    good, poor = tiers.loc[["A", "B"]], tiers.loc[["C", "D"]]
    for stage in STAGES[:-1]:
        col = "leads" if stage == "lead" else stage
        total = tiers[col].sum()
        share = _rate(poor[col].sum(), total)
        if total >= MIN_FLAG_LEADS and share is not None and share > WASTE_SHARE:
            p_rate = _rate(poor["won"].sum(), poor[col].sum()) or 0.0
            g_rate = _rate(good["won"].sum(), good[col].sum()) or 0.0
            if p_rate < WORSE * g_rate:  # clearly worse, not noise
                flags.append(
                    f"{share:.0%} of {_PLURAL[stage]} "
                    f"are tier C/D, which end won {p_rate:.1%} of the time vs {g_rate:.1%} for tier A/B"
                )
    if not by_channel.empty:
        tiered = by_channel[by_channel["tier"].isin(TIERS)]
        total = tiered["leads"].sum()
        overall = tiered.loc[tiered["tier"].isin(["C", "D"]), "leads"].sum() / total if total else 0
        for channel, g in tiered.groupby("channel"):
            leads = g["leads"].sum()
            poor_share = float(g.loc[g["tier"].isin(["C", "D"]), "leads"].sum() / leads)
            # A channel is flagged when it is mostly non-ICP and clearly worse than the rest.
            if (
                leads >= MIN_FLAG_LEADS
                and leads / total >= 0.05
                and poor_share > max(0.5, overall + 0.1)
            ):
                flags.append(
                    f"channel {channel!r} brings {leads / total:.0%} of leads, "
                    f"{poor_share:.0%} of them tier C/D (overall {overall:.0%})"
                )
    return flags


def funnel_by_tier(
    leads: Any, profile: Profile | None = None, *, accounts: Any = None, deals: Any = None
) -> FunnelResult:
    """Funnel per tier (table), with segment and channel × tier breakdowns and flags (summary)."""
    frame = read_frame(leads, "leads")
    gaps: list[dict[str, Any]] = []
    tiers = lead_tiers(frame, profile, accounts, gaps)
    try:
        stage, evidence = lead_stages(frame, profile)
    except SchemaError as exc:  # say which file does not say it
        if exc.file is None and isinstance(leads, str | os.PathLike):
            exc.file = os.fspath(leads)
        raise
    work = pd.DataFrame(
        {
            "icp_tier": tiers["icp_tier"].astype("string").to_numpy(),
            "icp_segment": tiers["icp_segment"].astype("string").fillna("(none)").to_numpy(),
            "stage": stage.to_numpy(),
            "cycle_days": _cycle_days(frame, stage).to_numpy(),
            "value": _lead_values(frame, deals).to_numpy(),
        }
    )
    extra = sorted(set(work["icp_tier"].dropna()) - set(TIERS))
    table = _group_rows(work, "icp_tier", [*TIERS, *extra, "all"])
    segments = _group_rows(work, "icp_segment", sorted(work["icp_segment"].unique()))
    by_channel = _channels(frame, work)
    a, d = table.set_index("tier").loc["A"], table.set_index("tier").loc["D"]
    lift = None
    if a["lead_to_won"] is not None and d["lead_to_won"]:
        lift = round(a["lead_to_won"] / d["lead_to_won"], 2)
    summary = {
        "leads": len(work),
        "stage_evidence": evidence,
        "icp_share": _rate(work["icp_tier"].isin(["A", "B"]).sum(), len(work)),
        "tier_share": {r.tier: r.share for r in table.itertuples() if r.tier != "all"},
        "win_rate_by_tier": {r.tier: r.win_rate for r in table.itertuples()},
        "lead_to_won_by_tier": {r.tier: r.lead_to_won for r in table.itertuples()},
        "tier_a_vs_d_lift": lift,
        "by_segment": segments.to_dict("records"),
        "by_channel": by_channel.to_dict("records"),
        "flags": _flags(table, by_channel),
        "missing_columns": gaps,  # as market_size names them
    }
    if (seen := _in_sample(profile, frame)) is not None:
        summary["in_sample"] = seen
    if evidence.endswith(_WON_ONLY):
        # Nothing says which leads became MQLs, SQLs or opportunities: no count, no rate.
        table = _without_between(table)
        summary["by_segment"] = _without_between(segments).to_dict("records")
        summary["win_rate_by_tier"] = None
    return FunnelResult(table, plain(summary))


def _in_sample(profile: Profile | None, frame: pd.DataFrame) -> str | None:
    """Why the conversion by tier is no test, when these are the leads the profile was
    learned from (as `icp evaluate` says it: icpkit.insample); None otherwise."""
    if profile is None:
        return None
    import pyarrow as pa

    from .evaluate import IN_SAMPLE_SHARE, in_sample_verdict
    from .insample import overlap

    sketch = (profile.fingerprint or {}).get("row_sketch")
    seen = overlap(sketch, pa.Table.from_pandas(frame, preserve_index=False)) if sketch else None
    if seen is None or seen["share"] < IN_SAMPLE_SHARE:
        return None
    return str(in_sample_verdict(seen["share"], profile)["reason"])


def _without_between(table: pd.DataFrame) -> pd.DataFrame:
    """The table without the stages between lead and won, and the rates through them."""
    unknown = [
        c
        for c in table.columns
        if c in _BETWEEN or c == "win_rate" or any(part in _BETWEEN for part in c.split("_to_"))
    ]
    return table.drop(columns=unknown)


def _channels(frame: pd.DataFrame, work: pd.DataFrame) -> pd.DataFrame:
    col = next((c for c in ("source", "channel", "lead_source") if c in frame.columns), None)
    if col is None:
        return pd.DataFrame(columns=["channel", "tier", "leads", "won", "lead_to_won"])
    channel = frame[col].astype("string").fillna("(unknown)").to_numpy()
    g = pd.DataFrame({"channel": channel, "tier": work["icp_tier"], "won": work["stage"] == 4})
    out = (
        g.groupby(["channel", "tier"]).agg(leads=("won", "size"), won=("won", "sum")).reset_index()
    )
    out["lead_to_won"] = (out["won"] / out["leads"]).round(4)
    out["won"] = out["won"].astype(int)
    return out
