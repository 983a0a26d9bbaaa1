"""Readers: any supported source into one pyarrow Table (or a stream of batches).

CSV/TSV columns stay raw strings (empty cells are null) so the normalisers see
exactly what the CRM exported; Parquet, Excel and JSON keep their own types.
Header problems are repaired, never dropped: blank names become ``column_<n>``,
duplicates get a ``_2`` suffix; each repair is a warning carried in the table's
schema metadata (``icpkit.warnings``), which :func:`icpkit.intake.load` reports.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..errors import ReadError
from . import _sql
from ._arrow import (
    FIRST_LINE_KEY,
    LINE_MAP_KEY,
    first_line,
    repair_names,
    table_warnings,
    with_meta,
    with_warnings,
)
from ._exports import FOOTER_WORDS, split_footer
from ._files import read_excel, read_json, read_parquet, text_for_null_columns
from ._quarantine import (
    DEFAULT_MAX_REJECTS,
    Reject,
    check_rejects,
    make_reject,
    salvage_csv,
    table_rejects,
    with_rejects,
)
from ._sniff import (
    DELIMITER_NAMES,
    SourceInfo,
    better_delimiter,
    find_ragged_row,
    is_sql_url,
    open_binary,
    read_bytes,
    sniff,
)

__all__ = ["iter_batches", "read_table", "table_warnings"]

DEFAULT_BATCH_SIZE = 65_536


def read_table(
    source: str | os.PathLike[str],
    *,
    table: str | None = None,
    query: str | None = None,
    sheet: str | int | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    max_rejects: float = DEFAULT_MAX_REJECTS,
) -> pa.Table:
    """Read a CSV/TSV/Parquet/Excel/JSON/JSONL file or a SQL table into Arrow.

    ``source`` is a path, or a SQL URL (``duckdb:///path.db``,
    ``postgresql://user@host:port/db``) with ``table=`` or ``query=``; a
    ``.duckdb``/``.db`` path is read like a DuckDB URL. Rows that cannot be parsed
    are set aside (see :func:`icpkit.intake.table_rejects`); more than
    ``max_rejects`` of them (a share, default 1%) is a ReadError.
    """
    data, _ = read_with_info(
        source,
        table=table,
        query=query,
        sheet=sheet,
        encoding=encoding,
        delimiter=delimiter,
        max_rejects=max_rejects,
    )
    return data


def read_with_info(
    source: str | os.PathLike[str],
    *,
    table: str | None = None,
    query: str | None = None,
    sheet: str | int | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    max_rejects: float = DEFAULT_MAX_REJECTS,
    kind: str | None = None,
) -> tuple[pa.Table, SourceInfo]:
    """Like :func:`read_table`, also returning what was sniffed.

    ``kind`` (the table kind wanted) picks the sheet of a workbook by its columns.
    """
    info = sniff(source, encoding=encoding, delimiter=delimiter)
    data = _read(info, table=table, query=query, sheet=sheet, delimiter_given=delimiter, kind=kind)
    check_rejects(table_rejects(data), data.num_rows, max_rejects, file=info.source)
    return data, info


def _read(
    info: SourceInfo,
    *,
    table: str | None,
    query: str | None,
    sheet: str | int | None,
    delimiter_given: str | None,
    kind: str | None = None,
) -> pa.Table:
    fmt = info.format
    if fmt in ("duckdb", "postgresql"):
        return text_for_null_columns(_sql.read_sql(_sql_url(info), table=table, query=query))
    _only_for_sql(info.source, table, query)
    if fmt in ("csv", "tsv"):
        given = delimiter_given or ("\t" if fmt == "tsv" else None)
        return _read_csv(info, given)
    if fmt == "parquet":
        return text_for_null_columns(read_parquet(info.source))
    if fmt == "excel":
        return read_excel(info.source, sheet, kind)
    if fmt in ("json", "jsonl"):
        return read_json(info.source, lines=fmt == "jsonl")
    raise ReadError(f"no reader for format {fmt!r}", file=info.source)  # pragma: no cover


def _sql_url(info: SourceInfo) -> str:
    """A .duckdb/.db path reads like its duckdb:/// URL."""
    if is_sql_url(info.source):
        return info.source
    return f"duckdb:///{Path(info.source).resolve()}"


def _only_for_sql(source: str, table: str | None, query: str | None) -> None:
    if table is not None or query is not None:
        raise ReadError(
            "--table/--query only apply to SQL sources",
            file=source,
            hint="Use a duckdb:///file.db or postgresql://... URL",
        )


# ---------------------------------------------------------------- CSV


def _decode_all(info: SourceInfo) -> str:
    data = read_bytes(info.source)
    encoding = info.encoding or "utf-8"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        bad = exc.start
        raise ReadError(
            f"undecodable bytes: byte 0x{data[bad]:02x} at byte offset {bad} is not valid"
            f" {encoding}",
            file=info.source,
            row=data.count(b"\n", 0, bad) + 1,
            hint="Re-export as UTF-8, or pass the right encoding (--encoding cp1252)",
        ) from None


def _header(text: str, delimiter: str) -> list[str]:
    # Only the head is parsed: wrapping a whole large file in StringIO copies it.
    reader = csv.reader(io.StringIO(text[: 1 << 20]), delimiter=delimiter)
    for row in reader:
        if row:
            return row
    return []


def _csv_options(
    names: list[str], delimiter: str, *, skip_rows: int, block_size: int | None = None
) -> tuple[pacsv.ReadOptions, pacsv.ParseOptions, pacsv.ConvertOptions]:
    read = pacsv.ReadOptions(column_names=names, skip_rows=skip_rows)
    if block_size:
        read.block_size = block_size
    parse = pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True)
    convert = pacsv.ConvertOptions(
        column_types=dict.fromkeys(names, pa.string()),
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
        null_values=[""],
    )
    return read, parse, convert


