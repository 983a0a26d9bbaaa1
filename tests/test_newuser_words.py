"""What a new user reads from `icp`, checked line by line (issue: "make what users read true").

Found by running discover, evaluate, run, funnel and drift on the synthetic world and the real
datasets: counts without thousands separators ("hold-out of 2310 rows"), money as raw floats
("2809400.0"), nested brackets ("Held-out (5-fold cross-validation (small data))"), the
in-sample reason said twice, skipped inputs said twice, leads called "accounts", and an error
naming the internal column ``is_success`` instead of the success the user defined.
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
from pathlib import Path
from unittest import mock

import pandas as pd
import pytest
import yaml

from icpkit.evaluate import reliability
from icpkit.profile import Profile


def _run_cli(*argv: object, width: int = 200) -> tuple[int, str, str]:
    """`icp ...` in process at a fixed terminal width: (exit code, stdout, stderr)."""
    from icpkit.cli import _app, main

    out, err = io.StringIO(), io.StringIO()
    widths = _app.out.width, _app.err.width
    _app.out.width = _app.err.width = width
    try:
        with (
            mock.patch.object(sys, "argv", ["icp", *map(str, argv)]),
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
            pytest.raises(SystemExit) as done,
        ):
            main()
    finally:
        _app.out.width, _app.err.width = widths
    code = done.value.code if isinstance(done.value.code, int) else 0
    return code, out.getvalue(), err.getvalue()


# ----------------------------------------------------------------------------- numbers, brackets


def test_reliability_counts_carry_thousands_separators() -> None:
    why = reliability(9240, 3561, 0.9)["reason"]
    assert why == "3,561 successes and 5,679 failures"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5-fold cross-validation (small data)", "5-fold cross-validation, small data"),
        (
            "random stratified hold-out of 2310 rows (25%)",
            "random stratified hold-out of 2,310 rows, 25%",
        ),
        (
            "time-based: trained on rows before 2023-09-30 00:00:00, tested on the later 1750 rows",
            "time-based: trained on rows before 2023-09-30 00:00:00, tested on the later 1,750 rows",
        ),
    ],
)
def test_an_aside_has_no_brackets_of_its_own_and_counts_read_as_counts(
    text: str, expected: str
) -> None:
    from icpkit.phrases import aside

    assert aside(text) == expected


def test_report_backtest_headline_has_no_nested_brackets() -> None:
    from icpkit.report._model_sections import backtest_section

    section = backtest_section(
        {"auc": 0.81, "validation": "5-fold cross-validation (small data)"}, "unused"
    )
    head = section["paragraphs"][0]
    assert "(5-fold cross-validation, small data)" in head
    assert not re.search(r"\([^()]*\(", head), head


# ----------------------------------------------------------------------------- discover on leads


@pytest.fixture(scope="module")
def leads_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, Path]:
    """discover on leads (closed ones, converted or not), no dates: a random hold-out."""
    from icpkit.synth import generate

    tmp = tmp_path_factory.mktemp("leads")
    generate(tmp / "w", n_accounts=3000, seed=11)
    leads = pd.read_csv(tmp / "w" / "leads.csv")
    closed = leads[leads["Lead Status"].str.startswith("Closed")].copy()
    closed["Converted"] = (closed["Lead Status"] == "Closed - Converted").astype(int)
    keep = ["Lead ID", "Title", "Lead Source", "Industry", "No. of Employees", "Country"]
    path = tmp / "closed_leads.csv"
    closed[[*keep, "Converted"]].to_csv(path, index=False)
    profile = tmp / "icp.yaml"
    code, text, err = _run_cli("discover", path, "--target", "Converted", "-o", profile)
    assert code == 0, err
    return text, path, profile


def test_discover_on_leads_calls_them_leads(leads_run: tuple[str, Path, Path]) -> None:
    text, _, profile = leads_run
    from icpkit.profile import load_profile

    headline = text.splitlines()[0]
    assert re.search(r"; such leads \(\d[\d,]*, \d+% successful\)", headline), headline
    assert "accounts" not in text, [ln for ln in text.splitlines() if "accounts" in ln]
    # the saved headline says the same (the report and `icp explain` quote it)
    assert "such leads (" in str(load_profile(profile).silhouette)


def test_discover_held_out_line_reads_cleanly(leads_run: tuple[str, Path, Path]) -> None:
    text, _, _ = leads_run
    line = next(ln for ln in text.splitlines() if ln.startswith("Held-out"))
    assert not re.search(r"\([^()]*\(", line), line  # no bracket inside a bracket
    for n in re.findall(r"(?<![\d.,-])\d{4,}(?![\d.%-])", line):
        pytest.fail(f"{n} without thousands separators in: {line}")


def test_evaluate_on_training_rows_says_the_in_sample_reason_once(
    leads_run: tuple[str, Path, Path],
) -> None:
    _, data, profile = leads_run
    code, text, err = _run_cli("evaluate", data, "--profile", profile, "--target", "Converted")
    assert code == 0, err
    assert text.startswith("IN-SAMPLE:")
    assert text.count("the figures flatter it") == 1, text[:600]
    # and the units follow the data there too
    assert "accounts" not in text


def test_best_customers_show_money_as_money_and_headers_in_words(
    tmp_path: Path, world_dir: Path
) -> None:
    code, text, err = _run_cli(
        "discover", world_dir / "training.csv", "--target", "IsWon", "-o", tmp_path / "p.yaml"
    )
    assert code == 0, err
    part = text[text.index("Best customers") :].splitlines()
    header = next(ln for ln in part if ln.startswith("┃"))
    assert "ltv" not in header, header
    assert "icp_score" not in header, header
    assert "lifetime value" in header
    rows = [ln for ln in part if ln.startswith("│")]
    assert rows
    for row in rows:
        assert not re.search(r"\d\.0\b", row), row  # no raw floats like 2809400.0
        assert re.search(r"\$\d", row), row


# ----------------------------------------------------------------------------- the workspace


def _workspace(root: Path) -> Path:
    from test_workspace import make_workspace

    return make_workspace(root)


def test_run_says_each_skipped_input_once(tmp_path: Path) -> None:
    ws = _workspace(tmp_path / "ws")
    code, _, err = _run_cli("run", ws)
    assert code == 0, err
    # 'no leads table configured' (funnel) already says what intake:leads would say again
    assert "intake:leads" not in err, err
    assert "no leads table configured" in err
    lines = [ln.split("s ", 1)[-1].strip() for ln in err.splitlines() if "–" in ln]
    assert len(lines) == len(set(lines)), lines


def test_a_failed_discover_names_the_success_in_the_users_words(tmp_path: Path) -> None:
    """crm_sales: every account has a won deal, and the error said column 'is_success'."""
    ws = _workspace(tmp_path / "ws")
    cfg = yaml.safe_load((ws / "icp.yaml").read_text(encoding="utf-8"))
    del cfg["options"]["profile"]  # learn it
    (ws / "icp.yaml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
    deals = ws / "data" / "deals.csv"
    deals.write_text(deals.read_text().replace("Closed Lost", "Closed Won"), encoding="utf-8")
    code, _, err = _run_cli("run", ws)
    assert code == 2
    line = err.strip().splitlines()[-1]
    assert "is_success" not in line, line
    assert "won deal" in line, line


# ----------------------------------------------------------------------------- a missing column

FIX = Path(__file__).parent / "fixtures" / "analytics"
# employees in fixtures/analytics/profile.yaml: best bin 30 over 5 for a missing value, plus
# the 20-point segment "Mid-market software" that needs it: 45 points at stake.
STAKE = 30 - 5 + 20


def _accounts(tmp_path: Path) -> tuple[Path, Path]:
    """(accounts without an employees column, the same with every employees value blank)."""
    rows = []
    for i in range(60):
        industry = ("Software", "Education", "Retail")[i % 3]
        rows.append(
            {
                "account_id": f"a{i}",
                "name": f"Company {i}",
                "industry": industry,
                "employees": (i * 37) % 2000,
                "IsWon": "true" if industry == "Software" or i % 5 == 0 else "false",
            }
        )
    frame = pd.DataFrame(rows)
    lacking, blank = tmp_path / "lacking.csv", tmp_path / "blank.csv"
    frame.drop(columns=["employees"]).to_csv(lacking, index=False)
    frame.assign(employees=None).to_csv(blank, index=False)
    return lacking, blank


def _one_warning(err: str, where: str) -> None:
    lines = [ln for ln in err.splitlines() if ln.startswith("warning:")]
    assert lines == [
        f"warning: {where} has no column for employees ('employees'): every row is scored as "
        f"missing it (up to {STAKE} points at stake, so tiers may be understated)"
    ], err


def test_evaluate_scores_a_missing_column_as_missing(tmp_path: Path) -> None:
    lacking, blank = _accounts(tmp_path)
    profile = FIX / "profile.yaml"
    code, lacked, err = _run_cli("evaluate", lacking, "--profile", profile, "--json")
    assert code == 0, err
    code, given, err = _run_cli("evaluate", blank, "--profile", profile, "--json")
    assert code == 0, err
    import json

    lacked_m, given_m = json.loads(lacked), json.loads(given)
    assert lacked_m["tiers"] == given_m["tiers"]
    assert lacked_m["auc"] == given_m["auc"]
    assert [g["column"] for g in lacked_m["missing_columns"]] == ["employees"]
    assert given_m["missing_columns"] == []
    code, _, err = _run_cli("evaluate", lacking, "--profile", profile)
    assert code == 0, err
    _one_warning(err, "the input")


def test_drift_scores_a_missing_column_as_missing(tmp_path: Path) -> None:
    lacking, blank = _accounts(tmp_path)
    profile = FIX / "profile.yaml"
    code, text, err = _run_cli("drift", "--profile", profile, "--before", blank, "--after", lacking)
    assert code == 0, err
    _one_warning(err, "the later table")
    assert "Population drift" in text


def test_funnel_scores_leads_missing_a_column_as_missing(tmp_path: Path) -> None:
    leads = pd.read_csv(FIX / "leads.csv")
    lacking, blank = tmp_path / "leads.csv", tmp_path / "blank.csv"
    leads.drop(columns=["employees"]).to_csv(lacking, index=False)
    leads.assign(employees=None).to_csv(blank, index=False)
    profile = FIX / "profile.yaml"
    code, lacked, err = _run_cli("funnel", lacking, "--profile", profile, "--json")
    assert code == 0, err
    code, given, err2 = _run_cli("funnel", blank, "--profile", profile, "--json")
    assert code == 0, err2
    import json

    assert json.loads(lacked)["table"] == json.loads(given)["table"]
    code, _, err = _run_cli("funnel", lacking, "--profile", profile)
    assert code == 0, err
    _one_warning(err, "the leads table")


def test_score_in_a_database_scores_a_missing_column_as_missing(tmp_path: Path) -> None:
    import duckdb

    lacking, blank = _accounts(tmp_path)
    profile = FIX / "profile.yaml"
    code, _, err = _run_cli("score", blank, "--profile", profile, "-o", tmp_path / "file.csv")
    assert code == 0, err
    db = tmp_path / "crm.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute(f"CREATE TABLE accounts AS SELECT * FROM read_csv_auto('{lacking}')")
    code, _, err = _run_cli("score", "--db", db, "--table", "accounts", "--profile", profile)
    assert code == 0, err
    _one_warning(err, "the table 'accounts'")
    with duckdb.connect(str(db)) as con:
        in_db = con.execute(
            "SELECT account_id, icp_score, icp_tier FROM accounts_scored ORDER BY account_id"
        ).fetchall()
        assert "employees" not in [r[0] for r in con.execute("DESCRIBE accounts_scored").fetchall()]
    from_file = pd.read_csv(tmp_path / "file.csv").sort_values("account_id")
    assert [(a, int(s), t) for a, s, t in in_db] == list(
        from_file[["account_id", "icp_score", "icp_tier"]].itertuples(index=False, name=None)
    )


def test_score_of_a_file_says_the_same_warning(tmp_path: Path) -> None:
    lacking, _ = _accounts(tmp_path)
    code, _, err = _run_cli(
        "score", lacking, "--profile", FIX / "profile.yaml", "-o", tmp_path / "s.csv"
    )
    assert code == 0, err
    _one_warning(err, "the input")


def test_a_table_with_none_of_the_columns_is_refused_in_one_line(tmp_path: Path) -> None:
    other = tmp_path / "other.csv"
    other.write_text("colour,IsWon\nred,true\nblue,false\n", encoding="utf-8")
    code, _, err = _run_cli("evaluate", other, "--profile", FIX / "profile.yaml")
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert "none of the columns the profile reads" in err


def test_score_in_postgresql_scores_a_missing_column_as_missing(
    tmp_path: Path, postgres_url: str
) -> None:
    """The filling CTE in PostgreSQL's dialect (CAST(NULL AS DOUBLE PRECISION) ...)."""
    import psycopg

    from icpkit.indb import score_in_db
    from icpkit.profile import load_profile

    lacking, blank = _accounts(tmp_path)
    profile = load_profile(FIX / "profile.yaml")
    code, _, err = _run_cli(
        "score", blank, "--profile", FIX / "profile.yaml", "-o", tmp_path / "file.csv"
    )
    assert code == 0, err
    frame = pd.read_csv(lacking)
    with psycopg.connect(postgres_url, autocommit=True) as con:
        con.execute("DROP TABLE IF EXISTS lacking")
        con.execute("CREATE TABLE lacking (account_id text, name text, industry text, IsWon text)")
        with con.cursor() as cur:
            cur.executemany(
                "INSERT INTO lacking VALUES (%s, %s, %s, %s)",
                [tuple(map(str, r)) for r in frame.itertuples(index=False)],
            )
        report = score_in_db(con, "lacking", profile, into="lacking_scored", replace=True)
        got = con.execute(
            "SELECT account_id, icp_score, icp_tier FROM lacking_scored ORDER BY account_id"
        ).fetchall()
    assert report["missing_columns"] == ["employees"]
    assert f"up to {STAKE} points at stake" in report["gaps"][0]["warning"]
    from_file = pd.read_csv(tmp_path / "file.csv").sort_values("account_id")
    assert [(a, int(s), t) for a, s, t in got] == list(
        from_file[["account_id", "icp_score", "icp_tier"]].itertuples(index=False, name=None)
    )


