"""Success: which customers count as the ones you want more of.

Either a label column with a positive value (``IsWon`` = true, ``Converted`` = 1, ``Churn`` = No),
or a composite expression over outcome columns, in a small safe language parsed with :mod:`ast`
(nothing is ever ``eval``-ed)::

    renewed and acv >= median(acv)                 # renewed, and ACV at or above the median
    ltv >= quantile(ltv, 0.75)                     # top quartile of LTV
    cac < median(cac)                              # low CAC
    0.6 * renewed + 0.4 * expanded >= 0.5          # weighted composite
    `Deal Stage` == "Closed Won"                   # backticks quote names with spaces

Allowed: column names, numbers, strings, true/false, ``and or not``, comparisons
(``== != < <= > >= in``), ``+ - * /``, and the functions ``median mean min max quantile
isnull notnull``. Yes/no columns are read as booleans ("true", "yes", "1", "won" ...).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from .errors import ConfigError, SchemaError, did_you_mean
from .outcomes import open_note, open_rows
from .profile import SuccessDefinition

__all__ = [
    "SuccessLabel",
    "best_customers",
    "evaluate_expression",
    "expression_columns",
    "means_loss",
    "ranked_successes",
    "success_label",
]

TRUE_WORDS = {"true", "t", "yes", "y", "1", "1.0", "won", "closed won", "closedwon", "converted"}
FALSE_WORDS = {"false", "f", "no", "n", "0", "0.0", "lost", "closed lost", "closedlost"}
_FUNCS = {"median", "mean", "min", "max", "quantile", "isnull", "notnull"}


@dataclass
class SuccessLabel:
    """A success flag per row; ``defined`` is False where the target is unknown (kept out of fits)."""

    y: np.ndarray
    defined: np.ndarray
    definition: SuccessDefinition
    notes: list[str] = field(default_factory=list)
    # What success is, as the user reads it: 'Churn = No', 'deal_stage = Won', the expression
    words: str = ""

    @property
    def n_success(self) -> int:
        return int(self.y[self.defined].sum())

    @property
    def rate(self) -> float:
        d = int(self.defined.sum())
        return self.n_success / d if d else float("nan")


def _frame(data: Any) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, pa.Table):
        return data.to_pandas()
    raise TypeError(f"expected a pandas DataFrame or pyarrow Table, got {type(data).__name__}")


def _said(value: Any) -> str:
    """A label value as a person reads it: a yes/no flag is Yes or No, not True or False."""
    if isinstance(value, bool | np.bool_):
        return "Yes" if value else "No"
    return str(value)


def _text(s: pd.Series) -> pd.Series:
    return s.astype("string").str.strip().str.lower()


def _as_bool(s: pd.Series, name: str) -> pd.Series:
    """Yes/no values as a nullable boolean; anything else is an error naming the value."""
    if pd.api.types.is_bool_dtype(s):
        return s.astype("boolean")
    if pd.api.types.is_numeric_dtype(s):
        bad = s.notna() & ~s.isin([0, 1])
        if bad.any():
            raise ConfigError(
                "column is not a yes/no flag",
                column=name,
                value=s[bad].iloc[0],
                hint="Compare it instead, e.g. col >= median(col)",
            )
        return s.map(lambda v: None if pd.isna(v) else bool(v)).astype("boolean")
    text = s.astype("string").str.strip().str.lower()
    out = pd.Series(pd.NA, index=s.index, dtype="boolean")
    out[text.isin(list(TRUE_WORDS)).fillna(False)] = True
    out[text.isin(list(FALSE_WORDS)).fillna(False)] = False
    bad = text.notna() & (text != "") & out.isna()
    if bad.any():
        raise ConfigError(
            "column is not a yes/no flag",
            column=name,
            value=s[bad].iloc[0],
            hint='Compare it instead, e.g. col == "Closed Won"',
        )
    return out


def success_label(
    data: Any,
    target: str | None = None,
    *,
    positive: str | list[str] | None = None,
    expression: str | None = None,
    open_as_failure: bool = False,
    unit: str = "rows",
    name: str | None = None,
    open_why: str | None = None,
) -> SuccessLabel:
    """Success per row from a label column (and its positive values) or an expression.

    Rows still open (a deal stage that is neither won nor lost, see :mod:`icpkit.outcomes`) are
    left out unless ``open_as_failure``; ``unit`` names a row in the note that says so, and
    ``name`` the target as the user's file spells it ('Churn' where intake made it 'churned'),
    ``open_why`` who asked to count open rows as failures. The definition records the choice.
    """
    df = _frame(data)
    if (target is None) == (expression is None):
        raise ConfigError("give exactly one of: a target column, or a success expression")
    if expression is not None:
        value = evaluate_expression(expression, df)
        if value.dtype != bool:
            raise ConfigError(
                "the success expression must be a yes/no test",
                value=expression,
                hint="End it with a comparison, e.g. 0.6 * renewed + 0.4 * expanded >= 0.5",
            )
        defined, notes = _expression_applies(df, expression)
        return SuccessLabel(
            value.astype(bool) & defined,
            defined,
            SuccessDefinition(expression=expression),
            notes,
            expression,
        )
    assert target is not None
    if target not in df.columns:
        raise SchemaError(
            "no such target column",
            column=target,
            hint=did_you_mean(target, df.columns) or "Give the name of the label column",
        )
    col = df[target]
    defined = (
        col.notna().to_numpy() & (col.astype("string").str.strip() != "").fillna(False).to_numpy()
    )
    notes = []
    if positive is None:
        # 'Closed Won' needs no --positive; the open stages beside it are not yes/no values
        is_open = open_rows(col, _text(col).isin(list(TRUE_WORDS)).fillna(False).to_numpy(bool))
        flag = _as_bool(col.mask(is_open), target)
        y = flag.fillna(False).to_numpy(dtype=bool)
        pos_values = []
        lost = flag.eq(False).fillna(False).to_numpy(dtype=bool)
        if means_loss(target) and lost.any():
            # "Churn = Yes" is the outcome to avoid: the ideal customers are the others.
            y = lost
            pos_values = sorted({str(v) for v in col[lost]})
            # in the user's words: intake read 'Churn' Yes/No as a yes/no flag named 'churned'
            said = sorted({_said(v) for v in col[lost]})
            shown = name or target
            notes.append(
                f"the target {shown} means a loss: treating {shown} = {' or '.join(said)} as "
                "success (the customers kept); give --positive (success.positive in icp.yaml) "
                "to choose the success value yourself"
            )
    else:
        pos_values = [positive] if isinstance(positive, str) else list(positive)
        text = col.astype("string").str.strip().str.lower()
        wanted = {p.strip().lower() for p in pos_values}
        if pd.api.types.is_bool_dtype(col) and wanted <= TRUE_WORDS | FALSE_WORDS:
            # Intake turned Yes/No into booleans: 'No' still means False.
            text = col.astype("boolean").map({True: "true", False: "false"}).astype("string")
            wanted = {"true" if w in TRUE_WORDS else "false" for w in wanted}
        y = text.isin(list(wanted)).fillna(False).to_numpy(dtype=bool)
        if not y.any():
            seen = ", ".join(map(repr, col.dropna().astype(str).unique()[:8]))
            raise ConfigError(
                "no row has the positive value",
                column=target,
                value=pos_values[0],
                hint=f"Values seen: {seen}",
            )
        is_open = open_rows(col, y)
    if is_open.any():
        notes.append(open_note(col, is_open, unit, open_as_failure, open_why))
        if not open_as_failure:
            defined = defined & ~is_open
    missing = ~defined & ~is_open
    if missing.any():
        notes.append(f"{int(missing.sum()):,} rows have no {target} value; left out of the fit")
    if not len(col):
        raise ConfigError(
            "the table has no data rows: there is nothing to learn from",
            column=target,
            hint="Export the table again with its rows",
        )
    if not defined.any():
        raise ConfigError(
            f"every row's outcome is missing: the column has no values ({len(col):,} rows)",
            column=target,
            hint="Pick the column that holds the outcome (--target), or fill it in",
        )
    if y[defined].all() or not y[defined].any():
        raise ConfigError(
            "every row has the same outcome; success needs both successes and failures",
            column=target,
        )
    success_values = sorted({_said(v) for v in col[y & defined]})
    return SuccessLabel(
        y & defined,
        defined,
        SuccessDefinition(
            target=target, positive=pos_values or None, open_as_failure=open_as_failure or None
        ),
        notes,
        f"{name or target} = {' or '.join(success_values[:3])}"
        + (f" (+{len(success_values) - 3} more)" if len(success_values) > 3 else ""),
    )


_LOSS_WORDS = re.compile(
    r"(^|_)(churn|churned|churner|churns|lost|is_lost|closed_lost|cancel|cancelled|canceled|"
    r"cancellation|attrition|attrited|lapsed|defected)(_|$)"
)


def means_loss(name: str) -> bool:
    """True when a column's name says its "yes" is a loss (Churn, churned, Closed Lost ...)."""
    from .schema import column_words

    return _LOSS_WORDS.search(column_words(name)) is not None


