"""load(): read a source, recognise it, map it to the canonical schema, normalise values.

The pipeline is read -> recognise -> apply the user's mapping -> normalise each
mapped column with the normaliser of its kind -> type-infer the custom columns ->
assemble one Arrow table and a plain-dict report. Nothing is dropped: a value
that cannot be read becomes missing and is counted, with examples and the first
file row, in ``report["coercions"]``.
"""

from __future__ import annotations

import copy
import math
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import ConfigError, IcpError, ReadError, SchemaError, ValueParseError, closest
from ..schema import TABLES
from ._arrow import table_warnings
from ._content import value_suggestions
from ._custom import already_normalised, cast_like, custom_coercion, infer_custom
from ._quarantine import DEFAULT_MAX_REJECTS, Reject, table_rejects
from ._readers import DEFAULT_BATCH_SIZE, iter_batches, read_with_info
from ._recognize import (
    Match,
    Recognition,
    allowed_columns,
    check_kind,
    normalize_name,
    recognize,
    vocabulary,
)
from ._report import build_report, file_row_offset, row_numbers
from ._sniff import SourceInfo, is_sql_url, sniff
from ._sql import redact
from .normalizers import normalize

__all__ = ["Loaded", "load", "load_batches", "require"]

CUSTOM = frozenset({"", "-", "none", "custom"})


@dataclass
class Loaded:
    """A loaded table: canonical columns + custom attributes, and what happened."""

    table: pa.Table
    recognition: Recognition
    report: dict[str, Any]
    original: pa.Table
    info: SourceInfo
    column_origin: dict[str, str] = field(default_factory=dict)
    rejects: list[Reject] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return self.recognition.kind

    def to_pandas(self) -> pd.DataFrame:
        return self.table.to_pandas()


# ---------------------------------------------------------------- mapping overrides


def apply_mapping(rec: Recognition, mapping: Mapping[str, str | None] | None) -> Recognition:
    """The recognition with the user's overrides; SchemaError for names that do not exist."""
    if not mapping:
        return rec
    originals = [m.original for m in rec.matches]
    allowed = allowed_columns(rec.kind)
    forced: dict[str, str | None] = {}
    for col, target in mapping.items():
        if col not in originals:
            raise SchemaError(
                f"the mapping names a column that is not in the table: {col!r}",
                column=col,
                hint=_did_you_mean(col, originals),
            )
        if target is None or str(target).strip().lower() in CUSTOM:
            forced[col] = None
            continue
        if target not in allowed:
            raise SchemaError(
                f"{target!r} is not a canonical column of {rec.kind}",
                column=col,
                hint=_did_you_mean(target, list(allowed)) or f"Columns: {', '.join(allowed)}",
            )
        forced[col] = target
    taken = {t for t in forced.values() if t is not None}
    matches, warnings = [], list(rec.warnings)
    for m in rec.matches:
        if m.original in forced:
            target = forced[m.original]
            reason = "user mapping" if target else "custom attribute (user mapping)"
            matches.append(Match(m.original, target, 1.0 if target else 0.0, reason))
        elif m.canonical in taken:
            warnings.append(f"{m.original!r} was {m.canonical!r}; the user mapping took that name")
            matches.append(Match(m.original, None, 0.0, "custom attribute (user mapping)"))
        else:
            matches.append(m)
    return Recognition(
        rec.system, rec.kind, tuple(matches), rec.scores, rec.suggestions, tuple(warnings)
    )


def _did_you_mean(name: str, choices: list[str]) -> str | None:
    match = closest(name, choices)
    if match is None:
        by_norm = {normalize_name(c): c for c in choices}
        near = closest(normalize_name(name), list(by_norm))
        match = by_norm[near] if near else None
    return f"Did you mean {match!r}?" if match else None


# ---------------------------------------------------------------- assembling


def _to_arrow(series: pd.Series) -> pa.Array:
    array = pa.array(series, from_pandas=True)
    if pa.types.is_large_string(array.type):
        array = array.cast(pa.string())
    return array


