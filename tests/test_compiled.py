"""The compiled profile (icpkit.compiled) scores records exactly as `icp score` does.

`icp score` is intake on whole columns then the reference engine (icpkit.stream.score_raw);
the compiled path normalises only the fields the profile reads, value by value, and
remembers outcomes per combination of cells. Compared on the synthetic CRM export with
messy values mixed in, one record at a time and in batches, cold and warm; and the
per-row transcription of the engine's rules against the engine on random rows.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from icpkit.compiled import CompiledProfile
from icpkit.discover import learn
from icpkit.intake import load_table
from icpkit.profile import NumericAttribute, Profile
from icpkit.rowrules import RowRules
from icpkit.scoring import numeric_pieces, score_table
from icpkit.service.scoring import records_to_table
from icpkit.stream import score_raw
from icpkit.synth import World

MESSY: dict[str, list[Any]] = {
    "Industry": ["N/A", "  software  ", "SaaS", "Select", "computer software", "banking", ""],
    "NumberOfEmployees": ["51-200", "10,001+", "lots", "1.2E+03", "  ", 250, 12.5, "-"],
    "AnnualRevenue": [
        "$1.2M",
        "€3 bn",
        "unknown",
        "(5)",
        "1e999",
        8953000,
        "12k",
        "n/a",
        "$111M",
        "€87.3M",
        "£4.28K",
        "2.5b",
        "$0.5B",
        "12.5m",
        "$4.61M",
        "¥3M",
        "$-2M",
        "1.M",
    ],
    "Total_Funding__c": ["$11.9M", "USD 7,000,000", "none", "abc", 0, "7.5 million"],
    "Last_Funding_Type__c": ["Series  A", "series a", "Seed", "(blank)", "Venture - Series B"],
    "Technologies__c": [
        "AWS;@@",
        "aws, Amazon Web Services | Workday",
        "N/A",
        ["Salesforce", "Slack"],
        "Snowflake;;Azure",
        "-;--",
        "Zendesk",
        "Amazon Web Services;aws",
        " Slack ; slack ",
        "AWS|Workday•Azure",
    ],
    "Cloud_Spend__c": ["$29k", "$30,400", "3.8k", "?", "29000.00", True, "€29.5K", "$0.03M"],
    "Id": ["  0015g0000000000001 ", "N/A", 42, None],
}


@pytest.fixture(scope="module")
def profile(world: World) -> Profile:
    table = load_table(
        pa.Table.from_pandas(world.training, preserve_index=False), kind="accounts"
    ).table
    return learn(table, "IsWon").profile


@pytest.fixture(scope="module")
def records(world_dir: Path) -> list[dict[str, Any]]:
    """The CRM export's rows, one in three with a messy value in each scored field."""
    with (world_dir / "accounts.csv").open(encoding="utf-8", newline="") as f:
        rows: list[dict[str, Any]] = list(csv.DictReader(f))[:1500]
    rng = random.Random(11)
    for row in rows[::3]:
        for name, options in MESSY.items():
            if rng.random() < 0.5:
                row[name] = rng.choice(options)
    return rows


def _rows(out: pa.Table) -> list[tuple[Any, ...]]:
    """(score, tier, segment, reasons) per scored row."""
    reasons = [r.split("; ") if r else [] for r in out["icp_reasons"].to_pylist()]
    return list(
        zip(
            out["icp_score"].to_pylist(),
            out["icp_tier"].to_pylist(),
            out["icp_segment"].to_pylist(),
            reasons,
            strict=True,
        )
    )


