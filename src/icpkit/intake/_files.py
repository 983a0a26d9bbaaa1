"""Readers for typed files: Parquet, Excel and JSON / JSON Lines.

These formats carry their own types, which are kept (a number stays a number).
Excel report exports lose their title rows and footer (with a warning), JSON
objects are flattened to dotted columns, and every reader records where its
records sit in the file so reports can name the row a person would look at.
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import ReadError, closest
from ._arrow import (
    FIRST_LINE_KEY,
    LINE_MAP_KEY,
    blank_to_none,
    columns_to_table,
    first_line,
    table_warnings,
    with_meta,
    with_warnings,
)
from ._exports import excel_header_row, split_footer
from ._quarantine import Reject, make_reject, with_rejects
from ._sniff import read_bytes

__all__ = ["read_excel", "read_json", "read_parquet", "text_for_null_columns"]


# ---------------------------------------------------------------- Parquet


def read_parquet(path: str) -> pa.Table:
    try:
        return pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise ReadError(f"cannot read Parquet: {first_line(exc)}", file=path) from None


# ---------------------------------------------------------------- Excel


class _Book:
    """An open workbook: its sheet names and each sheet's rows from cell A1 on."""

    def __init__(self, path: str) -> None:
        self.path = path
        try:
            from python_calamine import CalamineWorkbook
        except ImportError:  # pragma: no cover - calamine is optional; openpyxl is core
            self._open_openpyxl()
            return
        try:
            book = CalamineWorkbook.from_path(path)
        except Exception as exc:  # calamine raises its own error classes
            raise ReadError(f"cannot read Excel workbook: {first_line(exc)}", file=path) from None
        self.names = list(book.sheet_names)
        # skip_empty_area=False keeps row 1 as row 1, so reported row numbers are Excel's.
        self._rows = lambda name: book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        self.close = getattr(book, "close", lambda: None)

    def _open_openpyxl(self) -> None:  # pragma: no cover
        import openpyxl

        try:
            book = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except Exception as exc:
            raise ReadError(
                f"cannot read Excel workbook: {first_line(exc)}", file=self.path
            ) from None
        self.names = list(book.sheetnames)
        self._rows = lambda name: book[name].iter_rows(values_only=True)
        self.close = book.close  # read-only workbooks hold the file open until closed

    def rows(self, name: str) -> list[list[Any]]:
        return [list(r) for r in self._rows(name)]


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
    match = closest(str(sheet), names)
    hint = f"Did you mean {match!r}? " if match else ""
    raise ReadError(
        f"no sheet {sheet!r} in the workbook",
        file=path,
        hint=f"{hint}Sheets: {', '.join(repr(n) for n in names)}",
    )


def _sheet_for_kind(book: _Book, kind: str) -> tuple[str, list[list[Any]]] | None:
    """The sheet whose header names vote most for ``kind`` (a deals workbook's
    Opportunities sheet, not its Accounts sheet), or None when no sheet votes for it."""
    from ._recognize import kind_scores

    best: tuple[float, str, list[list[Any]]] | None = None
    for name in book.names:
        rows = book.rows(name)
        header = _header_of(rows)
        if not header:
            continue
        score = kind_scores(header, name).get(kind, 0.0)
        if score > 0 and (best is None or score > best[0]):
            best = (score, name, rows)
    return None if best is None else (best[1], best[2])


def _header_of(rows: list[list[Any]]) -> list[str]:
    filled = [r for r in rows[:60] if any(blank_to_none(v) is not None for v in r)]
    if not filled:
        return []
    head = filled[excel_header_row(filled)]
    return [str(v) for v in head if blank_to_none(v) is not None]


def read_excel(path: str, sheet: str | int | None, kind: str | None = None) -> pa.Table:
    book = _Book(path)
    try:
        return _read_book(book, path, sheet, kind)
    finally:
        book.close()


def _read_book(book: _Book, path: str, sheet: str | int | None, kind: str | None) -> pa.Table:
    names = book.names
    name = _pick_sheet(path, names, sheet)
    notes = []
    picked = _sheet_for_kind(book, kind) if sheet is None and kind and len(names) > 1 else None
    if picked is not None:
        name, rows = picked
        others = ", ".join(repr(n) for n in names if n != name)
        notes.append(
            f"read sheet {name!r}: its columns look like {kind} (others: {others}); --sheet"
            " to choose another"
        )
    else:
        rows = book.rows(name)
        if len(names) > 1 and sheet is None:
            others = ", ".join(repr(n) for n in names if n != name)
            notes.append(
                f"read sheet {name!r}, the first of {len(names)} (others: {others}); --sheet"
            )
    filled = [i for i, r in enumerate(rows) if any(blank_to_none(v) is not None for v in r)]
    if not filled:
        raise ReadError(f"the sheet {name!r} is empty", file=path)
    lead = filled[0]
    start = lead + excel_header_row(rows[lead:])
    kept = [i for i in filled if i > start]
    width = max(len(rows[i]) for i in [start, *kept])
    used = [j for j in range(width) if any(_cell(rows[i], j) is not None for i in [start, *kept])]
    header = _merged_header(rows, lead, start, used)
    body = [[_cell(rows[i], j) for j in used] for i in kept]
    body, footer = _excel_footer(body, len(header))
    header, body, empty = _drop_empty_columns(header, body)
    table = text_for_null_columns(columns_to_table(header, body))
    if empty:
        shown = ", ".join(repr(e) for e in empty[:5]) + (", ..." if len(empty) > 5 else "")
        notes.append(f"ignored {len(empty)} empty column(s) (a header and no values): {shown}")
    if start > lead:
        title = " ".join(str(v) for v in rows[lead] if blank_to_none(v) is not None)
        notes.append(f"skipped title row(s) above the header (starting {title[:60]!r})")
    if footer:
        notes.append(f"skipped a {len(footer)}-line report footer (starting {footer[0][:60]!r})")
    table = with_warnings(table, table_warnings(table) + notes) if notes else table
    if not kept:
        return with_meta(table, {FIRST_LINE_KEY: str(start + 2)})
    lines = [i + 1 for i in kept[: table.num_rows]]  # Excel rows are 1-based
    numbering = {FIRST_LINE_KEY: str(lines[0])}
    if lines[-1] - lines[0] != len(lines) - 1:  # blank rows in between: say where rows are
        numbering[LINE_MAP_KEY] = json.dumps(lines)
    return with_meta(table, numbering)


