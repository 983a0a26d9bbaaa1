"""SQL generation: a profile as one SELECT, for DuckDB, PostgreSQL, Spark, Snowflake, BigQuery, T-SQL.

The query is built as a sqlglot expression tree and rendered per dialect; names and
category values are quoted by sqlglot, so any value is just data. It implements the
semantics in :mod:`icpkit.profile` exactly (see ``NUMBER_PATTERN`` for how text is read
as a number), and is tested against the reference engine on the same rows.

The shape of the query::

    SELECT *, <tier of icp_score> AS icp_tier, <first matching segment> AS icp_segment
    FROM (SELECT *, <score> AS icp_score FROM <table>) AS _icp

When the column types are known (``column_types``, as :mod:`icpkit.indb` reads them from
the database), numbers are compared directly; when they are not, every value is read
through its text form, which works whatever the column type.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import pyarrow as pa
from sqlglot import exp

from .errors import ConfigError
from .profile import Attribute, Condition, NumericAttribute, Profile
from .scoring import NUMBER_PATTERN, numeric_pieces

__all__ = [
    "DIALECTS",
    "NUMBER_PATTERN",
    "ColumnType",
    "column_types_from_arrow",
    "score_query",
    "score_sql",
]

ColumnType = Literal["text", "integer", "float", "boolean", "unknown"]


@dataclass(frozen=True)
class _Dialect:
    """What differs between warehouses, as data (sqlglot renders the rest)."""

    regex: bool  # has a regex match; else TRY_CAST alone decides what is a number
    safe_cast: bool  # TRY_CAST/SAFE_CAST returns NULL on bad text; else the regex guards a CAST
    nan: Literal["isnan", "equals", "none"]  # how to spot NaN in a float column
    bool_test: Literal["native", "bit"]  # `WHEN col` vs `WHEN col = 1` (T-SQL bit columns)


_DIALECTS: dict[str, _Dialect] = {
    "duckdb": _Dialect(regex=True, safe_cast=True, nan="isnan", bool_test="native"),
    # PostgreSQL has no TRY_CAST (sqlglot renders it as CAST, which fails on bad text).
    "postgres": _Dialect(regex=True, safe_cast=False, nan="equals", bool_test="native"),
    # Spark: sqlglot renders TRY_CAST as CAST, which raises under ANSI mode; the regex guards it.
    "spark": _Dialect(regex=True, safe_cast=False, nan="isnan", bool_test="native"),
    "snowflake": _Dialect(regex=True, safe_cast=True, nan="equals", bool_test="native"),
    "bigquery": _Dialect(regex=True, safe_cast=True, nan="isnan", bool_test="native"),
    # T-SQL has no portable regex and no NaN; TRY_CAST alone reads numbers.
    "tsql": _Dialect(regex=False, safe_cast=True, nan="none", bool_test="bit"),
}
DIALECTS: tuple[str, ...] = tuple(_DIALECTS)

_DOUBLE = exp.DataType.build("double")
_TEXT = exp.DataType.build("text")


def _dialect(name: str) -> _Dialect:
    try:
        return _DIALECTS[name]
    except KeyError:
        raise ConfigError(
            f"unknown SQL dialect {name!r}; expected one of: {', '.join(DIALECTS)}"
        ) from None


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


def _str(value: str) -> exp.Expr:
    return exp.Literal.string(value)


def _case(whens: Sequence[tuple[exp.Expr, exp.Expr]], default: exp.Expr | None):
    case = exp.Case()
    for cond, then in whens:
        case = case.when(cond, then)
    return case.else_(default) if default is not None else case


class _Builder:
    """Builds the expressions of one query for one dialect and known column types."""

    def __init__(self, dialect: str, column_types: Mapping[str, ColumnType] | None) -> None:
        self.d = _dialect(dialect)
        self.types = dict(column_types or {})

    def _col(self, name: str) -> exp.Column:
        return exp.column(name, quoted=True)

    def _type(self, name: str) -> ColumnType:
        return self.types.get(name, "unknown")

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

    def text(self, name: str) -> exp.Expr:
        """The value as text; null, NaN and '' become NULL."""
        col, kind = self._col(name), self._type(name)
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
        if kind == "float":
            return _case([(self._is_nan(col), exp.null())], exp.cast(col, _TEXT))
        base = col if kind == "text" else exp.cast(col, _TEXT)
        return exp.Nullif(this=base, expression=_str(""))

    def number(self, name: str) -> tuple[exp.Expr, bool]:
        """The value as a double (NULL when missing) and whether it can be NaN."""
        col, kind = self._col(name), self._type(name)
        if kind in ("integer", "float"):
            return exp.cast(col, _DOUBLE), kind == "float"
        if kind == "boolean":
            whens = [(self._is_true(col, True), _num(1)), (self._is_true(col, False), _num(0))]
            return _case(whens, None), False
        text = col if kind == "text" else exp.cast(col, _TEXT)
        return self._parse(text), False

    def _parse(self, text: exp.Expr) -> exp.Expr:
        """Text to double by NUMBER_PATTERN; 'true'/'false' read as 1/0."""
        trimmed = exp.Trim(this=text.copy())
        if self.d.safe_cast:
            cast: exp.Expr = exp.TryCast(this=trimmed, to=_DOUBLE)
        else:
            cast = exp.cast(trimmed, _DOUBLE)
        whens: list[tuple[exp.Expr, exp.Expr]] = []
        if self.d.regex:
            match = exp.RegexpLike(this=text.copy(), expression=_str(NUMBER_PATTERN))
            whens.append((match, cast))
        else:
            whens.append((exp.Not(this=exp.Is(this=cast.copy(), expression=exp.null())), cast))
        whens += [
            (exp.EQ(this=text.copy(), expression=_str("true")), _num(1)),
            (exp.EQ(this=text.copy(), expression=_str("false")), _num(0)),
        ]
        return _case(whens, None)

    def _missing(self, x: exp.Expr, nan: bool) -> exp.Expr:
        test: exp.Expr = exp.Is(this=x.copy(), expression=exp.null())
        return exp.or_(test, self._is_nan(x.copy())) if nan else test

    def attribute(self, attr: Attribute) -> exp.Expr:
        """Points of one attribute for the row."""
        if isinstance(attr, NumericAttribute):
            x, nan = self.number(attr.name)
            whens = [(self._missing(x, nan), _int(attr.missing_points))]
            pieces = numeric_pieces(attr).merged()
            edges, points = pieces.edges, pieces.points
            # Intervals are contiguous: the first `x < edge` that holds names the interval.
            for edge, pts in zip(edges, points, strict=False):
                whens.append((exp.LT(this=x.copy(), expression=_num(edge)), _int(pts)))
            return _case(whens, _int(points[-1]))
        t = self.text(attr.name)
        whens = [(exp.Is(this=t.copy(), expression=exp.null()), _int(attr.missing_points))]
        for b in attr.bins:
            values = [_str(v) for v in b.values]
            whens.append((exp.In(this=t.copy(), expressions=values), _int(b.points)))
        return _case(whens, _int(attr.other_points))

    def condition(self, cond: Condition) -> exp.Expr:
        """True when the condition holds; NULL or false otherwise (missing never holds)."""
        if cond.is_numeric:
            x, nan = self.number(cond.attribute)
            parts: list[exp.Expr] = [exp.Not(this=exp.Is(this=x.copy(), expression=exp.null()))]
            if nan:
                parts.append(exp.Not(this=self._is_nan(x.copy())))
            if cond.ge is not None:
                parts.append(exp.GTE(this=x.copy(), expression=_num(cond.ge)))
            if cond.lt is not None:
                parts.append(exp.LT(this=x.copy(), expression=_num(cond.lt)))
            return exp.and_(*parts)
        t = self.text(cond.attribute)
        listed = cond.in_ if cond.in_ is not None else cond.not_in
        member = exp.In(this=t.copy(), expressions=[_str(v) for v in listed or []])
        if cond.in_ is not None:
            return member
        present = exp.Not(this=exp.Is(this=t.copy(), expression=exp.null()))
        return exp.and_(present, exp.Not(this=member))

    def rule(self, conditions: Sequence[Condition]) -> exp.Expr:
        return exp.and_(*(exp.paren(self.condition(c), copy=False) for c in conditions))


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


def score_query(
    profile: Profile,
    table: str | exp.Table = "input",
    *,
    dialect: str = "duckdb",
    column_types: Mapping[str, ColumnType] | None = None,
    columns: Sequence[str] | None = None,
) -> exp.Select:
    """The scoring SELECT as a sqlglot tree: input columns + icp_score, icp_tier, icp_segment.

    ``table`` is a name (``schema.table`` allowed; each part is quoted) or a sqlglot Table.
    ``column_types`` maps column names to ``text|integer|float|boolean``; unknown columns are
    read through their text form, which is correct for any type but slower. ``columns``
    lists the input columns to keep (default: all, as ``*``).
    """
    b = _Builder(dialect, column_types)
    raw: exp.Expr = _int(profile.intercept)
    for attr in profile.attributes:
        raw = exp.Add(this=raw, expression=b.attribute(attr))
    for seg in profile.segments:
        if seg.points:
            bonus = _case([(b.rule(seg.conditions), _int(seg.points))], _int(0))
            raw = exp.Add(this=raw, expression=bonus)
    caps = [
        _case([(b.rule(dq.conditions), _int(dq.cap))], _int(100)) for dq in profile.disqualifiers
    ]
    clipped = exp.Greatest(this=_int(0), expressions=[raw], ignore_nulls=True)
    score = exp.Least(this=_int(100), expressions=[clipped, *caps], ignore_nulls=True)
    segment = _case([(b.rule(seg.conditions), _str(seg.name)) for seg in profile.segments], None)
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
    source = _table(table)
    p_inner, p_outer = _persona(b, profile, tier)
    if columns is None:
        inner = exp.select(exp.Star(), score_col, *p_inner).from_(source)
        outer: list[exp.Expr] = [exp.Star(), tier_col, segment_col, *p_outer]
    else:
        keep = [exp.column(c, quoted=True) for c in columns]
        inner = exp.select(*keep, score_col, segment_col, *p_inner).from_(source)
        names = [*(k.copy() for k in keep), s.copy()]
        names += [exp.column("persona_score", quoted=True)] if p_inner else []
        outer = [*names, tier_col, exp.column("icp_segment", quoted=True), *p_outer]
    return exp.select(*outer).from_(exp.alias_(exp.paren(inner), "_icp", quoted=True))


def _persona(
    b: _Builder, profile: Profile, account_tier: exp.Expr
) -> tuple[list[exp.Expr], list[exp.Expr]]:
    """Persona score (inner select) and its tier and the priority (outer); none without one.

    A second points sum over the persona attributes, with the same per-attribute builder.
    """
    persona = profile.persona
    if persona is None or (b.types and not any(c in b.types for c in persona.columns)):
        return [], []  # like the reference engine: a table without people columns has no persona
    raw: exp.Expr = _int(persona.intercept)
    for attr in persona.attributes:
        raw = exp.Add(this=raw, expression=b.attribute(attr))
    clipped = exp.Greatest(this=_int(0), expressions=[raw], ignore_nulls=True)
    score = exp.Least(this=_int(100), expressions=[clipped], ignore_nulls=True)
    p = exp.column("persona_score", quoted=True)
    t = persona.tiers
    cuts = [(t.first, "1"), (t.second, "2"), (t.third, "3")]
    tier = _case(
        [(exp.GTE(this=p.copy(), expression=_int(c)), _str(d)) for c, d in cuts], _str("4")
    )
    priority = exp.Concat(expressions=[account_tier.copy(), tier.copy()])
    return [exp.alias_(score, "persona_score", quoted=True)], [
        exp.alias_(tier, "persona_tier", quoted=True),
        exp.alias_(priority, "icp_priority", quoted=True),
    ]


def score_sql(
    profile: Profile,
    table: str | exp.Table = "input",
    *,
    dialect: str = "duckdb",
    view: str | None = None,
    column_types: Mapping[str, ColumnType] | None = None,
    columns: Sequence[str] | None = None,
    pretty: bool = True,
) -> str:
    """The scoring query as SQL text for ``dialect``; with ``view``, a CREATE VIEW statement."""
    query: exp.Expr = score_query(
        profile, table, dialect=dialect, column_types=column_types, columns=columns
    )
    if view is not None:
        query = exp.Create(this=_table(view), kind="VIEW", expression=query, replace=True)
    return query.sql(dialect=dialect, pretty=pretty)
