"""Data quality and decay: fill rates, duplicates, inconsistent values, staleness.

B2B records decay: people change jobs, companies move and merge. The usual rule of
thumb is that about 3% of CRM records go stale every month, so a record last verified
``m`` months ago is stale with probability ``1 - (1 - decay) ** m``. Summing that over
the records gives how many are expected stale today and in 90 days.

This module also holds :func:`read_frame`, the one place the analytics modules turn a
path, an Arrow table or a DataFrame into a pandas DataFrame with canonical columns.
"""

from __future__ import annotations

import importlib
import os
import re
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlglot import exp

from .errors import ConfigError, ReadError

__all__ = [
    "DEFAULT_DECAY",
    "FILL_THRESHOLD",
    "QualityResult",
    "data_quality",
    "decay_forecast",
    "domain_key_sql",
    "duplicates",
    "name_key_sql",
    "normalize_domain",
    "normalize_name",
    "plain",
    "read_frame",
]

Source = str | os.PathLike[str] | pd.DataFrame | pa.Table


def _read_plain(path: Path) -> pd.DataFrame:
    """Fallback reader when intake is not available: pandas by file suffix."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            return pd.read_parquet(path)
        if suffix in {".tsv", ".tab"}:
            return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
        if suffix in {".json", ".jsonl", ".ndjson"}:
            return pd.read_json(path, lines=suffix != ".json")
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise ReadError(f"cannot read the file: {exc}", file=str(path)) from None


def read_frame(source: Any, kind: str | None = None, *, normalize: bool = True) -> pd.DataFrame:
    """A DataFrame from a path, an Arrow table or a DataFrame.

    Paths go through :func:`icpkit.intake.load` (mapped to canonical names, values
    normalised) when ``normalize`` is true and intake is available; tables given in
    memory are taken as already canonical.
    """
    if isinstance(source, pd.DataFrame):
        return source
    if isinstance(source, pa.Table):
        return source.to_pandas()
    if not isinstance(source, str | os.PathLike):
        raise ConfigError(
            f"expected a file path, a pandas DataFrame or a pyarrow Table, got {type(source).__name__}"
        )
    path = Path(source)
    if not path.is_file():
        raise ReadError("file not found", file=str(path), hint="Check the path")
    intake = importlib.import_module("icpkit.intake")
    if normalize:
        # Intake is optional here: until it is importable, read the file as it is.
        load = getattr(intake, "load", None)
        if load is not None:
            return load(str(path), kind=kind).table.to_pandas()
    # As exported: intake's reader (CSV cells as text; Excel, JSON, Parquet), else pandas.
    read_table = getattr(intake, "read_table", None)
    if read_table is not None:
        return read_table(str(path)).to_pandas()
    return _read_plain(path)


class QualityResult(NamedTuple):
    table: pd.DataFrame
    summary: dict[str, Any]


FILL_THRESHOLD = 0.80
DEFAULT_DECAY = 0.03
_DAYS_PER_MONTH = 30.4375
_LEGAL = re.compile(
    r"\b(inc|incorporated|llc|l\.l\.c|ltd|limited|gmbh|corp|corporation|co|company|sa|ag|plc|"
    r"bv|nv|srl|sas|pty|oy|ab)\b\.?",
)
_DOMAIN_COLUMNS = ("domain", "website", "url", "company domain name", "company_domain")
_NAME_COLUMNS = ("name", "company", "company name", "account name", "account_name", "companyname")
_DATE_COLUMNS = (
    "last_verified",
    "last verified",
    "last_verified__c",
    "last_modified",
    "last modified date",
    "lastmodifieddate",
    "last activity date",
    "last_activity_date",
)


def normalize_domain(values: pd.Series) -> pd.Series:
    """Bare lower-case domain from a domain, URL or e-mail ('https://www.Acme.com/x' → 'acme.com')."""
    text = values.astype("string").str.strip().str.lower()
    text = text.str.replace(r"^[a-z][a-z0-9+.-]*://", "", regex=True)
    text = text.str.replace(r"^[^@/]*@", "", regex=True)  # e-mail: keep what follows the @
    text = text.str.replace(r"^www\d?\.", "", regex=True)
    text = text.str.replace(r"[/:?#].*$", "", regex=True).str.strip(".")
    return text.mask(text == "")


def normalize_name(values: pd.Series) -> pd.Series:
    """Company name for matching: lower case, no punctuation, no legal suffix ('Acme, Inc.' → 'acme')."""
    text = values.astype("string").str.lower().str.replace("&", " and ", regex=False)
    text = text.str.replace(_LEGAL, " ", regex=True)
    text = text.str.replace(r"[^\w]+", " ", regex=True).str.strip()
    text = text.str.replace(r"\s+", " ", regex=True)
    return text.mask(text == "")


def _find(frame: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    lowered = {str(c).strip().lower(): str(c) for c in frame.columns}
    return next((lowered[n] for n in names if n in lowered), None)


def _missing(col: pd.Series) -> pd.Series:
    miss = col.isna()
    if col.dtype == object or pd.api.types.is_string_dtype(col):
        text = col.astype("string").str.strip().str.lower()
        miss |= text.isin(["", "null", "none", "n/a", "na", "nan", "-", "#n/a"]).fillna(True)
    return miss.astype(bool)


def _variants(col: pd.Series) -> tuple[int, str | None]:
    """Rows spelled differently from the usual spelling of the same word ('usa' vs 'USA').

    Values are grouped by letters and digits only (case, spaces and punctuation ignored);
    in a group with several spellings, every row not in the most common one counts. Values
    without letters (numbers, codes like '-5') are left out: their punctuation carries meaning.
    """
    text = col[~_missing(col)].astype("string")
    if text.empty or pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
        return 0, None
    text = text[text.str.contains(r"[^\W\d_]", regex=True).fillna(False)]
    # Punctuation between digits carries meaning ('$1.96M', '$19.6M' and '$196M' are three
    # amounts, not three spellings): it is kept in the key; elsewhere it is ignored.
    key = (
        text.str.lower()
        .str.replace(r"(?<=\d)[.,](?=\d)", "#", regex=True)
        .str.replace(r"[^\w#]+", "", regex=True)
    )
    counts = pd.DataFrame({"key": key, "raw": text}).value_counts()
    per_key = counts.groupby(level="key")
    spellings = per_key.size()
    bad = spellings[spellings > 1].index
    if bad.empty:
        return 0, None
    extra = int((per_key.sum() - per_key.max())[bad].sum())
    worst = (per_key.sum() - per_key.max())[bad].idxmax()
    example = sorted(str(raw) for raw in text[key == worst].unique())[:3]
    return extra, " / ".join(example)


def _mixed_numbers(col: pd.Series) -> int:
    """Rows that are text in a column that is mostly numbers ('51-200' among counts)."""
    if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
        return 0
    text = col[~_missing(col)].astype("string").str.strip()
    if text.empty:
        return 0
    numeric = text.str.fullmatch(r"[+-]?[\d,]*\.?\d+").fillna(False)
    share = float(numeric.mean())
    return int((~numeric).sum()) if 0.5 <= share < 1.0 else 0


def _column_rows(frame: pd.DataFrame, used: set[str]) -> pd.DataFrame:
    rows = []
    for name in frame.columns:
        col = frame[name]
        miss = _missing(col)
        fill = 1.0 - float(miss.mean()) if len(col) else 0.0
        variants, example = _variants(col)
        mixed = _mixed_numbers(col)
        rows.append(
            {
                "column": str(name),
                "filled": int((~miss).sum()),
                "fill_rate": round(fill, 4),
                "distinct": int(col[~miss].astype("string").nunique()),
                "used_by_profile": str(name) in used,
                "low_fill": str(name) in used and fill < FILL_THRESHOLD,
                "variant_rows": variants,
                "variant_example": example,
                "mixed_type_rows": mixed,
            }
        )
    return pd.DataFrame(rows)


def _used_originals(raw: pd.DataFrame, used: list[str], kind: str | None) -> set[str]:
    """Columns of the file as exported that feed a column the profile reads: the profile
    says ``industry`` and ``tech_aws``, the file ``Industry`` and ``Technologies__c``."""
    from .intake import recognize

    wanted = set(used)
    out = {str(c) for c in raw.columns if str(c) in wanted}
    mapping = recognize([str(c) for c in raw.columns], kind=kind).mapping
    for original, canonical in mapping.items():
        if canonical is None:
            continue
        prefix = "tech" if canonical == "technologies" else canonical
        if canonical in wanted or any(u.startswith(f"{prefix}_") for u in wanted):
            out.add(original)
        if canonical in ("country", "employees") and wanted & {"region", "employees_band"}:
            out.add(original)  # region and the band are derived from these
    return out


def _profile_fill(raw: pd.DataFrame, canonical: pd.DataFrame, used: list[str]) -> pd.DataFrame:
    """Fill rate of the columns the profile reads, from the canonical (mapped) table."""
    rows = []
    for name in used:
        if name in canonical.columns:
            miss = _missing(canonical[name])
            fill = 1.0 - float(miss.mean()) if len(miss) else 0.0
            filled = int((~miss).sum())
        else:
            fill, filled = 0.0, 0
        rows.append(
            {
                "column": name,
                "filled": filled,
                "fill_rate": round(fill, 4),
                "present": name in canonical.columns,
                "low_fill": fill < FILL_THRESHOLD,
            }
        )
    return pd.DataFrame(rows, columns=["column", "filled", "fill_rate", "present", "low_fill"])


def duplicates(frame: pd.DataFrame) -> dict[str, Any]:
    """Duplicate records by normalised domain, by normalised company name and by e-mail."""
    out: dict[str, Any] = {}
    checks: tuple[tuple[str, tuple[str, ...], Any], ...] = (
        ("domain", _DOMAIN_COLUMNS, normalize_domain),
        ("name", _NAME_COLUMNS, normalize_name),
        ("email", ("email", "e-mail", "email address"), _normalize_email),
    )
    for label, names, norm in checks:
        col = _find(frame, names)
        if col is None:
            out[label] = None
            continue
        key = norm(frame[col]).dropna()
        counts = key.value_counts()
        dupes = counts[counts > 1]
        out[label] = {
            "column": col,
            "groups": len(dupes),
            "extra_rows": int((dupes - 1).sum()),
            "examples": [str(k) for k in dupes.index[:5]],
        }
    return out


def _normalize_email(values: pd.Series) -> pd.Series:
    text = values.astype("string").str.strip().str.lower()
    return text.mask(~text.str.contains("@", regex=False).fillna(False))


def _dates(col: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(col):
        dates = pd.Series(col)
    else:
        dates = pd.to_datetime(col.astype("string"), errors="coerce", format="mixed")
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    return dates


def decay_forecast(
    dates: pd.Series,
    decay: float = DEFAULT_DECAY,
    today: Any = None,
    horizons_days: tuple[int, ...] = (0, 30, 60, 90, 180, 365),
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Expected stale records now and at each horizon, from last-verified dates.

    A record verified ``m`` months ago is stale with probability ``1 - (1 - decay) ** m``;
    records without a date count as stale (nobody knows when they were last true).
    Ages are measured to ``today``, by default the latest date in the data (the export's
    own "as of"): against the machine's clock a 2021 export read in 2026 is all stale.
    """
    if not 0 < decay < 1:
        raise ConfigError(f"decay must be a monthly share between 0 and 1 (e.g. 0.03); got {decay}")
    d = _dates(dates)
    known = d.notna()
    as_of = "given"
    if today is not None:
        now = pd.Timestamp(today)
    elif known.any():
        now, as_of = d[known].max().normalize(), "latest date in the data"
    else:
        now, as_of = pd.Timestamp.now().normalize(), "the machine's clock"
    months = ((now - d[known]).dt.days / _DAYS_PER_MONTH).clip(lower=0).to_numpy(dtype=float)
    undated = int((~known).sum())
    rows = []
    for h in horizons_days:
        p = 1.0 - (1.0 - decay) ** (months + h / _DAYS_PER_MONTH)
        stale = float(p.sum()) + undated
        share = stale / len(d) if len(d) else 0.0
        rows.append(
            {"days_from_today": h, "expected_stale": round(stale, 1), "share": round(share, 4)}
        )
    table = pd.DataFrame(rows)
    summary = {
        "records": len(d),
        "dated": int(known.sum()),
        "undated": undated,
        "decay_per_month": decay,
        "today": now.date().isoformat(),
        "as_of": as_of,
        "median_age_months": None if not known.any() else round(float(np.median(months)), 1),
        "expected_stale_today": float(table["expected_stale"].iloc[0]),
        "expected_stale_in_90_days": float(
            table.loc[table["days_from_today"] == 90, "expected_stale"].iloc[0]
        )
        if 90 in horizons_days
        else None,
    }
    return table, summary


