"""The ICP profile: a versioned, human-editable YAML file that every part of icpkit reads.

A profile is the contract between discover (which learns it), people (who edit it or
write one from scratch), and every scoring engine (in memory, SQL, Spark), which must
all give the same ``icp_score`` and ``icp_tier`` on the same rows.

Scoring semantics (one definition, implemented by every engine)::

    points(attribute, row) =
        missing_points       if the value is null, NaN or the empty string
        bin.points           for the first bin that holds the value
        other_points         otherwise (an unseen category; a number no bin covers)

    numeric bin:      lower <= x < upper   (a missing bound is unbounded); x read as a double
    categorical bin:  x (as text; booleans as 'true'/'false') equals one of ``values`` exactly

    x read as a double: numbers as they are (float32 widened exactly, NaN is missing, +-inf are
    numbers), booleans as 1/0, text by ``icpkit.scoring.NUMBER_PATTERN`` (optional whitespace around a
    plain decimal with optional exponent, or inf/infinity; 'true'/'false' read as 1/0); any
    other text ('1,000', 'n/a') is missing. x as text: integers as plain digits; text as is
    (no trimming, case-sensitive). Floats read as text are not portable across engines: bin
    float columns as numeric. Bounds (lower, upper, ge, lt) must be finite.

    raw     = intercept + sum(points over attributes) + sum(points of every matching segment)
    score   = min(100, max(0, raw)), then min(score, cap) for every matching disqualifier
    tier    = A if score >= tiers.A, else B if >= tiers.B, else C if >= tiers.C, else D
    segment = name of the first matching segment in file order, else null

Person fit (optional ``persona`` section: a second points table over people columns such as
role, seniority, department)::

    persona_score = min(100, max(0, persona.intercept + sum(points over persona.attributes)))
    persona_tier  = '1' if persona_score >= persona.tiers['1'], else '2' if >= tiers['2'],
                    else '3' if >= tiers['3'], else '4'
    icp_priority  = icp_tier followed by persona_tier ('A1' ... 'D4')
    priority_rank = 1 + the position of icp_priority in persona.priority (the 16 cells, best
                    first); without that list, PRIORITY_GRID's order (A1, A2, B1, A3, B2, C1, ...)

A call list sorts by priority_rank, then by icp_score + persona_score (higher first).
Persona attributes follow the same bin rules as account attributes. A table that holds none
of the persona columns is scored without them; one that holds some but not all is an error.

A segment or disqualifier matches when all of its conditions hold; a condition on a
missing value does not hold. All points are integers, so every engine computes the
same score exactly, with no rounding.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ._version import __version__
from ._yamlfile import control_character, first_error, read_yaml
from .atomic import atomic_write_text
from .errors import ProfileError

__all__ = [
    "PRIORITY_GRID",
    "SCHEMA_VERSION",
    "Attribute",
    "CategoricalAttribute",
    "CategoryBin",
    "ColumnSource",
    "Condition",
    "Disqualifier",
    "NumericAttribute",
    "NumericBin",
    "Persona",
    "PersonaTiers",
    "Profile",
    "Segment",
    "SuccessDefinition",
    "Tiers",
    "load_profile",
    "save_profile",
]

SCHEMA_VERSION = 1

# Caps checked when a profile is read, so every command accepts or refuses the same file
# (a profile with a million bins ran past 300 s; points of 1e29 overflowed the scorer).
MAX_POINTS = 1_000_000  # any points, intercept or cap, in absolute value
MAX_BOUND = 1e15  # numeric bin edges and condition bounds, in absolute value
MAX_BINS = 1_000  # bins of one attribute
MAX_VALUES = 10_000  # values listed in one category bin or condition
MAX_TOTAL = 100_000  # bins and listed values over the whole profile
MAX_RULES = 1_000  # attributes, segments, disqualifiers (each)
Points = Annotated[int, Field(ge=-MAX_POINTS, le=MAX_POINTS)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class NumericBin(_Model):
    """Values with ``lower <= x < upper``; a missing bound is unbounded."""

    label: str | None = None
    lower: float | None = Field(None, allow_inf_nan=False, ge=-MAX_BOUND, le=MAX_BOUND)
    upper: float | None = Field(None, allow_inf_nan=False, ge=-MAX_BOUND, le=MAX_BOUND)
    points: Points
    count: int | None = Field(None, description="training rows in the bin")
    success_rate: float | None = None

    @model_validator(mode="after")
    def _bounds(self) -> NumericBin:
        if self.lower is not None and self.upper is not None and not self.lower < self.upper:
            raise ValueError(f"lower ({self.lower}) must be below upper ({self.upper})")
        return self


class CategoryBin(_Model):
    """Values equal (as text) to one of ``values``."""

    label: str | None = None
    values: list[str] = Field(min_length=1, max_length=MAX_VALUES)
    points: Points
    count: int | None = None
    success_rate: float | None = None


class _AttributeBase(_Model):
    name: str = Field(min_length=1, description="column in the scored table")
    label: str | None = Field(None, description="words used in reasons; defaults to name")
    missing_points: Points = 0
    other_points: Points = 0
    information_value: float | None = None
    note: str | None = None
    missing_count: int | None = Field(None, description="training rows with no value")
    missing_success_rate: float | None = None
    other_count: int | None = Field(None, description="training rows with an unlisted value")
    other_success_rate: float | None = None

    @property
    def display(self) -> str:
        """The attribute in business words (its label, else words for its column)."""
        from .phrases import attribute_name  # phrases imports this module

        return attribute_name(self.name, self.label)


class NumericAttribute(_AttributeBase):
    """A number cut into bins."""

    kind: Literal["numeric"]
    bins: list[NumericBin] = Field(min_length=1, max_length=MAX_BINS)


class CategoricalAttribute(_AttributeBase):
    """A label (or a yes/no flag, as 'true'/'false') grouped into bins."""

    kind: Literal["categorical"]
    bins: list[CategoryBin] = Field(min_length=1, max_length=MAX_BINS)


# One column of the points table; ``kind`` says which.
Attribute = Annotated[NumericAttribute | CategoricalAttribute, Field(discriminator="kind")]
_KINDS = {"numeric", "categorical"}


class Condition(_Model):
    """One condition of a rule; exactly one test is given."""

    attribute: str = Field(min_length=1)
    in_: list[str] | None = Field(None, alias="in", max_length=MAX_VALUES)
    not_in: list[str] | None = None
    ge: float | None = Field(
        None, description="x >= ge", allow_inf_nan=False, ge=-MAX_BOUND, le=MAX_BOUND
    )
    lt: float | None = Field(
        None, description="x < lt", allow_inf_nan=False, ge=-MAX_BOUND, le=MAX_BOUND
    )

    @model_validator(mode="after")
    def _one_test(self) -> Condition:
        sets = [self.in_ is not None, self.not_in is not None]
        ranges = self.ge is not None or self.lt is not None
        if sum(sets) + ranges != 1:
            raise ValueError("give exactly one of: in, not_in, or a range (ge and/or lt)")
        return self

    @property
    def is_numeric(self) -> bool:
        return self.in_ is None and self.not_in is None


class Segment(_Model):
    """A group of ideal customers: all conditions hold."""

    name: str = Field(min_length=1)
    description: str | None = None
    conditions: list[Condition] = Field(min_length=1)
    points: Points = Field(0, description="added to the score of matching records")
    size: int | None = None
    success_rate: float | None = None
    lift: float | None = None
    held_out_size: int | None = Field(None, description="held-out rows in the segment")
    held_out_success_rate: float | None = None
    held_out_lift: float | None = None


class Disqualifier(_Model):
    """The anti-ICP: records matching all conditions are capped at ``cap``."""

    name: str = Field(min_length=1)
    description: str | None = None
    conditions: list[Condition] = Field(min_length=1)
    cap: int = Field(24, ge=0, le=100)
    size: int | None = None
    success_rate: float | None = None
    lift: float | None = None


class Tiers(_Model):
    """Lowest score of each tier; below C is D."""

    A: int = Field(75, ge=0, le=100)
    B: int = Field(50, ge=0, le=100)
    C: int = Field(25, ge=0, le=100)

    @model_validator(mode="after")
    def _ordered(self) -> Tiers:
        if not self.A >= self.B >= self.C:
            raise ValueError(f"tiers must satisfy A >= B >= C (got {self.A}, {self.B}, {self.C})")
        return self


class PersonaTiers(_Model):
    """Lowest persona score of tiers 1, 2 and 3; below 3 is 4 (keys '1', '2', '3' in YAML)."""

    first: int = Field(75, ge=0, le=100, alias="1")
    second: int = Field(50, ge=0, le=100, alias="2")
    third: int = Field(25, ge=0, le=100, alias="3")

    @model_validator(mode="after")
    def _ordered(self) -> PersonaTiers:
        if not self.first >= self.second >= self.third:
            raise ValueError(
                f"persona tiers must satisfy 1 >= 2 >= 3 (got {self.first}, {self.second}, "
                f"{self.third})"
            )
        return self


class SuccessDefinition(_Model):
    target: str | None = Field(None, description="label column")
    positive: list[str] | None = Field(None, description="values of target that mean success")
    expression: str | None = Field(None, description="composite success expression")
    open_as_failure: bool | None = Field(
        None,
        description="rows still open (a deal or lead stage neither won nor lost) count as "
        "failures, as learned with --open-as-failure; otherwise they are left out",
    )
    description: str | None = None


# The account tier x persona tier grid, best first when no order was learned: the sum of the
# two tier positions, the account tier breaking ties (the diagonals of the grid).
PRIORITY_GRID = (
    "A1", "A2", "B1", "A3", "B2", "C1", "A4", "B3", "C2", "D1", "B4", "C3", "D2", "C4", "D3", "D4",
)  # fmt: skip


class Persona(_Model):
    """Person-level fit: a second points table over people columns (role, seniority, ...)."""

    description: str | None = None
    success: SuccessDefinition | None = None
    intercept: int = 0
    attributes: list[Attribute] = Field(min_length=1)
    tiers: PersonaTiers = Field(default_factory=lambda: PersonaTiers())
    priority: list[str] | None = Field(
        None, description="the 16 priority cells (A1 ... D4), best first; learned by discover"
    )
    metrics: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _unique(self) -> Persona:
        names = [a.name for a in self.attributes]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(
                f"persona attribute names must be unique; repeated: {', '.join(dupes)}"
            )
        if self.priority is not None and sorted(self.priority) != sorted(PRIORITY_GRID):
            raise ValueError(
                "persona priority must list each of the 16 cells A1 ... D4 once (best first)"
            )
        return self

    @property
    def priority_order(self) -> list[str]:
        """The grid cells, best first: the learned order, else the grid's diagonals."""
        return list(self.priority or PRIORITY_GRID)

    @property
    def columns(self) -> list[str]:
        return [a.name for a in self.attributes]