def _normalise(
    raw: pa.Table, rec: Recognition, row_offset: int
) -> tuple[dict[str, pa.Array], dict[str, str], list[dict[str, Any]], list[str]]:
    """Run each mapped column through its normaliser; returns columns, origins, coercions."""
    kinds = allowed_columns(rec.kind)
    out: dict[str, pa.Array] = {}
    origin: dict[str, str] = {}
    coercions: list[dict[str, Any]] = []
    warnings: list[str] = []
    order = {name: i for i, name in enumerate(kinds)}
    mapped = sorted(rec.mapped.items(), key=lambda kv: order[kv[1]])
    for original, canonical in mapped:
        columns, coercion = _normalise_column(
            raw, original, canonical, kinds[canonical], row_offset
        )
        for name, values in columns:
            if name in out and name != canonical:
                warnings.append(
                    f"{original!r} also gives {name!r}, which another column already set; kept"
                    " the first"
                )
                continue
            out[name] = values
            origin[name] = original
        coercions.append(coercion)
    return out, origin, coercions, warnings


_Column = tuple[list[tuple[str, pa.Array]], dict[str, Any]]

#: One-row columns normalised before, by (column, kind, type, value, ...): a service scores
#: one lead at a time, and normalising one value costs the fixed pandas work of a column.
_ONE_ROW: dict[tuple[Any, ...], _Column] = {}
_ONE_ROW_MAX = 100_000


def _normalise_column(
    raw: pa.Table, original: str, canonical: str, kind: str, row_offset: int
) -> _Column:
    """One column through its normaliser: the arrays it gives, and its coercion entry.

    A one-row column is answered from a bounded memo of earlier one-row answers: the
    normalisers are pure functions of the column's values and type, so the answer is
    the one normalising would give (the entry is copied: callers edit it).
    """
    column = raw.column(original)
    key: tuple[Any, ...] | None = None
    if len(column) == 1:
        value = column[0].as_py()
        # Text as it is; anything else by its type and repr (0.0 == -0.0 == False as keys).
        held = value if type(value) is str else (type(value).__name__, repr(value))
        key = (original, canonical, kind, str(column.type), held, row_offset)
        key += (normalize, _normalizers_fast())
        hit = _ONE_ROW.get(key)
        if hit is not None:
            return list(hit[0]), copy.deepcopy(hit[1])
    if key is not None and kind in _SCALAR and pa.types.is_string(column.type):
        scalar = _one_value(original, canonical, kind, column[0].as_py(), row_offset)
        _ONE_ROW[key] = (scalar[0], copy.deepcopy(scalar[1]))
        return list(scalar[0]), scalar[1]
    series = column.to_pandas()
    try:
        result = normalize(kind, series, canonical)
    except IcpError as exc:
        exc.add_note(f"while normalising column {original!r} as {canonical}")
        raise
    columns = [(name, _to_arrow(values)) for name, values in result.columns.items()]
    coercion = _coercion(original, canonical, series, result, row_offset)
    if key is not None:
        if len(_ONE_ROW) >= _ONE_ROW_MAX:
            _ONE_ROW.clear()
        _ONE_ROW[key] = (columns, copy.deepcopy(coercion))
    return columns, coercion


#: Kinds whose normaliser is one parse per distinct value: numbers (plus a label), text.
_SCALAR = ("number", "employees", "money", "id", "text", "category")


