"""How fast is the synthetic world? `python benchmarks/synth_speed.py [--accounts N]`.

Prints the time to build the world in memory (make_world) and to write it as files
(generate), with the row count of every table. Default: 100,000 accounts and a
1,000,000-company universe (the default 10x). Wall time and CPU time are both shown:
on a shared machine wall time is pessimistic.
"""

from __future__ import annotations

import argparse
import tempfile
import time

from icpkit.synth import generate, make_world


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--universe", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    wall, cpu = time.perf_counter(), time.process_time()
    world = make_world(args.accounts, seed=args.seed, n_universe=args.universe)
    make_wall, make_cpu = time.perf_counter() - wall, time.process_time() - cpu
    for name, frame in world.tables().items():
        print(f"  {name:15s} {len(frame):>10,} rows")
    print(f"make_world({args.accounts:,}): {make_wall:.2f} s wall, {make_cpu:.2f} s CPU")

    with tempfile.TemporaryDirectory() as out:
        wall, cpu = time.perf_counter(), time.process_time()
        generate(out, n_accounts=args.accounts, seed=args.seed, n_universe=args.universe)
        gen_wall, gen_cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(
        f"generate({args.accounts:,}) incl. writing files: {gen_wall:.2f} s wall, {gen_cpu:.2f} s CPU"
    )


if __name__ == "__main__":
    main()
