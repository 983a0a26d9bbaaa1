"""Job titles → role (department) and seniority.

Seniority, highest first: C-level (Chief ..., CxO, Owner, Founder, President,
Managing Director, Partner), VP (Vice President, SVP, EVP, AVP), Director (Director,
Head of), Manager (Manager, Supervisor, Team Lead), else Individual contributor
("Sr. Engineer" is still an individual contributor; "Assistant to the CEO" too).

Role: the department the title names, found by ordered keyword rules (multi-word
phrases first, so "Product Marketing Manager" is Marketing and "Sales Operations"
is Sales). Founders, owners and presidents without a function are Executive.
CxO abbreviations carry their function (CTO → Engineering, CFO → Finance).

A title with several parts ("Owner/Marketing Assistant", "CEO & Founder") takes the
most senior part, and that part's department (falling back to any part's).
Abbreviations are expanded first ("Sr. Mktg Mgr" → "senior marketing manager").
"""

from __future__ import annotations

import html
import re
from functools import cache, lru_cache
from typing import Any

from ._base import Parsed

__all__ = ["ROLES", "SENIORITIES", "clean_title", "parse_title"]

SENIORITIES = ("C-level", "VP", "Director", "Manager", "Individual contributor")
ROLES = (
    "Executive",
    "Engineering",
    "IT",
    "Data",
    "Product",
    "Sales",
    "Marketing",
    "Customer Success",
    "Finance",
    "Operations",
    "HR",
    "Legal",
    "Procurement",
    "Other",
)

_ABBREVIATIONS = {
    "sr": "senior",
    "snr": "senior",
    "jr": "junior",
    "mgr": "manager",
    "mngr": "manager",
    "mgmt": "management",
    "dir": "director",
    "asst": "assistant",
    "assoc": "associate",
    "admin": "administrator",
    "exec": "executive",
    "mktg": "marketing",
    "mkt": "marketing",
    "mkting": "marketing",
    "acct": "account",
    "acc": "account",
    "eng": "engineer",
    "engr": "engineer",
    "dev": "developer",
    "rep": "representative",
    "ops": "operations",
    "bizdev": "business development",
    "bd": "business development",
    "hr": "human resources",
    "ae": "account executive",
    "am": "account manager",
    "csm": "customer success manager",
    "pm": "product manager",
    "svp": "senior vice president",
    "evp": "executive vice president",
    "avp": "assistant vice president",
    "vp": "vice president",
    "v p": "vice president",
    "gm": "general manager",
    "md": "managing director",
    "ceo": "chief executive officer",
    "cto": "chief technology officer",
    "cfo": "chief financial officer",
    "coo": "chief operating officer",
    "cmo": "chief marketing officer",
    "cio": "chief information officer",
    "ciso": "chief information security officer",
    "cso": "chief strategy officer",
    "cro": "chief revenue officer",
    "cpo": "chief product officer",
    "cdo": "chief data officer",
    "chro": "chief human resources officer",
    "cco": "chief customer officer",
    "clo": "chief legal officer",
    "cao": "chief accounting officer",
    "sdr": "sales development representative",
    "bdr": "business development representative",
    "qa": "quality assurance",
    "sre": "site reliability engineer",
    "ux": "user experience",
    "ui": "user interface",
    "it": "information technology",
    "bi": "business intelligence",
    "ml": "machine learning",
    "ai": "artificial intelligence",
    "fp&a": "financial planning",
    "r&d": "research and development",
    # A few words from other languages that CRMs in Europe and Latin America carry.
    "geschäftsführer": "managing director",
    "geschaftsfuhrer": "managing director",
    "geschäftsführerin": "managing director",
    "inhaberin": "owner",
    "gründerin": "founder",
    "jefe": "head",
    "jefa": "head",
    "compras": "procurement",
    "achats": "procurement",
    "finanzen": "finance",
    "inhaber": "owner",
    "gründer": "founder",
    "leiter": "head",
    "leiterin": "head",
    "directeur": "director",
    "directrice": "director",
    "gerente": "manager",
    "responsable": "manager",
    "propietario": "owner",
    "fundador": "founder",
    "vendedor": "sales representative",
    "ventas": "sales",
    "vertrieb": "sales",
    "einkauf": "procurement",
}

