"""A planted enrichment test: CRM accounts corrupted the way real CRMs are, with the answer kept.

Built from a :class:`World` after the fact, with its own random stream, so the world's files
and truth stay exactly as they were. Each account's name and website are damaged by one of
the habits real CRMs have, firmographic fields are blanked, and ``truth`` records the
universe row (``Record ID``) that is really the same company (empty when the vendor list
does not hold it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._tables import FIRST_NAMES, LAST_NAMES

__all__ = ["BLANKED", "NAME_DAMAGE", "WEBSITE_DAMAGE", "EnrichmentCase", "enrichment_case"]

# How a CRM name drifts from the registered one, and how often (shares sum to 1).
NAME_DAMAGE = {
    "as is": 0.32,
    "legal suffix": 0.20,  # 'Inc.' dropped, added or spelled out
    "the": 0.08,  # 'The Acme Labs'
    "typo": 0.15,  # one letter swapped, dropped or replaced
    "subsidiary": 0.10,  # 'Acme Labs UK', 'Acme Labs International'
    "case and punctuation": 0.15,  # 'ACME LABS, INC'
}
WEBSITE_DAMAGE = {
    "as is": 0.50,
    "missing": 0.20,
    "personal email": 0.10,  # 'jane.doe@gmail.com' typed into the website field
    "subdomain or page": 0.12,  # 'https://shop.acme.com/contact'
    "work email": 0.08,  # 'jane@acme.com'
}
# Firmographic fields a CRM leaves empty, each independently.
BLANKED = (
    "Industry",
    "NumberOfEmployees",
    "AnnualRevenue",
    "Founded_Year__c",
    "Total_Funding__c",
    "Technologies__c",
    "Cloud_Spend__c",
)
_FREE = ("gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "gmx.de", "icloud.com")
_LEGAL_SWAP = {"Inc.": "Incorporated", "Inc": "Inc.", "LLC": "L.L.C.", "Ltd": "Limited",
               "Corp.": "Corporation", "GmbH": "G.m.b.H.", "plc": "PLC"}  # fmt: skip
_SUBS = (" UK", " Europe", " International", " Germany", " (USA)", " Global")


@dataclass
class EnrichmentCase:
    """Corrupted CRM accounts (Salesforce columns) and, per account, the true universe row."""

    accounts: pd.DataFrame
    truth: pd.DataFrame  # Id, company_id (or NA), name_damage, website_damage


def _typo(name: str, rng: np.random.Generator) -> str:
    word = name.split(" ")[0]
    if len(word) < 5:
        return name
    i = int(rng.integers(1, len(word) - 1))
    kind = rng.integers(0, 3)
    if kind == 0:
        word = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    elif kind == 1:
        word = word[:i] + word[i + 1 :]
    else:
        word = word[:i] + "aeiou"[int(rng.integers(0, 5))] + word[i + 1 :]
    return " ".join([word, *name.split(" ")[1:]])


def _legal(name: str, rng: np.random.Generator) -> str:
    parts = name.split(" ")
    if parts[-1] in _LEGAL_SWAP:
        return (
            " ".join(parts[:-1])
            if rng.random() < 0.5
            else " ".join([*parts[:-1], _LEGAL_SWAP[parts[-1]]])
        )
    if parts[-1] in _LEGAL_SWAP.values() or parts[-1] in {"Co.", "SA", "BV"}:
        return " ".join(parts[:-1])
    return name + (", Inc." if rng.random() < 0.5 else " Ltd")


def _damage_name(name: str, kind: str, rng: np.random.Generator) -> str:
    if kind == "legal suffix":
        return _legal(name, rng)
    if kind == "the":
        return "The " + name
    if kind == "typo":
        return _typo(name, rng)
    if kind == "subsidiary":
        return name + _SUBS[int(rng.integers(0, len(_SUBS)))]
    if kind == "case and punctuation":
        parts = name.upper().split(" ")
        return ", ".join([" ".join(parts[:-1]), parts[-1]]) if len(parts) > 2 else name.upper()
    return name


def _damage_site(domain: str, kind: str, rng: np.random.Generator) -> str | None:
    first = FIRST_NAMES[int(rng.integers(0, len(FIRST_NAMES)))].lower()
    last = LAST_NAMES[int(rng.integers(0, len(LAST_NAMES)))].lower()
    if kind == "missing":
        return None
    if kind == "personal email":
        return f"{first}.{last}@{_FREE[int(rng.integers(0, len(_FREE)))]}"
    if kind == "subdomain or page":
        sub = ("shop", "app", "eu", "blog")[int(rng.integers(0, 4))]
        return f"https://{sub}.{domain}/contact"
    if kind == "work email":
        return f"{first}@{domain}"
    return domain


def enrichment_case(world: object, seed: int = 0, blank: float = 0.45) -> EnrichmentCase:
    """Damage ``world.accounts`` (a :class:`World`) and record the true universe company of each."""
    latent: pd.DataFrame = world.latent  # type: ignore[attr-defined]
    uni: pd.DataFrame = world.latent_universe  # type: ignore[attr-defined]
    accounts: pd.DataFrame = world.accounts.copy()  # type: ignore[attr-defined]
    rng = np.random.default_rng([seed, 13])
    n = len(accounts)
    shared = uni.loc[uni["in_crm"].to_numpy(dtype=bool), ["domain", "company_id"]]
    true_id = latent["domain"].map(shared.set_index("domain")["company_id"]).astype("string")
    name_kind = rng.choice(list(NAME_DAMAGE), n, p=list(NAME_DAMAGE.values()))
    site_kind = rng.choice(list(WEBSITE_DAMAGE), n, p=list(WEBSITE_DAMAGE.values()))
    names = latent["name"].astype(str).to_numpy()
    domains = latent["domain"].astype(str).to_numpy()
    accounts["Name"] = [_damage_name(nm, k, rng) for nm, k in zip(names, name_kind, strict=True)]
    accounts["Website"] = [_damage_site(d, k, rng) for d, k in zip(domains, site_kind, strict=True)]
    for col in BLANKED:
        accounts[col] = accounts[col].mask(rng.random(n) < blank)
    truth = pd.DataFrame(
        {
            "Id": accounts["Id"].to_numpy(),
            "company_id": true_id.to_numpy(),
            "name_damage": name_kind,
            "website_damage": site_kind,
        }
    )
    return EnrichmentCase(accounts, truth)
