"""The query builder: each input column read and typed once, then points by plain comparisons.

One :class:`_Builder` per query and dialect. It creates a helper column the first time an
attribute, segment rule or disqualifier needs a column as text or as a number, and every
later use compares that helper; :func:`points_sum` adds up the points of any list of
attributes over it. Text is read as a number by ``NUMBER_PATTERN`` (see :meth:`_Builder._parse`);
in DuckDB by one TRY_CAST, the comparisons checking what it reads beyond the pattern
(see :meth:`_Builder.number`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from sqlglot import exp

from .profile import Attribute, ColumnSource, Condition, NumericAttribute
from .scoring import NUMBER_PATTERN, SPACES, _edge, numeric_pieces
from .sqldialect import (
    _DOUBLE,
    _REAL,
    _TEXT,
    ColumnType,
    _case,
    _dialect,
    _ident,
    _int,
    _is_null,
    _not_null,
    _num,
    _str,
    java_pattern,
)
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

__all__ = ["points_sum"]

# The texts read as numbers besides the number pattern (the reference engine's rule).
_WORDS = (("true", 1.0), ("false", 0.0))


@dataclass(frozen=True)
class _Number:
    """A column read as a number, for comparisons.

    ``x`` is the number, NULL when missing. ``bad`` (when set) holds where ``x`` has a value
    that still reads as missing: NaN, or a text the cast read but the pattern does not.
    ``words`` (when set) is the column's text, read where ``x`` is NULL: 'true'/'false' are 1/0.
    """

    x: exp.Expr
    bad: exp.Expr | None = None
    words: exp.Expr | None = None


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

    def number(self, name: str) -> _Number:
        """The value as a number (see :class:`_Number`).

        A float column is compared as it is, against edges of its own width (see
        :meth:`edge`); anything else (integers included: widened once) is read once into
        a helper column. Where the dialect's cast reads more than the number pattern
        (``cast_then_check``), text is cast once and the comparisons check the rest.
        """
        src = self.source(name)
        kind = self.types.get(src.column, "unknown")
        # In the CTE shape the points step reads the table's columns through _icp_typed's `*`.
        table = self.qualifier if self.lateral else None
        if self._normalised(name) is None:
            if kind in ("float", "real"):
                col = exp.column(src.column, table=table, quoted=True)
                return _Number(col, self._is_nan(col.copy()))
            if kind in ("text", "unknown") and self.d.cast_then_check:
                text = self._as_text(self._col(src.column), kind)
                x = self._helper(name, "number", lambda: exp.TryCast(this=text, to=_DOUBLE))
                words = self._as_text(exp.column(src.column, table=table, quoted=True), kind)
                return _Number(x, self._not_number(x, words), words)
        return _Number(self._helper(name, "number", lambda: self._number(name)))

    @staticmethod
    def _as_text(col: exp.Expr, kind: str) -> exp.Expr:
        return col if kind == "text" else exp.cast(col, _TEXT)

    def _not_number(self, x: exp.Expr, text: exp.Expr) -> exp.Expr:
        """Where TRY_CAST read a text that the pattern does not: NaN, an underscore, '+-'.

        The '+-' check runs only on negative values (the cast reads '+-1' as -1).
        """

        def contains(part: str) -> exp.Expr:
            return exp.Anonymous(this="CONTAINS", expressions=[text.copy(), _str(part)])

        negative = exp.Anonymous(this="SIGNBIT", expressions=[x.copy()])
        return exp.or_(
            self._is_nan(x.copy()),
            contains("_"),
            exp.paren(exp.and_(negative, contains("+-"))),
        )

    def edge(self, name: str, value: float) -> exp.Expr:
        """A bin edge for comparing with ``name``: 32-bit columns get the edge rounded up to
        32 bits (``x32 >= e32`` iff ``x >= edge``, as the reference engine does)."""
        src = self.source(name)
        if self.types.get(src.column) == "real" and self._normalised(name) is None:
            e32 = float(_edge(value, np.dtype(np.float32)))
            return exp.cast(exp.Literal.number(repr(e32)), _REAL)
        return _num(value)

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
        if self.d.cast_skips_spaces:
            trimmed = text.copy()
        else:
            trimmed = exp.Trim(this=text.copy(), expression=_str(SPACES))
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
            n = self.number(attr.name)
            x, missing = n.x, _int(attr.missing_points)
            pieces = numeric_pieces(attr).merged()
            edges, points = pieces.edges, pieces.points
            whens: list[tuple[exp.Expr, exp.Expr]] = []
            if n.words is not None:  # where the cast read nothing: 'true'/'false' as 1 and 0
                read = [(exp.EQ(this=n.words.copy(), expression=_str(w)),
                         _int(_points_of(v, edges, points))) for w, v in _WORDS]  # fmt: skip
                whens.append((_is_null(x.copy()), _case(read, missing.copy())))
                lost = n.bad.copy() if n.bad is not None else exp.false()
            elif n.bad is not None:
                lost = exp.or_(_is_null(x.copy()), n.bad.copy())
            else:
                lost = _is_null(x.copy())
            whens.append((lost, missing))  # reads as missing
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
            n = self.number(cond.attribute)
            x = n.x
            parts: list[exp.Expr] = [_not_null(x.copy())]
            if cond.ge is not None:
                parts.append(exp.GTE(this=x.copy(), expression=self.edge(cond.attribute, cond.ge)))
            if cond.lt is not None:
                parts.append(exp.LT(this=x.copy(), expression=self.edge(cond.attribute, cond.lt)))
            if n.bad is not None:  # last: only the rows in range pay for the check
                parts.append(exp.Not(this=exp.paren(n.bad.copy())))
            held = exp.and_(*parts)
            words = [
                w for w, v in _WORDS
                if (cond.ge is None or v >= cond.ge) and (cond.lt is None or v < cond.lt)
            ]  # fmt: skip
            if n.words is None or not words:
                return held
            word = exp.and_(_is_null(x.copy()), self._member(n.words.copy(), words))
            return exp.or_(exp.paren(held), exp.paren(word))
        t = self.text(cond.attribute)
        listed = cond.in_ if cond.in_ is not None else cond.not_in
        member = self._member(t.copy(), listed or [])
        if cond.in_ is not None:
            return member
        return exp.and_(_not_null(t.copy()), exp.Not(this=member))

    def rule(self, conditions: Sequence[Condition]) -> exp.Expr:
        return exp.and_(*(exp.paren(self.condition(c), copy=False) for c in conditions))


def _points_of(value: float, edges: Sequence[float], points: Sequence[int]) -> int:
    """The points of a value: the first interval whose upper edge is above it."""
    return next((p for e, p in zip(edges, points, strict=False) if value < e), points[-1])


def points_sum(builder: _Builder, attributes: Sequence[Attribute], start: int = 0) -> exp.Expr:
    """``start`` + the points of every attribute, over the builder's typed columns.

    One function for every points table (accounts today; people next): each attribute's
    column is read once by the builder however many tables and rules use it.
    """
    total: exp.Expr = _int(start)
    for attr in attributes:
        total = exp.Add(this=total, expression=builder.attribute(attr))
    return total