def expected(profile: Profile, records: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """What `icp score` gives for these rows (the records as a CSV export's text)."""
    out, loaded = score_raw(records_to_table(records), profile, reasons=True, fill_missing=True)
    assert loaded is not None
    return _rows(out)


def compiled(cp: CompiledProfile, records: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    plan = cp.plan(tuple(dict.fromkeys(k for r in records for k in r)))
    assert plan is not None  # a CRM export's header compiles
    got = cp.score(plan, records)
    return list(zip(got.scores, got.tiers, got.segments, got.reasons, strict=True))


def test_batch_equals_icp_score_cold_and_warm(
    profile: Profile, records: list[dict[str, Any]]
) -> None:
    want = expected(profile, records)
    cp = CompiledProfile(profile)
    assert compiled(cp, records) == want  # cold: every combination new (the engine)
    assert compiled(cp, records) == want  # warm: every combination remembered
    assert len({w[1] for w in want}) == 4  # the rows span every tier: a real comparison
    assert sum(bool(w[2]) for w in want) > 50  # and many segments


def test_one_record_at_a_time_equals_icp_score(
    profile: Profile, records: list[dict[str, Any]]
) -> None:
    cp = CompiledProfile(profile)  # cold: small calls use the per-row transcription
    sample = records[:300]
    for record, want in zip(sample, expected(profile, sample), strict=True):
        assert compiled(cp, [record]) == [want], record


def test_warnings_and_ids_as_intake_reads_them(profile: Profile) -> None:
    cp = CompiledProfile(profile)
    records = [
        {"Id": " 7 ", "Industry": "Software", "NumberOfEmployees": "lots and lots"},
        {"Id": "N/A", "Industry": "N/A", "NumberOfEmployees": "120"},
        {"Id": 42, "Industry": "Software", "NumberOfEmployees": 120},
    ]
    plan = cp.plan(("Id", "Industry", "NumberOfEmployees"))
    assert plan is not None
    got = cp.score(plan, records)
    assert got.ids == ["7", None, "42"]
    assert got.warnings[0] == [
        "NumberOfEmployees: could not read 'lots and lots' as employees; scored as missing"
    ]
    assert got.warnings[1] == ["Industry: could not read 'N/A' as industry; scored as missing"]
    assert got.warnings[2] == []
    assert "Id" in plan.ignored
    assert "Industry" not in plan.ignored
    assert "annual_revenue" in plan.missing


def test_custom_field_feeding_the_profile_is_not_compiled(profile: Profile) -> None:
    """A profile column from an unrecognised field is typed by intake from the whole
    column: the plan says so (None) and the caller takes the intake path."""
    custom = profile.model_copy(deep=True)
    custom.attributes[0] = custom.attributes[0].model_copy(update={"name": "Priority__c"})
    assert CompiledProfile(custom).plan(("Industry", "Priority__c")) is None
    assert CompiledProfile(profile).plan(("Industry", "Priority__c")) is not None


def _random_rows(profile: Profile, n: int, rng: random.Random) -> list[dict[str, Any]]:
    """Normalised rows that hit every edge, every listed value, others and missing."""
    numbers: dict[str, list[float]] = {}
    labels: dict[str, list[str]] = {}
    for attr in profile.attributes:
        if isinstance(attr, NumericAttribute):
            numbers.setdefault(attr.name, []).extend(numeric_pieces(attr).edges)
        else:
            labels.setdefault(attr.name, []).extend(v for b in attr.bins for v in b.values)
    for rule in [*profile.segments, *profile.disqualifiers]:
        for c in rule.conditions:
            if c.is_numeric:
                numbers.setdefault(c.attribute, []).extend(e for e in (c.ge, c.lt) if e)
            else:
                labels.setdefault(c.attribute, []).extend(c.in_ or c.not_in or [])
    rows = []
    for _ in range(n):
        row: dict[str, Any] = {}
        for name, edges in numbers.items():
            e = rng.choice(edges)
            row[name] = rng.choice([None, e, e * 0.999, e * 1.001, rng.uniform(0, 2 * e)])
        for name, values in labels.items():
            flag = set(values) <= {"true", "false"}
            other: Any = rng.choice([True, False]) if flag else "Something else"
            pick = (rng.choice(values) == "true") if flag else rng.choice(values)
            row[name] = rng.choice([None, other, pick, pick])
        rows.append(row)
    return rows


def test_transcription_equals_the_engine_on_random_rows(profile: Profile) -> None:
    rows = _random_rows(profile, 3000, random.Random(5))
    columns = {}
    for name in profile.columns:  # typed as intake types them: flags, labels, numbers
        values = [r.get(name) for r in rows]
        kinds = {type(v) for v in values if v is not None}
        typ = pa.bool_() if kinds == {bool} else pa.string() if str in kinds else pa.float64()
        columns[name] = pa.array(values, typ)
    out = score_table(profile, pa.table(columns), reasons=True)
    want = _rows(out)
    rules = RowRules(profile)
    got = [rules.score(r) for r in rows]
    assert [(o.score, o.tier, o.segment, o.reasons) for o in got] == want
    assert len({o.tier for o in got}) == 4


def test_the_service_scores_crm_records_without_an_intake_pass(
    profile: Profile, records: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The per-request intake pass was the service's floor (5.6 ms a record, issue 11):
    a CRM export's header no longer goes through it; a header that needs it still does."""
    from icpkit.service import scoring

    calls: list[int] = []
    real = scoring.score_raw

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(scoring, "score_raw", counted)
    scorer = scoring.RecordScorer(profile)
    for record in records[:20]:
        assert 0 <= scorer.score([record]).scores[0] <= 100
    assert scorer.score(records[:500]).tiers
    assert calls == []
    custom = profile.model_copy(deep=True)
    custom.attributes[0] = custom.attributes[0].model_copy(update={"name": "Priority__c"})
    scoring.RecordScorer(custom).score([{"Priority__c": "High", "Industry": "Software"}])
    assert calls == [1]


RENAMES = {
    "canonical names": {
        "Id": "account_id",
        "Industry": "industry",
        "NumberOfEmployees": "employees",
        "AnnualRevenue": "annual_revenue",
        "Total_Funding__c": "funding_total",
        "Technologies__c": "technologies",
        "Cloud_Spend__c": "cloud_spend",
    },
    "a HubSpot-style form": {
        "Id": "Record ID",
        "Industry": "Industry",
        "NumberOfEmployees": "Number of Employees",
        "AnnualRevenue": "Annual Revenue",
        "Technologies__c": "Technologies",
    },
}


@pytest.mark.parametrize("naming", list(RENAMES))
def test_other_field_names_equal_icp_score(
    profile: Profile, records: list[dict[str, Any]], naming: str
) -> None:
    rename = RENAMES[naming]
    renamed = [{new: r[old] for old, new in rename.items()} for r in records[:600]]
    want = expected(profile, renamed)
    cp = CompiledProfile(profile)
    assert compiled(cp, renamed) == want
    for record, one in zip(renamed[:100], want[:100], strict=True):
        assert compiled(cp, [record]) == [one]


# Values a CRM export or a form sends that no earlier batch had: numbers as text with
# spaces, thousands commas and currencies, JSON numbers and booleans, lists, placeholders,
# unknown categories, empty and missing fields.
NEW_VALUES: dict[str, list[Any]] = {
    "Industry": ["Underwater Basket Weaving", " Software ", "software", "N/A", "", None, 7],
    "NumberOfEmployees": [" 1,250 ", "1 250", "250.0", "~300", "0", 42, 3.5, True, "", None],
    "AnnualRevenue": [
        " $ 12,500,000 ",
        "USD 12.5 million",
        "12,500,000.00",
        "€ 9.9M",
        "$9.9 M",
        "9.9 Mio",
        "GBP 3 bn",
        "1e7",
        "-",
        12500000,
        12.5e6,
        "",
    ],
    "Technologies__c": ["AWS ; Workday", "aws|azure|", ";", "Unknown", ["AWS", 1, None], ""],
    "Cloud_Spend__c": ["$ 31,000", "31000 USD", "$31k ", "3.1e4", "n.a.", 31000.5],
    "Id": ["0015g00000NEW", " 0015g00000NEW2 ", "unknown", 1001, None],
}


def _fresh_batches(records: list[dict[str, Any]], n: int, seed: int) -> list[list[dict[str, Any]]]:
    """``n`` batches of 300 records; in each, values no earlier batch held (a number made
    distinct per batch) mixed with the messy shapes above."""
    rng = random.Random(seed)
    batches = []
    for b in range(n):
        batch = []
        for i, source in enumerate(records[b * 300 : (b + 1) * 300]):
            row = dict(source)
            scale = 1 + (b * 300 + i) / 1e5  # new amounts: never seen before
            row["AnnualRevenue"] = f"${rng.uniform(1, 900) * scale:,.2f}M"
            row["Cloud_Spend__c"] = f"{rng.randint(100, 90_000) * scale:,.1f}"
            row["NumberOfEmployees"] = f" {rng.randint(1, 20_000):,} "
            for name, options in NEW_VALUES.items():
                if rng.random() < 0.3:
                    row[name] = rng.choice(options)
            if rng.random() < 0.1:
                row.pop("Industry")  # a record without the field: missing
            batch.append(row)
        batches.append(batch)
    return batches


@pytest.mark.parametrize(
    ("fast", "radix"),
    [(True, 2**62), (False, 2**62), (True, 1)],
    ids=["fast paths", "parsers only", "reason keys as tuples"],
)
def test_batches_of_new_values_equal_icp_score(
    profile: Profile,
    records: list[dict[str, Any]],
    fast: bool,
    radix: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each batch is scored column by column (icpkit.columnar) with values new to the
    scorer: scores, tiers, segments and reasons equal `icp score`, warnings and ids equal
    the one-record path's (held to intake above), with or without the fast paths, and
    with each row's reasons keyed by a tuple (a profile too big for one int64 key)."""
    from icpkit import columnar
    from icpkit.compiled import COLUMNS_MIN
    from icpkit.intake.normalizers import _base

    monkeypatch.setattr(_base, "FAST", fast)
    monkeypatch.setattr(columnar, "_RADIX_MAX", radix)
    batches = _fresh_batches(records, 4, seed=3)
    assert len(batches[0]) >= COLUMNS_MIN  # these go column by column
    cp = CompiledProfile(profile)
    single = CompiledProfile(profile)
    for batch in batches:
        assert compiled(cp, batch) == expected(profile, batch)
        plan = cp.plan(tuple(dict.fromkeys(k for r in batch for k in r)))
        assert plan is not None
        got = cp.score(plan, batch)
        alone = [single.score(plan_of(single, r), [r]) for r in batch[:120]]
        assert got.warnings[:120] == [a.warnings[0] for a in alone]
        assert got.ids[:120] == [a.ids[0] for a in alone]
    assert any(w for w in got.warnings)  # unreadable values were said
    assert set(got.tiers) == {"A", "B", "C", "D"}


def plan_of(cp: CompiledProfile, record: dict[str, Any]) -> Any:
    plan = cp.plan(tuple(record))
    assert plan is not None
    return plan


def test_the_engines_reason_picks_keep_the_terms_order_on_ties() -> None:
    """scoring._pick_terms (argmax passes) equals a stable sort of each row's terms."""
    import numpy as np

    from icpkit.scoring import _pick_terms

    rng = np.random.default_rng(4)
    ids = rng.integers(0, 30, size=(5000, 9)).astype(np.int32)
    lut = rng.integers(-4, 5, size=30).astype(np.int32)  # many ties, zeros too
    got = np.stack(_pick_terms(ids, lut, 3), axis=1)
    for row, picked in zip(ids.tolist(), got.tolist(), strict=True):
        pts = [int(lut[t]) for t in row]
        best = sorted(range(9), key=lambda j: -pts[j])[:3]
        worst = sorted(range(9), key=lambda j: pts[j])[:2]
        want = [row[j] if pts[j] > 0 else 0 for j in best]
        want += [row[j] if pts[j] < 0 else 0 for j in worst]
        assert picked == want


def test_a_full_value_table_starts_again_with_the_same_results(
    profile: Profile, records: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each field remembers a bounded number of distinct texts; past the bound it starts
    again, in the middle of a stream of batches, without changing a result."""
    from icpkit import fieldvalues

    monkeypatch.setattr(fieldvalues, "VALUES_MAX", 100)
    cp = CompiledProfile(profile)
    for batch in _fresh_batches(records, 3, seed=8):
        assert compiled(cp, batch) == expected(profile, batch)
    plan = cp.plan(tuple(dict.fromkeys(k for r in batch for k in r)))
    assert plan is not None
    assert all(len(s.code_of) <= 100 + len(batch) + 2 for s in plan.sources)
