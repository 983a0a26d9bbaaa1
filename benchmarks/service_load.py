"""Load on `icp serve`, side by side with the library in process (loopback only, bounded).

    python benchmarks/service_load.py                      # 200 req/s for 60 s; 10k batch
    python benchmarks/service_load.py --rate 50 --seconds 10 --batches 2   # a quick look

Learns a profile on the synthetic world (3,000 accounts), starts `icp serve` on
127.0.0.1 (a separate process, one worker, no rate limit), and prints:

* single-record ``POST /v1/score`` at a fixed arrival rate (open loop: request i is sent
  at t0 + i/rate whatever happened before, and its latency counts from that planned
  moment, so a stalled server cannot hide behind a stalled client) — p50, p99, errors;
* one 10,000-record ``POST /v1/score`` — records/s (median of ``--batches`` requests);
* the same single records and batch through the library in process (``RecordScorer``),
  the floor under the HTTP figures.

Bounded: at most ``--max-in-flight`` requests at once, ``--seconds`` of load, loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pyarrow as pa

from icpkit.discover import learn
from icpkit.intake import load_table
from icpkit.profile import save_profile
from icpkit.service.auth import create_key
from icpkit.service.scoring import RecordScorer
from icpkit.service.settings import default_store_url
from icpkit.service.store import ServiceStore
from icpkit.synth import generate, make_world

HOST = "127.0.0.1"  # loopback only: this script never sends load anywhere else


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def prepare(workdir: Path) -> tuple[Path, list[dict[str, str]]]:
    """A learned profile, and the accounts export of another synthetic world as records."""
    world = make_world(n_accounts=3000, seed=7)
    table = load_table(
        pa.Table.from_pandas(world.training, preserve_index=False), kind="accounts"
    ).table
    profile = save_profile(learn(table, "IsWon").profile, workdir / "icp.yaml")
    generate(workdir / "crm", n_accounts=10_000, seed=11)
    with (workdir / "crm" / "accounts.csv").open(encoding="utf-8", newline="") as f:
        records = list(csv.DictReader(f))
    return profile, records


def start_server(profile: Path, port: int) -> subprocess.Popen[bytes]:
    src = str(Path(__file__).resolve().parents[1] / "src")
    env = {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}
    cmd = [
        sys.executable,
        "-c",
        "from icpkit.cli import main; main()",
        "serve",
        str(profile),
        "--host",
        HOST,
        "--port",
        str(port),
        "--rate-limit",
        "0",
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://{HOST}:{port}/healthz").status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start in 120 s")


async def open_loop(
    url: str,
    key: str,
    records: list[dict[str, str]],
    rate: float,
    seconds: float,
    max_in_flight: int,
) -> tuple[list[float], int, int]:
    """(latencies in ms, errors, requests) at a fixed arrival rate.

    Bounded in time: a request still waiting for a free connection 30 s after the load
    ends is not sent, and counts as an error (the server did not keep up).
    """
    n = int(rate * seconds)
    latencies: list[float] = []
    errors = 0
    gate = asyncio.Semaphore(max_in_flight)
    headers = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=max_in_flight, max_keepalive_connections=max_in_flight)
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=30) as client:
        start = time.perf_counter()

        async def one(i: int) -> None:
            nonlocal errors
            planned = start + i / rate
            await asyncio.sleep(max(0.0, planned - time.perf_counter()))
            async with gate:
                if time.perf_counter() > start + seconds + 30:
                    errors += 1
                    return
                try:
                    body = {"records": [records[i % len(records)]]}
                    response = await client.post(f"{url}/v1/score", json=body)
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
            if ok:
                latencies.append((time.perf_counter() - planned) * 1000)
            else:
                errors += 1

        await asyncio.gather(*(one(i) for i in range(n)))
    return latencies, errors, n


def server_view(url: str) -> dict[str, float]:
    """From /metrics: the server's own latency quantiles for /v1/score (bucket upper
    bounds, so an upper estimate), and how many requests shared one scoring call."""
    text = httpx.get(f"{url}/metrics").text
    buckets: list[tuple[float, float]] = []
    requests = calls = 0.0
    for line in text.splitlines():
        if line.startswith("icp_http_request_seconds_bucket") and '"/v1/score"' in line:
            le = line.split('le="')[1].split('"')[0]
            buckets.append((float("inf") if le == "+Inf" else float(le), float(line.split()[-1])))
        elif line.startswith("icp_http_requests_total") and 'route="/v1/score"' in line:
            requests += float(line.split()[-1])
        elif line.startswith("icp_score_calls_total "):
            calls = float(line.split()[-1])
    total = buckets[-1][1] if buckets else 0.0

    def quantile(q: float) -> float:
        return next((le * 1000 for le, n in buckets if n >= q * total), float("nan"))

    return {"p50": quantile(0.5), "p99": quantile(0.99), "per_call": requests / max(calls, 1)}


def batch_rate(url: str, key: str, records: list[dict[str, str]], repeats: int) -> float:
    body = {"records": records[:10_000]}
    headers = {"Authorization": f"Bearer {key}"}
    times = []
    with httpx.Client(headers=headers, timeout=120) as client:
        for _ in range(repeats):
            t0 = time.perf_counter()
            response = client.post(f"{url}/v1/score", json=body)
            times.append(time.perf_counter() - t0)
            if response.status_code != 200:
                raise SystemExit(f"batch request failed: {response.status_code}")
    return 10_000 / statistics.median(times)


def library_floor(
    profile: Path, records: list[dict[str, str]], singles: int, repeats: int
) -> tuple[float, float, float]:
    """In process: single-record p50/p99 (ms) and 10k-record batch records/s."""
    from icpkit.profile import load_profile

    scorer = RecordScorer(load_profile(profile))
    scorer.score(records[:1])
    lat = []
    for i in range(singles):
        t0 = time.perf_counter()
        scorer.score([records[i % len(records)]])
        lat.append((time.perf_counter() - t0) * 1000)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        scorer.score(records[:10_000])
        times.append(time.perf_counter() - t0)
    return _pct(lat, 0.5), _pct(lat, 0.99), 10_000 / statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--seconds", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--batches", type=int, default=5, help="10k-record requests to time")
    parser.add_argument("--max-in-flight", type=int, default=256)
    args = parser.parse_args()
    if args.rate * args.seconds > 100_000:
        raise SystemExit("bounded: at most 100,000 requests per run")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        profile, records = prepare(work)
        key, _ = create_key(ServiceStore(default_store_url(profile)), "score", "bench")
        port = _free_port()
        process = start_server(profile, port)
        url = f"http://{HOST}:{port}"
        try:
            for r in records[:50]:  # warm up: the field plan and the profile are cached
                httpx.post(
                    f"{url}/v1/score",
                    json={"records": [r]},
                    headers={"Authorization": f"Bearer {key}"},
                )
            lat, errors, n = asyncio.run(
                open_loop(url, key, records, args.rate, args.seconds, args.max_in_flight)
            )
            server = server_view(url)
            batch = batch_rate(url, key, records, args.batches)
        finally:
            process.terminate()
            process.wait(timeout=30)
        p50, p99, lib_batch = library_floor(profile, records, 2000, args.batches)
    load = os.getloadavg()
    print(
        f"service load — {n:,} single-record requests at {args.rate:g}/s for "
        f"{args.seconds:g} s; 10,000-record batches x{args.batches}"
    )
    print(
        f"load average during the run: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
        f"({os.cpu_count()} CPUs)"
    )
    print()
    print(f"{'':34} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'batch records/s':>16}")
    ok = lat or [float("nan")]
    print(
        f"{'HTTP POST /v1/score (1 worker)':34} {_pct(ok, 0.5):8.1f} {_pct(ok, 0.99):8.1f} "
        f"{errors:7d} {batch:16,.0f}"
    )
    print(f"{'  as the server timed it (<=)':34} {server['p50']:8.1f} {server['p99']:8.1f}")
    print(f"{'library in process (floor)':34} {p50:8.1f} {p99:8.1f} {'-':>7} {lib_batch:16,.0f}")
    print()
    print(f"single-record requests per scoring call (coalesced): {server['per_call']:.1f}")
    print("targets: p99 <= 25 ms with 0 errors at 200 req/s; batch >= 200,000 records/s")


if __name__ == "__main__":
    main()
