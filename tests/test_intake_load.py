"""load(): canonical names, normalised values, custom attributes, overrides, the report."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from icpkit.errors import ConfigError, SchemaError
from icpkit.intake import load, load_batches, load_table, write_table
from icpkit.intake._custom import infer_custom

FIXTURES = Path(__file__).parent / "fixtures" / "intake"


def _csv(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_salesforce_accounts_are_normalised() -> None:
    loaded = load(FIXTURES / "salesforce_account_api.csv")
    table = loaded.table
    assert (loaded.kind, loaded.report["system"]) == ("accounts", "salesforce")
    assert table.column("account_id").to_pylist()[0] == "0015g00000A1"
    assert table.column("country").to_pylist() == ["US", "NO", "DE"]
    assert table.column("region").to_pylist()[:2] == ["North America", "Europe"]
    employees = table.column("employees").to_pylist()
    assert employees[:2] == [250, 1200]
    assert 51 <= employees[2] <= 200  # a range becomes one number inside it
    assert table.column("annual_revenue").to_pylist()[:2] == [45e6, 120e6]
    assert table.column("annual_revenue_currency").to_pylist()[1] == "EUR"
    assert table.column("domain").to_pylist() == [
        "acmerobotics.com",
        "bluefjord.no",
        "cobalthealth.io",
    ]
    assert pa.types.is_timestamp(table.column("created").type)
    # The raw table is kept for outputs that echo the input columns.
    assert loaded.original.column_names[:3] == ["Id", "Name", "Website"]


def test_technology_lists_become_one_flag_per_technology() -> None:
    table = load(FIXTURES / "hubspot_companies_export.csv").table
    assert table.column("tech_salesforce").to_pylist() == [True, False]
    assert table.column("tech_google_cloud").to_pylist() == [False, True]
    assert table.column("funding_total").to_pylist() == [12e6, None]


def test_titles_become_role_and_seniority() -> None:
    table = load(FIXTURES / "salesforce_contact_api.csv").table
    assert {"title", "role", "seniority"} <= set(table.column_names)
    # "VP of Sales" and "Chief Technology Officer": the words come from the normalisers.
    assert table.column("role").to_pylist() == ["Sales", "Engineering"]
    assert table.column("seniority").to_pylist() == ["VP", "C-level"]
    assert table.column("title").to_pylist()[1] == "Chief Technology Officer"


def test_coercions_say_what_became_missing_where_and_why(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "accounts.csv",
        "Name,Employees,Country\nAcme,250,US\nBeta,lots,Germany\nGamma,,France\nDelta,1000,Atlantis\n",
    )
    loaded = load(path)
    by_col = {c["column"]: c for c in loaded.report["coercions"]}
    employees = by_col["Employees"]
    assert employees["became_missing"] == 1
    assert employees["missing_before"] == 1
    assert employees["examples"] == ["lots"]
    assert employees["first_row"] == 3  # header is row 1, "lots" is on row 3
    assert sum(employees["reasons"].values()) == 1
    assert by_col["Country"]["first_row"] == 5
    assert by_col["Country"]["examples"] == ["Atlantis"]
    assert loaded.table.column("employees").to_pylist()[:3] == [250, None, None]


def test_report_lists_mapping_types_and_fill_rates(tmp_path: Path) -> None:
    path = _csv(tmp_path, "a.csv", "Company,Employees,Score\nAcme,250,1.5\nBeta,,2\n")
    report = load(path).report
    mapping = {m["original"]: m for m in report["mapping"]}
    assert mapping["Company"]["canonical"] == "name"
    assert mapping["Employees"]["outputs"][0] == "employees"
    assert mapping["Score"]["canonical"] is None
    columns = {c["name"]: c for c in report["columns"]}
    assert columns["employees"]["fill_rate"] == 0.5
    assert columns["Score"] == {
        "name": "Score",
        "from": "Score",
        "role": "custom",
        "type": "number",
        "fill_rate": 1.0,
    }
    assert report["custom"] == ["Score"]
    assert report["source"]["encoding"] == "utf-8"


def test_mapping_overrides(tmp_path: Path) -> None:
    path = _csv(tmp_path, "a.csv", "Name,Staff,Employees,Country\nAcme,10,20,US\n")
    loaded = load(path, mapping={"Staff": "employees", "Country": None})
    assert loaded.recognition.mapping == {
        "Name": "name",
        "Staff": "employees",
        "Employees": None,
        "Country": None,
    }
    assert loaded.table.column("employees").to_pylist() == [10]
    assert loaded.table.column("Employees").to_pylist() == [20]  # kept, not dropped
    assert loaded.table.column("Country").to_pylist() == ["US"]
    assert any("Employees" in w for w in loaded.report["warnings"])
    reasons = {m["original"]: m["reason"] for m in loaded.report["mapping"]}
    assert reasons["Staff"] == "user mapping"
    with pytest.raises(SchemaError, match="Did you mean 'employees'"):
        load(path, mapping={"Staff": "employes"})
    with pytest.raises(SchemaError, match="Did you mean 'Staff'"):
        load(path, mapping={"Stuff": "employees"})


def test_forced_kind(tmp_path: Path) -> None:
    path = _csv(tmp_path, "a.csv", "name,industry,employees\nAcme,Software,10\n")
    assert load(path).kind == "accounts"
    assert load(path, kind="universe").kind == "universe"
    with pytest.raises(ConfigError):
        load(path, kind="companies")


def test_custom_columns_are_typed_and_placeholders_reported(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "accounts.csv",
        "Name,Seats,Score,Trial,Zip,Notes\n"
        "Acme,10,1.5,TRUE,02139,NULL\n"
        "Beta,NULL,2,false,10001,hello\n"
        "Gamma,7, ,False,94105,n/a\n",
    )
    loaded = load(path, mapping={"Seats": None})
    table = loaded.table
    assert table.column("Seats").type == pa.int64()
    assert table.column("Seats").to_pylist() == [10, None, 7]
    assert table.column("Score").to_pylist() == [1.5, 2.0, None]
    assert table.column("Trial").to_pylist() == [True, False, False]
    assert table.column("Zip").to_pylist() == ["02139", "10001", "94105"]  # codes stay text
    assert table.column("Notes").to_pylist() == [None, "hello", None]
    by_col = {c["column"]: c for c in loaded.report["coercions"]}
    assert by_col["Seats"]["placeholders"] == {"NULL": 1}
    assert by_col["Seats"]["first_row"] == 3
    assert by_col["Notes"]["became_missing"] == 2


def test_infer_custom_leaves_typed_columns_alone() -> None:
    column = pa.chunked_array([pa.array([1, 2, None])])
    assert infer_custom(column) == (column, {})


def test_custom_column_named_like_a_derived_one_is_renamed(tmp_path: Path) -> None:
    path = _csv(tmp_path, "a.csv", "name,country,region\nAcme,US,West Coast\n")
    loaded = load(path)
    assert loaded.table.column("region").to_pylist() == ["North America"]
    assert loaded.table.column("region_custom").to_pylist() == ["West Coast"]
    assert any("region_custom" in w for w in loaded.report["warnings"])


def test_load_table_from_memory() -> None:
    raw = pa.table({"Id": ["1"], "Name": ["Acme"], "NumberOfEmployees": [120], "Rating": ["Hot"]})
    loaded = load_table(raw)
    assert loaded.kind == "accounts"
    assert loaded.table.column("employees").to_pylist() == [120]
    assert loaded.table.column("Rating").to_pylist() == ["Hot"]
    assert loaded.report["source"]["format"] == "arrow"


def test_load_batches_matches_load(tmp_path: Path) -> None:
    path = tmp_path / "opportunities.csv"
    stages = ["Closed Won", "Closed Lost", "Prospecting"]
    with path.open("w", encoding="utf-8") as fh:
        fh.write("Id,AccountId,StageName,Amount,CloseDate,IsWon,Notes\n")
        for i in range(12_000):
            won = "true" if i % 3 == 0 else "false"
            amount = f'"${i * 10:,}"'
            fh.write(
                f"O{i},A{i % 97},{stages[i % 3]},{amount},2023-{i % 12 + 1:02d}-15,{won},n{i}\n"
            )
    whole = load(path).table
    batches = list(load_batches(path, batch_size=5_000))
    assert [b.num_rows for b in batches] == [5_000, 5_000, 2_000]
    streamed = pa.Table.from_batches(batches)
    for column in ("deal_id", "account_id", "stage", "amount", "closed", "won"):
        assert streamed.column(column).to_pylist() == whole.column(column).to_pylist(), column
    assert streamed.column("Notes").to_pylist() == whole.column("Notes").to_pylist()


def test_write_table_parquet_and_csv(tmp_path: Path) -> None:
    table = load(FIXTURES / "salesforce_account_api.csv").table
    out = write_table(table, tmp_path / "out" / "accounts.parquet")
    assert pq.read_table(out).equals(table)
    csv_out = write_table(table, tmp_path / "accounts.csv")
    back = pacsv.read_csv(csv_out)
    assert back.column_names == table.column_names
    assert back.num_rows == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["accounts.csv", "out"]
    with pytest.raises(ConfigError, match=r"\.xlsx"):
        write_table(table, tmp_path / "accounts.xlsx")


@pytest.fixture(scope="module")
def small_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from icpkit.synth import generate

    out = tmp_path_factory.mktemp("small_world")
    generate(out, n_accounts=150, seed=3)
    return out


def test_synthetic_crm_exports_load(small_world: Path) -> None:
    accounts = load(small_world / "accounts.csv")
    assert (accounts.report["system"], accounts.kind) == ("salesforce", "accounts")
    columns = {c["name"]: c for c in accounts.report["columns"]}
    assert columns["employees"]["fill_rate"] > 0.8
    assert columns["employees"]["type"] in {"number", "integer"}
    assert any(name.startswith("tech_") for name in columns)
    deals = load(small_world / "deals.csv")
    assert (deals.report["system"], deals.kind) == ("hubspot", "deals")
    assert {"deal_id", "account_id", "stage", "amount", "closed"} <= set(deals.table.column_names)
    training = load(small_world / "training.csv")
    assert training.table.column("IsWon").type == pa.bool_()
    assert "churned" in training.table.column_names  # outcome columns in a flat accounts file
    universe = load(small_world / "universe.parquet")
    assert universe.kind == "universe"
    assert universe.recognition.mapping["Record ID"] == "company_id"


def test_missing_key_column_is_a_warning(tmp_path: Path) -> None:
    path = _csv(tmp_path, "a.csv", "name,industry\nAcme,Software\n")
    warnings = load(path).report["warnings"]
    assert any("no account_id column" in w for w in warnings)
    with_id = _csv(tmp_path, "b.csv", "account_id,name\n1,Acme\n")
    assert not any("account_id" in w for w in load(with_id).report["warnings"])


def test_row_numbers_follow_the_file_through_multiline_values_and_blank_lines(
    tmp_path: Path,
) -> None:
    path = _csv(
        tmp_path,
        "accounts.csv",
        'Name,Description,Employees\nAcme,"line1\nline2\nline3",10\n\nBeta,x,lots\nGamma,"a\nb",1\n',
    )
    coercion = {c["column"]: c for c in load(path).report["coercions"]}["Employees"]
    assert coercion["first_row"] == 6  # header 1, Acme 2-4, blank 5, Beta 6
    jsonl = tmp_path / "accounts.jsonl"
    jsonl.write_text('{"name": "A", "employees": "10"}\n\n\n{"name": "B", "employees": "lots"}\n')
    assert load(jsonl).report["coercions"][0]["first_row"] == 4


def test_excel_row_numbers_skip_title_and_blank_rows(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (
        ["Accounts"],
        [],
        ["Account Name", "Employees", "Country"],
        ["Acme", 250, "US"],
        [],
        ["Beta", "lots", "DE"],
    ):
        sheet.append(row)
    path = tmp_path / "accounts.xlsx"
    book.save(path)
    coercion = {c["column"]: c for c in load(path).report["coercions"]}["Employees"]
    assert coercion["first_row"] == 6  # the sheet row a person sees in Excel


def test_values_suggest_a_mapping_but_do_not_apply_it(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "contacts.csv",
        "Full Name,HQ,Web,Reach,Founded\n"
        "Ann,Germany,acme.de,ann@acme.de,2012-06\n"
        "Bob,France,beta.fr,bob@beta.fr,2013-01\n"
        "Cy,United States,gamma.com,cy@gamma.com,2014-11\n"
        "Di,Japan,delta.io,di@delta.io,2015-02\n",
    )
    loaded = load(path, kind="contacts")
    report = loaded.report
    assert report["suggestions"]["HQ"] == "country"
    assert report["suggestions"]["Reach"] == "email"
    assert report["suggestion_reasons"]["HQ"] == "values look like country"
    assert "Founded" not in report["suggestions"]  # months are not employee ranges
    assert "Web" not in report["suggestions"]  # contacts have no domain column
    assert loaded.recognition.mapping["HQ"] is None  # suggested, not applied
    assert loaded.table.column("HQ").to_pylist()[0] == "Germany"


def test_an_id_column_only_suggests_an_id() -> None:
    from icpkit.intake import recognize

    assert recognize(["name", "categoryID"]).suggestions == {}


def test_loading_a_normalised_table_again_changes_nothing(tmp_path: Path) -> None:
    first = load(FIXTURES / "hubspot_companies_export.csv").table
    path = write_table(first, tmp_path / "accounts.parquet")
    again = load(path)
    assert again.table.column_names == first.column_names
    assert again.table.equals(first)
    assert any("already normalised" in w for w in again.report["warnings"])


def test_limit_reads_only_the_first_rows(tmp_path: Path) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text("Name,Employees\n" + "".join(f"Co {i},{i}\n" for i in range(5000)))
    loaded = load(path, limit=120)
    assert loaded.table.num_rows == 120
    assert loaded.report["sampled"] == 120
    assert loaded.table.column("employees").to_pylist()[-1] == 119
    with pytest.raises(ConfigError, match=">= 1"):
        load(path, limit=0)
