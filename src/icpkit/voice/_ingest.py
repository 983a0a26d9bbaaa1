"""Read customer feedback: tables (CSV/TSV/JSONL/Parquet/Excel) and folders of transcripts.

A table has one row per item; its columns are recognised by name (``text``/``body``/
``comment``..., ``account``/``company``/``domain``..., ``source``/``channel``, ``date``,
``prompt``/``question``: the question the text answers).
A transcript file (.vtt, .srt, .txt) becomes one item whose text keeps the speaker
turns as ``Speaker: words`` lines. Header lines at the top of a .txt transcript (or
``NOTE`` lines in a .vtt), such as ``Account: Acme Corp`` or ``Date: 2024-05-01``, say
whom and when; otherwise the file name (``acme-corp_2024-05-01.vtt``) names the company.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import ReadError, SchemaError, closest

__all__ = [
    "FEEDBACK_FIELDS",
    "TRANSCRIPT_SUFFIXES",
    "parse_transcript",
    "read_feedback",
    "read_transcripts",
]

FEEDBACK_FIELDS = (
    "feedback_id",
    "account_id",
    "account_name",
    "domain",
    "contact_id",
    "source",
    "date",
    "prompt",
    "text",
)
TRANSCRIPT_SUFFIXES = (".vtt", ".srt", ".txt")

# Column names people use for each field (compared lower-case, without spaces/underscores).
_ALIASES: dict[str, tuple[str, ...]] = {
    "feedback_id": ("feedbackid", "id", "itemid", "ticketid", "recordid", "noteid", "callid"),
    "account_id": ("accountid", "account", "companyid", "associatedcompanyid", "customerid"),
    "account_name": (
        "accountname",
        "company",
        "companyname",
        "customer",
        "customername",
        "organization",
        "organisation",
        "org",
    ),
    "domain": ("domain", "website", "companydomain", "companydomainname", "url"),
    "contact_id": ("contactid", "contact", "personid", "userid", "requesterid"),
    "email": ("email", "contactemail", "requesteremail", "from", "authoremail"),
    "source": ("source", "channel", "type", "sourcetype", "origin", "medium"),
    "date": ("date", "created", "createdat", "createddate", "timestamp", "submittedat", "time"),
    # the question the text answers ("What do you dislike about X?"): its stance is a
    # prior on the categories (voice/context.yaml)
    "prompt": ("prompt", "question", "questiontext", "surveyquestion", "askedquestion"),
    "text": (
        "text",
        "body",
        "content",
        "message",
        "comment",
        "comments",
        "feedback",
        "transcript",
        "note",
        "notes",
        "description",
        "review",
        "verbatim",
        "response",
    ),
}
_HEADER_KEYS = {
    "account": "account_name",
    "company": "account_name",
    "customer": "account_name",
    "account id": "account_id",
    "domain": "domain",
    "website": "domain",
    "date": "date",
    "source": "source",
    "type": "source",
    "contact": "contact_id",
    "contact id": "contact_id",
    "interviewer": "interviewer",
    "host": "interviewer",
}
_TIMESTAMP = re.compile(r"^\s*(\d{1,2}:)?\d{1,2}:\d{2}[.,]\d{1,3}\s*-->")
_VOICE_TAG = re.compile(r"^<v(?:\.[\w.]+)?\s+([^>]+)>(.*?)(?:</v>)?$")
_SPEAKER = re.compile(r"^\s*(?:-\s*)?(?:\[([^\]]{1,40})\]|([A-Z][\w .'-]{0,39}?))\s*:\s+(.+)$")
_TAGS = re.compile(r"<[^>]+>")
_DATE_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")


def _key(name: str) -> str:
    return re.sub(r"[\s_\-.]", "", str(name).lower())


def _map_columns(columns: list[str]) -> dict[str, str]:
    """field -> source column, first alias wins; each source column used once."""
    keyed = {_key(c): c for c in columns}
    mapping: dict[str, str] = {}
    for field, aliases in _ALIASES.items():
        for alias in aliases:
            col = keyed.get(alias)
            if col is not None and col not in mapping.values():
                mapping[field] = col
                break
    return mapping


def _read_any(path: Path) -> pd.DataFrame:
    """A table as text columns: icpkit.intake's reader (CSV/TSV/JSON(L)/Parquet/Excel)."""
    from ..intake import read_table

    frame: pd.DataFrame = read_table(path).to_pandas()
    return frame


def read_feedback(
    source: str | os.PathLike[str], *, text_column: str | None = None
) -> pd.DataFrame:
    """Feedback items from a table file or a folder of transcripts.

    Returns a DataFrame with ``FEEDBACK_FIELDS`` (missing ones empty) plus ``format``
    ('table' or 'transcript') and ``origin`` (file and row). Rows whose text is empty
    are kept (they yield no highlight and are counted in the voice report).
    """
    path = Path(source)
    if not path.exists():
        raise ReadError("no such file or folder", file=str(path))
    if path.is_dir() or path.suffix.lower() in TRANSCRIPT_SUFFIXES:
        return read_transcripts(path)
    frame = _read_any(path)
    if frame.empty:
        raise ReadError("the feedback table has no rows", file=str(path))
    mapping = _map_columns([str(c) for c in frame.columns])
    if text_column is not None:
        if text_column not in frame.columns:
            raise SchemaError(
                "no such column",
                file=str(path),
                column=text_column,
                hint=_hint(text_column, list(frame.columns)),
            )
        mapping["text"] = text_column
    if "text" not in mapping:
        guess = closest("text", frame.columns) or _longest_text_column(frame)
        raise SchemaError(
            "no feedback text column (looked for text, body, comment, message, transcript...)",
            file=str(path),
            hint=f"Name it with --text-column{f'; perhaps {guess!r}?' if guess else ''}",
        )
    out = pd.DataFrame(index=frame.index)
    for field in (*FEEDBACK_FIELDS, "email"):
        col = mapping.get(field)
        out[field] = (
            frame[col].astype("string")
            if col
            else pd.Series(pd.NA, index=frame.index, dtype="string")
        )
    if out["domain"].isna().all() and out["email"].notna().any():
        out["domain"] = out["email"].str.extract(r"@([^\s>]+)$", expand=False)
    if out["feedback_id"].isna().any():
        out["feedback_id"] = out["feedback_id"].fillna(
            pd.Series([f"row-{i + 2}" for i in range(len(out))], index=out.index, dtype="string")
        )
    out["format"] = "table"
    out["origin"] = [f"{path.name}:{i + 2}" for i in range(len(out))]
    return out.drop(columns="email").reset_index(drop=True)


