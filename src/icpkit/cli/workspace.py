"""CLI commands: init, run, report, export, demo (the workspace and the ICP document)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from ._app import app, err, out, print_json

_MARK = {
    "ok": "[green]✓[/]",
    "cached": "[cyan]↺[/]",
    "skipped": "[yellow]–[/]",
    "failed": "[red]✗[/]",
}


def _line(stage: Any, result: Any, said: set[str]) -> str | None:
    """One stage's progress line, or None when it would only repeat what was said.

    An input left out of icp.yaml gets no line: the stage that would use it says so
    ("funnel: no leads table configured"). A second stage skipped for the same reason
    (lookalike after market: no universe) points back instead of saying it again.
    """
    from ..workspace._stages import NOT_CONFIGURED

    message = result.message
    if result.status == "skipped":
        if message == NOT_CONFIGURED:
            return None
        if message in said:
            message = "skipped for the same reason"
        said.add(result.message)
    note = f" [dim]{escape(message)}[/]" if message else ""
    mark = _MARK.get(result.status, "?")
    return f"  {mark} {stage.name:<20} [dim]{result.seconds:6.2f}s[/]{note}"


@contextmanager
def _progress(quiet: bool) -> Iterator[Callable[..., None] | None]:
    """A spinner on the running stage and one line per finished stage (on stderr).

    Without a terminal (CI logs, pipes) there is no spinner, only the finished lines.
    """
    if quiet:
        yield None
        return
    said: set[str] = set()
    if not err.is_terminal:

        def plain(kind: str, stage: Any, result: Any) -> None:
            if kind == "end" and (line := _line(stage, result, said)):
                err.print(line, markup=True, highlight=False)

        yield plain
        return
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    task = progress.add_task("starting", total=None)

    def on_event(kind: str, stage: Any, result: Any) -> None:
        if kind == "start":
            progress.start()  # lazily: an error before the first stage prints nothing else
            progress.update(task, description=f"{stage.name}: {stage.title}")
        elif line := _line(stage, result, said):
            progress.console.print(line, markup=True, highlight=False)

    try:
        yield on_event
    finally:
        progress.stop()


def _warn_failed(result: Any) -> None:
    """Optional stages may fail without stopping the run; say so where people look."""
    for s in result.stages:
        if s.status == "failed":
            err.print(
                f"[yellow]warning:[/] stage {s.name!r} failed: {escape(s.message)}",
                markup=True,
                highlight=False,
            )


def _rel(path: str | None, ws: Path) -> str | None:
    if path is None:
        return None
    p = Path(path).resolve()
    try:
        return os.path.relpath(p, ws.resolve())
    except ValueError:  # another drive on Windows
        return str(p)


@app.command("init")
def init_cmd(
    directory: Annotated[
        Path, typer.Argument(help="Folder for the workspace (created if needed).")
    ],
    accounts: Annotated[
        str | None, typer.Option(help="Accounts file (companies; required to run).")
    ] = None,
    outcomes: Annotated[
        str | None, typer.Option(help="Outcomes file (renewals, ACV, churn).")
    ] = None,
    deals: Annotated[str | None, typer.Option(help="Deals / opportunities file.")] = None,
    leads: Annotated[str | None, typer.Option(help="Leads file (funnel by tier).")] = None,
    contacts: Annotated[str | None, typer.Option(help="Contacts file (buying committee).")] = None,
    contact_roles: Annotated[str | None, typer.Option(help="Contact roles on deals.")] = None,
    feedback: Annotated[str | None, typer.Option(help="Customer feedback file.")] = None,
    universe: Annotated[str | None, typer.Option(help="Market universe file (TAM/SAM).")] = None,
    target: Annotated[str, typer.Option(help="Success label column.")] = "won",
    positive: Annotated[
        list[str] | None, typer.Option(help="Value(s) of the label meaning success.")
    ] = None,
    success_table: Annotated[
        str, typer.Option(help="Learn from 'accounts' or 'deals' rows.")
    ] = "accounts",
    name: Annotated[str, typer.Option(help="Name of the profile.")] = "ICP",
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing icp.yaml.")] = False,
) -> None:
    """Write a commented icp.yaml in DIRECTORY and explain the next step."""
    from ..errors import ConfigError
    from ..workspace import init_workspace

    if success_table not in ("accounts", "deals"):
        raise ConfigError("--success-table must be 'accounts' or 'deals'", value=success_table)
    given = {
        "accounts": accounts,
        "outcomes": outcomes,
        "deals": deals,
        "leads": leads,
        "contacts": contacts,
        "contact_roles": contact_roles,
        "feedback": feedback,
    }
    _check_inputs({**given, "universe": universe})
    tables = {k: r for k, v in given.items() if (r := _rel(v, directory)) is not None}
    path = init_workspace(
        directory,
        force=force,
        name=name,
        tables=tables,
        target=target,
        positive=positive or None,
        success_table=success_table,
        universe=_rel(universe, directory),
    )
    out.print(f"Wrote {path}")
    if accounts and not deals and not outcomes:
        _outcome_hint(accounts, target)
    step = "Edit it to point at your files, then run" if not accounts else "Check it, then run"
    out.print(f"{step}: [bold]icp run {escape(str(directory))}[/]", markup=True)


def _check_inputs(files: dict[str, str | None]) -> None:
    """Every file given to `icp init` exists (a typo is caught now, not at `icp run`)."""
    from ..intake._sniff import check_path, is_sql_url

    for path in files.values():
        if path and not is_sql_url(path):
            check_path(Path(path))


def _outcome_hint(accounts: str, target: str) -> None:
    """An accounts-only workspace needs an outcome: say where one might be."""
    from ..intake import load
    from ..intake._content import status_columns

    loaded = load(accounts, limit=5_000)
    if target in loaded.table.column_names or target in loaded.original.column_names:
        return
    out.print(
        f"[yellow]warning:[/] {escape(accounts)} has no {escape(repr(target))} column and no --deals"
        " or --outcomes file was given, so nothing says which accounts are successes."
        " Pass --deals FILE (won opportunities), or --target COLUMN.",
        markup=True,
    )
    for column, values in status_columns(loaded.original):
        shown = ", ".join(repr(v) for v in values)
        out.print(
            f"  {column!r} looks like a customer status ({shown}): --target '{column}'"
            " --positive VALUE"
        )


@app.command("run")
def run_cmd(
    directory: Annotated[Path, typer.Argument(help="Workspace folder (with icp.yaml).")] = Path(
        "."
    ),
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Recompute every stage.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the run summary as JSON.")] = False,
) -> None:
    """Run the pipeline (intake → ... → report) and record the run in the workspace."""
    from ..workspace import run_workspace

    with _progress(as_json) as on_event:
        result = run_workspace(directory, use_cache=not no_cache, on_event=on_event)
    if as_json:
        print_json(
            {
                "run_id": result.run_id,
                "stages": [s.as_dict() for s in result.stages],
                "outputs": {k: str(v) for k, v in result.outputs.items()},
            }
        )
        return
    _warn_failed(result)
    summary = result.report.get("summary") or {}
    if summary.get("evidence_sufficient") is False:  # lead with it, as the report does
        err.print(
            f"[bold yellow]warning:[/] {escape(str(summary.get('headline')))}",
            markup=True,
            highlight=False,
        )
    cached = (
        f", {result.cached} stage{'s' if result.cached != 1 else ''} cached"
        if result.cached
        else ""
    )
    out.print(f"Run {result.run_id} done{cached}.")
    for kind, path in result.outputs.items():
        out.print(f"  {kind:<8} {path}")


@app.command("report")
def report_cmd(
    directory: Annotated[Path, typer.Argument(help="Workspace folder.")] = Path("."),
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="report.html, report.md, report.pdf or report.json."),
    ] = None,
    run_id: Annotated[
        int | None, typer.Option("--run", help="A past run (default: the last).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report data as JSON.")] = False,
) -> None:
    """Write the ICP document of the last run (or print it as JSON)."""
    from ..report import write_report
    from ..workspace import load_report

    report = load_report(directory, run_id=run_id)
    if as_json:
        print_json(report)
        return
    target = output or directory / "report" / "report.html"
    write_report(report, target)
    out.print(f"Wrote {target}")


@app.command("export")
def export_cmd(
    target: Annotated[str, typer.Option("--for", help="salesforce, hubspot or csv.")],
    directory: Annotated[Path, typer.Argument(help="Workspace folder.")] = Path("."),
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Import file to write.")
    ] = None,
    raw: Annotated[
        bool, typer.Option("--raw", help="Write cells as they are (no formula guard).")
    ] = False,
) -> None:
    """Write the scored accounts as a CRM import file (formula-injection safe)."""
    from ..export import export_scores
    from ..workspace import last_scores

    target = target.strip().lower()  # "Salesforce" as the CRM spells itself
    scores = last_scores(directory)
    path = output or directory / "report" / f"{target}_import.csv"
    export_scores(scores, target, path, raw=raw)
    out.print(f"Wrote {path} ({scores.num_rows:,} accounts, {target} fields)")


@app.command("demo")
def demo_cmd(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to create.")] = Path("demo-output"),
    accounts: Annotated[
        int, typer.Option("--accounts", min=100, help="Synthetic accounts.")
    ] = 3000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress display.")] = False,
) -> None:
    """Generate a synthetic world, write a workspace for it, run it, print the report path."""
    from ..workspace import demo

    err.print(f"Generating a synthetic world of {accounts:,} accounts in {out_dir} …")
    with _progress(quiet) as on_event:
        result = demo(out_dir, n_accounts=accounts, seed=seed, on_event=on_event)
    _warn_failed(result)  # skipped stages were said once, in the progress lines
    out.print(f"ICP report: {result.outputs['html']}")
    out.print(f"Workspace:  {out_dir / 'icp.yaml'}  (edit, then `icp run {out_dir}`)")