def _read_csv(info: SourceInfo, given: str | None) -> pa.Table:
    text, warnings = _clean_text(_decode_all(info))
    delimiter = info.delimiter or ","
    text, excel_sep = _excel_sep_line(text)
    delimiter = excel_sep or delimiter
    if not text or text.isspace():
        raise ReadError(
            "file is empty (only blank lines)",
            file=info.source,
            hint="Export the table again: the file holds no header and no rows",
        )
    raw_names = _header(text, delimiter)
    names, repaired = repair_names(raw_names)
    warnings += repaired
    text, footer = split_footer(text, delimiter, len(names))
    if footer:
        warnings.append(
            f"skipped a {len(footer)}-line report footer after the data"
            f" (starting {footer[0][:60]!r})"
        )
    skip = _leading_blank_lines(text) + 1
    if _header_only(text, skip):
        empty = pa.table({n: pa.array([], pa.string()) for n in names})
        warnings.append(f"the file has a header ({len(names)} columns) but no data rows")
        return with_rejects(with_warnings(empty, warnings), [])
    data = None
    if text.count('"') % 2 == 0:  # an odd count: a quote that never closes; salvage
        try:
            data = _parse_csv(text, names, delimiter, skip)
        except pa.ArrowInvalid:
            if _trailing_empty_field(text, delimiter, len(names)):
                # Every data row ends with one more, empty, field than the header: an
                # editor's trailing delimiter. Read it and leave the empty field out.
                data = _parse_with_trailing_field(text, names, delimiter, skip)
                if data is not None:
                    warnings.append(
                        "every data row ends with an extra empty field (trailing delimiter);"
                        " ignored it"
                    )
    if data is None:
        return with_warnings(_salvage(info, text, names, delimiter, skip, given), warnings)
    if data.num_columns == 1 and given is not None and not excel_sep:
        _check_one_column(info, text, given)
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    numbering = {FIRST_LINE_KEY: str(skip + 1)}
    if lines != skip + data.num_rows:  # blank lines or multi-line values in between
        numbering[LINE_MAP_KEY] = "scan"
    return with_rejects(with_meta(with_warnings(data, warnings), numbering), [])


def _parse_with_trailing_field(
    text: str, names: list[str], delimiter: str, skip: int
) -> pa.Table | None:
    """The table without the empty extra last field; None when Arrow still cannot read it
    (Python's csv module and Arrow disagree on a few odd quotings: salvage those)."""
    try:
        data = _parse_csv(text, [*names, "\0extra"], delimiter, skip)
    except pa.ArrowInvalid:
        return None
    return data.drop_columns(["\0extra"])


