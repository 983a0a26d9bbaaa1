"""What-if backtests: edit a profile and see, within a second, what the edit does to the backtest.

The sales-hunch back-test of the seeds, made interactive. :class:`WhatIf` holds the training rows
(the accounts with a known outcome) and reads each column once. Scoring an edited profile is
then a points lookup: every attribute's per-row bin index is computed once per bin *layout*
(edges or value lists), so changing a bin's points, a tier cut-off or a segment's bonus costs a
gather and a sum over the rows, and only a changed layout or a new rule condition reads a column
again (and is cached from then on).

Scores follow the semantics in :mod:`icpkit.profile` exactly (the tests compare every score with
:func:`icpkit.scoring.score_table`); the metrics are :func:`icpkit.evaluate.evaluate_scores`.

Edits are plain JSON so a web page or a script can send them::

    {"op": "points", "attribute": "employees", "bin": 2, "points": 12}   # bin: index|"missing"|"other"
    {"op": "tiers", "A": 70, "B": 45, "C": 20}
    {"op": "remove_segment", "name": "..."}      {"op": "remove_disqualifier", "name": "..."}
    {"op": "add_segment", "name": "...", "rules": "industry in Fintech\\nregion in Europe",
     "points": 10}                                # a hypothesis written as rules
    {"op": "add_disqualifier", "name": "...", "rules": "employees < 10", "cap": 24}
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from .errors import ConfigError, ProfileError
from .evaluate import evaluate_scores
from .explain import pretty_name
from .profile import (
    Attribute,
    CategoricalAttribute,
    Condition,
    Disqualifier,
    NumericAttribute,
    Profile,
    Segment,
    profile_from_dict,
    profile_to_dict,
)
from .scoring import (
    _category_index,
    _category_points,
    _column,
    _Columns,
    _condition,
    _numeric_index,
    numeric_pieces,
    to_arrow,
)

__all__ = [
    "LABEL",
    "WhatIf",
    "apply_edits",
    "contradictions",
    "load_training",
    "parse_rules",
    "rules_text",
]

LABEL = "is_success"  # the label column of the workspace's training rows
_MIN_BIN_ROWS = 30  # a bin with fewer rows says too little to contradict its neighbours
_Z = 2.0  # success rates must differ by two standard errors to count as a contradiction

# ----------------------------------------------------------------------------- rules as text

_RULE = re.compile(
    r"^\s*(?P<attr>[^\s<>=!]+)\s+(?P<op>not in|in|>=|<|between)\s+(?P<rest>.+?)\s*$", re.I
)


def parse_rules(text: str, *, what: str = "rules") -> list[Condition]:
    """Conditions from lines such as ``industry in Fintech, Banking`` or ``employees >= 200``.

    One condition per line (or separated by ``;``); operators: ``in``, ``not in``, ``>=``,
    ``<`` and ``between LOW and HIGH``. Lines starting with ``#`` are comments.
    """
    out: list[Condition] = []
    parts = [p for line in text.splitlines() for p in line.split(";")]
    for n, raw in enumerate(parts, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = _RULE.match(line)
        if m is None:
            raise ConfigError(
                f"cannot read {what} line {n}: {line!r}",
                hint="Write 'attribute in A, B', 'attribute >= 10', 'attribute < 10' or "
                "'attribute between 10 and 50'",
            )
        attr, op, rest = m["attr"], m["op"].lower(), m["rest"]
        try:
            if op in ("in", "not in"):
                values = [v.strip() for v in rest.split(",") if v.strip()]
                out.append(
                    Condition.model_validate({"attribute": attr, op.replace(" ", "_"): values})
                )
            elif op == "between":
                lo, _, hi = rest.lower().partition(" and ")
                out.append(Condition(attribute=attr, ge=float(lo), lt=float(hi)))
            else:
                value = float(rest)
                out.append(Condition(attribute=attr, **{"ge" if op == ">=" else "lt": value}))
        except ValueError as exc:
            raise ConfigError(
                f"cannot read {what} line {n}: {line!r} ({str(exc).splitlines()[0]})",
                hint="Numbers are plain decimals: 'employees >= 200'",
            ) from None
    if not out:
        raise ConfigError(f"the {what} are empty", hint="Write one condition per line")
    return out


def rules_text(conditions: Sequence[Condition]) -> str:
    """The inverse of :func:`parse_rules` (one condition per line)."""
    lines = []
    for c in conditions:
        if c.in_ is not None:
            lines.append(f"{c.attribute} in {', '.join(c.in_)}")
        elif c.not_in is not None:
            lines.append(f"{c.attribute} not in {', '.join(c.not_in)}")
        elif c.ge is not None and c.lt is not None:
            lines.append(f"{c.attribute} between {c.ge:g} and {c.lt:g}")
        elif c.ge is not None:
            lines.append(f"{c.attribute} >= {c.ge:g}")
        else:
            lines.append(f"{c.attribute} < {c.lt:g}")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- edits


def _bin_field(attr: dict[str, Any], which: Any) -> tuple[dict[str, Any], str]:
    if which in ("missing", "other"):
        return attr, f"{which}_points"
    try:
        return attr["bins"][int(which)], "points"
    except (ValueError, TypeError, IndexError):
        raise ConfigError(
            f"attribute {attr['name']!r} has no bin {which!r}",
            hint=f"Use 0..{len(attr['bins']) - 1}, 'missing' or 'other'",
        ) from None


def _named(items: list[dict[str, Any]], name: Any, what: str) -> int:
    for i, item in enumerate(items):
        if item.get("name") == name:
            return i
    raise ConfigError(
        f"no {what} named {name!r}", hint=f"Known: {', '.join(i['name'] for i in items) or 'none'}"
    )


def _apply(data: dict[str, Any], edit: dict[str, Any]) -> None:
    op = edit.get("op")
    if op == "points":
        attrs = data["attributes"]
        attr = attrs[_named(attrs, edit.get("attribute"), "attribute")]
        node, key = _bin_field(attr, edit.get("bin"))
        node[key] = int(edit["points"])
    elif op == "tiers":
        data["tiers"] = {t: int(edit.get(t, data["tiers"][t])) for t in "ABC"}
    elif op in ("remove_segment", "remove_disqualifier"):
        part = "segments" if op == "remove_segment" else "disqualifiers"
        data[part].pop(_named(data[part], edit.get("name"), part[:-1]))
    elif op in ("add_segment", "add_disqualifier"):
        part = "segments" if op == "add_segment" else "disqualifiers"
        name = str(edit.get("name") or "").strip()
        if not name:
            raise ConfigError(f"a new {part[:-1]} needs a name")
        if any(r["name"] == name for r in data[part]):
            raise ConfigError(f"a {part[:-1]} named {name!r} already exists")
        conditions = parse_rules(str(edit.get("rules") or ""), what=f"rules of {name!r}")
        rule: dict[str, Any] = {
            "name": name,
            "conditions": [
                c.model_dump(mode="json", by_alias=True, exclude_none=True) for c in conditions
            ],
        }
        if part == "segments":
            rule["points"] = int(edit.get("points", 0))
        else:
            rule["cap"] = int(edit.get("cap", 24))
        data[part].append(rule)
    else:
        raise ConfigError(
            f"unknown edit {op!r}",
            hint="Use points, tiers, add_segment, remove_segment, add_disqualifier, "
            "remove_disqualifier",
        )


def apply_edits(profile: Profile, edits: Sequence[dict[str, Any]]) -> Profile:
    """A new profile with ``edits`` applied in order; a bad edit raises ConfigError/ProfileError."""
    data = json.loads(json.dumps(profile_to_dict(profile)))
    data.setdefault("segments", [])
    data.setdefault("disqualifiers", [])
    data.setdefault("tiers", profile.tiers.model_dump())
    for i, edit in enumerate(edits):
        if not isinstance(edit, dict):
            raise ConfigError(f"edit {i + 1} is not an object")
        try:
            _apply(data, edit)
        except (KeyError, ValueError, TypeError) as exc:
            if isinstance(exc, ConfigError | ProfileError):
                raise
            raise ConfigError(f"edit {i + 1} ({edit.get('op')}) is incomplete: {exc}") from None
    return profile_from_dict(data)


# ----------------------------------------------------------------------------- the engine


def _layout_key(attr: Attribute) -> str:
    """What decides which bin a row falls in (not the points): edges or value lists."""
    if isinstance(attr, NumericAttribute):
        shape: Any = [[b.lower, b.upper] for b in attr.bins]
    else:
        shape = [b.values for b in attr.bins]
    return json.dumps([attr.name, attr.kind, shape])


def _lut(attr: Attribute) -> np.ndarray:
    """Points by bin index (the index :meth:`WhatIf.codes` returns)."""
    if isinstance(attr, NumericAttribute):
        return np.array([*numeric_pieces(attr).points, attr.missing_points], dtype=np.int32)
    return np.asarray(_category_points(attr), dtype=np.int32)


class WhatIf:
    """Training rows with their outcome, ready to backtest any number of profile edits."""

    def __init__(self, data: Any, y: Any) -> None:
        self.table: pa.Table = to_arrow(data)
        self.y = np.asarray(y, dtype=bool)
        if len(self.y) != self.table.num_rows:
            raise ConfigError(
                f"{len(self.y)} outcomes for {self.table.num_rows} rows: give one per row"
            )
        self._cols = _Columns(self.table)
        self._codes: dict[str, np.ndarray] = {}
        self._masks: dict[str, np.ndarray] = {}
        # The current version is asked again and again: keep its backtest and its tiers.
        self._backtests: dict[str, tuple[dict[str, Any], np.ndarray]] = {}

    @classmethod
    def from_training(cls, table: pa.Table, label: str = LABEL) -> WhatIf:
        """From a table whose ``label`` column says success (true/false)."""
        if label not in table.column_names:
            raise ConfigError(f"the training rows have no {label!r} column")
        y = np.asarray(table.column(label).to_numpy(zero_copy_only=False), dtype=bool)
        return cls(table.drop_columns([label]), y)

    # -- cached pieces

    def codes(self, attr: Attribute) -> np.ndarray:
        """Per row: the bin index of ``attr`` (points are ``_lut(attr)[codes]``)."""
        key = _layout_key(attr)
        if key not in self._codes:
            if isinstance(attr, NumericAttribute):
                idx = _numeric_index(attr, self._cols.number(attr.name))
            else:
                assert isinstance(attr, CategoricalAttribute)
                idx = _category_index(attr, _column(self.table, attr.name))
            self._codes[key] = idx
        return self._codes[key]

    def rule_mask(self, conditions: Sequence[Condition]) -> np.ndarray:
        """Rows where every condition holds (each condition's mask is cached)."""
        mask = np.ones(self.table.num_rows, dtype=bool)
        for c in conditions:
            key = c.model_dump_json(by_alias=True)
            if key not in self._masks:
                self._masks[key] = _condition(c, self._cols)
            mask &= self._masks[key]
        return mask

    # -- scoring and metrics

    def score(self, profile: Profile) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(score int32, tier letters, index of the first matching segment or -1)."""
        n = self.table.num_rows
        raw = np.full(n, profile.intercept, dtype=np.int32)
        for attr in profile.attributes:
            raw += _lut(attr)[self.codes(attr)]
        segment = np.full(n, -1, dtype=np.int32)
        for i, seg in enumerate(profile.segments):
            mask = self.rule_mask(seg.conditions)
            if seg.points:
                raw += np.int32(seg.points) * mask
            segment[mask & (segment < 0)] = i
        score = np.clip(raw, 0, 100)
        for dq in profile.disqualifiers:
            mask = self.rule_mask(dq.conditions)
            score = np.where(mask, np.minimum(score, dq.cap), score)
        t = profile.tiers
        tier = np.select([score >= t.A, score >= t.B, score >= t.C], ["A", "B", "C"], "D")
        return score.astype(np.int32), tier, segment

    def _rule_stats(self, rule: Segment | Disqualifier) -> dict[str, Any]:
        mask = self.rule_mask(rule.conditions)
        rows, wins = int(mask.sum()), int(self.y[mask].sum())
        base = float(self.y.mean()) if len(self.y) else 0.0
        rate = wins / rows if rows else None
        return {
            "name": rule.name,
            "rules": rules_text(rule.conditions),
            "rows": rows,
            "share_of_rows": round(rows / len(self.y), 4) if len(self.y) else 0.0,
            "successes": wins,
            "success_rate": None if rate is None else round(rate, 4),
            "lift": None if rate is None or not base else round(rate / base, 3),
        }

    def backtest(self, profile: Profile) -> dict[str, Any]:
        """The backtest of ``profile`` on these rows: metrics, tier table, rules, contradictions."""
        return self._cached(profile)[0]

    def _cached(self, profile: Profile) -> tuple[dict[str, Any], np.ndarray]:
        key = profile.model_dump_json(exclude={"metrics", "created", "description", "silhouette"})
        if key not in self._backtests:
            if len(self._backtests) >= 8:
                self._backtests.pop(next(iter(self._backtests)))
            self._backtests[key] = self._backtest(profile)
        return self._backtests[key]

    def _backtest(self, profile: Profile) -> tuple[dict[str, Any], np.ndarray]:
        score, tier, _ = self.score(profile)
        out = evaluate_scores(self.y, score, tier)
        out["segments"] = [self._rule_stats(s) for s in profile.segments]
        out["disqualifiers"] = [self._rule_stats(d) for d in profile.disqualifiers]
        out["contradictions"] = contradictions(profile, self)
        return out, tier

    def compare(self, current: Profile, edited: Profile) -> dict[str, Any]:
        """Both backtests side by side, and how many rows change tier."""
        (a, t0), (b, t1) = self._cached(current), self._cached(edited)
        moved = t0 != t1
        return {
            "current": a,
            "edited": b,
            "rows_changing_tier": int(moved.sum()),
            "rows_moving_up": int((t1 < t0).sum()),  # 'A' < 'B': a smaller letter is better
            "delta": {
                "auc": None
                if a["auc"] is None or b["auc"] is None
                else round(b["auc"] - a["auc"], 4),
                "ab_share_of_successes": round(
                    b["ab_share_of_successes"] - a["ab_share_of_successes"], 4
                ),
                "ab_share_of_rows": round(b["ab_share_of_rows"] - a["ab_share_of_rows"], 4),
            },
        }


def _bin_label(attr: Attribute, i: int) -> str:
    if isinstance(attr, NumericAttribute):
        pieces = numeric_pieces(attr)
        if i == len(pieces.points):
            return "missing"
        b = pieces.bins[i]
        return "other" if b < 0 else (attr.bins[b].label or f"bin {b}")
    if i == len(attr.bins):
        return "other"
    if i == len(attr.bins) + 1:
        return "missing"
    return attr.bins[i].label or ", ".join(attr.bins[i].values[:3])


def contradictions(profile: Profile, whatif: WhatIf) -> list[dict[str, Any]]:
    """Bins of one attribute whose points order disagrees with their success-rate order.

    A pair counts when bin *i* earns more points than bin *j* but its success rate on these rows
    is lower by more than two standard errors (so noise in small bins is not flagged); bins with
    fewer than 30 rows are left out.
    """
    y = whatif.y.astype(np.float64)
    out: list[dict[str, Any]] = []
    for attr in profile.attributes:
        codes = whatif.codes(attr)
        lut = _lut(attr)
        rows = np.bincount(codes, minlength=len(lut))
        wins = np.bincount(codes, weights=y, minlength=len(lut))
        # Numeric pieces of one bin share points: merge them by label before comparing.
        groups: dict[str, list[float]] = {}
        for i in range(len(lut)):
            if rows[i] == 0:
                continue
            g = groups.setdefault(_bin_label(attr, i), [float(lut[i]), 0.0, 0.0])
            g[1] += rows[i]
            g[2] += wins[i]
        items = [(k, p, r, w / r) for k, (p, r, w) in groups.items() if r >= _MIN_BIN_ROWS]
        for k1, p1, r1, s1 in items:
            for k2, p2, r2, s2 in items:
                if p1 <= p2 or s1 >= s2:
                    continue
                se = math.sqrt(s1 * (1 - s1) / r1 + s2 * (1 - s2) / r2)
                if s2 - s1 > _Z * max(se, 1e-12):
                    out.append(
                        {
                            "attribute": attr.label or pretty_name(attr.name),
                            "higher_points": k1,
                            "points": int(p1),
                            "success_rate": round(s1, 4),
                            "lower_points": k2,
                            "their_points": int(p2),
                            "their_success_rate": round(s2, 4),
                        }
                    )
    return out


def load_training(workspace: str | Path) -> pa.Table:
    """The training rows (features + ``is_success``) of a workspace's last run, from its cache."""
    ws = Path(workspace)
    found = sorted(
        (ws / ".icp" / "cache").glob("*/training.parquet"), key=lambda p: p.stat().st_mtime
    )
    if not found:
        raise ConfigError(
            "this workspace has no training rows yet", file=str(ws), hint=f"Run `icp run {ws}`"
        )
    return pq.read_table(found[-1])
