"""CLI commands: discover, evaluate, explain (thin: parse, call the library, print)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from ..phrases import aside, attribute_name, counted, display_value
from ._app import app, err, out, print_json, warn_gaps

TargetOpt = Annotated[
    str | None, typer.Option("--target", "-t", help="Label column (e.g. IsWon, Converted, Churn).")
]
PositiveOpt = Annotated[
    list[str] | None,
    typer.Option("--positive", help="Value of the target that means success (repeatable)."),
]
SuccessOpt = Annotated[
    str | None,
    typer.Option(
        "--success", help="Composite success expression, e.g. 'renewed and acv >= median(acv)'."
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print plain JSON instead of tables.")]


def _load(source: str) -> Any:
    from ..intake import load

    return load(source)


def _names(loaded: Any) -> dict[str, str]:
    names: dict[str, str] = {}
    for canonical, original in loaded.column_origin.items():
        names.setdefault(original, canonical)
    return names


def _resolve(name: str | None, names: dict[str, str], columns: list[str]) -> str | None:
    """A column named as in the user's file, translated to its canonical name after intake."""
    if name is None or name in columns:
        return name
    return names.get(name, name)


def _resolve_expression(expr: str | None, names: dict[str, str], columns: list[str]) -> str | None:
    if expr is None:
        return None

    def quoted(m: re.Match[str]) -> str:
        return f"`{_resolve(m.group(1), names, columns)}`"

    expr = re.sub(r"`([^`]+)`", quoted, expr)
    return re.sub(
        r"\b[A-Za-z_][A-Za-z0-9_]*\b",
        lambda m: m.group(0) if m.group(0) in columns else names.get(m.group(0), m.group(0)),
        expr,
    )


def _positive(values: list[str] | None) -> str | list[str] | None:
    if not values:
        return None
    return values[0] if len(values) == 1 else values