# ----------------------------------------------------------------------------- funnel, drift tables


def _header_cells(text: str) -> list[list[str]]:
    """Each table's header, one list of cell texts per table (wrapped lines joined)."""
    tables, current = [], None
    for line in text.splitlines():
        if line.startswith("┏"):
            current = []
        elif line.startswith("┃") and current is not None:
            cells = [c.strip() for c in line.split("┃")[1:-1]]
            current = (
                cells
                if not current
                else [f"{a} {b}".strip() for a, b in zip(current, cells, strict=True)]
            )
        elif line.startswith("┡") and current is not None:
            tables.append(current)
            current = None
    return tables


def test_funnel_fits_a_terminal_and_breaks_no_word() -> None:
    code, text, err = _run_cli(
        "funnel", FIX / "leads.csv", "--profile", FIX / "profile.yaml", width=80
    )
    assert code == 0, err
    assert max(len(line) for line in text.splitlines()) <= 80
    headers = [c for t in _header_cells(text) for c in t]
    words = {w for h in headers for w in h.split()}
    known = {"tier", "leads", "share", "MQL", "SQL", "opportunity", "won", "lead", "→", "win"}
    known |= {"rate", "median", "cycle", "days", "mean", "ACV"}
    assert words <= known, words - known
    assert "opportunity → won" not in headers  # the win rate under another name, shown once
    assert "win rate" in headers
    for line in text.splitlines():
        if line.startswith("│"):
            assert not re.search(r"\d,\d{0,2}\s*│", line), line  # no '1,3' cut from '1,321'


