"""Value normalisers: turn the messy values of CRM exports into clean typed columns.

One entry point, :func:`normalize` (``kind``, values, canonical column name) →
:class:`Normalized` (output columns, a per-row problem, placeholder counts and
column-level notes). The kinds are :data:`icpkit.schema.KINDS`; the rules of every
kind are in its own module and in docs/normalizers.md.

>>> import pandas as pd
>>> out = normalize("employees", pd.Series(["51-200", "10,001+", "lots"]), "employees")
>>> out.columns["employees"].tolist(), out.columns["employees_band"].tolist()[:2]
([126.0, 10001.0, nan], ['51-200', '10,001+'])
>>> out.problems.tolist()
[None, None, 'not an employee count']
"""

from __future__ import annotations

from ._base import PLACEHOLDERS, Normalized
from ._normalize import normalize, output_columns
from .countries import REGIONS, country_region, lookup_country
from .employees import EMPLOYEE_BANDS, employee_band
from .industries import SECTORS, industry_sector
from .lists import slugify
from .titles import ROLES, SENIORITIES, parse_title

__all__ = [
    "EMPLOYEE_BANDS",
    "PLACEHOLDERS",
    "REGIONS",
    "ROLES",
    "SECTORS",
    "SENIORITIES",
    "Normalized",
    "country_region",
    "employee_band",
    "industry_sector",
    "lookup_country",
    "normalize",
    "output_columns",
    "parse_title",
    "slugify",
]
