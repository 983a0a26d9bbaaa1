"""A profile as a dbt model: the scoring SELECT over a dbt source, plus schema.yml.

``write_dbt_model`` writes ``<model>.sql`` (the query of :mod:`icpkit.sql`, reading
``{{ source('crm', 'account') }}``) and ``<model>.schema.yml`` beside it (column docs and
tests: ``not_null`` on the score and tier, ``accepted_values`` for the tier letters, the
0–100 score range and the segment names). Both files are written atomically.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlglot import exp

from .atomic import atomic_write_text
from .errors import ConfigError
from .profile import Profile
from .sources import profile_types, resolve_sources
from .sql import ColumnType, build_query, render

__all__ = ["DbtModel", "schema_yml", "write_dbt_model"]

_PLACEHOLDER = "__icp_dbt_source__"


@dataclass
class DbtModel:
    files: list[Path] = field(default_factory=list)
    inexact: dict[str, str] = field(default_factory=dict)


def _split_source(source: str) -> tuple[str, str]:
    parts = source.split(".")
    if len(parts) != 2 or not all(parts):
        raise ConfigError(
            f"--source expects SOURCE.TABLE as declared in your dbt project. Got {source!r}",
            hint="Example: --source salesforce.account",
        )
    return parts[0], parts[1]


def _jinja_text(value: str) -> str:
    """A Jinja string literal: quotes and backslashes escaped, so any name is data."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def schema_yml(profile: Profile, model: str) -> dict[str, Any]:
    """The schema.yml content: the model, its three columns, their docs and tests."""
    t = profile.tiers
    tiers = f"A: score >= {t.A}; B: >= {t.B}; C: >= {t.C}; D: below {t.C}"
    segment_names = [s.name for s in profile.segments]
    segment: dict[str, Any] = {
        "name": "icp_segment",
        "description": "The first ICP segment the row matches, in profile order; empty when "
        "none does.",
    }
    if segment_names:
        segment["data_tests"] = [
            {
                "accepted_values": {
                    "name": f"{model}_segment_is_a_profile_segment",
                    "arguments": {"values": segment_names},
                }
            }
        ]
    return {
        "version": 2,
        "models": [
            {
                "name": model,
                "description": f"ICP fit of every row, scored by icpkit profile "
                f"{profile.name!r} version {profile.version} ({len(profile.attributes)} "
                "attributes). Regenerate with `icp dbt` when the profile changes.",
                "columns": [
                    {
                        "name": "icp_score",
                        "description": "ICP fit score, 0 (no fit) to 100 (ideal): the sum of "
                        "the profile's points, clipped to 0–100 and capped by disqualifiers.",
                        "data_tests": [
                            "not_null",
                            {
                                "accepted_values": {
                                    "name": f"{model}_score_is_0_to_100",
                                    "arguments": {"values": list(range(101)), "quote": False},
                                }
                            },
                        ],
                    },
                    {
                        "name": "icp_tier",
                        "description": f"ICP tier from the score ({tiers}).",
                        "data_tests": [
                            "not_null",
                            {
                                "accepted_values": {
                                    "name": f"{model}_tier_is_a_to_d",
                                    "arguments": {"values": ["A", "B", "C", "D"]},
                                }
                            },
                        ],
                    },
                    segment,
                ],
            }
        ],
    }


def write_dbt_model(
    profile: Profile,
    model: str,
    source: str,
    output: str | os.PathLike[str],
    *,
    dialect: str = "duckdb",
    columns: str = "crm",
    column_types: Mapping[str, ColumnType] | None = None,
) -> DbtModel:
    """Write ``<output>/<model>.sql`` and ``<output>/<model>.schema.yml``."""
    if not model or not model.replace("_", "").isalnum():
        raise ConfigError(
            f"--model must be letters, digits and underscores. Got {model!r}",
            hint="Example: --model account_icp",
        )
    source_name, table_name = _split_source(source)
    if columns == "crm" and not profile.sources:
        columns = "canonical"  # a hand-written profile reads canonical columns
    sources = resolve_sources(profile, columns)
    types = {} if sources is not None else profile_types(profile)
    types.update(column_types or {})
    placeholder = exp.Table(this=exp.to_identifier(_PLACEHOLDER, quoted=True))
    query = build_query(profile, placeholder, dialect=dialect, column_types=types, sources=sources)
    text = render(query, dialect)
    quoted = exp.to_identifier(_PLACEHOLDER, quoted=True).sql(dialect=dialect)
    if text.count(quoted) != 1:  # the one place the Jinja source reference goes
        raise ConfigError("could not place the dbt source reference in the query")
    ref = "{{ source(" + _jinja_text(source_name) + ", " + _jinja_text(table_name) + ") }}"
    # Everything but the source reference is raw to Jinja: a '{{' in a value stays data.
    if "endraw" in text.lower():
        raise ConfigError(
            "a name or value in the profile contains 'endraw', which dbt cannot quote"
        )
    before, after = text.split(quoted)
    sql_text = "{% raw %}" + before + "{% endraw %}" + ref + "{% raw %}" + after + "{% endraw %}\n"
    folder = Path(output)
    folder.mkdir(parents=True, exist_ok=True)
    sql_path = atomic_write_text(folder / f"{model}.sql", sql_text)
    yml = yaml.safe_dump(schema_yml(profile, model), sort_keys=False, allow_unicode=True)
    yml_path = atomic_write_text(folder / f"{model}.schema.yml", yml)
    return DbtModel([sql_path, yml_path], dict(query.inexact))