def _one_value(
    original: str, canonical: str, kind: str, value: str | None, row_offset: int
) -> _Column:
    """A one-row text column of a ``_SCALAR`` kind normalised without pandas: what
    ``map_unique`` does for its one distinct value (the fast paths answer exactly as the
    parser does), typed as ``floats``/``typed(..., "str")`` and ``_to_arrow`` type it."""
    from .normalizers import _base, output_columns
    from .normalizers.employees import parse_employees
    from .normalizers.money import parse_money
    from .normalizers.numbers import parse_number

    names = output_columns(kind, canonical)
    if kind in ("id", "text", "category"):
        # _text: text as it is, stripped; categories with inner spaces collapsed too.
        label = None
        held: dict[str, int] = {}
        if value is not None:
            text = _base.clean_text(value)
            if _base.is_placeholder(text):
                if text:
                    held[text] = 1
            else:
                label = text if kind == "category" else value.strip()
        coercion: dict[str, Any] = {
            "column": original,
            "canonical": canonical,
            "missing_before": int(value is None),
            "became_missing": 0,
            "reasons": {},
            "examples": [],
            "first_row": None,
            "placeholders": dict(held),
            "notes": _base.placeholder_notes(held),
        }
        return [(names[0], pa.array([label], pa.string()))], coercion
    parse = {"number": parse_number, "employees": parse_employees, "money": parse_money}[kind]
    outputs: tuple[Any, ...] = (None,) * len(names)
    problem: str | None = None
    placeholders: dict[str, int] = {}
    if value is not None:
        text = _base.clean_text(value)
        if _base.is_placeholder(text):
            if text:
                placeholders[text] = 1
        else:
            outputs, problem = parse(text)
    number = None if outputs[0] is None else float(outputs[0])
    if number is not None and math.isnan(number):
        number = None
    arrays = [(names[0], pa.array([number], pa.float64()))]
    if kind != "number":
        label = None if outputs[1] is None else str(outputs[1])
        arrays.append((names[1], pa.array([label], pa.string())))
    coercion = {
        "column": original,
        "canonical": canonical,
        "missing_before": int(value is None),
        "became_missing": int(problem is not None),
        "reasons": {} if problem is None else {str(problem): 1},
        "examples": [] if problem is None else [str(value)],
        "first_row": None if problem is None else row_offset,
        "placeholders": dict(placeholders),
        "notes": _base.placeholder_notes(placeholders),
    }
    return arrays, coercion


def _normalizers_fast() -> bool:
    from .normalizers import _base

    return bool(_base.FAST)


def _coercion(
    original: str, canonical: str, series: pd.Series, result: Any, row_offset: int
) -> dict[str, Any]:
    problems = result.problems
    bad = problems.notna().to_numpy()
    entry: dict[str, Any] = {
        "column": original,
        "canonical": canonical,
        "missing_before": int(series.isna().sum()),
        "became_missing": int(bad.sum()),
        "reasons": {},
        "examples": [],
        "first_row": None,
        "placeholders": dict(getattr(result, "placeholders", {}) or {}),
        "notes": list(getattr(result, "notes", []) or []),
    }
    if bad.any():
        entry["reasons"] = {str(k): int(v) for k, v in problems[bad].value_counts().items()}
        entry["examples"] = [str(v) for v in pd.unique(series[bad])[:5]]
        entry["first_row"] = int(bad.argmax()) + row_offset
    return entry


def _assemble(
    raw: pa.Table, rec: Recognition, row_offset: int, *, infer: bool = True
) -> tuple[pa.Table, dict[str, str], list[dict[str, Any]], list[str]]:
    """Normalised canonical columns, then the custom ones (typed when ``infer``)."""
    columns, origin, coercions, warnings = _normalise(raw, rec, row_offset)
    already: list[str] = []
    for original in rec.custom:
        name = original
        if name in columns and already_normalised(raw, rec, columns, origin, name):
            # The input is an earlier normalisation's output: its derived column
            # (industry_original, a currency) knows more than re-deriving it can.
            columns[name] = cast_like(raw.column(original), columns[name])
            origin[name] = original
            already.append(original)
            continue
        if name in columns:
            name = f"{original}_custom"
            warnings.append(
                f"custom column {original!r} renamed to {name!r}: {original!r} is produced by"
                f" normalising {origin[original]!r}"
            )
        if not infer:
            columns[name], origin[name] = raw.column(original), original
            continue
        typed, holders = infer_custom(raw.column(original))
        columns[name] = typed
        origin[name] = original
        if holders:
            coercions.append(custom_coercion(original, raw.column(original), holders, row_offset))
    if already:
        shown = ", ".join(already[:4]) + (", ..." if len(already) > 4 else "")
        warnings.append(
            f"the input is already normalised: kept its derived column(s) {shown} as given"
        )
    table = pa.table(columns) if columns else pa.table({})
    return table, origin, coercions, warnings


# ---------------------------------------------------------------- public


def _name_hint(source: str | os.PathLike[str], table: str | None) -> str | None:
    if table:
        return table
    return None if is_sql_url(source) else Path(source).stem


