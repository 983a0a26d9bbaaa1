"""PySpark adapter: a profile scored by the same SQL every warehouse runs (no Python UDF).

``score(df, profile)`` adds ``icp_score``, ``icp_tier`` and ``icp_segment`` to a Spark
DataFrame. It does not build Spark expressions of its own: it registers ``df`` as a temporary
view and runs :func:`icpkit.sql.score_sql` in the Spark dialect, so Spark, DuckDB, PostgreSQL
and the warehouses share one builder (:mod:`icpkit.sqlbuild`) and one set of reading rules.
Catalyst runs the query inside the JVM, so scoring scales with the cluster. Needs the
optional extra: ``pip install icpkit[spark]``.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from .errors import ConfigError, SchemaError, did_you_mean
from .profile import Profile
from .sql import ColumnType, score_sql

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

__all__ = ["score"]


def _types(df: DataFrame) -> dict[str, ColumnType]:
    try:
        from pyspark.sql import types as T
    except ImportError:
        raise ConfigError(
            "the Spark engine needs PySpark", hint="Install it with: pip install 'icpkit[spark]'"
        ) from None

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


def score(df: DataFrame, profile: Profile) -> DataFrame:
    """``df`` with ``icp_score`` (int), ``icp_tier`` (A–D) and ``icp_segment`` added; with a
    persona, also ``persona_score``, ``persona_tier``, ``icp_priority`` and ``priority_rank``."""
    types = _types(df)
    needed = profile.columns
    persona = profile.persona
    if persona is not None and any(c in types for c in persona.columns):
        needed = [*needed, *persona.columns]  # all or none, as in the reference engine
    for name in needed:
        if name not in types:
            raise SchemaError(
                "the profile needs a column the DataFrame does not have",
                column=name,
                hint=did_you_mean(name, types) or "Add or rename the column",
            )
    # A fresh name per call: views are per session, and two scorings must not share one.
    view = f"_icp_input_{uuid.uuid4().hex}"
    df.createOrReplaceTempView(view)
    session: Any = df.sparkSession
    try:
        # spark.sql analyses the plan now, reading the view's plan in; dropping it after
        # leaves the returned DataFrame whole.
        return session.sql(score_sql(profile, view, dialect="spark", column_types=types))
    finally:
        session.catalog.dropTempView(view)
