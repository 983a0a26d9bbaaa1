"""Split feedback items into highlights: sentences, or speaker turns in transcripts.

A transcript's speaker turns are split into sentences, each keeping its speaker
(consecutive cues of one speaker were already merged into one turn, so a sentence cut
across two subtitle cues is whole again). The interviewer's turns are not customer voice:
a speaker named as ``Interviewer:``/``Host:`` in the transcript header, or whose
turns are mostly questions, is left out (counted in ``dropped_interviewer_turns``).
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

__all__ = ["HIGHLIGHT_COLUMNS", "split_highlights", "split_sentences"]

HIGHLIGHT_COLUMNS = (
    "highlight_id",
    "feedback_id",
    "account_id",
    "contact_id",
    "source",
    "date",
    "speaker",
    "prompt",
    "text",
)
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]?\s+(?=[\"'(\[]?[A-Z0-9])|\n+")
_MIN_CHARS = 3
_GREETING = re.compile(r"^(hi|hello|hey|dear|good (morning|afternoon))\b[^,.!?\n]{0,40},\s+", re.I)


def split_sentences(text: str) -> list[str]:
    """Sentences of a text (newlines also end a sentence); empty pieces removed.

    A leading salutation ("Hi support team, the export fails.") is its own piece, so
    it does not colour the sentence it precedes.
    """
    parts = (p.strip() for p in _SENTENCE_END.split(text or ""))
    out: list[str] = []
    for part in parts:
        greeting = _GREETING.match(part)
        if greeting and len(part) > greeting.end():
            out.append(greeting.group(0).strip())
            part = part[greeting.end() :]
        out.append(part)
    return [p for p in out if len(p) >= _MIN_CHARS]


def _turns(text: str) -> list[tuple[str, str]]:
    """(speaker, words) per line of a transcript item written by read_transcripts."""
    out = []
    for line in text.split("\n"):
        speaker, sep, words = line.partition(": ")
        if sep and len(speaker) <= 40:
            out.append((speaker.strip(), words.strip()))
        elif line.strip():
            out.append(("", line.strip()))
    return out


def _interviewers(turns: list[tuple[str, str]], named: Any) -> set[str]:
    """Speakers who ask rather than answer (or are named as interviewer in the header)."""
    speakers = {s for s, _ in turns if s}
    out = {s for s in speakers if isinstance(named, str) and s.lower() == named.strip().lower()}
    if len(speakers) < 2:
        return out
    for s in speakers:
        said = [w for sp, w in turns if sp == s]
        questions = sum(1 for w in said if w.rstrip().endswith("?"))
        if questions / len(said) > 0.5:
            out.add(s)
    return out


def split_highlights(feedback: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Highlights of every item (columns ``HIGHLIGHT_COLUMNS``) and counts for the report."""
    rows: list[tuple[Any, ...]] = []
    counts = {"items": len(feedback), "empty_items": 0, "dropped_interviewer_turns": 0}
    has_format = "format" in feedback
    for item in feedback.to_dict("records"):
        text = item.get("text")
        if text is None or text is pd.NA or not str(text).strip():
            counts["empty_items"] += 1
            continue
        meta = (
            item.get("feedback_id"),
            item.get("account_id"),
            item.get("contact_id"),
            item.get("source"),
            item.get("date"),
        )
        prompt = item.get("prompt")
        prompt = None if prompt is None or prompt is pd.NA else prompt
        if has_format and item.get("format") == "transcript":
            turns = _turns(str(text))
            skip = _interviewers(turns, item.get("interviewer"))
            for speaker, words in turns:
                if speaker in skip:
                    counts["dropped_interviewer_turns"] += 1
                    continue
                rows.extend((*meta, speaker or None, prompt, p) for p in split_sentences(words))
        else:
            rows.extend((*meta, None, prompt, s) for s in split_sentences(str(text)))
    out = pd.DataFrame(rows, columns=list(HIGHLIGHT_COLUMNS[1:]))
    out.insert(0, "highlight_id", [f"H{i + 1:06d}" for i in range(len(out))])
    for col in ("feedback_id", "account_id", "contact_id", "source", "speaker", "prompt", "text"):
        out[col] = out[col].astype("string")
    counts["highlights"] = len(out)
    return out, counts