def _expression_applies(df: pd.DataFrame, expression: str) -> tuple[np.ndarray, list[str]]:
    """Rows the expression can judge, and notes saying how many it cannot.

    A row with no value in *any* column the expression reads (a non-customer, for a
    retention definition such as "renewed and acv >= median(acv)") is left out of the fit,
    not counted as a failure. Expressions that test for missing values themselves
    (isnull/notnull) apply to every row.
    """
    cols = [c for c in expression_columns(expression) if c in df.columns]
    everywhere = np.ones(len(df), dtype=bool)
    if not cols or re.search(r"\b(isnull|notnull)\s*\(", expression):
        return everywhere, []
    present = df[cols].notna().to_numpy(dtype=bool)
    defined: np.ndarray = np.asarray(present.any(axis=1), dtype=bool)
    notes = []
    left_out = int((~defined).sum())
    if left_out:
        notes.append(
            f"{left_out} rows have no value in any of {', '.join(cols)} (the success "
            "expression cannot apply to them, e.g. non-customers): left out of the fit"
        )
    partial = int((defined & ~present.all(axis=1)).sum())
    if partial:
        notes.append(
            f"{partial} rows miss some of {', '.join(cols)}; a missing value does not meet "
            "its condition"
        )
    return defined, notes


# ---------------------------------------------------------------------------------------------
# The expression language


