"""Sentence encodings kept by text hash, so a re-run encodes only new feedback.

The embeddings backend asks :func:`lookup` for the vectors it already has: first a
process-wide memory (the classifier and the theme finder share it, so each distinct
sentence is encoded once per process), then, when a store is active, a DuckDB table
``voice_encodings`` (in a workspace, the run store ``.icp/runs.duckdb``). New vectors
are written back in one transaction. Keys are BLAKE2b hashes of the model name and
the text, so no customer text is copied into the table.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path

import numpy as np

__all__ = ["TABLE", "encoding_store", "lookup", "remember", "text_key"]

TABLE = "voice_encodings"
_MEMORY: dict[str, np.ndarray] = {}
_MEMORY_MAX = 500_000  # vectors (384 float32 each: about 770 MB at the cap)
_STORE: ContextVar[Path | None] = ContextVar("icpkit_voice_encoding_store", default=None)


def text_key(model: str, text: str) -> str:
    return hashlib.blake2b(f"{model}\x00{text}".encode(), digest_size=16).hexdigest()


@contextlib.contextmanager
def encoding_store(path: str | os.PathLike[str] | None) -> Iterator[None]:
    """Use the DuckDB file at ``path`` as the encoding cache inside this block (None: only
    the process memory)."""
    token = _STORE.set(None if path is None else Path(path))
    try:
        yield
    finally:
        _STORE.reset(token)


def _connect(path: Path) -> object:
    import duckdb

    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    con.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (key VARCHAR PRIMARY KEY, vector BLOB)")
    return con


def lookup(keys: list[str], dim: int) -> dict[str, np.ndarray]:
    """The vectors known for ``keys`` (memory first, then the active store)."""
    found = {k: _MEMORY[k] for k in keys if k in _MEMORY}
    path = _STORE.get()
    missing = [k for k in keys if k not in found]
    if path is None or not missing or not path.exists():
        return found
    import pyarrow as pa

    con = _connect(path)
    try:
        wanted = pa.table({"key": missing})  # noqa: F841 - read by DuckDB by name
        rows = con.execute(  # type: ignore[attr-defined]
            f"SELECT e.key, e.vector FROM {TABLE} e JOIN wanted w ON e.key = w.key"
        ).fetchall()
    finally:
        con.close()  # type: ignore[attr-defined]
    for key, blob in rows:
        vec = np.frombuffer(blob, dtype=np.float32)
        if vec.shape == (dim,):
            found[key] = _MEMORY[key] = vec
    return found


def remember(vectors: dict[str, np.ndarray]) -> None:
    """Keep new vectors in memory and, when a store is active, in its table."""
    if len(_MEMORY) + len(vectors) > _MEMORY_MAX:
        _MEMORY.clear()
    _MEMORY.update(vectors)
    path = _STORE.get()
    if path is None or not vectors:
        return
    import pyarrow as pa

    new = pa.table(  # noqa: F841 - read by DuckDB by name
        {
            "key": list(vectors),
            "vector": [np.asarray(v, dtype=np.float32).tobytes() for v in vectors.values()],
        }
    )
    con = _connect(path)
    try:
        con.execute(f"INSERT OR IGNORE INTO {TABLE} SELECT key, vector FROM new")  # type: ignore[attr-defined]
    finally:
        con.close()  # type: ignore[attr-defined]