def _impossible(frame: pd.DataFrame, now: pd.Timestamp) -> dict[str, int]:
    """Values that cannot be true: negative sizes, founding years in the future, future dates."""
    out: dict[str, int] = {}
    for col in ("employees", "annual_revenue", "funding_total", "amount", "acv"):
        if col in frame.columns and pd.api.types.is_numeric_dtype(frame[col]):
            n = int((frame[col] < 0).sum())
            if n:
                out[f"{col} < 0"] = n
    if "founded_year" in frame.columns and pd.api.types.is_numeric_dtype(frame["founded_year"]):
        n = int(((frame["founded_year"] > now.year) | (frame["founded_year"] < 1600)).sum())
        if n:
            out["founded_year outside 1600..this year"] = n
    for col in ("last_verified", "last_modified", "created"):
        if col in frame.columns and pd.api.types.is_datetime64_any_dtype(frame[col]):
            n = int((_dates(frame[col]) > now + pd.Timedelta(days=1)).sum())
            if n:
                out[f"{col} in the future"] = n
    return out


def _nonzero(table: pd.DataFrame, col: str) -> dict[str, int]:
    hit = table[table[col] > 0]
    return dict(zip(hit["column"].astype(str), hit[col].astype(int).tolist(), strict=True))


def data_quality(
    source: Any,
    profile: Any = None,
    *,
    decay: float = DEFAULT_DECAY,
    today: Any = None,
    kind: str | None = None,
) -> QualityResult:
    """Fill rate, variants and mixed types per column; duplicates; impossible values; decay.

    ``table`` has one row per column of the file as exported (so the spellings people
    typed are visible); the profile's attributes are checked on the mapped table in
    ``summary["profile_fill"]`` (below 80% is flagged).
    """
    if not 0 < decay < 1:
        raise ConfigError(f"decay must be a monthly share between 0 and 1 (e.g. 0.03); got {decay}")
    raw = read_frame(source, kind, normalize=False)
    canonical = read_frame(source, kind)
    now = pd.Timestamp.now().normalize() if today is None else pd.Timestamp(today)
    used = list(profile.columns) if profile is not None else []
    table = _column_rows(raw, _used_originals(raw, used, kind))
    profile_fill = _profile_fill(raw, canonical, used)
    date_col = _find(canonical, _DATE_COLUMNS)
    if date_col is not None:
        _, staleness = decay_forecast(canonical[date_col], decay, today)
        staleness["column"] = date_col
    else:
        staleness = {"column": None, "note": "no last-verified or last-modified date column"}
    summary = {
        "rows": len(raw),
        "columns": len(raw.columns),
        "mean_fill_rate": round(float(table["fill_rate"].mean()), 4) if len(table) else None,
        "low_fill_columns": [
            str(c) for c in table.loc[table["fill_rate"] < FILL_THRESHOLD, "column"]
        ],
        "low_fill_rates": {
            str(c): round(float(f), 4)
            for c, f in zip(table["column"], table["fill_rate"], strict=True)
            if f < FILL_THRESHOLD
        },
        "profile_fill": profile_fill.to_dict("records"),
        "profile_low_fill": [str(c) for c in profile_fill.loc[profile_fill["low_fill"], "column"]],
        "duplicates": duplicates(canonical),
        "variant_columns": _nonzero(table, "variant_rows"),
        "mixed_type_columns": _nonzero(table, "mixed_type_rows"),
        "impossible_values": _impossible(canonical, now),
        "staleness": staleness,
    }
    return QualityResult(table, summary)