_BACKTICK = re.compile(r"`([^`]+)`")


def _parse(expression: str) -> tuple[ast.Expression, dict[str, str]]:
    names: dict[str, str] = {}

    def repl(m: re.Match[str]) -> str:
        key = f"__col{len(names)}"
        names[key] = m.group(1)
        return key

    text = _BACKTICK.sub(repl, expression)
    text = re.sub(r"\btrue\b", "True", re.sub(r"\bfalse\b", "False", text))
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise ConfigError(
            "cannot parse the success expression",
            value=expression,
            hint=f"Syntax error near character {exc.offset}",
        ) from None
    return tree, names


def expression_columns(expression: str) -> list[str]:
    """Columns an expression reads, in order."""
    tree, names = _parse(expression)
    out: dict[str, None] = {}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Name)
            and node.id not in _FUNCS
            and node.id not in {"True", "False"}
        ):
            out[names.get(node.id, node.id)] = None
    return list(out)


class _Evaluator:
    def __init__(self, df: pd.DataFrame, names: dict[str, str], expression: str) -> None:
        self.df, self.names, self.expression = df, names, expression

    def fail(self, what: str) -> ConfigError:
        return ConfigError(
            f"{what} is not allowed in a success expression",
            value=self.expression,
            hint="Use columns, numbers, strings, and/or/not, comparisons, + - * / and "
            + ", ".join(sorted(_FUNCS)),
        )

    def column(self, name: str) -> pd.Series:
        real = self.names.get(name, name)
        if real not in self.df.columns:
            raise SchemaError(
                "the success expression names an unknown column",
                column=real,
                hint=did_you_mean(real, self.df.columns)
                or "Quote names with spaces in `backticks`",
            )
        s = self.df[real]
        if s.dtype == object or pd.api.types.is_string_dtype(s):
            num = pd.to_numeric(s, errors="coerce")
            if num.notna().sum() >= 0.98 * s.notna().sum() and s.notna().any():
                return num
        return s

    def ev(self, node: ast.AST) -> Any:
        match node:
            case ast.Expression(body=body):
                return self.ev(body)
            case ast.Constant(value=v) if isinstance(v, int | float | str | bool):
                return v
            case ast.Name(id="True"):
                return True
            case ast.Name(id="False"):
                return False
            case ast.Name(id=name):
                return self.column(name)
            case ast.BoolOp(op=op, values=values):
                parts = [self.truth(self.ev(v)) for v in values]
                out = parts[0]
                for p in parts[1:]:
                    out = (out & p) if isinstance(op, ast.And) else (out | p)
                return out
            case ast.UnaryOp(op=ast.Not(), operand=x):
                return ~self.truth(self.ev(x))
            case ast.UnaryOp(op=ast.USub(), operand=x):
                return -self.num(self.ev(x))
            case ast.BinOp(left=a, op=op, right=b) if isinstance(
                op, ast.Add | ast.Sub | ast.Mult | ast.Div
            ):
                x, z = self.num(self.ev(a)), self.num(self.ev(b))
                ops = {
                    ast.Add: np.add,
                    ast.Sub: np.subtract,
                    ast.Mult: np.multiply,
                    ast.Div: np.divide,
                }
                return ops[type(op)](x, z)
            case ast.Compare(left=a, ops=ops, comparators=comps):
                return self.compare(a, ops, comps)
            case ast.Call(func=ast.Name(id=fn), args=args, keywords=[]) if fn in _FUNCS:
                return self.call(fn, args)
            case ast.List(elts=elts) | ast.Tuple(elts=elts):
                return [self.ev(e) for e in elts]
        raise self.fail(f"'{ast.unparse(node)}'")

    def compare(self, a: ast.AST, ops: list[ast.cmpop], comps: list[ast.expr]) -> pd.Series:
        out: Any = True
        res: Any
        left = self.ev(a)
        for op, c in zip(ops, comps, strict=True):
            right = self.ev(c)
            if isinstance(op, ast.In | ast.NotIn):
                vals = right if isinstance(right, list) else [right]
                hit = (
                    pd.Series(left)
                    .astype("string")
                    .str.strip()
                    .str.lower()
                    .isin([str(v).strip().lower() for v in vals])
                    .fillna(False)
                )
                res = hit if isinstance(op, ast.In) else ~hit
            elif isinstance(right, str) or isinstance(left, str):
                lt = (
                    left.astype("string").str.strip().str.lower()
                    if isinstance(left, pd.Series)
                    else str(left).lower()
                )
                rt = (
                    right.astype("string").str.strip().str.lower()
                    if isinstance(right, pd.Series)
                    else str(right).lower()
                )
                if not isinstance(op, ast.Eq | ast.NotEq):
                    raise self.fail("ordering text")
                res = (lt == rt) if isinstance(op, ast.Eq) else (lt != rt)
            else:
                x, z = self.num(left), self.num(right)
                fns: dict[type[ast.cmpop], Any] = {
                    ast.Eq: np.equal,
                    ast.NotEq: np.not_equal,
                    ast.Lt: np.less,
                    ast.LtE: np.less_equal,
                    ast.Gt: np.greater,
                    ast.GtE: np.greater_equal,
                }
                res = fns[type(op)](x, z)
            out = out & pd.Series(res, index=self.df.index).fillna(False).astype(bool)
            left = right
        return out

    def call(self, fn: str, args: list[ast.expr]) -> Any:
        vals = [self.ev(a) for a in args]
        if fn in {"isnull", "notnull"}:
            s = vals[0]
            return s.isna() if fn == "isnull" else s.notna()
        x = self.num(vals[0])
        if fn == "quantile":
            if len(vals) != 2 or not isinstance(vals[1], int | float) or not 0 <= vals[1] <= 1:
                raise self.fail("quantile without a level between 0 and 1")
            return float(np.nanquantile(x, vals[1]))
        agg: dict[str, Any] = {
            "median": np.nanmedian,
            "mean": np.nanmean,
            "min": np.nanmin,
            "max": np.nanmax,
        }
        return float(agg[fn](x))

    def truth(self, v: Any) -> pd.Series:
        if isinstance(v, pd.Series):
            if v.dtype == bool:
                return v
            return _as_bool(v, str(v.name)).fillna(False).astype(bool)
        return pd.Series(bool(v), index=self.df.index)

    def num(self, v: Any) -> Any:
        if isinstance(v, pd.Series):
            if v.dtype == bool or pd.api.types.is_bool_dtype(v):
                return v.astype("float64")
            if pd.api.types.is_numeric_dtype(v):
                return v.astype("float64")
            try:
                return _as_bool(v, str(v.name)).astype("float64")
            except ConfigError:
                return pd.to_numeric(v, errors="coerce")
        if isinstance(v, bool):
            return float(v)
        if isinstance(v, int | float):
            return v
        raise self.fail(f"using text {v!r} as a number")


