"""Intake: read CRM exports and tables, recognise their columns, normalise their values.

- :func:`read_table` / :func:`iter_batches`: any supported source into Arrow (CSV
  columns as raw strings).
- :func:`sniff`: format, encoding, delimiter of a file before reading it.
- :func:`recognize`: source system, table kind and column mapping from column names.
- :func:`load` / :func:`load_batches`: all of the above plus normalised values and
  a report; :func:`require` checks that canonical columns are present.
"""

from ._load import Loaded, load, load_batches, load_table, require
from ._readers import iter_batches, read_table
from ._recognize import Match, Recognition, recognize
from ._sniff import SourceInfo, sniff
from ._write import write_table

__all__ = [
    "Loaded",
    "Match",
    "Recognition",
    "SourceInfo",
    "iter_batches",
    "load",
    "load_batches",
    "load_table",
    "read_table",
    "recognize",
    "require",
    "sniff",
    "write_table",
]
