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
from ._sniff import read_bytes

__all__ = ["read_excel", "read_json", "read_parquet"]


# ---------------------------------------------------------------- Parquet


def read_parquet(path: str) -> pa.Table:
    try:
        return pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise ReadError(f"cannot read Parquet: {first_line(exc)}", file=path) from None


# ---------------------------------------------------------------- Excel


def _sheet_rows(path: str, sheet: str | int | None) -> tuple[list[list[Any]], str, list[str]]:
    """(rows from cell A1 on, the sheet read, all sheet names)."""
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:  # pragma: no cover - calamine is optional; openpyxl is core
        return _openpyxl_rows(path, sheet)
    try:
        book = CalamineWorkbook.from_path(path)
    except Exception as exc:  # calamine raises its own error classes
        raise ReadError(f"cannot read Excel workbook: {first_line(exc)}", file=path) from None
    names = list(book.sheet_names)
    name = _pick_sheet(path, names, sheet)
    # skip_empty_area=False keeps row 1 as row 1, so reported row numbers are Excel's.
    rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    return [list(r) for r in rows], name, names


def _openpyxl_rows(
    path: str, sheet: str | int | None
) -> tuple[list[list[Any]], str, list[str]]:  # pragma: no cover
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise ReadError(f"cannot read Excel workbook: {first_line(exc)}", file=path) from None
    names = list(book.sheetnames)
    name = _pick_sheet(path, names, sheet)
    return [list(r) for r in book[name].iter_rows(values_only=True)], name, names


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


def read_excel(path: str, sheet: str | int | None) -> pa.Table:
    rows, name, names = _sheet_rows(path, sheet)
    filled = [i for i, r in enumerate(rows) if any(blank_to_none(v) is not None for v in r)]
    if not filled:
        raise ReadError(f"the sheet {name!r} is empty", file=path)
    lead = filled[0]
    start = lead + excel_header_row(rows[lead:])
    kept = [i for i in filled if i > start]
    width = max(len(rows[i]) for i in [start, *kept])
    used = [j for j in range(width) if any(_cell(rows[i], j) is not None for i in [start, *kept])]
    header = ["" if _cell(rows[start], j) is None else str(rows[start][j]) for j in used]
    if not kept:
        raise ReadError(f"the sheet has a header ({len(header)} columns) but no rows", file=path)
    body = [[_cell(rows[i], j) for j in used] for i in kept]
    body, footer = _excel_footer(body, len(header))
    table = columns_to_table(header, body)
    notes = []
    if len(names) > 1 and sheet is None:
        others = ", ".join(repr(n) for n in names if n != name)
        notes.append(f"read sheet {name!r}, the first of {len(names)} (others: {others}); --sheet")
    if start > lead:
        title = " ".join(str(v) for v in rows[lead] if blank_to_none(v) is not None)
        notes.append(f"skipped title row(s) above the header (starting {title[:60]!r})")
    if footer:
        notes.append(f"skipped a {len(footer)}-line report footer (starting {footer[0][:60]!r})")
    table = with_warnings(table, table_warnings(table) + notes) if notes else table
    lines = [i + 1 for i in kept[: table.num_rows]]  # Excel rows are 1-based
    numbering = {FIRST_LINE_KEY: str(lines[0])}
    if lines[-1] - lines[0] != len(lines) - 1:  # blank rows in between: say where rows are
        numbering[LINE_MAP_KEY] = json.dumps(lines)
    return with_meta(table, numbering)


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
