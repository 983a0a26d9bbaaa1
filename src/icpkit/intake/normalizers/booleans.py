"""Yes/no flags → pandas "boolean": Yes/No, Y/N, TRUE/FALSE, 1/0, T/F, Won/Lost,
"Closed Won"/"closedwon", checked/unchecked, ✓/✗, and a few other languages.

Anything else becomes missing with a problem: an open deal stage ("Negotiation")
in a ``won`` column is not a yes or a no.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from ._base import Parsed

__all__ = ["FALSE_WORDS", "TRUE_WORDS", "parse_bool"]

TRUE_WORDS = frozenset(
    {
        "yes", "y", "true", "t", "1", "won", "closed won", "closedwon", "win", "checked",
        "check", "on", "x", "✓", "✔", "☑", "active", "enabled", "ja", "oui", "si", "sí",
        "sim", "positive", "converted",
    }
)  # fmt: skip
FALSE_WORDS = frozenset(
    {
        "no", "n", "false", "f", "0", "lost", "closed lost", "closedlost", "loss", "unchecked",
        "off", "✗", "✘", "☐", "inactive", "disabled", "nein", "non", "não", "nao", "negative",
        "not converted",
    }
)  # fmt: skip
# "Closed_Won", "closed-lost": separators between words only ("-1" keeps its sign).
_SEPARATORS = re.compile(r"(?<=[^\W\d_])[\s_\-]+(?=[^\W\d_])")


def parse_bool(value: Any) -> Parsed:
    """One value of kind ``bool`` → ((True/False,), problem)."""
    if isinstance(value, bool | np.bool_):
        return (bool(value),), None
    if isinstance(value, int | float | np.integer | np.floating):
        if value in (0, 1):
            return (bool(value),), None
        return (None,), "not a yes/no value"
    text = _SEPARATORS.sub(" ", str(value).strip().casefold()).strip(" .")
    if re.fullmatch(r"[01]\.0+", text):
        text = text[0]
    if text in TRUE_WORDS:
        return (True,), None
    if text in FALSE_WORDS:
        return (False,), None
    return (None,), "not a yes/no value"
