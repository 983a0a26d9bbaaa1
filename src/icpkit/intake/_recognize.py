"""Recognise a table from its column names: source system, table kind, mapping.

The vocabulary lives in ``aliases.yaml`` (data, not if-chains). Names are
compared after normalisation (case, spaces, punctuation, a trailing ``__c``).

Choosing the table kind is a vote: every column that names a canonical column
of a kind votes for it, weighted by how specific the name is (``country``
appears in four kinds and counts a quarter; ``deal_stage`` only in deals and
counts fully); a key column counts double; ``signals`` (unmapped names typical
of a kind, like ``Lead Origin``) and the file name add a little. Choosing the
source system counts names written exactly as one CRM writes them
(``NumberOfEmployees`` is Salesforce, ``Country/Region`` is HubSpot,
``Address 1: City`` is Dynamics 365).
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from typing import Any

import yaml

from ..errors import ConfigError, closest
from ..schema import TABLES

__all__ = [
    "KIND_ORDER",
    "Match",
    "Recognition",
    "allowed_columns",
    "normalize_name",
    "recognize",
]

KIND_ORDER = (
    "accounts",
    "deals",
    "leads",
    "contacts",
    "contact_roles",
    "outcomes",
    "feedback",
    "universe",
)

SYSTEM_OF_FIELD = {
    "sf": "salesforce",
    "sf_label": "salesforce",
    "hs": "hubspot",
    "hs_label": "hubspot",
    "d365": "dynamics",
    "d365_label": "dynamics",
}
REASONS = {
    "canonical": ("canonical name", 1.0),
    "sf": ("Salesforce API name", 1.0),
    "sf_label": ("Salesforce UI label", 0.95),
    "hs": ("HubSpot internal name", 1.0),
    "hs_label": ("HubSpot export label", 0.95),
    "d365": ("Dynamics 365 logical name", 1.0),
    "d365_label": ("Dynamics 365 display name", 0.95),
    "alias": ("alias", 0.85),
}
# Words in a file name that hint at the table kind ("Opportunities.csv").
NAME_HINTS = {
    "accounts": ("account", "companies", "company", "customer", "organisation", "organization"),
    "deals": ("deal", "opportunit", "pipeline", "order"),
    "leads": ("lead", "prospect"),
    "contacts": ("contact", "people", "person"),
    "contact_roles": ("contactrole", "role"),
    "outcomes": ("outcome", "churn", "subscription", "renewal", "retention"),
    "feedback": ("feedback", "review", "ticket", "interview", "survey", "call", "nps"),
    "universe": ("universe", "market", "tam"),
}
# Naming patterns only one CRM uses.
SYSTEM_PATTERNS = {
    "salesforce": re.compile(r"__[cC]$|^[A-Z][a-z]+(?:[A-Z][a-z]+)*Id$"),
    "hubspot": re.compile(r"^hs_|^hubspot_"),
    "dynamics": re.compile(r"^address\d_|^_\w+_value$|^new_|^msdyn_|: |^\(Do Not Modify\)"),
}
SYSTEM_NAMES = {
    "salesforce": "Salesforce",
    "hubspot": "HubSpot",
    "dynamics": "Dynamics 365",
    "generic": "generic",
}


def normalize_name(name: str) -> str:
    """Lowercase ASCII letters and digits only, without a Salesforce ``__c`` suffix."""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    text = re.sub(r"__c$", "", text.strip(), flags=re.IGNORECASE)
    return re.sub(r"[^0-9a-z]+", "", text.lower())


@dataclass(frozen=True)
class Hit:
    canonical: str
    field: str  # sf, sf_label, ..., alias, canonical
    raw: str  # the alias exactly as written in aliases.yaml
    outcome: bool = False  # borrowed from another table (see BORROWED)


@dataclass(frozen=True)
class Match:
    """How one original column maps: canonical name (None = custom attribute)."""

    original: str
    canonical: str | None
    confidence: float
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "original": self.original,
            "canonical": self.canonical,
            "confidence": round(self.confidence, 2),
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Recognition:
    """What a table is: source system, table kind and a mapping per column."""

    system: str
    kind: str
    matches: tuple[Match, ...]
    scores: dict[str, float] = field(default_factory=dict)
    suggestions: dict[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @cached_property  # read once per column by the report: a dict per call was O(n²)
    def mapping(self) -> dict[str, str | None]:
        """Original column -> canonical name, or None for a custom attribute."""
        return {m.original: m.canonical for m in self.matches}

    @cached_property
    def mapped(self) -> dict[str, str]:
        return {m.original: m.canonical for m in self.matches if m.canonical is not None}

    @property
    def custom(self) -> list[str]:
        return [m.original for m in self.matches if m.canonical is None]

    def to_dict(self) -> dict[str, Any]:
        return {
            "system": self.system,
            "kind": self.kind,
            "mapping": [m.to_dict() for m in self.matches],
            "kind_scores": {k: round(v, 2) for k, v in self.scores.items()},
            "suggestions": dict(self.suggestions),
            "warnings": list(self.warnings),
        }


# Columns a table also accepts from another table, because flat exports carry
# them: outcomes in an accounts file (the "training" file with a target column),
# the account's firmographics in a deals file (an opportunity report).
FIRMOGRAPHICS = (
    "domain",
    "industry",
    "employees",
    "annual_revenue",
    "country",
    "state",
    "city",
    "founded_year",
    "funding_total",
    "last_funding_type",
    "last_funding_date",
    "technologies",
    "cloud_spend",
    "ownership",
)
BORROWED: dict[str, tuple[str, tuple[str, ...], str]] = {
    "accounts": ("outcomes", TABLES["outcomes"].column_names[1:], "outcome column"),
    "deals": ("accounts", FIRMOGRAPHICS, "account attribute"),
}


def allowed_columns(kind: str) -> dict[str, str]:
    """Canonical column -> value kind, for a table kind (with the columns it borrows)."""
    cols = {c.name: c.kind for c in TABLES[kind].columns}
    if kind in BORROWED:
        other, names, _ = BORROWED[kind]
        for name in names:
            column = TABLES[other].column(name)
            if column is not None:
                cols.setdefault(name, column.kind)
    return cols


# ---------------------------------------------------------------- vocabulary


@functools.cache
def _aliases() -> dict[str, Any]:
    text = resources.files("icpkit.intake").joinpath("aliases.yaml").read_text("utf-8")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader is 10x faster
    data: dict[str, Any] = yaml.load(text, Loader=loader)
    return data


def _add(vocab: dict[str, list[Hit]], canonical: str, spec: dict[str, Any], outcome: bool) -> None:
    for fld, names in spec.items():
        if fld not in REASONS:
            raise ConfigError(f"aliases.yaml: unknown key {fld!r} under {canonical!r}")
        for raw in names:
            vocab.setdefault(normalize_name(str(raw)), []).append(
                Hit(canonical, fld, str(raw), outcome)
            )


@functools.cache
def vocabulary(kind: str) -> dict[str, tuple[Hit, ...]]:
    """Normalised name -> hits for one table kind (all pointing at one canonical)."""
    data = _aliases()
    columns = set(TABLES[kind].column_names)
    vocab: dict[str, list[Hit]] = {}
    for name in TABLES[kind].column_names:
        vocab.setdefault(normalize_name(name), []).append(Hit(name, "canonical", name))
    for canonical, spec in data["tables"].get(kind, {}).items():
        _add(vocab, canonical, spec, outcome=False)
    for canonical, spec in data["common"].items():
        if canonical in columns:
            _add(vocab, canonical, spec, outcome=False)
    if kind == "outcomes":
        for canonical, spec in data["outcomes"].items():
            _add(vocab, canonical, spec, outcome=False)
    if kind in BORROWED:
        _, names, _ = BORROWED[kind]
        for name in names:
            vocab.setdefault(normalize_name(name), []).append(Hit(name, "canonical", name, True))
            spec = data["outcomes"].get(name) or data["common"].get(name) or {}
            _add(vocab, name, spec, outcome=True)
    return {n: tuple(_first_canonical(hits)) for n, hits in vocab.items()}


def _first_canonical(hits: list[Hit]) -> list[Hit]:
    """Keep the hits of the first canonical a name was listed for (tables before common)."""
    first = hits[0].canonical
    return [h for h in hits if h.canonical == first]


def vocabulary_conflicts() -> list[str]:
    """Names listed for two canonical columns of one kind (the YAML should have none)."""
    found = []
    for kind in KIND_ORDER:
        data = _aliases()
        vocab: dict[str, list[Hit]] = {}
        for canonical, spec in data["tables"].get(kind, {}).items():
            _add(vocab, canonical, spec, outcome=False)
        for canonical, spec in data["common"].items():
            if canonical in TABLES[kind].column_names:
                _add(vocab, canonical, spec, outcome=False)
        for norm, hits in vocab.items():
            targets = sorted({h.canonical for h in hits})
            if len(targets) > 1:
                found.append(f"{kind}: {norm!r} -> {targets}")
    return found


@functools.cache
def _signals() -> dict[str, frozenset[str]]:
    return {k: frozenset(normalize_name(s) for s in v) for k, v in _aliases()["signals"].items()}


# ---------------------------------------------------------------- kind


# Prefixes API exports wrap fields in once flattened ("properties.numberofemployees"
# from the HubSpot API, "fields.Name" from Airtable).
WRAPPERS = ("properties.", "fields.", "data.", "record.", "account.", "account: ")


def match_key(column: str) -> str:
    """The normalised name used for matching, without a known API wrapper prefix."""
    lowered = column.lower()
    for prefix in WRAPPERS:
        if lowered.startswith(prefix) and len(column) > len(prefix):
            return normalize_name(column[len(prefix) :])
    return normalize_name(column)


def _unwrapped(column: str) -> str:
    for prefix in WRAPPERS:
        if column.lower().startswith(prefix):
            return column[len(prefix) :]
    return column


def kind_scores(columns: list[str], name_hint: str | None = None) -> dict[str, float]:
    """A vote per table kind (higher is more likely)."""
    scores = dict.fromkeys(KIND_ORDER, 0.0)
    normed = [match_key(c) for c in columns]
    for n in normed:
        kinds = [k for k in KIND_ORDER if n in vocabulary(k)]
        for k in kinds:
            hit = vocabulary(k)[n][0]
            weight = 2.0 if hit.canonical == TABLES[k].key else 1.0
            if hit.outcome:
                weight *= 0.5
            scores[k] += weight / len(kinds)
        signalled = [k for k, names in _signals().items() if n in names]
        for k in signalled:
            scores[k] += 0.5 / len(signalled)
    if name_hint:
        hint = normalize_name(name_hint)
        for k, words in NAME_HINTS.items():
            if any(w in hint for w in words):
                scores[k] += 1.0
    return scores


def _pick_kind(scores: dict[str, float]) -> str:
    best = max(scores.values())
    return next(k for k in KIND_ORDER if scores[k] == best)


# ---------------------------------------------------------------- system


@functools.cache
def _system_names() -> dict[str, tuple[frozenset[str], float]]:
    """Exact CRM spellings -> (systems, weight).

    A spelling no spreadsheet would use by chance ("Address 1: City") or an API
    name in CamelCase ("NumberOfEmployees") weighs 1. One that is also an everyday
    alias weighs 0.5 when it is a multi-word label ("Close Date"), and nothing when
    it is a single word ("Industry", "city") that says nothing about the source.
    """
    everyday: set[str] = set()
    found: dict[str, set[str]] = {}
    for kind in KIND_ORDER:
        for norm, hits in vocabulary(kind).items():
            for h in hits:
                if h.field in ("alias", "canonical"):
                    everyday.add(norm)
                elif h.field in SYSTEM_OF_FIELD:
                    found.setdefault(h.raw, set()).add(SYSTEM_OF_FIELD[h.field])
    out: dict[str, tuple[frozenset[str], float]] = {}
    for raw, systems in found.items():
        camel = re.fullmatch(r"[A-Z][a-z]+(?:[A-Z][a-z]+)+", raw) is not None
        if normalize_name(raw) not in everyday or camel:
            out[raw] = (frozenset(systems), 1.0)
            if camel and systems == {"salesforce"}:
                # Data Loader exports write API names in capitals (NUMBEROFEMPLOYEES).
                out.setdefault(raw.upper(), (frozenset(systems), 1.0))
        elif re.search(r"\s", raw):
            out[raw] = (frozenset(systems), 0.5)
    return out


def system_scores(columns: list[str]) -> dict[str, float]:
    """How many column names are written exactly as each CRM writes them."""
    exact = _system_names()
    scores = {"salesforce": 0.0, "hubspot": 0.0, "dynamics": 0.0}
    for col in map(_unwrapped, columns):
        systems, weight = exact.get(col, (frozenset(), 0.0))
        for s in systems:
            scores[s] += weight / len(systems)
        for s, pattern in SYSTEM_PATTERNS.items():
            if pattern.search(col):
                scores[s] += 1.0
    return scores


def _pick_system(scores: dict[str, float]) -> str:
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    (top, best), (_, second) = ranked[0], ranked[1]
    if best >= 1.5 and best >= 1.5 * second:
        return top
    return "generic"


# ---------------------------------------------------------------- mapping


def _best_hit(col: str, hits: tuple[Hit, ...], system: str, kind: str) -> tuple[float, str]:
    """(confidence, reason) preferring the detected system's own naming."""

    def rank(h: Hit) -> tuple[int, int, float]:
        own = (
            SYSTEM_OF_FIELD.get(h.field) == system
            or h.field == "canonical"
            or (system == "generic" and h.field == "alias")
        )
        exact = h.raw == col
        return (int(own and exact), int(own), REASONS[h.field][1])

    best = max(hits, key=rank)
    reason, confidence = REASONS[best.field]
    if best.field in ("sf", "hs", "d365") and best.raw != col:
        confidence = 0.95
    if best.field == "canonical" and best.raw != col:
        confidence = 0.95
    if col.lower().endswith("__c"):
        reason = f"Salesforce custom field ({reason})"
    if best.outcome:
        reason = f"{reason} ({BORROWED[kind][2]})"
    return confidence, reason


