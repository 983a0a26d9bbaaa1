"""Turning library results (numpy scalars, DataFrames, timestamps) into plain JSON data."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = ["jsonable", "records", "result_dict"]


def jsonable(obj: Any) -> Any:
    """A JSON-safe copy: numpy → Python, NaN → None, dates → ISO text, tables → records."""
    if obj is None or isinstance(obj, bool | str):
        return obj
    if isinstance(obj, float | np.floating):
        value = float(obj)
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(obj, int | np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | np.ndarray | pd.Index):
        return [jsonable(v) for v in obj]
    if isinstance(obj, pd.DataFrame | pa.Table):
        return records(obj)
    if isinstance(obj, pd.Series):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, dt.datetime | dt.date | pd.Timestamp):
        return None if pd.isna(obj) else obj.isoformat()
    if obj is pd.NA or obj is pd.NaT:
        return None
    if hasattr(obj, "model_dump"):
        return jsonable(obj.model_dump(mode="json"))
    return str(obj)


def records(table: Any, limit: int = 500) -> list[dict[str, Any]]:
    """The first ``limit`` rows of a DataFrame or Arrow table as JSON-safe dicts."""
    frame = table.to_pandas() if isinstance(table, pa.Table) else table
    if not isinstance(frame, pd.DataFrame):
        return []
    head = frame.head(limit)
    return [jsonable(row) for row in head.to_dict(orient="records")]


def result_dict(result: Any, limit: int = 500) -> dict[str, Any]:
    """An analytics result (``.table`` + ``.summary``, a tuple of both, or a dict) as data."""
    if isinstance(result, dict):
        return {"summary": jsonable(result), "table": []}
    table = getattr(result, "table", None)
    summary = getattr(result, "summary", None)
    if table is None and summary is None and isinstance(result, tuple) and len(result) == 2:
        table, summary = result
    out: dict[str, Any] = {"summary": jsonable(summary or {}), "table": []}
    if table is not None:
        out["table"] = records(table, limit)
    return out
