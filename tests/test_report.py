"""The ICP document: one dict, rendered to HTML (self-contained, escaped), Markdown and JSON."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from icpkit.errors import ConfigError
from icpkit.profile import profile_from_dict
from icpkit.report import SECTION_IDS, build_report, render_html, render_markdown, write_report
from icpkit.report._charts import render_chart

EVIL = '<script>alert("x")</script>'

PROFILE = profile_from_dict(
    {
        "name": "T",
        "intercept": 10,
        "attributes": [
            {
                "name": "industry",
                "kind": "categorical",
                "bins": [
                    {"values": ["Software"], "points": 40, "count": 30, "success_rate": 0.5},
                    {"values": [EVIL], "points": -10, "count": 20, "success_rate": 0.05},
                ],
            }
        ],
        "segments": [
            {
                "name": EVIL,
                # two traits: a one-trait segment without a bonus repeats the points table
                "conditions": [
                    {"attribute": "industry", "in": ["Software"]},
                    {"attribute": "region", "in": ["Europe"]},
                ],
                "size": 30,
                "success_rate": 0.5,
                "lift": 2.5,
            }
        ],
        "metrics": {
            "held_out": {
                "auc": 0.81,
                "ab_share_of_rows": 0.3,
                "ab_share_of_successes": 0.7,
                "tiers": [
                    {"tier": t, "share_of_rows": 0.25, "share_of_successes": s, "success_rate": s}
                    for t, s in zip("ABCD", (0.5, 0.3, 0.15, 0.05), strict=True)
                ],
                "lift_by_decile": [{"decile": d, "lift": 3.0 / d} for d in range(1, 11)],
                "calibration": [{"band": "0-10", "success_rate": 0.01}],
            },
            "validation": "random split",
        },
    }
)

VALUES = {
    "profile": PROFILE,
    "success": {
        "description": "the account has a won deal",
        "rows": 100,
        "successes": 20,
        "base_rate": 0.2,
        "level": "accounts",
        "best_customers": [{"name": EVIL, "industry": "Software", "value": 1000.0}],
    },
    "score": {"rows": 100, "tiers": {"A": 10, "B": 20, "C": 30, "D": 40}},
}


@pytest.fixture(scope="module")
def report() -> dict:
    stages = [
        {"name": "funnel", "status": "skipped", "message": "no leads table configured"},
        {"name": "voice", "status": "failed", "message": "column 'text' missing"},
    ]
    return build_report(VALUES, stages=stages)


def test_every_section_is_present_in_order(report: dict) -> None:
    assert [s["id"] for s in report["sections"]] == list(SECTION_IDS)


def test_silhouette_lists_the_several_icps(report: dict) -> None:
    silhouette = report["sections"][0]
    assert silhouette["paragraphs"][0].startswith("Our ideal customer")
    assert silhouette["bullets"] == [
        f"**ICP 1**: {EVIL} (30 accounts, 50% succeed, 2.5× the average in-sample)"
    ]


def test_icp_lines_say_in_sample_and_give_held_out_figures() -> None:
    """The several-ICPs list quoted the rows each segment was found on as if they held."""
    seg = PROFILE.segments[0].model_copy(
        update={"held_out_size": 12, "held_out_success_rate": 0.33, "held_out_lift": 1.7}
    )
    values = {**VALUES, "profile": PROFILE.model_copy(update={"segments": [seg]})}
    bullets = build_report(values)["sections"][0]["bullets"]
    assert bullets == [
        f"**ICP 1**: {EVIL} (30 accounts, 50% succeed, 2.5× the average in-sample;"
        " held-out 12 accounts, 1.7×)"
    ]


def test_absent_sections_say_why_in_one_line(report: dict) -> None:
    by_id = {s["id"]: s for s in report["sections"]}
    assert by_id["funnel"]["available"] is False
    assert "no leads table configured" in by_id["funnel"]["note"]
    assert "failed" in by_id["voice"]["note"]
    assert "column 'text' missing" in by_id["voice"]["note"]
    for s in report["sections"]:
        if not s["available"]:
            assert s["note"]
            assert "\n" not in s["note"]
    html = render_html(report)
    md = render_markdown(report)
    assert "no leads table configured" in html
    assert "no leads table configured" in md


def test_report_is_plain_json_data(report: dict) -> None:
    assert json.loads(json.dumps(report)) == report


def test_held_out_metrics_lead_the_backtest(report: dict) -> None:
    backtest = next(s for s in report["sections"] if s["id"] == "backtest")
    assert backtest["available"]
    assert "AUC 0.81 on held-out data (random split)" in backtest["paragraphs"][0]
    assert {c["id"] for c in backtest["charts"]} >= {"backtest-tiers", "backtest-lift"}
    kpis = {k["label"]: k["value"] for k in report["summary"]["kpis"]}
    assert kpis["held-out AUC"] == "0.81"
    assert kpis["successes in tiers A+B"] == "70%"


def test_html_is_self_contained_and_escaped(report: dict) -> None:
    html = render_html(report)
    assert EVIL not in html  # the segment name and bin value are data, not markup
    assert "&lt;script&gt;" in html
    assert "<script" not in html.lower()
    # nothing to fetch: no external stylesheet, script, font, image or link target
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "@import" not in html
    assert "url(" not in html
    assert html.count("<svg") == len(re.findall(r'data-chart="', html))
    assert 'data-chart="summary-tiers"' in html


def test_markdown_twin_has_the_same_sections(report: dict) -> None:
    md = render_markdown(report)
    for s in report["sections"]:
        assert f"## {s['title']}" in md
    assert "| attribute | group |" in md
    assert "\n\n\n" not in md


def test_chart_text_is_escaped() -> None:
    svg = render_chart(
        {"id": "x", "type": "bars", "title": EVIL, "items": [{"label": EVIL, "value": 1}]}
    )
    assert "<script" not in svg
    assert svg.startswith('<svg data-chart="x"')


@pytest.mark.parametrize("kind", ["bars", "columns", "calibration", "stacked"])
def test_every_chart_type_draws(kind: str) -> None:
    chart = {
        "id": kind,
        "type": kind,
        "title": kind,
        "items": [
            {"label": "a", "value": 0.5, "x": 0.2, "y": 0.3},
            {"label": "b", "value": 0.1, "x": 0.4, "y": 0.35},
        ],
        "rows": [{"label": "r", "parts": [["A", 2], ["D", 3]]}],
    }
    svg = render_chart(chart)
    assert f'data-chart="{kind}"' in svg
    assert "data-bar=" in svg


def test_write_report_by_suffix(tmp_path: Path, report: dict) -> None:
    for suffix in ("html", "md", "json"):
        path = write_report(report, tmp_path / f"r.{suffix}")
        assert path.stat().st_size > 500
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["title"] == report["title"]
    with pytest.raises(ConfigError, match=r"\.html, \.md, \.json or \.pdf"):
        write_report(report, tmp_path / "r.docx")
    assert not (tmp_path / "r.docx").exists()


def test_empty_report_still_renders() -> None:
    report = build_report({})
    assert all(not s["available"] for s in report["sections"] if s["id"] != "usage")
    html = render_html(report)
    assert "No profile yet" in html
    assert render_markdown(report).startswith("# ")


def test_an_unexpected_result_shape_loses_one_section_not_the_report() -> None:
    odd = {**VALUES, "market": {"summary": {"by_tier": {"A": "not a dict"}}, "table": []}}
    report = build_report(odd)
    by_id = {s["id"]: s for s in report["sections"]}
    assert not by_id["market"]["available"]
    assert by_id["market"]["note"].startswith("Could not be drawn: AttributeError")
    assert by_id["points"]["available"]
    assert "Could not" not in render_html(report).split('id="market"')[0]


def test_small_data_caveat_is_shown_at_the_top() -> None:
    metrics = dict(PROFILE.metrics or {})
    metrics["held_out"] = {
        **metrics["held_out"],
        "reliability": {"verdict": "indicative", "reason": "55 of the rarer outcome"},
    }
    report = build_report({**VALUES, "profile": PROFILE.model_copy(update={"metrics": metrics})})
    assert report["summary"]["caveat"] == (
        "Reliability of these numbers: indicative (55 of the rarer outcome)."
    )
    assert "indicative (55 of the rarer outcome)" in render_html(report).split('id="silhouette"')[0]
    assert build_report(VALUES)["summary"]["caveat"] is None


def test_markdown_escapes_html_from_the_data(report: dict) -> None:
    md = render_markdown(report)
    # Code fences (the text charts) show their content literally; everywhere else raw
    # HTML in Markdown runs when the page is rendered, so it must be escaped.
    prose = re.sub(r"```.*?```", "", md, flags=re.DOTALL)
    assert "<script>" not in prose
    assert "&lt;script&gt;" in prose


def test_expected_counts_read_as_whole_records() -> None:
    from icpkit.qualitywords import staleness_sentence

    def said(n: float) -> str:
        stale = {"expected_stale_today": n, "decay_per_month": 0.03, "column": "last_verified"}
        return staleness_sentence({**stale, "median_age_months": 3, "today": "2026-01-31"})

    assert "about 14 records are stale" in said(14.3)  # not "14.3 records are stale"
    assert "about 1 record is stale" in said(1.2)
    assert "about 0 records are stale" in said(0.0)


def _lookalike_stage() -> dict:
    """What the workspace's lookalike stage keeps, run on a small universe and CRM."""
    from types import SimpleNamespace

    import pandas as pd
    import pyarrow as pa

    from icpkit.workspace._analytics import _lookalike

    acc = pd.DataFrame(
        {
            "account_id": [f"a{i}" for i in range(6)],
            "name": [f"Customer {i}" for i in range(6)],
            "domain": [f"c{i}.com" for i in range(6)],
            "industry": ["Software"] * 4 + ["Other"] * 2,
            "won": [True] * 4 + [False] * 2,
        }
    )
    uni = pd.DataFrame(
        {
            "company_id": [f"u{i}" for i in range(30)],
            "name": [f"Prospect {i} {EVIL}" for i in range(30)],
            "domain": [f"p{i}.com" for i in range(30)],
            "industry": ["Software", "Other"] * 15,
        }
    )
    values = {
        "profile": PROFILE,
        "universe": pa.Table.from_pandas(uni),
        "accounts": pa.Table.from_pandas(acc),
    }
    return _lookalike(SimpleNamespace(get=values.get, results={}))


