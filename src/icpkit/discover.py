"""Discover: learn an ICP profile from a table of customers (or leads, or deals) with outcomes.

The pipeline, one pure step after another::

    success label → screen columns (ids, dates, outcomes, leaks) → split (time-based when a
    date exists, else stratified; cross-validation on small data) → bins → segments and anti-ICP
    → points (attributes + segments fit jointly) → tiers → held-out metrics → refit on all rows

``discover(df, target="IsWon")`` returns the :class:`~icpkit.profile.Profile`;
``learn(...)`` returns a :class:`Discovery` that also holds the attribute analysis, the flagged
columns, the warnings and per-stage timings.

The steps live by idea: column screening and leak exclusion in :mod:`icpkit.screening`, one fit
(bins to assembled profile) in :mod:`icpkit.fitting`, the split and held-out metrics in
:mod:`icpkit.validation`; this module runs them in order and measures the result.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ._version import __version__
from .analysis import Analysis, analyse
from .errors import ConfigError, SchemaError, did_you_mean
from .evaluate import MIN_SUCCESSES, auc, evidence
from .evidence import with_evidence
from .explain import silhouette
from .fitting import Params, fit_profile
from .fitting import segment_title as _segment_name
from .insample import row_sketch
from .persona import learn_persona, learn_priority, persona_columns, persona_summary
from .phrases import counted
from .profile import Persona, Profile
from .scorecard import tier_cutoffs
from .scoring import score_table, to_arrow
from .screening import screen_columns
from .success import SuccessLabel, expression_columns, ranked_successes, success_label
from .validation import auto_time_column, enough_of_each, held_out, split, uses_cv
from .validation import split as _split

# Re-exported where they lived before the split into screening / fitting / validation.
__all__ = [
    "Discovery",
    "_segment_name",
    "_split",
    "discover",
    "fingerprint",
    "learn",
    "screen_columns",
    "tier_cutoffs",
]


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
    # Named-only segments folded into the segment that contains them (icpkit.folding).
    folded: list[dict[str, Any]] = field(default_factory=list)

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
            "folded": self.folded,
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
    table: pa.Table,
    target: str | None,
    positive: Any,
    success: str | None,
    open_as_failure: bool,
    unit: str,
    names: Mapping[str, str],
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
    label = success_label(
        frame,
        target,
        positive=positive,
        expression=success,
        open_as_failure=open_as_failure,
        unit=unit,
        name=names.get(target or ""),
    )
    return label, cols


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
    open_as_failure: bool = False,
    unit: str = "rows",
    names: Mapping[str, str] | None = None,
) -> Discovery:
    """Learn a profile and report how well it works on rows it did not fit on.

    ``keep`` lists columns to use even if they look like ids or leaks; ``validate=False`` skips
    the held-out measurement (one fit, no metrics: for callers that validate themselves).
    Rows whose outcome is still open (a deal stage neither won nor lost) are left out unless
    ``open_as_failure``; ``unit`` names a row ('opportunities') in the note that says so.
    ``names`` maps columns to the names the user's file gives them, for the notes.
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
    label, label_cols = _resolve_label(
        table, target, positive, success, open_as_failure, unit, names or {}
    )
    if not label.defined.all():
        table = table.filter(pa.array(label.defined))
    y = label.y[label.defined]
    enough_of_each(y)
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
    params = Params(max_bins=max_bins, penalty=penalty, max_segments=max_segments)
    warnings = list(label.notes)
    metrics: dict[str, Any] = {}
    flagged = list(screen.flagged)
    tcol = None
    if validate:
        t1 = time.perf_counter()
        tcol = time_column or (
            auto_time_column(table, screen.dates) if table.num_rows >= 3000 else None
        )
        held, leaks, how = held_out(table, y, screen, params, tcol, test_size, random_state, keep)
        metrics = {"held_out": held, "validation": how}
        flagged += leaks
        timings["validate"] = time.perf_counter() - t1
    leak_cols = {f["column"] for f in flagged}
    cols = [c for c in screen.columns if c not in leak_cols]
    parts = None
    if validate and not uses_cv(len(y), tcol):
        parts = split(table, y, tcol, test_size, random_state)[:2]
    fit = fit_profile(
        table,
        y,
        cols,
        screen.kinds,
        params,
        keep=keep,
        search_rows=None if parts is None else parts[0],
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
        profile, table, y, None if parts is None else parts[1], headline=fit.headline
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
    folded = [f.as_dict() for f in fit.folded]
    return Discovery(profile, analysis, label, flagged, warnings, timings, best, folded)


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
        train, test, how = split(table, y, None, 0.25, seed)
        held = learn_persona(table.take(train), y[train], people)
        sub = Profile(attributes=held.attributes, intercept=held.intercept)
        scores = score_table(sub, table.take(test)).column("icp_score").to_numpy()
        metrics["held_out"] = {"auc": round(auc(y[test], scores), 4), "rows": len(test)}
        metrics["validation"] = how
    return persona.model_copy(update={"metrics": metrics, "success": label.definition})


def discover(data: Any, target: str | None = None, **options: Any) -> Profile:
    """Learn an ICP profile from ``data`` (pandas DataFrame or pyarrow Table); see :func:`learn`."""
    return learn(data, target, **options).profile
