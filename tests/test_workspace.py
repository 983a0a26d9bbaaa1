"""The workspace: icp.yaml, `icp run` stages, cache, run store, drift between runs, failures."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from icpkit.errors import ConfigError, IcpError
from icpkit.profile import load_profile
from icpkit.workspace import (
    RunError,
    RunStore,
    init_workspace,
    load_config,
    load_report,
    run_workspace,
)

ICP = str(Path(sys.executable).with_name("icp"))

INDUSTRIES = ["Software", "Retail", "Education", "Manufacturing"]

PROFILE = {
    "name": "Test ICP",
    "intercept": 20,
    "attributes": [
        {
            "name": "industry",
            "kind": "categorical",
            "bins": [
                {"values": ["Software"], "points": 40, "count": 30, "success_rate": 0.6},
                {"values": ["Retail", "Manufacturing"], "points": 10, "success_rate": 0.2},
                {"values": ["Education"], "points": -20, "success_rate": 0.02},
            ],
        },
        {
            "name": "employees",
            "kind": "numeric",
            "bins": [
                {"upper": 50, "points": 0, "success_rate": 0.05},
                {"lower": 50, "upper": 5000, "points": 30, "success_rate": 0.4},
                {"lower": 5000, "points": 10, "success_rate": 0.2},
            ],
        },
    ],
    "segments": [
        {
            "name": "Mid-market software <b>",
            "conditions": [{"attribute": "industry", "in": ["Software"]}],
            "size": 30,
            "success_rate": 0.6,
            "lift": 2.5,
        }
    ],
    "disqualifiers": [
        {"name": "Education", "conditions": [{"attribute": "industry", "in": ["Education"]}]}
    ],
}


def write_accounts(path: Path, n: int = 80, shift: int = 0) -> None:
    lines = ["account_id,name,domain,industry,employees,country"]
    for i in range(n):
        industry = INDUSTRIES[(i + shift) % len(INDUSTRIES)]
        lines.append(f"A{i:03d},Company {i},c{i}.com,{industry},{(i * 97) % 9000 + 5},US")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_deals(path: Path, n: int = 80) -> None:
    lines = ["deal_id,account_id,stage,amount"]
    for i in range(n):
        won = INDUSTRIES[i % 4] == "Software" or i % 7 == 0
        lines.append(f"D{i:03d},A{i:03d},{'Closed Won' if won else 'Closed Lost'},{1000 + i}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def make_workspace(root: Path) -> Path:
    """A small workspace with a hand-written profile (no learning: fast and exact)."""
    data = root / "data"
    data.mkdir(parents=True)
    write_accounts(data / "accounts.csv")
    write_deals(data / "deals.csv")
    (root / "profile.yaml").write_text(yaml.safe_dump(PROFILE), encoding="utf-8")
    init_workspace(
        root,
        tables={"accounts": "data/accounts.csv", "deals": "data/deals.csv"},
        target="won",
        name="Test",
    )
    cfg = yaml.safe_load((root / "icp.yaml").read_text(encoding="utf-8"))
    cfg["options"]["profile"] = "profile.yaml"
    (root / "icp.yaml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
    return root


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return make_workspace(tmp_path / "ws")


def statuses(result) -> dict[str, str]:
    return {s.name: s.status for s in result.stages}


# ----------------------------------------------------------------------------- config


def test_init_writes_commented_config_that_loads(tmp_path: Path) -> None:
    path = init_workspace(tmp_path / "new", tables={"accounts": "a.csv"}, universe="u.parquet")
    text = path.read_text(encoding="utf-8")
    assert text.count("#") > 10  # explained, not bare
    for key in ("tables:", "success:", "universe:", "options:", "mapping"):
        assert key in text
    cfg = load_config(tmp_path / "new")
    assert cfg.tables["accounts"].path == "a.csv"
    assert cfg.universe is not None
    assert cfg.universe.path == "u.parquet"


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    init_workspace(tmp_path, tables={"accounts": "a.csv"})
    with pytest.raises(ConfigError, match="already exists"):
        init_workspace(tmp_path, tables={"accounts": "a.csv"})
    init_workspace(tmp_path, tables={"accounts": "b.csv"}, force=True)
    assert load_config(tmp_path).tables["accounts"].path == "b.csv"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tables:\n  acounts: {path: a.csv}\n", "Did you mean 'accounts'"),
        ("tables: {}\n", "tables.accounts is required"),
        ("tables:\n  accounts: {}\n", "exactly one of: path"),
        ("tables:\n  accounts: {path: a.csv}\nsucess: {}\n", "sucess"),
        ("tables: [unclosed\n", "not valid YAML"),
        (
            "tables:\n  accounts: {path: a.csv}\nsuccess: {table: deals}\n",
            "tables.deals is not configured",
        ),
    ],
)
def test_bad_config_is_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "icp.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as info:
        load_config(tmp_path)
    assert "\n" not in str(info.value)
    assert "icp.yaml" in str(info.value)


def test_missing_workspace_says_run_init(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="icp init"):
        load_config(tmp_path)


# ----------------------------------------------------------------------------- run


def test_run_records_scores_and_writes_report(ws: Path) -> None:
    result = run_workspace(ws)
    st = statuses(result)
    assert st["intake:accounts"] == "ok"
    assert st["intake:leads"] == "skipped"  # not configured: said, not hidden
    assert st["discover"] == "ok"  # the given profile
    assert st["score"] == "ok"
    assert st["drift"] == "skipped"
    for kind in ("html", "md", "json", "profile", "scores"):
        assert result.outputs[kind].is_file()
    with RunStore(ws / ".icp" / "runs.duckdb") as store:
        runs = store.runs()
        assert [r.status for r in runs] == ["ok"]
        scores = store.scores(runs[0].run_id).to_pandas()
    assert len(scores) == 80
    software = scores[scores["account_id"] == "A000"].iloc[0]  # Software, 5 employees
    assert software["score"] == 20 + 40 + 0
    assert software["segment"] == "Mid-market software <b>"
    education = scores[scores["account_id"] == "A002"].iloc[0]
    assert education["score"] <= 24
    assert education["tier"] == "D"
    assert runs[0].fingerprints.keys() == {"accounts", "deals"}
    report = json.loads(result.outputs["json"].read_text(encoding="utf-8"))
    assert report == load_report(ws) | {"run": report["run"]}


def test_rerun_on_unchanged_inputs_is_cached(ws: Path) -> None:
    first = run_workspace(ws)
    second = run_workspace(ws)
    cached = [s.name for s in second.stages if s.status == "cached"]
    assert {"intake:accounts", "intake:deals", "success", "discover", "score"} <= set(cached)
    assert second.run_id == first.run_id + 1
    # Same inputs, same scores.
    with RunStore(ws / ".icp" / "runs.duckdb") as store:
        a = store.scores(first.run_id).to_pylist()
        b = store.scores(second.run_id).to_pylist()
    assert a == b


def test_second_run_after_input_change_shows_drift(ws: Path) -> None:
    run_workspace(ws)
    write_accounts(ws / "data" / "accounts.csv", n=90, shift=1)  # new rows, industries moved
    result = run_workspace(ws)
    st = statuses(result)
    assert st["intake:accounts"] == "ok"  # re-read: the file changed
    assert st["intake:deals"] == "cached"
    assert st["drift"] == "ok"
    drift = result.report["sections"][[s["id"] for s in result.report["sections"]].index("drift")]
    assert drift["available"]
    assert "accounts" in " ".join(drift["paragraphs"])
    scores = next(s for s in result.stages if s.name == "drift")
    assert scores.status == "ok"
    data = json.loads((ws / "report" / "report.json").read_text(encoding="utf-8"))
    text = json.dumps(data)
    assert "changed tier" in text
    assert "10 new" in text


def test_failed_stage_names_stage_and_input_and_keeps_previous_run(ws: Path) -> None:
    run_workspace(ws)
    before = (ws / "report" / "report.html").read_bytes()
    cfg = yaml.safe_load((ws / "icp.yaml").read_text(encoding="utf-8"))
    cfg["success"]["target"] = "is_wonn"  # a typo in the success column
    cfg["success"]["table"] = "accounts"
    (ws / "icp.yaml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
    # Break the label: the accounts table has no such column, and deals are not used.
    with pytest.raises(RunError) as info:
        run_workspace(ws)
    assert info.value.stage == "success"
    assert "is_wonn" in str(info.value)
    assert "\n" not in str(info.value)
    assert (ws / "report" / "report.html").read_bytes() == before
    with RunStore(ws / ".icp" / "runs.duckdb") as store:
        runs = store.runs()
        assert [r.status for r in runs] == ["ok", "failed"]
        assert runs[1].stage == "success"
        assert store.scores(runs[0].run_id).num_rows == 80
        assert store.scores(runs[1].run_id).num_rows == 0
    assert load_report(ws)["run"]["run_id"] == 1


def test_missing_input_file_fails_before_any_work(ws: Path) -> None:
    (ws / "data" / "deals.csv").unlink()
    with pytest.raises(IcpError) as info:
        run_workspace(ws)
    assert "intake:deals" in str(info.value)
    assert "deals.csv" in str(info.value)


def test_optional_stage_failure_does_not_stop_the_run(ws: Path) -> None:
    cfg = yaml.safe_load((ws / "icp.yaml").read_text(encoding="utf-8"))
    cfg["tables"]["feedback"] = {"path": "data/accounts.csv"}  # not feedback at all
    (ws / "icp.yaml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
    result = run_workspace(ws)
    voice = next(s for s in result.stages if s.name == "voice")
    assert voice.status in {"failed", "skipped"}
    assert voice.message
    section = next(s for s in result.report["sections"] if s["id"] == "voice")
    assert not section["available"]
    assert section["note"]


# ----------------------------------------------------------------------------- CLI


def run_icp(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The real `icp` entry point in a subprocess (slow to start: used once)."""
    return subprocess.run(
        [ICP, *args], capture_output=True, text=True, cwd=cwd, timeout=300, check=False
    )