def _map(
    columns: list[str], kind: str, system: str
) -> tuple[list[Match], dict[str, str], list[str]]:
    vocab = vocabulary(kind)
    proposed: list[Match] = []
    for col in columns:
        hits = vocab.get(match_key(col))
        if hits:
            conf, reason = _best_hit(_unwrapped(col), hits, system, kind)
            proposed.append(Match(col, hits[0].canonical, conf, reason))
        else:
            proposed.append(Match(col, None, 0.0, "custom attribute"))
    return _resolve_duplicates(proposed, kind)


def _resolve_duplicates(
    proposed: list[Match], kind: str
) -> tuple[list[Match], dict[str, str], list[str]]:
    winners: dict[str, Match] = {}
    for m in proposed:
        if m.canonical is None:
            continue
        held = winners.get(m.canonical)
        if held is None or m.confidence > held.confidence:
            winners[m.canonical] = m
    final: list[Match] = []
    warnings: list[str] = []
    for m in proposed:
        if m.canonical is not None and winners[m.canonical] is not m:
            won = winners[m.canonical].original
            warnings.append(
                f"{m.original!r} also looks like {m.canonical!r}; used {won!r} and kept"
                f" {m.original!r} as a custom attribute"
            )
            m = Match(m.original, None, 0.0, f"custom attribute ({won!r} is {m.canonical})")
        final.append(m)
    suggestions = _suggest(final, kind)
    return final, suggestions, warnings


