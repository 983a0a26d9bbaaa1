"""Voice on real-text habits: the question an answer belongs to, discovery channel only
for how the customer found us, theme labels drawn from the highlights, the encoding
cache, and the report's good/bad colours."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from icpkit.report._analytics_sections import VOICE_TONE, _voice_chart
from icpkit.report._charts import TIER_COLORS
from icpkit.voice import CategoryClassifier, analyze, classify, read_feedback
from icpkit.voice._context import polarity_scores, prompt_stance, strong_polarity
from icpkit.voice._encodings import TABLE, encoding_store, lookup, remember, text_key

LIKE = "What do you like best about the product?"
DISLIKE = "What do you dislike about the product?"


@pytest.fixture(scope="module")
def clf() -> CategoryClassifier:
    return CategoryClassifier().fit()


def test_prompt_stances() -> None:
    stances = prompt_stance(
        [DISLIKE, LIKE, "How did you hear about us?", "What problems is it solving?", None, ""]
    )
    assert list(stances) == ["negative", "positive", "discovery", "purchase", "", ""]


def test_an_answer_inherits_the_polarity_of_its_question(clf: CategoryClassifier) -> None:
    # neutral wording: the question moves it
    texts = ["The reporting module."] * 3
    proba = clf.predict_proba(texts, prompts=[LIKE, DISLIKE, None])
    classes = list(clf.classes_)
    praise, pain = classes.index("praise"), classes.index("pain_point")
    assert proba[0, praise] > proba[2, praise] > proba[1, praise]
    assert proba[1, pain] > proba[2, pain] > proba[0, pain]
    labels = clf.predict(texts, prompts=[LIKE, DISLIKE, None])
    assert labels[1] in {"pain_point", "feature_request", "churn_risk"}
    assert clf.predict(["Easy to use and quick to set up."], prompts=[LIKE])[0] == "praise"


def test_nothing_to_dislike_is_praise(clf: CategoryClassifier) -> None:
    texts = ["Nothing, I love it.", "There is nothing I dislike about this product."]
    assert list(clf.predict(texts, prompts=[DISLIKE, DISLIKE])) == ["praise", "praise"]
    # a bare "Nothing." is praise only as an answer to a dislike question
    assert clf.predict(["Nothing."], prompts=[DISLIKE])[0] == "praise"
    assert clf.predict(["Nothing."], prompts=[LIKE])[0] != "praise"


def test_a_complaint_under_a_like_prompt_stays_a_complaint(clf: CategoryClassifier) -> None:
    text = "The app is slow, buggy and frustrating."
    up, down = strong_polarity([text], "words")
    assert down[0]
    assert not up[0]
    assert clf.predict([text], prompts=[LIKE])[0] in {"pain_point", "churn_risk"}
    # VADER, measured as the alternative lexicon, scores it clearly negative too
    assert strong_polarity([text], "vader")[1][0]
    assert polarity_scores([text])[0, 2] < -0.6


def test_discovery_channel_only_for_how_they_found_us(clf: CategoryClassifier) -> None:
    not_found = [
        "We attended the annual user conference which was fun and very educational.",
        "Happy to share more in our Slack group.",
        "The training videos on their website helped a lot.",
    ]
    assert "discovery_channel" not in set(clf.predict(not_found))
    found = [
        "A colleague told us about you at a conference.",
        "We first heard of you on a podcast.",
    ]
    assert list(clf.predict(found)) == ["discovery_channel", "discovery_channel"]
    # a form answer to "How did you hear about us?" is a channel even without the verbs
    answers = clf.predict(
        ["Word Of Mouth", "Online Search"], prompts=["How did you hear about us?"] * 2
    )
    assert list(answers) == ["discovery_channel", "discovery_channel"]


def test_prompt_column_is_read_and_used(tmp_path: Path) -> None:
    path = tmp_path / "survey.csv"
    pd.DataFrame(
        {
            "account": ["a1", "a1", "a2", "a2"],
            "question": [LIKE, DISLIKE, LIKE, DISLIKE],
            "response": ["The reporting module.", "The reporting module.", "Nothing.", "Nothing."],
        }
    ).to_csv(path, index=False)
    items = read_feedback(path)
    assert items["prompt"].tolist() == [LIKE, DISLIKE, LIKE, DISLIKE]
    result = analyze(path, method="tfidf")
    h = result.highlights
    assert h["prompt"].tolist() == [LIKE, DISLIKE, LIKE, DISLIKE]
    assert h["category"].iloc[0] != h["category"].iloc[1]
    assert h["category"].iloc[1] in {"pain_point", "feature_request", "churn_risk"}
    assert h["category"].iloc[3] == "praise"  # "Nothing." to "What do you dislike?"
    # without the prompt the same text gets one label both times
    plain = classify(["The reporting module.", "The reporting module."])
    assert plain["category"].nunique() == 1


def _norm(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9'\-]+", text.lower()))


def test_theme_labels_are_short_phrases_drawn_from_their_highlights() -> None:
    said = {
        "acme": "Loading the pipeline page is painfully slow every morning.",
        "bolt": "The pipeline page is painfully slow when we open it.",
        "core": "Reports crash every time two of us edit the same record.",
        "dune": "It crashes every time two of us edit the same record.",
        "echo": "Our pipeline page is painfully slow.",
        "fern": "The app crashes every time two of us edit a record.",
    }
    rows = [(acc, text) for _ in range(3) for acc, text in said.items()]
    feedback = pd.DataFrame(rows, columns=["account_id", "text"])
    result = analyze(feedback, method="tfidf")
    themes = result.themes
    pains = themes[themes["category"] == "pain_point"]
    assert len(pains) >= 1
    h = result.highlights
    for theme in themes.itertuples():
        label = str(theme.label)
        assert 1 <= len(label.split()) <= 6
        members = h.loc[h["category"] == theme.category, "text"].map(_norm)
        assert members.str.contains(_norm(label), regex=False).any(), label
        assert " / " not in label  # a phrase, not keyword soup
        assert isinstance(theme.keywords, list)
    labels = " | ".join(pains["label"].str.lower())
    assert "painfully slow" in labels or "crash" in labels


def test_themes_merge_look_alikes_and_quote_whole_sentences() -> None:
    rows = [(f"acc{i}", "The pipeline page is painfully slow.") for i in range(6)]
    rows += [(f"acc{i}", "Pipeline page painfully slow") for i in range(6, 9)]
    result = analyze(pd.DataFrame(rows, columns=["account_id", "text"]), method="tfidf")
    pains = result.themes[result.themes["category"] == "pain_point"]
    assert len(pains) == 1  # one thing said in two ways
    assert pains.iloc[0]["quotes"][0]["text"] == "The pipeline page is painfully slow."


def test_encoding_cache_keeps_vectors_by_text_hash(tmp_path: Path) -> None:
    store = tmp_path / "runs.duckdb"
    key = text_key("test-model", "hello")
    vec = np.arange(4, dtype=np.float32)
    with encoding_store(store):
        remember({key: vec})
    from icpkit.voice import _encodings

    _encodings._MEMORY.clear()  # a new process: only the store remembers
    assert lookup([key], 4) == {}  # outside the block there is no store
    with encoding_store(store):
        found = lookup([key, text_key("test-model", "other")], 4)
    assert list(found) == [key]
    assert np.array_equal(found[key], vec)
    con = duckdb.connect(str(store))
    try:
        stored = con.execute(f"SELECT key FROM {TABLE}").fetchall()
    finally:
        con.close()
    assert stored == [(key,)]  # the hash, never the text


def test_report_colours_mean_good_and_bad() -> None:
    cats = [
        {"category": c, "label": c, "highlights": 3, "icp_share": 0.5, "other_share": 0.1}
        for c in ("praise", "pain_point", "churn_risk", "feature_request", "buying_process")
    ]
    colours = {i["label"]: i["color"] for i in _voice_chart(cats)["items"]}
    assert TIER_COLORS[colours["praise"]] == TIER_COLORS["A"]  # green
    assert colours["pain_point"] == colours["churn_risk"] == "D"  # red
    assert colours["feature_request"] == "C"
    assert colours["buying_process"] not in TIER_COLORS  # neutral
    assert set(VOICE_TONE) <= {c["category"] for c in cats} | {"purchase_reason"}


def test_real_text_golden_file_is_well_formed() -> None:
    """Labels and pointers only (the text stays in the licensed datasets); a review's
    sentences never straddle dev and eval."""
    from icpkit.voice import CATEGORIES

    gold = pd.read_csv(Path(__file__).parent / "golden" / "voice" / "real.tsv", sep="\t")
    assert len(gold) >= 400
    assert set(gold["category"]) == set(CATEGORIES)
    assert set(gold["split"]) == {"dev", "eval"}
    assert "text" not in gold
    assert gold["prompt"].notna().all()
    assert not gold.duplicated(["dataset", "row", "column", "start"]).any()
    g2 = gold[gold["dataset"] == "g2_fpa_software_reviews"]
    assert (g2.groupby("row")["split"].nunique() == 1).all()
    assert gold["sha1"].str.fullmatch(r"[0-9a-f]{12}").all()


def test_review_wishes_are_feature_requests(clf: CategoryClassifier) -> None:
    """Issue 16: in reviews, wishes are phrased "would be nice", "could be improved",
    "should allow", "lack of" (sentences written for this test)."""
    wishes = [
        "It would be nice to have a dark mode in the planning grid.",
        "The import screen could be improved a lot.",
        "It should allow exporting the board pack straight to PowerPoint.",
        "Lack of version history for the driver assumptions.",
        "The dashboards need to be improved.",
        "There is no way to schedule the exports.",
    ]
    prompts = ["What do you dislike about Acme Planning?"] * len(wishes)
    assert list(clf.predict(wishes, prompts)) == ["feature_request"] * len(wishes)
    assert list(clf.predict(wishes)) == ["feature_request"] * len(wishes)  # no question


def test_real_review_sentences_dev_split() -> None:
    """The prototype classifier (without the head, which was trained on this split) on
    the dev split of the real G2 sentences (the eval split is only read by
    benchmarks/voice_benchmark.py). The issue's target (0.75) is for the eval split and
    is not reached; the head's out-of-sample figure is benchmarks/voice_head.py's CV."""
    import sys

    from sklearn.metrics import f1_score

    sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
    from voice_real import load_real

    dev = load_real("dev")
    assert len(dev) >= 500
    clf = CategoryClassifier(head=False).fit()
    pred = clf.predict(dev["text"].tolist(), dev["prompt"].tolist())
    assert f1_score(dev["category"], pred, average="macro") >= 0.56


def test_advice_to_other_buyers_is_neither_praise_nor_a_complaint(clf: CategoryClassifier) -> None:
    """Issue 16: answers to "Recommendations to others considering X" are mostly advice
    on preparing and implementing (sentences written for this test)."""
    prompt = "Recommendations to others considering Acme Planning"
    assert list(prompt_stance([prompt])) == ["advice"]
    advice = [
        "Make sure you have documented your current processes before the project starts.",
        "My recommendation is to define your reporting hierarchy first.",
    ]
    assert list(clf.predict(advice, [prompt] * len(advice))) == ["other", "other"]