@pytest.fixture
def icp(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    """`icp ...` in process through the same main() (error handling included)."""
    from icpkit.cli import main

    def call(*args: str) -> subprocess.CompletedProcess[str]:
        monkeypatch.setattr(sys, "argv", ["icp", *args])
        capsys.readouterr()
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, out, err)

    return call


def test_cli_init_run_report_export(tmp_path: Path, icp) -> None:
    ws = make_workspace(tmp_path / "ws")
    (ws / "icp.yaml").unlink()
    done = icp(
        "init",
        str(ws),
        "--accounts",
        str(ws / "data" / "accounts.csv"),
        "--deals",
        str(ws / "data" / "deals.csv"),
    )
    assert done.returncode == 0, done.stderr
    assert "icp run" in done.stdout
    assert load_config(ws).tables["accounts"].path == "data/accounts.csv"  # relative
    done = icp("run", str(ws), "--json")
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert payload["run_id"] == 1
    assert Path(payload["outputs"]["html"]).is_file()
    done = icp("report", str(ws), "-o", str(tmp_path / "out.md"))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out.md").read_text(encoding="utf-8").startswith("# ")
    done = icp("report", str(ws), "--json")
    assert json.loads(done.stdout)["sections"][0]["id"] == "silhouette"
    done = icp("export", str(ws), "--for", "hubspot", "-o", str(tmp_path / "hs.csv"))
    assert done.returncode == 0, done.stderr
    header = (tmp_path / "hs.csv").read_text(encoding="utf-8").splitlines()[0]
    assert "hs_ideal_customer_profile" in header


