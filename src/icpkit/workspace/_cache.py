"""Fingerprints and the stage cache.

A stage's cache key hashes its name, its version, the fingerprints of its inputs and the
settings it reads. Its outputs get fingerprints derived from that key, so a change in
one input invalidates exactly the stages downstream of it (as in a build system).
Cached outputs live in ``<workspace>/.icp/cache/<key>/``: tables as Parquet, profiles as
YAML, everything else as JSON.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ..profile import Profile, profile_from_dict, profile_to_dict

__all__ = ["StageCache", "digest", "file_fingerprint"]

_CHUNK = 1 << 20


def digest(*parts: Any) -> str:
    """A short stable hash of JSON-able parts."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.blake2b(text.encode(), digest_size=10).hexdigest()


def file_fingerprint(path: str | os.PathLike[str]) -> str:
    """Content hash of a file (so touching a file without changing it keeps the cache)."""
    h = hashlib.blake2b(digest_size=10)
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _write_value(folder: Path, name: str, value: Any) -> dict[str, str]:
    if isinstance(value, pa.Table):
        pq.write_table(value, folder / f"{name}.parquet")
        return {"type": "table"}
    if isinstance(value, Profile):
        (folder / f"{name}.json").write_text(json.dumps(profile_to_dict(value)), "utf-8")
        return {"type": "profile"}
    (folder / f"{name}.json").write_text(json.dumps(value, default=str), "utf-8")
    return {"type": "json"}


def _read_value(folder: Path, name: str, kind: str) -> Any:
    if kind == "table":
        return pq.read_table(folder / f"{name}.parquet")
    data = json.loads((folder / f"{name}.json").read_text("utf-8"))
    return profile_from_dict(data) if kind == "profile" else data


class StageCache:
    """Stage outputs keyed by cache key; writes are atomic (a folder renamed into place)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def get(self, key: str) -> dict[str, Any] | None:
        folder = self.root / key
        manifest = folder / "manifest.json"
        if not manifest.is_file():
            return None
        try:
            kinds = json.loads(manifest.read_text("utf-8"))
            return {n: _read_value(folder, n, k["type"]) for n, k in kinds.items()}
        except (OSError, ValueError, pa.ArrowException):
            return None  # a damaged entry is recomputed, never trusted

    def put(self, key: str, outputs: dict[str, Any]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=self.root, prefix=f".{key}."))
        try:
            kinds = {n: _write_value(tmp, n, v) for n, v in outputs.items()}
            (tmp / "manifest.json").write_text(json.dumps(kinds), "utf-8")
            target = self.root / key
            if target.exists():
                shutil.rmtree(target)
            os.replace(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    def prune(self, keep: set[str]) -> None:
        """Drop entries not used by the latest run, so the cache does not grow forever."""
        if not self.root.is_dir():
            return
        for entry in self.root.iterdir():
            if entry.name not in keep:
                shutil.rmtree(entry, ignore_errors=True)
