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
from collections.abc import Iterator
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
    blank_to_none,
    columns_to_table,
    first_line,
    repair_names,
    table_warnings,
    with_meta,
    with_warnings,
)
from ._exports import excel_header_row, split_footer
from ._sniff import (
    DELIMITER_NAMES,
    SourceInfo,
    better_delimiter,
    find_ragged_row,
    is_sql_url,
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
) -> pa.Table:
    """Read a CSV/TSV/Parquet/Excel/JSON/JSONL file or a SQL table into Arrow.

    ``source`` is a path, or a SQL URL (``duckdb:///path.db``,
    ``postgresql://user@host:port/db``) with ``table=`` or ``query=``; a
    ``.duckdb``/``.db`` path is read like a DuckDB URL.
    """
    info = sniff(source, encoding=encoding, delimiter=delimiter)
    return _read(info, table=table, query=query, sheet=sheet, delimiter_given=delimiter)


def read_with_info(
    source: str | os.PathLike[str],
    *,
    table: str | None = None,
    query: str | None = None,
    sheet: str | int | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> tuple[pa.Table, SourceInfo]:
    """Like :func:`read_table`, also returning what was sniffed."""
    info = sniff(source, encoding=encoding, delimiter=delimiter)
    data = _read(info, table=table, query=query, sheet=sheet, delimiter_given=delimiter)
    return data, info


def _read(
    info: SourceInfo,
    *,
    table: str | None,
    query: str | None,
    sheet: str | int | None,
    delimiter_given: str | None,
) -> pa.Table:
    fmt = info.format
    if fmt in ("duckdb", "postgresql"):
        return _sql.read_sql(_sql_url(info), table=table, query=query)
    _only_for_sql(info.source, table, query)
    if fmt in ("csv", "tsv"):
        given = delimiter_given or ("\t" if fmt == "tsv" else None)
        return _read_csv(info, given)
    if fmt == "parquet":
        return _read_parquet(info.source)
    if fmt == "excel":
        return _read_excel(info.source, sheet)
    if fmt in ("json", "jsonl"):
        return _read_json(info.source, lines=fmt == "jsonl")
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
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
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
    text = _decode_all(info)
    delimiter = info.delimiter or ","
    text, excel_sep = _excel_sep_line(text)
    delimiter = excel_sep or delimiter
    if not text.strip():
        raise ReadError("file is empty (only blank lines)", file=info.source)
    raw_names = _header(text, delimiter)
    names, warnings = repair_names(raw_names)
    text, footer = split_footer(text, delimiter, len(names))
    if footer:
        warnings.append(
            f"skipped a {len(footer)}-line report footer after the data"
            f" (starting {footer[0][:60]!r})"
        )
    skip = _leading_blank_lines(text) + 1
    try:
        data = _parse_csv(text, names, delimiter, skip)
    except pa.ArrowInvalid as exc:
        if not _trailing_empty_field(text, delimiter, len(names)):
            raise _csv_error(info, text, delimiter, given, exc) from None
        # Every data row ends with one more, empty, field than the header: an
        # editor's trailing delimiter. Read it and leave the empty field out.
        data = _parse_csv(text, [*names, "\0extra"], delimiter, skip).drop_columns(["\0extra"])
        warnings.append(
            "every data row ends with an extra empty field (trailing delimiter); ignored it"
        )
    if data.num_rows == 0:
        raise ReadError(
            f"file has a header ({len(names)} columns) but no data rows", file=info.source
        )
    if text.count('"') % 2:
        _unclosed_quote(info, text)
    if data.num_columns == 1 and given is not None and not excel_sep:
        _check_one_column(info, text, given)
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    numbering = {FIRST_LINE_KEY: str(skip + 1)}
    if lines != skip + data.num_rows:  # blank lines or multi-line values in between
        numbering[LINE_MAP_KEY] = "scan"
    return with_meta(with_warnings(data, warnings), numbering)


def record_lines(info: SourceInfo, count: int) -> list[int]:
    """File line where each of the first ``count`` data records starts (CSV)."""
    text, _ = _excel_sep_line(_decode_all(info))
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
    first, newline, rest = text.partition("\n")
    line = first.strip()
    if len(line) == 5 and line.lower().startswith("sep="):
        return newline + rest, line[4]
    return text, None


def _trailing_empty_field(text: str, delimiter: str, width: int) -> bool:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows = [r for r in reader if r][1:]
    return bool(rows) and all(len(r) == width + 1 and not r[-1].strip() for r in rows)


def _unclosed_quote(info: SourceInfo, text: str) -> None:
    """An odd number of quotes: a quoted field swallowed the rest of the file."""
    inside, opened_at, line = False, 0, 1
    for ch in text:
        if ch == "\n":
            line += 1
        elif ch == '"':
            inside = not inside
            opened_at = line if inside else opened_at
    if inside:
        raise ReadError(
            "unbalanced quotes: a quoted field opens here and never closes, so it would swallow"
            " the rest of the file",
            file=info.source,
            row=opened_at,
        )


def _leading_blank_lines(text: str) -> int:
    count = 0
    for line in io.StringIO(text):
        if line.strip():
            break
        count += 1
    return count


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


def _iter_csv(info: SourceInfo, batch_size: int) -> Iterator[pa.RecordBatch]:
    # The header is read from the sniffed sample, so every batch gets the same
    # all-string schema whatever the values in later blocks look like.
    path = Path(info.source)
    head = read_bytes(path, 1 << 20)
    encoding = info.encoding or "utf-8"
    delimiter = info.delimiter or ","
    sample = head.decode(encoding, errors="replace")
    names, _ = repair_names(_header(sample, delimiter))
    block = max(1 << 20, min(64 << 20, batch_size * 256))
    read, parse, convert = _csv_options(
        names, delimiter, skip_rows=_leading_blank_lines(sample) + 1, block_size=block
    )
    read.encoding = "utf-8" if encoding in ("utf-8", "utf-8-sig") else encoding
    try:
        reader = pacsv.open_csv(str(path), read, parse, convert)
        for batch in reader:
            yield from _rechunk(batch, batch_size)
    except pa.ArrowInvalid as exc:
        raise _csv_error(info, _decode_all(info), delimiter, None, exc) from None


def _rechunk(batch: pa.RecordBatch, size: int) -> Iterator[pa.RecordBatch]:
    for start in range(0, batch.num_rows, size):
        yield batch.slice(start, size)


# ---------------------------------------------------------------- Parquet


def _read_parquet(path: str) -> pa.Table:
    try:
        return pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise ReadError(f"cannot read Parquet: {first_line(exc)}", file=path) from None


# ---------------------------------------------------------------- Excel


def _sheet_rows(path: str, sheet: str | int | None) -> list[list[Any]]:
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:  # pragma: no cover - calamine is optional; openpyxl is core
        return _openpyxl_rows(path, sheet)
    try:
        book = CalamineWorkbook.from_path(path)
    except Exception as exc:  # calamine raises its own error classes
        raise ReadError(f"cannot read Excel workbook: {first_line(exc)}", file=path) from None
    name = _pick_sheet(path, list(book.sheet_names), sheet)
    return [list(r) for r in book.get_sheet_by_name(name).to_python(skip_empty_area=True)]


def _openpyxl_rows(path: str, sheet: str | int | None) -> list[list[Any]]:  # pragma: no cover
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise ReadError(f"cannot read Excel workbook: {first_line(exc)}", file=path) from None
    name = _pick_sheet(path, list(book.sheetnames), sheet)
    return [list(r) for r in book[name].iter_rows(values_only=True)]


def _pick_sheet(path: str, names: list[str], sheet: str | int | None) -> str:
    if not names:
        raise ReadError("the workbook has no sheets", file=path)
    if sheet is None:
        return names[0]
    if isinstance(sheet, int) or (isinstance(sheet, str) and sheet.isdigit()):
        index = int(sheet)
        if 0 <= index < len(names):
            return names[index]
    elif sheet in names:
        return sheet
    from ..errors import closest

    match = closest(str(sheet), names)
    hint = f"Did you mean {match!r}? " if match else ""
    raise ReadError(
        f"no sheet {sheet!r} in the workbook",
        file=path,
        hint=f"{hint}Sheets: {', '.join(repr(n) for n in names)}",
    )


def _read_excel(path: str, sheet: str | int | None) -> pa.Table:
    rows = _sheet_rows(path, sheet)
    while rows and all(blank_to_none(v) is None for v in rows[0]):
        rows.pop(0)
    if not rows:
        raise ReadError("the sheet is empty", file=path)
    start = excel_header_row(rows)
    header = ["" if v is None else str(v) for v in rows[start]]
    kept = [
        i for i in range(start + 1, len(rows)) if any(blank_to_none(v) is not None for v in rows[i])
    ]
    body = [rows[i] for i in kept]
    if not body:
        raise ReadError(f"the sheet has a header ({len(header)} columns) but no rows", file=path)
    body, footer = _excel_footer(body, len(header))
    table = columns_to_table(header, body)
    notes = []
    if start:
        title = " ".join(str(v) for v in rows[0] if blank_to_none(v) is not None)
        notes.append(f"skipped {start} title row(s) above the header (starting {title[:60]!r})")
    if footer:
        notes.append(f"skipped a {len(footer)}-line report footer (starting {footer[0][:60]!r})")
    table = with_warnings(table, table_warnings(table) + notes) if notes else table
    numbering = {FIRST_LINE_KEY: str(start + 2)}
    if len(kept) != len(rows) - start - 1:  # blank rows were skipped: say where rows are
        numbering[LINE_MAP_KEY] = json.dumps([i + 1 for i in kept[: table.num_rows]])
    return with_meta(table, numbering)


def _excel_footer(body: list[list[Any]], width: int) -> tuple[list[list[Any]], list[str]]:
    """Trailing one-cell rows with footer words (a report export's footer)."""
    lines = ["\t".join(str(v) for v in r if blank_to_none(v) is not None) for r in body]
    _, footer = split_footer("\n".join(lines) + "\n", "\t", width)
    if not footer:
        return body, []
    kept = len(body) - len(footer)
    return body[:kept], footer


# ---------------------------------------------------------------- JSON


def _read_json(path: str, *, lines: bool) -> pa.Table:
    data = read_bytes(path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReadError(
            f"undecodable bytes: JSON must be UTF-8; byte 0x{data[exc.start]:02x} at byte"
            f" offset {exc.start} is not",
            file=path,
            row=data.count(b"\n", 0, exc.start) + 1,
        ) from None
    if not text.strip():
        raise ReadError("file is empty", file=path)
    numbers: list[int] = []
    records = _json_lines(path, text, numbers) if lines else _json_records(path, text)
    if not records:
        raise ReadError("no records in the JSON file", file=path)
    names: dict[str, None] = {}
    for rec in records:
        names.update(dict.fromkeys(rec))
    cols = list(names)
    rows = [[rec.get(c) for c in cols] for rec in records]
    table = columns_to_table(cols, rows)
    if numbers and numbers[-1] != len(numbers):  # blank lines: say where records are
        table = with_meta(table, {LINE_MAP_KEY: json.dumps(numbers)})
    return table


def _json_lines(path: str, text: str, numbers: list[int]) -> list[dict[str, Any]]:
    """Records of a JSON Lines text; ``numbers`` receives the line of each record."""
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        numbers.append(number)
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ReadError(f"invalid JSON: {exc.msg}", file=path, row=number) from None
        if not isinstance(value, dict):
            raise ReadError("each JSON line must be an object", file=path, row=number)
        records.append(_flatten(value))
    return records


def _json_records(path: str, text: str) -> list[dict[str, Any]]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReadError(f"invalid JSON: {exc.msg}", file=path, row=exc.lineno) from None
    if isinstance(value, dict):
        lists = [v for v in value.values() if isinstance(v, list)]
        if len(lists) != 1:
            raise ReadError(
                "expected a JSON array of objects (or an object holding one array)", file=path
            )
        value = lists[0]
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ReadError("expected a JSON array of objects", file=path)
    return [_flatten(v) for v in value]


def _flatten(record: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested objects become dotted columns ({"address": {"city": ..}} -> address.city)."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, f"{name}."))
        else:
            out[name] = value
    return out


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
) -> Iterator[pa.RecordBatch]:
    """Stream a source as record batches with one schema.

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
        yield from _iter_csv(info, batch_size)
        return
    if info.format == "parquet":
        _only_for_sql(info.source, table, query)
        try:
            yield from pq.ParquetFile(info.source).iter_batches(batch_size=batch_size)
        except (pa.ArrowInvalid, OSError) as exc:
            raise ReadError(f"cannot read Parquet: {first_line(exc)}", file=info.source) from None
        return
    if info.format in ("duckdb", "postgresql"):
        yield from _sql.iter_sql(_sql_url(info), table=table, query=query, batch_size=batch_size)
        return
    data = _read(info, table=table, query=query, sheet=sheet, delimiter_given=delimiter)
    yield from data.to_batches(max_chunksize=batch_size)


def source_name(source: object) -> str:
    return str(source) if not is_sql_url(source) else _sql.redact(str(source))
