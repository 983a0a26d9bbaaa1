"""The ``icp`` command: a thin layer over the library (parse, call, report)."""

from ._app import app, main

__all__ = ["app", "main"]
