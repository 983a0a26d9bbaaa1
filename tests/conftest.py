"""Shared fixtures for everyone's tests.

``world`` is the synthetic B2B world in memory (3,000 accounts, seed 7, universe 30,000);
``world_dir`` is the same world written as files (accounts.csv, deals.csv, ..., truth.json).
``spark`` is one local SparkSession (skips without pyspark, fails in CI).
All are session-scoped: build once, read many times, never modify them in a test (copy first).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("pyspark missing; CI must run the Spark tests")
        pytest.skip("pyspark not installed (pip install 'icpkit[spark]')")
    session = (
        SparkSession.builder.master("local[2]")
        .appName("icpkit-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.host", "127.0.0.1")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
