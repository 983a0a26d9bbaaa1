"""What differs between SQL dialects, as data, and the literals every query is built from.

The query builder (:mod:`icpkit.sqlbuild`) asks this module how a warehouse spells a regex,
a safe cast or NaN, and writes every literal through :func:`_str` (any code point stays data).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import pyarrow as pa
from sqlglot import exp

from .errors import ConfigError
from .sqlnorm import Lookup

__all__ = ["DIALECTS", "ColumnType", "column_types_from_arrow", "java_pattern"]

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
    # The cast skips the whitespace NUMBER_PATTERN allows around a number, so no TRIM copies
    # the text first (tested on every value shape for DuckDB, PostgreSQL and Spark).
    cast_skips_spaces: bool = False
    # Java's `$` also matches before a final line break ('5\n'): `\z` is the end of the text.
    dollar_is_end: bool = True
    # TRY_CAST reads every text the pattern reads, to the same value, and reads more in three
    # shapes only: an underscore between digits ('1_000'), a '+' before the '-' ('+-1') and
    # NaN. So the query casts every text, and treats those three as missing where it compares
    # (no regex at all: a third of the hand-written query's cost instead of two thirds).
    # Tested on every value shape.
    cast_then_check: bool = False


_DIALECTS: dict[str, _Dialect] = {
    "duckdb": _Dialect(
        True,
        True,
        "isnan",
        "native",
        star_except=True,
        regex_g=True,
        cast_skips_spaces=True,
        cast_then_check=True,
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


def _ident(name: str) -> exp.Table:
    return exp.Table(this=exp.to_identifier(name, quoted=True))


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


def _comment_safe(text: str) -> str:
    """A comment line cannot end early: no line breaks or control characters inside."""
    return "".join(" " if _unsafe(c) or c in "\u2028\u2029" else c for c in text)
