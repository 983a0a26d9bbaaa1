"""One formula-safe rule for every CSV icpkit writes that a spreadsheet or a CRM may open.

A cell is a formula to Excel, LibreOffice or Google Sheets when it starts with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return (OWASP, "CSV Injection"); ``|`` and ``%``
start DDE payloads and ``;`` a second statement in some locales. Spreadsheets also fold
full-width forms (``＝``, ``＋``) to ASCII, and an invisible zero-width character or BOM
in front hides the sign from a naive check. Such a cell is prefixed with a single quote,
which spreadsheets show as text.

Only real formulas are guarded: a number with a sign (``-5``, ``+14``, ``-1.5e3``) is a
number to every spreadsheet and stays as written, so scores and deltas are not mangled.
``raw=True`` on the writers (``--raw`` on the command line) turns the guard off for
pipelines that read the file with a CSV parser, not a spreadsheet.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["guard_batch", "guard_names", "needs_guard", "safe_text"]

# Invisible characters a cell may start with: zero-width space/joiners, word joiner, BOM.
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
# Signs that always start a formula (after NFKC folding of full-width/small forms).
_ALWAYS = "=@|%;\t\r\n"
_SIGNED = "+-\u2212"  # + - and the minus sign (U+2212), a formula unless a plain number
_NUMBER = re.compile(r"[+\-\u2212]?(\d[\d,]*(\.\d*)?|\.\d+)([eE][+\-]?\d+)?%?")

# The same rule for Arrow's RE2, so a 5-million-row file is checked without Python loops;
# rows that match are re-checked one by one with the exact rule above.
_SUSPECT = (
    r"^[\x{200B}-\x{200D}\x{2060}\x{FEFF}]*"
    r"[=@|%;\t\r\n+\-\x{2212}\x{FF1D}\x{FF20}\x{FF5C}\x{FF05}\x{FF1B}\x{FF0B}\x{FF0D}"
    r"\x{FE66}\x{FE6B}\x{FE6A}\x{FE54}\x{FE62}\x{FE63}]"
)


def needs_guard(value: str) -> bool:
    """Would a spreadsheet read this text as a formula?"""
    text = value.lstrip(_INVISIBLE)
    if not text:
        return False
    first = unicodedata.normalize("NFKC", text[0])[:1]
    if first in _ALWAYS:
        return True
    if first in _SIGNED:
        folded = unicodedata.normalize("NFKC", text).strip()
        return _NUMBER.fullmatch(folded) is None
    return False


def safe_text(value: Any) -> Any:
    """``value`` with a leading single quote when it is text a spreadsheet would run."""
    if isinstance(value, str) and needs_guard(value):
        return "'" + value
    return value


def guard_names(names: list[str]) -> list[str]:
    return [safe_text(n) for n in names]


def _guard_array(array: pa.Array) -> pa.Array:
    suspect = pc.match_substring_regex(array, _SUSPECT)
    if not pc.any(suspect).as_py():
        return array
    values = array.to_pylist()
    hits = suspect.to_pylist()
    fixed = [safe_text(v) if hit else v for v, hit in zip(values, hits, strict=True)]
    return pa.array(fixed, type=array.type)


def guard_batch(batch: pa.RecordBatch | pa.Table) -> Any:
    """Every text column (and the column names) of a batch or table made formula-safe."""
    arrays = []
    for column in batch.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            if isinstance(column, pa.ChunkedArray):
                column = pa.chunked_array(
                    [_guard_array(c) for c in column.chunks], type=column.type
                )
            else:
                column = _guard_array(column)
        arrays.append(column)
    names = guard_names(list(batch.schema.names))
    if isinstance(batch, pa.Table):
        return pa.Table.from_arrays(arrays, names=names)
    return pa.RecordBatch.from_arrays(arrays, names=names)
