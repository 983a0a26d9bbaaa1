"""Scoring in place: a table inside DuckDB or PostgreSQL scored by generated SQL.

Nothing is pulled into Python: icpkit reads the table's column types from the database's
catalog, generates one typed query (:func:`icpkit.sql.score_query`), and runs
``CREATE TABLE <into> AS <query>`` inside one transaction, so a failed run leaves the
database as it was. Only the summary (rows per tier) comes back.

Connection strings: ``postgresql://user@host:port/db`` (or ``postgres://``) for PostgreSQL;
``duckdb:///path/file.duckdb``, ``duckdb://:memory:`` or a plain path ending in ``.duckdb``/
``.db`` for DuckDB. An open ``duckdb.DuckDBPyConnection`` or psycopg ``Connection`` is
accepted too (with a psycopg connection outside autocommit, the caller commits).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import duckdb
from sqlglot import exp

from .errors import ConfigError, InputError, ReadError, SchemaError, did_you_mean
from .gaps import gap
from .persona import PERSONA_SCORE_COLUMNS
from .profile import Disqualifier, Profile, Segment
from .scoring import SCORE_COLUMNS
from .sql import ColumnType, score_query

__all__ = ["column_types", "parse_db_url", "score_in_db"]

Backend = Literal["duckdb", "postgres"]

# Catalog type names (lower case, without size/precision) → what the SQL generator needs.
_TYPES: dict[str, ColumnType] = {
    **dict.fromkeys(
        ["tinyint", "smallint", "integer", "int", "bigint", "hugeint", "utinyint", "usmallint",
         "uinteger", "ubigint", "int2", "int4", "int8"],
        "integer",
    ),
    **dict.fromkeys(["double", "double precision", "decimal", "numeric", "float8"], "float"),
    # 32-bit floats (DuckDB's FLOAT is 4 bytes; PostgreSQL's catalog says real)
    **dict.fromkeys(["float", "real", "float4"], "real"),
    **dict.fromkeys(["varchar", "text", "character varying", "character", "char", "string"], "text"),
    **dict.fromkeys(["boolean", "bool"], "boolean"),
}  # fmt: skip


def parse_db_url(url: str) -> tuple[Backend, str]:
    """('duckdb', path) or ('postgres', url); anything else is a ConfigError."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgres", url
    if url.startswith("duckdb://"):
        rest = url.removeprefix("duckdb://")
        return "duckdb", rest.removeprefix("/") if rest.startswith("//") else rest or ":memory:"
    if url == ":memory:" or Path(url).suffix.lower() in (".duckdb", ".db", ".ddb"):
        return "duckdb", url
    raise ConfigError(
        f"unsupported database URL {url!r}",
        hint="Use postgresql://user@host:port/db, duckdb:///path/file.duckdb or a .duckdb path",
    )


def _split(name: str) -> tuple[str | None, str]:
    parts = name.split(".")
    if len(parts) > 2 or not all(parts):
        raise ConfigError(f"invalid table name {name!r}; use table or schema.table")
    return (parts[0], parts[1]) if len(parts) == 2 else (None, parts[0])


def _catalog_query(backend: Backend, name: str) -> tuple[str, list[Any]]:
    schema, table = _split(name)
    mark = "?" if backend == "duckdb" else "%s"
    default = "main" if backend == "duckdb" else "public"
    return (
        "SELECT column_name, data_type FROM information_schema.columns "
        f"WHERE table_name = {mark} AND table_schema = {mark} ORDER BY ordinal_position",
        [table, schema or default],
    )


def _kind(data_type: str) -> ColumnType:
    base = data_type.lower().split("(")[0].strip()
    return _TYPES.get(base, "unknown")


def _db_errors() -> tuple[type[BaseException], ...]:
    """Driver errors we turn into one clear line (psycopg only if installed)."""
    try:
        import psycopg
    except ImportError:
        return (duckdb.Error,)
    return (duckdb.Error, psycopg.Error)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


class _Conn:
    """The two drivers behind one tiny interface (execute, fetch, transaction)."""

    def __init__(self, target: str | Any) -> None:
        if isinstance(target, duckdb.DuckDBPyConnection):
            self.backend: Backend = "duckdb"
            self.con: Any = target
            self.owned = False
            return
        if type(target).__module__.startswith("psycopg"):  # an open psycopg Connection
            self.backend, self.con, self.owned = "postgres", target, False
            return
        self.backend, dsn = parse_db_url(str(target))
        self.owned = True
        try:
            if self.backend == "duckdb":
                if dsn != ":memory:" and not Path(dsn).exists():
                    raise ReadError("DuckDB database file not found", file=dsn)
                self.con = duckdb.connect(dsn)
            else:
                import psycopg

                self.con = psycopg.connect(dsn, autocommit=True)  # transaction() then BEGIN/COMMITs
        except (duckdb.Error, ImportError, OSError) as exc:
            raise ReadError(f"cannot open the database: {exc}", file=dsn) from None
        except _db_errors() as exc:
            raise ReadError(f"cannot connect to PostgreSQL: {_first_line(exc)}") from None

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        if self.backend == "duckdb":
            return list(self.con.execute(sql, list(params)).fetchall())
        with self.con.cursor() as cur:
            cur.execute(sql, list(params))
            return list(cur.fetchall()) if cur.description else []

    def run_atomically(self, statements: Sequence[str]) -> None:
        if self.backend == "duckdb":
            self.con.execute("BEGIN TRANSACTION")
            try:
                for s in statements:
                    self.con.execute(s)
                self.con.execute("COMMIT")
            except BaseException:
                self.con.execute("ROLLBACK")
                raise
            return
        with self.con.transaction(), self.con.cursor() as cur:
            for s in statements:
                cur.execute(s)

    def close(self) -> None:
        if self.owned:
            self.con.close()


