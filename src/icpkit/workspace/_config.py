"""The workspace configuration: ``icp.yaml``, one explicit typed object.

A workspace is a folder holding ``icp.yaml`` (where each table comes from, the column
mappings, the success definition, the universe, options) and ``.icp/`` (the run store
and the stage cache). Paths in ``icp.yaml`` are relative to the workspace folder.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .._yamlfile import first_error, read_yaml
from ..errors import ConfigError, did_you_mean
from ..schema import TABLES

__all__ = [
    "CONFIG_NAME",
    "Options",
    "Source",
    "Success",
    "Universe",
    "WorkspaceConfig",
    "load_config",
]

CONFIG_NAME = "icp.yaml"
# Tables a workspace may configure under ``tables:`` (the universe has its own section).
TABLE_KINDS = tuple(t for t in TABLES if t != "universe")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Source(_Model):
    """Where one table comes from: a file, or a SQL table/query."""

    path: str | None = Field(None, description="file relative to the workspace")
    url: str | None = Field(None, description="SQL source: duckdb:///file.db or postgresql://...")
    table: str | None = None
    query: str | None = None
    sheet: str | None = None
    delimiter: str | None = None
    encoding: str | None = None
    mapping: dict[str, str | None] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_source(self) -> Source:
        if (self.path is None) == (self.url is None):
            raise ValueError("give exactly one of: path (a file) or url (a SQL source)")
        if self.url is not None and (self.table is None) == (self.query is None):
            raise ValueError("a SQL source needs exactly one of: table or query")
        return self

    def describe(self) -> str:
        if self.path is not None:
            return self.path
        return f"{self.url} ({self.table or 'query'})"


class Universe(Source):
    """The market: companies you may sell to, scored for TAM/SAM and white space."""

    value: float | str | None = Field(None, description="expected ACV per company, or a column")
    where: str | None = Field(None, description="SAM filter, a SQL condition")
    enrich: bool = Field(False, description="fill account gaps from the universe before discover")
    enrich_fields: list[str] | None = Field(None, description="fields to fill (default: all)")


class Success(_Model):
    """What a successful customer is.

    ``table: accounts`` learns from one row per account (accounts joined with outcomes);
    the label ``won`` is derived from deals when the accounts have no such column.
    ``table: deals`` learns from one row per closed deal joined to its account.
    """

    table: Literal["accounts", "deals"] = "accounts"
    target: str | None = "won"
    positive: list[str] | None = None
    expression: str | None = None
    exclude: list[str] = Field(default_factory=list)
    # Open deals (neither won nor lost yet) are left out unless this is set; see icpkit.outcomes
    open_as_failure: bool = False

    @model_validator(mode="after")
    def _label(self) -> Success:
        if self.target is None and self.expression is None:
            raise ValueError("give a target column or a success expression")
        return self


class Options(_Model):
    profile: str | None = Field(None, description="use this profile instead of learning one")
    decay: float = Field(0.03, ge=0, le=1, description="share of records going stale per month")
    title: str | None = None
    seed: int = 0
    voice_method: Literal["auto", "tfidf", "embeddings"] = Field(
        "auto", description="voice of the customer: tfidf (lean), embeddings (extra), or auto"
    )


class WorkspaceConfig(_Model):
    icpkit_workspace: int = 1
    name: str = "ICP"
    tables: dict[str, Source] = Field(default_factory=dict)
    success: Success = Field(default_factory=lambda: Success())
    universe: Universe | None = None
    options: Options = Field(default_factory=lambda: Options())

    @model_validator(mode="after")
    def _tables(self) -> WorkspaceConfig:
        for name in self.tables:
            if name not in TABLE_KINDS:
                hint = did_you_mean(name, TABLE_KINDS)
                raise ValueError(
                    f"unknown table {name!r}; expected one of {', '.join(TABLE_KINDS)}"
                    + (f". {hint}" if hint else "")
                )
        if "accounts" not in self.tables:
            raise ValueError("tables.accounts is required (the companies to learn from)")
        if self.success.table == "deals" and "deals" not in self.tables:
            raise ValueError("success.table is 'deals' but tables.deals is not configured")
        return self


def _field_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not str(part).startswith("function-"):
            out += f".{part}" if out else str(part)
    return out


def config_from_dict(data: Any, *, file: str | None = None) -> WorkspaceConfig:
    """Validate a plain dict; errors name the field of icp.yaml."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError("icp.yaml must be a YAML mapping (keys like tables, success)", file=file)
    try:
        return WorkspaceConfig.model_validate(data)
    except ValidationError as exc:
        first, msg = first_error(exc)
        path = _field_path(tuple(first["loc"]))
        raise ConfigError(
            f"invalid setting {path or '(top level)'}: {msg}",
            file=file,
            hint="Fix icp.yaml and run again; see docs/workspace.md",
        ) from None


def load_config(workspace: str | os.PathLike[str]) -> WorkspaceConfig:
    """Read ``<workspace>/icp.yaml``."""
    ws = Path(workspace)
    path = ws / CONFIG_NAME
    if not ws.is_dir():
        raise ConfigError("workspace folder not found", file=str(ws), hint="Run `icp init DIR`")
    if not path.is_file():
        raise ConfigError(
            "no icp.yaml in this folder", file=str(ws), hint=f"Run `icp init {ws}` first"
        )
    data = read_yaml(path, ConfigError, "icp.yaml")
    return config_from_dict(data, file=str(path))