def load(
    source: str | os.PathLike[str],
    *,
    kind: str | None = None,
    mapping: Mapping[str, str | None] | None = None,
    table: str | None = None,
    query: str | None = None,
    sheet: str | int | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    strict: bool = False,
    limit: int | None = None,
    scale: Mapping[str, float] | None = None,
    max_rejects: float = DEFAULT_MAX_REJECTS,
) -> Loaded:
    """Read ``source`` and return it with canonical column names and normalised values.

    ``kind`` forces the table kind; ``mapping`` overrides the recognised mapping
    ({"Their Col": "employees"}; None or "-" keeps a column as a custom attribute).
    ``strict`` turns the first value that cannot be read into a ValueParseError
    (file, row, column, value) instead of a missing value in the coercion summary.
    ``limit`` reads only the first rows (streamed, so a huge file is not read
    whole): for a quick look at a big export. ``scale`` multiplies numeric
    columns after normalising ({"annual_revenue": 1e6} for revenue in $M).
    Rows the reader cannot parse are set aside and listed in ``report["rejects"]``;
    more than ``max_rejects`` of them (a share of all rows, default 1%) is a ReadError.
    """
    if kind is not None:
        check_kind(kind)
    opts: dict[str, Any] = {"table": table, "query": query, "sheet": sheet}
    if limit is None:
        raw, info = read_with_info(
            source,
            **opts,
            encoding=encoding,
            delimiter=delimiter,
            max_rejects=max_rejects,
            kind=kind,
        )
    else:
        raw, info = _read_head(source, limit, opts, encoding, delimiter)
    hint = _name_hint(source, table)
    loaded = load_table(
        raw, info=info, kind=kind, mapping=mapping, name_hint=hint, strict=strict, scale=scale
    )
    if limit is not None:
        loaded.report["sampled"] = limit
        loaded.report["warnings"].insert(0, f"read only the first {raw.num_rows:,} rows (limit)")
    return loaded


def _read_head(
    source: str | os.PathLike[str],
    limit: int,
    opts: dict[str, Any],
    encoding: str | None,
    delimiter: str | None,
) -> tuple[pa.Table, SourceInfo]:
    if limit < 1:
        raise ConfigError(f"limit must be an int >= 1. Got {limit!r} instead")
    info = sniff(source, encoding=encoding, delimiter=delimiter)
    batches, rows = [], 0
    size = min(limit, DEFAULT_BATCH_SIZE)
    for batch in iter_batches(
        source, batch_size=size, encoding=encoding, delimiter=delimiter, **opts
    ):
        batches.append(batch.slice(0, limit - rows))
        rows += batches[-1].num_rows
        if rows >= limit:
            break
    if not batches:
        raise ReadError("no data rows", file=redact(info.source))
    return pa.Table.from_batches(batches), info


def load_table(
    raw: pa.Table,
    *,
    info: SourceInfo | None = None,
    kind: str | None = None,
    mapping: Mapping[str, str | None] | None = None,
    name_hint: str | None = None,
    strict: bool = False,
    scale: Mapping[str, float] | None = None,
) -> Loaded:
    """:func:`load` for a table already in memory (e.g. from ``icpkit.synth.make_world``)."""
    info = info or SourceInfo(source="<table>", format="arrow")
    rec = apply_mapping(recognize(raw.column_names, kind=kind, name_hint=name_hint), mapping)
    table, origin, coercions, warnings = _assemble(raw, rec, 0)
    table, scaled = apply_scale(table, scale)
    warnings += scaled
    row_of = row_numbers(raw, info)
    for entry in coercions:  # record indices -> the rows a person sees in the file
        if entry["first_row"] is not None:
            entry["first_row"] = row_of(entry["first_row"])
    if strict:
        _fail_on_first_problem(coercions, info)
    all_warnings = table_warnings(raw) + list(rec.warnings) + warnings
    rejects = table_rejects(raw)
    if rejects:
        all_warnings.insert(
            0,
            f"set aside {len(rejects):,} row(s) that could not be read (first: row"
            f" {rejects[0].row}, {rejects[0].reason})",
        )
    report = build_report(info, rec, raw, table, origin, coercions, all_warnings)
    report["rejects"] = {
        "count": len(rejects),
        "rows": [r.to_dict() for r in rejects[:20]],
    }
    _add_value_suggestions(report, raw, rec)
    return Loaded(table, rec, report, raw, info, origin, rejects)