def evaluate_expression(expression: str, data: Any) -> np.ndarray:
    """Evaluate a success expression on every row (booleans, or numbers for a bare score)."""
    df = _frame(data)
    tree, names = _parse(expression)
    value = _Evaluator(df, names, expression).ev(tree)
    if isinstance(value, pd.Series):
        if pd.api.types.is_bool_dtype(value):
            return value.fillna(False).to_numpy(dtype=bool)
        return value.to_numpy(dtype=np.float64)
    return np.full(len(df), value)


def best_customers(
    data: Any, label: SuccessLabel, *, rank_by: str | None = None, limit: int = 25
) -> pd.DataFrame:
    """The successful rows, best first (by ``rank_by`` when given, e.g. LTV or ACV)."""
    df = _frame(data)
    best = df[label.y & label.defined]
    if rank_by is not None:
        if rank_by not in df.columns:
            raise SchemaError(
                "no such column to rank by",
                column=rank_by,
                hint=did_you_mean(rank_by, df.columns) or "Give a value column such as ltv or acv",
            )
        key = pd.to_numeric(best[rank_by], errors="coerce")
        best = best.assign(_rank=key).sort_values("_rank", ascending=False, na_position="last")
        best = best.drop(columns="_rank")
    return best.head(limit).reset_index(drop=True)