def _clean_text(text: str) -> tuple[str, list[str]]:
    """Strip NUL characters and make every line end in LF, saying so.

    A NUL in one cell (a CRM's padding, a bad copy) is not data, and Python's csv
    module cannot read it; a bare CR (old Mac exports, a CR typed inside a value)
    makes it fail with "new-line character seen in unquoted field".
    """
    warnings = []
    nuls = text.count("\0")
    if nuls:
        first = text.count("\n", 0, text.index("\0")) + 1
        text = text.replace("\0", "")
        warnings.append(f"removed {nuls:,} NUL character(s) (the first on row {first})")
    if "\r" in text:
        bare = text.count("\r") - text.count("\r\n")
        text = text.replace("\r\n", "\n")
        if bare:
            text = text.replace("\r", "\n")
            warnings.append(f"read {bare:,} bare carriage return(s) (CR) as line ends")
    return text, warnings


def _header_only(text: str, skip: int) -> bool:
    """Nothing but blank lines after the header line."""
    pos = 0
    for _ in range(skip):
        pos = text.find("\n", pos) + 1
        if pos == 0:
            return True
    return not text[pos:].strip()


def _salvage(
    info: SourceInfo, text: str, names: list[str], delimiter: str, skip: int, given: str | None
) -> pa.Table:
    """Row-by-row read that sets unreadable rows aside (see :mod:`._quarantine`)."""
    start = 0
    for _ in range(skip):
        start = text.find("\n", start) + 1
    rows, starts, rejects = salvage_csv(text[start:], delimiter, len(names), skip + 1)
    if not rows and given:
        other = better_delimiter(text, given, whole=True)
        if other is not None:
            raise ReadError(
                f"no row splits into the header's {len(names)} fields with delimiter"
                f" {_show(given)}; the file looks {DELIMITER_NAMES[other]}-separated",
                file=info.source,
                hint=f"Pass --delimiter {_show(other)} (or leave it out to detect it)",
            )
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    data = pa.table(
        {n: pa.array(list(c), pa.string()) for n, c in zip(names, columns, strict=True)}
    )
    numbering = {FIRST_LINE_KEY: str(starts[0] if starts else skip + 1)}
    numbering[LINE_MAP_KEY] = json.dumps(starts)
    return with_rejects(with_meta(data, numbering), rejects)


def record_lines(info: SourceInfo, count: int) -> list[int]:
    """File line where each of the first ``count`` data records starts (CSV)."""
    text, _ = _excel_sep_line(_clean_text(_decode_all(info))[0])
    reader = csv.reader(io.StringIO(text), delimiter=info.delimiter or ",")
    starts: list[int] = []
    before = 0
    for row in reader:
        if row:
            starts.append(before + 1)
            if len(starts) > count:
                break
        before = reader.line_num
    return starts[1:]  # the first record is the header


def _parse_csv(text: str, names: list[str], delimiter: str, skip: int) -> pa.Table:
    read, parse, convert = _csv_options(names, delimiter, skip_rows=skip)
    return pacsv.read_csv(io.BytesIO(text.encode("utf-8")), read, parse, convert)


def _excel_sep_line(text: str) -> tuple[str, str | None]:
    """Excel's "sep=;" first line names the delimiter; blank it (row numbers stay)."""
    end = text.find("\n", 0, 16)
    line = (text[:end] if end >= 0 else text[:16]).strip()
    if len(line) == 5 and line.lower().startswith("sep="):
        return text[end:] if end >= 0 else "", line[4]
    return text, None


def _trailing_empty_field(text: str, delimiter: str, width: int) -> bool:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows = [r for r in reader if r][1:]
    return bool(rows) and all(len(r) == width + 1 and not r[-1].strip() for r in rows)


def _leading_blank_lines(text: str) -> int:
    count, start = 0, 0
    while True:
        end = text.find("\n", start)
        line = text[start:] if end < 0 else text[start:end]
        if line.strip() or end < 0:
            return count
        count, start = count + 1, end + 1


def _check_one_column(info: SourceInfo, text: str, given: str) -> None:
    other = better_delimiter(text, given, whole=True)
    if other is not None:
        raise ReadError(
            f"every row landed in one column with delimiter {_show(given)}, but the file is"
            f" {DELIMITER_NAMES[other]}-separated",
            file=info.source,
            hint=f"Pass --delimiter {_show(other)} (or leave it out to detect it)",
        )


def _show(delimiter: str) -> str:
    return "'\\t'" if delimiter == "\t" else repr(delimiter)