def apply_scale(table: pa.Table, scale: Mapping[str, float] | None) -> tuple[pa.Table, list[str]]:
    """Multiply numeric output columns (revenue given in millions: {"annual_revenue": 1e6})."""
    notes = []
    for name, factor in (scale or {}).items():
        if name not in table.column_names:
            raise SchemaError(
                f"cannot scale {name!r}: no such column after loading",
                column=name,
                hint=_did_you_mean(name, table.column_names),
            )
        column = table.column(name)
        if not (pa.types.is_floating(column.type) or pa.types.is_integer(column.type)):
            raise ConfigError(f"cannot scale {name!r}: it holds {column.type}, not numbers")
        scaled = pc.multiply(column.cast(pa.float64()), float(factor))
        table = table.set_column(table.column_names.index(name), name, scaled)
        shown = f"{factor:,.0f}" if float(factor).is_integer() else f"{factor:g}"
        notes.append(f"{name} multiplied by {shown} (scale)")
    return table, notes


def _add_value_suggestions(report: dict[str, Any], raw: pa.Table, rec: Recognition) -> None:
    unsuggested = [c for c in rec.custom if c not in rec.suggestions]
    taken = set(rec.mapped.values()) | set(rec.suggestions.values())
    found = value_suggestions(raw, unsuggested, set(allowed_columns(rec.kind)), taken)
    for column, canonical in found.items():
        report["suggestions"][column] = canonical
        report["suggestion_reasons"][column] = f"values look like {canonical}"


def _fail_on_first_problem(coercions: list[dict[str, Any]], info: SourceInfo) -> None:
    bad = [c for c in coercions if c["canonical"] and c["first_row"] is not None]
    if not bad:
        return
    first = min(bad, key=lambda c: c["first_row"])
    reason = next(iter(first["reasons"]), "cannot be read")
    more = sum(c["became_missing"] for c in bad) - 1
    raise ValueParseError(
        f"cannot read the value as {first['canonical']}: {reason}",
        file=redact(info.source),
        row=first["first_row"],
        column=first["column"],
        value=first["examples"][0] if first["examples"] else None,
        hint=f"{more} more value(s) cannot be read; run without --strict to see them all"
        if more
        else None,
    )


def require(loaded: Loaded, columns: list[str] | tuple[str, ...]) -> None:
    """SchemaError naming the first missing canonical column and the closest original."""
    present = set(loaded.table.column_names)
    for col in columns:
        if col in present:
            continue
        raise SchemaError(
            f"missing required column {col!r} for a {loaded.kind} table",
            file=redact(loaded.info.source),
            column=col,
            hint=_require_hint(loaded, col),
        )


def _require_hint(loaded: Loaded, col: str) -> str:
    custom = loaded.recognition.custom
    for original in custom:  # a column another kind would call `col`
        for kind in TABLES:
            hits = vocabulary(kind).get(normalize_name(original))
            if hits and hits[0].canonical == col:
                return f"Did you mean {original!r}? Pass --map '{original}={col}'"
    by_norm = {normalize_name(c): c for c in custom}
    near = closest(normalize_name(col), list(by_norm), cutoff=0.5)
    match = closest(col, custom, cutoff=0.4) if near is None else by_norm[near]
    if match:
        return f"Did you mean {match!r}? Pass --map '{match}={col}'"
    return f"Map a column to it with --map 'Column={col}'"


