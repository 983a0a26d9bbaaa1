"""What a highlight's context says: the question it answers, and how strongly it leans.

- A ``prompt``/``question`` next to the text ("What do you dislike about X?") gives a
  *stance*; each stance is a prior over the categories (``context.yaml``), so the answer
  inherits the polarity of its question unless the answer itself clearly says the
  opposite, or says there is nothing to complain about ("Nothing, I love it").
- How strongly an answer leans comes from our word lists (``sentiment.yaml``) by
  default, or from VADER (the ``vaderSentiment`` package, a maintained lexicon of 7,500
  rated words plus rules, with the software-buyer words it lacks added from
  ``context.yaml``) with ``lexicon="vader"``. VADER was measured in place of our lists
  on four development splits and was not better (tests/golden/voice/README.md), so it
  is the optional extra ``icpkit[sentiment]``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from importlib import resources
from typing import Any

import numpy as np
import yaml

__all__ = [
    "apply_prompt_prior",
    "context_spec",
    "no_complaint",
    "polarity_scores",
    "prompt_stance",
    "strong_polarity",
]


@functools.lru_cache(maxsize=1)
def context_spec() -> dict[str, Any]:
    """Stances, the no-complaint pattern and domain valences from ``context.yaml``."""
    text = resources.files("icpkit.voice").joinpath("context.yaml").read_text("utf-8")
    spec: dict[str, Any] = yaml.safe_load(text)
    return spec


@functools.lru_cache(maxsize=1)
def _analyzer() -> Any:
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    except ImportError:
        from ..errors import ConfigError

        raise ConfigError(
            "the VADER lexicon needs the optional extra",
            hint="Install it with: pip install 'icpkit[sentiment]'",
        ) from None

    analyzer = SentimentIntensityAnalyzer()
    for word, valence in context_spec()["domain_valence"].items():
        analyzer.lexicon.setdefault(str(word), float(valence))
    return analyzer


@functools.lru_cache(maxsize=1)
def _no_complaint() -> re.Pattern[str]:
    return re.compile(context_spec()["no_complaint"], re.IGNORECASE)


def polarity_scores(texts: Sequence[str]) -> np.ndarray:
    """Per text: VADER's (positive, negative, compound); each distinct text scored once."""
    analyzer = _analyzer()
    unique, inverse = np.unique(np.asarray(list(texts), dtype=object), return_inverse=True)
    out = np.zeros((len(unique), 3))
    for i, text in enumerate(unique):
        s = analyzer.polarity_scores(text)
        out[i] = (s["pos"], s["neg"], s["compound"])
    return out[inverse.ravel()] if len(unique) else out


def no_complaint(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(says there is nothing to complain about, is a bare "nothing"/"none"/"n/a").

    The first is praise whatever the question ("No complaints, it works well"); the
    second only answers the question it follows ("Nothing." to "What do you dislike?").
    """
    explicit = _no_complaint()
    bare = re.compile(r"^\W*(none|nothing|no|n/?a|nope)\W*$", re.IGNORECASE)
    return (
        np.array([bool(explicit.search(t)) for t in texts], dtype=bool),
        np.array([bool(bare.match(t)) for t in texts], dtype=bool),
    )


def strong_polarity(texts: Sequence[str], lexicon: str) -> tuple[np.ndarray, np.ndarray]:
    """(clearly positive, clearly negative) per text, by ``lexicon``.

    'words' (our lists in sentiment.yaml): two or more hits on one side, none on the
    other. 'vader': compound score at least ``override`` either way, with at most 10%
    of the words on the other side. Mixed answers ("hard at first, but great once set
    up") are neither.
    """
    if lexicon == "vader":
        override = float(context_spec()["override"])
        pos, neg, compound = polarity_scores(texts).T
        return (compound >= override) & (neg <= 0.1), (compound <= -override) & (pos <= 0.1)
    from ._categories import polarity

    counts = np.array([polarity(t) for t in texts], dtype=np.float64).reshape(-1, 2)
    p, n = counts[:, 0], counts[:, 1]
    return (p >= 2) & (n == 0), (n >= 2) & (p == 0)


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
    proba: np.ndarray,
    classes: Sequence[str],
    stances: np.ndarray,
    up: np.ndarray,
    down: np.ndarray,
) -> np.ndarray:
    """Multiply each row by its stance's prior and renormalise.

    ``up``/``down``: the answer itself is clearly positive/negative. Then the other
    side's prior applies: a clearly positive answer to a negative prompt is read as an
    answer to a positive one, and vice versa.
    """
    spec = context_spec()
    effective = stances.copy()
    effective[(stances == "negative") & up] = "positive"
    effective[np.isin(stances, ["positive", "purchase"]) & down] = "negative"
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
