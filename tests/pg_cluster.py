"""A throwaway PostgreSQL cluster for tests: the session-scoped ``postgres_url`` fixture.

It runs ``initdb`` and ``pg_ctl`` from the system's PostgreSQL binaries into a fresh
temporary folder, listens on 127.0.0.1 and a free port, and is stopped and deleted
at the end of the session. As root (CI containers, dev machines) the cluster runs
as the ``postgres`` user through ``runuser``. Without binaries the tests that need
it are skipped locally, but fail under ``CI=true``: CI must run them.

Use it from any test: ``def test_x(postgres_url: str) -> None: ...`` (exposed to
every test module through tests/conftest.py).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

__all__ = ["find_pg_bindir", "postgres_url"]


def find_pg_bindir() -> Path | None:
    """The newest /usr/lib/postgresql/<v>/bin with initdb, or the one on PATH."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _runner() -> tuple[list[str], str]:
    """(command prefix, database user): root runs the server as 'postgres'."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--"], "postgres"
    return [], pwd.getpwuid(os.geteuid()).pw_name


def _run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {proc.stderr.strip() or proc.stdout.strip()}")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of a fresh, empty PostgreSQL database (trust auth, 127.0.0.1)."""
    bindir = find_pg_bindir()
    if bindir is None:
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL binaries not found; CI must run the PostgreSQL tests")
        pytest.skip("PostgreSQL binaries not installed (scripts/ensure-system-deps installs them)")
    prefix, user = _runner()
    # /tmp, not pytest's 0700 tmp_path: the postgres user must be able to enter it.
    base = Path(tempfile.mkdtemp(prefix="icpkit-pg-"))
    data = base / "data"
    if prefix:
        shutil.chown(base, user="postgres", group="postgres")
    port = _free_port()
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {base} -c fsync=off"
    pg_ctl = [*prefix, str(bindir / "pg_ctl"), "-D", str(data)]
    try:
        _run([*prefix, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", user])
        _run([*pg_ctl, "-o", options, "-l", str(base / "server.log"), "-w", "start"])
    except RuntimeError:
        shutil.rmtree(base, ignore_errors=True)
        raise
    try:
        yield f"postgresql://{user}@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*pg_ctl, "-m", "immediate", "stop"], capture_output=True, check=False)
        shutil.rmtree(base, ignore_errors=True)