def load_batches(
    source: str | os.PathLike[str],
    *,
    kind: str | None = None,
    mapping: Mapping[str, str | None] | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    table: str | None = None,
    query: str | None = None,
    sheet: str | int | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    rejects: list[Reject] | None = None,
) -> Iterator[pa.RecordBatch]:
    """Stream ``source`` as normalised record batches with one schema.

    The mapping and the output schema are decided on the first batch, and every
    later batch is cast to that schema. So that a type chosen on the first batch
    can never fail on a later one, custom attributes stay as read (CSV: text). A list
    column (technologies) is scanned once before streaming, so every technology in
    the file has its ``tech_<slug>`` flag in every batch. Use :func:`load` for the
    full report; this is for inputs too big for memory. With ``rejects`` (a list),
    CSV rows that cannot be parsed are collected there instead of stopping the stream.
    """
    if kind is not None:
        check_kind(kind)
    info = sniff(source, encoding=encoding, delimiter=delimiter)
    offset = file_row_offset(info)
    rec: Recognition | None = None
    schema: pa.Schema | None = None
    opts: dict[str, Any] = {"table": table, "query": query, "sheet": sheet}
    opts |= {"encoding": encoding, "delimiter": delimiter, "batch_size": batch_size}
    lists: dict[str, str] = {}
    for batch in iter_batches(source, **opts, rejects=rejects):
        raw = pa.Table.from_batches([batch])
        if rec is None:
            hint = _name_hint(source, table)
            rec = apply_mapping(recognize(raw.column_names, kind=kind, name_hint=hint), mapping)
            lists = _list_columns(rec)
        out, _, _, _ = _assemble(raw, rec, offset, infer=False)
        offset += raw.num_rows
        if schema is None:
            schema = _with_flags(out.schema, _scan_flags(source, opts, lists))
        yield from _conform(out, schema, lists).to_batches()


def _list_columns(rec: Recognition) -> dict[str, str]:
    """Original column -> the prefix of its flag columns, for every list column."""
    kinds = allowed_columns(rec.kind)
    return {
        original: "tech" if canonical == "technologies" else canonical
        for original, canonical in rec.mapped.items()
        if kinds[canonical] == "list"
    }


def _scan_flags(
    source: str | os.PathLike[str], opts: dict[str, Any], lists: dict[str, str]
) -> list[str]:
    """Every flag column the list columns give over the whole source (one extra pass)."""
    from .normalizers.lists import slugify, split_items

    if not lists:
        return []
    seen: set[str] = set()
    for batch in iter_batches(source, **opts):
        for original, prefix in lists.items():
            if original not in batch.schema.names:
                continue
            for value in pc.unique(batch.column(original)).to_pylist():
                if isinstance(value, str):
                    seen.update(f"{prefix}_{slugify(i)}" for i in split_items(value))
    return sorted(n for n in seen if not n.endswith("_"))


def _with_flags(schema: pa.Schema, flags: list[str]) -> pa.Schema:
    for name in flags:
        if name not in schema.names:
            schema = schema.append(pa.field(name, pa.bool_()))
    return schema


def _conform(data: pa.Table, schema: pa.Schema, lists: dict[str, str] | None = None) -> pa.Table:
    prefixes = {f"{p}_": ("technologies" if p == "tech" else p) for p in (lists or {}).values()}
    arrays = []
    for fld in schema:
        if fld.name not in data.column_names:
            arrays.append(_absent(data, fld, prefixes))
            continue
        column = data.column(fld.name)
        if column.type != fld.type:
            column = _cast_or_text(column, fld.type)
        arrays.append(column)
    return pa.Table.from_arrays(arrays, schema=schema)


def _absent(data: pa.Table, fld: pa.Field, prefixes: dict[str, str]) -> Any:
    """A column this batch lacks: a list flag is False where the list is known (the
    item is not in it) and missing where the list is; anything else is missing."""
    source = next((c for p, c in prefixes.items() if fld.name.startswith(p)), None)
    if pa.types.is_boolean(fld.type) and source in data.column_names:
        known = pc.is_valid(data.column(source))
        return pc.if_else(known, False, pa.scalar(None, pa.bool_()))
    return pa.nulls(data.num_rows, type=fld.type)


def _cast_or_text(column: pa.ChunkedArray, target: pa.DataType) -> pa.ChunkedArray:
    try:
        return column.cast(target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        if pa.types.is_string(target):
            return column.cast(pa.string(), safe=False)
        raise SchemaError(
            f"a later batch of {column.type} values does not fit the first batch's {target};"
            " load without streaming"
        ) from None
