"""CLI commands: voice (categories and themes), ask (evidence for a question), interviews.

Each command parses its options, calls one function of :mod:`icpkit.voice`, and prints
the result with Rich, or plain JSON with ``--json``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.markup import escape
from rich.table import Table

from ..atomic import atomic_path, atomic_write_text
from ._app import app, out, print_json

Feedback = Annotated[
    Path,
    typer.Argument(
        help="Feedback table (CSV/TSV/JSONL/Parquet/Excel: account, contact, source, date, text)"
        " or a folder of transcripts (.vtt/.srt/.txt).",
        show_default=False,
    ),
]
Tier = Annotated[
    str, typer.Option("--tier", help="ICP tiers, e.g. A or A,B (needs scored accounts).")
]
Segment = Annotated[
    str | None, typer.Option("--segment", help="Only this ICP segment (icp_segment value).")
]
Method = Annotated[
    str,
    typer.Option(
        "--method",
        help="tfidf (lean default), embeddings (icpkit[embeddings]) or auto (embeddings if installed).",
    ),
]
ProfileOpt = Annotated[
    Path | None,
    typer.Option("--profile", help="Profile YAML to score accounts that have no icp_tier column."),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print plain JSON.")]
TextColumn = Annotated[
    str | None,
    typer.Option(
        "--text-column", help="Column holding the feedback text, when it is not recognised."
    ),
]


def _feedback(path: Path, text_column: str | None) -> Path | pd.DataFrame:
    """The feedback as given, or read with the text column the user named."""
    if text_column is None:
        return path
    from ..voice import read_feedback

    return read_feedback(path, text_column=text_column)


def _tiers(text: str) -> list[str]:
    return [t for t in text.replace(";", ",").split(",") if t.strip()]


def _clean(value: Any) -> Any:
    """JSON-safe values: NA/NaN -> None, numpy scalars -> Python, lists kept."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        return value.item()
    return value


