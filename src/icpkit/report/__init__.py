"""The ICP document: a plain dict, rendered to HTML (self-contained), Markdown, JSON and PDF."""

from ._build import SECTION_IDS, build_report
from ._charts import render_chart
from ._data import jsonable
from ._render import render_html, render_markdown, render_pdf, write_report

__all__ = [
    "SECTION_IDS",
    "build_report",
    "jsonable",
    "render_chart",
    "render_html",
    "render_markdown",
    "render_pdf",
    "write_report",
]
