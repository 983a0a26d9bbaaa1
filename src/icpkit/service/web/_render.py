"""Jinja for the workbench: the report's filters and charts, so pages and the document agree."""

from __future__ import annotations

import functools
from typing import Any

import jinja2
from markupsafe import Markup

from ...explain import pretty_name
from ...profile import NumericAttribute, Profile
from ...report._charts import render_chart
from ...report._render import _inline
from ...report._util import num, pct

__all__ = ["render", "whatif_fragment"]


def _bin_text(attr: Any, i: int) -> str:
    b = attr.bins[i]
    if b.label:
        return str(b.label)
    if isinstance(attr, NumericAttribute):
        lo = "" if b.lower is None else num(b.lower)
        hi = "" if b.upper is None else num(b.upper)
        return f"{lo} to under {hi}" if lo and hi else (f"{lo} or more" if lo else f"under {hi}")
    if b.values in (["true"], ["false"]):
        return "yes" if b.values == ["true"] else "no"
    return ", ".join(b.values)


def _value(v: Any, name: str = "") -> str:
    """A cell value as a person reads it: 799 not 799.0, yes/no not True/False, 2010 not 2,010."""
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int | float) and "year" in name and float(v).is_integer():
        return str(int(v))
    if isinstance(v, int | float):
        return num(v)
    return str(v)


def _attr_name(attr: Any) -> str:
    return str(attr.label or pretty_name(attr.name))


@functools.cache
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("icpkit.service.web", "templates"),
        autoescape=True,
        undefined=jinja2.ChainableUndefined,
    )
    env.filters["svg"] = lambda chart: Markup(render_chart(chart))
    env.filters["inline"] = _inline
    env.filters["num"] = num
    env.filters["pct"] = lambda v, d=0: pct(v, d)
    env.globals["bin_text"] = _bin_text
    env.filters["value"] = _value
    env.filters["attr_name"] = _attr_name
    env.filters["words"] = pretty_name
    return env


def render(name: str, **ctx: Any) -> str:
    return _env().get_template(name).render(**ctx)


def _tier_chart(result: dict[str, Any]) -> dict[str, Any]:
    """Share of successes per tier, current beside edited: one stacked bar each."""
    rows = []
    for key, label in (("current", "Current version"), ("edited", "With your edits")):
        parts = [(t["tier"], round(100 * t["share_of_successes"], 1)) for t in result[key]["tiers"]]
        rows.append({"label": label, "parts": parts})
    return {
        "id": "whatif-tiers",
        "type": "stacked",
        "title": "Where the successes land, by tier (% of successes)",
        "rows": rows,
    }


def whatif_fragment(result: dict[str, Any], edited: Profile) -> str:
    return render("_whatif.html.j2", r=result, chart=_tier_chart(result), edited=edited)
