"""How fast does the workbench answer a what-if edit? `python benchmarks/workbench_whatif.py`.

Builds (or reuses, with --workspace) a demo workspace of --accounts accounts (default 100,000:
`icp demo`), starts the service on a free loopback port (uvicorn, in this process), signs in
with an admin key like a browser (cookie + CSRF token), then sends --rounds what-if edits to
``POST /ui/api/whatif`` — each a different bin's points, so no answer comes from a cache —
and prints the round-trip time (p50, p95, max), the same compare through the library alone,
and the first (cold) call, which reads the training rows and bins them once.
Target: p95 <= 1 s on 100k accounts. Loopback only; nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _workspace(args: argparse.Namespace) -> Path:
    if args.workspace:
        return Path(args.workspace)
    from icpkit.workspace import demo

    out = Path(tempfile.mkdtemp(prefix="whatif-bench-")) / "my-icp"
    started = time.perf_counter()
    demo(out, n_accounts=args.accounts, seed=args.seed)
    print(
        f"demo workspace of {args.accounts:,} accounts built in {time.perf_counter() - started:.0f} s"
    )
    return out


def _serve(ws: Path) -> tuple[str, Any, threading.Thread]:
    import uvicorn

    from icpkit.service.app import create_app
    from icpkit.service.settings import Settings

    app = create_app(Settings(target=ws.resolve(), webhooks=False, rate_per_second=0))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return base, server, thread
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit("the service did not start")


def _edits(profile: Any, rounds: int, seed: int) -> list[list[dict[str, Any]]]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(rounds):
        attr = profile.attributes[int(rng.integers(len(profile.attributes)))]
        b = int(rng.integers(len(attr.bins)))
        points = attr.bins[b].points + int(rng.choice([-1, 1]) * rng.integers(3, 30))
        out.append([{"op": "points", "attribute": attr.name, "bin": b, "points": points}])
    return out


def _stats(times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return f"p50 {statistics.median(ms):.0f} ms, p95 {p95:.0f} ms, max {ms[-1]:.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--workspace", help="reuse a workspace that has a successful run")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from icpkit.service.auth import create_key
    from icpkit.service.settings import default_store_url
    from icpkit.service.store import open_store
    from icpkit.whatif import WhatIf, apply_edits, load_training

    ws = _workspace(args)
    key, _ = create_key(open_store(default_store_url(ws.resolve())), "admin", "benchmark")
    base, server, thread = _serve(ws)
    with httpx.Client(base_url=base, timeout=60) as client:
        client.post("/ui/login", data={"key": key, "next": "/ui/points"})
        page = client.get("/ui/points").text
        match = re.search(r'data-csrf="([^"]+)"', page)
        if match is None:
            raise SystemExit("sign-in failed: no CSRF token on the points page")
        headers = {"X-CSRF-Token": match[1]}
        profile_version = httpx.get(f"{base}/healthz").json()["profile_version"]
        from icpkit.service import profiles

        profile = profiles.get_profile(server.config.app.state.service.store, profile_version)
        edits = _edits(profile, args.rounds + 1, args.seed)

        def call(e: list[dict[str, Any]]) -> float:
            started = time.perf_counter()
            r = client.post("/ui/api/whatif", json={"edits": e}, headers=headers)
            took = time.perf_counter() - started
            if r.status_code != 200:
                raise SystemExit(f"what-if failed: {r.status_code} {r.text[:200]}")
            return took

        cold = call(edits[0])
        http = [call(e) for e in edits[1:]]
    server.should_exit = True
    thread.join(timeout=10)

    training = load_training(ws)
    wi = WhatIf.from_training(training)
    wi.backtest(profile)
    lib = []
    for e in edits[1:]:
        started = time.perf_counter()
        wi.compare(profile, apply_edits(profile, e))
        lib.append(time.perf_counter() - started)

    load = os.getloadavg()
    print(
        f"what-if on {training.num_rows:,} training accounts ({args.rounds} edits, {os.cpu_count()} cores, load {load[0]:.1f})"
    )
    print(f"  first call (reads and bins the rows once): {cold * 1000:.0f} ms")
    print(f"  round trip POST /ui/api/whatif:            {_stats(http)}")
    print(f"  library WhatIf.compare alone:              {_stats(lib)}")
    print(
        f"  target p95 <= 1000 ms: {'met' if sorted(http)[round(0.95 * (len(http) - 1))] <= 1 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
