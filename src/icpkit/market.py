"""Market sizing: how many ideal customers exist, what they are worth, which are not ours yet.

The universe (every company in the market, whether or not you sell to it) is scored by
the profile inside DuckDB, with the SQL that :mod:`icpkit.sql` generates from the profile,
so a 10-million-row Parquet file is sized without loading it into Python. Then:

- **TAM**: universe companies by tier and by segment;
- **SAM**: the same after filters (``where`` SQL, countries, industries, size range);
- **value**: companies × expected ACV per tier/segment, learned from won deals in the CRM
  (:func:`expected_acv`), or a fixed ACV, or a column of the universe summed;
- **white space**: SAM companies not yet in the CRM, matched on the normalised domain,
  else on the normalised company name, ranked by score.

Fast path: a Parquet/CSV file whose columns already have the canonical names and
normalised values (``icp intake`` output, a warehouse extract) is read by DuckDB directly.
A raw export (Inc. 5000 ``_ - workers``, Fortune ``num. of employees``) goes through
:func:`icpkit.intake.load` first, in memory: fine for exports of up to a few million rows.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import sqlglot
from sqlglot import exp

from .drift import won_flags
from .errors import ConfigError, ReadError, SchemaError, did_you_mean
from .gaps import gap
from .profile import Profile
from .quality import domain_key_sql, name_key_sql, read_frame
from .scoring import score_table, to_arrow
from .sql import ColumnType, score_sql

__all__ = [
    "MIN_WON",
    "MarketFilters",
    "MarketResult",
    "expected_acv",
    "market_size",
    "white_space",
]

# Fewer won accounts than this and a segment's (or tier's) mean ACV is too noisy: fall back.
MIN_WON = 5
TIERS = ("A", "B", "C", "D")
_SRC = "icp_universe_src"
_RAW = "icp_universe_raw"  # the source as read; _SRC adds the profile columns it lacks
_SCORED = "icp_universe_scored"
_CRM = "icp_crm_keys"
_ROW = "file_row_number"
# What a --where condition may contain: comparisons over columns and literals, nothing that
# reads files, calls arbitrary functions or runs queries.
_WHERE_NODES = (
    exp.Column,
    exp.Identifier,
    exp.Literal,
    exp.Null,
    exp.Boolean,
    exp.Paren,
    exp.Tuple,
    exp.And,
    exp.Or,
    exp.Not,
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.In,
    exp.Between,
    exp.Like,
    exp.ILike,
    exp.Is,
    exp.Neg,
    exp.Add,
    exp.Sub,
    exp.Mul,
    exp.Div,
    exp.Lower,
    exp.Upper,
    exp.Coalesce,
    exp.Length,
    exp.Abs,
    exp.Cast,
    exp.DataType,
)
_ID_COLUMNS = ("company_id", "name", "domain", "industry", "employees", "country")


class MarketResult(NamedTuple):
    table: pd.DataFrame
    summary: dict[str, Any]


@dataclass
class MarketFilters:
    """SAM filters; all given ones must hold. ``where`` is a SQL predicate (DuckDB dialect)."""

    where: str | None = None
    countries: list[str] = field(default_factory=list)
    industries: list[str] = field(default_factory=list)
    min_employees: float | None = None
    max_employees: float | None = None

    def describe(self) -> str | None:
        parts = []
        if self.where:
            parts.append(self.where)
        if self.countries:
            parts.append(f"country in {self.countries}")
        if self.industries:
            parts.append(f"industry in {self.industries}")
        if self.min_employees is not None:
            parts.append(f"employees >= {self.min_employees:g}")
        if self.max_employees is not None:
            parts.append(f"employees < {self.max_employees:g}")
        return " AND ".join(parts) or None


# --------------------------------------------------------------------------- DuckDB plumbing


def _duck_type(t: str) -> ColumnType:
    t = t.upper()
    if t == "BOOLEAN":
        return "boolean"
    if t in {
        "TINYINT",
        "SMALLINT",
        "INTEGER",
        "BIGINT",
        "HUGEINT",
        "UTINYINT",
        "USMALLINT",
        "UINTEGER",
        "UBIGINT",
    }:
        return "integer"
    if t in {"DOUBLE", "FLOAT", "REAL"} or t.startswith("DECIMAL"):
        return "float"
    if t == "VARCHAR":
        return "text"
    return "unknown"


def _columns(con: duckdb.DuckDBPyConnection, name: str) -> dict[str, ColumnType]:
    rel = con.table(name)
    return {c: _duck_type(str(t)) for c, t in zip(rel.columns, rel.types, strict=True)}


def _register(con: duckdb.DuckDBPyConnection, source: Any, profile: Profile, kind: str) -> str:
    """Make ``source`` a view named _SRC; say which path it took (for the summary)."""
    if isinstance(source, pd.DataFrame | pa.Table):
        con.register(_RAW, to_arrow(source))
        return "in memory"
    if not isinstance(source, str | os.PathLike):
        raise ConfigError(f"expected a file path or a table, got {type(source).__name__}")
    path = Path(source)
    if not path.is_file():
        raise ReadError("file not found", file=str(path), hint="Check the path")
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            # The row number lets the top white space carry only an integer per row.
            rel = con.read_parquet(str(path), file_row_number=True)
        elif suffix in {".csv", ".tsv", ".txt"}:
            rel = con.read_csv(str(path))
        else:
            rel = None
    except duckdb.Error as exc:
        raise ReadError(f"DuckDB cannot read the file: {exc}", file=str(path)) from None
    if rel is not None and all(c in rel.columns for c in profile.columns):
        rel.create_view(_RAW)
        return "duckdb (canonical columns)"
    # A raw export: map and normalise it with intake, then hand the Arrow table to DuckDB.
    load = getattr(importlib.import_module("icpkit.intake"), "load", None)
    if load is None:
        missing = [c for c in profile.columns if rel is None or c not in rel.columns]
        raise SchemaError(
            "the universe lacks columns the profile needs",
            file=str(path),
            column=missing[0],
            hint="Give a table with canonical columns (run `icp intake` first)",
        )
    con.register(_RAW, load(str(path), kind=kind).table)
    return "intake (mapped and normalised in memory)"


def _sql_type(profile: Profile, column: str) -> str:
    for a in profile.attributes:
        if a.name == column:
            return "DOUBLE" if a.kind == "numeric" else "VARCHAR"
    rules: list[Any] = [*profile.segments, *profile.disqualifiers]
    numeric = any(
        c.attribute == column and (c.ge is not None or c.lt is not None)
        for r in rules
        for c in r.conditions
    )
    return "DOUBLE" if numeric else "VARCHAR"


def _fill_missing(
    con: duckdb.DuckDBPyConnection, profile: Profile
) -> tuple[dict[str, ColumnType], list[dict[str, Any]]]:
    """The universe as the view _SRC, a profile column it lacks added as all-missing.

    Sizing a market with one attribute unknown is still useful (every company is scored as
    missing it); failing would lose the whole section. Each such column is reported with the
    points at stake, so a reader knows how far the tiers may be off.
    """
    have = _columns(con, _RAW)
    missing = [c for c in profile.columns if c not in have]
    extra = "".join(
        f", CAST(NULL AS {_sql_type(profile, c)}) AS {exp.to_identifier(c, quoted=True).sql()}"
        for c in missing
    )
    con.execute(f"CREATE TEMP VIEW {_SRC} AS SELECT *{extra} FROM {_RAW}")
    return _columns(con, _SRC), [gap(profile, c, "the universe") for c in missing]


def _filter(filters: MarketFilters, types: dict[str, ColumnType]) -> exp.Expr:
    """The SAM predicate as a sqlglot tree (TRUE when there are no filters)."""
    parts: list[exp.Expr] = []
    if filters.where:
        try:
            pred = sqlglot.parse_one(filters.where, read="duckdb")
        except sqlglot.errors.ParseError:
            raise ConfigError(f"--where is not a valid SQL condition: {filters.where!r}") from None
        bad = next((n for n in pred.walk() if not isinstance(n, _WHERE_NODES)), None)
        if bad is not None:
            raise ConfigError(
                f"--where may only compare columns with values (=, <, IN, LIKE, BETWEEN, IS NULL, "
                f"AND/OR/NOT, lower/upper/coalesce/length/abs); {type(bad).__name__} is not "
                f"allowed in {filters.where!r}"
            )
        if not isinstance(pred, exp.Condition) or pred.find(exp.Select, exp.Command) is not None:
            raise ConfigError(
                f'--where must be a condition on columns, like "employees >= 100"; got {filters.where!r}'
            )
        for col in pred.find_all(exp.Column):
            if col.name not in types:
                raise SchemaError(
                    "--where names a column the universe does not have",
                    column=col.name,
                    hint=did_you_mean(col.name, types),
                )
        parts.append(pred)
    for name, values in (("country", filters.countries), ("industry", filters.industries)):
        if values:
            if name not in types:
                raise SchemaError(
                    f"cannot filter on {name}: the universe has no such column", column=name
                )
            text = exp.cast(exp.column(name, quoted=True), "text")
            parts.append(exp.In(this=text, expressions=[exp.Literal.string(v) for v in values]))
    emp = exp.TryCast(this=exp.column("employees", quoted=True), to=exp.DataType.build("double"))
    for bound, op in ((filters.min_employees, exp.GTE), (filters.max_employees, exp.LT)):
        if bound is not None:
            if "employees" not in types:
                raise SchemaError(
                    "cannot filter on size: the universe has no employees column",
                    column="employees",
                )
            parts.append(op(this=emp.copy(), expression=exp.Literal.number(bound)))
    if not parts:
        return exp.true()
    return exp.func("coalesce", exp.and_(*(exp.paren(p) for p in parts)), exp.false())


def _crm_keys(con: duckdb.DuckDBPyConnection, accounts: Any) -> tuple[int, int]:
    """Register the CRM's (dkey, nkey) table; return (accounts, accounts without a domain).

    The keys are computed by the same SQL as the universe's, so both sides agree exactly.
    """
    acc = read_frame(accounts, "accounts")
    dom = next((c for c in ("domain", "website", "Website") if c in acc.columns), None)
    name = next((c for c in ("name", "company", "account_name", "Name") if c in acc.columns), None)
    if dom is None and name is None:
        raise SchemaError(
            "cannot match the CRM to the universe: the accounts have no domain or name column",
            column="domain",
        )
    raw = pa.table(
        {
            "d": pa.array(acc[dom].astype("string") if dom else [None] * len(acc), pa.string()),
            "n": pa.array(acc[name].astype("string") if name else [None] * len(acc), pa.string()),
        }
    )
    con.register("icp_crm_raw", raw)
    keys = exp.select(
        exp.alias_(domain_key_sql(exp.column("d")), "dkey"),
        exp.alias_(name_key_sql(exp.column("n")), "nkey"),
    ).from_("icp_crm_raw")
    con.execute(f"CREATE TEMP TABLE {_CRM} AS {keys.sql(dialect='duckdb')}")
    total, no_domain = con.sql(f"SELECT COUNT(*), COUNT_IF(dkey IS NULL) FROM {_CRM}").fetchall()[0]
    return int(total), int(no_domain)


def _crm_lookups(con: duckdb.DuckDBPyConnection) -> None:
    """Lookup tables to LEFT JOIN the universe to.

    ``icp_crm_k``: one row per match key, a domain key or 'n:' + name key (a normalised
    domain never holds ':', so the two cannot collide); ``icp_crm_nd``: the name keys of CRM
    accounts without a domain, which may match universe rows that do have one.
    """
    con.execute(
        f"CREATE TEMP TABLE icp_crm_k AS SELECT DISTINCT dkey AS k FROM {_CRM} "
        f"WHERE dkey IS NOT NULL UNION SELECT 'n:' || nkey FROM {_CRM} WHERE nkey IS NOT NULL"
    )
    con.execute(
        f"CREATE TEMP TABLE icp_crm_nd AS SELECT DISTINCT nkey FROM {_CRM} "
        "WHERE dkey IS NULL AND nkey IS NOT NULL"
    )


def _matched(
    scored: exp.Select, has_domain: bool, has_name: bool, crm_no_domain: int
) -> exp.Select:
    """``scored`` plus ``in_crm``: same domain; else (a domain missing on one side) same name.

    One hash join on a key computed once per row (the domain key, or the name key where
    the row has no domain); a second join only when some CRM accounts lack a domain.
    """
    if not has_domain and not has_name:
        raise SchemaError(
            "cannot match the universe to the CRM: it has no domain or name column",
            column="domain",
        )
    # Layers, so each value is computed once per row: the domain key, then the join key.
    raw = exp.column("domain", quoted=True) if has_domain else exp.null()
    name = exp.column("name", quoted=True) if has_name else exp.null()
    keyed = scored.select(exp.alias_(raw, "_dr"), exp.alias_(name, "_n"))
    dkey = domain_key_sql(exp.column("_dr")) if has_domain else exp.null()
    keyed = exp.select(exp.Star(), exp.alias_(dkey, "_dkey")).from_(
        exp.alias_(exp.paren(keyed), "_j")
    )
    keyed = exp.select(exp.Star()).from_(exp.alias_(exp.paren(keyed), "_k"))
    nkey = name_key_sql(exp.column("_n")) if has_name else exp.cast(exp.null(), "text")
    by_name_key = exp.DPipe(this=exp.Literal.string("n:"), expression=nkey.copy())
    key = exp.Case().when(exp.column("_dkey").is_(exp.null()), by_name_key)
    keyed = keyed.select(exp.alias_(key.else_(exp.column("_dkey")), "_key"))
    two = bool(crm_no_domain and has_name)
    if two:  # only then is the name key needed on rows that have a domain
        keyed = keyed.select(exp.alias_(nkey.copy(), "_nkey"))
    hit: exp.Expr = exp.column("k", table="_d").is_(exp.null()).not_()
    query = exp.select(exp.Star()).from_(exp.alias_(exp.paren(keyed), "_u"))
    query = query.join("icp_crm_k AS _d", on="_u._key = _d.k", join_type="left")
    if two:
        query = query.join("icp_crm_nd AS _m", on="_u._nkey = _m.nkey", join_type="left")
        hit = exp.or_(hit, exp.column("nkey", table="_m").is_(exp.null()).not_())
    return query.select(exp.alias_(exp.func("coalesce", hit, exp.false()), "in_crm"))


# --------------------------------------------------------------------------- expected ACV


def _account_values(acc: pd.DataFrame, profile: Profile, deals: Any) -> tuple[pd.Series, str]:
    """ACV of each won account (NaN for the others) and where it came from."""
    if deals is not None:
        d = read_frame(deals, "deals")
        for col in ("account_id", "amount"):
            if col not in d.columns:
                raise SchemaError("the deals table needs this column to learn ACV", column=col)
        won = won_flags(d, profile)
        if won is None:
            raise SchemaError("the deals table needs a won flag or a stage column", column="won")
        amount = pd.to_numeric(d["amount"], errors="coerce")
        per_account = (
            amount[won.to_numpy(dtype=bool)]
            .groupby(d.loc[won.to_numpy(dtype=bool), "account_id"].astype(str))
            .mean()
        )
        if "account_id" not in acc.columns:
            raise SchemaError("the accounts need account_id to join deals", column="account_id")
        return acc["account_id"].astype(str).map(per_account).astype(float), "mean won deal amount"
    found = [c for c in ("acv", "arr", "amount", "ACV", "ARR") if c in acc.columns]
    if not found:
        raise SchemaError(
            "cannot learn ACV: the accounts have no acv/arr column and no deals were given",
            column="acv",
            hint="Pass deals, or give --value AMOUNT",
        )
    col = found[0]
    values = pd.to_numeric(acc[col], errors="coerce").astype(float)
    won = won_flags(acc, profile)
    if won is not None:
        values = values.where(won.to_numpy(dtype=bool))
    said = {"acv": "ACV", "arr": "ARR", "amount": "deal amount"}.get(col.lower(), col)
    return values.where(values > 0), f"mean {said} of won accounts"


def expected_acv(profile: Profile, accounts: Any, deals: Any = None) -> MarketResult:
    """Mean ACV of won accounts per tier and segment (the value of one more such customer).

    A segment with fewer than ``MIN_WON`` won accounts falls back to its tier's mean, and
    a tier with too few to the overall mean; ``basis`` says which was used.
    """
    acc = read_frame(accounts, "accounts")
    scored = score_table(profile, to_arrow(acc)).to_pandas()
    values, source = _account_values(acc, profile, deals)
    frame = pd.DataFrame(
        {"tier": scored["icp_tier"], "segment": scored["icp_segment"], "acv": values.to_numpy()}
    ).dropna(subset=["acv"])
    overall = float(frame["acv"].mean()) if len(frame) else float("nan")
    by_tier = frame.groupby("tier")["acv"].agg(["mean", "count"])
    by_seg = (
        frame.dropna(subset=["segment"]).groupby(["tier", "segment"])["acv"].agg(["mean", "count"])
    )
    segments = [None, *(s.name for s in profile.segments)]
    tier_mean = {str(k): float(v) for k, v in by_tier["mean"].items()}
    tier_count = {str(k): int(v) for k, v in by_tier["count"].items()}
    rows = []
    for tier in TIERS:
        for seg in segments:
            n = int(by_seg["count"].get((tier, seg), 0)) if seg is not None else 0
            if seg is not None and n >= MIN_WON:
                acv, basis = float(by_seg["mean"][(tier, seg)]), "segment"
            elif tier_count.get(tier, 0) >= MIN_WON:
                acv, basis = float(tier_mean[tier]), "tier"
            else:
                acv, basis = overall, "overall"
            rows.append(
                {"tier": tier, "segment": seg, "won_accounts": n, "acv": acv, "basis": basis}
            )
    table = pd.DataFrame(rows)
    summary = {
        "source": source,
        "won_accounts": len(frame),
        "overall_acv": None if np.isnan(overall) else round(overall, 2),
        "acv_by_tier": {t: round(v, 2) for t, v in tier_mean.items()},
        "won_by_tier": tier_count,
    }
    return MarketResult(table, summary)


# --------------------------------------------------------------------------- market size


def _value_expr(value: Any, types: dict[str, ColumnType]) -> tuple[exp.Expr | None, float | None]:
    """(per-company value column, fixed ACV); at most one is set."""
    if value is None:
        return None, None
    if isinstance(value, int | float):
        return None, float(value)
    text = str(value)
    try:
        return None, float(text.replace(",", "").replace("$", ""))
    except ValueError:
        pass
    if text not in types:
        raise SchemaError(
            "--value is neither an amount nor a column of the universe",
            column=text,
            hint=did_you_mean(text, types) or "Give an amount like 25000 or a numeric column",
        )
    return exp.TryCast(this=exp.column(text, quoted=True), to=exp.DataType.build("double")), None


def _aggregate(
    con: duckdb.DuckDBPyConnection,
    in_sam: exp.Expr,
    value: exp.Expr | None,
    id_cols: list[str],
    top: int,
    crm: tuple[bool, bool, int] | None,
) -> pd.DataFrame:
    """One pass over the scored universe: counts, values and the top white space per group."""
    ids = (
        exp.func(
            "struct_pack",
            *(
                exp.PropertyEQ(
                    this=exp.to_identifier(c, quoted=True), expression=exp.column(c, quoted=True)
                )
                for c in id_cols
            ),
        )
        if id_cols
        else exp.null()
    )
    scored = exp.select(
        "icp_score",
        "icp_tier",
        "icp_segment",
        exp.alias_(in_sam, "in_sam"),
        exp.alias_(exp.cast(value if value is not None else exp.null(), "double"), "v"),
        exp.alias_(ids, "ids"),
    ).from_(_SCORED)
    if crm is None:
        inner = scored.select(exp.alias_(exp.false(), "in_crm"))
    else:
        inner = _matched(scored, *crm)
    white = "in_sam AND NOT in_crm"
    query = (
        exp.select(
            "icp_tier",
            "icp_segment",
            "COUNT(*) AS tam",
            "CAST(COUNT_IF(in_sam) AS BIGINT) AS sam",
            "CAST(COUNT_IF(in_crm) AS BIGINT) AS in_crm",
            f"CAST(COUNT_IF({white}) AS BIGINT) AS white_space",
            "SUM(v) AS tam_value",
            "SUM(v) FILTER (WHERE in_sam) AS sam_value",
            f"SUM(v) FILTER (WHERE {white}) AS white_space_value",
            f"MAX_BY(struct_pack(s := icp_score, i := ids), icp_score, {int(top)}) FILTER (WHERE {white}) AS top",
        )
        .from_(exp.alias_(exp.paren(inner), "_f"))
        .group_by("icp_tier", "icp_segment")
    )
    return con.sql(query.sql(dialect="duckdb")).to_arrow_table().to_pandas()


def _values_from_acv(
    groups: pd.DataFrame, acv: pd.DataFrame | None, fixed: float | None
) -> pd.DataFrame:
    """Fill value columns from a fixed ACV or the learned ACV table when no column was summed."""
    if fixed is None and acv is None:
        return groups
    if fixed is not None:
        per = pd.Series(fixed, index=groups.index)
    else:
        assert acv is not None
        lookup = {
            (r.tier, r.segment if isinstance(r.segment, str) else None): r.acv
            for r in acv.itertuples()
        }
        per = pd.Series(
            [
                lookup.get((t, s if isinstance(s, str) else None), np.nan)
                for t, s in zip(groups["icp_tier"], groups["icp_segment"], strict=True)
            ],
            index=groups.index,
        )
    groups["acv"] = per
    for col, count in (
        ("tam_value", "tam"),
        ("sam_value", "sam"),
        ("white_space_value", "white_space"),
    ):
        groups[col] = groups[count] * per
    return groups


def _by(table: pd.DataFrame, key: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    cols = ["tam", "sam", "in_crm", "white_space", "tam_value", "sam_value", "white_space_value"]
    for name, g in table.groupby(table[key].fillna("(none)"), sort=True):
        out[str(name)] = {c: _num(g[c].sum(min_count=1)) for c in cols}
    return out


def _num(x: Any) -> Any:
    if x is None or (isinstance(x, float) and np.isnan(x)) or pd.isna(x):
        return None
    f = float(x)
    return int(f) if f.is_integer() else round(f, 2)


def _fetch_rows(
    con: duckdb.DuckDBPyConnection, top: list[dict[str, Any]], id_cols: list[str]
) -> list[dict[str, Any]]:
    """Replace row numbers by the rows' identifying columns (one small filtered scan)."""
    if not top or not id_cols:
        return [{"icp_score": r["icp_score"]} for r in top]
    wanted = [exp.Literal.number(int(r[_ROW])) for r in top]
    query = (
        exp.select(_ROW, *(exp.column(c, quoted=True) for c in id_cols))
        .from_(_SRC)
        .where(exp.In(this=exp.column(_ROW), expressions=wanted))
    )
    found = con.sql(query.sql(dialect="duckdb")).to_arrow_table().to_pylist()
    by_number = {row.pop(_ROW): row for row in found}
    return [
        {"icp_score": r["icp_score"], **{k: _plain(v) for k, v in by_number[r[_ROW]].items()}}
        for r in top
    ]


