"""Quarantine: rows a reader cannot parse are set aside, counted and written out, not fatal.

A 50,000-row export with one broken line should load 49,999 rows and say which line
it left out and why. Readers collect :class:`Reject` records (file row, the raw text,
the reason), carry them in the table's schema metadata, and :func:`check_rejects`
fails the job only when the rejected share passes ``max_rejects`` (default 1%) or
nothing usable is left. ``<output>.rejects.csv`` holds them for the person to fix.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import pyarrow as pa

from ..atomic import atomic_write_text
from ..errors import ConfigError, ReadError

__all__ = [
    "DEFAULT_MAX_REJECTS",
    "MAX_RECORD_LINES",
    "Reject",
    "check_rejects",
    "parse_max_rejects",
    "rejects_path",
    "salvage_csv",
    "table_rejects",
    "with_rejects",
    "write_rejects",
]

DEFAULT_MAX_REJECTS = 0.01
# A quoted value may span this many lines; past it, the opening quote is taken for a
# stray one (an unterminated quote would otherwise swallow the rest of the file).
MAX_RECORD_LINES = 1_000
_RAW_KEEP = 10_000  # characters of a rejected row kept in the report and the rejects file
_REJECTS_KEY = b"icpkit.rejects"
_TOTAL_KEY = b"icpkit.rows_read"

# Python's csv module refuses fields over 128 KiB by default; exports carry long
# notes fields, and the readers bound memory by the file itself, not by a field size.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


@dataclass(frozen=True)
class Reject:
    """One row set aside: its file row, its raw text (cut at 10,000 characters), why."""

    row: int
    raw: str
    reason: str

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def make_reject(row: int, raw: str, reason: str) -> Reject:
    shown = raw if len(raw) <= _RAW_KEEP else raw[:_RAW_KEEP] + f"… ({len(raw):,} characters)"
    return Reject(row, shown, reason)


# ---------------------------------------------------------------- CSV salvage


def salvage_csv(
    text: str, delimiter: str, width: int, first_line: int
) -> tuple[list[list[str | None]], list[int], list[Reject]]:
    """Parse CSV ``text`` (the data after the header) row by row, setting bad rows aside.

    Returns (good rows, the file line where each starts, rejects). ``first_line`` is
    the file line of the first line of ``text``. A record with the wrong number of
    fields is rejected whole; a quote that does not close within MAX_RECORD_LINES
    lines (or before the end) rejects only its own line, and reading resumes on the
    next one, so one stray quote costs one row, not the rest of the file.
    """
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    rows: list[list[str | None]] = []
    starts: list[int] = []
    rejects: list[Reject] = []
    i = 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        end, fields, error = _one_record(lines, i, delimiter)
        raw = "\n".join(lines[i:end])
        if error is not None:
            rejects.append(make_reject(first_line + i, lines[i], error))
            i += 1
            continue
        assert fields is not None
        if len(fields) != width and not _only_trailing_blanks(fields, width):
            reason = f"ragged row: {len(fields)} fields where the header has {width}"
            rejects.append(make_reject(first_line + i, raw, reason))
        else:
            rows.append([f if f != "" else None for f in fields[:width]])
            starts.append(first_line + i)
        i = end
    return rows, starts, rejects


def _one_record(
    lines: list[str], start: int, delimiter: str
) -> tuple[int, list[str] | None, str | None]:
    """(line after the record, its fields, or an error) for the record starting at ``start``."""
    stop = min(len(lines), start + MAX_RECORD_LINES)
    source = _Lines(lines, start, stop)
    reader = csv.reader(source, delimiter=delimiter, strict=True)
    try:
        fields = next(reader)
    except csv.Error as exc:
        if source.exhausted:
            return start + 1, None, "unbalanced quotes: a quoted value opens here and never closes"
        return start + 1, None, f"malformed CSV ({exc})"
    except StopIteration:  # pragma: no cover - the caller skips blank lines
        return start + 1, None, "empty record"
    return start + reader.line_num, fields, None


class _Lines:
    """Lines ``start:stop`` with their newline, noting whether the reader ran out."""

    def __init__(self, lines: list[str], start: int, stop: int) -> None:
        self.lines, self.index, self.stop = lines, start, stop
        self.exhausted = False

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        if self.index >= self.stop:
            self.exhausted = True
            raise StopIteration
        line = self.lines[self.index]
        self.index += 1
        return line + "\n"


def _only_trailing_blanks(fields: list[str], width: int) -> bool:
    """More fields than the header, but the extra ones are empty (a trailing delimiter)."""
    return len(fields) > width and not any(f.strip() for f in fields[width:])


# ---------------------------------------------------------------- carrying and checking


def with_rejects(data: pa.Table, rejects: list[Reject], total: int | None = None) -> pa.Table:
    """Attach rejects (and the number of records seen) to a table's schema metadata."""
    meta = dict(data.schema.metadata or {})
    meta[_REJECTS_KEY] = json.dumps([r.to_dict() for r in rejects]).encode()
    meta[_TOTAL_KEY] = str(data.num_rows + len(rejects) if total is None else total).encode()
    return data.replace_schema_metadata(meta)


def table_rejects(data: pa.Table | pa.RecordBatch) -> list[Reject]:
    raw = (data.schema.metadata or {}).get(_REJECTS_KEY)
    return [Reject(**r) for r in json.loads(raw)] if raw else []


def check_rejects(
    rejects: list[Reject], kept: int, max_rejects: float, *, file: str | None
) -> None:
    """ReadError when the rejected share passes ``max_rejects`` or no row is usable."""
    if not rejects:
        return
    total = kept + len(rejects)
    share = len(rejects) / total
    if kept and share <= max_rejects:
        return
    first = rejects[0]
    what = "no row could be read" if not kept else f"more than --max-rejects {max_rejects:.0%}"
    raise ReadError(
        f"{len(rejects):,} of {total:,} rows ({share:.0%}) could not be read ({what});"
        f" first: row {first.row}, {first.reason}",
        file=file,
        row=first.row,
        hint="Fix those rows, or raise the threshold (--max-rejects 5%)",
    )


def parse_max_rejects(value: str | float | None) -> float:
    """'1%', '0.01', 0.05 -> a share between 0 and 1; ConfigError otherwise."""
    if value is None:
        return DEFAULT_MAX_REJECTS
    text = str(value).strip()
    try:
        share = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        share = -1.0
    if not 0 <= share <= 1:
        raise ConfigError(
            f"--max-rejects must be a share between 0% and 100%. Got {value!r} instead",
            hint="Example: --max-rejects 5% (or 0.05)",
        )
    return share


def rejects_path(output: str | os.PathLike[str]) -> Path:
    """``out.parquet`` -> ``out.rejects.csv`` beside it."""
    path = Path(output)
    stem = path.name[: -len(path.suffix)] if path.suffix else path.name
    return path.with_name(f"{stem}.rejects.csv")


def write_rejects(rejects: list[Reject], output: str | os.PathLike[str]) -> Path | None:
    """Write ``<output>.rejects.csv`` (row, raw, reason) when there are rejects; else remove
    a stale one from an earlier run, so the file beside an output always describes it."""
    target = rejects_path(output)
    if not rejects:
        target.unlink(missing_ok=True)
        return None
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["row", "raw", "reason"])
    from ..csvsafe import safe_text  # the raw text came from the data: keep it inert

    for r in rejects:
        writer.writerow([r.row, safe_text(r.raw), r.reason])
    return atomic_write_text(target, buffer.getvalue())
