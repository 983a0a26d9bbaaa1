"""Sniffing a source before reading it: format, encoding, delimiter, shape problems.

Everything here works on bytes and a decoded sample, never on a parsed table, so
the readers can give one precise error (file, byte offset, row) before Arrow sees
the data and produces a less helpful one.
"""

from __future__ import annotations

import bz2
import codecs
import csv
import gzip
import io
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

from ..errors import ReadError, closest

__all__ = [
    "COMPRESSED",
    "DELIMITERS",
    "SUPPORTED",
    "SourceInfo",
    "check_path",
    "detect_delimiter",
    "detect_encoding",
    "find_ragged_row",
    "format_by_content",
    "format_of",
    "is_sql_url",
    "open_binary",
    "open_text",
    "read_bytes",
    "sniff",
]

# Extension -> format. Compressed CSVs are left to Arrow's own decompression.
SUPPORTED: dict[str, str] = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".xls": "excel",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".duckdb": "duckdb",
    ".db": "duckdb",
}

COMPRESSED: dict[str, Callable[..., Any]] = {".gz": gzip.open, ".bz2": bz2.open}
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
SQL_SCHEMES = ("duckdb://", "postgresql://", "postgres://", "postgresql+psycopg://")

SAMPLE_BYTES = 1 << 20  # 1 MiB is plenty to decide encoding and delimiter
_MAGIC = {
    b"PK\x03\x04": "an Excel workbook or another zip archive (rename it to .xlsx if it is Excel)",
    b"PAR1": "a Parquet file (rename it to .parquet)",
    b"\xd0\xcf\x11\xe0": "an old Excel .xls workbook (rename it to .xls)",
    b"\x1f\x8b": "a gzip archive (rename it to .csv.gz or unpack it)",
    b"%PDF": "a PDF document",
    b"DUCK": "a DuckDB database",
}


@dataclass(frozen=True)
class SourceInfo:
    """What we learned about a source before parsing it."""

    source: str
    format: str
    encoding: str | None = None
    delimiter: str | None = None
    has_bom: bool = False
    size: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def is_sql_url(source: object) -> bool:
    return isinstance(source, str) and source.lower().startswith(SQL_SCHEMES)


def format_of(path: Path) -> str:
    """The format implied by a file name; ReadError listing what is supported."""
    suffixes = [s.lower() for s in path.suffixes]
    compressed = bool(suffixes) and suffixes[-1] in COMPRESSED and len(suffixes) > 1
    if compressed:
        suffixes = suffixes[:-1]  # data.csv.gz reads as CSV
    ext = suffixes[-1] if suffixes else ""
    if ext in SUPPORTED and (not compressed or SUPPORTED[ext] in ("csv", "tsv", "json", "jsonl")):
        return SUPPORTED[ext]
    listed = ", ".join(sorted(SUPPORTED))
    raise ReadError(
        f"unsupported file type {ext or '(no extension)'!r}",
        file=str(path),
        hint=f"Supported: {listed}, or a SQL URL (duckdb:///file.db, postgresql://...)",
    )


def format_by_content(path: Path) -> str:
    """The format of a file without an extension, from its first bytes."""
    head = read_bytes(path, 4096)
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        return "excel"
    if head.startswith(b"DUCK") or head[8:12] == b"DUCK":
        return "duckdb"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"["):
        return "json"
    if text.startswith(b"{"):
        first = text.split(b"\n", 1)[0].strip()
        return "jsonl" if first.endswith(b"}") else "json"
    return "csv"


def check_path(path: Path) -> int:
    """Fail clearly for a missing file or a directory; return the size in bytes."""
    if not path.exists():
        siblings = [p.name for p in path.parent.iterdir()] if path.parent.is_dir() else []
        match = closest(path.name, siblings, cutoff=0.75)
        hint = f"Did you mean {str(path.parent / match)!r}?" if match else "Check the path"
        raise ReadError("file not found", file=str(path), hint=hint)
    if path.is_dir():
        raise ReadError("is a directory, not a file", file=str(path), hint="Pass one file")
    if not os.access(path, os.R_OK):
        raise ReadError("file is not readable (permission denied)", file=str(path))
    if not path.is_file():  # a FIFO or a device would block or never end
        raise ReadError(
            "not a regular file (a pipe or a device)",
            file=str(path),
            hint="Save the data to a file first, then pass that file",
        )
    return path.stat().st_size


def open_binary(path: str | os.PathLike[str]) -> IO[bytes]:
    """The file's bytes, decompressed when it ends in .gz or .bz2."""
    opener = COMPRESSED.get(Path(path).suffix.lower())
    if opener is None:
        return Path(path).open("rb")
    fh: IO[bytes] = opener(path, "rb")
    return fh


def open_text(path: str | os.PathLike[str], encoding: str) -> IO[str]:
    """The file as text (decompressed), lines kept as written."""
    return io.TextIOWrapper(open_binary(path), encoding=encoding, errors="replace", newline="")