def _plain(v: Any) -> Any:
    return _num(v) if isinstance(v, float) else v


def _top_white_space(groups: pd.DataFrame, top: int) -> list[dict[str, Any]]:
    rows = []
    for tops in groups["top"]:
        for item in tops if isinstance(tops, list | np.ndarray) else []:
            ids = item["i"] or {}
            rows.append(
                {
                    "icp_score": int(item["s"]),
                    **{k: _num(v) if isinstance(v, float) else v for k, v in ids.items()},
                }
            )
    rows.sort(key=lambda r: (-r["icp_score"], str(r.get("name") or r.get("domain") or "")))
    return rows[:top]


def market_size(
    universe: Any,
    profile: Profile,
    accounts: Any = None,
    *,
    deals: Any = None,
    value: Any = None,
    where: str | None = None,
    filters: MarketFilters | None = None,
    top: int = 20,
    kind: str = "universe",
) -> MarketResult:
    """TAM and SAM by tier and segment, their value, and the white space (not yet in the CRM).

    ``table`` has one row per (tier, segment): companies in the universe (``tam``), after
    the filters (``sam``), already in the CRM (``in_crm``), in the SAM but not the CRM
    (``white_space``), and the value of each (companies × expected ACV, or the sum of a
    ``value`` column). ``summary["white_space_top"]`` lists the best-scored white space.
    """
    start = time.perf_counter()
    filters = filters or MarketFilters()
    if where:
        filters = dataclasses.replace(filters, where=where)
    if top < 0:
        raise ConfigError(f"top must be >= 0; got {top}")
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    try:
        path = _register(con, universe, profile, kind)
        types, gaps = _fill_missing(con, profile)
        con.execute(
            score_sql(
                profile, _SRC, dialect="duckdb", view=_SCORED, column_types=types, pretty=False
            )
        )
        value_col, fixed = _value_expr(value, types)
        acv = acv_summary = None
        crm_size, crm = None, None
        if accounts is not None:
            accounts = read_frame(accounts, "accounts")  # read once, used twice
            crm_size, crm_no_domain = _crm_keys(con, accounts)
            _crm_lookups(con)
            crm = ("domain" in types, "name" in types, crm_no_domain)
            if value is None:
                acv, acv_summary = expected_acv(profile, accounts, deals)
        id_cols = [c for c in _ID_COLUMNS if c in types]
        by_row = _ROW in types  # Parquet: carry row numbers, fetch the few winners afterwards
        sam = _filter(filters, types)
        groups = _aggregate(con, sam, value_col, [_ROW] if by_row else id_cols, max(top, 1), crm)
        white_top = _top_white_space(groups, top)
        if by_row:
            white_top = _fetch_rows(con, white_top, id_cols)
    finally:
        con.close()
    valued = value_col is not None or fixed is not None or acv is not None
    table = _market_table(_values_from_acv(groups, acv, fixed), valued)
    summary = _market_summary(table, path, filters, crm_size, value, acv_summary, white_top)
    summary["missing_columns"] = gaps
    summary["warnings"] = [g["warning"] for g in gaps]
    summary["seconds"] = round(time.perf_counter() - start, 3)
    return MarketResult(table, summary)


