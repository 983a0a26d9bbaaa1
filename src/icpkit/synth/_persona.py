"""The planted persona effect in leads: who converts depends on the person, not only the account.

Applied after the leads are drawn, with its own random stream, so no other column of the world
moves. Converted leads' job titles come mostly from the finance and executive buyers (CFO, VP
Finance, CEO, Controller, ...); other leads' titles are drawn evenly from every role. Intake
reads titles as a department (``role``) and a ``seniority``, so the planted effect is what a
persona table should find: Finance and Executive lead the role points.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ._tables import ROLE_TITLES

__all__ = ["PLANTED_PERSONA", "plant_persona"]

# Share of converted leads whose title is drawn from each role (others: evenly from all).
PLANTED_PERSONA = {"Economic Buyer": 0.45, "Executive Sponsor": 0.15}
_ALL = np.array([t for titles in ROLE_TITLES.values() for t in titles], dtype=object)


def plant_persona(leads: pd.DataFrame, seed: int) -> dict[str, Any]:
    """Redraw ``leads['title']`` in place (converted leads favour the planted roles); the truth."""
    rng = np.random.default_rng([seed, 0x9E15])
    converted = leads["won_date"].notna().to_numpy()
    n = len(leads)
    titles = _ALL[rng.integers(0, len(_ALL), n)]
    u = rng.random(n)
    start = 0.0
    for role, share in PLANTED_PERSONA.items():
        pick = converted & (u >= start) & (u < start + share)
        options = np.array(ROLE_TITLES[role], dtype=object)
        titles[pick] = options[rng.integers(0, len(options), int(pick.sum()))]
        start += share
    leads["title"] = titles
    is_buyer = np.isin(titles, np.array(ROLE_TITLES["Economic Buyer"], dtype=object))
    return {
        "planted_roles": list(PLANTED_PERSONA),
        "title_share_of_converted": PLANTED_PERSONA,
        "departments": ["Finance", "Executive"],
        "economic_buyer_share": {
            "converted": round(float(is_buyer[converted].mean()), 4) if converted.any() else None,
            "other": round(float(is_buyer[~converted].mean()), 4) if (~converted).any() else None,
        },
    }
