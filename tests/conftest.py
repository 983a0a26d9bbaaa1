"""Shared fixtures for everyone's tests.

``world`` is the synthetic B2B world in memory (3,000 accounts, seed 7, universe 30,000);
``world_dir`` is the same world written as files (accounts.csv, deals.csv, ..., truth.json).
Both are session-scoped: build once, read many times, never modify them in a test (copy first).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from icpkit.synth import World, generate, make_world
from pg_cluster import postgres_url  # noqa: F401  (PostgreSQL test cluster fixture)

WORLD_ACCOUNTS = 3000
WORLD_SEED = 7


@pytest.fixture(scope="session")
def world() -> World:
    return make_world(n_accounts=WORLD_ACCOUNTS, seed=WORLD_SEED)


@pytest.fixture(scope="session")
def world_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world")
    generate(out, n_accounts=WORLD_ACCOUNTS, seed=WORLD_SEED)
    return out