def _csv_error(
    info: SourceInfo, text: str, delimiter: str, given: str | None, exc: Exception
) -> ReadError:
    ragged = find_ragged_row(text, delimiter)
    hint = None
    other = better_delimiter(text, delimiter, whole=True) if given else None
    if other is not None:
        hint = f"The file looks {DELIMITER_NAMES[other]}-separated: pass --delimiter {_show(other)}"
    if ragged is not None:
        row, got, want = ragged
        if got < 0:
            return ReadError(
                "malformed CSV (unbalanced quotes)", file=info.source, row=row, hint=hint
            )
        return ReadError(
            f"ragged row: {got} fields where the header has {want}",
            file=info.source,
            row=row,
            hint=hint or f"Check quoting and delimiters (detected {_show(delimiter)})",
        )
    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return ReadError(f"cannot parse CSV: {first}", file=info.source, hint=hint)


def _iter_csv(
    info: SourceInfo, batch_size: int, rejects: list[Reject] | None = None
) -> Iterator[pa.RecordBatch]:
    # The header is read from the sniffed sample, so every batch gets the same
    # all-string schema whatever the values in later blocks look like.
    path = Path(info.source)
    if _needs_salvage(path, info.encoding or "utf-8"):
        # A quote that never closes would swallow the rest of the file in Arrow's reader
        # without an error, and NULs would pass into the output: read this one whole, row
        # by row, setting bad rows aside and stripping NULs (as load() does).
        data = _read_csv(info, None)
        if rejects is not None:
            rejects.extend(table_rejects(data))
        else:
            check_rejects(table_rejects(data), data.num_rows, 0.0, file=info.source)
        yield from data.to_batches(max_chunksize=batch_size)
        return
    head = read_bytes(path, 1 << 20)
    encoding = info.encoding or "utf-8"
    delimiter = info.delimiter or ","
    sample, _ = _excel_sep_line(_clean_text(head.decode(encoding, errors="replace"))[0])
    if not sample.strip():
        raise ReadError("file is empty (only blank lines)", file=info.source)
    if len(head) < 1 << 20 and _header_only(sample, _leading_blank_lines(sample) + 1):
        return  # a header and no rows: nothing to stream (Arrow would fail to skip it)
    names, _ = repair_names(_header(sample, delimiter))
    # Arrow reads ahead several blocks while batches are scored: 4 MiB blocks (not 16-64)
    # keep that buffer small when scoring is the slow part (peak RSS on a 5M-row export).
    block = max(1 << 20, min(4 << 20, batch_size * 64))
    read, parse, convert = _csv_options(
        names, delimiter, skip_rows=_leading_blank_lines(sample) + 1, block_size=block
    )
    read.encoding = "utf-8" if encoding in ("utf-8", "utf-8-sig") else encoding
    seen: list[Reject] = []
    parse.invalid_row_handler = _footer_rows(len(names), seen if rejects is not None else None)
    try:
        reader = pacsv.open_csv(str(path), read, parse, convert)
        for batch in reader:
            yield from _rechunk(batch, batch_size)
    except pa.ArrowInvalid as exc:
        raise _csv_error(info, _decode_all(info), delimiter, None, exc) from None
    if rejects is not None and seen:
        rejects.extend(_locate(info, seen))


def _needs_salvage(path: Path, encoding: str) -> bool:
    """An odd number of double quotes, or a NUL in an 8-bit file (counted in C, 16 MiB at
    a time; UTF-16 is made of NULs and is left to Arrow)."""
    quotes, nuls = 0, 0
    wide = encoding.lower().startswith("utf-16")
    with open_binary(path) as fh:
        while chunk := fh.read(16 << 20):
            quotes += chunk.count(b'"')
            nuls += 0 if wide else chunk.count(b"\0")
    return quotes % 2 == 1 or nuls > 0


def _footer_rows(width: int, rejects: list[Reject] | None = None) -> Callable[[Any], str]:
    """An Arrow invalid-row handler that skips a report footer (one-field rows from the
    first one with footer words on) and sets other one-line bad rows aside in ``rejects``
    (when given; else they stay errors). A bad row spanning lines is a quote that never
    closed: that stays an error, as skipping it would drop the rest of the file."""
    seen = False

    def handle(row: Any) -> str:
        nonlocal seen
        text = row.text or ""
        if width > 1 and row.actual_columns == 1:
            seen = seen or bool(FOOTER_WORDS.search(text))
            if seen:
                return "skip"
        if rejects is None or "\n" in text or "\r" in text:
            return "error"
        reason = f"ragged row: {row.actual_columns} fields where the header has {width}"
        rejects.append(make_reject(0, text, reason))
        return "skip"

    return handle


