"""What a highlight's context says: its polarity, and the question it answers.

- Polarity comes from VADER (the ``vaderSentiment`` package: a maintained lexicon of
  7,500 rated words plus rules for negation, intensifiers, "but" and punctuation), with
  a few dozen software-buyer words it lacks added from ``context.yaml`` ("clunky",
  "expensive", "intuitive"). It replaced our hand-written word lists because it did
  better on real reviews (tests/golden/voice/README.md has the measurement).
- A ``prompt``/``question`` next to the text ("What do you dislike about X?") gives a
  *stance*; each stance is a prior over the categories (``context.yaml``), so the answer
  inherits the polarity of its question unless the answer itself clearly says the
  opposite ("Nothing, I love it", "Overall a great tool").
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from importlib import resources
from typing import Any

import numpy as np
import yaml

__all__ = ["apply_prompt_prior", "context_spec", "polarity_scores", "prompt_stance"]


@functools.lru_cache(maxsize=1)
def context_spec() -> dict[str, Any]:
    """Stances, the no-complaint pattern and domain valences from ``context.yaml``."""
    text = resources.files("icpkit.voice").joinpath("context.yaml").read_text("utf-8")
    spec: dict[str, Any] = yaml.safe_load(text)
    return spec


@functools.lru_cache(maxsize=1)
def _analyzer() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    for word, valence in context_spec()["domain_valence"].items():
        analyzer.lexicon.setdefault(str(word), float(valence))
    return analyzer


@functools.lru_cache(maxsize=1)
def _no_complaint() -> re.Pattern[str]:
    return re.compile(context_spec()["no_complaint"], re.IGNORECASE)


def polarity_scores(texts: Sequence[str]) -> np.ndarray:
    """Per text: (positive, negative, compound) from VADER; each distinct text scored once.

    A "nothing to complain about" answer counts as clearly positive: VADER reads the
    "nothing" in "Nothing, I love it" as a negation of "love".
    """
    analyzer = _analyzer()
    no_complaint = _no_complaint()
    unique, inverse = np.unique(np.asarray(list(texts), dtype=object), return_inverse=True)
    out = np.zeros((len(unique), 3))
    for i, text in enumerate(unique):
        if no_complaint.search(text):
            out[i] = (1.0, 0.0, 1.0)
            continue
        s = analyzer.polarity_scores(text)
        out[i] = (s["pos"], s["neg"], s["compound"])
    return out[inverse.ravel()] if len(unique) else out


def prompt_stance(prompts: Sequence[Any]) -> np.ndarray:
    """The stance name of each prompt ('' when there is none or it is neutral)."""
    stances = [
        (name, re.compile(s["pattern"], re.IGNORECASE))
        for name, s in context_spec()["stances"].items()
    ]
    cache: dict[str, str] = {}
    out = []
    for p in prompts:
        text = p if isinstance(p, str) else ""  # None / NA: no prompt
        if text not in cache:
            cache[text] = next((name for name, pat in stances if pat.search(text)), "")
        out.append(cache[text])
    return np.asarray(out, dtype=object)


def apply_prompt_prior(
    proba: np.ndarray, classes: Sequence[str], stances: np.ndarray, scores: np.ndarray
) -> np.ndarray:
    """Multiply each row by its stance's prior and renormalise.

    When the answer's own polarity is strongly on the other side (``override``), the
    other side's prior applies: a clearly positive answer to a negative prompt is read
    as an answer to a positive one, and vice versa.
    """
    spec = context_spec()
    override = float(spec["override"])
    effective = stances.copy()
    # a clearly positive answer to a negative prompt reads as a positive one, and back
    # (only when the answer has no word of the other side: "hard at first, but great once
    # set up" stays an answer to "What do you dislike?")
    pos, neg, compound = scores[:, 0], scores[:, 1], scores[:, 2]
    flip_up = (stances == "negative") & (compound >= override) & (neg == 0)
    flip_down = np.isin(stances, ["positive", "purchase"]) & (compound <= -override) & (pos == 0)
    effective[flip_up] = "positive"
    effective[flip_down] = "negative"
    out = proba.copy()
    index = {c: i for i, c in enumerate(classes)}
    for name, stance in spec["stances"].items():
        rows = effective == name
        if not rows.any():
            continue
        factor = np.ones(len(classes))
        for cat, value in stance["prior"].items():
            if cat in index:
                factor[index[cat]] = float(value)
        out[rows] *= factor
    sums = out.sum(axis=1, keepdims=True)
    return np.asarray(out / np.where(sums > 0, sums, 1.0))