def _suggest(matches: list[Match], kind: str) -> dict[str, str]:
    """Near-misses for unmapped columns ("Employes" -> employees) to offer, not apply."""
    vocab = vocabulary(kind)
    by_length = _names_by_length(kind)
    taken = {m.canonical for m in matches}
    out = {}
    unmapped = [m for m in matches if m.canonical is None]
    # Near-misses are hints for a person; past the first 2,000 unmapped columns (a very
    # wide export) nobody reads them, and fuzzy matching would cost more than the read.
    for m in unmapped[:_MAX_SUGGESTED]:
        norm = match_key(m.original)
        if len(norm) < 4:
            continue
        near = _closest_name(norm, by_length)
        if near is None or vocab[near][0].canonical in taken:
            continue
        canonical = vocab[near][0].canonical
        # "categoryID" is not "category": an id column only suggests an id column.
        if norm.endswith("id") and not canonical.endswith("_id"):
            continue
        out[m.original] = canonical
    return out


_CUTOFF = 0.85
_MAX_SUGGESTED = 2_000


@functools.cache
def _names_by_length(kind: str) -> dict[int, list[str]]:
    groups: dict[int, list[str]] = {}
    for name in vocabulary(kind):
        groups.setdefault(len(name), []).append(name)
    return groups


def _closest_name(norm: str, by_length: dict[int, list[str]]) -> str | None:
    """``closest(norm, vocabulary, cutoff=0.85)``, looking only at names of a length that can
    reach the cutoff (a ratio of 2*matches/(len a + len b) needs len b within
    [0.739, 1.353] x len a): a 20,000-column export was spending a minute here."""
    n = len(norm)
    low, high = math.ceil(n * _CUTOFF / (2 - _CUTOFF)), math.floor(n * (2 - _CUTOFF) / _CUTOFF)
    names = [c for length in range(low, high + 1) for c in by_length.get(length, ())]
    return closest(norm, names, cutoff=_CUTOFF) if names else None


def recognize(
    columns: list[str], *, kind: str | None = None, name_hint: str | None = None
) -> Recognition:
    """Source system, table kind and the column mapping for a list of column names.

    ``kind`` forces the table kind; ``name_hint`` (usually the file name) breaks
    ties ("opportunities.csv" is deals).
    """
    columns = [str(c) for c in columns]
    scores = kind_scores(columns, name_hint)
    if kind is not None:
        check_kind(kind)
    chosen = kind or _pick_kind(scores)
    system = _pick_system(system_scores(columns))
    matches, suggestions, warnings = _map(columns, chosen, system)
    return Recognition(system, chosen, tuple(matches), scores, suggestions, tuple(warnings))


def check_kind(kind: str) -> None:
    if kind not in TABLES:
        match = closest(kind, list(TABLES))
        hint = f"Did you mean {match!r}?" if match else f"Kinds: {', '.join(TABLES)}"
        raise ConfigError(f"unknown table kind {kind!r}", value=None, hint=hint)
