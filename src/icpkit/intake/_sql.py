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
from ._arrow import columns_to_table, first_line

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


def _pg_rows(url: str, table: str | None, query: str | None) -> Iterator[tuple[list[str], list]]:
    import psycopg

    with _pg_connect(url) as con:
        tables = [(str(s), str(t)) for s, t in con.execute(_CATALOG).fetchall()]
        sql = _pick_query(redact(url), table, query, tables, "postgres")
        try:
            with con.cursor(name="icpkit_read") as cur:
                cur.itersize = 10_000
                cur.execute(sql)
                names = [d.name for d in cur.description or []]
                first = True
                while True:
                    rows = cur.fetchmany(10_000)
                    if not rows and not first:
                        break
                    first = False
                    yield names, rows
                    if not rows:
                        break
        except psycopg.Error as exc:
            raise ReadError(f"query failed: {first_line(exc)}", file=redact(url)) from None


def _read_pg(url: str, table: str | None, query: str | None) -> pa.Table:
    columns: list[str] = []
    rows: list[Any] = []
    for names, chunk in _pg_rows(url, table, query):
        columns = names
        rows.extend(chunk)
    return columns_to_table(columns, rows)


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
            reader = con.execute(sql).to_arrow_reader(batch_size)
            yield from reader
        except duckdb.Error as exc:
            raise ReadError(f"query failed: {first_line(exc)}", file=url) from None
        finally:
            con.close()
        return
    schema: pa.Schema | None = None
    for names, rows in _pg_rows(url, table, query):
        if not rows:
            continue
        chunk = columns_to_table(names, rows)
        # The first chunk fixes the schema; a later chunk whose values infer
        # differently (all-null column, ints then floats) is cast to it.
        schema = schema or chunk.schema
        if chunk.schema != schema:
            chunk = _conform(chunk, schema)
        yield from chunk.to_batches(max_chunksize=batch_size)


def _conform(chunk: pa.Table, schema: pa.Schema) -> pa.Table:
    arrays = []
    for field, column in zip(schema, chunk.columns, strict=True):
        try:
            arrays.append(column.cast(field.type))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise ReadError(
                f"column {field.name!r} changes type mid-stream ({field.type} then {column.type})",
                hint="Cast it in the query, or read without streaming",
            ) from None
    return pa.Table.from_arrays(arrays, schema=schema)