def test_population_drift_names_attributes_and_shows_shares_as_percentages(
    tmp_path: Path, world_dir: Path
) -> None:
    train = pd.read_csv(world_dir / "training.csv")
    before, after = tmp_path / "q1.csv", tmp_path / "q2.csv"
    train.iloc[:1500].to_csv(before, index=False)
    train.iloc[1500:].to_csv(after, index=False)
    profile = tmp_path / "p.yaml"
    code, _, err = _run_cli("discover", world_dir / "training.csv", "-t", "IsWon", "-o", profile)
    assert code == 0, err
    code, text, err = _run_cli("drift", "--profile", profile, "--before", before, "--after", after)
    assert code == 0, err
    rows = [[c.strip() for c in ln.split("│")[1:-1]] for ln in text.splitlines() if ln[:1] == "│"]
    names = {r[1] for r in rows if r[0] == "attribute"}
    assert names
    assert not {n for n in names if "_" in n}, names  # business names, never column names
    assert "monthly cloud spend" in names
    shares = [r for r in rows if r[0] in ("tier share", "success rate")]
    assert shares
    for r in shares:
        assert re.fullmatch(r"\d+\.\d%", r[2]), r
        assert re.fullmatch(r"[+-]\d+\.\d pts", r[4]), r
    assert "attribute psi" not in text  # the table has them; the summary no longer repeats them


