"""SQL generation: a profile as one SELECT, for DuckDB, PostgreSQL, Spark, Snowflake, BigQuery, T-SQL.

The query is built as a sqlglot expression tree and rendered per dialect; names are quoted
by sqlglot and text literals are written so that any code point is data (see :func:`_str`).
It implements the semantics in :mod:`icpkit.profile` exactly (see ``NUMBER_PATTERN`` for how
text is read as a number), and is tested against the reference engine on the same rows.

The shape of the query: each input column is read and typed once, then binned by plain
comparisons::

    WITH _icp_typed AS (SELECT *, <employees as a number> AS _icp_employees, ... FROM <table>),
         _icp_points AS (SELECT *, <points sum, clipped, capped> AS icp_score,
                                   <first matching segment> AS icp_segment FROM _icp_typed)
    SELECT * EXCLUDE (_icp_employees, ...), <tier of icp_score> AS icp_tier FROM _icp_points

(PostgreSQL and T-SQL have no ``* EXCLUDE``: there the same steps run in a LATERAL subquery
beside ``<table>.*``.) When the column types are known (``column_types``: ``--type``, the
catalog when scoring in place, or the types a profile recorded at discover time), numbers are
compared as they are; else they are read through their text form, which works whatever the
column type. With ``sources`` (see :class:`icpkit.profile.ColumnSource`) the query reads the
CRM's own columns and normalises their values in SQL (:mod:`icpkit.sqlnorm`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pyarrow as pa
from sqlglot import exp

from .errors import ConfigError
from .profile import Attribute, ColumnSource, Condition, NumericAttribute, Profile
from .scoring import NUMBER_PATTERN, _edge, numeric_pieces
from .sqlnorm import (
    NORMALISED_KINDS,
    Lookup,
    Norm,
    bool_lookup,
    country_lookup,
    industry_lookup,
    not_exact,
    round_count,
)

__all__ = [
    "DIALECTS",
    "NUMBER_PATTERN",
    "ColumnType",
    "ScoreQuery",
    "build_query",
    "column_types_from_arrow",
    "points_sum",
    "render",
    "score_query",
    "score_sql",
]

# "real" is a 32-bit float: compared with edges rounded up to 32 bits, exact and unwidened.
ColumnType = Literal["text", "integer", "float", "real", "boolean", "unknown"]


@dataclass(frozen=True)
class _Dialect:
    """What differs between warehouses, as data (sqlglot renders the rest)."""

    regex: bool  # has a regex match; else TRY_CAST alone decides what is a number
    safe_cast: bool  # TRY_CAST/SAFE_CAST returns NULL on bad text; else the regex guards a CAST
    nan: Literal["isnan", "equals", "none"]  # how to spot NaN in a float column
    bool_test: Literal["native", "bit"]  # `WHEN col` vs `WHEN col = 1` (T-SQL bit columns)
    star_except: bool = False  # SELECT * EXCLUDE/EXCEPT (...) drops the typed helper columns
    regex_g: bool = False  # REGEXP_REPLACE needs the 'g' flag to replace every match
    extract: Literal["function", "match", "none"] = "function"  # how a regex group is read
    nul: bool = True  # text can hold NUL (PostgreSQL's cannot)
    # The cast skips the spaces NUMBER_PATTERN allows around a number, so no TRIM copies the
    # text first (tested on every value shape for DuckDB, PostgreSQL and Spark).
    cast_skips_spaces: bool = False
    # Java's `$` also matches before a final line break ('5\n'): `\z` is the end of the text.
    dollar_is_end: bool = True


_DIALECTS: dict[str, _Dialect] = {
    "duckdb": _Dialect(
        True, True, "isnan", "native", star_except=True, regex_g=True, cast_skips_spaces=True
    ),
    # PostgreSQL has no TRY_CAST (sqlglot renders it as CAST, which fails on bad text).
    "postgres": _Dialect(
        True, False, "equals", "native", extract="match", nul=False, cast_skips_spaces=True
    ),
    # Spark: sqlglot renders TRY_CAST as CAST, which raises under ANSI mode; the regex guards it.
    "spark": _Dialect(
        True,
        False,
        "isnan",
        "native",
        star_except=True,
        cast_skips_spaces=True,
        dollar_is_end=False,
    ),
    "snowflake": _Dialect(True, True, "equals", "native", star_except=True),
    # BigQuery's REGEXP_EXTRACT reads only one group: no value normalisation there.
    "bigquery": _Dialect(True, True, "isnan", "native", star_except=True, extract="none"),
    # T-SQL has no portable regex and no NaN; TRY_CAST alone reads numbers.
    "tsql": _Dialect(False, True, "none", "bit", extract="none"),
}
DIALECTS: tuple[str, ...] = tuple(_DIALECTS)

_DOUBLE = exp.DataType.build("double")
_REAL = exp.DataType.build("float")  # 32 bits: REAL in PostgreSQL and DuckDB, FLOAT in Spark
_TEXT = exp.DataType.build("text")


def _dialect(name: str) -> _Dialect:
    try:
        return _DIALECTS[name]
    except KeyError:
        raise ConfigError(
            f"unknown SQL dialect {name!r}; expected one of: {', '.join(DIALECTS)}"
        ) from None


def java_pattern(pattern: str) -> str:
    """The pattern for Java's regex (Spark): each unescaped `$` as `\\z`, the end of the text
    (Java's `$` also matches before a final line break, which RE2's and PostgreSQL's do not)."""
    return re.sub(r"(?<!\\)\$", lambda _: "\\z", pattern)


def column_types_from_arrow(schema: pa.Schema) -> dict[str, ColumnType]:
    """Map an Arrow schema to the column types the generator understands."""
    out: dict[str, ColumnType] = {}
    for field in schema:
        t = field.type
        if pa.types.is_dictionary(t):
            t = t.value_type
        if pa.types.is_boolean(t):
            out[field.name] = "boolean"
        elif pa.types.is_integer(t):
            out[field.name] = "integer"
        elif pa.types.is_float32(t) or pa.types.is_float16(t):
            out[field.name] = "real"
        elif pa.types.is_floating(t) or pa.types.is_decimal(t):
            out[field.name] = "float"
        elif pa.types.is_string(t) or pa.types.is_large_string(t):
            out[field.name] = "text"
        else:
            out[field.name] = "unknown"
    return out


def _num(value: float) -> exp.Expr:
    """A double literal, exact: CAST('<shortest repr>' AS DOUBLE) in every dialect."""
    return exp.cast(exp.Literal.number(repr(float(value))), _DOUBLE)


def _int(value: int) -> exp.Expr:
    return exp.Literal.number(int(value))


def _unsafe(c: str) -> bool:
    """Characters written as CHR(n): controls (psql cuts a line at NUL) and DEL/C1."""
    o = ord(c)
    return o < 32 or 127 <= o < 160


def _str(value: str) -> exp.Expr:
    """A text literal that stays one literal in every client, for any code point.

    Control characters are concatenated as CHR(n) (never written raw: psql ends a line at
    NUL, and a raw CR or tab is invisible in review); lone surrogates (not text in any
    database) are written as U+FFFD.
    """
    value = "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in value)
    if not any(_unsafe(c) for c in value):
        return exp.Literal.string(value)
    parts: list[exp.Expr] = []
    run = ""
    for c in value:
        if _unsafe(c):
            if run:
                parts.append(exp.Literal.string(run))
                run = ""
            parts.append(exp.Chr(expressions=[exp.Literal.number(ord(c))]))
        else:
            run += c
    if run:
        parts.append(exp.Literal.string(run))
    if len(parts) == 1:
        return parts[0]
    out = parts[0]
    for p in parts[1:]:
        out = exp.DPipe(this=out, expression=p, safe=True)
    return exp.paren(out)


def _case(whens: Sequence[tuple[exp.Expr, exp.Expr]], default: exp.Expr | None) -> exp.Case:
    case = exp.Case()
    for cond, then in whens:
        case = case.when(cond, then)
    return case.else_(default) if default is not None else case


def _is_null(x: exp.Expr) -> exp.Expr:
    return exp.Is(this=x, expression=exp.null())


def _not_null(x: exp.Expr) -> exp.Expr:
    return exp.Not(this=exp.Is(this=x, expression=exp.null()))


class _Builder:
    """Builds one query for one dialect: the typed reads, then points over them."""

    def __init__(
        self,
        dialect: str,
        column_types: Mapping[str, ColumnType] | None,
        sources: Mapping[str, ColumnSource] | None = None,
        qualifier: str | None = None,
        clean_qualifier: str | None = None,
    ) -> None:
        self.name = dialect
        self.d = _dialect(dialect)
        self.types = dict(column_types or {})
        self.sources = dict(sources or {})
        self.qualifier = qualifier  # the table's columns: "_icp_src"."<column>"
        self.clean_qualifier = clean_qualifier  # the clean texts: "<this>"."_icp_text_<column>"
        self.lateral = clean_qualifier != qualifier  # the LATERAL shape (see _lateral)
        self.reads: dict[tuple[str, str], tuple[str, exp.Expr]] = {}  # (column, mode) → helper
        self.cleans: dict[str, tuple[str, exp.Expr]] = {}  # table column → clean text helper
        self.joins: dict[tuple[str, str], tuple[str, Lookup, exp.Expr]] = {}  # lookups to join
        self.norm = Norm(self._like, self._extract, self._replace, _str)
        self.inexact: dict[str, str] = {}  # table column → what SQL cannot normalise there

    # --- dialect pieces ------------------------------------------------------------------

    def _like(self, x: exp.Expr, pattern: str) -> exp.Expr:
        if self.d.extract == "match":  # PostgreSQL spells the word boundary \y
            pattern = pattern.replace("\\b", "\\y")
        if not self.d.dollar_is_end:
            pattern = java_pattern(pattern)
        return exp.RegexpLike(this=x.copy(), expression=_str(pattern))

    def _extract(self, x: exp.Expr, pattern: str, group: int) -> exp.Expr:
        """The regex group's text; NULL when the group did not take part (or is empty)."""
        if self.d.extract == "match":  # PostgreSQL: (REGEXP_MATCH(x, p))[g]
            call = exp.Anonymous(this="REGEXP_MATCH", expressions=[x.copy(), _str(pattern)])
            return exp.Bracket(this=exp.paren(call), expressions=[_int(group - 1)])
        got = exp.RegexpExtract(this=x.copy(), expression=_str(pattern), group=_int(group))
        return exp.Nullif(this=got, expression=_str(""))

    def _replace(self, x: exp.Expr, pattern: str, by: str) -> exp.Expr:
        flags = _str("g") if self.d.regex_g else None
        return exp.RegexpReplace(
            this=x.copy(), expression=_str(pattern), replacement=_str(by), modifiers=flags
        )

    def _is_true(self, col: exp.Expr, value: bool) -> exp.Expr:
        if self.d.bool_test == "bit":
            return exp.EQ(this=col, expression=_int(1 if value else 0))
        return col if value else exp.Not(this=col)

    def _is_nan(self, x: exp.Expr) -> exp.Expr:
        if self.d.nan == "isnan":
            return exp.IsNan(this=x)
        if self.d.nan == "equals":
            return exp.EQ(this=x, expression=exp.cast(_str("NaN"), _DOUBLE))
        return exp.false()

    def _values(self, values: Sequence[str]) -> list[exp.Expr]:
        """Literals for an IN list; values the database cannot hold never match: left out."""
        keep = [
            v
            for v in values
            if (self.d.nul or "\x00" not in v) and not any(0xD800 <= ord(c) <= 0xDFFF for c in v)
        ]
        return [_str(v) for v in keep]

    def _member(self, x: exp.Expr, values: Sequence[str]) -> exp.Expr:
        listed = self._values(values)
        return exp.In(this=x, expressions=listed) if listed else exp.false()

    # --- reading each input column once ----------------------------------------------------

    def source(self, name: str) -> ColumnSource:
        return self.sources.get(name) or ColumnSource(column=name)

    def _col(self, column: str) -> exp.Column:
        return exp.column(column, table=self.qualifier, quoted=True)

    def _helper(self, name: str, mode: str, build: Callable[[], exp.Expr]) -> exp.Expr:
        """The typed column for (name, mode), created on first use: ``_icp_<name>``."""
        key = (name, mode)
        if key not in self.reads:
            taken = {alias for alias, _ in self.reads.values()}
            alias = f"_icp_{name}"
            if alias in taken:
                alias = f"_icp_{name}_{mode}"
            self.reads[key] = (alias, build())
        return exp.column(self.reads[key][0], quoted=True)

    def typed_columns(self) -> list[exp.Expr]:
        return [exp.alias_(e, a, quoted=True) for a, e in self.reads.values()]

    def clean_columns(self) -> list[exp.Expr]:
        return [exp.alias_(e, a, quoted=True) for a, e in self.cleans.values()]

    def helper_names(self) -> list[str]:
        return [a for a, _ in self.cleans.values()] + [a for a, _ in self.reads.values()]

    def _clean(self, column: str, t: exp.Expr, tag: str = "text") -> exp.Expr:
        """The column's text, whitespace collapsed and placeholders NULL: read once.

        ``tag`` 'key' is the industry lookup key (intake's fold of the clean text).
        """
        name = f"{column}\x00{tag}"
        if name not in self.cleans:
            clean = self.norm.clean(t)
            if tag == "key":
                expr = self.norm.industry_key(clean)
            elif tag == "items":
                expr = self.norm.list_has_items(t)
            else:
                expr = clean
            self.cleans[name] = (f"_icp_{tag}_{column}", expr)
        alias = self.cleans[name][0]
        return exp.column(alias, table=self.clean_qualifier, quoted=True)

    def _lookup(self, table: Lookup, column: str, s: exp.Expr) -> exp.Expr:
        """The looked-up value of a clean text: a LEFT JOIN on the VALUES table (unique keys)."""
        key = (table.name, column)
        if key not in self.joins:
            alias = f"{table.name}_{len(self.joins) + 1}"
            self.joins[key] = (alias, table, exp.Lower(this=s))
        return exp.column("value", table=self.joins[key][0], quoted=True)

    def lookup_joins(self, select: exp.Select) -> exp.Select:
        for alias, table, key in self.joins.values():
            on = exp.EQ(this=exp.column("key", table=alias, quoted=True), expression=key.copy())
            target = exp.alias_(_ident(table.name), alias, quoted=True)
            select = select.join(target, on=on, join_type="left")
        return select

    def lookups(self) -> list[Lookup]:
        return list({t.name: t for _, t, _ in self.joins.values()}.values())

    def _normalised(self, name: str) -> ColumnSource | None:
        src = self.source(name)
        if src.kind is None or src.kind not in NORMALISED_KINDS:
            return None
        if self.d.extract == "none":
            self.inexact.setdefault(src.column, f"{self.name} SQL here does not normalise values")
            return None
        note = not_exact(src.kind)
        if note:
            self.inexact.setdefault(src.column, note)
        return src

    def text(self, name: str) -> exp.Expr:
        """The value as text (null, NaN and '' are NULL): a helper column."""
        return self._helper(name, "text", lambda: self._text(name))

    def number(self, name: str) -> tuple[exp.Expr, bool]:
        """The value as a number, and whether it can be NaN (NULL is always missing).

        A float column is compared as it is, against edges of its own width (see
        :meth:`edge`); anything else (integers included: widened once) is read once into
        a helper column.
        """
        src = self.source(name)
        kind = self.types.get(src.column, "unknown")
        if kind in ("float", "real") and self._normalised(name) is None:
            # In the CTE shape the points step reads it through _icp_typed's `*`.
            table = self.qualifier if self.lateral else None
            return exp.column(src.column, table=table, quoted=True), True
        return self._helper(name, "number", lambda: self._number(name)), False

    def edge(self, name: str, value: float) -> exp.Expr:
        """A bin edge for comparing with ``name``: 32-bit columns get the edge rounded up to
        32 bits (``x32 >= e32`` iff ``x >= edge``, as the reference engine does)."""
        src = self.source(name)
        if self.types.get(src.column) == "real" and self._normalised(name) is None:
            e32 = float(_edge(value, np.dtype(np.float32)))
            return exp.cast(exp.Literal.number(repr(e32)), _REAL)
        return _num(value)

    def _missing(self, x: exp.Expr, nan: bool) -> exp.Expr:
        test = _is_null(x.copy())
        return exp.or_(test, self._is_nan(x.copy())) if nan else test

    def _text(self, name: str) -> exp.Expr:
        src = self.source(name)
        col, kind = self._col(src.column), self.types.get(src.column, "unknown")
        norm = self._normalised(name)
        if norm is not None and kind in ("text", "unknown"):
            t = col if kind == "text" else exp.cast(col, _TEXT)
            return self._normalised_text(norm, t)
        if kind == "boolean":
            return _case(
                [
                    (self._is_true(col, True), _str("true")),
                    (self._is_true(col, False), _str("false")),
                ],
                None,
            )
        if kind == "integer":
            return exp.cast(col, _TEXT)
        if kind in ("float", "real"):
            return _case([(self._is_nan(col), exp.null())], exp.cast(col, _TEXT))
        base = col if kind == "text" else exp.cast(col, _TEXT)
        return exp.Nullif(this=base, expression=_str(""))

    def _normalised_text(self, src: ColumnSource, t: exp.Expr) -> exp.Expr:
        s = self._clean(src.column, t)
        if src.kind == "list" and src.item:
            items = self._clean(src.column, t, "items")
            return self.norm.flag_in_list(src.item, t, s, items)
        if src.kind == "country":
            return self._lookup(country_lookup(src.part or "code"), src.column, s)
        if src.kind == "industry":
            key = self._clean(src.column, t, "key")
            listed = self._lookup(industry_lookup(), src.column, key)
            return self.norm.industry(s, key, listed)
        if src.kind == "bool":
            return self._lookup(bool_lookup(), src.column, s)
        return s

    def _number(self, name: str) -> exp.Expr:
        src = self.source(name)
        col, kind = self._col(src.column), self.types.get(src.column, "unknown")
        norm = self._normalised(name)
        if kind in ("integer", "float", "real"):
            x = exp.cast(col, _DOUBLE)
            if norm is not None and norm.kind == "employees":
                return round_count(x)
            if kind != "integer":
                return _case([(self._is_nan(col.copy()), exp.null())], x)
            return x
        if kind == "boolean":
            whens = [(self._is_true(col, True), _num(1)), (self._is_true(col, False), _num(0))]
            return _case(whens, None)
        text = col if kind == "text" else exp.cast(col, _TEXT)
        if norm is not None:
            if norm.kind in ("number", "money", "employees", "year"):
                return self.norm.number(norm.kind, self._clean(norm.column, text))
            flag = self._normalised_text(norm, text)  # a flag read as a number: 1/0
            return _case([(exp.EQ(this=flag, expression=_str("true")), _num(1)),
                          (exp.EQ(this=flag.copy(), expression=_str("false")), _num(0))], None)  # fmt: skip
        return self._parse(text)

    def _parse(self, text: exp.Expr) -> exp.Expr:
        """Text to double by NUMBER_PATTERN; 'true'/'false' read as 1/0."""
        trimmed = text.copy() if self.d.cast_skips_spaces else exp.Trim(this=text.copy())
        if self.d.safe_cast:
            cast: exp.Expr = exp.TryCast(this=trimmed, to=_DOUBLE)
        else:
            cast = exp.cast(trimmed, _DOUBLE)
        whens: list[tuple[exp.Expr, exp.Expr]] = []
        if self.d.regex:
            whens.append((self._like(text, NUMBER_PATTERN), cast))
        else:
            whens.append((_not_null(cast.copy()), cast))
        whens += [
            (exp.EQ(this=text.copy(), expression=_str("true")), _num(1)),
            (exp.EQ(this=text.copy(), expression=_str("false")), _num(0)),
        ]
        return _case(whens, None)

    # --- points over the typed columns ---------------------------------------------------

    def attribute(self, attr: Attribute) -> exp.Expr:
        """Points of one attribute for the row: plain comparisons on its typed column."""
        if isinstance(attr, NumericAttribute):
            x, nan = self.number(attr.name)
            whens = [(self._missing(x, nan), _int(attr.missing_points))]
            pieces = numeric_pieces(attr).merged()
            edges, points = pieces.edges, pieces.points
            # Intervals are contiguous: the first `x < edge` that holds names the interval.
            for edge, pts in zip(edges, points, strict=False):
                limit = self.edge(attr.name, edge)
                whens.append((exp.LT(this=x.copy(), expression=limit), _int(pts)))
            return _case(whens, _int(points[-1]))
        t = self.text(attr.name)
        whens = [(_is_null(t.copy()), _int(attr.missing_points))]
        for b in attr.bins:
            whens.append((self._member(t.copy(), b.values), _int(b.points)))
        return _case(whens, _int(attr.other_points))

    def condition(self, cond: Condition) -> exp.Expr:
        """True when the condition holds; NULL or false otherwise (missing never holds)."""
        if cond.is_numeric:
            x, nan = self.number(cond.attribute)
            parts: list[exp.Expr] = [_not_null(x.copy())]
            if nan:
                parts.append(exp.Not(this=self._is_nan(x.copy())))
            if cond.ge is not None:
                parts.append(exp.GTE(this=x.copy(), expression=self.edge(cond.attribute, cond.ge)))
            if cond.lt is not None:
                parts.append(exp.LT(this=x.copy(), expression=self.edge(cond.attribute, cond.lt)))
            return exp.and_(*parts)
        t = self.text(cond.attribute)
        listed = cond.in_ if cond.in_ is not None else cond.not_in
        member = self._member(t.copy(), listed or [])
        if cond.in_ is not None:
            return member
        return exp.and_(_not_null(t.copy()), exp.Not(this=member))

    def rule(self, conditions: Sequence[Condition]) -> exp.Expr:
        return exp.and_(*(exp.paren(self.condition(c), copy=False) for c in conditions))


def points_sum(builder: _Builder, attributes: Sequence[Attribute], start: int = 0) -> exp.Expr:
    """``start`` + the points of every attribute, over the builder's typed columns.

    One function for every points table (accounts today; people next): each attribute's
    column is read once by the builder however many tables and rules use it.
    """
    total: exp.Expr = _int(start)
    for attr in attributes:
        total = exp.Add(this=total, expression=builder.attribute(attr))
    return total


def _table(table: str | exp.Table) -> exp.Table:
    if isinstance(table, exp.Table):
        return table
    parts = table.split(".")
    if not all(parts):
        raise ConfigError(f"invalid table name {table!r}")
    names = [exp.to_identifier(p, quoted=True) for p in parts]
    return exp.Table(
        this=names[-1],
        db=names[-2] if len(names) > 1 else None,
        catalog=names[-3] if len(names) > 2 else None,
    )


@dataclass
class ScoreQuery:
    """The query as a tree, and what it could not normalise exactly (column → words)."""

    tree: exp.Query
    inexact: dict[str, str]
    columns: list[str]  # the table columns the query reads

    def header(self) -> str:
        """The comment put on top of the query: what to run ``icp normalize`` on first
        ('' when SQL reads every value as ``icp score`` does)."""
        if not self.inexact:
            return ""
        lines = [
            "Generated by icpkit (`icp sql`): an ICP score for every row.",
            "SQL normalises these columns only where it can do so exactly; other shapes "
            "read as missing, so run `icp normalize` first if they occur:",
        ]
        lines += [f"  {col}: {what}" for col, what in self.inexact.items()]
        return "\n".join("-- " + _comment_safe(line) for line in lines)


def _comment_safe(text: str) -> str:
    """A comment line cannot end early: no line breaks or control characters inside."""
    return "".join(" " if _unsafe(c) or c in "\u2028\u2029" else c for c in text)


def build_query(
    profile: Profile,
    table: str | exp.Table = "input",
    *,
    dialect: str = "duckdb",
    column_types: Mapping[str, ColumnType] | None = None,
    columns: Sequence[str] | None = None,
    sources: Mapping[str, ColumnSource] | None = None,
) -> ScoreQuery:
    """The scoring query with its notes; see :func:`score_query`."""
    d = _dialect(dialect)
    lateral = columns is None and not d.star_except
    source = _table(table)
    b = _Builder(
        dialect, column_types, sources, "_icp_src", "_icp_clean" if lateral else "_icp_src"
    )
    raw = points_sum(b, profile.attributes, profile.intercept)
    for seg in profile.segments:
        if seg.points:
            bonus = _case([(b.rule(seg.conditions), _int(seg.points))], _int(0))
            raw = exp.Add(this=raw, expression=bonus)
    caps = [
        _case([(b.rule(dq.conditions), _int(dq.cap))], _int(100)) for dq in profile.disqualifiers
    ]
    clipped = exp.Greatest(this=_int(0), expressions=[raw], ignore_nulls=True)
    score = exp.Least(this=_int(100), expressions=[clipped, *caps], ignore_nulls=True)
    segment: exp.Expr = _case(
        [(b.rule(seg.conditions), _str(seg.name)) for seg in profile.segments], None
    )
    if not profile.segments:
        segment = exp.cast(exp.null(), _TEXT)

    s = exp.column("icp_score", quoted=True)
    tiers = profile.tiers
    tier = _case(
        [
            (exp.GTE(this=s.copy(), expression=_int(tiers.A)), _str("A")),
            (exp.GTE(this=s.copy(), expression=_int(tiers.B)), _str("B")),
            (exp.GTE(this=s.copy(), expression=_int(tiers.C)), _str("C")),
        ],
        _str("D"),
    )
    tier_col = exp.alias_(tier, "icp_tier", quoted=True)
    score_col = exp.alias_(score, "icp_score", quoted=True)
    segment_col = exp.alias_(segment, "icp_segment", quoted=True)
    p_inner, p_outer, p_columns = _persona(b, profile, tier)
    helpers = b.helper_names()
    read = sorted({b.source(c).column for c in [*profile.columns, *p_columns]})
    if lateral:
        tree = _lateral(source, b, score_col, segment_col, tier_col, p_inner, p_outer)
    else:
        src = exp.alias_(source, "_icp_src", quoted=True)
        if b.cleans:  # step 1: each normalised column's text, cleaned once
            clean = exp.select(exp.Star(), *b.clean_columns()).from_(src)
            src = exp.alias_(_ident("_icp_clean"), "_icp_src", quoted=True)
        star = exp.Column(this=exp.Star(), table=exp.to_identifier("_icp_src", quoted=True))
        typed = b.lookup_joins(exp.select(star, *b.typed_columns()).from_(src))
        points = exp.select(exp.Star(), score_col, segment_col, *p_inner).from_(
            _ident("_icp_typed")
        )
        if columns is None:
            drop = [exp.column(h, quoted=True) for h in [*helpers, "icp_segment"]]
            segment_ref = exp.column("icp_segment", quoted=True)
            outer: list[exp.Expr] = [exp.Star(except_=drop), tier_col, segment_ref, *p_outer]
        else:
            keep = [exp.column(c, quoted=True) for c in columns]
            outer = [*keep, s.copy(), tier_col, exp.column("icp_segment", quoted=True)]
            outer += [exp.column("persona_score", quoted=True), *p_outer] if p_inner else []
        tree = exp.select(*outer).from_(_ident("_icp_points"))
        for lookup in b.lookups():
            tree = tree.with_(_ident(lookup.name), as_=_values(lookup))
        if b.cleans:
            tree = tree.with_(_ident("_icp_clean"), as_=clean)
        tree = tree.with_(_ident("_icp_typed"), as_=typed).with_(_ident("_icp_points"), as_=points)
        return ScoreQuery(tree, dict(b.inexact), read)
    for lookup in b.lookups():
        tree = tree.with_(_ident(lookup.name), as_=_values(lookup))
    return ScoreQuery(tree, dict(b.inexact), read)


def _ident(name: str) -> exp.Table:
    return exp.Table(this=exp.to_identifier(name, quoted=True))


def _lateral(
    source: exp.Table,
    b: _Builder,
    score: exp.Expr,
    segment: exp.Expr,
    tier: exp.Expr,
    p_inner: Sequence[exp.Expr] = (),
    p_outer: Sequence[exp.Expr] = (),
) -> exp.Select:
    """<table>.* beside a LATERAL subquery that types, scores and tiers (no * EXCLUDE)."""
    typed = exp.select(*b.typed_columns())
    if b.cleans:
        clean = exp.select(*b.clean_columns())
        typed = typed.from_(exp.alias_(exp.paren(clean), "_icp_clean", quoted=True))
        typed = b.lookup_joins(typed)
    points = exp.select(score, segment, *p_inner).from_(
        exp.alias_(exp.paren(typed), "_icp_typed", quoted=True)
    )
    persona = [exp.column("persona_score", quoted=True)] if p_inner else []
    last = exp.select(
        exp.column("icp_score", quoted=True),
        tier,
        exp.column("icp_segment", quoted=True),
        *persona,
        *p_outer,
    ).from_(exp.alias_(exp.paren(points), "_icp_points", quoted=True))
    alias = exp.TableAlias(this=exp.to_identifier("_icp", quoted=True))
    if b.name == "tsql":  # T-SQL spells LATERAL as CROSS APPLY
        side = exp.Lateral(this=exp.paren(last), alias=alias, cross_apply=True)
        join_type: str | None = None
    else:
        side = exp.Lateral(this=exp.paren(last), alias=alias)
        join_type = "cross"
    src = exp.alias_(source, "_icp_src", quoted=True)
    names = ["icp_score", "icp_tier", "icp_segment"]
    names += ["persona_score", "persona_tier", "icp_priority"] if p_inner else []
    picked = [exp.column(n, table="_icp", quoted=True) for n in names]
    star = exp.Column(this=exp.Star(), table=exp.to_identifier("_icp_src", quoted=True))
    return exp.select(star, *picked).from_(src).join(side, join_type=join_type)


def _values(lookup: Lookup) -> exp.Select:
    """A lookup table as SELECT key, value FROM (VALUES ...): one CTE."""
    rows = [exp.Tuple(expressions=[_str(k), _str(v)]) for k, v in lookup.rows]
    names = [exp.to_identifier("key", quoted=True), exp.to_identifier("value", quoted=True)]
    values = exp.Values(
        expressions=rows, alias=exp.TableAlias(this=exp.to_identifier("v"), columns=names)
    )
    return exp.select(exp.column("key", quoted=True), exp.column("value", quoted=True)).from_(
        values
    )


def score_query(
    profile: Profile,
    table: str | exp.Table = "input",
    *,
    dialect: str = "duckdb",
    column_types: Mapping[str, ColumnType] | None = None,
    columns: Sequence[str] | None = None,
    sources: Mapping[str, ColumnSource] | None = None,
) -> exp.Query:
    """The scoring SELECT as a sqlglot tree: input columns + icp_score, icp_tier, icp_segment.

    ``table`` is a name (``schema.table`` allowed; each part is quoted) or a sqlglot Table.
    ``column_types`` maps column names to ``text|integer|float|boolean``; unknown columns are
    read through their text form, which is correct for any type but slower. ``columns``
    lists the input columns to keep (default: all). ``sources`` maps profile columns to the
    table's own columns and the intake kind to normalise them as.
    """
    return build_query(
        profile, table, dialect=dialect, column_types=column_types, columns=columns,
        sources=sources,
    ).tree  # fmt: skip


def render(query: ScoreQuery, dialect: str, *, view: str | None = None, pretty: bool = True) -> str:
    """SQL text with the header comment; with ``view``, a CREATE VIEW statement."""
    tree: exp.Expr = query.tree
    if view is not None:
        tree = exp.Create(this=_table(view), kind="VIEW", expression=tree, replace=True)
    header = query.header()
    text = tree.sql(dialect=dialect, pretty=pretty)
    return header + "\n" + text if header else text


def _persona(
    b: _Builder, profile: Profile, account_tier: exp.Expr
) -> tuple[list[exp.Expr], list[exp.Expr], list[str]]:
    """Persona score (inner select) and its tier and the priority (outer); none without one.

    A second points sum over the persona attributes, with the same per-attribute builder.
    """
    persona = profile.persona
    if persona is None or (b.types and not any(c in b.types for c in persona.columns)):
        return [], [], []  # like the reference engine: a table without people columns has none
    raw = points_sum(b, persona.attributes, persona.intercept)
    clipped = exp.Greatest(this=_int(0), expressions=[raw], ignore_nulls=True)
    score = exp.Least(this=_int(100), expressions=[clipped], ignore_nulls=True)
    p = exp.column("persona_score", quoted=True)
    t = persona.tiers
    cuts = [(t.first, "1"), (t.second, "2"), (t.third, "3")]
    tier = _case(
        [(exp.GTE(this=p.copy(), expression=_int(c)), _str(d)) for c, d in cuts], _str("4")
    )
    priority = exp.Concat(expressions=[account_tier.copy(), tier.copy()])
    inner = [exp.alias_(score, "persona_score", quoted=True)]
    outer = [
        exp.alias_(tier, "persona_tier", quoted=True),
        exp.alias_(priority, "icp_priority", quoted=True),
    ]
    return inner, outer, persona.columns


def score_sql(
    profile: Profile,
    table: str | exp.Table = "input",
    *,
    dialect: str = "duckdb",
    view: str | None = None,
    column_types: Mapping[str, ColumnType] | None = None,
    columns: Sequence[str] | None = None,
    sources: Mapping[str, ColumnSource] | None = None,
    pretty: bool = True,
    header: bool = False,
) -> str:
    """The scoring query as SQL text for ``dialect``; with ``view``, a CREATE VIEW statement.

    ``header`` puts the comment naming what the SQL cannot normalise exactly on top.
    """
    q = build_query(
        profile, table, dialect=dialect, column_types=column_types, columns=columns,
        sources=sources,
    )  # fmt: skip
    query: exp.Expr = q.tree
    if view is not None:
        query = exp.Create(this=_table(view), kind="VIEW", expression=query, replace=True)
    text = query.sql(dialect=dialect, pretty=pretty)
    return q.header() + "\n" + text if header and q.inexact else text