def _market_table(groups: pd.DataFrame, valued: bool) -> pd.DataFrame:
    """One row per (tier, segment), tiers in A-D order; value columns empty without a basis."""
    order = {t: i for i, t in enumerate(TIERS)}
    table = groups.drop(columns=["top"]).rename(
        columns={"icp_tier": "tier", "icp_segment": "segment"}
    )
    table = table.sort_values(
        ["tier", "segment"], key=lambda s: s.map(order) if s.name == "tier" else s.fillna("~")
    ).reset_index(drop=True)
    if "acv" not in table.columns:
        table["acv"] = np.nan
    if not valued:
        for col in ("tam_value", "sam_value", "white_space_value"):
            table[col] = np.nan
    return table


def _market_summary(
    table: pd.DataFrame,
    path: str,
    filters: MarketFilters,
    crm_size: int | None,
    value: Any,
    acv_summary: dict[str, Any] | None,
    white_top: list[dict[str, Any]],
) -> dict[str, Any]:
    def total(col: str) -> Any:
        return _num(table[col].sum(min_count=1))

    if value is not None:
        value_basis = f"given: {value}"
    elif acv_summary is not None:
        value_basis = f"learned: {acv_summary['source']} per tier/segment"
    else:
        value_basis = None
    return {
        "universe_companies": total("tam"),
        "read_path": path,
        "tam": {"companies": total("tam"), "value": total("tam_value")},
        "sam": {
            "companies": total("sam"),
            "value": total("sam_value"),
            "filters": filters.describe(),
        },
        "in_crm": total("in_crm") if crm_size is not None else None,
        "crm_accounts": crm_size,
        "white_space": {"companies": total("white_space"), "value": total("white_space_value")}
        if crm_size is not None
        else None,
        "by_tier": _by(table, "tier"),
        "by_segment": _by(table, "segment"),
        "value_basis": value_basis,
        "expected_acv": acv_summary,
        "white_space_top": white_top if crm_size is not None else [],
    }


def white_space(
    universe: Any,
    profile: Profile,
    accounts: Any,
    *,
    where: str | None = None,
    filters: MarketFilters | None = None,
    top: int = 100,
    kind: str = "universe",
) -> MarketResult:
    """The best-scored companies in the SAM that are not in the CRM yet (one row each)."""
    result = market_size(
        universe, profile, accounts, where=where, filters=filters, top=top, kind=kind, value=0
    )
    table = pd.DataFrame(result.summary["white_space_top"])
    summary = {
        "white_space": result.summary["white_space"],
        "by_tier": {t: v["white_space"] for t, v in result.summary["by_tier"].items()},
        "shown": len(table),
    }
    return MarketResult(table, summary)
