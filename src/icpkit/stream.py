"""File-to-file scoring in batches: inputs of any size, memory bounded, output atomic.

``score_file`` reads CSV/TSV/Parquet (or anything :mod:`icpkit.intake` reads) batch by
batch, normalises each batch through ``icpkit.intake.load_table`` so a raw CRM export
scores against a profile learned on canonical columns, scores it with the reference engine,
and appends the ORIGINAL input columns plus ``icp_score``, ``icp_tier``, ``icp_segment``
(and ``icp_reasons``) to a CSV or Parquet file. Only one batch is in memory at a time; the
output is written to a temporary file beside the target and renamed at the end, so a
failed run leaves no half file.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .atomic import atomic_path
from .csvsafe import guard_batch
from .errors import ConfigError, SchemaError
from .gaps import FLAG_PREFIX, gap
from .gaps import fill_missing as _fill_missing
from .intake._quarantine import (
    DEFAULT_MAX_REJECTS,
    Reject,
    check_rejects,
    write_rejects,
)
from .intake._write import flat_for_csv
from .profile import Profile
from .scoring import score_table

if TYPE_CHECKING:
    from .intake import Loaded

__all__ = [
    "FLAG_PREFIX",
    "OUTPUT_FORMATS",
    "estimate_rows",
    "score_batches",
    "score_file",
    "score_raw",
]

OUTPUT_FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
DEFAULT_BATCH_ROWS = 65_536

Progress = Callable[[int, int | None], None]  # (rows done, estimated total rows)


def _output_format(path: Path) -> str:
    fmt = OUTPUT_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ConfigError(
            f"cannot write {path.suffix or 'files without an extension'!r}",
            file=str(path),
            hint="Name the output .csv or .parquet",
        )
    return fmt


def estimate_rows(source: str | os.PathLike[str]) -> int | None:
    """Rows in a file: exact for Parquet, estimated from the first MiB for text files."""
    path = Path(source)
    if not path.is_file():
        return None
    if path.suffix.lower() in (".parquet", ".pq"):
        try:
            return int(pq.ParquetFile(path).metadata.num_rows)
        except (pa.ArrowInvalid, OSError):
            return None
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(1 << 20)
    lines = head.count(b"\n")
    if lines < 2:
        return max(lines - 1, 0)
    return max(int(size / (len(head) / lines)) - 1, 0)


def _normalised(
    raw: pa.Table, kind: str | None, mapping: Mapping[str, str | None] | None
) -> Loaded:
    from .intake import load_table

    loaded = load_table(raw, kind=kind, mapping=mapping)
    if loaded.table.num_rows != raw.num_rows:  # intake never drops rows; scores must line up
        raise SchemaError("normalising changed the number of rows; score with --raw")
    return loaded


def score_raw(
    raw: pa.Table,
    profile: Profile,
    *,
    normalize: bool = True,
    kind: str | None = None,
    mapping: Mapping[str, str | None] | None = None,
    reasons: bool = True,
    threads: int | None = None,
    fill_missing: bool = True,
    absent: set[str] | None = None,
) -> tuple[pa.Table, Loaded | None]:
    """One table scored the way `icp score` scores each batch: the input columns as they
    are plus the score columns; with what intake made of it (None with ``normalize=False``).

    ``fill_missing`` scores a column the profile reads but the table lacks as missing (a
    lead form sends a few fields, an export has no technology list), the same rule for files
    and the API; the names of those columns are added to ``absent``. ``fill_missing=False``
    fails on such a column instead.
    """
    loaded = _normalised(raw, kind, mapping) if normalize else None
    scored_on = raw if loaded is None else loaded.table
    if fill_missing:
        scored_on = _fill_missing(scored_on, profile.columns, absent)
    scores = score_table(profile, scored_on, reasons=reasons, threads=threads)
    keep = [c for c in raw.column_names if c not in scores.column_names]
    out = raw.select(keep)
    for name in scores.column_names:
        out = out.append_column(name, scores.column(name))
    return out, loaded


def score_batches(
    batches: Iterator[pa.RecordBatch],
    profile: Profile,
    *,
    normalize: bool = True,
    kind: str | None = None,
    mapping: Mapping[str, str | None] | None = None,
    reasons: bool = True,
    threads: int | None = None,
    absent: set[str] | None = None,
) -> Iterator[pa.RecordBatch]:
    """Each input batch with its score columns appended (input columns kept as they are).

    Profile columns the input lacks score as missing, and their names go to ``absent``.
    """
    for batch in batches:
        out, _ = score_raw(
            pa.Table.from_batches([batch]),
            profile,
            normalize=normalize,
            kind=kind,
            mapping=mapping,
            reasons=reasons,
            threads=threads,
            absent=absent,
        )
        yield from out.combine_chunks().to_batches()


class _Writer:
    """CSV or Parquet writer opened on the first batch (its schema is the file's)."""

    def __init__(self, path: Path, fmt: str, *, raw: bool = False) -> None:
        self.path, self.fmt = path, fmt
        self.writer: Any = None
        self.schema: pa.Schema | None = None
        # A CSV may be opened in a spreadsheet: formula-safe cells unless asked for raw ones.
        self.guard = fmt == "csv" and not raw

    def write(self, batch: pa.RecordBatch) -> None:
        if self.fmt == "csv" and any(pa.types.is_nested(f.type) for f in batch.schema):
            flat = flat_for_csv(pa.Table.from_batches([batch]))
            batch = pa.RecordBatch.from_arrays(flat.columns, names=flat.column_names)
        if self.guard:
            batch = guard_batch(batch)
        if self.writer is None:
            self.schema = batch.schema
            if self.fmt == "parquet":
                # Dictionary pages only for text: on numbers they cost time and rarely pay.
                text = [
                    f.name
                    for f in batch.schema
                    if pa.types.is_string(f.type)
                    or pa.types.is_large_string(f.type)
                    or pa.types.is_dictionary(f.type)
                ]
                self.writer = pq.ParquetWriter(
                    self.path, batch.schema, compression="snappy", use_dictionary=text
                )
            else:
                self.writer = pacsv.CSVWriter(self.path, batch.schema)
        if self.schema is not None and batch.schema != self.schema:
            # A later batch may type a column differently (e.g. all-null first); align it.
            batch = pa.RecordBatch.from_arrays(
                [col.cast(f.type) for col, f in zip(batch.columns, self.schema, strict=True)],
                schema=self.schema,
            )
        if self.fmt == "parquet":
            self.writer.write_batch(batch, row_group_size=max(batch.num_rows, 1))
        else:
            self.writer.write(batch)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def score_file(
    source: str | os.PathLike[str],
    profile: Profile,
    output: str | os.PathLike[str],
    *,
    normalize: bool = True,
    kind: str | None = None,
    mapping: Mapping[str, str | None] | None = None,
    reasons: bool = True,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    threads: int | None = None,
    progress: Progress | None = None,
    max_rejects: float = DEFAULT_MAX_REJECTS,
    raw_cells: bool = False,
) -> dict[str, Any]:
    """Score ``source`` into ``output`` (.csv or .parquet) batch by batch; returns a report.

    ``normalize=False`` scores the columns as they are (input already canonical: faster).
    ``progress(rows_done, rows_estimated)`` is called after every batch. Input rows that
    cannot be parsed go to ``<output>.rejects.csv``; more than ``max_rejects`` of them
    fails the job and leaves no output. A CSV output is formula-safe unless ``raw_cells``.
    """
    from .intake import iter_batches

    out_path = Path(output)
    fmt = _output_format(out_path)
    if batch_rows < 1:
        raise ConfigError(f"batch_rows must be an int >= 1. Got {batch_rows!r} instead")
    started = time.perf_counter()
    total = estimate_rows(source)
    rows = 0
    tiers: dict[str, int] = {}
    rejects: list[Reject] = []
    absent: set[str] = set()
    batches = iter_batches(source, batch_size=batch_rows, rejects=rejects)
    scored = score_batches(
        batches,
        profile,
        normalize=normalize,
        kind=kind,
        mapping=mapping,
        reasons=reasons,
        threads=threads,
        absent=absent,
    )
    with atomic_path(out_path) as tmp, ExitStack() as stack:
        writer = _Writer(tmp, fmt, raw=raw_cells)
        stack.callback(writer.close)
        for batch in scored:
            _some_profile_column(profile, absent, source)
            writer.write(batch)
            rows += batch.num_rows
            for tier, n in _tier_counts(batch).items():
                tiers[tier] = tiers.get(tier, 0) + n
            if progress is not None:
                progress(rows, max(total, rows) if total is not None else None)
        check_rejects(rejects, rows, max_rejects, file=str(source))
        if writer.writer is None:  # nothing was read: fail rather than leave an empty file
            raise SchemaError("the input has no rows to score", file=str(source))
    rejects_file = write_rejects(rejects, out_path)
    seconds = time.perf_counter() - started
    return {
        "input": str(source),
        "output": str(out_path),
        "format": fmt,
        "rows": rows,
        "tiers": dict(sorted(tiers.items())),
        "normalized": normalize,
        "seconds": round(seconds, 3),
        "rows_per_second": round(rows / seconds) if seconds > 0 else None,
        "rejects": len(rejects),
        "rejects_file": None if rejects_file is None else str(rejects_file),
        "missing_columns": sorted(absent),
        "gaps": [gap(profile, c) for c in sorted(absent)],
    }


def _some_profile_column(
    profile: Profile, absent: set[str], source: str | os.PathLike[str]
) -> None:
    """Refuse an input that has none of the profile's columns: a wrong file, not gaps."""
    if profile.columns and absent >= set(profile.columns):
        raise SchemaError(
            "the input has none of the columns the profile reads "
            f"({', '.join(sorted(profile.columns)[:5])})",
            file=str(source),
            hint="Check the file, or map its columns with --map 'Their Column=canonical'",
        )


def _tier_counts(batch: pa.RecordBatch) -> dict[str, int]:
    counts = batch.column(batch.schema.get_field_index("icp_tier")).value_counts()
    return {str(v["values"]): int(v["counts"]) for v in counts.to_pylist()}
