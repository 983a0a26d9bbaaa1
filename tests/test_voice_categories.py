"""Voice categories: the default (lean) classifier and the embeddings extra, on the
labelled evaluation set; the public API surface."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
from sklearn.metrics import f1_score, recall_score

import icpkit.voice as voice
from icpkit.errors import ConfigError
from icpkit.voice import CATEGORIES, CategoryClassifier, classify, embeddings_available

EVAL = Path(__file__).parent / "golden" / "voice" / "eval.tsv"

# Under CI=true the extra is installed (make test) and these tests must run, never skip.
needs_embeddings = pytest.mark.skipif(
    not embeddings_available() and os.environ.get("CI") != "true",
    reason="the embeddings extra is not installed here (CI installs it)",
)


@pytest.fixture(scope="module")
def eval_set() -> pd.DataFrame:
    data = pd.read_csv(EVAL, sep="\t")
    assert len(data) >= 300
    assert set(data["category"]) == set(CATEGORIES)
    return data


def test_all_is_complete_and_sorted() -> None:
    public = {n for n in dir(voice) if not n.startswith("_") and n[0].isalpha()}
    modules = {n for n in public if type(getattr(voice, n)).__name__ == "module"}
    assert set(voice.__all__) == public - modules
    assert voice.__all__ == sorted(voice.__all__, key=lambda n: (not n.isupper(), n))


def test_default_method_on_the_eval_set(eval_set: pd.DataFrame) -> None:
    labels = classify(eval_set["text"].tolist(), method="tfidf")
    pred = labels["category"]
    # Measured 0.743 (docs/voice.md#accuracy); the issue asks for at least 0.7.
    assert f1_score(eval_set["category"], pred, average="macro") >= 0.70
    recall = recall_score(eval_set["category"], pred, average=None, labels=list(CATEGORIES))
    assert min(recall) >= 0.35, dict(zip(CATEGORIES, recall, strict=True))


def test_labels_are_ranked_categories_with_confidence() -> None:
    texts = [
        "We found you on G2 and chose you over Salesforce because of the price.",
        "Thanks for the call.",
        "Please add an export to PDF.",
    ]
    labels = classify(texts, method="tfidf")
    assert list(labels.columns) == ["category", "categories", "confidence"]
    assert labels["confidence"].between(0, 1).all()
    for cat, cats in zip(labels["category"], labels["categories"], strict=True):
        assert cats[0] == cat
        assert set(cats) <= set(CATEGORIES)
    assert labels.loc[2, "category"] == "feature_request"
    assert labels.loc[1, "category"] == "other"
    # a mixed sentence keeps more than one category
    assert {"discovery_channel", "purchase_reason"} & set(labels.loc[0, "categories"])


def test_polarity_counts_flip_under_negation() -> None:
    from icpkit.voice._categories import polarity

    assert polarity("The new dashboards are fantastic and easy to use.") == (2, 0)
    assert polarity("Reports are slow and the export is broken.") == (0, 2)
    # a negator up to three words before a hit moves it to the other side
    assert polarity("It is not slow at all.") == (1, 0)
    assert polarity("Honestly the support was not great.") == (0, 1)
    assert polarity("Thursday at two works for me") == (0, 0)


def test_cue_weight_and_polarity_features_are_one_setting_for_both_methods() -> None:
    clf = CategoryClassifier(method="tfidf").fit()
    assert (clf.rule_weight_, clf.sentiment_) == (0.3, 1.0)
    width = len(clf.patterns_) + 1 + 2  # cue counts, question mark, polarity
    assert clf._features(["x"]).shape[1] == clf.backend_.transform(["x"]).shape[1] + width
    explicit = CategoryClassifier(method="tfidf", rule_weight=1.0, sentiment=0.0).fit()
    assert (explicit.rule_weight_, explicit.sentiment_) == (1.0, 0.0)


def test_classifier_fits_user_data_and_rejects_bad_input() -> None:
    clf = CategoryClassifier(method="tfidf").fit(
        ["we love it", "great product", "too expensive", "cancel our plan", "hello", "bye"],
        ["praise", "praise", "churn_risk", "churn_risk", "other", "other"],
    )
    assert clf.predict(["we love the product"])[0] == "praise"
    with pytest.raises(ConfigError, match="unknown categories"):
        CategoryClassifier().fit(["x"], ["nonsense"])
    with pytest.raises(ConfigError, match="not fitted"):
        CategoryClassifier().predict_proba(["x"])
    with pytest.raises(ConfigError, match="'method' parameter"):
        CategoryClassifier(method="gpt").fit()


def test_auto_falls_back_to_tfidf_without_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import icpkit.voice._backend as backend

    monkeypatch.setattr(backend, "embeddings_available", lambda: False)
    assert backend.get_backend("auto").name == "tfidf"
    with pytest.raises(ConfigError, match="optional extra") as info:
        backend.get_backend("embeddings")
    assert "torch==2.13.0" in str(info.value)


@needs_embeddings
def test_embeddings_method_on_the_eval_set(eval_set: pd.DataFrame) -> None:
    assert embeddings_available()
    assert voice.get_backend("auto").name == "embeddings"
    labels = classify(eval_set["text"].tolist(), method="embeddings")
    # Measured 0.79; it must beat the default method as the README says.
    macro = f1_score(eval_set["category"], labels["category"], average="macro")
    assert macro >= 0.74
    default = f1_score(
        eval_set["category"],
        classify(eval_set["text"].tolist(), "tfidf")["category"],
        average="macro",
    )
    assert macro > default


@needs_embeddings
def test_embeddings_vectors_are_offline_normalised_and_cached() -> None:
    import numpy as np

    backend = voice.EmbeddingBackend().fit([])
    x = backend.transform(["We love the dashboards.", "The dashboards are great.", "Cancel now."])
    assert x.shape == (3, 384)
    assert np.allclose(np.linalg.norm(x, axis=1), 1, atol=1e-4)
    assert x[0] @ x[1] > x[0] @ x[2]  # paraphrases are closer than unrelated text
    assert os.environ.get("HF_HUB_OFFLINE") == "1"
    again = backend.transform(["The dashboards are great.", "We love the dashboards."])
    assert backend.encoded_ == 0  # both known by their text hash: nothing re-encoded
    assert np.allclose(again, x[[1, 0]])


@needs_embeddings
def test_embeddings_end_to_end_on_transcripts() -> None:
    folder = Path(__file__).parent / "golden" / "voice" / "transcripts"
    result = voice.analyze(folder, method="embeddings")
    assert result.report["method"] == "embeddings"
    assert not result.themes.empty
    answer = voice.ask(folder, "How did they find us?", method="embeddings", top=3)
    assert answer["evidence"]
    assert "RevOps community" in answer["evidence"][0]["text"]


def test_fast_paths_equal_their_plain_definitions(eval_set: pd.DataFrame) -> None:
    """rule_hits (prefilters looked up in one joined string) and label (labels shared by
    rows alike) give what one regex search per text and pattern, and one row at a time,
    give. Repeats, a newline inside a text and an empty text are included."""
    import numpy as np

    clf = CategoryClassifier().fit()
    texts = eval_set["text"].tolist()[:120] * 2 + ["Hi there,\nthanks for the call.", ""]
    plain = np.array(
        [
            [min(3, sum(bool(p.search(t)) for p in patterns)) for patterns in clf.patterns_]
            for t in texts
        ],
        dtype=float,
    )
    assert plain.sum() > 50  # the cues do fire on these texts
    assert np.array_equal(clf.rule_hits(texts), plain)
    labels = clf.label(texts)
    proba = clf.predict_proba(texts)
    for row, p in zip(labels.itertuples(), proba, strict=True):
        order = np.argsort(-p, kind="stable")
        top = p[order[0]]
        want = [
            str(clf.classes_[k])
            for k in order
            if k == order[0] or (p[k] >= clf.threshold and p[k] >= clf.min_share * top)
        ]
        assert row.categories == want
        assert row.category == want[0]
        assert row.confidence == round(float(top), 4)
    assert labels["categories"].map(len).max() > 1  # some texts keep two categories