class ColumnSource(_Model):
    """Where a profile column came from in the CRM export it was learned from.

    ``icp sql --columns crm`` reads ``column`` and normalises it as intake's ``kind`` does
    (employees, money, country, list, ...); ``item`` is the technology of a ``tech_*`` flag
    (its slug), ``part`` is ``region`` for a region read from a country column. ``type`` is
    the column's type after intake (``integer|float|text|boolean``): a normalised table
    holding it compares directly.
    """

    column: str = Field(min_length=1)
    kind: str | None = None
    item: str | None = None
    part: Literal["code", "region"] | None = None
    type: Literal["integer", "float", "text", "boolean"] | None = None


class Profile(_Model):
    """An ICP profile. ``icpkit_profile`` is the schema version of the file."""

    icpkit_profile: int = SCHEMA_VERSION
    name: str = "ICP"
    version: int = Field(1, ge=1, description="profile version, bumped on each change")
    created: str | None = None
    icpkit_version: str | None = __version__
    description: str | None = None
    silhouette: str | None = None
    success: SuccessDefinition | None = None
    intercept: Points = 0
    attributes: list[Attribute] = Field(default_factory=list, max_length=MAX_RULES)
    segments: list[Segment] = Field(default_factory=list, max_length=MAX_RULES)
    disqualifiers: list[Disqualifier] = Field(default_factory=list, max_length=MAX_RULES)
    tiers: Tiers = Field(default_factory=lambda: Tiers())
    sources: dict[str, ColumnSource] | None = Field(
        None, description="per profile column: the CRM column it was learned from"
    )
    fingerprint: dict[str, Any] | None = None
    metrics: dict[str, Any] | None = None
    persona: Persona | None = None

    @model_validator(mode="after")
    def _check(self) -> Profile:
        if self.icpkit_profile != SCHEMA_VERSION:
            raise ValueError(
                f"icpkit_profile must be {SCHEMA_VERSION} (this icpkit reads schema version "
                f"{SCHEMA_VERSION}; the file says {self.icpkit_profile})"
            )
        names = [a.name for a in self.attributes]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"attribute names must be unique; repeated: {', '.join(dupes)}")
        if not self.attributes and not self.segments:
            raise ValueError("a profile needs at least one attribute or segment")
        total = sum(
            len(b.values) if isinstance(b, CategoryBin) else 1
            for a in self.attributes
            for b in a.bins
        )
        if total > MAX_TOTAL:
            raise ValueError(
                f"the profile lists {total:,} bins and values; at most {MAX_TOTAL:,} are read"
            )
        return self

    @property
    def columns(self) -> list[str]:
        """Every input column the profile reads, in first-use order."""
        seen: dict[str, None] = {}
        for a in self.attributes:
            seen[a.name] = None
        rules: list[Segment | Disqualifier] = [*self.segments, *self.disqualifiers]
        for rule in rules:
            for c in rule.conditions:
                seen[c.attribute] = None
        return list(seen)


