"""Bad-input benchmark: a very wide CSV through `icp inspect`, a messy CSV export scored to Parquet.

Prints, for each case, wall seconds, the child's CPU seconds, rows/s and peak RSS (the
child's own VmHWM, polled). The machine's load average is printed too: on a shared
machine wall time grows with the load, CPU time much less.

    python benchmarks/bad_input_bench.py --wide-columns 20000 --rows 5000000
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from _child import run_peak_rss  # benchmarks/_child.py (scripts run from this folder)

PROFILE = """\
attributes:
  - name: employees
    kind: numeric
    bins:
      - {upper: 50, points: 5}
      - {lower: 50, upper: 1000, points: 25}
      - {lower: 1000, points: 15}
  - name: industry
    kind: categorical
    bins:
      - {values: [Software], points: 30}
      - {values: [Retail], points: -10}
  - name: annual_revenue
    kind: numeric
    bins:
      - {upper: 10000000, points: 0}
      - {lower: 10000000, points: 20}
  - name: tech_aws
    kind: categorical
    bins:
      - {values: ["true"], points: 9}
tiers: {A: 75, B: 50, C: 25}
"""


def write_wide(path: Path, columns: int, rows: int = 50) -> None:
    header = ",".join(f"Field_{j}__c" for j in range(columns))
    body = "\n".join(",".join(str((i * j) % 97) for j in range(columns)) for i in range(rows))
    path.write_text(header + "\n" + body + "\n")


def write_messy(path: Path, rows: int, seed: int = 0) -> None:
    """A Salesforce-style account export with the values real exports carry: employee
    ranges, money with currency words, country names, technology lists, blanks, and one
    ragged row in 100,000."""
    rng = np.random.default_rng(seed)
    block = min(rows, 500_000)
    employees = np.array(["51-200", "1,200", "10,001+", "5000", "", "11-50", "lots"], dtype=object)
    revenue = np.array(["$1.2M", "1,200,000", "€3 bn", "250000", "", "$45k"], dtype=object)
    countries = np.array(["United States", "USA", "Germany", "DE", "france", "Japan", ""])
    industries = np.array(["Software", "Computer Software", "Retail", "Banking", "", "IT"])
    tech = np.array(["AWS;Salesforce", "Amazon Web Services", "GCP, Azure", "", "HubSpot|AWS"])
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(
            "Id,Name,Industry,NumberOfEmployees,BillingCountry,AnnualRevenue,Technologies__c\n"
        )
        written = 0
        while written < rows:
            n = min(block, rows - written)
            ids = np.char.add("001", np.arange(written, written + n).astype(str))
            table = pa.table(
                {
                    "Id": ids,
                    "Name": np.char.add("Company ", np.arange(written, written + n).astype(str)),
                    "Industry": industries[rng.integers(0, len(industries), n)],
                    "NumberOfEmployees": employees[rng.integers(0, len(employees), n)],
                    "BillingCountry": countries[rng.integers(0, len(countries), n)],
                    "AnnualRevenue": revenue[rng.integers(0, len(revenue), n)],
                    "Technologies__c": tech[rng.integers(0, len(tech), n)],
                }
            )
            buffer = pa.BufferOutputStream()
            pacsv.write_csv(table, buffer, pacsv.WriteOptions(include_header=False))
            text = buffer.getvalue().to_pybytes().decode()
            lines = text.split("\n")
            for k in range(0, len(lines) - 1, 100_000):  # one ragged row in 100,000
                lines[k] = lines[k] + ',"extra"'
            fh.write("\n".join(lines))
            written += n


def run(cmd: list[str]) -> dict[str, float]:
    """Wall seconds, CPU seconds and peak RSS (MiB) of ``cmd``, run as a child."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    peak = run_peak_rss(cmd)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu, "peak_mib": peak / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wide-columns", type=int, default=20_000)
    parser.add_argument("--rows", type=int, default=5_000_000, help="rows of the messy export")
    args = parser.parse_args()
    icp = str(Path(sys.executable).with_name("icp"))
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="icp-bad-input-", dir=".") as tmp:
        wide = Path(tmp, "wide.csv")
        write_wide(wide, args.wide_columns)
        got = run([icp, "inspect", str(wide), "--json"])
        print(
            f"inspect {args.wide_columns:,} columns x 50 rows: {got['wall']:.1f} s wall,"
            f" {got['cpu']:.1f} s CPU, peak RSS {got['peak_mib']:.0f} MiB"
        )
        messy, profile = Path(tmp, "messy.csv"), Path(tmp, "profile.yaml")
        write_messy(messy, args.rows)
        profile.write_text(PROFILE)
        out = Path(tmp, "scored.parquet")
        got = run([icp, "score", str(messy), "-p", str(profile), "-o", str(out), "--json"])
        size = messy.stat().st_size / 2**20
        print(
            f"score messy CSV ({args.rows:,} rows, {size:,.0f} MiB) -> Parquet:"
            f" {args.rows / got['wall']:,.0f} rows/s wall, {args.rows / got['cpu']:,.0f} rows"
            f" per CPU-second, peak RSS {got['peak_mib']:.0f} MiB"
        )
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
