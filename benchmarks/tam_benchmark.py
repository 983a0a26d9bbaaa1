"""TAM benchmark: size a 10-million-row universe (Parquet) with a profile, in DuckDB.

    .venv/bin/python benchmarks/tam_benchmark.py [--rows 10000000] [--crm 5000]

Writes a synthetic canonical universe to a temporary Parquet file once (cached by row
count), then times ``icpkit.market.market_size``: scoring in SQL generated from the
profile, TAM/SAM by tier and segment, value from a fixed ACV, and white space against a
CRM of ``--crm`` accounts matched on domain and name. Prints the best of 3 runs.
The target is at most 5 s for 10M rows on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from icpkit.market import market_size
from icpkit.profile import profile_from_dict

INDUSTRIES = [
    "Software",
    "Financial Services",
    "Healthcare",
    "Education",
    "Retail",
    "Manufacturing",
]
COUNTRIES = ["US", "GB", "DE", "FR", "IN", "BR", "CA", "JP"]

PROFILE = {
    "name": "Benchmark ICP",
    "intercept": 5,
    "attributes": [
        {
            "name": "employees",
            "kind": "numeric",
            "missing_points": 0,
            "bins": [
                {"upper": 10, "points": -10},
                {"lower": 10, "upper": 200, "points": 10},
                {"lower": 200, "upper": 5000, "points": 30},
                {"lower": 5000, "points": 15},
            ],
        },
        {
            "name": "industry",
            "kind": "categorical",
            "bins": [
                {"values": ["Software"], "points": 30},
                {"values": ["Financial Services"], "points": 20},
                {"values": ["Education"], "points": -20},
            ],
        },
        {
            "name": "country",
            "kind": "categorical",
            "bins": [{"values": ["US", "GB", "DE"], "points": 10}],
        },
        {
            "name": "tech_salesforce",
            "kind": "categorical",
            "bins": [{"values": ["true"], "points": 15}],
        },
        {
            "name": "cloud_spend",
            "kind": "numeric",
            "bins": [{"upper": 10000, "points": 0}, {"lower": 10000, "points": 10}],
        },
    ],
    "segments": [
        {
            "name": "Mid-market software",
            "conditions": [
                {"attribute": "industry", "in": ["Software"]},
                {"attribute": "employees", "ge": 200, "lt": 5000},
            ],
        },
        {
            "name": "European finance",
            "conditions": [
                {"attribute": "industry", "in": ["Financial Services"]},
                {"attribute": "country", "in": ["GB", "DE", "FR"]},
            ],
        },
    ],
    "disqualifiers": [
        {"name": "Micro", "conditions": [{"attribute": "employees", "lt": 5}], "cap": 20}
    ],
}


def make_universe(path: Path, rows: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    ids = pa.array(np.arange(rows, dtype=np.int64))
    text_ids = pc.cast(ids, pa.string())
    table = pa.table(
        {
            "company_id": ids,
            "name": pc.binary_join_element_wise("Company ", text_ids, ""),
            "domain": pc.binary_join_element_wise("company", text_ids, ".com", ""),
            "industry": pa.array(np.array(INDUSTRIES)[rng.integers(0, len(INDUSTRIES), rows)]),
            "employees": pa.array(np.round(rng.lognormal(4, 1.6, rows))),
            "country": pa.array(np.array(COUNTRIES)[rng.integers(0, len(COUNTRIES), rows)]),
            "tech_salesforce": pa.array(rng.random(rows) < 0.3),
            "cloud_spend": pa.array(rng.lognormal(8, 1.5, rows)),
        }
    )
    pq.write_table(table, path, row_group_size=1_000_000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--crm", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    path = Path(tempfile.gettempdir()) / f"icpkit_tam_universe_{args.rows}.parquet"
    if not path.exists():
        start = time.perf_counter()
        make_universe(path, args.rows)
        print(f"wrote {path} ({args.rows:,} rows) in {time.perf_counter() - start:.1f} s")
    crm_ids = np.random.default_rng(1).choice(args.rows, args.crm, replace=False)
    accounts = pa.table(
        {
            "account_id": pa.array(crm_ids),
            "name": pa.array([f"Company {i}" for i in crm_ids]),
            "domain": pa.array([f"https://www.company{i}.com/" for i in crm_ids]),
        }
    )
    profile = profile_from_dict(PROFILE)
    times, cpu = [], []
    for _ in range(args.runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = market_size(path, profile, accounts, value=25_000, where="employees >= 10")
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    s = result.summary
    print(
        f"market_size on {s['universe_companies']:,} rows: best {min(times):.2f} s "
        f"(runs: {', '.join(f'{t:.2f}' for t in times)}); "
        f"CPU time {min(cpu):.2f} s over {os.cpu_count()} cores"
    )
    print(
        f"TAM tier A: {s['by_tier']['A']['tam']:,}  SAM: {s['sam']['companies']:,}  "
        f"in CRM: {s['in_crm']:,}  white space: {s['white_space']['companies']:,}"
    )


if __name__ == "__main__":
    main()