def _field_path(loc: tuple[Any, ...], data: Any) -> str:
    """'attributes[2].bins[0].points', using attribute names where we can."""
    out = ""
    node = data
    for part in loc:
        if isinstance(part, int):
            name = (
                node[part].get("name")
                if isinstance(node, list) and part < len(node) and isinstance(node[part], dict)
                else None
            )
            out += f"[{part}]" if not name else f"[{name!r}]"
        else:
            out += f".{part}" if out else str(part)
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            node = None
    return out


def profile_from_dict(data: Any, *, file: str | None = None) -> Profile:
    """Validate a plain dict into a Profile; errors name the field."""
    if not isinstance(data, dict):
        raise ProfileError(
            "a profile must be a YAML mapping (keys like attributes, tiers)", file=file
        )
    bad = control_character(data)
    if bad is not None:
        raise ProfileError(
            f"invalid profile field {bad[0]}: control character {bad[1]!r} (U+{ord(bad[1]):04X})"
            " in a name or value",
            file=file,
            hint="Remove it: names and values are plain text",
        )
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        first, msg = first_error(exc)
        loc = tuple(
            p for p in first["loc"] if not (isinstance(p, str) and p.startswith("function-"))
        )
        # pydantic puts the union tag ('numeric') in paths; drop it.
        loc = tuple(p for p in loc if p not in _KINDS)
        path = _field_path(loc, data)
        if first["type"] == "union_tag_invalid":
            path += ".kind"
        raise ProfileError(
            f"invalid profile field {path or '(top level)'}: {msg}",
            file=file,
            hint="Fix the field and run again; see docs/profile.md for the schema",
        ) from None


def load_profile(path: str | os.PathLike[str]) -> Profile:
    """Read and validate a profile YAML file."""
    p = Path(path)
    if not p.is_file():
        raise ProfileError("profile file not found", file=str(p), hint="Check the path")
    return profile_from_dict(read_yaml(p, ProfileError, "profile"), file=str(p))


def profile_to_dict(profile: Profile) -> dict[str, Any]:
    data = profile.model_dump(mode="json", by_alias=True, exclude_none=True)
    return data


def save_profile(profile: Profile, path: str | os.PathLike[str]) -> Path:
    """Write a profile as YAML, atomically."""
    if profile.created is None:
        profile = profile.model_copy(
            update={"created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
        )
    text = "# icpkit profile — edit freely; `icp evaluate` tests any change.\n" + yaml.safe_dump(
        profile_to_dict(profile), sort_keys=False, allow_unicode=True, width=100
    )
    return atomic_write_text(path, text)