# (pattern, seniority), tried in order on the expanded title; the first match wins.
_SENIORITY_RULES: tuple[tuple[str, str], ...] = (
    (r"\bassistant to\b|\bexecutive assistant\b|\bassistant of\b", "Individual contributor"),
    (r"\b(?:product|process|data|service) owner\b", "Individual contributor"),
    (r"\bchief of staff\b", "Director"),
    (r"\bchief\b|\bc-level\b|\bc-suite\b", "C-level"),
    (r"\bassistant vice president\b", "VP"),
    (r"\bvice president\b|\bvice-president\b", "VP"),
    (r"\b(?:co-?)?founder\b|\bowner\b|\bproprietor\b|\bchair(?:man|woman|person)?\b", "C-level"),
    (r"\bboard member\b|\bmember of the board\b", "C-level"),
    (r"\bpresident\b|\bmanaging director\b|\bdirector general\b|\bdirecteur general\b", "C-level"),
    (r"^(?:managing |senior |founding |equity )?partner$", "C-level"),
    (r"\bhead\b|\bdirector\b|\bdirectors\b", "Director"),
    (r"\bgeneral manager\b", "Director"),
    (
        r"\bassistant manager\b|\bmanager\b|\bsupervisor\b|\bteam lead(?:er)?\b|\bforeman\b",
        "Manager",
    ),
)

_ROLE_PHRASES: tuple[tuple[str, str], ...] = (
    (
        r"executive assistant|administrative assistant|assistant to|office manager|chief of staff",
        "Operations",
    ),
    (r"accounts payable|accounts receivable", "Finance"),
    (r"product marketing|marketing operations|demand gen|growth marketing", "Marketing"),
    (r"help desk|helpdesk|desktop support|it support|service desk", "IT"),
    (r"sales operations|sales engineer|solutions? (?:consultant|engineer)|pre-?sales", "Sales"),
    (r"partner manager|channel|alliances|partnerships", "Sales"),
    (r"business development|account executive|account manager|key account", "Sales"),
    (r"revenue operations|revops|business operations", "Operations"),
    (r"customer success|customer service|customer support|customer experience", "Customer Success"),
    (
        r"client services|technical support|support engineer|onboarding|implementation",
        "Customer Success",
    ),
    (
        r"data engineer|data scien|machine learning|business intelligence|artificial intelligence",
        "Data",
    ),
    (r"information security|security officer|information technology|information officer", "IT"),
    (r"human resources|talent acquisition|people operations|learning and development", "HR"),
    (r"general counsel|legal counsel", "Legal"),
    (
        r"chief technology|research and development|quality assurance|site reliability",
        "Engineering",
    ),
    (r"chief financial|chief accounting|financial planning", "Finance"),
    (r"chief marketing", "Marketing"),
    (r"chief revenue|chief sales|chief commercial", "Sales"),
    (r"chief product|user experience|user interface", "Product"),
    (r"chief data|chief analytics", "Data"),
    (r"chief human|chief people", "HR"),
    (r"chief legal|chief compliance", "Legal"),
    (r"chief customer", "Customer Success"),
    (r"chief operating|chief operations", "Operations"),
    (r"chief procurement|chief purchasing", "Procurement"),
    (r"chief strategy|chief executive", "Executive"),
)

_ROLE_WORDS: tuple[tuple[str, str], ...] = (
    (r"legal|counsel|attorney|lawyer|paralegal|compliance|privacy", "Legal"),
    (r"recruit\w*|talent|people|payroll|benefits|hr", "HR"),
    (
        r"financ\w*|accounting|accountant|controller|comptroller|treasur\w*|audit\w*|tax|billing|bookkeep\w*|cfo",
        "Finance",
    ),
    (r"procurement|purchasing|buyer|sourcing|vendor", "Procurement"),
    (
        r"marketing|brand|communications|content|seo|pr|social media|advertising|events?|growth|demand",
        "Marketing",
    ),
    (r"sales|revenue|commercial|selling|agent|representative|dealer", "Sales"),
    (r"support|service|success", "Customer Success"),
    (r"data|analytics|analyst|statistic\w*|insights", "Data"),
    (r"product|design\w*|ux|ui", "Product"),
    (r"security|infosec|cybersecurity|network|systems|infrastructure|sysadmin|it|cio|ciso", "IT"),
    (
        r"engineer\w*|developer|development|software|programmer|architect|devops|technical|technology|scientist|qa|cto",
        "Engineering",
    ),
    (
        r"operations|operating|logistics|supply chain|facilities|office|administrat\w*|order\w*|coo"
        r"|project|program|pmo|scrum",
        "Operations",
    ),
)
_EXECUTIVE = r"\b(?:executive|owner|founder|co-founder|president|managing director|general manager|chair\w*|partner|principal|entrepreneur|board member|proprietor)\b"