_VALUE_COLUMNS = ("ltv", "arr", "acv", "mrr", "amount", "close_value")
_NAME_COLUMNS = (
    "name",
    "account_name",
    "company",
    "domain",
    "account_id",
    "lead_id",
    "deal_id",
    "contact_id",
    "company_id",
)


def ranked_successes(
    table: pa.Table,
    y: np.ndarray,
    scores: np.ndarray,
    id_column: str | None = None,
    limit: int = 25,
) -> list[dict[str, Any]]:
    """Successful rows, best first: by a value column (LTV, ARR, ACV ...) when there is one,
    else by their ICP score — the customers to show sales as "more like these"."""
    from .binning import column_values

    rows = np.flatnonzero(y)
    if len(rows) == 0:
        return []
    sub = table.take(rows)
    score = np.asarray(scores)[rows]
    value = next((c for c in _VALUE_COLUMNS if c in sub.column_names), None)
    key = column_values(sub.column(value)) if value else score.astype(np.float64)
    order = np.lexsort((-score, -np.nan_to_num(key, nan=-np.inf)))[:limit]
    names = [c for c in (id_column, *_NAME_COLUMNS) if c and c in sub.column_names][:2]
    out = []
    for i in order.tolist():
        rec: dict[str, Any] = {c: sub.column(c)[i].as_py() for c in names}
        if value:
            rec[value] = None if np.isnan(key[i]) else float(key[i])
        rec["icp_score"] = int(score[i])
        out.append(rec)
    return out
