"""Plumbing shared by the YAML files icpkit validates with pydantic (profiles, icp.yaml).

Both turn a YAML syntax error into one line naming the row, and a pydantic
``ValidationError`` into one line naming the first bad field.

YAML is read defensively, because a profile may come from anyone: a key written
twice is an error (YAML's default is "last one wins", which silently changed an
intercept from 40 to 99), and aliases may not expand the document past
``MAX_NODES`` nodes (a "billion laughs" alias bomb grew ``icp run`` to 3.8 GB).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from .errors import IcpError

__all__ = ["MAX_NODES", "control_character", "first_error", "read_yaml", "safe_yaml"]

MAX_NODES = 200_000  # a large learned profile has ~10,000; aliases may not multiply past this


class _DuplicateKey(yaml.YAMLError):
    def __init__(self, key: object, line: int) -> None:
        super().__init__(f"the key {key!r} is written twice (again on row {line})")
        self.line = line


class _TooBig(yaml.YAMLError):
    pass


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                repeated = key in seen
            except TypeError:  # an unhashable key: SafeLoader reports it itself
                break
            if repeated:
                raise _DuplicateKey(key, key_node.start_mark.line + 1)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _expanded_size(root: yaml.Node) -> int:
    """Nodes in the document with every alias expanded, counted up to MAX_NODES + 1."""
    count, stack = 0, [root]
    while stack:
        node = stack.pop()
        count += 1
        if count > MAX_NODES:
            return count
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.extend((key, value))
    return count


def safe_yaml(text: str) -> Any:
    """``yaml.safe_load`` without duplicate keys or alias expansion past MAX_NODES."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node) > MAX_NODES:
            raise _TooBig(f"the document expands to more than {MAX_NODES:,} values (aliases?)")
        return loader.construct_document(node)
    finally:
        loader.dispose()


def read_yaml(path: Path, error: type[IcpError], what: str) -> Any:
    """Read the file with :func:`safe_yaml`; a syntax or encoding error, a duplicate key or
    an alias bomb becomes ``error`` with the row."""
    try:
        return safe_yaml(path.read_text(encoding="utf-8"))
    except _DuplicateKey as exc:
        raise error(
            f"{what} is not valid: {exc}",
            file=str(path),
            row=exc.line,
            hint="Keep one of the two; YAML would silently use the last",
        ) from None
    except _TooBig as exc:
        raise error(f"{what} is not valid: {exc}", file=str(path)) from None
    except RecursionError:
        raise error(f"{what} is not valid: nested too deeply", file=str(path)) from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        raise error(
            f"{what} is not valid YAML",
            file=str(path),
            row=None if line is None else line + 1,
            hint="Check indentation and quoting near that line",
        ) from None


def control_character(data: Any, path: str = "") -> tuple[str, str] | None:
    """(field path, character) of the first C0 control character (or DEL) in any key or
    text value, tab and line breaks aside; None when there is none."""
    stack: list[tuple[str, Any]] = [(path, data)]
    while stack:
        where, node = stack.pop()
        if isinstance(node, str):
            bad = next(
                (c for c in node if (ord(c) < 32 and c not in "\t\n\r") or c == "\x7f"), None
            )
            if bad is not None:
                return where or "(top level)", bad
        elif isinstance(node, dict):
            for key, value in reversed(list(node.items())):
                stack.append((f"{where}.{key}" if where else str(key), value))
                stack.append((where or "(top level)", key))
        elif isinstance(node, list):
            stack.extend((f"{where}[{i}]", v) for i, v in reversed(list(enumerate(node))))
    return None


def first_error(exc: ValidationError) -> tuple[ErrorDetails, str]:
    """The first pydantic error and its message without pydantic's "Value error, " prefix."""
    first = exc.errors()[0]
    return first, first["msg"].removeprefix("Value error, ")
