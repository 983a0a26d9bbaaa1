"""Profile versions in the service store: save (validated), list, read, promote, diff.

The store keeps each version's YAML text exactly as saved; the version number is the
store's (1, 2, 3, ...), written into the profile's own ``version`` field so a profile read
back says which version it is. Promote chooses which version scores.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ..drift import profile_diff
from ..errors import ConfigError, ProfileError
from ..profile import Profile, load_profile, profile_from_dict, profile_to_dict
from .store import ProfileVersion, ServiceStore

__all__ = [
    "VersionNotFound",
    "diff_versions",
    "get_profile",
    "list_versions",
    "parse_profile",
    "profile_text",
    "promote",
    "save_version",
    "seed_versions",
    "target_profile",
]


class VersionNotFound(ConfigError):
    """No profile version with that number (HTTP 404)."""


def profile_text(profile: Profile) -> str:
    return yaml.safe_dump(profile_to_dict(profile), sort_keys=False, allow_unicode=True, width=100)


def parse_profile(text_or_data: str | dict[str, Any], *, source: str = "upload") -> Profile:
    """A validated profile from YAML/JSON text or a dict; ProfileError names the bad field."""
    data: Any = text_or_data
    if isinstance(text_or_data, str):
        try:
            data = yaml.safe_load(text_or_data)  # YAML is a superset of JSON
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            row = None if mark is None else mark.line + 1
            raise ProfileError("the profile is not valid YAML or JSON", row=row) from None
    return profile_from_dict(data, file=source)


def save_version(
    store: ServiceStore, profile: Profile, *, author: str | None = None, note: str | None = None
) -> int:
    """Store ``profile`` as the next version (not promoted); returns the version number."""
    return store.save_version(
        lambda n: profile_text(profile.model_copy(update={"version": n})), author=author, note=note
    )


def list_versions(store: ServiceStore) -> list[dict[str, Any]]:
    active = store.active_version()
    return [v.summary(active) for v in store.versions()]


def _version(store: ServiceStore, version: int) -> ProfileVersion:
    found = store.version(version)
    if found is None:
        raise VersionNotFound(f"no profile version {version}", hint="List them: GET /v1/profiles")
    return found


def get_profile(store: ServiceStore, version: int) -> Profile:
    return parse_profile(_version(store, version).body, source=f"profile version {version}")


def get_version(store: ServiceStore, version: int) -> ProfileVersion:
    return _version(store, version)


def promote(store: ServiceStore, version: int) -> None:
    """Make ``version`` the one that scores."""
    _version(store, version)
    store.promote(version)


def diff_versions(store: ServiceStore, a: int, b: int) -> dict[str, Any]:
    """The drift diff from version ``a`` to version ``b`` (one row per change)."""
    result = profile_diff(get_profile(store, a), get_profile(store, b))
    changes = result.table.astype(object).where(result.table.notna(), None)
    return {"from": a, "to": b, "summary": result.summary, "changes": changes.to_dict("records")}


def target_profile(target: Path) -> Profile | None:
    """The profile a target scores with before any upload: the profile YAML itself, or the
    workspace's last learned profile (``report/profile.yaml``); None when it has none yet."""
    if target.is_file():
        return load_profile(target)
    learned = target / "report" / "profile.yaml"
    return load_profile(learned) if learned.is_file() else None


def seed_versions(store: ServiceStore, target: Path) -> int | None:
    """On first start, the target's profile becomes version 1, promoted; the active version."""
    active = store.active_version()
    if active is not None:
        return active
    if store.latest_version() is None:
        profile = target_profile(target)
        if profile is None:
            return None
        save_version(store, profile, author="icp serve", note=f"from {target}")
    latest = store.latest_version()
    if latest is None:
        return None
    store.promote(latest.version)
    return latest.version
