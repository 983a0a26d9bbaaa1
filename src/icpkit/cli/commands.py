"""Import every command module so each registers its commands on the app.

The order here is the order of ``icp --help``: the main job first, then each step.
"""

import importlib

MODULES = (
    "workspace",
    "intake",
    "discover",
    "engines",
    "analytics",
    "enrich",
    "voice",
    "synth",
    "service",
)

for _name in MODULES:
    importlib.import_module(f"{__package__}.{_name}")
