"""Voice ingest: feedback tables, transcripts (speaker turns), linking to accounts."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from icpkit.errors import ReadError, SchemaError
from icpkit.voice import (
    link_accounts,
    normalize_company,
    normalize_domain,
    parse_transcript,
    read_feedback,
    split_highlights,
    split_sentences,
)

GOLDEN = Path(__file__).parent / "golden" / "voice"


def test_transcript_folder_keeps_speakers_and_drops_the_interviewer() -> None:
    items = read_feedback(GOLDEN / "transcripts")
    assert len(items) == 3
    by_id = items.set_index("feedback_id")
    assert by_id.loc["acme-corp_2024-05-01", "account_name"] == "Acme Corp"  # NOTE header
    assert by_id.loc["acme-corp_2024-05-01", "date"] == "2024-05-01"  # from the file name
    assert by_id.loc["globex_2024-06-12_call", "account_name"] == "globex"
    assert by_id.loc["initech-interview", "domain"] == "initech.example"
    assert by_id.loc["initech-interview", "source"] == "interview"
    highlights, counts = split_highlights(items)
    speakers = set(highlights["speaker"].dropna())
    assert speakers == {"Priya Shah", "Lee", "Morgan"}  # questioners left out
    assert counts["dropped_interviewer_turns"] == 6
    # a line without a speaker continues the previous turn
    assert "Our regional leads build them by hand every month." in set(highlights["text"])


def test_vtt_and_srt_parsing() -> None:
    vtt = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Ann>Hello there.</v>\n\n00:00:02.000 --> 00:00:03.000\n<v Ann>We love it.\n"
    header, turns = parse_transcript(vtt, ".vtt")
    assert header == {}
    assert turns == [("Ann", "Hello there. We love it.")]
    srt = "1\n00:00:00,000 --> 00:00:01,000\n[Bob]: The export <i>fails</i>.\n\n2\n00:00:01,000 --> 00:00:02,000\n- Cy: Agreed.\n"
    _, turns = parse_transcript(srt, ".srt")
    assert turns == [("Bob", "The export fails."), ("Cy", "Agreed.")]


def test_csv_with_other_column_names(tmp_path: Path) -> None:
    path = tmp_path / "tickets.csv"
    pd.DataFrame(
        {
            "Ticket ID": ["T1", "T2", "T3"],
            "Company": ["Acme, Inc.", "Unknown Ltd", ""],
            "Requester Email": ["jo@acme.com", "x@nowhere.io", "amy@globex.com"],
            "Channel": ["ticket", "chat", "review"],
            "Created At": ["2024-01-02", "2024-02-03", "2024-03-04"],
            "Body": ["The export fails. Please fix it!", "We love it.", ""],
        }
    ).to_csv(path, index=False)
    items = read_feedback(path)
    assert list(items["feedback_id"]) == ["T1", "T2", "T3"]
    assert list(items["source"]) == ["ticket", "chat", "review"]
    assert items.loc[0, "domain"] == "acme.com"  # taken from the email
    highlights, counts = split_highlights(items)
    assert counts["empty_items"] == 1  # kept and counted, not silently dropped
    assert list(highlights["text"]) == ["The export fails.", "Please fix it!", "We love it."]


def test_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "fb.jsonl"
    rows = [{"account_id": "A1", "text": "Great tool.", "source": "review"}]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    items = read_feedback(path)
    assert items.loc[0, "account_id"] == "A1"
    assert items.loc[0, "text"] == "Great tool."


def test_missing_text_column_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "fb.csv"
    pd.DataFrame(
        {"account": ["A"], "what they said": ["a long sentence about the product"]}
    ).to_csv(path, index=False)
    with pytest.raises(SchemaError, match="no feedback text column") as info:
        read_feedback(path)
    assert "--text-column" in str(info.value)
    assert "\n" not in str(info.value)
    items = read_feedback(path, text_column="what they said")
    assert items.loc[0, "text"] == "a long sentence about the product"
    with pytest.raises(SchemaError, match="no such column"):
        read_feedback(path, text_column="nope")


def test_missing_source_and_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(ReadError, match="no such file"):
        read_feedback(tmp_path / "nope.csv")
    with pytest.raises(ReadError, match="no transcripts"):
        read_feedback(tmp_path)


def test_normalisers() -> None:
    assert normalize_company("Acme, Inc.") == "acme"
    assert normalize_company("Société Générale S.A.") == "societe generale"
    assert normalize_company("Procter & Gamble Co") == "procter and gamble"
    assert normalize_domain("https://www.Acme.com/about?x=1") == "acme.com"
    assert normalize_domain("jo@acme.com") == "acme.com"
    assert normalize_domain("not a domain") is None
    assert split_sentences("One. Two! Three? four") == ["One.", "Two!", "Three? four"]
    assert split_sentences("Hi support team, the export fails.") == [
        "Hi support team,",
        "the export fails.",
    ]


def test_link_by_id_domain_and_name_reports_the_rest() -> None:
    accounts = pd.DataFrame(
        {
            "account_id": ["001", "002", "003"],
            "name": ["Acme Corp", "Globex GmbH", "Initech"],
            "domain": ["acme.com", "globex.de", "initech.example"],
        }
    )
    items = pd.DataFrame(
        {
            "account_id": ["001", None, None, "zzz", None],
            "account_name": [None, None, "GLOBEX", None, "Hooli"],
            "domain": [None, "https://www.initech.example/", None, None, None],
            "text": ["a", "b", "c", "d", "e"],
        }
    )
    linked, report = link_accounts(items, accounts)
    assert list(linked["account_id"].fillna("-")) == ["001", "003", "002", "-", "-"]
    assert list(linked["linked_by"].fillna("-")) == ["id", "domain", "name", "-", "-"]
    assert report["linked"] == 3
    assert report["unlinked"] == 2
    assert {u["value"] for u in report["unlinked_values"]} == {"zzz", "Hooli"}


def test_transcripts_without_accounts_count_the_named_companies() -> None:
    from icpkit.voice import analyze

    result = analyze(GOLDEN / "transcripts", method="tfidf")
    assert result.report["link"] == {"linked": None}
    assert set(result.highlights["account_id"]) == {"Acme Corp", "globex", "Initech"}
    assert not result.highlights["is_icp"].any()
    assert "gaps" not in result.report  # gaps need scored accounts
    shares = {c["category"]: c["other_share"] for c in result.report["categories"]}
    assert shares["discovery_channel"] == pytest.approx(1 / 3, abs=1e-3)