def test_explain_and_evaluate_tables_count_with_separators(
    leads_run: tuple[str, Path, Path],
) -> None:
    _, data, profile = leads_run
    bare = re.compile(r"│\s*\d{4,}\s*│")  # a count cell such as '│ 1258 │'
    code, text, err = _run_cli("explain", profile)
    assert code == 0, err
    counts = [ln for ln in text.splitlines() if re.search(r"│\s*\d{1,3}(,\d{3})+\s*│", ln)]
    assert counts, "no count of 1,000 or more to check"
    assert not [ln for ln in text.splitlines() if bare.search(ln)]
    code, text, err = _run_cli("evaluate", data, "--profile", profile)
    assert code == 0, err
    assert not [ln for ln in text.splitlines() if bare.search(ln)]


def test_rules_show_money_as_money() -> None:
    from icpkit.explain import describe_rule
    from icpkit.profile import Condition

    rule = [
        Condition(attribute="cloud_spend", ge=30600),
        Condition(attribute="funding_total", ge=3_800_000),
        Condition(attribute="employees", ge=200, lt=5000),
    ]
    assert describe_rule(rule) == (
        "monthly cloud spend $30.6k or more and total funding $3.8M or more and "
        "employees 200 to 5,000"
    )


def test_report_quality_and_funnel_prose_use_business_words() -> None:
    from icpkit.report._analytics_sections import _quality_bullets, funnel_section, quality_section

    bullets = _quality_bullets({"profile_low_fill": ["funding_total", "last_funding_type"]})
    assert bullets == [
        "Attributes the score depends on with fill below 80%: total funding, last funding round."
    ]
    summary = {
        "rows": 3000,
        "mean_fill_rate": 0.92,
        "profile_fill": [{"column": "funding_total", "fill_rate": 0.44, "low_fill": True}],
        "staleness": {
            "column": "last_verified",
            "decay_per_month": 0.03,
            "median_age_months": 23.8,
            "expected_stale_today": 1583,
            "expected_stale_in_90_days": 1705,
            "today": "2025-06-30",
        },
    }
    section = quality_section({"summary": summary}, "")
    text = " ".join(section["paragraphs"])
    assert [i["label"] for i in section["charts"][0]["items"]] == ["total funding"]
    assert "last_verified" not in text
    assert "(from the last verified date; median age" in text
    from icpkit.funnel import funnel_by_tier

    _, funnel = funnel_by_tier(FIX / "leads.csv", load_profile_fixture())
    paragraph = funnel_section({"summary": funnel, "table": [{"tier": "A", "leads": 1}]}, "")[
        "paragraphs"
    ][0]
    assert "mql_date" not in paragraph
    assert "Stages from the stage dates (MQL, SQL, opportunity, won)." in paragraph