def plain(obj: Any) -> Any:
    """A JSON-safe copy: NaN/NA become None, NumPy scalars become Python ones (for summaries)."""
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [plain(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and np.isnan(obj):
        return None
    if obj is pd.NA or obj is pd.NaT:
        return None
    if isinstance(obj, pd.Timestamp):
        return obj.isoformat()
    return obj


# --------------------------------------------------------------------------- SQL twins
# The same keys computed inside DuckDB, so a universe of millions of rows is matched
# to the CRM without leaving the database.

# Bare domain from a domain, URL or e-mail, in one regex pass (RE2): see quality.normalize_domain.
DOMAIN_RE = r"^\s*(?:[a-z][a-z0-9+.\-]*://)?(?:[^@/]*@)?(?:www\d?\.)?([^/:?#\s]*)"
LEGAL_RE = (
    r"\b(inc|incorporated|llc|l\.l\.c|ltd|limited|gmbh|corp|corporation|co|company|sa|ag|plc|"
    r"bv|nv|srl|sas|pty|oy|ab)\b\.?"
)


def domain_key_sql(col: exp.Expr) -> exp.Expr:
    """SQL twin of :func:`normalize_domain` (DuckDB), as a sqlglot tree.

    Canonical universes already hold bare domains, so the regex only runs on values that
    look like URLs or e-mails (CASE evaluates a branch only for the rows that take it), and
    the look is checked on the raw text (lower-casing every row first costs more).
    """
    raw = exp.cast(col, "text")
    lower = exp.Lower(this=raw.copy())
    www = exp.EQ(
        this=exp.Lower(this=exp.func("left", raw.copy(), exp.Literal.number(3))),
        expression=exp.Literal.string("www"),
    )
    messy = exp.or_(
        *(exp.func("contains", raw.copy(), exp.Literal.string(c)) for c in "/:@?# "),
        www,
        exp.func("starts_with", raw.copy(), exp.Literal.string(".")),
        exp.func("ends_with", raw.copy(), exp.Literal.string(".")),
    )
    full = exp.RegexpExtract(
        this=lower.copy(), expression=exp.Literal.string(DOMAIN_RE), group=exp.Literal.number(1)
    )
    # TRIM is costly on every row: only the messy branch needs it.
    cleaned = exp.Trim(this=full, expression=exp.Literal.string(". "))
    key = exp.Case().when(messy, cleaned).else_(lower.copy())
    return exp.Nullif(this=key, expression=exp.Literal.string(""))


def name_key_sql(col: exp.Expr) -> exp.Expr:
    """SQL twin of :func:`normalize_name` (DuckDB), as a sqlglot tree."""
    text: exp.Expr = exp.Lower(this=exp.cast(col, "text"))
    steps = (("&", " and "), (LEGAL_RE, " "), (r"[^a-z0-9_]+", " "))
    for pattern, repl in steps:
        text = exp.RegexpReplace(
            this=text,
            expression=exp.Literal.string(pattern),
            replacement=exp.Literal.string(repl),
            modifiers=exp.Literal.string("g"),
        )
    return exp.Nullif(this=exp.Trim(this=text), expression=exp.Literal.string(""))
