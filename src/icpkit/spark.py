"""PySpark adapter: a profile as native Spark column expressions (no Python UDF).

``score(df, profile)`` adds ``icp_score``, ``icp_tier`` and ``icp_segment`` to a Spark
DataFrame. The expressions are built with ``pyspark.sql.functions`` and follow the same
semantics as every other engine (see :mod:`icpkit.profile`); Catalyst runs them inside the
JVM, so scoring scales with the cluster. Needs the optional extra: ``pip install icpkit[spark]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .errors import ConfigError, SchemaError, did_you_mean
from .profile import Attribute, Condition, NumericAttribute, Profile
from .scoring import NUMBER_PATTERN, numeric_pieces
from .sql import ColumnType, java_pattern

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

__all__ = ["score", "score_columns"]


def _functions() -> Any:
    try:
        from pyspark.sql import functions
    except ImportError:
        raise ConfigError(
            "the Spark engine needs PySpark", hint="Install it with: pip install 'icpkit[spark]'"
        ) from None
    return functions


def _types(df: DataFrame) -> dict[str, ColumnType]:
    from pyspark.sql import types as T

    out: dict[str, ColumnType] = {}
    for field in df.schema.fields:
        t = field.dataType
        if isinstance(t, T.BooleanType):
            out[field.name] = "boolean"
        elif isinstance(t, T.ByteType | T.ShortType | T.IntegerType | T.LongType):
            out[field.name] = "integer"
        elif isinstance(t, T.FloatType):
            out[field.name] = "real"
        elif isinstance(t, T.DoubleType | T.DecimalType):
            out[field.name] = "float"
        elif isinstance(t, T.StringType):
            out[field.name] = "text"
        else:
            out[field.name] = "unknown"
    return out


class _Builder:
    """Spark twin of :class:`icpkit.sqlbuild._Builder`: the same cases, as Column objects."""

    def __init__(self, types: dict[str, ColumnType]) -> None:
        self.F = _functions()
        self.types = types

    def _col(self, name: str) -> Column:
        if name not in self.types:
            raise SchemaError(
                "the profile needs a column the DataFrame does not have",
                column=name,
                hint=did_you_mean(name, self.types) or "Add or rename the column",
            )
        # Backticks: a dot in a column name is part of the name, not a struct field.
        return self.F.col("`" + name.replace("`", "``") + "`")

    def text(self, name: str) -> Column:
        F, col, kind = self.F, self._col(name), self.types[name]
        if kind == "boolean":
            return F.when(col, F.lit("true")).when(~col, F.lit("false"))
        if kind == "integer":
            return col.cast("string")
        if kind in ("float", "real"):
            return F.when(~F.isnan(col), col.cast("string"))
        t = col if kind == "text" else col.cast("string")
        return F.when(t != F.lit(""), t)

    def number(self, name: str) -> tuple[Column, bool]:
        F, col, kind = self.F, self._col(name), self.types[name]
        if kind in ("integer", "float", "real"):
            return col.cast("double"), kind != "integer"
        if kind == "boolean":
            return F.when(col, F.lit(1.0)).when(~col, F.lit(0.0)), False
        t = col if kind == "text" else col.cast("string")
        parsed = (
            F.when(t.rlike(java_pattern(NUMBER_PATTERN)), F.trim(t).cast("double"))
            .when(t == F.lit("true"), F.lit(1.0))
            .when(t == F.lit("false"), F.lit(0.0))
        )
        return parsed, False

    def attribute(self, attr: Attribute) -> Column:
        F = self.F
        if isinstance(attr, NumericAttribute):
            x, nan = self.number(attr.name)
            missing = (x.isNull() | F.isnan(x)) if nan else x.isNull()
            out = F.when(missing, F.lit(attr.missing_points))
            pieces = numeric_pieces(attr).merged()
            for edge, pts in zip(pieces.edges, pieces.points, strict=False):
                out = out.when(x < F.lit(float(edge)), F.lit(pts))
            return out.otherwise(F.lit(pieces.points[-1]))
        t = self.text(attr.name)
        out = F.when(t.isNull(), F.lit(attr.missing_points))
        for b in attr.bins:
            out = out.when(t.isin(list(b.values)), F.lit(b.points))
        return out.otherwise(F.lit(attr.other_points))

    def condition(self, cond: Condition) -> Column:
        F = self.F
        if cond.is_numeric:
            x, nan = self.number(cond.attribute)
            hold = x.isNotNull()
            if nan:
                hold = hold & ~F.isnan(x)
            if cond.ge is not None:
                hold = hold & (x >= F.lit(float(cond.ge)))
            if cond.lt is not None:
                hold = hold & (x < F.lit(float(cond.lt)))
            return hold
        t = self.text(cond.attribute)
        if cond.in_ is not None:
            return t.isin(list(cond.in_))
        return t.isNotNull() & ~t.isin(list(cond.not_in or []))

    def rule(self, conditions: Sequence[Condition]) -> Column:
        out = self.condition(conditions[0])
        for c in conditions[1:]:
            out = out & self.condition(c)
        return out


def score_columns(df: DataFrame, profile: Profile) -> dict[str, Column]:
    """``{'icp_score': ..., 'icp_segment': ...}`` and a function of icp_score for the tier.

    Returns Column expressions over ``df``'s columns; ``icp_tier`` refers to ``icp_score``,
    so add the columns in order (as :func:`score` does).
    """
    b = _Builder(_types(df))
    F = b.F
    raw = F.lit(profile.intercept)
    for attr in profile.attributes:
        raw = raw + b.attribute(attr)
    for seg in profile.segments:
        if seg.points:
            raw = raw + F.when(b.rule(seg.conditions), F.lit(seg.points)).otherwise(F.lit(0))
    caps = [
        F.when(b.rule(dq.conditions), F.lit(dq.cap)).otherwise(F.lit(100))
        for dq in profile.disqualifiers
    ]
    score = F.least(F.lit(100), F.greatest(F.lit(0), raw), *caps).cast("int")
    segment = F.lit(None).cast("string")
    if profile.segments:
        first = profile.segments[0]
        segment = F.when(b.rule(first.conditions), F.lit(first.name))
        for seg in profile.segments[1:]:
            segment = segment.when(b.rule(seg.conditions), F.lit(seg.name))
    s = F.col("icp_score")
    t = profile.tiers
    tier = (
        F.when(s >= F.lit(t.A), F.lit("A"))
        .when(s >= F.lit(t.B), F.lit("B"))
        .when(s >= F.lit(t.C), F.lit("C"))
        .otherwise(F.lit("D"))
    )
    cols = {"icp_score": score, "icp_tier": tier, "icp_segment": segment}
    if profile.persona is not None:  # a second points sum, over the persona attributes
        p = profile.persona
        raw = F.lit(p.intercept)
        for attr in p.attributes:
            raw = raw + b.attribute(attr)
        ps = F.col("persona_score")
        ptier = (
            F.when(ps >= F.lit(p.tiers.first), F.lit("1"))
            .when(ps >= F.lit(p.tiers.second), F.lit("2"))
            .when(ps >= F.lit(p.tiers.third), F.lit("3"))
            .otherwise(F.lit("4"))
        )
        cols["persona_score"] = F.least(F.lit(100), F.greatest(F.lit(0), raw)).cast("int")
        cols["persona_tier"] = ptier
        cols["icp_priority"] = F.concat(F.col("icp_tier"), F.col("persona_tier"))
        order = p.priority_order
        rank = F.when(F.col("icp_priority") == F.lit(order[0]), F.lit(1))
        for i, cell in enumerate(order[1:], start=2):
            rank = rank.when(F.col("icp_priority") == F.lit(cell), F.lit(i))
        cols["priority_rank"] = rank
    return cols


def score(df: DataFrame, profile: Profile) -> DataFrame:
    """``df`` with ``icp_score`` (int), ``icp_tier`` (A–D) and ``icp_segment`` added; with a
    persona, also ``persona_score``, ``persona_tier``, ``icp_priority`` and ``priority_rank``."""
    cols = score_columns(df, profile)
    out = df
    for name, col in cols.items():  # in order: later columns refer to earlier ones
        out = out.withColumn(name, col)
    return out