def _hint(name: str, columns: list[Any]) -> str | None:
    match = closest(name, [str(c) for c in columns])
    return f"Did you mean {match!r}?" if match else None


def _longest_text_column(frame: pd.DataFrame) -> str | None:
    lengths = {
        str(c): frame[c].astype("string").str.len().mean()
        for c in frame.columns
        if frame[c].dtype == object or str(frame[c].dtype).startswith("string")
    }
    lengths = {c: v for c, v in lengths.items() if pd.notna(v) and v > 30}
    return max(lengths, key=lambda c: lengths[c]) if lengths else None


def parse_transcript(
    text: str, suffix: str = ".txt"
) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """(header fields, [(speaker, words), ...]) of a .vtt, .srt or .txt transcript.

    Consecutive cues of one speaker are merged into one turn; a line without a speaker
    continues the previous turn (speaker '' when none was ever named).
    """
    header: dict[str, str] = {}
    turns: list[tuple[str, str]] = []
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    in_header = suffix == ".txt"
    for raw in lines:
        line = raw.strip().lstrip("\ufeff")
        if not line:
            in_header = False
            continue
        if line.upper().startswith("WEBVTT") or _TIMESTAMP.match(line) or line.isdigit():
            continue
        if line.upper().startswith("NOTE"):
            _header_field(line[4:].strip(), header)
            continue
        if in_header and _header_field(line, header):
            continue
        in_header = False
        speaker, words = _speaker_of(line)
        words = _TAGS.sub("", words).strip()
        if not words:
            continue
        if speaker is None:
            speaker = turns[-1][0] if turns else ""
        if turns and turns[-1][0] == speaker:
            turns[-1] = (speaker, f"{turns[-1][1]} {words}")
        else:
            turns.append((speaker, words))
    return header, turns


def _header_field(line: str, header: dict[str, str]) -> bool:
    key, sep, value = line.partition(":")
    field = _HEADER_KEYS.get(key.strip().lower())
    if not sep or field is None or not value.strip():
        return False
    header[field] = value.strip()
    return True


def _speaker_of(line: str) -> tuple[str | None, str]:
    voice = _VOICE_TAG.match(line)
    if voice:
        return voice.group(1).strip(), voice.group(2)
    match = _SPEAKER.match(line)
    if match and not re.match(r"^(https?|note|re|fwd?)$", (match.group(2) or "").lower()):
        return (match.group(1) or match.group(2)).strip(), match.group(3)
    return None, line


def read_transcripts(source: str | os.PathLike[str]) -> pd.DataFrame:
    """One feedback item per transcript file (a single file or every one in a folder)."""
    path = Path(source)
    files = (
        sorted(p for p in path.rglob("*") if p.suffix.lower() in TRANSCRIPT_SUFFIXES)
        if path.is_dir()
        else [path]
    )
    if not files:
        raise ReadError(
            f"no transcripts ({', '.join(TRANSCRIPT_SUFFIXES)}) in the folder", file=str(path)
        )
    rows = [_transcript_row(f) for f in files]
    return pd.DataFrame(rows, columns=[*FEEDBACK_FIELDS, "interviewer", "format", "origin"]).astype(
        "string"
    )


def _transcript_row(file: Path) -> dict[str, Any]:
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise ReadError(f"cannot read the transcript: {exc.strerror}", file=str(file)) from exc
    if b"\x00" in raw[:4096]:
        raise ReadError("not a text transcript (binary data)", file=str(file))
    text = raw.decode("utf-8", errors="replace")
    header, turns = parse_transcript(text, file.suffix.lower())
    date = header.get("date") or (_DATE_IN_NAME.search(file.stem) or [None])[0]
    name = header.get("account_name") or _name_from_stem(file.stem)
    return {
        "feedback_id": file.stem,
        "account_id": header.get("account_id"),
        "account_name": name,
        "domain": header.get("domain"),
        "contact_id": header.get("contact_id"),
        "source": header.get("source")
        or ("call" if file.suffix.lower() != ".txt" else "interview"),
        "date": date,
        "text": "\n".join(f"{s}: {w}" if s else w for s, w in turns),
        "interviewer": header.get("interviewer"),
        "format": "transcript",
        "origin": file.name,
    }


def _name_from_stem(stem: str) -> str | None:
    name = re.sub(r"[_\-.]+", " ", _DATE_IN_NAME.sub(" ", stem))
    name = re.sub(
        r"\b(call|interview|transcript|notes?|meeting|zoom|gong)\b", " ", name, flags=re.I
    )
    name = " ".join(name.split())
    return name or None
