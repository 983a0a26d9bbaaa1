"""icpkit: learn a B2B Ideal Customer Profile from your own CRM data and put it to work."""

from ._version import __version__
from .errors import (
    ConfigError,
    IcpError,
    InputError,
    ProfileError,
    ReadError,
    SchemaError,
    ValueParseError,
)
from .profile import Profile, load_profile, save_profile
from .scoring import score_table

__all__ = [
    "ConfigError",
    "IcpError",
    "InputError",
    "Profile",
    "ProfileError",
    "ReadError",
    "SchemaError",
    "ValueParseError",
    "__version__",
    "load_profile",
    "save_profile",
    "score_table",
]