def test_cli_run_with_a_single_won_deal_stops_in_discover_in_one_line(tmp_path: Path, icp) -> None:
    """Issue 15: one success died in scikit-learn (ValueError); through `icp run` it is the
    discover stage's one line."""
    ws = make_workspace(tmp_path / "ws")
    cfg = yaml.safe_load((ws / "icp.yaml").read_text(encoding="utf-8"))
    del cfg["options"]["profile"]  # learn the profile: the stage that met the error
    (ws / "icp.yaml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
    # Revenue often blank, as in real exports: the blank group made revenue look informative to
    # a fold with no success at all, and that fold reached scikit-learn.
    accounts = ws / "data" / "accounts.csv"
    rows = accounts.read_text(encoding="utf-8").splitlines()
    rows = [rows[0] + ",annual_revenue"] + [
        f"{row},{'' if i % 3 == 0 else (i * 7919) % 90_000_000}" for i, row in enumerate(rows[1:])
    ]
    accounts.write_text("\n".join(rows) + "\n", encoding="utf-8")
    deals = ws / "data" / "deals.csv"
    lines = deals.read_text(encoding="utf-8").splitlines()
    lines = [lines[0]] + [row.replace("Closed Won", "Closed Lost") for row in lines[1:]]
    lines[5] = lines[5].replace("Closed Lost", "Closed Won")
    deals.write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = icp("run", str(ws))
    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, done.stderr
    assert "stage 'discover' failed: only 1 success among 80 rows" in errors[0]
    assert "Traceback" not in done.stderr


def test_cli_run_says_1_attribute_not_1_attributes(tmp_path: Path, icp) -> None:
    """Issue 15 saw "1 attributes": a world where only the industry matters learns one."""
    ws = make_workspace(tmp_path / "ws")
    cfg = yaml.safe_load((ws / "icp.yaml").read_text(encoding="utf-8"))
    del cfg["options"]["profile"]  # learn it
    (ws / "icp.yaml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
    accounts = ["account_id,name,domain,industry,employees,country"]
    deals = ["deal_id,account_id,stage,amount"]
    for i in range(400):
        industry = INDUSTRIES[i % len(INDUSTRIES)]
        accounts.append(f"A{i:03d},Company {i},c{i}.com,{industry},100,US")
        won = industry == "Software" or i % 11 == 0
        deals.append(f"D{i:03d},A{i:03d},{'Closed Won' if won else 'Closed Lost'},1000")
    (ws / "data" / "accounts.csv").write_text("\n".join(accounts) + "\n", encoding="utf-8")
    (ws / "data" / "deals.csv").write_text("\n".join(deals) + "\n", encoding="utf-8")
    done = icp("run", str(ws), "--json")
    assert done.returncode == 0, done.stderr
    stages = {s["name"]: s for s in json.loads(done.stdout)["stages"]}
    profile = load_profile(ws / "report" / "profile.yaml")
    assert len(profile.attributes) == 1
    assert stages["discover"]["message"].startswith("1 attribute, ")
    n = len(profile.segments)
    assert stages["discover"]["message"] == f"1 attribute, {n} segment{'s' * (n != 1)}"


def test_cli_run_counts_cached_stages_in_words(tmp_path: Path, icp) -> None:
    """Issue 15 saw "1 stages cached": a changed accounts file leaves only the deals cached."""
    ws = make_workspace(tmp_path / "ws")
    assert icp("run", str(ws)).returncode == 0
    accounts = ws / "data" / "accounts.csv"
    accounts.write_text(accounts.read_text().replace("Software", "Software ", 1))
    done = icp("run", str(ws))
    assert done.returncode == 0, done.stderr
    assert "Run 2 done, 1 stage cached." in done.stdout
    done = icp("run", str(ws))
    assert re.search(r"Run 3 done, ([2-9]|\d\d+) stages cached\.", done.stdout), done.stdout


def test_cli_export_takes_the_crm_as_it_spells_itself_and_pdf_names_its_extra(
    tmp_path: Path, icp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 15: `--for Salesforce` was refused for its capital; the PDF error lost `[pdf]`."""
    ws = make_workspace(tmp_path / "ws")
    assert icp("run", str(ws)).returncode == 0
    headers = {}
    for crm in ("Salesforce", " HubSpot ", "CSV"):
        out = tmp_path / f"{crm.strip()}.csv"
        done = icp("export", str(ws), "--for", crm, "-o", str(out))
        assert done.returncode == 0, done.stderr
        headers[crm.strip()] = out.read_text(encoding="utf-8").splitlines()[0]
    assert "ICP_Score__c" in headers["Salesforce"]
    assert "hs_ideal_customer_profile" in headers["HubSpot"]
    assert "icp_score" in headers["CSV"]
    done = icp("export", str(ws), "--for", "Zoho")
    assert done.returncode == 2
    assert done.stderr.startswith("error:")
    monkeypatch.setitem(sys.modules, "playwright.sync_api", None)  # the pdf extra not installed
    done = icp("report", str(ws), "-o", str(tmp_path / "report.pdf"))
    assert done.returncode == 2
    assert "PDF output needs Playwright. pip install 'icpkit[pdf]'" in done.stderr
    assert not (tmp_path / "report.pdf").exists()


@pytest.mark.parametrize(
    "args",
    [
        ("run", "{missing}"),
        ("report", "{ws}"),
        ("export", "{ws}", "--for", "salesforce"),
        ("report", "{ws}", "-o", "{ws}/r.docx"),
    ],
)
def test_cli_errors_are_one_line(tmp_path: Path, args: tuple[str, ...], icp) -> None:
    init_workspace(tmp_path / "w", tables={"accounts": "a.csv"})
    fmt = {"missing": str(tmp_path / "nope"), "ws": str(tmp_path / "w")}
    done = icp(*(a.format(**fmt) for a in args))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert done.stderr.startswith("error:")


def test_real_entry_point_run_error_is_one_line(ws: Path) -> None:
    (ws / "data" / "accounts.csv").write_bytes(b"")  # an empty export
    done = run_icp("run", str(ws))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1
    assert "intake:accounts" in lines[0]


def test_tables_from_a_duckdb_file(ws: Path) -> None:
    import duckdb

    db = ws / "crm.duckdb"
    con = duckdb.connect(str(db))
    con.execute(f"CREATE TABLE deals AS SELECT * FROM read_csv('{ws / 'data' / 'deals.csv'}')")
    con.close()
    cfg = yaml.safe_load((ws / "icp.yaml").read_text(encoding="utf-8"))
    cfg["tables"]["deals"] = {"url": f"duckdb:///{db}", "table": "deals"}
    (ws / "icp.yaml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
    first = run_workspace(ws)
    assert statuses(first)["intake:deals"] == "ok"
    assert statuses(first)["success"] == "ok"
    second = run_workspace(ws)
    assert statuses(second)["intake:deals"] == "cached"  # a DuckDB file is fingerprinted
    with RunStore(ws / ".icp" / "runs.duckdb") as store:
        assert store.scores(second.run_id).num_rows == 80
