"""How fast the value normalisers are, per kind.

Two shapes per kind:

- ``1M rows, few distinct``: a CRM column, a million rows with the golden
  file's distinct values repeated. The normalisers parse each distinct value
  once, so this measures the mapping back onto the rows.
- ``distinct``: every value different (worst case, e.g. free-text money or
  dates with times). This measures the per-value parsers. Years cannot be all
  different (about 220 plausible ones), so their second figure is a mapping figure.

Run: ``.venv/bin/python benchmarks/normalizers_benchmark.py [--rows 1000000] [--distinct 100000]``
(``--no-fast``: the per-value parsers only, to compare with the vectorised fast paths)
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from icpkit.intake.normalizers import _base as normalizer_base
from icpkit.intake.normalizers import normalize

GOLDEN = Path(__file__).resolve().parents[1] / "tests" / "golden" / "normalizers"
NAMES = {
    "employees": "employees",
    "money": "annual_revenue",
    "country": "country",
    "industry": "industry",
    "title": "title",
    "list": "technologies",
    "date": "created",
    "bool": "won",
    "domain": "domain",
    "number": "seats",
    "year": "founded_year",
    "text": "name",
}


def golden_inputs(kind: str) -> list[str]:
    lines = (GOLDEN / f"{kind}.tsv").read_text(encoding="utf-8").splitlines()
    rows = [line.split("\t")[0] for line in lines if line and not line.startswith("#")]
    return [r.replace("\\s", " ") for r in rows[1:] if r != "<NA>" and "\\" not in r]


def distinct_values(kind: str, n: int, rng: np.random.Generator) -> list[str]:
    """n different values that look like the kind's real values."""
    k = rng.integers(1, 10**6, n)
    makers: dict[str, Callable[[int], str]] = {
        "employees": lambda i: f"{i:,}",
        "money": lambda i: f"${i / 100:,.2f}",
        "number": lambda i: f"{i:,}",
        "date": lambda i: str(pd.Timestamp("2000-01-01") + pd.Timedelta(seconds=int(i) * 97)),
        "domain": lambda i: f"https://www.company{i}.com/about",
        "title": lambda i: f"Senior Engineer {i}",
        "list": lambda i: f"AWS;Tool{i % 500};Salesforce",
        "country": lambda i: f"Country {i}",
        "industry": lambda i: f"Industry {i}",
        "bool": lambda i: f"maybe {i}",
        "year": lambda i: str(1800 + i % 200),
        "text": lambda i: f"Company {i}",
    }
    return [makers[kind](int(i)) + f" {j}" * (kind in ("text",)) for j, i in enumerate(k)]


def timed(kind: str, values: pd.Series) -> float:
    started = time.perf_counter()
    normalize(kind, values, NAMES[kind])
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--distinct", type=int, default=100_000)
    parser.add_argument(
        "--no-fast", action="store_true", help="per-value parsers only (no vectorised fast paths)"
    )
    args = parser.parse_args()
    normalizer_base.FAST = not args.no_fast
    rng = np.random.default_rng(0)
    print(
        f"{'kind':10} {f'{args.rows:,} rows, few distinct':>28} {f'{args.distinct:,} distinct':>24}"
    )
    for kind in NAMES:
        few = golden_inputs(kind)
        column = pd.Series(np.array(few, dtype=object)[rng.integers(0, len(few), args.rows)])
        many = pd.Series(distinct_values(kind, args.distinct, rng), dtype=object)
        t_few, t_many = timed(kind, column), timed(kind, many)
        print(
            f"{kind:10} {t_few:9.2f} s ({args.rows / t_few / 1e6:5.1f} M rows/s)"
            f" {t_many:9.2f} s ({args.distinct / t_many / 1e3:6.0f} k values/s)"
        )


if __name__ == "__main__":
    main()
