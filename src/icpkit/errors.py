"""Every error icpkit raises on purpose.

The hierarchy::

    IcpError                  anything the user can fix; the CLI prints it on one line, exit code 2
    ├── InputError            a file, table or value the user gave us is unusable
    │   ├── ReadError         cannot open or decode a source (missing, empty, binary, bad dialect)
    │   ├── SchemaError       a required column is missing or a mapping is wrong
    │   └── ValueError_       a single value cannot be parsed (file, row, column, value)
    ├── ProfileError          a profile YAML is invalid (names the field)
    └── ConfigError           an option, parameter or workspace setting is invalid

Errors carry structured fields (``file``, ``row``, ``column``, ``value``, ``hint``) so
callers can build their own messages; ``str(err)`` is the one-line message for people.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

__all__ = [
    "ConfigError",
    "IcpError",
    "InputError",
    "ProfileError",
    "ReadError",
    "SchemaError",
    "ValueParseError",
    "closest",
    "did_you_mean",
]


class IcpError(Exception):
    """Base class: an error the user can act on."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        value: Any = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = None if file is None else str(file)
        self.row = row
        self.column = column
        self.value = value
        self.hint = hint

    def where(self) -> str:
        """'file, row 12, column "x"' — whichever parts are known."""
        parts = []
        if self.file:
            parts.append(self.file)
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column {self.column!r}")
        return ", ".join(parts)

    def __str__(self) -> str:
        text = self.message
        where = self.where()
        if where:
            text = f"{where}: {text}"
        if self.value is not None:
            shown = repr(self.value)
            if len(shown) > 60:
                shown = shown[:57] + "..."
            text = f"{text} (value {shown})"
        if self.hint:
            text = f"{text}. {self.hint}"
        # One line, always: newlines in values must not break the CLI's contract.
        return " ".join(text.split())


class InputError(IcpError):
    """A file, table or value the user gave is unusable."""


class ReadError(InputError):
    """A source cannot be opened, decoded or parsed as a table."""


class SchemaError(InputError):
    """A required column is missing, or a column mapping is wrong."""


class ValueParseError(InputError):
    """A single value cannot be parsed."""


class ProfileError(IcpError):
    """A profile is invalid; ``column`` holds the dotted path of the bad field."""


class ConfigError(IcpError):
    """An option, parameter or workspace setting is invalid."""


def closest(name: str, choices: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The choice most like ``name`` (case-insensitive), or None."""
    options = list(choices)
    lowered = {c.lower(): c for c in options}
    match = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=cutoff)
    return lowered[match[0]] if match else None


def did_you_mean(name: str, choices: Iterable[str]) -> str | None:
    """A 'did you mean ...?' hint, or None when nothing is close."""
    match = closest(name, choices)
    return f"Did you mean {match!r}?" if match else None
