"""Small helpers shared by the report builders: sections, numbers in words, rules as text."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from ..profile import Condition, NumericBin

__all__ = [
    "absent",
    "bin_label",
    "condition_text",
    "kv_table",
    "num",
    "pct",
    "records_table",
    "section",
    "table",
]


def section(sid: str, title: str, **parts: Any) -> dict[str, Any]:
    """A report section: paragraphs, tables, charts, quotes and bullets, all optional."""
    out: dict[str, Any] = {"id": sid, "title": title, "available": True, "note": None}
    for key in ("paragraphs", "tables", "charts", "quotes", "bullets"):
        out[key] = [p for p in parts.pop(key, []) if p]
    out.update(parts)
    return out


def absent(sid: str, title: str, why: str) -> dict[str, Any]:
    """A section whose data is missing: it stays in the document and says why in one line."""
    out = section(sid, title)
    out["available"] = False
    out["note"] = " ".join(str(why).split())
    return out


def table(
    columns: list[str], rows: list[list[Any]], caption: str | None = None, **kw: Any
) -> dict[str, Any]:
    return {"columns": columns, "rows": rows, "caption": caption, **kw}


def num(value: Any, digits: int = 0) -> str:
    if value is None:
        return "–"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if v != v:  # NaN
        return "–"
    if abs(v) >= 1e9:
        return f"{v / 1e9:.1f}B"
    if abs(v) >= 1e6:
        return f"{v / 1e6:.1f}M"
    if digits == 0:
        return f"{v:,.0f}" if v.is_integer() or abs(v) >= 100 else f"{v:,.1f}"
    return f"{v:,.{digits}f}"


def pct(value: Any, digits: int = 0) -> str:
    if value is None:
        return "–"
    try:
        return f"{float(value) * 100:.{digits}f}%"
    except (TypeError, ValueError):
        return str(value)


def bin_label(b: Any) -> str:
    from ..explain import flag_words

    if getattr(b, "label", None):
        return flag_words([str(b.label)])[0]
    if isinstance(b, NumericBin):
        if b.lower is not None and b.upper is not None:
            return f"{num(b.lower)} – {num(b.upper)}"
        if b.lower is not None:
            return f"≥ {num(b.lower)}"
        if b.upper is not None:
            return f"< {num(b.upper)}"
        return "any"
    values = flag_words(list(getattr(b, "values", [])))
    shown = ", ".join(values[:4])
    return shown + (f" (+{len(values) - 4} more)" if len(values) > 4 else "")


def condition_text(c: Condition, flags: Collection[str] = ()) -> str:
    """A rule's condition in business words with its exact bounds ('cloud spend 8,030 or more');
    ``flags`` names the 0/1 columns, whose conditions read 'Senior Citizen: yes'."""
    from ..explain import describe_condition

    return describe_condition(c, flags)


def _flat(prefix: str, value: Any, out: list[list[Any]]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flat(f"{prefix}{k}.", v, out)
    elif isinstance(value, list):
        if value and all(not isinstance(v, dict | list) for v in value):
            out.append([prefix.rstrip("."), ", ".join(str(v) for v in value[:8])])
    else:
        out.append([prefix.rstrip("."), value])


def _measure(key: str) -> str:
    """A summary key in words: 'ab_share_of_rows' -> 'A+B share of rows'."""
    words = key.replace("_", " ")
    return "A+B" + words[2:] if words.startswith("ab ") else words


def kv_table(
    summary: dict[str, Any], caption: str | None = None, limit: int = 14
) -> dict[str, Any] | None:
    """A summary dict (nested) as a two-column table of its scalar values."""
    rows: list[list[Any]] = []
    _flat("", summary, rows)
    rows = [[_measure(k), _show(v)] for k, v in rows if v is not None][:limit]
    return table(["measure", "value"], rows, caption) if rows else None


def _show(v: Any) -> str:
    if isinstance(v, float):
        return pct(v, 1) if 0 < abs(v) < 1 else num(v, 2)
    if isinstance(v, int) and not isinstance(v, bool):
        return num(v)
    return str(v)


def records_table(
    rows: list[dict[str, Any]], caption: str | None = None, limit: int = 12, max_cols: int = 8
) -> dict[str, Any] | None:
    """The head of an analytics table as a report table."""
    if not rows:
        return None
    columns = list(rows[0])[:max_cols]
    body = [
        [_show(r.get(c)) if r.get(c) is not None else "–" for c in columns] for r in rows[:limit]
    ]
    note = f"first {limit} of {len(rows)} rows" if len(rows) > limit else None
    return table([c.replace("_", " ") for c in columns], body, caption, note=note)