def load_profile_fixture() -> Profile:
    from icpkit.profile import load_profile

    return load_profile(FIX / "profile.yaml")


@pytest.mark.parametrize(
    ("kind", "one", "many"),
    [("leads", "lead", "leads"), ("deals", "opportunity", "opportunities"), ("x", "", "")],
)
def test_headline_nouns_follow_the_table_kind(kind: str, one: str, many: str) -> None:
    from icpkit.explain import unit_noun, with_unit
    from icpkit.profile import profile_from_dict

    profile = profile_from_dict(
        {
            "attributes": [
                {
                    "name": "source",
                    "kind": "categorical",
                    "bins": [{"values": ["Web"], "points": 5}],
                }
            ],
            "metrics": {
                "silhouette": {
                    "conditions": [{"attribute": "source", "in": ["Web"]}],
                    "size": 1200,
                    "success_rate": 0.5,
                    "lift": 2.0,
                }
            },
            "silhouette": "learned",
        }
    )
    worded = with_unit(profile, kind)
    if not one:  # an accounts table (or an unknown kind) keeps the words it had
        assert unit_noun(worded) == "accounts"
        assert worded.silhouette == "learned"
        return
    assert unit_noun(worded) == many
    assert str(worded.silhouette).startswith(f"Our ideal {one} is one ")
    assert f"; such {many} (1,200, 50% successful)" in str(worded.silhouette)


