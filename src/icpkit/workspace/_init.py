"""``icp init``: write a commented ``icp.yaml`` that a person can read and edit."""

from __future__ import annotations

import json
import os
from pathlib import Path

import yaml

from ..atomic import atomic_write_text
from ..errors import ConfigError
from ._config import CONFIG_NAME, TABLE_KINDS, config_from_dict

__all__ = ["init_workspace", "render_config"]

_HEADER = """\
# icpkit workspace — edit freely, then run `icp run` in this folder.
# Paths are relative to this folder. Each table comes from a file (CSV, TSV, Parquet,
# Excel, JSON) or from SQL (url: duckdb:///crm.db or postgresql://..., with table: or query:).
# Columns are recognised from Salesforce / HubSpot / Dynamics names and labels; override any
# with `mapping: {{"Their Column": canonical_name}}` (map to null to keep it as a custom column).
icpkit_workspace: 1
name: {name}
"""

_TABLE_HELP = {
    "accounts": "the companies you sell to (customers and prospects) — required",
    "outcomes": "what happened with each customer (renewed, ACV, churned, ...)",
    "deals": "opportunities / deals, linked to accounts",
    "leads": "leads with source and stage dates (for the funnel by tier)",
    "contacts": "people at accounts with job titles (for the buying committee)",
    "contact_roles": "contact roles on deals (Salesforce OpportunityContactRole)",
    "feedback": "what customers said: calls, tickets, reviews (voice of the customer)",
}

_SUCCESS = """\

# What success means for the next phase of growth.
#   table: accounts  -> one row per account (accounts joined with outcomes); the label `won`
#                       is derived from deals (account has a won deal) when no such column exists
#   table: deals     -> one row per closed deal, joined to its account's firmographics
# Use a label column (target + positive values) or a composite expression over outcome
# columns, e.g. expression: "renewed AND acv >= median(acv)".
# Open deals (a stage neither won nor lost yet) are left out, and accounts whose deals are
# all open; open_as_failure: true counts them as failures instead.
success:
  table: {table}
  target: {target}
{positive}{exclude}  # open_as_failure: false
"""

_UNIVERSE = """\

# The market (companies you may sell to): TAM/SAM by tier and segment, and white space.
# value: expected ACV per company (a number or a column); where: a SAM filter in SQL.
{universe}
"""

_OPTIONS = """\

options:
  # profile: my_profile.yaml   # use a hand-written profile instead of learning one
  decay: 0.03                  # share of records going stale per month (data quality)
  seed: 0
{voice}"""


def _q(value: str) -> str:
    """A YAML scalar, quoted when needed (JSON strings are valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


def _table_block(name: str, path: str | None, mapping: dict[str, str | None] | None) -> str:
    lines = [f"  # {_TABLE_HELP[name]}"]
    if path is None:
        lines.append(f"  # {name}:")
        lines.append(f"  #   path: data/{name}.csv")
        return "\n".join(lines)
    lines.append(f"  {name}:")
    lines.append(f"    path: {_q(path)}")
    if mapping:
        lines.append("    mapping:")
        lines.extend(f"      {_q(k)}: {'null' if v is None else _q(v)}" for k, v in mapping.items())
    else:
        lines.append('    # mapping: {"Their Column": employees}')
    return "\n".join(lines)


def render_config(
    *,
    name: str = "ICP",
    tables: dict[str, str] | None = None,
    mappings: dict[str, dict[str, str | None]] | None = None,
    success_table: str = "accounts",
    target: str = "won",
    positive: list[str] | None = None,
    exclude: list[str] | None = None,
    universe: str | None = None,
    voice_method: str | None = None,
) -> str:
    """The text of a commented icp.yaml (validated before it is returned)."""
    tables = tables or {}
    mappings = mappings or {}
    blocks = [
        _table_block(k, tables.get(k), mappings.get(k))
        for k in TABLE_KINDS
        if k in tables or k in _TABLE_HELP
    ]
    text = _HEADER.format(name=_q(name))
    text += "\ntables:\n" + "\n".join(blocks) + "\n"
    text += _SUCCESS.format(
        table=success_table,
        target=_q(target),
        positive=f"  positive: {json.dumps(positive)}\n" if positive else "",
        exclude=f"  exclude: {json.dumps(exclude)}\n" if exclude else "  # exclude: [SomeColumn]\n",
    )
    uni = (
        f"universe:\n  path: {_q(universe)}"
        if universe
        else "# universe:\n#   path: data/universe.parquet"
    )
    text += _UNIVERSE.format(universe=uni)
    text += _OPTIONS.format(
        voice=f"  voice_method: {voice_method}\n"
        if voice_method
        else "  # voice_method: auto         # tfidf (lean), embeddings (optional extra) or auto\n"
    )
    if tables.get("accounts"):  # a complete config must load; a template may not yet
        config_from_dict(yaml.safe_load(text), file=CONFIG_NAME)
    return text


def init_workspace(
    directory: str | os.PathLike[str], *, force: bool = False, **settings: object
) -> Path:
    """Create ``directory`` (if needed) with an ``icp.yaml``; returns the file path.

    ``settings`` are passed to :func:`render_config`. An existing icp.yaml is kept unless
    ``force`` is given, so `icp init` never destroys someone's edits.
    """
    ws = Path(directory)
    if ws.exists() and not ws.is_dir():
        raise ConfigError("not a folder", file=str(ws), hint="Give a folder for the workspace")
    path = ws / CONFIG_NAME
    if path.exists() and not force:
        raise ConfigError(
            "icp.yaml already exists", file=str(path), hint="Edit it, or pass --force to rewrite it"
        )
    ws.mkdir(parents=True, exist_ok=True)
    text = render_config(**settings)  # type: ignore[arg-type]
    atomic_write_text(path, text)
    return path
