"""Reading the tables a workspace names: through intake when it exists, with fingerprints."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from ..errors import ConfigError, ReadError
from ._cache import digest, file_fingerprint
from ._config import Source

__all__ = ["load_source", "optional", "source_fingerprint", "source_path"]


def optional(module: str, *names: str) -> Any:
    """The first of ``names`` found in ``icpkit.<module>``, or None while it has not landed.

    The pipeline plugs in each capability as its library function appears; an absent
    one makes its stage report "skipped" instead of failing the run.
    """
    try:
        mod = importlib.import_module(f"icpkit.{module}")
    except ImportError:
        return None
    for name in names:
        fn = getattr(mod, name, None)
        if fn is not None:
            return fn
    return None


def source_path(workspace: Path, source: Source) -> Path:
    assert source.path is not None
    p = Path(source.path).expanduser()
    return p if p.is_absolute() else workspace / p


def _sql_file(url: str) -> Path | None:
    if url.startswith("duckdb:///"):
        return Path(url.removeprefix("duckdb:///"))
    return None


def source_fingerprint(workspace: Path, source: Source, name: str) -> str:
    """Content hash of the input plus the settings that change how it is read."""
    settings = source.model_dump(mode="json")
    if source.path is not None:
        path = source_path(workspace, source)
        if not path.is_file():
            raise ReadError(
                f"the {name} file was not found",
                file=str(path),
                hint=f"Fix tables.{name}.path in icp.yaml",
            )
        return digest(settings, file_fingerprint(path))
    assert source.url is not None
    db = _sql_file(source.url)
    if db is not None and db.is_file():
        return digest(settings, file_fingerprint(db))
    # A server we cannot fingerprint cheaply: never cached, always read again.
    import time

    return digest(settings, time.time_ns())


def _fallback_read(path: Path) -> pa.Table:
    """Plain reading by suffix, used only while icpkit.intake is not available."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            return pa.Table.from_pandas(pd.read_parquet(path), preserve_index=False)
        if suffix in {".xlsx", ".xls"}:
            frame = pd.read_excel(path)
        elif suffix in {".json", ".jsonl", ".ndjson"}:
            frame = pd.read_json(path, lines=suffix != ".json")
        else:
            frame = pd.read_csv(path, sep=None if suffix != ".csv" else ",", engine="python")
    except (ValueError, UnicodeDecodeError, OSError) as exc:
        raise ReadError(f"cannot read the file: {exc}", file=str(path)) from None
    return pa.Table.from_pandas(frame, preserve_index=False)


def load_source(workspace: Path, source: Source, kind: str) -> tuple[pa.Table, dict[str, Any]]:
    """(canonical table, intake report) for one configured table."""
    load = optional("intake", "load")
    where = source_path(workspace, source) if source.path is not None else source.url
    opts = {
        k: v
        for k, v in {
            "table": source.table,
            "query": source.query,
            "sheet": source.sheet,
            "delimiter": source.delimiter,
            "encoding": source.encoding,
        }.items()
        if v is not None
    }
    if load is not None:
        loaded = load(str(where), kind=kind, mapping=source.mapping or None, **opts)
        table = loaded.table
        report = getattr(loaded, "report", {}) or {}
        return table, report if isinstance(report, dict) else {}
    if source.path is None:
        raise ConfigError(f"SQL sources need icpkit.intake (tables.{kind}.url)")
    table = _fallback_read(Path(str(where)))
    if source.mapping:
        table = table.rename_columns([source.mapping.get(c) or c for c in table.column_names])
    return table, {"rows": table.num_rows, "note": "read without intake (not installed)"}
