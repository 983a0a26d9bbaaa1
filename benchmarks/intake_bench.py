"""Intake speed: read, recognise and normalise a messy Salesforce-style accounts export.

Usage::

    .venv/bin/python benchmarks/intake_bench.py            # 200,000 rows
    .venv/bin/python benchmarks/intake_bench.py --rows 1000000
    .venv/bin/python benchmarks/intake_bench.py --no-fast  # without the vectorised fast paths

Writes a CSV with realistic dirt (employee ranges, "$1.2M" revenue, country names
and codes, technology lists, mixed date formats, custom fields) to a temporary
folder, then prints rows per second for: sniff, read_table (raw strings),
load (recognise + normalise + report), iter_batches and load_batches (streaming).
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from icpkit.intake import iter_batches, load, load_batches, read_table, sniff
from icpkit.intake.normalizers import _base as normalizer_base

EMPLOYEES = ["51-200", "1,200", "10,001+", "11-50", "350", "", "5000", "1-10", "201-500"]
REVENUE = ["$1.2M", "45000000", "€3 bn", "$120,000", "", "2.5 million", "USD 900k"]
COUNTRIES = ["United States", "USA", "DE", "Germany", "UK", "France", "fr", "Brasil", "", "Japan"]
INDUSTRIES = [
    "Software",
    "Computer Software",
    "Financial Services",
    "Hospital & Health Care",
    "Retail",
]
TECH = ["Salesforce", "HubSpot", "AWS", "Google Cloud", "Slack", "Snowflake", "Zendesk"]
DATES = ["2021-03-04T10:00:00.000Z", "2022-07-19T08:30:00.000Z", "2019-11-01T00:00:00.000Z", ""]
HEADER = (
    "Id,Name,Website,Industry,NumberOfEmployees,AnnualRevenue,BillingCountry,BillingCity,"
    "Technologies__c,CreatedDate,Tier__c,Legacy_Score__c\n"
)


def write_export(path: Path, rows: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(HEADER)
        for i in range(rows):
            tech = ";".join(rng.sample(TECH, rng.randint(0, 4)))
            fh.write(
                f"0015g{i:010d},Company {i},https://www.company{i}.com,{rng.choice(INDUSTRIES)},"
                f'"{rng.choice(EMPLOYEES)}","{rng.choice(REVENUE)}",{rng.choice(COUNTRIES)},'
                f"City {i % 500},{tech},{rng.choice(DATES)},{rng.choice('ABC')},{rng.random():.3f}\n"
            )


def timed(label: str, rows: int, fn: Callable[[], Any]) -> Any:
    # CPU seconds too: on shared cores they move less with the other processes than wall time.
    start, cpu = time.perf_counter(), time.process_time()
    result = fn()
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    print(
        f"{label:<34} {seconds:8.2f} s {rows / seconds:>14,.0f} rows/s"
        f"   (CPU {cpu_seconds:6.2f} s, {rows / cpu_seconds:>10,.0f} rows/CPU-s)"
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument(
        "--no-fast",
        action="store_true",
        help="per-value parsers only (the normalisers before their vectorised fast paths)",
    )
    args = parser.parse_args()
    normalizer_base.FAST = not args.no_fast
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "accounts.csv"
        write_export(path, args.rows)
        size_mb = path.stat().st_size / 1e6
        print(f"{args.rows:,} rows, {size_mb:.1f} MB\n")
        timed("sniff", args.rows, lambda: sniff(path))
        timed("read_table (raw strings)", args.rows, lambda: read_table(path))
        loaded = timed("load (recognise+normalise+report)", args.rows, lambda: load(path))
        timed(
            "iter_batches (streaming read)", args.rows, lambda: sum(1 for _ in iter_batches(path))
        )
        timed(
            "load_batches (streaming load)", args.rows, lambda: sum(1 for _ in load_batches(path))
        )
        report = loaded.report
        print(
            f"\nsystem={report['system']} kind={report['kind']} columns {report['columns_in']}"
            f" -> {report['columns_out']}, coerced to missing:"
            f" {sum(c['became_missing'] for c in report['coercions']):,}"
        )


if __name__ == "__main__":
    main()
