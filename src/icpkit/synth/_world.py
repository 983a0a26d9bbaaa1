"""make_world and generate: the whole synthetic B2B world, in memory or as export files."""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..errors import ConfigError
from . import _export as ex
from . import _render as r
from ._activity import Activity, make_activity
from ._latent import REFERENCE_DATE, latent_companies
from ._leads import make_leads
from ._persona import plant_persona
from ._planted import SEGMENTS, Rule, assign
from ._truth import build_truth

__all__ = ["FILES", "World", "generate", "make_world"]

_DAY = np.timedelta64(1, "D")
_CRM_SIZE_MU = 4.6  # CRM accounts are bigger than the market at large: sales picks them
_MARKET_SIZE_MU = 3.8
_OVERLAP = 0.6  # share of CRM accounts that the universe (a vendor list) also holds
_MAX_ACCOUNTS = 5_000_000
_MAX_UNIVERSE = 50_000_000

FILES = (
    "accounts.csv",
    "deals.csv",
    "leads.csv",
    "contacts.csv",
    "contact_roles.csv",
    "outcomes.csv",
    "feedback.csv",
    "training.csv",
    "universe.parquet",
    "universe.csv",
    "truth.json",
)

FEEDBACK_COLUMNS = ("feedback_id", "account_id", "contact_id", "source", "date", "text")


@dataclass
class World:
    """The synthetic world: raw export tables (text cells, as files hold them) plus the truth.

    ``latent`` and ``latent_universe`` are the clean tables behind the exports (canonical
    column names and values, plus the planted ``icp_segment``/``anti_icp``/``won``), for tests.
    """

    accounts: pd.DataFrame
    outcomes: pd.DataFrame
    deals: pd.DataFrame
    leads: pd.DataFrame
    contacts: pd.DataFrame
    contact_roles: pd.DataFrame
    feedback: pd.DataFrame
    universe: pd.DataFrame
    training: pd.DataFrame
    truth: dict[str, Any]
    latent: pd.DataFrame = field(repr=False)
    latent_universe: pd.DataFrame = field(repr=False)

    def __repr__(self) -> str:
        sizes = ", ".join(f"{name}={len(frame):,}" for name, frame in self.tables().items())
        return f"World({sizes}, seed={self.truth.get('seed')})"

    def tables(self) -> dict[str, pd.DataFrame]:
        """The export tables by name (as in the files, without extension)."""
        names = ("accounts", "deals", "leads", "contacts", "contact_roles", "outcomes")
        out = {name: getattr(self, name) for name in names}
        out.update(feedback=self.feedback, training=self.training, universe=self.universe)
        return out


def _check_int(name: str, value: object, low: int, high: int) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | np.integer)
        or not low <= value <= high
    ):
        raise ConfigError(
            f"The {name!r} parameter must be an int in [{low:,}, {high:,}]. Got {value!r} instead"
        )
    return int(value)


def _crm_fields(acc: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Ids, record dates and the noise custom fields of CRM accounts."""
    n = len(acc)
    acc.insert(
        0,
        "account_id",
        pd.Series(np.arange(1, n + 1)).astype(str).str.zfill(13).radd("0015g").to_numpy(),
    )
    acc["created"] = REFERENCE_DATE - rng.integers(120, 6 * 365, n) * _DAY
    created = acc["created"].to_numpy(dtype="datetime64[D]")
    age_days = (REFERENCE_DATE - created).astype(np.int64)
    acc["last_modified"] = created + (age_days * rng.random(n)).astype(np.int64) * _DAY
    acc["last_verified"] = REFERENCE_DATE - rng.integers(0, 4 * 365, n) * _DAY
    # Pure noise: drawn independently of everything else.
    acc["legacy_score"] = rng.integers(0, 101, n)
    acc["priority"] = np.array(["High", "Medium", "Low"], dtype=object)[rng.integers(0, 3, n)]
    acc["territory"] = (
        pd.Series(rng.integers(1, 41, n)).astype(str).str.zfill(2).radd("T").to_numpy()
    )
    return acc


def _feedback(acc: pd.DataFrame, rng: np.random.Generator) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The voice-of-customer generator, when its module exists (another engineer owns it)."""
    if importlib.util.find_spec(f"{__package__}.feedback") is None:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in FEEDBACK_COLUMNS}), {}
    module = importlib.import_module(f"{__package__}.feedback")
    table, truth = module.make_feedback(acc, acc["icp_segment"].to_numpy(dtype=object), rng)
    return table, dict(truth)


