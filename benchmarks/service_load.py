"""Load on `icp serve`, side by side with the library in process (loopback only, bounded).

    python benchmarks/service_load.py                      # 200 req/s for 60 s; 10k batch
    python benchmarks/service_load.py --rate 50 --seconds 10 --batches 2   # a quick look

Learns a profile on the synthetic world (3,000 accounts), exports another CRM (20,000
accounts), starts `icp serve` on 127.0.0.1 (a separate process, no rate limit), and prints:

* single-record ``POST /v1/score`` at a fixed arrival rate (open loop: request i is sent
  at start + i/rate whatever happened before, and its latency counts from that planned
  moment, so a stalled server cannot hide behind a stalled client) — p50, p99, errors.
  The load comes from ``--clients`` processes over connections opened beforehand, with
  request bytes built beforehand: the client must not be what is measured;
* 10,000-record ``POST /v1/score`` requests, records/s: one request at a time on one
  connection (the first meets values the server has never seen; the repeats, values
  seen: the value caches answer), and sustained by ``--concurrency`` connections sending
  at once (what the service keeps up with when several clients send batches: both
  workers busy), with values never seen (each request brings 10,000 other accounts) and
  with values seen (each connection's worker has had the batch before). The client is
  light: request bytes built beforehand, answers read by Content-Length, not parsed;
* the same through the library in process (``RecordScorer``): CPU per single record (each
  new to the scorer) and the batches, the floor under the HTTP figures.

Bounded: at most ``--connections`` requests in flight, ``--seconds`` of load, loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import gc
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
import pyarrow as pa

from icpkit.discover import learn
from icpkit.intake import load_table
from icpkit.profile import save_profile
from icpkit.service.app import GC_THRESHOLDS
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


def prepare(workdir: Path, n_accounts: int) -> tuple[Path, list[dict[str, str]]]:
    """A learned profile, and the accounts export of another synthetic world as records."""
    world = make_world(n_accounts=3000, seed=7)
    table = load_table(
        pa.Table.from_pandas(world.training, preserve_index=False), kind="accounts"
    ).table
    profile = save_profile(learn(table, "IsWon").profile, workdir / "icp.yaml")
    generate(workdir / "crm", n_accounts=n_accounts, seed=11)
    with (workdir / "crm" / "accounts.csv").open(encoding="utf-8", newline="") as f:
        records = list(csv.DictReader(f))
    return profile, records


def start_server(profile: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
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
        "--workers",
        str(workers),
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


class _Connection:
    """One kept-alive HTTP/1.1 connection, opened before the load starts.

    A minimal client on purpose: the request bytes are built before the clock starts and
    the answer is read by Content-Length: 0.04 ms of CPU per request, where httpx's
    AsyncClient took 0.91 ms (1,000 requests each), on the cores the server runs on.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> _Connection:
        reader, writer = await asyncio.open_connection(HOST, port)
        return cls(reader, writer)

    async def post(self, request: bytes) -> tuple[int, bytes]:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