def test_market_section_lists_the_lookalikes_the_stage_found() -> None:
    out = _lookalike_stage()
    names = out["lookalikes_table"].column("name").to_pylist()
    report = build_report({**VALUES, "lookalikes": out["lookalikes"]})
    market = next(s for s in report["sections"] if s["id"] == "market")
    assert market["available"]
    line = next(p for p in market["paragraphs"] if p.startswith("Companies like"))
    assert f"{len(names)} companies in the market" in line
    assert "your 4 best customers" in line
    assert "lookalikes.csv" in line
    shown = next(t for t in market["tables"] if t.get("id") == "lookalikes")
    assert shown["columns"] == [
        "company",
        "similarity",
        "fit score",
        "tier",
        "nearest best customers",
        "traits shared",
    ]
    assert [r[0] for r in shown["rows"]] == names[:10]
    assert all("Customer" in r[4] and "Software" in r[5] for r in shown["rows"])
    html, md = render_html(report), render_markdown(report)
    assert "Companies like your best customers" in html
    assert "lookalikes.csv" in md
    assert EVIL not in html
    assert "Prospect 0" in html


def test_no_lookalike_part_without_lookalikes(report: dict) -> None:
    market = next(s for s in report["sections"] if s["id"] == "market")
    assert not any(t.get("id") == "lookalikes" for t in market["tables"])
    assert "lookalikes.csv" not in json.dumps(report)