def column_types(con: Any, table: str) -> dict[str, ColumnType]:
    """Column name → type class, read from the database catalog (no rows are read)."""
    c = con if isinstance(con, _Conn) else _Conn(con)
    sql, params = _catalog_query(c.backend, table)
    found = c.rows(sql, params)
    if not found:
        raise SchemaError(f"table {table!r} not found in the database", hint="Check --table")
    return {str(name): _kind(str(dtype)) for name, dtype in found}


def _quoted(name: str) -> exp.Table:
    schema, table = _split(name)
    return exp.Table(
        this=exp.to_identifier(table, quoted=True),
        db=exp.to_identifier(schema, quoted=True) if schema else None,
    )


_FILLED = "_icp_filled"  # the table plus the profile columns it lacks, as NULL


def _with_gaps(
    profile: Profile, table: str, types: dict[str, ColumnType]
) -> tuple[exp.Table, exp.Select | None, list[dict[str, Any]]]:
    """(source to score, the CTE that fills gaps or None, one gap per missing column).

    A profile column the table lacks scores as missing, as `icp score` does for files; a
    table with none of them is refused (a wrong table, not gaps). ``types`` gains the added
    columns' types.
    """
    missing = [c for c in profile.columns if c not in types]
    if not missing:
        return _quoted(table), None, []
    if len(missing) == len(profile.columns):
        raise SchemaError(
            f"table {table!r} has none of the columns the profile reads "
            f"({', '.join(sorted(missing)[:5])})",
            hint=did_you_mean(missing[0], types) or "Check --table, or rename its columns",
        )
    numeric = {a.name for a in profile.attributes if a.kind == "numeric"}
    rules: list[Segment | Disqualifier] = [*profile.segments, *profile.disqualifiers]
    numeric |= {c.attribute for r in rules for c in r.conditions if c.is_numeric}
    added = []
    for c in missing:
        kind: ColumnType = "float" if c in numeric else "text"
        types[c] = kind
        sql_type = "DOUBLE" if kind == "float" else "VARCHAR"
        added.append(exp.alias_(exp.cast(exp.null(), sql_type), c, quoted=True))
    filled = exp.select(exp.Star(), *added).from_(_quoted(table))
    where = f"the table {table!r}"
    return exp.to_table(_FILLED), filled, [gap(profile, c, where) for c in missing]


def _first_cte(query: exp.Query, name: str, body: exp.Select) -> exp.Query:
    """``query`` reading ``name`` defined as ``body``: the CTE goes first, since the scoring
    query's own CTEs read it."""
    query = query.with_(name, as_=body)
    ctes = query.find(exp.With)
    assert ctes is not None
    ctes.set("expressions", [ctes.expressions[-1], *ctes.expressions[:-1]])
    return query


def score_in_db(
    db: str | Any,
    table: str,
    profile: Profile,
    *,
    into: str | None = None,
    replace: bool = False,
) -> dict[str, Any]:
    """Score ``table`` inside the database into a new table ``into`` (default ``<table>_scored``).

    Returns a plain report: backend, tables, rows, rows per tier, seconds.
    """
    started = time.perf_counter()
    into = into or f"{table}_scored"
    if into.strip('"').lower() == table.strip('"').lower():
        # Dropping the target first would drop the source it reads from.
        raise ConfigError(
            f"--into {into!r} is the table being scored; the scores need a table of their own",
            hint=f"Pass another name (e.g. --into {table}_scored)",
        )
    con = _Conn(db)
    try:
        types = column_types(con, table)
        old = (*SCORE_COLUMNS, *PERSONA_SCORE_COLUMNS)
        keep = [c for c in types if c not in old]  # re-scoring replaces old scores
        source, filled, gaps = _with_gaps(profile, table, types)
        query = score_query(profile, source, dialect=con.backend, column_types=types, columns=keep)
        if filled is not None:
            query = _first_cte(query, source.name, filled)
        dialect = con.backend
        exists = bool(con.rows(*_catalog_query(dialect, into)))
        if exists and not replace:
            raise ConfigError(
                f"table {into!r} already exists", hint="Pass --replace to overwrite it"
            )
        target = _quoted(into)
        statements = []
        if exists:
            statements.append(
                exp.Drop(tables=[target.copy()], kind="TABLE", exists=True).sql(dialect)
            )
        statements.append(
            exp.Create(this=target.copy(), kind="TABLE", expression=query).sql(dialect)
        )
        try:
            con.run_atomically(statements)
        except _db_errors() as exc:
            raise InputError(
                f"the database refused the scoring query: {_first_line(exc)}"
            ) from None
        counts = con.rows(
            exp.select("icp_tier", exp.func("count", exp.Star()))
            .from_(target.copy())
            .group_by("icp_tier")
            .sql(dialect)
        )
    finally:
        con.close()
    tiers = {str(t): int(n) for t, n in sorted(counts)}
    return {
        "backend": dialect,
        "table": table,
        "into": into,
        "rows": sum(tiers.values()),
        "tiers": tiers,
        "seconds": round(time.perf_counter() - started, 3),
        "missing_columns": [g["column"] for g in gaps],
        "gaps": gaps,
    }
