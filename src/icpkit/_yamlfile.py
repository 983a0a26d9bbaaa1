"""Plumbing shared by the YAML files icpkit validates with pydantic (profiles, icp.yaml).

Both turn a YAML syntax error into one line naming the row, and a pydantic
``ValidationError`` into one line naming the first bad field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from .errors import IcpError


def read_yaml(path: Path, error: type[IcpError], what: str) -> Any:
    """``yaml.safe_load`` the file; a syntax or encoding error becomes ``error`` with the row."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        raise error(
            f"{what} is not valid YAML",
            file=str(path),
            row=None if line is None else line + 1,
            hint="Check indentation and quoting near that line",
        ) from None


def first_error(exc: ValidationError) -> tuple[ErrorDetails, str]:
    """The first pydantic error and its message without pydantic's "Value error, " prefix."""
    first = exc.errors()[0]
    return first, first["msg"].removeprefix("Value error, ")
