"""Discover: learn an ICP profile from a table of customers (or leads, or deals) with outcomes.

The pipeline, one pure step after another::

    success label → screen columns (ids, dates, outcomes, leaks) → split (time-based when a
    date exists, else stratified; cross-validation on small data) → bins → segments and anti-ICP
    → points (attributes + segments fit jointly) → tiers → held-out metrics → refit on all rows

``discover(df, target="IsWon")`` returns the :class:`~icpkit.profile.Profile`;
``learn(...)`` returns a :class:`Discovery` that also holds the attribute analysis, the flagged
columns, the warnings and per-stage timings.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ._version import __version__
from .analysis import Analysis, analyse
from .binning import BinnedAttribute, Binner, Kind, column_kind
from .errors import ConfigError, SchemaError, did_you_mean
from .evaluate import MIN_SUCCESSES, auc, evaluate_scores, evidence
from .evidence import with_evidence
from .explain import silhouette
from .insample import row_sketch
from .persona import learn_persona, learn_priority, persona_columns, persona_summary
from .phrases import counted, segment_name
from .profile import Condition, Disqualifier, Persona, Profile, Segment
from .schema import is_after_sale, is_contact_detail
from .scorecard import Points, Scorecard, anti_icp_caps, profile_attributes, tier_cutoffs
from .scoring import score_table, to_arrow
from .segments import Rule, SegmentFinder, interaction_pairs, rule_mask
from .sharp import sharp_segments
from .success import SuccessLabel, expression_columns, ranked_successes, success_label

__all__ = [
    "Discovery",
    "discover",
    "fingerprint",
    "learn",
    "screen_columns",
    "tier_cutoffs",
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
_TIME_NAME = re.compile(r"creat|signup|sign_up|start|engage|since|open|date", re.IGNORECASE)
LEAK_AUC = 0.92
# Cross-validation trains each fold without the rows it tests: with one success, one fold
# would learn from failures alone.
MIN_TO_LEARN = 2
AFTER_SALE_REASON = (
    "known only after the sale (leaks the answer, and describes today's customers, not "
    "prospects to find); --keep to use it"
)
CONTACT_REASON = (
    "a contact detail (whether it is filled in reflects record keeping, not fit); --keep to use it"
)
_INTERACTION_NOTE = (
    "a combination the points table alone under-rates (found on the scorecard's residuals)"
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
            elif is_contact_detail(name) and name not in keep:
                why = CONTACT_REASON
            elif _ID_NAME.search(name) and distinct > 0.5 * present and name not in keep:
                why = f"id-like ({distinct} distinct values)"
            elif (
                kind == "categorical"
                and (
                    (distinct > max(0.5 * present, 50))
                    or (_TEXT_NAME.match(name) and distinct > 20)
                )
                and name not in keep
            ):
                why = f"free text or an identifier ({distinct} distinct values)"
            else:
                columns.append(name)
                kinds[name] = kind
        if why:
            flagged.append({"column": name, "reason": why, "excluded": True})
    return Screen(columns, kinds, flagged, dates)


def fingerprint(table: pa.Table, columns: Sequence[str], dates: Sequence[str]) -> dict[str, Any]:
    """Rows, column types, a hash of the values and the date range: enough to spot a changed input."""
    cols = [c for c in columns if c in table.column_names]
    digest = hashlib.sha256()
    for c in cols:
        values = pd.util.hash_pandas_object(table.column(c).to_pandas(), index=False)
        digest.update(c.encode())
        digest.update(values.to_numpy().tobytes())
    out: dict[str, Any] = {
        "rows": table.num_rows,
        "columns": {c: str(table.column(c).type) for c in cols},
        "hash": digest.hexdigest()[:16],
    }
    for d in dates:
        ts = pd.to_datetime(table.column(d).to_pandas(), errors="coerce", format="mixed")
        if ts.notna().any():
            out.setdefault("date_range", {})[d] = [str(ts.min().date()), str(ts.max().date())]
    # Lets `icp evaluate` recognise these rows later and call its figures in-sample.
    out["row_sketch"] = row_sketch(table, cols)
    return out


# ---------------------------------------------------------------------------------------------
# One fit


@dataclass
class _Fit:
    profile: Profile
    attrs: dict[str, BinnedAttribute]
    codes: dict[str, np.ndarray]
    leaks: list[dict[str, Any]]
    timings: dict[str, float]
    warnings: list[str] = field(default_factory=list)
    headline: list[Condition] | None = None  # the group the silhouette describes


@dataclass
class _Params:
    max_bins: int = 8
    penalty: float = 1.0
    max_segments: int = 4
    max_disqualifiers: int = 3
    C: float | str = "auto"
    tier_shares: tuple[float, float, float] = (0.10, 0.30, 0.60)
    check_leaks: bool = True
    n_interactions: int = 4
    alpha: float = 0.01


def _segment_name(rule: Rule, taken: set[str]) -> str:
    name = segment_name(rule.conditions)
    base, i = name, 2
    while name in taken:
        name, i = f"{base} ({i})", i + 1
    taken.add(name)
    return name


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


def _drop_leaks(
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


def _select(
    attrs: dict[str, BinnedAttribute], alpha: float
) -> tuple[dict[str, BinnedAttribute], list[str]]:
    """Attributes that enter the scorecard, and a warning when the evidence is weak."""
    # Pre-bins are fixed before looking at the label, so their chi-square test is honest; a
    # Bonferroni bar keeps noise columns (whose optimal bins overfit) out of the points table.
    bar = alpha / max(len(attrs), 1)
    used = {
        k: a for k, a in attrs.items() if a.informative and a.iv > 1e-3 and a.prebin_pvalue < bar
    }
    if used:
        return used, []
    # Nothing passes the corrected test: keep the best few anyway, and say so.
    ranked = sorted((a for a in attrs.values() if a.informative), key=lambda a: a.prebin_pvalue)
    used = {a.name: a for a in ranked[:5] if a.prebin_pvalue < 0.05} or {
        a.name: a for a in ranked[:3]
    }
    if not used:
        raise ConfigError(
            "no attribute carries information about success",
            hint="Check the target, or give more rows or more attributes",
        )
    return used, [
        "no attribute is significant after correcting for multiple tests; the profile uses "
        f"the {len(used)} strongest anyway: expect a score little better than chance"
    ]


def _interactions(
    finder: SegmentFinder,
    card: Scorecard,
    table: pa.Table,
    codes: dict[str, np.ndarray],
    masks: list[np.ndarray],
    y: np.ndarray,
    max_rules: int = 4,
) -> list[Rule]:
    """Conjunctions the additive fit under-rates (score test on its residuals), as rules."""
    idx = finder.sample_ if finder.sample_ is not None else np.arange(len(y))
    logit = card.decision_function({k: v[idx] for k, v in codes.items()}, [m[idx] for m in masks])
    prob = 1 / (1 + np.exp(-logit))
    pairs = interaction_pairs(
        finder.atoms_,
        y[idx].astype(np.float64),
        prob,
        min_count=finder.min_count_,
        max_pairs=max_rules,
    )
    rules = [finder.measure(pair, table, y) for pair in pairs]
    # Only groups that pass the same bar as an ICP segment: they are labelled as segments too.
    return [r for r in rules if finder.acceptable(r, positive=True)]


def _assemble(
    finder: SegmentFinder,
    rules: list[Rule],
    notes: list[str | None],
    pts: Points,
    used: dict[str, BinnedAttribute],
    codes: dict[str, np.ndarray],
    seg_masks: list[np.ndarray],
    p: _Params,
    y: np.ndarray,
) -> Profile:
    """The profile: points table, segments with their points, anti-ICP caps, tier cut-offs."""
    raw = np.full(
        len(seg_masks[0]) if seg_masks else len(next(iter(codes.values()))),
        pts.intercept,
        dtype=np.int64,
    )
    for name, arr in pts.attributes.items():
        raw += arr[codes[name]]
    for v, m in zip(pts.rules, seg_masks, strict=True):
        raw += v * m
    tiers = tier_cutoffs(np.clip(raw, 0, 100), p.tier_shares)
    taken: set[str] = set()

    def stats(r: Rule) -> dict[str, Any]:
        return {
            "name": _segment_name(r, taken),
            "conditions": r.conditions,
            "size": r.size,
            "success_rate": round(r.rate, 4),
            "lift": round(r.lift, 3),
        }

    # Ranked by expected extra successes, size x (rate - base): a big group of good customers
    # ahead of a tiny excellent one, and the headline describes the first.
    base = float(np.mean(y)) if len(y) else 0.0
    order = sorted(range(len(rules)), key=lambda i: -rules[i].size * (rules[i].rate - base))
    segments = [
        Segment(
            points=pts.rules[i],
            description=notes[i],
            **stats(rules[i]),
        )
        for i in order
    ]
    caps = anti_icp_caps(
        [rule_mask(r, len(y)) for r in finder.disqualifiers_], np.clip(raw, 0, 100), y, tiers
    )
    dqs = [
        Disqualifier(cap=c, **stats(r)) for r, c in zip(finder.disqualifiers_, caps, strict=True)
    ]
    attributes = profile_attributes(used, pts.attributes)
    if not attributes and not segments:  # no signal at all: keep the strongest, at 0 points
        attributes = profile_attributes(used, pts.attributes, keep_zero=True)[:1]
    return Profile(
        intercept=pts.intercept,
        attributes=attributes,
        segments=segments,
        disqualifiers=dqs,
        tiers=tiers,
    )


def _fit(
    table: pa.Table,
    y: np.ndarray,
    columns: list[str],
    kinds: dict[str, Kind],
    p: _Params,
    *,
    keep: Sequence[str] = (),
    search_rows: np.ndarray | None = None,
) -> _Fit:
    """One fit: bins → (leak check) → selection → segments → joint points → profile.

    ``search_rows`` limits the segment search to those rows (the training part of the hold-out
    split), so the segments' held-out figures come from rows they were not found on.
    """
    t: dict[str, float] = {}
    t0 = time.perf_counter()
    binner = Binner(max_bins=p.max_bins, penalty=p.penalty).fit(table, y, columns, kinds)
    attrs, codes = binner.attributes_, binner.train_codes_
    t["bin"] = time.perf_counter() - t0
    leaks = _drop_leaks(attrs, codes, y, keep) if p.check_leaks else []
    used, weak = _select(attrs, p.alpha)
    t1 = time.perf_counter()
    finder = SegmentFinder(max_segments=p.max_segments, max_disqualifiers=p.max_disqualifiers)
    finder.fit(used, codes, y, table, rows=search_rows)
    rules = list(finder.segments_)
    described, headline = sharp_segments(
        attrs, used, codes, y, table, search_rows, rules, max_segments=p.max_segments, C=p.C
    )
    n_icp = len(rules)
    seg_masks = [rule_mask(r, len(y)) for r in rules]
    t["segments"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    card = Scorecard(C=p.C).fit(used, codes, seg_masks, y)
    extra = _interactions(finder, card, table, codes, seg_masks, y) if p.n_interactions else []
    if extra:
        rules += extra
        seg_masks += [rule_mask(r, len(y)) for r in extra]
        card = card.extend(codes, seg_masks, y)
    pts = card.points(codes, seg_masks)
    t["scorecard"] = time.perf_counter() - t2
    notes = [None] * n_icp + [_INTERACTION_NOTE] * (len(rules) - n_icp)
    # Described segments (0 points) carry no note: the report uses a note as the ICP's name.
    notes += [None] * len(described)
    rules += described
    seg_masks += [rule_mask(r, len(y)) for r in described]
    pts = replace(pts, rules=[*pts.rules, *[0] * len(described)])
    profile = _assemble(finder, rules, notes, pts, used, codes, seg_masks, p, y)
    t["total"] = time.perf_counter() - t0
    return _Fit(profile, attrs, codes, leaks, t, weak, headline)


# ---------------------------------------------------------------------------------------------
# Validation


def _split(
    table: pa.Table, y: np.ndarray, time_column: str | None, test_size: float, seed: int
) -> tuple[np.ndarray, np.ndarray, str]:
    n = len(y)
    if time_column is not None:
        ts = pd.to_datetime(table.column(time_column).to_pandas(), errors="coerce", format="mixed")
        order = np.argsort(ts.to_numpy(dtype="datetime64[ns]"), kind="stable")
        cut = round(n * (1 - test_size))
        train, test = np.sort(order[:cut]), np.sort(order[cut:])
        when = ts.iloc[order[cut]] if cut < n else None
        return (
            train,
            test,
            f"time-based: trained on rows before {when}, tested on the later {len(test)} rows",
        )
    rng = np.random.default_rng(seed)
    test_mask = np.zeros(n, dtype=bool)
    for cls in (True, False):
        idx = np.flatnonzero(y == cls)
        test_mask[rng.choice(idx, round(len(idx) * test_size), replace=False)] = True
    return (
        np.flatnonzero(~test_mask),
        np.flatnonzero(test_mask),
        f"random stratified hold-out of {int(test_mask.sum())} rows ({test_size:.0%})",
    )


def _auto_time_column(table: pa.Table, dates: list[str]) -> str | None:
    """A creation-like date filled on (nearly) every row, else None (then: a random split)."""
    for d in dates:
        after = re.search(r"close|end|churn|won|last|modif|verif|since|customer", d, re.I)
        filled = table.column(d).null_count <= 0.05 * table.num_rows
        if _TIME_NAME.search(d) and not after and filled:
            return d
    return None


def _enough_of_each(y: np.ndarray) -> None:
    """Refuse a label with a single success (or failure): no fold could learn and test on it."""
    n_succ = int(y.sum())
    fewer, word = min((n_succ, "success"), (len(y) - n_succ, "failure"))
    if fewer < MIN_TO_LEARN:
        raise ConfigError(
            f"only {counted(fewer, word)} among {len(y):,} rows: a profile needs at least "
            f"{MIN_TO_LEARN} successes and {MIN_TO_LEARN} failures to learn from and test on",
            hint="Check the outcome column and --positive, or export more rows",
        )


def _uses_cv(n: int, time_column: str | None) -> bool:
    """Small data without a time order is validated by cross-validation, not a hold-out."""
    return time_column is None and n < 3000


def _held_out(
    table: pa.Table,
    y: np.ndarray,
    screen: Screen,
    p: _Params,
    time_column: str | None,
    test_size: float,
    seed: int,
    keep: Sequence[str],
) -> tuple[dict[str, Any], list[dict[str, Any]], str]:
    """Scores on rows the model did not fit on: CV on small data, else a (time) hold-out."""
    n = len(y)
    if _uses_cv(n, time_column):
        rng = np.random.default_rng(seed)
        folds = np.empty(n, dtype=np.int64)
        for cls in (True, False):
            idx = rng.permutation(np.flatnonzero(y == cls))
            folds[idx] = np.arange(len(idx)) % 5
        scores = np.zeros(n)
        tiers = np.empty(n, dtype=object)
        leaks: list[dict[str, Any]] = []
        for f in range(5):
            tr, te = np.flatnonzero(folds != f), np.flatnonzero(folds == f)
            fit = _fit(table.take(tr), y[tr], screen.columns, screen.kinds, p, keep=keep)
            leaks = leaks or fit.leaks
            scored = score_table(fit.profile, table.take(te))
            scores[te] = scored.column("icp_score").to_numpy()
            tiers[te] = scored.column("icp_tier").to_pylist()
        return evaluate_scores(y, scores, tiers), leaks, "5-fold cross-validation (small data)"
    train, test, how = _split(table, y, time_column, test_size, seed)
    if y[train].all() or not y[train].any():
        missing = "successes" if not y[train].any() else "failures"
        raise ConfigError(
            f"the hold-out trains on the earliest {len(train):,} rows by this date, and they "
            f"have no {missing}: nothing to learn from",
            column=time_column,
            hint="Pick another date column with --date, or check the outcome column",
        )
    fit = _fit(table.take(train), y[train], screen.columns, screen.kinds, p, keep=keep)
    scored = score_table(fit.profile, table.take(test))
    tiers = np.asarray(scored.column("icp_tier").to_pylist(), dtype=object)
    metrics = evaluate_scores(y[test], scored.column("icp_score").to_numpy(), tiers)
    return metrics, fit.leaks, how


# ---------------------------------------------------------------------------------------------
# Public entry points


@dataclass
class Discovery:
    """Everything discover learned: the profile, plus what a person needs to trust it."""

    profile: Profile
    analysis: Analysis
    label: SuccessLabel
    flagged: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    best_customers: list[dict[str, Any]] = field(default_factory=list)

    @property
    def metrics(self) -> dict[str, Any]:
        return (self.profile.metrics or {}).get("held_out", {})

    def summary(self) -> dict[str, Any]:
        """A plain dict for printing: silhouette, top attributes, segments, held-out metrics."""
        m = self.metrics
        return {
            "evidence": (self.profile.metrics or {}).get("evidence"),
            "silhouette": self.profile.silhouette,
            "rows": self.label.defined.sum().item(),
            "successes": self.label.n_success,
            "base_rate": round(self.label.rate, 4),
            "top_attributes": [
                {
                    k: a[k]
                    for k in (
                        "attribute",
                        "information_value",
                        "best_group",
                        "best_lift",
                        "significant",
                    )
                }
                for a in self.analysis.attributes[:8]
            ],
            "segments": [
                {
                    "name": s.name,
                    "size": s.size,
                    "success_rate": s.success_rate,
                    "lift": s.lift,
                    "points": s.points,
                }
                for s in self.profile.segments
            ],
            "disqualifiers": [
                {"name": d.name, "size": d.size, "success_rate": d.success_rate, "cap": d.cap}
                for d in self.profile.disqualifiers
            ],
            "held_out": {
                k: m.get(k)
                for k in (
                    "auc",
                    "ab_share_of_rows",
                    "ab_share_of_successes",
                    "rows",
                    "successes",
                    "reliability",
                )
            },
            "validation": (self.profile.metrics or {}).get("validation"),
            "tiers": self.profile.tiers.model_dump(),
            "best_customers": self.best_customers[:10],
            "flagged": self.flagged,
            "warnings": self.warnings,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "persona": persona_summary(self.profile.persona),
        }


def _resolve_label(
    table: pa.Table, target: str | None, positive: Any, success: str | None
) -> tuple[SuccessLabel, list[str]]:
    if target is None and success is None:
        raise ConfigError("say what success means: give a target column or a success expression")
    cols = [target] if target is not None else expression_columns(success or "")
    for c in cols:
        if c not in table.column_names:
            raise SchemaError(
                "no such column"
                + (" (the target)" if c == target else " in the success expression"),
                column=c,
                hint=did_you_mean(c, table.column_names) or "Check the column name",
            )
    frame = table.select(cols).to_pandas()
    return success_label(frame, target, positive=positive, expression=success), cols


def learn(
    data: Any,
    target: str | None = None,
    *,
    positive: str | list[str] | None = None,
    success: str | None = None,
    exclude: Sequence[str] = (),
    keep: Sequence[str] = (),
    id_column: str | None = None,
    time_column: str | None = None,
    validate: bool = True,
    test_size: float = 0.25,
    random_state: int = 0,
    name: str = "ICP",
    max_segments: int = 4,
    max_bins: int = 8,
    penalty: float = 1.0,
    persona: str | Sequence[str] | None = None,
) -> Discovery:
    """Learn a profile and report how well it works on rows it did not fit on.

    ``keep`` lists columns to use even if they look like ids or leaks; ``validate=False`` skips
    the held-out measurement (one fit, no metrics: for callers that validate themselves).
    ``persona`` ('auto' or person columns such as role, seniority) learns those columns into the
    profile's persona points table instead of the account points (see :mod:`icpkit.persona`).
    """
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    table = to_arrow(data)
    unknown = [c for c in [*exclude, *keep] if c not in table.column_names]
    if unknown:
        raise SchemaError(
            "no such column",
            column=unknown[0],
            hint=did_you_mean(unknown[0], table.column_names) or "Check the name",
        )
    label, label_cols = _resolve_label(table, target, positive, success)
    if not label.defined.all():
        table = table.filter(pa.array(label.defined))
    y = label.y[label.defined]
    _enough_of_each(y)
    people = persona_columns(table, persona)
    # The raw job title is what role and seniority were read from: a person column too.
    title = ["title"] if people and "title" in table.column_names and "title" not in people else []
    screen = screen_columns(
        table,
        label_columns=label_cols,
        exclude=[*exclude, *people, *title],
        id_column=id_column,
        keep=keep,
    )
    for f in screen.flagged:
        if f["column"] in people:
            f["reason"] = "a person attribute: learned into the persona points table"
        elif f["column"] in title:
            f["reason"] = "the job title (read as role and seniority for the persona)"
    if time_column is not None and time_column not in table.column_names:
        raise SchemaError(
            "no such time column",
            column=time_column,
            hint=did_you_mean(time_column, table.column_names) or "Check the name",
        )
    if not screen.columns:
        raise ConfigError(
            "no usable attribute columns", hint="All columns were flagged; see --keep"
        )
    timings["prepare"] = time.perf_counter() - t0
    params = _Params(max_bins=max_bins, penalty=penalty, max_segments=max_segments)
    warnings = list(label.notes)
    metrics: dict[str, Any] = {}
    flagged = list(screen.flagged)
    tcol = None
    if validate:
        t1 = time.perf_counter()
        tcol = time_column or (
            _auto_time_column(table, screen.dates) if table.num_rows >= 3000 else None
        )
        held, leaks, how = _held_out(table, y, screen, params, tcol, test_size, random_state, keep)
        metrics = {"held_out": held, "validation": how}
        flagged += leaks
        timings["validate"] = time.perf_counter() - t1
    leak_cols = {f["column"] for f in flagged}
    cols = [c for c in screen.columns if c not in leak_cols]
    split = None
    if validate and not _uses_cv(len(y), tcol):
        split = _split(table, y, tcol, test_size, random_state)[:2]
    fit = _fit(
        table,
        y,
        cols,
        screen.kinds,
        params,
        keep=keep,
        search_rows=None if split is None else split[0],
    )
    flagged += [f for f in fit.leaks if f["column"] not in leak_cols]
    warnings += fit.warnings
    timings.update({f"fit_{k}": v for k, v in fit.timings.items()})
    t2 = time.perf_counter()
    texts = {c: table.column(c) for c in fit.attrs if screen.kinds.get(c) == "categorical"}
    analysis = analyse(fit.attrs, fit.codes, y, texts)
    timings["analysis"] = time.perf_counter() - t2
    n_succ, n_fail = int(y.sum()), int((~y).sum())
    if min(n_succ, n_fail) < MIN_SUCCESSES:
        warnings.append(
            f"only {counted(min(n_succ, n_fail), 'success' if n_succ <= n_fail else 'failure')}:"
            " too small to trust; treat this profile as a hypothesis and re-run with more data"
        )
    significant = not any(w.startswith("no attribute is significant") for w in fit.warnings)
    metrics.update(
        {
            "evidence": evidence(
                len(y), n_succ, (metrics.get("held_out") or {}).get("auc"), significant
            ),
            "train_rows": len(y),
            "train_successes": n_succ,
            "flagged_columns": flagged,
            "warnings": warnings,
            "top_attributes": [a["attribute"] for a in analysis.attributes[:10]],
        }
    )
    profile = fit.profile.model_copy(
        update={
            "name": name,
            "success": label.definition,
            "metrics": metrics,
            "icpkit_version": __version__,
            "fingerprint": fingerprint(table, [*label_cols, *cols], screen.dates),
        }
    )
    profile = with_evidence(
        profile, table, y, None if split is None else split[1], headline=fit.headline
    )
    profile = profile.model_copy(update={"silhouette": silhouette(profile)})
    if people:
        t3 = time.perf_counter()
        profile = profile.model_copy(
            update={"persona": _persona(table, y, people, label, validate, random_state)}
        )
        timings["persona"] = time.perf_counter() - t3
    scored = score_table(profile, table)
    if profile.persona is not None:  # the grid's order, from the cells' own success rates
        order = learn_priority(scored.column("icp_priority").to_pylist(), y)
        ordered = profile.persona.model_copy(update={"priority": order})
        profile = profile.model_copy(update={"persona": ordered})
    scores = scored.column("icp_score").to_numpy()
    best = ranked_successes(table, y, scores, id_column)
    timings["total"] = time.perf_counter() - t0
    return Discovery(profile, analysis, label, flagged, warnings, timings, best)


def _persona(
    table: pa.Table,
    y: np.ndarray,
    people: list[str],
    label: SuccessLabel,
    validate: bool,
    seed: int,
) -> Persona:
    """The persona points table on all rows, with its AUC on a stratified 25% hold-out."""
    persona = learn_persona(table, y, people)
    metrics = dict(persona.metrics or {})
    if validate and min(int(y.sum()), int((~y).sum())) >= MIN_SUCCESSES:
        train, test, how = _split(table, y, None, 0.25, seed)
        held = learn_persona(table.take(train), y[train], people)
        sub = Profile(attributes=held.attributes, intercept=held.intercept)
        scores = score_table(sub, table.take(test)).column("icp_score").to_numpy()
        metrics["held_out"] = {"auc": round(auc(y[test], scores), 4), "rows": len(test)}
        metrics["validation"] = how
    return persona.model_copy(update={"metrics": metrics, "success": label.definition})


def discover(data: Any, target: str | None = None, **options: Any) -> Profile:
    """Learn an ICP profile from ``data`` (pandas DataFrame or pyarrow Table); see :func:`learn`."""
    return learn(data, target, **options).profile
