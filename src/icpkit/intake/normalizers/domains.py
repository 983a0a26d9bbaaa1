"""Web domains, URLs and emails → a bare lowercase host.

"https://www.Acme.com:443/about?x=1" → "acme.com", "jane@acme.co.uk" → "acme.co.uk",
"mailto:info@acme.io" → "acme.io". Only "www." style prefixes are removed, never
other subdomains ("shop.acme.com" stays). IP addresses, "localhost" and text
without a dot are not domains.
"""

from __future__ import annotations

import re
from typing import Any

from ._base import Parsed

__all__ = ["parse_domain"]

_SCHEME = re.compile(r"^[a-z][a-z0-9+.\-]*://|^//")
_WWW = re.compile(r"^www\d*\.")
_LABEL = re.compile(r"^(?!-)[\w-]{1,63}(?<!-)$")
_IP = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")


def parse_domain(value: Any) -> Parsed:
    """One value of kind ``domain`` → ((host,), problem)."""
    text = str(value).strip().lower()
    if match := re.search(r"<([^<>]+)>", text):  # "Jane Doe <jane@acme.io>"
        text = match[1].strip()
    text = text.removeprefix("mailto:")
    if "@" in text and "://" not in text:
        text = text.rsplit("@", 1)[1]
    text = _SCHEME.sub("", text)
    text = re.split(r"[/?#]", text, maxsplit=1)[0]
    text = text.rsplit("@", 1)[-1]  # user:pass@host
    text = re.sub(r":\d*$", "", text).strip().rstrip(".")
    text = _WWW.sub("", text)
    if _IP.match(text):
        return (None,), "an IP address, not a domain"
    labels = text.split(".")
    if (
        len(labels) < 2
        or not all(_LABEL.match(label) for label in labels)
        or "_" in text
        or not re.fullmatch(r"[^\W\d_]{2,63}|xn--[a-z0-9-]+", labels[-1])
    ):
        return (None,), "not a domain"
    return (text,), None