def read_bytes(path: str | os.PathLike[str], limit: int = -1) -> bytes:
    """All (or the first ``limit``) decompressed bytes; ReadError for a corrupt archive."""
    try:
        with open_binary(path) as fh:
            return fh.read(limit)
    except (OSError, EOFError) as exc:
        raise ReadError(f"cannot decompress: {exc}", file=str(path)) from None


def _row_of(data: bytes, offset: int) -> int:
    """1-based line number of a byte offset."""
    return data.count(b"\n", 0, offset) + 1


def _complete_utf8(sample: bytes, whole: bool) -> bytes:
    """Trim a sample cut in the middle of a multi-byte UTF-8 character."""
    if whole:
        return sample
    for cut in range(1, 4):
        if len(sample) > cut and (sample[-cut] & 0xC0) == 0xC0:
            return sample[:-cut]
    return sample


def detect_encoding(sample: bytes, *, file: str, whole: bool = False) -> tuple[str, bool]:
    """(encoding, has_bom) for a text sample; ReadError for binary or undecodable bytes.

    UTF-8 is tried first (it is what almost every export is, and it is strict, so
    a success is proof). Files that are mostly valid multi-byte UTF-8 but carry a
    stray invalid byte are mixed-encoding: guessing would corrupt them silently,
    so that is an error naming the byte. Otherwise charset-normalizer picks a
    legacy code page; Windows-1252 wins whenever it decodes to the same text,
    because that is what Excel on Windows writes and detectors confuse it with
    its Central-European cousins on short samples.
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", True
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", True
    magic = next((what for m, what in _MAGIC.items() if sample.startswith(m)), None)
    if magic:
        raise ReadError(f"this is not a text table; it looks like {magic}", file=file)
    nul = sample.find(b"\x00")
    # A few NULs in a text file are a bad copy (stripped and reported by the reader);
    # many are binary content or UTF-16 without its BOM.
    if nul >= 0 and (
        sample.count(b"\x00") > max(1, len(sample) // 100)
        or _control_ratio(sample.decode("latin-1")) > 0.05
    ):
        raise ReadError(
            f"binary content: NUL byte at byte offset {nul}",
            file=file,
            row=_row_of(sample, nul),
            hint="Is this really a CSV/TSV text file?",
        )
    text_sample = _complete_utf8(sample, whole)
    try:
        text_sample.decode("utf-8")
        return "utf-8", False
    except UnicodeDecodeError as exc:
        bad = exc.start
    valid_multibyte = _has_valid_utf8_multibyte(text_sample[:bad])
    if valid_multibyte:
        raise ReadError(
            f"undecodable bytes: invalid UTF-8 byte 0x{text_sample[bad]:02x} at byte offset {bad}"
            " in a file that is otherwise UTF-8 (mixed encodings)",
            file=file,
            row=_row_of(sample, bad),
            hint="Re-export the file as UTF-8, or pass an explicit encoding (--encoding cp1252)",
        )
    return _legacy_encoding(text_sample, file=file, bad=bad), False


def _has_valid_utf8_multibyte(prefix: bytes) -> bool:
    try:
        return any(ord(ch) > 127 for ch in prefix.decode("utf-8"))
    except UnicodeDecodeError:  # pragma: no cover - prefix ends before the first bad byte
        return False


def _legacy_encoding(sample: bytes, *, file: str, bad: int) -> str:
    from charset_normalizer import from_bytes
    from charset_normalizer.md import mess_ratio

    isolation = ["cp1252", "mac_roman", "cp1250", "cp1251", "latin_1", "cp437", "cp1253"]
    best = from_bytes(sample, cp_isolation=isolation).best()
    guess = best.encoding if best is not None else None
    try:
        as_1252 = sample.decode("cp1252")
    except UnicodeDecodeError:
        as_1252 = None
    # Detectors pick cp1250 for plain Western text on short samples; keep cp1252
    # unless the guess reads clearly cleaner (Cyrillic, Greek, Polish text).
    if as_1252 is not None and (
        guess is None or mess_ratio(as_1252, 1.0) <= mess_ratio(sample.decode(guess), 1.0) + 0.05
    ):
        return "cp1252"
    if guess is not None:
        return guess
    if _control_ratio(sample.decode("latin-1")) > 0.05:
        raise ReadError(
            f"undecodable bytes: byte 0x{sample[bad]:02x} at byte offset {bad} is not text in any"
            " common encoding",
            file=file,
            row=_row_of(sample, bad),
            hint="Is this really a text file? Pass --encoding if you know it",
        )
    return "latin-1"


def _control_ratio(text: str) -> float:
    ctrl = sum(1 for ch in text if (ord(ch) < 32 and ch not in "\r\n\t") or 0x7F <= ord(ch) < 0xA0)
    return ctrl / max(len(text), 1)


def _records(text: str, delimiter: str, limit: int) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows: list[list[str]] = []
    try:
        for row in reader:
            if row:
                rows.append(row)
            if len(rows) >= limit:
                break
    except csv.Error:
        pass  # a sample cut inside a quoted field; what we have is enough
    return rows


def _trim_partial_last_line(text: str, whole: bool) -> str:
    if whole:
        return text
    cut = text.rfind("\n")
    return text[: cut + 1] if cut > 0 else text


def delimiter_scores(text: str, limit: int = 200) -> dict[str, tuple[float, int]]:
    """For each candidate: (share of rows with the header's field count, that count)."""
    scores: dict[str, tuple[float, int]] = {}
    for delim in DELIMITERS:
        rows = _records(text, delim, limit)
        if not rows:
            continue
        width = len(rows[0])
        if width < 2:
            scores[delim] = (0.0, width)
            continue
        body = rows[1:] or rows
        consistent = sum(1 for r in body if len(r) == width) / len(body)
        scores[delim] = (consistent, width)
    return scores


def detect_delimiter(text: str, *, whole: bool = False) -> str:
    """The candidate that splits the sample most consistently into the most fields."""
    scores = delimiter_scores(_trim_partial_last_line(text, whole))
    ranked = sorted(
        scores.items(),
        key=lambda kv: (kv[1][0] >= 0.9, kv[1][1] > 1, kv[1][0], kv[1][1]),
        reverse=True,
    )
    if ranked and ranked[0][1][1] > 1:
        return ranked[0][0]
    return ","  # a one-column file: any delimiter reads it the same


def better_delimiter(text: str, given: str, *, whole: bool = False) -> str | None:
    """Another delimiter that splits a one-column sample consistently, if any."""
    scores = delimiter_scores(_trim_partial_last_line(text, whole))
    for delim, (consistent, width) in sorted(scores.items(), key=lambda kv: kv[1][1], reverse=True):
        if delim != given and width > 1 and consistent >= 0.9:
            return delim
    return None


def find_ragged_row(text: str, delimiter: str) -> tuple[int, int, int] | None:
    """(file row, fields, header fields) of the first record whose width differs."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    width = None
    try:
        for row in reader:
            if not row:
                continue
            if width is None:
                width = len(row)
            elif len(row) != width:
                return reader.line_num, len(row), width
    except csv.Error:
        return reader.line_num, -1, width or 0
    return None


def sniff(
    source: str | os.PathLike[str],
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> SourceInfo:
    """Format, encoding, delimiter, BOM and size of a source, without parsing it."""
    if is_sql_url(source):
        scheme = str(source).split(":", 1)[0].lower()
        fmt = "duckdb" if scheme == "duckdb" else "postgresql"
        return SourceInfo(source=str(source), format=fmt)
    path = Path(source)
    unnamed = not path.suffix and path.exists()
    fmt = "csv" if unnamed else format_of(path)
    size = check_path(path)
    if size == 0:
        raise ReadError("file is empty (0 bytes)", file=str(path), hint="Export the table again")
    if unnamed:
        fmt = format_by_content(path)
    if fmt not in ("csv", "tsv"):
        return SourceInfo(source=str(path), format=fmt, size=size)
    sample = read_bytes(path, SAMPLE_BYTES + 1)
    whole = len(sample) <= SAMPLE_BYTES
    sample = sample[:SAMPLE_BYTES]
    has_bom = sample.startswith(codecs.BOM_UTF8)
    if encoding is None:
        encoding, has_bom = detect_encoding(sample, file=str(path), whole=whole)
        if encoding == "utf-8" and not whole and sample.isascii():
            encoding = _encoding_of_first_non_ascii(path) or encoding
    text = _decode_sample(sample, encoding, file=str(path), whole=whole)
    first = text.split("\n", 1)[0].strip()
    if delimiter is None and len(first) == 5 and first.lower().startswith("sep="):
        delimiter = first[4]  # Excel's "sep=;" line says it outright
    if delimiter is None:
        delimiter = "\t" if fmt == "tsv" and "\t" in first else None
        delimiter = delimiter or detect_delimiter(text, whole=whole)
    return SourceInfo(str(path), fmt, encoding, delimiter, has_bom, size)


SCAN_BYTES = 64 << 20  # how far to look for the first accented letter of an ASCII head


def _encoding_of_first_non_ascii(path: Path) -> str | None:
    """An ASCII head says nothing: decide on the first chunk with a non-ASCII byte."""
    with open_binary(path) as fh:
        fh.read(SAMPLE_BYTES)
        seen = SAMPLE_BYTES
        while seen < SCAN_BYTES:
            chunk = fh.read(SAMPLE_BYTES)
            if not chunk:
                return None
            if not chunk.isascii():
                start = chunk.rfind(b"\n", 0, next(i for i, b in enumerate(chunk) if b > 127))
                encoding, _ = detect_encoding(chunk[start + 1 :], file=str(path), whole=False)
                return encoding
            seen += len(chunk)
    return None


def _decode_sample(sample: bytes, encoding: str, *, file: str, whole: bool) -> str:
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ReadError(f"unknown encoding {encoding!r}", file=file) from None
    data = _complete_utf8(sample, whole) if encoding.startswith("utf-8") else sample
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        if not whole and exc.start >= len(data) - 4:  # a character cut at the sample's end
            return data[: exc.start].decode(encoding, errors="replace")
        raise ReadError(
            f"undecodable bytes for encoding {encoding}: byte 0x{data[exc.start]:02x} at byte"
            f" offset {exc.start}",
            file=file,
            row=_row_of(data, exc.start),
        ) from None
