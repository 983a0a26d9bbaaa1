"""A small supervised head over the prototype classifier, trained offline on real labels.

The prototype classifier (``_categories``) is trained at first use on sentences written
for ``categories.yaml``. On real review text its errors are between neighbouring
meanings (a bare feature list is praise in one answer and a neutral use case in the
next), which only real labelled sentences can teach. Those sentences cannot ship with
the package (their source's terms forbid copying the text), so the head ships as
numbers: one multinomial logistic regression whose coefficients are in
``head_<method>.json``, next to this file, readable as "this word / this cue / this
question pushes a sentence towards these categories".

Features of a (sentence, question) pair:

- the prototype classifier's log-probabilities per category (its knowledge of wording);
- how many cue patterns of each category match, and the two polarity counts;
- the question's stance (negative, discovery, purchase, advice, positive) and whether
  the answer is clearly on the other side of it; "nothing to complain about" flags;
- which of the head's words and word pairs the sentence contains (a fixed vocabulary
  kept with the coefficients; words seen in at least three training sentences);
- for the embeddings method, the sentence embedding itself.

The head is trained by ``benchmarks/voice_head.py`` on the real dev split of
``tests/golden/voice/real.tsv`` plus the hand-written development splits, and was
cross-validated on the dev split only. It is tied to the exact prototype classifier it
was trained over: the file stores a hash of the YAML files the classifier is built from,
and a head whose hash does not match is not used (the classifier falls back to the
question priors of ``context.yaml``, with a warning).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer

from ._context import no_complaint, prompt_stance, strong_polarity

if TYPE_CHECKING:
    from ._categories import CategoryClassifier

__all__ = ["STANCES", "Head", "answer_flags", "fit_head", "load_head", "spec_hash"]

STANCES = ("negative", "discovery", "purchase", "advice", "positive")
_ROW_FEATURES = (
    *(f"question:{s}" for s in STANCES),
    "answer clearly positive to a negative question",
    "answer clearly negative to a positive question",
    "bare 'nothing' to a negative question",
    "bare 'nothing' to a positive question",
)
_log = logging.getLogger(__name__)


def spec_hash() -> str:
    """SHA-1 (12 hex digits) of the YAML files the prototype classifier is built from."""
    h = hashlib.sha1()
    for name in ("categories.yaml", "sentiment.yaml", "context.yaml"):
        h.update(resources.files("icpkit.voice").joinpath(name).read_bytes())
    return h.hexdigest()[:12]


def text_names(classes: Sequence[str]) -> list[str]:
    """Names of the per-sentence dense features, in column order."""
    return [
        *(f"prototype classifier: {c}" for c in classes),
        *(f"cues: {c}" for c in classes),
        "positive words",
        "negative words",
        "ends with a question mark",
        "says there is nothing to complain about",
    ]


def _text_dense(
    clf: CategoryClassifier, texts: list[str], base: np.ndarray, hits: np.ndarray
) -> np.ndarray:
    question = np.array([t.rstrip().endswith("?") for t in texts], dtype=np.float64)
    explicit, _bare = no_complaint(texts)
    polarity = clf._polarity_features(texts)
    return np.column_stack([np.log(base + 1e-4), np.log1p(hits), polarity, question, explicit])


def answer_flags(texts: list[str]) -> np.ndarray:
    """Per sentence: clearly positive, clearly negative, a bare "nothing" (3 columns)."""
    up, down = strong_polarity(texts, "words")
    _explicit, bare = no_complaint(texts)
    return np.column_stack([up, down, bare])


def _row_dense(stances: np.ndarray, flags: np.ndarray) -> np.ndarray:
    onehot = np.column_stack([stances == s for s in STANCES]).astype(np.float64)
    up, down, bare = flags.T.astype(bool)
    negative = stances == "negative"
    positive = np.isin(stances, ["positive", "purchase"])
    flags = np.column_stack([negative & up, positive & down, bare & negative, bare & positive])
    return np.hstack([onehot, flags.astype(np.float64)])


@dataclass
class Head:
    """Coefficients of the head: ``score = intercept + Σ feature × weight`` per category."""

    method: str
    classes: list[str]
    intercept: np.ndarray  # (k,)
    text_coef: np.ndarray  # (k, dense text features)
    row_coef: np.ndarray  # (k, row features)
    words: list[str]
    word_coef: np.ndarray  # (k, words)
    embedding_coef: np.ndarray | None  # (k, dims) for the embeddings method
    spec: str
    about: dict[str, Any]

    @functools.cached_property
    def _vectorizer(self) -> CountVectorizer:
        return CountVectorizer(ngram_range=(1, 2), binary=True, vocabulary=self.words)

    def text_scores(
        self,
        clf: CategoryClassifier,
        texts: list[str],
        base: np.ndarray,
        hits: np.ndarray,
        vectors: Any,
    ) -> np.ndarray:
        """The part of each category's score that depends on the sentence alone."""
        out = _text_dense(clf, texts, base, hits) @ self.text_coef.T
        out += np.asarray(self._vectorizer.transform(texts) @ self.word_coef.T)
        if self.embedding_coef is not None:
            out += np.asarray(vectors) @ self.embedding_coef.T
        return np.asarray(out + self.intercept)

    def proba(self, text_scores: np.ndarray, stances: np.ndarray, flags: np.ndarray) -> np.ndarray:
        """Probabilities per row, from the sentence part and the question part (the
        question's stance per row, ``answer_flags`` of the row's sentence)."""
        z = text_scores + _row_dense(stances, flags) @ self.row_coef.T
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return np.asarray(e / e.sum(axis=1, keepdims=True))

    def to_json(self) -> str:
        """JSON with one line per feature ("word": [weight per category]), so that a
        retrained head reads as a diff of the weights that moved."""

        def rows(m: np.ndarray, names: Sequence[str]) -> list[str]:
            return [
                f"  {json.dumps(n, ensure_ascii=False)}: {json.dumps([round(float(v), 4) for v in m[:, j]])}"
                for j, n in enumerate(names)
            ]

        def block(key: str, lines: list[str]) -> str:
            return f'"{key}": {{\n' + ",\n".join(lines) + "\n}"

        head = {
            "about": self.about,
            "method": self.method,
            "spec": self.spec,
            "classes": self.classes,
            "intercept": [round(float(v), 4) for v in self.intercept],
        }
        parts = [f"{json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in head.items()]
        parts += [
            block("features", rows(self.text_coef, text_names(self.classes))),
            block("question", rows(self.row_coef, _ROW_FEATURES)),
            block("words", rows(self.word_coef, self.words)),
        ]
        if self.embedding_coef is not None:
            dims = [json.dumps([round(float(v), 4) for v in r]) for r in self.embedding_coef]
            parts.append('"embedding": [\n' + ",\n".join(dims) + "\n]")
        return "{\n" + ",\n".join(parts) + "\n}\n"

    @classmethod
    def from_json(cls, text: str) -> Head:
        doc = json.loads(text)

        def matrix(d: dict[str, list[float]]) -> np.ndarray:
            k = len(doc["classes"])
            return np.array(list(d.values()), dtype=np.float64).reshape(-1, k).T

        emb = doc.get("embedding")
        return cls(
            method=doc["method"],
            classes=list(doc["classes"]),
            intercept=np.array(doc["intercept"], dtype=np.float64),
            text_coef=matrix(doc["features"]),
            row_coef=matrix(doc["question"]),
            words=list(doc["words"]),
            word_coef=matrix(doc["words"]),
            embedding_coef=None if emb is None else np.array(emb, dtype=np.float64),
            spec=doc["spec"],
            about=doc["about"],
        )


@functools.lru_cache(maxsize=4)
def load_head(method: str) -> Head | None:
    """The shipped head for ``method``, or None when there is none or it is stale."""
    path = resources.files("icpkit.voice").joinpath(f"head_{method}.json")
    if not path.is_file():
        return None
    head = Head.from_json(path.read_text("utf-8"))
    if head.spec != spec_hash():
        _log.warning(
            "voice: head_%s.json was trained over other category files; not used "
            "(retrain it with benchmarks/voice_head.py)",
            method,
        )
        return None
    return head


def fit_head(
    clf: CategoryClassifier,
    texts: list[str],
    prompts: Sequence[Any],
    labels: Sequence[str],
    weights: np.ndarray,
    C: float = 1.0,
    min_df: int = 3,
    embeddings: bool = False,
) -> Head:
    """Fit the head over ``clf`` (fitted on the prototypes) on labelled sentences."""
    from sklearn.linear_model import LogisticRegression

    classes = list(clf.classes_)
    words = CountVectorizer(ngram_range=(1, 2), binary=True, min_df=min_df).fit(texts)
    vocabulary = sorted(words.vocabulary_, key=words.vocabulary_.__getitem__)
    hits = clf.rule_hits(texts)
    vectors = clf.backend_.transform(texts)
    base = clf.model_.predict_proba(clf._features(texts, hits, vectors))
    blocks = [
        sparse.csr_matrix(_text_dense(clf, texts, base, hits)),
        sparse.csr_matrix(_row_dense(prompt_stance(prompts), answer_flags(texts))),
        words.transform(texts).astype(np.float64),
    ]
    if embeddings:
        blocks.append(sparse.csr_matrix(np.asarray(vectors)))
    x = sparse.hstack(blocks).tocsr()
    model = LogisticRegression(C=C, max_iter=3000, class_weight="balanced", solver="newton-cg")
    model.fit(x, list(labels), sample_weight=weights)
    order = [list(model.classes_).index(c) for c in classes]
    coef = np.asarray(model.coef_)[order]
    n_text, n_row = len(text_names(classes)), len(_ROW_FEATURES)
    cut = np.cumsum([n_text, n_row, len(vocabulary)])
    return Head(
        method=clf.backend_.name,
        classes=classes,
        intercept=np.asarray(model.intercept_)[order],
        text_coef=coef[:, : cut[0]],
        row_coef=coef[:, cut[0] : cut[1]],
        words=vocabulary,
        word_coef=coef[:, cut[1] : cut[2]],
        embedding_coef=coef[:, cut[2] :] if embeddings else None,
        spec=spec_hash(),
        about={},
    )