def _locate(info: SourceInfo, rejects: list[Reject]) -> list[Reject]:
    """File rows of rows Arrow set aside (its parallel reader does not number them).

    Searched as bytes in C (find, then count the line ends before the hit), 16 MiB at a
    time: a Python loop over the lines of a multi-GB export cost more than scoring it,
    and a memory map would count the whole file in the process's resident memory."""
    encoding = info.encoding or "utf-8"
    codec = "utf-8" if encoding in ("utf-8", "utf-8-sig") else encoding
    needles = [r.raw.encode(codec, errors="replace") for r in rejects]
    rows = _scan_rows(info.source, needles)
    missed = [i for i, row in enumerate(rows) if not row]
    if missed:  # reported out of file order by the parallel reader: look again for those
        again = _scan_rows(info.source, [needles[i] for i in missed])
        for i, row in zip(missed, again, strict=True):
            rows[i] = row
    return [Reject(row, r.raw, r.reason) for row, r in zip(rows, rejects, strict=True)]


def _scan_rows(source: str, needles: list[bytes]) -> list[int]:
    """The line where each needle first starts a line, in order (0: not found)."""
    rows = [0] * len(needles)
    k, line, carry = 0, 1, b"\n"  # carry starts with a line end: the file starts a line
    with open_binary(source) as fh:
        while k < len(needles):
            chunk = fh.read(16 << 20)
            if not chunk:
                break
            buf, pos = carry + chunk, 1 if carry == b"\n" and line == 1 else 0
            while k < len(needles):
                at = _line_start_find(buf, needles[k], max(pos, 1))
                if at < 0:
                    break
                line += buf.count(b"\n", pos, at)
                rows[k], pos, k = line, at, k + 1
            keep = (len(needles[k]) if k < len(needles) else 0) + 1
            cut = max(pos, len(buf) - keep)
            line += buf.count(b"\n", pos, cut)
            carry = buf[cut:]
    return rows


def _line_start_find(data: bytes, needle: bytes, start: int) -> int:
    """Offset of ``needle`` right after a line end, from ``start`` (>= 1) on; -1 if absent."""
    at = data.find(needle, start)
    while at > 0 and data[at - 1 : at] not in (b"\n", b"\r"):
        at = data.find(needle, at + 1)
    return at


def _rechunk(batch: pa.RecordBatch, size: int) -> Iterator[pa.RecordBatch]:
    for start in range(0, batch.num_rows, size):
        yield batch.slice(start, size)


# ---------------------------------------------------------------- streaming


def iter_batches(
    source: str | os.PathLike[str],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    table: str | None = None,
    query: str | None = None,
    sheet: str | int | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    rejects: list[Reject] | None = None,
) -> Iterator[pa.RecordBatch]:
    """Stream a source as record batches with one schema.

    With ``rejects`` (a list), CSV rows that cannot be parsed are appended to it
    (with their file row, once the stream ends) instead of stopping the stream.

    CSV streams through Arrow's incremental reader (columns as raw strings, schema
    fixed from the header), Parquet by row groups, SQL through the database cursor;
    Excel and JSON are read whole and sliced.
    """
    if batch_size < 1:
        from ..errors import ConfigError

        raise ConfigError(f"batch_size must be an int >= 1. Got {batch_size!r} instead")
    info = sniff(source, encoding=encoding, delimiter=delimiter)
    if info.format in ("csv", "tsv"):
        _only_for_sql(info.source, table, query)
        yield from _iter_csv(info, batch_size, rejects)
        return
    if info.format == "parquet":
        _only_for_sql(info.source, table, query)
        try:
            # pre_buffer=False: the default pre-buffering keeps what it read, so peak
            # memory grew with the file (7 GB RSS streaming a 6.6 GiB file); now ~250 MB.
            parquet = pq.ParquetFile(info.source, pre_buffer=False, buffer_size=1 << 20)
            yield from parquet.iter_batches(batch_size=batch_size)
        except (pa.ArrowInvalid, OSError) as exc:
            raise ReadError(f"cannot read Parquet: {first_line(exc)}", file=info.source) from None
        return
    if info.format in ("duckdb", "postgresql"):
        yield from _sql.iter_sql(_sql_url(info), table=table, query=query, batch_size=batch_size)
        return
    data = _read(info, table=table, query=query, sheet=sheet, delimiter_given=delimiter)
    if rejects is not None:
        rejects.extend(table_rejects(data))
    yield from data.to_batches(max_chunksize=batch_size)
