"""Which table columns a profile reads: canonical names, the CRM's own, or a mapping file.

A profile learned by ``icp discover`` records, per column it uses, the CRM column it was
learned from and the intake kind that normalised it (:class:`icpkit.profile.ColumnSource`).
``icp sql --columns crm`` reads those columns and normalises them in SQL; when the table's
own column names are known (the catalog, or a header), intake's recognisers map them first,
so a Fivetran/Airbyte table (``number_of_employees``) or a HubSpot one (``numberofemployees``)
works with a profile learned from a Salesforce export (``NumberOfEmployees``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from ._yamlfile import read_yaml
from .errors import ConfigError
from .profile import ColumnSource, Profile
from .schema import TABLES
from .sql import ColumnType, column_types_from_arrow

__all__ = ["profile_types", "record_sources", "resolve_sources"]

_TYPES: dict[str, Any] = {
    "integer": "integer",
    "float": "float",
    "text": "text",
    "boolean": "boolean",
}


def _kind_of(canonical: str, table_kind: str) -> tuple[str | None, str | None, str | None]:
    """(intake kind, list item, country part) of a canonical column of ``table_kind``."""
    kinds = {c.name: c.kind for c in TABLES[table_kind].columns} if table_kind in TABLES else {}
    if canonical in kinds:
        return kinds[canonical], None, None
    if canonical == "region" and "country" in kinds:
        return "country", None, "region"
    for name, kind in kinds.items():
        if kind == "list":
            prefix = "tech_" if name == "technologies" else f"{name}_"
            if canonical.startswith(prefix):
                return "list", canonical.removeprefix(prefix), None
        if kind == "country" and canonical == f"{name}_region":
            return "country", None, "region"
    return None, None, None


def record_sources(
    profile: Profile, origin: Mapping[str, str], table_kind: str, schema: pa.Schema
) -> Profile:
    """The profile with ``sources``: per column it reads, the CRM column and intake kind.

    ``origin`` maps canonical (output) columns to the original columns (intake's
    ``Loaded.column_origin``); ``schema`` is the normalised table's, for the types.
    """
    types = column_types_from_arrow(schema)
    sources: dict[str, ColumnSource] = {}
    for name in profile.columns:
        original = origin.get(name)
        if original is None:
            continue
        kind, item, part = _kind_of(name, table_kind)  # None for a custom column: read as is
        sources[name] = ColumnSource(
            column=original, kind=kind, item=item, part=part, type=_TYPES.get(types.get(name, ""))
        )
    return profile.model_copy(update={"sources": sources or None})


def profile_types(profile: Profile) -> dict[str, ColumnType]:
    """Types recorded at discover time, by canonical column name."""
    return {n: s.type for n, s in (profile.sources or {}).items() if s.type is not None}


def snake_case(name: str) -> str:
    """How Fivetran and Airbyte name a Salesforce field: NumberOfEmployees → number_of_employees,
    Technologies__c → technologies_c."""
    s = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return re.sub(r"[^a-z0-9]+", "_", s.lower()).strip("_")


def _recognised(profile: Profile, table_columns: Sequence[str]) -> dict[str, str]:
    """Profile column → table column: the recorded name, its snake_case twin, or whatever
    intake's recognisers map to the same canonical column (labels, HubSpot names)."""
    from .intake import recognize

    rec = recognize(list(table_columns), kind="accounts")
    by_canonical = {m.canonical: m.original for m in rec.matches if m.canonical}
    by_snake = {snake_case(c): c for c in table_columns}
    out: dict[str, str] = {}
    for name, src in (profile.sources or {}).items():
        canonical = _canonical_of(name, src)
        if src.column in table_columns:
            out[name] = src.column
        elif snake_case(src.column) in by_snake:
            out[name] = by_snake[snake_case(src.column)]
        elif canonical in by_canonical:
            out[name] = by_canonical[canonical]
    return out


def _canonical_of(name: str, src: ColumnSource) -> str:
    """The canonical input column a profile column is derived from (tech_aws → technologies)."""
    if src.kind == "list":
        return "technologies" if name.startswith("tech_") else name.rsplit("_", 1)[0]
    if src.kind == "country" and src.part == "region":
        return "country"
    return name


def resolve_sources(
    profile: Profile,
    columns: str = "canonical",
    *,
    table_columns: Sequence[str] | None = None,
) -> dict[str, ColumnSource] | None:
    """Profile column → what to read, for ``--columns crm|canonical|MAPFILE``.

    ``canonical``: the profile's own names (values already normalised). ``crm``: the CRM
    columns recorded at discover time (renamed by intake's recognisers when ``table_columns``
    are known). A YAML/JSON file: ``{profile column: table column}``, each normalised as its
    recorded kind.
    """
    if columns == "canonical":
        return None
    recorded = dict(profile.sources or {})
    if columns == "crm":
        if not recorded:
            raise ConfigError(
                "the profile records no CRM columns (it was not learned by `icp discover` "
                "from a CRM export)",
                hint="Use --columns canonical, or a mapping file: --columns map.yaml",
            )
        if table_columns is not None:
            renamed = _recognised(profile, table_columns)
            recorded = {
                n: s.model_copy(update={"column": renamed.get(n, s.column)})
                for n, s in recorded.items()
            }
        return recorded
    return _from_file(profile, columns, recorded)


def _from_file(
    profile: Profile, path: str | os.PathLike[str], recorded: dict[str, ColumnSource]
) -> dict[str, ColumnSource]:
    p = Path(path)
    if not p.is_file():
        raise ConfigError(
            f"--columns expects crm, canonical or a mapping file; {str(p)!r} is none of them",
            hint="Write a YAML file of 'profile column: table column' lines",
        )
    data = read_yaml(p, ConfigError, "column mapping")
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in data.items()
    ):
        raise ConfigError(
            "a column mapping file holds 'profile column: table column' pairs",
            file=str(p),
            hint="Example line: employees: number_of_employees",
        )
    unknown = sorted(set(data) - set(profile.columns))
    if unknown:
        raise ConfigError(
            f"the mapping names {unknown[0]!r}, which the profile does not read",
            file=str(p),
            hint="Profile columns: " + ", ".join(profile.columns),
        )
    out: dict[str, ColumnSource] = {}
    for name in profile.columns:
        src = recorded.get(name) or ColumnSource(column=name)
        if name in data:
            out[name] = src.model_copy(update={"column": data[name]})
        elif name in recorded:
            out[name] = src
    return out