@app.command("discover")
def discover_cmd(
    input: Annotated[str, typer.Argument(help="CSV, Excel, Parquet, JSON or SQL source.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Profile YAML to write.")],
    target: TargetOpt = None,
    positive: PositiveOpt = None,
    success: SuccessOpt = None,
    exclude: Annotated[
        list[str] | None, typer.Option("--exclude", "-x", help="Column to leave out (repeatable).")
    ] = None,
    keep: Annotated[
        list[str] | None,
        typer.Option("--keep", help="Use this column even if it looks like an id or a leak."),
    ] = None,
    id_column: Annotated[str | None, typer.Option("--id", help="Identifier column.")] = None,
    date: Annotated[
        str | None, typer.Option("--date", help="Date column for a time-based hold-out.")
    ] = None,
    name: Annotated[str, typer.Option("--name", help="Profile name.")] = "ICP",
    persona: Annotated[
        str | None,
        typer.Option(
            "--persona",
            help="Also learn a persona points table from these person columns "
            "('auto': role, seniority, department; or e.g. 'role,seniority,source').",
        ),
    ] = None,
    open_as_failure: Annotated[
        bool,
        typer.Option(
            "--open-as-failure",
            help="Count rows whose outcome is still open (deal stages neither won nor lost) as "
            "failures; by default they are left out.",
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Learn the ICP profile from INPUT and print its summary."""
    from ..discover import learn
    from ..explain import explain_profile, unit_of_kind, with_unit
    from ..profile import save_profile
    from ..screening import in_users_words
    from ..sources import record_sources

    loaded = _load(input)
    table, names = loaded.table, _names(loaded)
    cols = table.column_names

    def r(n: str | None) -> str | None:
        return _resolve(n, names, cols)

    result = learn(
        table,
        r(target),
        positive=_positive(positive),
        success=_resolve_expression(success, names, cols),
        exclude=[r(c) or c for c in exclude or []],
        keep=[r(c) or c for c in keep or []],
        id_column=r(id_column),
        time_column=r(date),
        name=name,
        persona=persona
        if persona in (None, "auto")
        else [r(c.strip()) or c for c in persona.split(",")],
        open_as_failure=open_as_failure,
        unit=unit_of_kind(loaded.kind),
        names=loaded.column_origin,
    )
    # Where each column came from, so `icp sql --columns crm` can read the CRM's own table.
    profile = record_sources(result.profile, loaded.column_origin, loaded.kind, table.schema)
    profile = with_unit(profile, loaded.kind)  # "205 leads", not "205 accounts"
    save_profile(profile, output)
    summary = {**result.summary(), "silhouette": profile.silhouette}
    # the export's own header ('customerID'), not intake's canonical names ('account_id')
    summary["flagged"] = in_users_words(summary["flagged"], loaded.column_origin)
    if as_json:
        print_json({**summary, "profile": str(output)})
        return
    _print_summary(summary, explain_profile(profile))
    out.print(
        f"\nProfile written to [bold]{escape(str(output))}[/]; test it with `icp evaluate`.",
        markup=True,
    )


def _print_segments(
    segments: list[dict[str, Any]], validation: str | None, unit: str = "accounts"
) -> None:
    """The segments that are ICPs of their own, then one line each for the others.

    One-trait segments are not separate ICPs: a bonus on one is a top-up of a points-table
    group, and without a bonus it only repeats that group, so they are not table rows. All are
    listed in the profile's order, numbered: a scored record's segment is the first it matches.
    """
    from ..explain import left_out_line

    own = [g for g in segments if g["role"] in {"bonus", "correction", "described"}]
    one_trait = len(own) < len(segments)
    if own:
        st = Table(title="Segments (several ICPs)")
        for c in (
            "#",
            "segment",
            "bonus",
            f"{unit} (in-sample)",
            "success rate (in-sample)",
            f"held-out {unit}",
            "held-out lift",
        ):
            st.add_column(c)
        for g in own:  # in the order that decides a record's segment
            held = g.get("held_out") or {}
            st.add_row(
                str(g["order"]),
                g["name"],
                f"{g['points']:+d}" if g["points"] else "0",
                f"{g['size']:,}" if g["size"] is not None else "-",
                "-" if g["success_rate"] is None else f"{g['success_rate']:.1%}",
                f"{held['size']:,}" if held.get("size") is not None else "-",
                f"{held['lift']:.2f}" if held.get("lift") is not None else "-",
            )
        out.print(st)
        out.print(
            "A scored record's segment is the first of these it matches, by #"
            + (" (the one-trait segments below included)." if one_trait else ".")
        )
        n = sum(g["points"] == 0 for g in own)
        if n:
            out.print(
                f"Bonus 0 ({counted(n, 'segment')}): named so sales can recognise "
                f"{'it' if n == 1 else 'them'}; "
                f"{'its' if n == 1 else 'their'} {unit} score through their traits' points."
            )
        if any(g["points"] < 0 for g in own):
            out.print("A negative bonus corrects the points table, which alone over-scores them.")
        if not any((g.get("held_out") or {}).get("size") for g in own):
            how = f"validated by {validation}, " if validation else ""
            out.print(f"No held-out segment figures: {how}with no rows held out.")
    # '(+12 points)': a name may end in '+13' (13 more values), so the bonus says its unit
    top_ups = [
        f"#{g['order']} {g['name']} ({g['points']:+d} point{'s' * (abs(g['points']) != 1)})"
        for g in segments
        if g["role"] == "top-up"
    ]
    if top_ups:
        out.print(
            "One-trait bonuses (not separate ICPs; each adds to its points-table group): "
            + "; ".join(top_ups)
            + "."
        )
    if line := left_out_line(segments, numbered=True):
        out.print(line)
    if segments and not own:  # said under the table when there is one
        out.print("A scored record's segment is the first of these it matches, by #.")


def _print_summary(s: dict[str, Any], explained: dict[str, Any]) -> None:
    from ..folding import folded_line

    unit = explained["unit"]
    ev = s.get("evidence") or {}
    if ev.get("reasons"):  # lead with it: what follows is a hypothesis, not a finding
        out.print(
            "[bold red]No reliable ICP in this data:[/] " + escape("; ".join(ev["reasons"])) + ".",
            markup=True,
        )
        out.print(f"Best guess so far (a hypothesis): {s['silhouette']}\n")
    else:
        out.print(f"[bold]{escape(s['silhouette'])}[/]\n", markup=True)
    out.print(
        f"{counted(s['rows'], 'row')}, {counted(s['successes'], 'success')}"
        f" (base rate {s['base_rate']:.1%})"
    )
    # measured on every row, the learning rows included: say so, as the segment table does
    t = Table(title="What best customers share (top attributes; in-sample figures)")
    for c in ("attribute", "information value", "best group", "lift", "significant"):
        t.add_column(c)
    for a in s["top_attributes"]:
        t.add_row(
            attribute_name(str(a["attribute"])),
            f"{a['information_value']:.3f}",
            str(a["best_group"]),
            f"{a['best_lift'] or 0:.2f}",
            "yes" if a["significant"] else "no",
        )
    out.print(t)
    _print_segments(explained["segments"], s.get("validation"), unit)
    if line := folded_line(s.get("folded") or []):
        out.print(line)
    if s["disqualifiers"]:
        st = Table(title="Anti-ICP (scores capped; in-sample figures)")
        for c in ("rule", unit, "success rate", "score cap"):
            st.add_column(c)
        for g in s["disqualifiers"]:
            st.add_row(g["name"], f"{g['size']:,}", f"{g['success_rate']:.1%}", str(g["cap"]))
        out.print(st)
    if s["best_customers"]:
        bt = Table(title="Best customers (more like these)")
        for c in s["best_customers"][0]:
            bt.add_column(attribute_name(c))
        for row in s["best_customers"][:5]:
            bt.add_row(*(display_value(k, v) for k, v in row.items()))
        out.print(bt)
    if s.get("persona"):
        pt = Table(title="Persona: which people convert (points)")
        for c in ("attribute", "group", "points", "success rate"):
            pt.add_column(c)
        for a in s["persona"]["attributes"]:
            for b in a["bins"][:4]:
                rate = b["success_rate"]
                pt.add_row(
                    a["attribute"],
                    b["group"],
                    str(b["points"]),
                    "" if rate is None else f"{rate:.1%}",
                )
        out.print(pt)
        if s["persona"]["held_out_auc"] is not None:
            out.print(f"Persona held-out AUC {s['persona']['held_out_auc']:.3f}")
        out.print(f"Call order of icp_priority (best first): {', '.join(s['persona']['priority'])}")
    h = s["held_out"]
    if h.get("auc") is not None:
        out.print(
            f"Held-out ({aside(s['validation'])}): AUC {h['auc']:.3f}; tiers A+B hold "
            f"{h['ab_share_of_successes']:.0%} of successes in {h['ab_share_of_rows']:.0%} of rows; "
            f"reliability: {h['reliability']['verdict']} ({h['reliability']['reason']})"
        )
    for f in s["flagged"]:
        err.print("[yellow]excluded[/] " + escape(f"{f['column']}: {f['reason']}"), markup=True)
    for w in s["warnings"]:
        err.print(f"[bold yellow]warning:[/] {escape(w)}", markup=True)


@app.command("evaluate")
def evaluate_cmd(
    input: Annotated[str, typer.Argument(help="Table with outcomes to test the profile on.")],
    profile: Annotated[Path, typer.Option("--profile", "-p", help="Profile YAML.")],
    target: TargetOpt = None,
    positive: PositiveOpt = None,
    success: SuccessOpt = None,
    open_as_failure: Annotated[
        bool | None,
        typer.Option(
            "--open-as-failure/--open-left-out",
            help="Count rows whose outcome is still open as failures, or leave them out; "
            "by default as the profile was learned.",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Backtest a profile: AUC, lift by decile, tier table, calibration."""
    from ..evaluate import evaluate
    from ..explain import unit_of_kind
    from ..profile import load_profile

    prof = load_profile(profile)
    loaded = _load(str(input))
    table, names = loaded.table, _names(loaded)
    cols = table.column_names
    if target is None and success is None and prof.success is not None:
        # The profile's own definition, named as in the CRM file (IsWon), read after intake (won)
        target, success = prof.success.target, prof.success.expression
        positive = positive or prof.success.positive
    metrics = evaluate(
        prof,
        table,
        _resolve(target, names, cols),
        positive=_positive(positive),
        expression=_resolve_expression(success, names, cols),
        unit=unit_of_kind(loaded.kind),
        open_as_failure=open_as_failure,
    )
    if as_json:
        print_json(metrics)
        return
    warn_gaps(metrics.get("missing_columns"))
    for note in metrics.get("notes") or []:  # rows left out (open deals, no outcome)
        err.print(f"[bold yellow]warning:[/] {escape(note)}", markup=True)
    rel = metrics["reliability"]
    if "in-sample" in rel["verdict"]:  # lead with it: these numbers are not a test
        out.print(
            f"[bold red]{escape(rel['verdict'].upper())}:[/] {escape(rel['reason'])}.", markup=True
        )
        grade = ""  # said above, once
    else:
        grade = f"; reliability: {rel['verdict']} ({aside(rel['reason'])})"
    auc = metrics["auc"]
    out.print(
        f"AUC {'-' if auc is None else f'{auc:.3f}'}; {counted(metrics['rows'], 'row')}, "
        f"{counted(metrics['successes'], 'success')}{grade}"
    )
    t = Table(title="Tiers")
    for c in ("tier", "share of rows", "share of successes", "success rate", "lift"):
        t.add_column(c)
    for row in metrics["tiers"]:
        rate = row["success_rate"]
        t.add_row(
            row["tier"],
            f"{row['share_of_rows']:.1%}",
            f"{row['share_of_successes']:.1%}",
            "-" if rate is None else f"{rate:.1%}",
            "-" if row["lift"] is None else f"{row['lift']:.2f}",
        )
    out.print(t)
    d = Table(title="Lift by decile (best first)")
    for c in ("decile", "success rate", "lift", "cumulative successes"):
        d.add_column(c)
    for row in metrics["lift_by_decile"]:
        d.add_row(
            str(row["decile"]),
            f"{row['success_rate']:.1%}",
            f"{row['lift'] or 0:.2f}",
            f"{row['cumulative_share_of_successes']:.1%}",
        )
    out.print(d)
    cal = Table(title="Calibration (success rate by score band)")
    for col in ("score", "rows", "success rate"):
        cal.add_column(col)
    for row in metrics["calibration"]:
        cal.add_row(row["band"], f"{row['rows']:,}", f"{row['success_rate']:.1%}")
    out.print(cal)
    _print_segment_figures(metrics.get("segments") or [], metrics.get("headline"))
    _print_contradictions(metrics.get("contradictions") or [])


def _print_segment_figures(rows: list[dict[str, Any]], head: dict[str, Any] | None) -> None:
    if not rows and not head:
        return
    t = Table(title="Segments and the headline group on these rows")
    for c in ("group", "rows", "success rate", "lift"):
        t.add_column(c)
    groups = [("headline", head)] if head else []
    for row in [*groups, *((r["name"], r) for r in rows)]:
        name, f = row
        assert f is not None
        rate = f["success_rate"]
        t.add_row(
            name,
            f"{f['size']:,}",
            "-" if rate is None else f"{rate:.1%}",
            "-" if f["lift"] is None else f"{f['lift']:.2f}",
        )
    out.print(t)


@app.command("explain")
def explain_cmd(
    profile: Annotated[Path, typer.Argument(help="Profile YAML.")],
    as_json: JsonOpt = False,
) -> None:
    """The points table and the segments of a profile, in words."""
    from ..explain import explain_profile, left_out_line
    from ..profile import load_profile

    d = explain_profile(load_profile(profile))
    if as_json:
        print_json(d)
        return
    out.print(f"[bold]{escape(d['silhouette'])}[/]\n", markup=True)
    out.print(
        f"Every record starts at {d['intercept']} points; tiers: A >= {d['tiers']['A']}, "
        f"B >= {d['tiers']['B']}, C >= {d['tiers']['C']}, else D."
    )
    t = Table(title="Points table (rows and success rates: the learning rows, in-sample)")
    for c in ("attribute", "value", "points", "rows", "success rate"):
        t.add_column(c)
    for row in d["points"]:
        rate = row.get("success_rate")
        t.add_row(
            row["attribute"],
            row["bin"],
            f"{row['points']:+d}",
            f"{row['count']:,}" if row.get("count") is not None else "",
            "" if rate is None else f"{rate:.1%}",
        )
    out.print(t)
    _print_traits(d["traits"])
    for s in d["segments"]:
        if s["role"] != "repeat":
            out.print(
                f"Segment [bold]{escape(s['name'])}[/]: {escape(s['rule'])} ({escape(s['why'])})",
                markup=True,
            )
    if line := left_out_line(d["segments"]):
        out.print(line)
    for q in d["disqualifiers"]:
        out.print(
            f"Anti-ICP [bold]{escape(q['name'])}[/]: {escape(q['rule'])} "
            f"(score capped at {q['cap']})",
            markup=True,
        )
    _print_contradictions(d["contradictions"])


def _print_traits(traits: list[dict[str, Any]]) -> None:
    t = Table(title="Total effect per trait: its own points plus the segments it is part of")
    for c in ("trait", "own points (best - worst)", "segment bonuses", "total"):
        t.add_column(c)
    for r in traits:
        t.add_row(
            r["attribute"],
            f"{r['own_points']:+d}",
            f"{r['segment_points']:+d}",
            f"{r['total']:+d}",
        )
    out.print(t)


def _print_contradictions(found: list[dict[str, Any]]) -> None:
    from ..contradictions import describe_contradiction

    if not found:
        out.print("Contradictions: none (every group's points follow its success rate).")
        return
    out.print(f"[bold yellow]Contradictions ({len(found)}):[/]", markup=True)
    for c in found:
        out.print(f"  {describe_contradiction(c)}")
