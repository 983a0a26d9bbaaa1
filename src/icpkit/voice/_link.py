"""Link feedback items to accounts: by id, then domain, then normalised company name.

Nothing is dropped: an item that matches no account keeps ``account_id`` empty and is
listed in the link report (how many, and the most common unmatched values) so the user
can fix the export or add a mapping.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from typing import Any

import pandas as pd

__all__ = ["link_accounts", "normalize_company", "normalize_domain"]

_LEGAL = re.compile(
    r"\b(inc|incorporated|llc|l\.l\.c|ltd|limited|gmbh|ag|sa|sas|sarl|bv|nv|plc|corp|corporation"
    r"|co|company|group|holdings?|pty|oy|ab|as|srl|spa|kg|llp|lp)\b\.?"
)


def normalize_company(value: Any) -> str | None:
    """'Acme, Inc.' -> 'acme'; accents, punctuation and legal suffixes removed."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return None
    text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode()
    text = text.lower().replace("&", " and ")
    text = re.sub(r"\b(\w)\.", r"\1", text)  # "s.a." -> "sa", so the suffix is seen
    text = re.sub(r"[^\w\s]", " ", text)
    text = _LEGAL.sub(" ", text)
    text = " ".join(text.split())
    return text or None


def normalize_domain(value: Any) -> str | None:
    """'https://www.Acme.com/about' or 'jo@acme.com' -> 'acme.com'."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return None
    text = str(value).strip().lower()
    if "@" in text:
        text = text.rsplit("@", 1)[1]
    text = re.sub(r"^[a-z]+://", "", text)
    text = text.split("/", 1)[0].split("?", 1)[0].split(":", 1)[0]
    text = text.removeprefix("www.")
    return text if "." in text and " " not in text else None


def _index(accounts: pd.DataFrame, column: str, norm: Any) -> dict[str, str]:
    """normalised value -> account_id, keeping only values that name one account."""
    if column not in accounts:
        return {}
    keys = accounts[column].map(norm)
    ids = accounts["account_id"].astype(str)
    counts = Counter(k for k in keys if k)
    return {k: i for k, i in zip(keys, ids, strict=True) if k and counts[k] == 1}


def link_accounts(
    feedback: pd.DataFrame, accounts: pd.DataFrame
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Resolve ``account_id`` of each item against ``accounts`` (needs ``account_id``).

    Tries, in order: the item's account id; its account id, domain or company taken as
    a domain; its company name (or account value) as a normalised company name.
    Returns the items with ``account_id`` set (empty when unmatched) and ``linked_by``
    ('id', 'domain', 'name' or empty), and a report dict.
    """
    ids = set(accounts["account_id"].astype(str))
    by_domain = _index(accounts, "domain", normalize_domain)
    by_name = _index(accounts, "name", normalize_company)
    out = feedback.copy()
    resolved: list[str | None] = []
    how: list[str | None] = []
    unmatched: Counter[str] = Counter()
    for row in out[["account_id", "account_name", "domain"]].itertuples(index=False):
        acc, name, dom = (None if pd.isna(v) else str(v) for v in row)
        hit: tuple[str | None, str | None] = (None, None)
        if acc and acc in ids:
            hit = (acc, "id")
        else:
            for value in (dom, acc, name):
                d = normalize_domain(value)
                if d and d in by_domain:
                    hit = (by_domain[d], "domain")
                    break
            else:
                for value in (name, acc):
                    n = normalize_company(value)
                    if n and n in by_name:
                        hit = (by_name[n], "name")
                        break
        if hit[0] is None:
            unmatched[acc or dom or name or "(no account given)"] += 1
        resolved.append(hit[0])
        how.append(hit[1])
    out["account_id"] = pd.Series(resolved, index=out.index, dtype="string")
    out["linked_by"] = pd.Series(how, index=out.index, dtype="string")
    counts = Counter(h for h in how if h)
    report = {
        "items": len(out),
        "linked": int(sum(counts.values())),
        "linked_by_id": counts.get("id", 0),
        "linked_by_domain": counts.get("domain", 0),
        "linked_by_name": counts.get("name", 0),
        "unlinked": int(sum(unmatched.values())),
        "unlinked_values": [{"value": v, "items": n} for v, n in unmatched.most_common(20)],
    }
    return out, report