def _universe(
    acc: pd.DataFrame, market: pd.DataFrame, k: int, rng: np.random.Generator
) -> pd.DataFrame:
    """The market: ``k`` CRM accounts (by domain, as a vendor would list them) plus ``market``."""
    shared = acc.iloc[np.sort(rng.choice(len(acc), k, replace=False))][list(market.columns)]
    uni = pd.concat([shared, market], ignore_index=True)
    uni["in_crm"] = np.r_[np.ones(k, bool), np.zeros(len(market), bool)]
    # A vendor list is not sorted by whether you know the company: shuffle.
    uni = uni.take(rng.permutation(len(uni))).reset_index(drop=True)
    ids = pa.array(1_000_000 + np.arange(len(uni)) * 3).cast(pa.string())
    uni["company_id"] = pd.Series(ids, dtype=pd.StringDtype("pyarrow", na_value=np.nan))
    return uni


def _leads(
    acc: pd.DataFrame,
    market: pd.DataFrame,
    activity: Activity,
    rng: np.random.Generator,
    planted: tuple[Rule, ...] = SEGMENTS,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Leads from CRM accounts and from a third as many market companies not in the CRM."""
    outsiders = market.iloc[: len(acc) // 3].copy()
    outsiders["account_id"] = None
    outsiders["win_probability"] = assign(outsiders, planted).win_p
    cols = [
        "account_id",
        "name",
        "domain",
        "employees",
        "_industry_idx",
        "_country_idx",
        "win_probability",
    ]
    companies = pd.concat([acc[cols], outsiders[cols]], ignore_index=True)
    is_account = np.r_[np.ones(len(acc), bool), np.zeros(len(outsiders), bool)]
    fit = companies["win_probability"].to_numpy(dtype=float)
    first_win = activity.deals[activity.deals["won"]].drop_duplicates("row")
    opened = np.full(len(companies), np.datetime64("NaT"), dtype="datetime64[D]")
    closed = opened.copy()
    rows = first_win["row"].to_numpy()
    opened[rows] = first_win["created"].to_numpy(dtype="datetime64[D]")
    closed[rows] = first_win["closed"].to_numpy(dtype="datetime64[D]")
    return make_leads(rng, companies, fit, is_account, (opened, closed)), companies


def make_world(
    n_accounts: int = 5000,
    seed: int = 0,
    n_universe: int | None = None,
    *,
    segments: tuple[Rule, ...] | None = None,
    missing_signal: float = 0.0,
) -> World:
    """Build the synthetic world in memory (see docs/synth.md). Same seed, same world.

    ``segments`` plants other ICP rules than :data:`SEGMENTS`; ``missing_signal`` (0 to 1)
    blanks employees and revenue on that share of low-fit accounts (probability
    ``missing_signal * (1 - win probability)``), as CRMs hold fewer facts on accounts nobody
    works. Both default to the standard world, which they leave unchanged.
    """
    n = _check_int("n_accounts", n_accounts, 1, _MAX_ACCOUNTS)
    seed = _check_int("seed", seed, 0, 2**63 - 1)
    n_uni = 10 * n if n_universe is None else _check_int("n_universe", n_universe, 0, _MAX_UNIVERSE)
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(8)]
    overlap = min(round(_OVERLAP * n), n_uni)
    n_market = n_uni - overlap
    size_mu = np.r_[np.full(n, _CRM_SIZE_MU), np.full(n_market, _MARKET_SIZE_MU)]
    everyone = latent_companies(rngs[0], size_mu)
    acc = _crm_fields(everyone.iloc[:n].reset_index(drop=True), rngs[1])
    market = everyone.iloc[n:].reset_index(drop=True)

    planted = SEGMENTS if segments is None else tuple(segments)
    plan = assign(acc, planted)
    won = rngs[2].random(n) < plan.win_p
    acc["icp_segment"], acc["anti_icp"] = plan.segment, plan.anti
    acc["win_probability"], acc["won"], acc["is_customer"] = plan.win_p, won, won
    activity = make_activity(rngs[3], acc, plan, won)
    acc["churned"] = False
    acc.loc[activity.outcomes["row"].to_numpy(), "churned"] = activity.outcomes[
        "churned"
    ].to_numpy()

    universe = (
        _universe(acc, market, overlap, rngs[4])
        if n_uni
        else acc.iloc[:0].assign(in_crm=False, company_id="")
    )
    leads, lead_companies = _leads(acc, market, activity, rngs[5], planted)
    persona_truth = plant_persona(leads, seed)  # its own stream: nothing else moves
    feedback, feedback_truth = _feedback(acc, rngs[6])
    truth = build_truth(
        seed=seed,
        accounts=acc,
        universe=universe,
        activity=activity,
        feedback=feedback_truth,
        segments=planted,
    )
    truth["persona"] = persona_truth
    world = _render(acc, universe, activity, leads, lead_companies, feedback, truth, rngs[7])
    if missing_signal:
        _blank_low_fit(world, missing_signal, np.random.default_rng([seed, 10]))
    return world


_FACTS = ("NumberOfEmployees", "AnnualRevenue")


def _blank_low_fit(world: World, strength: float, rng: np.random.Generator) -> None:
    """Informative missingness: facts left blank more often on accounts with a low planted fit."""
    if not 0 <= strength <= 1:
        raise ConfigError(f"The 'missing_signal' parameter must be in [0, 1]. Got {strength!r}")
    p = strength * (1 - world.latent["win_probability"].to_numpy(dtype=float))
    blank = rng.random(len(p)) < p
    for frame in (world.accounts, world.training):
        for col in _FACTS:
            frame[col] = frame[col].astype(object).where(~blank, None)
    world.truth["missing_signal"] = {
        "columns": list(_FACTS),
        "strength": strength,
        "blanked": int(blank.sum()),
    }


def _render(
    acc: pd.DataFrame,
    universe: pd.DataFrame,
    activity: Activity,
    leads: pd.DataFrame,
    lead_companies: pd.DataFrame,
    feedback: pd.DataFrame,
    truth: dict[str, Any],
    rng: np.random.Generator,
) -> World:
    accounts = ex.render_accounts(acc, rng)
    outcomes = ex.render_outcomes(activity.outcomes, rng)
    won = pd.Series(np.where(acc["won"].to_numpy(), "true", "false"), name="IsWon")
    extra = outcomes.set_index("Account ID").reindex(accounts["Id"]).reset_index(drop=True)
    training = pd.concat([accounts, extra, won], axis=1)
    truth["junk"] = {
        "placeholders": list(r.PLACEHOLDERS),
        "unreadable": {kind: list(words) for kind, words in r.UNREADABLE.items()},
        "accounts.csv": ex.junk_counts(accounts),
    }
    return World(
        accounts=accounts,
        outcomes=outcomes,
        deals=ex.render_deals(activity.deals, acc, rng),
        leads=ex.render_leads(leads, lead_companies, rng),
        contacts=ex.render_contacts(activity.contacts, rng),
        contact_roles=ex.render_contact_roles(activity.roles),
        feedback=feedback,
        universe=ex.render_universe(universe, rng),
        training=training,
        truth=truth,
        latent=acc,
        latent_universe=universe,
    )


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    # Arrow's writer is ~10x faster than pandas'; text cells are written as they are.
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="needed"))


def _write_all(world: World, folder: Path) -> None:
    for name, frame in world.tables().items():
        if name != "universe":
            _write_csv(frame, folder / f"{name}.csv")
    pq.write_table(
        pa.Table.from_pandas(world.universe, preserve_index=False), folder / "universe.parquet"
    )
    _write_csv(world.universe.head(5000), folder / "universe.csv")
    text = json.dumps(world.truth, indent=2, ensure_ascii=False, default=str) + "\n"
    (folder / "truth.json").write_text(text, encoding="utf-8")


def generate(
    out_dir: str | os.PathLike[str],
    n_accounts: int = 5000,
    seed: int = 0,
    n_universe: int | None = None,
) -> dict[str, Path]:
    """Write the world's files into ``out_dir`` (created if needed); returns name → path.

    All files are written into a hidden staging folder inside ``out_dir`` first and then
    renamed into place, so a failed run (a full disk, an interrupt) never leaves a
    truth.json beside data from another world: the previous files stay as they were.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{out} exists and is not a folder", hint="Give a folder to write into")
    world = make_world(n_accounts=n_accounts, seed=seed, n_universe=n_universe)
    out.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(dir=out, prefix=".synth-"))
    try:
        _write_all(world, stage)
        for name in FILES:
            os.replace(stage / name, out / name)  # atomic per file, on one filesystem
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return {name: out / name for name in FILES}
