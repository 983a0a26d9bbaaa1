"""Import every command module so each registers its commands on the app."""

from . import (  # noqa: F401
    analytics,
    discover,
    engines,
    intake,
    synth,
    voice,
    workspace,
)
