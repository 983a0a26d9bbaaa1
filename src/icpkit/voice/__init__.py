"""Voice of the customer: what the best customers say, and where the data is silent.

- :func:`read_feedback`: feedback tables (CSV/TSV/JSONL/Parquet/Excel) and folders of
  transcripts (.vtt, .srt, .txt; speaker turns kept); :func:`link_accounts` links items
  to accounts by id, domain or normalised company name and reports what did not link.
- :func:`label_feedback`: highlights (sentences or speaker turns), each labelled with
  one or more :data:`CATEGORIES` and a confidence, flagged ICP by tier/segment.
- :func:`analyze`: categories and themes (a phrase label taken from the highlights,
  keywords, size, ICP share versus the rest, verbatim quotes) as tables and a
  plain-dict report.
- :func:`ask`: ranked evidence for a question and an extractive summary.
- :func:`find_gaps` / :func:`interview_plan` / :func:`plan_interviews`: missing or
  thin ICP evidence per standard question, contacts to interview, questions to ask.

Default method: cue rules + TF-IDF (lean install). With ``icpkit[embeddings]``
installed, ``method="auto"`` uses all-MiniLM-L6-v2 sentence embeddings, offline.
"""

from ._analyze import Labelled, VoiceResult, analyze, label_feedback, load_accounts
from ._ask import ask, question_categories, rank_evidence
from ._backend import METHODS, EmbeddingBackend, TfidfBackend, embeddings_available, get_backend
from ._categories import CATEGORIES, CATEGORY_LABELS, CategoryClassifier, classify
from ._highlights import split_highlights, split_sentences
from ._ingest import parse_transcript, read_feedback, read_transcripts
from ._interviews import TOPICS, find_gaps, interview_plan, plan_interviews
from ._link import link_accounts, normalize_company, normalize_domain
from ._themes import find_themes

__all__ = [
    "CATEGORIES",
    "CATEGORY_LABELS",
    "METHODS",
    "TOPICS",
    "CategoryClassifier",
    "EmbeddingBackend",
    "Labelled",
    "TfidfBackend",
    "VoiceResult",
    "analyze",
    "ask",
    "classify",
    "embeddings_available",
    "find_gaps",
    "find_themes",
    "get_backend",
    "interview_plan",
    "label_feedback",
    "link_accounts",
    "load_accounts",
    "normalize_company",
    "normalize_domain",
    "parse_transcript",
    "plan_interviews",
    "question_categories",
    "rank_evidence",
    "read_feedback",
    "read_transcripts",
    "split_highlights",
    "split_sentences",
]