class _Rules:
    """The rules compiled once. Word rules become one alternation with a group per rule,
    so a single search finds the earliest department word (ties: the earlier rule)."""

    def __init__(self) -> None:
        self.seniority = [(re.compile(p), level) for p, level in _SENIORITY_RULES]
        self.phrases = [(re.compile(rf"\b(?:{p})"), role) for p, role in _ROLE_PHRASES]
        self.any_phrase = re.compile("|".join(rf"\b(?:{p})" for p, _ in _ROLE_PHRASES))
        self.words = re.compile(
            "|".join(rf"\b(?P<r{i}>{p})\b" for i, (p, _) in enumerate(_ROLE_WORDS))
        )
        self.word_roles = {f"r{i}": role for i, (_, role) in enumerate(_ROLE_WORDS)}
        self.executive = re.compile(_EXECUTIVE)


@cache
def _rules() -> _Rules:
    return _Rules()


def clean_title(text: str) -> str:
    """The title as shown: HTML entities decoded, whitespace collapsed, stray quotes trimmed."""
    text = html.unescape(str(text))
    return re.sub(r"\s+", " ", text).strip().strip("\"'").strip()


def _expand(text: str) -> str:
    """Lowercase and expand abbreviations: 'Sr. Mktg Mgr' → 'senior marketing manager'."""
    s = text.casefold().replace("&", " & ")
    s = re.sub(r"\bv\.\s?p\.?", "vp", s)
    s = re.sub(r"\bgerente general\b", "general manager", s)
    s = re.sub(r"\b(fp&a|r&d)\b", lambda m: _ABBREVIATIONS[m[1]], s.replace(" & ", "&"))
    s = s.replace("&", " and ")
    tokens = re.findall(r"[\w\-]+|[^\w\s]", s)
    words = [_ABBREVIATIONS.get(t.strip("."), t) for t in tokens]
    out = " ".join(w for w in words if w not in {".", ",", "(", ")", "-", "–", ":"})
    return re.sub(r"\s+", " ", out).strip()


@lru_cache(maxsize=1 << 16)
def _seniority(expanded: str) -> str:
    for pattern, level in _rules().seniority:
        if pattern.search(expanded):
            return level
    return "Individual contributor"


def _role(expanded: str) -> str | None:
    rules = _rules()
    if rules.any_phrase.search(expanded):
        for pattern, role in rules.phrases:
            if pattern.search(expanded):
                return role
    # The department named first wins: "VP of Sales and Marketing" is Sales.
    if match := rules.words.search(expanded):
        return rules.word_roles[str(match.lastgroup)]
    return "Executive" if rules.executive.search(expanded) else None


_PARTS = re.compile(r"\s*[/;|+]\s*")


@lru_cache(maxsize=1 << 16)
def parse_title(text: str) -> tuple[str | None, str | None]:
    """(role, seniority) of a job title; (None, None) when the text is not a title.

    >>> parse_title("VP, Revenue Operations")
    ('Operations', 'VP')
    >>> parse_title("Sr. Software Engineer")
    ('Engineering', 'Individual contributor')
    """
    cleaned = clean_title(text)
    if not re.search(r"[^\W\d_]", cleaned):
        return None, None
    # "Owner/Marketing Assistant" has two parts: the most senior one names the role.
    parts = [_expand(p) for p in _PARTS.split(cleaned) if re.search(r"[^\W\d_]", p)]
    expanded = " ".join(parts)
    ranked = (
        sorted(parts, key=lambda p: SENIORITIES.index(_seniority(p))) if len(parts) > 1 else parts
    )
    seniority = _seniority(ranked[0])
    role = _role(ranked[0]) or _role(expanded)
    if role is None:
        role = "Executive" if seniority == "C-level" else "Other"
    return role, seniority


_NOT_A_TITLE = re.compile(r"@|https?://|www\.|^\+?[\d\s().-]{7,}$", re.IGNORECASE)


def parse_title_value(value: Any) -> Parsed:
    """One value of kind ``title`` → ((cleaned title, role, seniority), problem)."""
    cleaned = clean_title(str(value))
    # An email, a URL or a paragraph in the title column is a mapping mistake, not a title.
    if _NOT_A_TITLE.search(cleaned) or len(cleaned) > 150:
        return (None, None, None), "not a job title"
    role, seniority = parse_title(cleaned)
    if role is None:
        return (None, None, None), "not a job title"
    return (cleaned, role, seniority), None