def post_bytes(port: int, key: str, body: bytes) -> bytes:
    """A complete ``POST /v1/score`` request, ready to write."""
    head = (
        f"POST /v1/score HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
        f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _open_loop(
    port: int,
    requests: list[bytes],
    schedule: list[tuple[int, float]],
    seconds: float,
    connections: int,
) -> tuple[list[float], int]:
    """(latencies in ms, errors) for the (request index, planned wall time) pairs.

    Bounded in time: a request still waiting for a free connection 30 s after the load
    ends is not sent, and counts as an error (the server did not keep up).
    """
    pool: asyncio.Queue[_Connection] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(await _Connection.open(port))
    latencies: list[float] = []
    errors = 0
    deadline = schedule[0][1] + seconds + 30 if schedule else 0.0

    async def one(i: int, planned: float) -> None:
        nonlocal errors
        await asyncio.sleep(max(0.0, planned - time.time()))
        conn = await pool.get()
        try:
            if time.time() > deadline:
                errors += 1
                return
            status, _ = await conn.post(requests[i % len(requests)])
            if status == 200:
                latencies.append((time.time() - planned) * 1000)
            else:
                errors += 1
        except (OSError, asyncio.IncompleteReadError, ValueError):
            errors += 1
            conn = await _Connection.open(port)
        finally:
            pool.put_nowait(conn)

    await asyncio.gather(*(one(i, t) for i, t in schedule))
    while not pool.empty():
        pool.get_nowait().close()
    return latencies, errors


def _client(args: tuple[int, list[bytes], list[tuple[int, float]], float, int]) -> Any:
    try:
        import uvloop

        uvloop.install()  # the client's own loop costs less CPU too
    except ImportError:
        pass
    # The client holds thousands of pending requests: a full garbage collection walking
    # them would pause it and show as server latency. It frees what it makes by reference
    # counting and ends after the run, so it needs no collector.
    gc.disable()
    return asyncio.run(_open_loop(*args))


def open_loop(
    port: int,
    key: str,
    records: list[dict[str, str]],
    rate: float,
    seconds: float,
    processes: int,
    connections: int,
) -> tuple[list[float], int, int]:
    """(latencies in ms, errors, requests) at a fixed arrival rate, from ``processes``
    client processes (request i goes from process i mod P at start + i / rate)."""
    n = int(rate * seconds)
    requests = [post_bytes(port, key, orjson.dumps({"records": [r]})) for r in records[:2000]]
    start = time.time() + 2.0  # every process has opened its connections by then
    plan = [(i, start + i / rate) for i in range(n)]
    jobs = [
        (port, requests, plan[p::processes], seconds, max(1, connections // processes))
        for p in range(processes)
    ]
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        parts = pool.map(_client, jobs)
    latencies = [x for lat, _ in parts for x in lat]
    return latencies, sum(e for _, e in parts), n


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


def batch_rate(port: int, key: str, records: list[dict[str, str]], repeats: int) -> list[float]:
    """records/s of each 10,000-record request sent one at a time on one connection, in
    order (the first meets new values)."""
    request = post_bytes(port, key, orjson.dumps({"records": records[:10_000]}))

    async def run() -> list[float]:
        conn = await _Connection.open(port)
        rates = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            status, body = await conn.post(request)
            rates.append(10_000 / (time.perf_counter() - t0))
            if status != 200:
                raise SystemExit(f"batch request failed: {status} {body[:200]!r}")
        conn.close()
        return rates

    return asyncio.run(run())


async def _spread(port: int, n: int, workers: int) -> list[_Connection]:
    """``n`` connections spread evenly over the server's workers.

    The kernel gives a new connection to whichever worker accepts first, so a few opened
    together may all land on one worker (seen here: 4 of 4). Each worker's /metrics names
    it (the time its counters were created): connections are opened until each worker
    has its share, at most 64, and the others closed."""
    get = f"GET /metrics HTTP/1.1\r\nHost: {HOST}:{port}\r\n\r\n".encode()
    share = -(-n // workers)
    by_worker: dict[bytes, list[_Connection]] = {}
    spare: list[_Connection] = []
    for _ in range(64):
        conn = await _Connection.open(port)
        _, text = await conn.post(get)
        worker = next(
            (ln for ln in text.splitlines() if ln.startswith(b"icp_score_calls_created ")), b""
        )
        mine = by_worker.setdefault(worker, [])
        (mine if len(mine) < share else spare).append(conn)
        if len(by_worker) >= workers and all(len(c) >= share for c in by_worker.values()):
            break
    chosen = [c for conns in zip(*by_worker.values(), strict=False) for c in conns][:n]
    others = spare + [c for conns in by_worker.values() for c in conns if c not in chosen]
    chosen += others[: n - len(chosen)]  # fewer workers answered than asked for
    for conn in others:
        if conn not in chosen:
            conn.close()
    return chosen


def batch_concurrent(
    port: int, key: str, bodies: list[list[bytes]], workers: int, warm: bytes | None = None
) -> float:
    """Sustained records/s of 10,000-record requests sent by ``len(bodies)`` connections at
    once (spread over the ``workers``), each its own list in turn: all records over the
    wall time from the first send to the last answer. With ``warm``, each connection first
    sends it untimed (a connection stays with one worker, so that worker then has its
    values)."""

    async def one(conn: _Connection, requests: list[bytes]) -> int:
        done = 0
        for request in requests:
            status, body = await conn.post(request)
            if status != 200:
                raise SystemExit(f"batch request failed: {status} {body[:200]!r}")
            done += 10_000
        return done

    async def run() -> float:
        conns = await _spread(port, len(bodies), workers)
        if warm is not None:
            await asyncio.gather(*(one(c, [warm]) for c in conns))
        t0 = time.perf_counter()
        done = await asyncio.gather(*(one(c, b) for c, b in zip(conns, bodies, strict=True)))
        elapsed = time.perf_counter() - t0
        for conn in conns:
            conn.close()
        return sum(done) / elapsed

    return asyncio.run(run())


def server_usage(pid: int) -> tuple[float, int] | None:
    """(CPU seconds, minor page faults) the server's worker processes (the children of
    `icp serve`, process ``pid``) have used so far; None without Linux's /proc. Under a
    shared machine's load the records/s move with the neighbours, the CPU a request costs
    much less: it says what the server itself spends."""
    proc = Path("/proc")
    if not (proc / "self" / "stat").exists():
        return None
    cpu = faults = 0
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:  # fields after the command name: state, ppid, ... minflt (8th), utime, stime
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # a process that ended meanwhile
            continue
        if int(fields[1]) == pid:
            faults += int(fields[7])
            cpu += int(fields[11]) + int(fields[12])
    return cpu / os.sysconf("SC_CLK_TCK"), faults


def library_floor(
    profile: Path, singles: list[dict[str, str]], batch: list[dict[str, str]], repeats: int
) -> tuple[list[float], list[float]]:
    """In process, on a new scorer: per single record the ms (CPU), and records/s (wall)
    of each 10k batch in order (the first meets its values for the first time)."""
    from icpkit.profile import load_profile

    scorer = RecordScorer(load_profile(profile))
    scorer.score(singles[:1])  # the header's plan: once per set of field names
    lat = []
    for record in singles:
        t0 = time.process_time()
        scorer.score([record])
        lat.append((time.process_time() - t0) * 1000)
    rates = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        scorer.score(batch)
        rates.append(len(batch) / (time.perf_counter() - t0))
    return lat, rates


def stages(
    profile: Path,
    singles: list[dict[str, str]],
    batch: list[dict[str, str]],
    new: list[dict[str, str]],
) -> dict[str, float]:
    """CPU ms of each stage of one 10,000-record request, in process, through the functions
    the server calls: decode and check the body (into the record layout the server has
    learned by then), score (values new to the scorer, and seen), encode the answer. The
    scorer has scored ``singles`` and ``batch`` before, as the server has; the best of 3
    runs (new values: one run, they are new only once)."""
    from icpkit.profile import load_profile
    from icpkit.service.body import RecordsDecoder

    def cpu(f: Any, runs: int = 3) -> float:
        best = float("inf")
        for _ in range(runs):
            t0 = time.process_time()
            f()
            best = min(best, (time.process_time() - t0) * 1000)
        return best

    scorer = RecordScorer(load_profile(profile))
    scorer.score(singles)
    scorer.score(batch)
    thresholds = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLDS)  # as the server runs
    body = orjson.dumps({"records": batch})
    decoder = RecordsDecoder()
    decoder.decode(body)  # as the server, which has met these field names: a layout
    new_records = decoder.decode(orjson.dumps({"records": new}))
    out = {"decode and check": cpu(lambda: decoder.decode(body))}
    out["score, new values"] = cpu(lambda: scorer.score(new_records), runs=1)
    out["score, seen values"] = cpu(lambda: scorer.score(batch))
    scored = scorer.score(batch)
    out["encode the answer"] = cpu(lambda: scored.response(1))
    gc.set_threshold(*thresholds)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--seconds", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--batches", type=int, default=5, help="10k-record requests to time")
    parser.add_argument("--connections", type=int, default=64, help="kept-alive, in all")
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument("--workers", type=int, default=2, help="`icp serve --workers`")
    parser.add_argument(
        "--concurrency", type=int, default=4, help="connections sending batches at once"
    )
    parser.add_argument(
        "--new-batches",
        type=int,
        default=4,
        help="10k-record requests of new values each of those connections sends",
    )
    args = parser.parse_args()
    if args.rate * args.seconds > 100_000:
        raise SystemExit("bounded: at most 100,000 requests per run")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        # Single records from the first 10,000 accounts, batches from the next 10,000 (the
        # first batch meets values the server has not seen); then --new-batches batches of other
        # accounts per concurrent connection.
        per_connection = 10_000 * args.new_batches
        profile, records = prepare(work, 20_000 + per_connection * args.concurrency)
        singles, batch = records[:10_000], records[10_000:20_000]
        fresh = [records[i : i + 10_000] for i in range(20_000, len(records), 10_000)]
        key, _ = create_key(ServiceStore(default_store_url(profile)), "score", "bench")
        port = _free_port()
        process = start_server(profile, port, args.workers)
        url = f"http://{HOST}:{port}"
        try:
            for r in singles[-50:]:  # warm up: the profile and the header's plan
                httpx.post(
                    f"{url}/v1/score",
                    json={"records": [r]},
                    headers={"Authorization": f"Bearer {key}"},
                )
            lat, errors, n = open_loop(
                port, key, singles, args.rate, args.seconds, args.clients, args.connections
            )
            server = server_view(url)
            load_singles = os.getloadavg()
            rates = batch_rate(port, key, batch, args.batches)
            encode = [post_bytes(port, key, orjson.dumps({"records": b})) for b in fresh]
            k = args.new_batches
            new_bodies = [encode[k * c : k * c + k] for c in range(args.concurrency)]
            before = server_usage(process.pid)
            together_new = batch_concurrent(port, key, new_bodies, args.workers)
            after = server_usage(process.pid)
            new_usage = None
            if before is not None and after is not None:
                n_new = sum(map(len, new_bodies))
                new_usage = ((after[0] - before[0]) * 1000 / n_new, (after[1] - before[1]) / n_new)
            seen = post_bytes(port, key, orjson.dumps({"records": batch}))
            seen_bodies = [[seen] * args.batches for _ in range(args.concurrency)]
            together_seen = batch_concurrent(port, key, seen_bodies, args.workers, warm=seen)
        finally:
            process.terminate()
            process.wait(timeout=30)
        lib_lat, lib_rates = library_floor(profile, singles[:2000], batch, args.batches)
        stage_ms = stages(profile, singles[:2000], batch, fresh[0])
    load = os.getloadavg()
    print(
        f"service load — {n:,} single-record requests at {args.rate:g}/s for "
        f"{args.seconds:g} s from {args.clients} client processes ({args.connections} kept-alive"
        f" connections); 10,000-record batches x{args.batches}; `icp serve --workers "
        f"{args.workers}`"
    )
    print(
        f"load average after the single records: {load_singles[0]:.2f} {load_singles[1]:.2f} "
        f"{load_singles[2]:.2f}; at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
        f"({os.cpu_count()} CPUs)"
    )
    print()
    warm = statistics.median(rates[1:]) if len(rates) > 1 else float("nan")
    lib_warm = statistics.median(lib_rates[1:]) if len(lib_rates) > 1 else float("nan")
    print(f"{'':40} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    ok = lat or [float("nan")]
    print(
        f"{'single record, HTTP POST /v1/score':40} {_pct(ok, 0.5):8.2f} {_pct(ok, 0.99):8.2f} "
        f"{errors:7d}"
    )
    print(f"{'  as the server timed it (<=)':40} {server['p50']:8.1f} {server['p99']:8.1f}")
    print(
        f"{'  library in process (floor, CPU)':40} {_pct(lib_lat, 0.5):8.2f} "
        f"{_pct(lib_lat, 0.99):8.2f} {'-':>7}"
    )
    print()
    print(f"{'10,000-record batches, records/s':40} {'new values':>11} {'seen':>11}")
    print(f"{'HTTP, one request at a time':40} {rates[0]:11,.0f} {warm:11,.0f}")
    print(
        f"{f'HTTP, {args.concurrency} connections at once (sustained)':40} "
        f"{together_new:11,.0f} {together_seen:11,.0f}"
    )
    print(f"{'library in process (floor)':40} {lib_rates[0]:11,.0f} {lib_warm:11,.0f}")
    print()
    print(
        f"in process, one record costs {statistics.mean(lib_lat) * 1000:,.0f} µs of CPU on "
        f"average ({len(lib_lat):,} records, each new to the scorer)"
    )
    print(f"single-record requests per scoring call (coalesced): {server['per_call']:.1f}")
    if new_usage is not None:
        print(
            f"the server's workers, per 10,000-record request of new values ({args.concurrency} "
            f"connections at once): {new_usage[0]:.0f} ms of CPU, {new_usage[1]:,.0f} minor page "
            f"faults (200,000 records/s on {os.cpu_count()} cores leaves "
            f"{(os.cpu_count() or 1) * 50} ms of CPU per request, the load generator's included)"
        )
    print(
        "one 10,000-record request in process, CPU ms by stage (200,000 records/s leaves 50 "
        "ms for all of them): " + "; ".join(f"{name} {ms:.1f}" for name, ms in stage_ms.items())
    )
    print(
        "batches: 'new values' are accounts the server has never seen (one at a time: the "
        "first request; at once: every request), 'seen' the median of the repeats (one at "
        "a time) or repeats after each connection's warm-up request (at once)"
    )
    print("targets: p99 <= 25 ms with 0 errors at 200 req/s; batch >= 200,000 records/s")


if __name__ == "__main__":
    main()
