"""Help in click's familiar words: ``TEXT``, ``PATH``, ``DIRECTORY`` — not Python type names.

Typer 0.2x prints each parameter's Python annotation (``<bool>``, ``<list[str]>``, ``<str>``)
and wraps required arguments in braces (``{directory}``), which read like placeholders to type
literally. Typer builds its parameter objects itself (the ``--help`` option too, per call), so
the only place to change how they are *shown* is their classes' display methods; parsing stays
Typer's. tests/test_cli_help.py renders every command's help, so a Typer that renames these
methods is caught there rather than shipping Python types to users again.
"""

from __future__ import annotations

from typing import Any, get_args

from typer.core import TyperArgument, TyperOption

_NAMES = {str: "TEXT", int: "INTEGER", float: "NUMBER", bool: "BOOLEAN"}


def type_label(param: Any) -> str | None:
    """``TEXT``, ``PATH``, ``INTEGER``, ``[csv|parquet]`` (``None`` for an on/off flag)."""
    if getattr(param, "is_flag", False):
        return None
    desc = param.type_descriptor
    if desc.is_choice:
        return "[" + "|".join(str(getattr(c, "value", c)) for c in desc.choices) + "]"
    if desc.is_path:
        return "PATH"
    annotation = get_args(desc.annotation)[0] if desc.is_list else desc.annotation
    return _NAMES.get(annotation) or getattr(annotation, "__name__", "value").upper()


def _option_type(self: TyperOption, ctx: Any) -> str | None:
    return self.metavar if self.metavar is not None else type_label(self)


def _argument_type(self: TyperArgument, ctx: Any) -> str | None:
    return type_label(self)


def _argument_usage(self: TyperArgument) -> str:
    name = self.display_name_raw.upper()
    name = name if self.required else f"[{name}]"
    return name + ("..." if self.nargs != 1 else "")


def use_plain_help() -> None:
    """Show every option's and argument's type, and the usage line, in plain words."""
    TyperOption.display_type_rich = _option_type  # type: ignore[method-assign]
    TyperArgument.display_type_rich = _argument_type  # type: ignore[method-assign,assignment]
    TyperArgument._usage_display_name = _argument_usage  # type: ignore[method-assign]