@app.command("voice")
def voice_cmd(
    feedback: Feedback,
    accounts: Annotated[
        Path | None,
        typer.Option("--accounts", "--scored", help="Scored accounts (account_id, icp_tier, ...)."),
    ] = None,
    profile: ProfileOpt = None,
    tier: Tier = "A",
    segment: Segment = None,
    only_icp: Annotated[
        bool, typer.Option("--only-icp", help="Themes from ICP accounts' feedback only.")
    ] = False,
    method: Method = "auto",
    text_column: TextColumn = None,
    max_themes: Annotated[int, typer.Option("--max-themes", help="Themes per category.")] = 8,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Also write highlights.csv, themes.csv and voice.json here."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Categories and themes of customer feedback, ICP accounts versus the rest."""
    from ..voice import analyze

    result = analyze(
        _feedback(feedback, text_column),
        accounts,
        profile=profile,
        tiers=_tiers(tier),
        segment=segment,
        method=method,
        icp_only=only_icp,
        max_themes=max_themes,
    )
    report = _clean(result.report)
    if out_dir is not None:
        _write(out_dir, result.highlights, result.themes, report)
    if as_json:
        print_json(report)
        return
    _print_voice(report)


def _write(out_dir: Path, highlights: pd.DataFrame, themes: pd.DataFrame, report: Any) -> None:
    h = highlights.assign(categories=highlights["categories"].map(";".join))
    with atomic_path(out_dir / "highlights.csv") as tmp:
        h.to_csv(tmp, index=False)
    t = themes.assign(
        keywords=themes["keywords"].map(";".join),
        quotes=themes["quotes"].map(lambda q: json.dumps(q, ensure_ascii=False)),
    )
    with atomic_path(out_dir / "themes.csv") as tmp:
        t.to_csv(tmp, index=False)
    atomic_write_text(
        out_dir / "voice.json", json.dumps(report, indent=2, default=str, ensure_ascii=False)
    )


def _print_voice(report: dict[str, Any]) -> None:
    fb, link, icp = report["feedback"], report["link"], report["icp"]
    out.print(
        f"[bold]{fb['items']:,}[/] feedback items → [bold]{fb['highlights']:,}[/] highlights"
        f" (method {escape(str(report['method']))}; {fb['empty_items']:,} empty items)",
        markup=True,
    )
    # Without scored accounts there is no ICP to compare: its columns would all read 0%.
    compare = link.get("linked") is not None
    if compare:
        out.print(
            f"linked {link['linked']:,} of {link['items']:,} items to accounts"
            f" (id {link['linked_by_id']}, domain {link['linked_by_domain']},"
            f" name {link['linked_by_name']}); [bold]{link['unlinked']}[/] not linked",
            markup=True,
        )
        out.print(
            f"ICP (tier {','.join(icp['tiers'])}): {icp['accounts']:,} accounts,"
            f" {icp['accounts_with_feedback']:,} with feedback"
        )
    else:
        out.print("No scored accounts (--accounts): ICP accounts are not compared with the rest.")
    shares = ("ICP share", "others share") if compare else ()
    grid = Table(title="Categories")
    for col in ("category", "highlights", *(("ICP accounts", *shares) if compare else ())):
        grid.add_column(col)
    for c in report["categories"]:
        row = [c["label"], f"{c['highlights']:,}"]
        if compare:
            row += [f"{c['icp_accounts']:,}", f"{c['icp_share']:.0%}", f"{c['other_share']:.0%}"]
        grid.add_row(*row)
    out.print(grid)
    labels = {c["category"]: c["label"] for c in report["categories"]}
    by = "ICP accounts" if compare else "size"
    themes = Table(title=f"Themes (top 3 per category, by {by})", show_lines=True)
    for col in ("category", "theme", "size", *shares, "quote"):
        themes.add_column(col, overflow="fold")
    shown: dict[str, int] = {}
    for t in report["themes"]:
        shown[t["category"]] = shown.get(t["category"], 0) + 1
        if shown[t["category"]] > 3:
            continue
        row = [labels.get(t["category"], t["category"]), t["label"], str(t["size"])]
        if compare:
            row += [f"{t['icp_share']:.0%}", f"{t['other_share']:.0%}"]
        themes.add_row(*row, _quote(t["quotes"][0] if t["quotes"] else {}))
    out.print(themes)


def _quote(q: dict[str, Any]) -> str:
    """A quote and who said it where known (account, source); unknowns are left out."""
    who = q.get("account_id")
    where = q.get("source")
    said = f" — {who}" if who else ""
    if where:
        said += f" ({where})" if who else f" — {where}"
    return f"“{q.get('text', '')}”{said}"


@app.command("ask")
def ask_cmd(
    feedback: Feedback,
    question: Annotated[str, typer.Argument(help="The question, e.g. 'How do customers find us?'")],
    scored: Annotated[
        Path | None,
        typer.Option("--scored", "--accounts", help="Scored accounts; answers use ICP evidence."),
    ] = None,
    profile: ProfileOpt = None,
    tier: Tier = "A",
    segment: Segment = None,
    everyone: Annotated[
        bool, typer.Option("--all", help="Use every account's feedback, not only the ICP's.")
    ] = False,
    top: Annotated[int, typer.Option("--top", help="Evidence highlights to return.")] = 10,
    method: Method = "auto",
    text_column: TextColumn = None,
    as_json: JsonFlag = False,
) -> None:
    """Answer a question with ranked evidence highlights and their top themes."""
    from ..voice import ask

    answer = ask(
        _feedback(feedback, text_column),
        question,
        scored,
        profile=profile,
        tiers=_tiers(tier),
        segment=segment,
        icp_only=False if everyone else None,
        top=top,
        method=method,
    )
    answer = _clean(answer)
    if as_json:
        print_json(answer)
        return
    out.print(
        f"[bold]{escape(answer['question'])}[/]  "
        f"(categories: {escape(', '.join(answer['categories']))})",
        markup=True,
    )
    out.print(answer["summary"]["text"])
    grid = Table(show_lines=False)
    for col in ("#", "evidence", "account", "source", "category", "relevance"):
        grid.add_column(col, overflow="fold")
    for i, e in enumerate(answer["evidence"], 1):
        grid.add_row(
            str(i),
            e["text"],
            str(e["account_id"] or ""),
            str(e["source"] or ""),
            e["category"],
            f"{e['relevance']:.2f}",
        )
    out.print(grid)


@app.command("interviews")
def interviews_cmd(
    feedback: Feedback,
    scored: Annotated[
        Path,
        typer.Option("--scored", "--accounts", help="Scored accounts (account_id, icp_tier)."),
    ],
    contacts: Annotated[
        Path, typer.Option("--contacts", help="Contacts (contact id, account id, title, ...).")
    ],
    profile: ProfileOpt = None,
    tier: Tier = "A",
    segment: Segment = None,
    n: Annotated[int, typer.Option("--n", help="Contacts to interview (5-10).")] = 8,
    method: Method = "auto",
    text_column: TextColumn = None,
    as_json: JsonFlag = False,
) -> None:
    """Gaps in what ICP customers said, and an interview plan to fill them."""
    from ..voice import plan_interviews

    plan = _clean(
        plan_interviews(
            _feedback(feedback, text_column),
            scored,
            contacts,
            profile=profile,
            tiers=_tiers(tier),
            segment=segment,
            method=method,
            n_contacts=n,
        )
    )
    if as_json:
        print_json(plan)
        return
    gaps = Table(title="ICP evidence per question")
    for col in ("question", "ICP accounts", "highlights", "status"):
        gaps.add_column(col)
    for g in plan["gaps"]:
        gaps.add_row(g["label"], f"{g['icp_accounts']:,}", f"{g['icp_highlights']:,}", g["status"])
    out.print(gaps)
    people = Table(title="Whom to interview")
    for col in ("contact", "name", "title", "account"):
        people.add_column(col, overflow="fold")
    for p in plan["contacts"]:
        name = p.get("name") or " ".join(
            str(x) for x in (p.get("first_name"), p.get("last_name")) if x
        )
        people.add_row(
            str(p.get("contact_id")), name, str(p.get("title") or ""), str(p["account_id"])
        )
    out.print(people)
    if plan["note"]:
        out.print(f"[yellow]note:[/] {escape(plan['note'])}", markup=True)
    for t in plan["topics"]:
        out.print(f"[bold]{escape(t['label'])}[/]", markup=True)
        for q in t["questions"]:
            out.print(f"  - {q}")