def test_bad_output_name_is_one_line_with_no_blank_line_before(tmp_path: Path) -> None:
    code, _, err = _run_cli(
        "score",
        FIX / "crm_accounts.csv",
        "--profile",
        FIX / "profile.yaml",
        "-o",
        tmp_path / "x.txt",
    )
    assert code == 2
    assert err.splitlines() == [
        f"error: {tmp_path / 'x.txt'}: cannot write '.txt'. Name the output .csv or .parquet"
    ]


def test_funnel_without_a_profile_says_what_to_give() -> None:
    code, _, err = _run_cli("funnel", FIX / "leads.csv")
    assert code == 2
    assert len(err.splitlines()) == 1
    assert "Give --profile" in err


def test_report_funnel_table_names_every_conversion_and_shows_acv_as_money() -> None:
    from icpkit.funnel import funnel_by_tier
    from icpkit.report._analytics_sections import funnel_section

    table, summary = funnel_by_tier(FIX / "leads.csv", load_profile_fixture(), deals=None)
    rows = table.to_dict("records")
    section = funnel_section({"summary": summary, "table": rows}, "")
    grid = section["tables"][0]
    assert grid["columns"][3] == "lead → MQL"  # was '→ MQL'
    acv = [r[-1] for r in grid["rows"] if r[-1] != "–"]
    assert acv
    assert all(a.startswith("$") for a in acv), acv


def test_in_sample_figures_are_labelled(leads_run: tuple[str, Path, Path]) -> None:
    text, _, profile = leads_run
    assert "What best customers share (top attributes; in-sample figures)" in text
    code, explained, err = _run_cli("explain", profile)
    assert code == 0, err
    assert "Points table (rows and success rates: the learning rows, in-sample)" in explained


def test_run_takes_the_success_column_as_the_export_spells_it(tmp_path: Path) -> None:
    """`icp init --target Renewed` wrote what the user saw in the file; intake names it
    'renewed', and the run said "no such column ... Did you mean 'renewed'?"."""
    ws = _workspace(tmp_path / "ws")
    lines = ["Account ID,Renewed"] + [f"A{i:03d},{'Yes' if i % 3 else 'No'}" for i in range(80)]
    (ws / "data" / "outcomes.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    cfg = yaml.safe_load((ws / "icp.yaml").read_text(encoding="utf-8"))
    cfg["tables"]["outcomes"] = {"path": "data/outcomes.csv"}
    cfg["success"]["target"] = "Renewed"
    (ws / "icp.yaml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
    code, _, err = _run_cli("run", ws, "--json")
    assert code == 0, err
    from icpkit.workspace import load_report

    success = load_report(ws)["sections"]
    text = " ".join(" ".join(s.get("paragraphs") or []) for s in success if s["id"] == "success")
    assert "53 of 80 accounts succeeded" in text, text  # i % 3 != 0 for 53 of 0..79


def test_segment_reasons_agree_in_number() -> None:
    from icpkit.explain import segment_why

    assert segment_why("bonus", 1) == "adds +1 point on top of the points table"
    assert segment_why("bonus", 10) == "adds +10 points on top of the points table"
    assert segment_why("correction", -1).startswith("-1 point: ")


def test_committee_still_prints_its_contacts_to_add() -> None:
    """Its summary has a 'gaps' entry of its own (contacts to add), not missing columns."""
    code, text, err = _run_cli(
        "committee",
        FIX / "committee_contacts.csv",
        "--deals",
        FIX / "committee_deals.csv",
        "--roles",
        FIX / "committee_roles.csv",
    )
    assert code == 0, err
    assert "Buying committee" in text
    assert "Traceback" not in err
