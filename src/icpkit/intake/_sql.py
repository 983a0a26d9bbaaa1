"""SQL sources: a DuckDB file or a PostgreSQL database, one table or one query.

URLs follow the SQLAlchemy convention: ``duckdb:///relative.db``,
``duckdb:////absolute/path.db`` (``duckdb:///abs/path.db`` also works when that
file exists), ``postgresql://user:password@host:port/dbname``. A table name is
checked against the catalogue first, so a typo gets "did you mean" instead of a
database error; the SELECT is built with sqlglot, never glued as a string.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import sqlglot
from sqlglot import exp

from ..errors import ReadError, closest
from ._arrow import first_line, repair_names

__all__ = ["iter_sql", "read_sql", "redact"]

_CATALOG = (
    "SELECT table_schema, table_name FROM information_schema.tables"
    " WHERE table_schema NOT IN ('information_schema', 'pg_catalog')"
)


def redact(url: str) -> str:
    """The URL with any password replaced by ***."""
    return re.sub(r"(://[^:/@]+):[^@/]*@", r"\1:***@", url)


def _duckdb_path(url: str) -> str:
    rest = url.split("://", 1)[1]
    rest = rest[1:] if rest.startswith("/") else rest
    if rest in ("", ":memory:"):
        return ":memory:"
    path = Path(rest)
    if not path.exists() and Path("/" + rest).exists():
        path = Path("/" + rest)
    if not path.exists():
        raise ReadError("DuckDB database file not found", file=str(path))
    return str(path)


def _select(table: str, tables: list[tuple[str, str]], source: str, dialect: str) -> str:
    """SELECT * for a checked table name ("name" or "schema.name")."""
    wanted = table.split(".")
    known = {f"{s}.{t}": (s, t) for s, t in tables}
    by_name = {t: (s, t) for s, t in tables}
    hit = known.get(table) if len(wanted) == 2 else by_name.get(table)
    if hit is None:
        lower = {k.lower(): v for k, v in {**known, **by_name}.items()}
        hit = lower.get(table.lower())
    if hit is None:
        names = sorted({t for _, t in tables})
        match = closest(table, names)
        listed = ", ".join(names[:20]) or "(none)"
        hint = f"Did you mean {match!r}?" if match else f"Tables: {listed}"
        raise ReadError(f"no table {table!r} in the database", file=source, hint=hint)
    schema, name = hit
    node = exp.select("*").from_(exp.table_(name, db=schema, quoted=True))
    return node.sql(dialect=dialect)


def _pick_query(
    source: str, table: str | None, query: str | None, tables: list[tuple[str, str]], dialect: str
) -> str:
    if table is not None and query is not None:
        raise ReadError("give either a table or a query, not both", file=source)
    if query is not None:
        try:
            sqlglot.parse_one(query, read=dialect)
        except sqlglot.errors.ParseError as exc:
            raise ReadError(f"invalid SQL query: {first_line(exc)}", file=source) from None
        return query
    if table is None:
        if len(tables) == 1:
            return _select(tables[0][1], tables, source, dialect)
        names = ", ".join(sorted(t for _, t in tables)[:20]) or "(none)"
        raise ReadError(
            "a SQL source needs a table or a query", file=source, hint=f"Tables: {names}"
        )
    return _select(table, tables, source, dialect)


# ---------------------------------------------------------------- DuckDB


def _duckdb_connect(url: str) -> Any:
    import duckdb

    path = _duckdb_path(url)
    try:
        return duckdb.connect(path, read_only=path != ":memory:")
    except duckdb.Error as exc:
        raise ReadError(f"cannot open DuckDB database: {first_line(exc)}", file=path) from None


def _duckdb_query(url: str, table: str | None, query: str | None) -> tuple[Any, str]:
    import duckdb

    con = _duckdb_connect(url)
    tables = [(str(s), str(t)) for s, t in con.execute(_CATALOG).fetchall()]
    sql = _pick_query(url, table, query, tables, "duckdb")
    try:
        return con, sql
    except duckdb.Error as exc:  # pragma: no cover
        raise ReadError(first_line(exc), file=url) from None


def _read_duckdb(url: str, table: str | None, query: str | None) -> pa.Table:
    import duckdb

    con, sql = _duckdb_query(url, table, query)
    try:
        return con.sql(sql).to_arrow_table()
    except duckdb.Error as exc:
        raise ReadError(f"query failed: {first_line(exc)}", file=url) from None
    finally:
        con.close()


# ---------------------------------------------------------------- PostgreSQL


def _pg_connect(url: str) -> Any:
    try:
        import psycopg
    except ImportError:  # pragma: no cover - depends on the install
        raise ReadError(
            "reading PostgreSQL needs psycopg", hint="pip install 'icpkit[postgres]'"
        ) from None
    pg_url = url.replace("postgresql+psycopg://", "postgresql://", 1)
    try:
        return psycopg.connect(pg_url, connect_timeout=10)
    except psycopg.Error as exc:
        raise ReadError(f"cannot connect: {first_line(exc)}", file=redact(url)) from None


# PostgreSQL type OIDs -> Arrow types, so every batch of a stream has one schema
# whatever its values look like. numeric becomes float (analysis, not accounting);
# anything not listed (json, arrays, uuid, ...) becomes text.
_PG_TYPES: dict[int, pa.DataType] = {
    16: pa.bool_(),
    20: pa.int64(),
    21: pa.int64(),
    23: pa.int64(),
    700: pa.float64(),
    701: pa.float64(),
    1700: pa.float64(),
    25: pa.string(),
    1042: pa.string(),
    1043: pa.string(),
    1082: pa.date32(),
    1114: pa.timestamp("us"),
    1184: pa.timestamp("us", tz="UTC"),
}


def _pg_rows(
    url: str, table: str | None, query: str | None
) -> Iterator[tuple[list[str], list[pa.DataType], list[Any]]]:
    """(names, Arrow types, rows) chunks of a query, through a server-side cursor."""
    import psycopg

    with _pg_connect(url) as con:
        tables = [(str(s), str(t)) for s, t in con.execute(_CATALOG).fetchall()]
        sql = _pick_query(redact(url), table, query, tables, "postgres")
        try:
            with con.cursor(name="icpkit_read") as cur:
                cur.itersize = 10_000
                cur.execute(sql)
                description = cur.description or []
                names = [d.name for d in description]
                types = [_PG_TYPES.get(d.type_code, pa.string()) for d in description]
                first = True
                while True:
                    rows = cur.fetchmany(10_000)
                    if rows or first:
                        yield names, types, rows
                    if not rows:
                        break
                    first = False
        except psycopg.Error as exc:
            raise ReadError(f"query failed: {first_line(exc)}", file=redact(url)) from None


def _pg_table(names: list[str], types: list[pa.DataType], rows: list[Any]) -> pa.Table:
    arrays = []
    for j, kind in enumerate(types):
        values = [r[j] for r in rows]
        if pa.types.is_string(kind):
            values = [None if v is None else str(v) for v in values]
        elif pa.types.is_floating(kind):
            values = [None if v is None else float(v) for v in values]
        arrays.append(pa.array(values, type=kind))
    fixed, _ = repair_names(names)
    return pa.Table.from_arrays(arrays, names=fixed)


def _read_pg(url: str, table: str | None, query: str | None) -> pa.Table:
    chunks = [_pg_table(n, t, rows) for n, t, rows in _pg_rows(url, table, query)]
    return pa.concat_tables(chunks)


# ---------------------------------------------------------------- public


def read_sql(url: str, *, table: str | None = None, query: str | None = None) -> pa.Table:
    """One table or query result from a DuckDB or PostgreSQL URL."""
    if url.lower().startswith("duckdb://"):
        return _read_duckdb(url, table, query)
    return _read_pg(url, table, query)


def iter_sql(
    url: str, *, table: str | None = None, query: str | None = None, batch_size: int = 65_536
) -> Iterator[pa.RecordBatch]:
    """Stream a table or query as record batches."""
    if url.lower().startswith("duckdb://"):
        import duckdb

        con, sql = _duckdb_query(url, table, query)
        try:
            reader = con.sql(sql).to_arrow_reader(batch_size)
            yield from reader
        except duckdb.Error as exc:
            raise ReadError(f"query failed: {first_line(exc)}", file=url) from None
        finally:
            con.close()
        return
    for names, types, rows in _pg_rows(url, table, query):
        if rows:
            yield from _pg_table(names, types, rows).to_batches(max_chunksize=batch_size)
