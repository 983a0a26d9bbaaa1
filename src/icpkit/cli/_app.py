"""The Typer app and the one place where library errors become CLI messages."""

from __future__ import annotations

import json
import sys
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from ..errors import IcpError
from ._help import use_plain_help

use_plain_help()
app = typer.Typer(
    name="icp",
    help="icpkit: learn your Ideal Customer Profile from your CRM data and put it to work.",
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode="rich",
)

# Results go to stdout; progress, warnings and errors go to stderr.
# No markup by default: file names, columns and values in messages are text, never styles
# (a column named "[/]" crashed the printout). Styled lines pass markup=True and escape data.
out = Console(highlight=False, soft_wrap=True, markup=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)


def print_json(data: Any) -> None:
    """Machine-readable output: plain JSON on stdout, nothing else."""
    sys.stdout.write(json.dumps(data, indent=2, default=str, ensure_ascii=False) + "\n")


def warn_gaps(gaps: list[dict[str, Any]] | None) -> None:
    """One warning line per profile column the input lacked (see :mod:`icpkit.gaps`)."""
    for g in gaps or []:
        err.print(f"warning: {g['warning']}")


def main() -> None:
    """Console entry point: every expected error is one line and exit code 2."""
    from . import commands  # noqa: F401  (registers the commands on ``app``)

    try:
        # Not standalone, so usage errors reach us and become one line like every other error.
        code = app(prog_name="icp", standalone_mode=False)
    except typer.TyperException as exc:
        _one_line(f"{exc.format_message()} (see 'icp --help')", code=exc.exit_code)
    except typer.Abort:
        _one_line("aborted")
    except IcpError as exc:
        _one_line(str(exc))
    except KeyboardInterrupt:
        _one_line("interrupted", code=130)
    except MemoryError:
        _one_line("out of memory; try a smaller input, or the streaming or SQL engines")
    except OSError as exc:
        name = getattr(exc, "filename", None)
        _one_line(f"{name}: {exc.strerror or exc}" if name else str(exc))
    else:
        sys.exit(code if isinstance(code, int) else 0)


def _one_line(message: str, code: int = 2) -> None:
    # Escaped: brackets from file names, columns or hints ('icpkit[pdf]') are text, not markup.
    text = escape(" ".join(str(message).split()))
    err.print(f"[bold red]error:[/] {text}", markup=True, highlight=False)
    sys.exit(code)


@app.callback(invoke_without_command=True)
def _root(
    ctx: typer.Context,
    version: bool = typer.Option(False, "--version", help="Print the icpkit version and exit."),
) -> None:
    """icpkit: learn your Ideal Customer Profile from your CRM data and put it to work."""
    if version:
        from .._version import __version__

        out.print(f"icpkit {__version__}")
        raise typer.Exit(0)
    if ctx.invoked_subcommand is None:
        out.print(ctx.get_help())
        raise typer.Exit(0)
