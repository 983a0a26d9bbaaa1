"""Outcomes not known yet: an open deal or lead is neither a success nor a failure.

A deal in 'Prospecting' or 'Negotiation' may still be won. Counting it as lost teaches the
profile that whatever open deals share (recent, no account assigned yet) predicts losing, and the
held-out AUC then measures that leak: on the crm_sales export, 0.660 with its 2,089 open
opportunities counted as failures, about 0.51 with them left out. So rows whose stage says the
outcome is still open are left out of the fit, counted and said; ``open_as_failure`` restores
the old reading for those who want it.

A column is read as a stage only when it holds closed outcomes on both sides (a won value and a
lost value): then any value that names neither (Engaging, Negotiation/Review, Open - Not
Contacted) is open. A target such as industry = Software has no lost value and is left alone.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

__all__ = ["closed_stage", "lost_stage", "open_note", "open_rows"]

# Substrings, not words: HubSpot writes its stages as 'closedwon' / 'closedlost'.
_CLOSED = re.compile(r"won|lost|closed|converted|disqualified|unqualified|churned|cancel")
_LOST = re.compile(r"lost|not.?converted|unconverted|disqualified|unqualified|churned|cancel")


def _text(values: pd.Series) -> pd.Series:
    return values.astype("string").str.strip().str.lower()


def closed_stage(values: pd.Series) -> pd.Series:
    """True where a stage value says the outcome is known (won, lost, closed, converted ...)."""
    return _text(values).str.contains(_CLOSED).fillna(False).astype(bool)


def lost_stage(values: pd.Series) -> pd.Series:
    """True where a stage value says the outcome is a loss (lost, not converted ...)."""
    return _text(values).str.contains(_LOST).fillna(False).astype(bool)


def open_rows(values: pd.Series, success: np.ndarray) -> np.ndarray:
    """Rows whose outcome is not known yet, given which rows are successes.

    Empty when the column is not a stage (no lost value besides the successes).
    """
    present = (values.notna() & (_text(values) != "")).fillna(False).to_numpy(dtype=bool)
    lost = lost_stage(values).to_numpy(dtype=bool) & ~success
    if not (success.any() and lost.any()):
        return np.zeros(len(values), dtype=bool)
    return present & ~success & ~closed_stage(values).to_numpy(dtype=bool)


def open_note(
    values: pd.Series, is_open: np.ndarray, unit: str, as_failure: bool, why: str | None = None
) -> str:
    """'2,089 open opportunities (Engaging, Prospecting) left out: ...' for the user to read;
    ``why`` says who asked to count them as failures (default: the --open-as-failure option)."""
    stages = ", ".join(sorted({str(v).strip() for v in values[is_open]}))
    head = f"{int(is_open.sum()):,} open {unit} ({stages})"
    if as_failure:
        return f"{head} counted as failures, {why or 'as asked (--open-as-failure)'}"
    return (
        f"{head} left out: their outcome is not known yet "
        "(--open-as-failure counts them as failures)"
    )