def _merged_header(rows: list[list[Any]], lead: int, start: int, used: list[int]) -> list[str]:
    """Header names; a merged group row just above the header ("Company" over "Name",
    "Industry") prefixes the names below it only where they would otherwise repeat."""
    names = ["" if _cell(rows[start], j) is None else str(rows[start][j]) for j in used]
    if start == lead:
        return names
    group, current = [], None
    for j in used:  # a merged cell holds its value in its first column only
        value = _cell(rows[start - 1], j)
        current = str(value) if value is not None else current
        group.append(current)
    counts = {n: names.count(n) for n in names}
    return [f"{g} {n}" if counts[n] > 1 and g else n for n, g in zip(names, group, strict=True)]


def _drop_empty_columns(
    header: list[str], body: list[list[Any]]
) -> tuple[list[str], list[list[Any]], list[str]]:
    """Columns with a header and not one value (a "Fax" column): left out, and named."""
    if not body:
        return header, body, []
    keep = [j for j in range(len(header)) if any(r[j] is not None for r in body if j < len(r))]
    if len(keep) == len(header):
        return header, body, []
    empty = [header[j] for j in range(len(header)) if j not in set(keep)]
    return [header[j] for j in keep], [[r[j] for j in keep] for r in body], empty


def _cell(row: list[Any], j: int) -> Any:
    return blank_to_none(row[j]) if j < len(row) else None


def _excel_footer(body: list[list[Any]], width: int) -> tuple[list[list[Any]], list[str]]:
    """Trailing one-cell rows with footer words (a report export's footer)."""
    lines = ["\t".join(str(v) for v in r if blank_to_none(v) is not None) for r in body]
    _, footer = split_footer("\n".join(lines) + "\n", "\t", width)
    if not footer:
        return body, []
    kept = len(body) - len(footer)
    return body[:kept], footer


# ---------------------------------------------------------------- JSON


def read_json(path: str, *, lines: bool) -> pa.Table:
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
    rejects: list[Reject] = []
    try:
        records = _json_lines(path, text, numbers, rejects) if lines else _json_records(path, text)
    except RecursionError:
        raise ReadError(
            "JSON nested too deeply to be a table of records",
            file=path,
            hint="Flatten the records (one object per record, a few levels deep)",
        ) from None
    if not records:
        if rejects:
            return with_rejects(pa.table({}), rejects)
        raise ReadError("no records in the JSON file", file=path)
    names: dict[str, None] = {}
    for rec in records:
        names.update(dict.fromkeys(rec))
    cols = list(names)
    rows = [[rec.get(c) for c in cols] for rec in records]
    table = text_for_null_columns(columns_to_table(cols, rows))
    if numbers and numbers[-1] != len(numbers):  # blank or rejected lines: say where
        table = with_meta(table, {LINE_MAP_KEY: json.dumps(numbers)})
    return with_rejects(table, rejects)


def text_for_null_columns(table: pa.Table) -> pa.Table:
    """A column with no value at all has Arrow type null, which few kernels accept: make
    it an empty text column (it is still reported as 0% filled)."""
    for i, fld in enumerate(table.schema):
        if pa.types.is_null(fld.type):
            table = table.set_column(i, fld.name, table.column(i).cast(pa.string()))
    return table


def _json_lines(
    path: str, text: str, numbers: list[int], rejects: list[Reject]
) -> list[dict[str, Any]]:
    """Records of a JSON Lines text; ``numbers`` receives the line of each record and
    ``rejects`` the lines that are not a JSON object."""
    records = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            rejects.append(make_reject(number, line, f"invalid JSON: {exc.msg}"))
            continue
        if not isinstance(value, dict):
            rejects.append(make_reject(number, line, "not a JSON object"))
            continue
        numbers.append(number)
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


_MAX_DEPTH = 32  # deeper objects are kept as JSON text in one column


def _flatten(record: dict[str, Any], prefix: str = "", depth: int = 0) -> dict[str, Any]:
    """Nested objects become dotted columns ({"address": {"city": ..}} -> address.city)."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and depth < _MAX_DEPTH:
            out.update(_flatten(value, f"{name}.", depth + 1))
        elif isinstance(value, dict):
            out[name] = _as_json(value)
        else:
            out[name] = value
    return out


def _as_json(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (RecursionError, ValueError):
        return "(nested too deeply to show)"
