"""The supervised head of the voice classifier (issue 16): shipped as coefficients with a
vocabulary of words and word pairs, tied to the category files it was trained over, and
used only over the classifier it was trained over."""

from __future__ import annotations

import json
import logging
from importlib import resources

import numpy as np
import pytest

from icpkit.voice import CategoryClassifier, _head
from icpkit.voice._head import Head, load_head, spec_hash

DISLIKE = "What do you dislike about Acme Planning?"


@pytest.fixture(scope="module")
def clf() -> CategoryClassifier:
    return CategoryClassifier().fit()


@pytest.mark.parametrize("method", ["tfidf", "embeddings"])
def test_shipped_heads_match_the_category_files(method: str) -> None:
    """An edit of categories.yaml / sentiment.yaml / context.yaml changes the features the
    head reads: retrain it (python benchmarks/voice_head.py) in the same commit."""
    text = resources.files("icpkit.voice").joinpath(f"head_{method}.json").read_text("utf-8")
    doc = json.loads(text)
    assert doc["spec"] == spec_hash()
    assert doc["method"] == method
    # explainable: every coefficient is named, and the vocabulary holds words and word
    # pairs only, never a sentence of the (unshippable) training text
    assert all(1 <= len(w.split()) <= 2 for w in doc["words"])
    k = len(doc["classes"])
    assert all(
        len(v) == k for part in ("features", "question", "words") for v in doc[part].values()
    )
    head = Head.from_json(text)
    assert head.word_coef.shape == (k, len(doc["words"]))
    assert Head.from_json(head.to_json()).words == head.words  # round trip


def test_the_default_classifier_uses_the_head_and_a_custom_one_does_not() -> None:
    assert CategoryClassifier().fit().head_ is not None
    assert CategoryClassifier(head=False).fit().head_ is None
    assert CategoryClassifier(rule_weight=0.5).fit().head_ is None  # other features
    texts = ["A great planning tool.", "It keeps crashing."]
    assert CategoryClassifier().fit(texts, ["praise", "pain_point"]).head_ is None


def test_a_stale_head_is_not_used(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(_head, "spec_hash", lambda: "000000000000")
    load_head.cache_clear()
    try:
        with caplog.at_level(logging.WARNING):
            assert load_head("tfidf") is None
        assert "retrain it" in caplog.text
        assert CategoryClassifier().fit().head_ is None
    finally:
        load_head.cache_clear()


def test_head_probabilities_are_a_distribution(clf: CategoryClassifier) -> None:
    texts = ["The forecasting module is slow to load.", "Budgeting and forecasting."]
    proba = clf.predict_proba(texts, prompts=[DISLIKE, None])
    assert proba.shape == (2, len(clf.classes_))
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert clf.predict(texts[:1], prompts=[DISLIKE])[0] == "pain_point"


def test_having_found_nothing_to_dislike_is_praise(clf: CategoryClassifier) -> None:
    """Review wording of "no complaints" seen in the dev split's errors (sentences
    written for this test)."""
    texts = [
        "So far we have not found anything we dislike about it.",
        "Our finance team hasn't found anything they don't like.",
        "Nothing I would point out as a negative at this point.",
    ]
    assert list(clf.predict(texts, prompts=[DISLIKE] * 3)) == ["praise"] * 3
    # finding nothing *else* is not the same
    assert (
        clf.predict(["We haven't found a way to export the audit trail."], [DISLIKE])[0] != "praise"
    )
