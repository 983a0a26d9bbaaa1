"""Render the report dict: HTML (self-contained), Markdown, JSON, and PDF through Chromium."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from ..atomic import atomic_path, atomic_write_text
from ..errors import ConfigError
from ._charts import chart_text, render_chart

__all__ = ["render_html", "render_markdown", "render_pdf", "write_report"]

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_CODE = re.compile(r"`([^`]+)`")


def _inline(text: Any) -> Markup:
    """Escape, then allow the two bits of Markdown the report uses: **bold** and `code`."""
    safe = str(escape(str(text)))
    safe = _BOLD.sub(r"<strong>\1</strong>", safe)
    return Markup(_CODE.sub(r"<code>\1</code>", safe))


def _cell(value: Any) -> str:
    return " ".join(str(value).replace("|", "\\|").split())


def _md_text(value: Any) -> Any:
    """Markdown lets raw HTML through to the page: text from the data (a company named
    ``<script>``) is escaped, except inside code fences (marked ``verbatim``)."""
    if isinstance(value, Markup) or value is None:
        return value
    text = str(value)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _env(autoescape: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("icpkit.report", "templates"),
        autoescape=autoescape,
        trim_blocks=False,
        keep_trailing_newline=True,
        undefined=jinja2.ChainableUndefined,
        finalize=None if autoescape else _md_text,
    )
    env.filters["verbatim"] = lambda text: Markup(str(text))
    env.filters["svg"] = lambda chart: Markup(render_chart(chart))
    env.filters["inline"] = _inline
    env.filters["cell"] = _cell
    env.filters["chart_lines"] = chart_text
    return env


def render_html(report: dict[str, Any]) -> str:
    """One self-contained HTML page (inline CSS and SVG; no script, font or image to fetch)."""
    return _env(True).get_template("report.html.j2").render(report=report)


def render_markdown(report: dict[str, Any]) -> str:
    text = _env(False).get_template("report.md.j2").render(report=report)
    return re.sub(r"\n{3,}", "\n\n", text)


def _chromium() -> str:
    for candidate in (
        os.environ.get("ICPKIT_CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
    ):
        if candidate and Path(candidate).exists():
            return candidate
    raise ConfigError(
        "PDF output needs Chromium",
        hint="Install the chromium package, or write .html and print it",
    )


def render_pdf(html: str, path: str | os.PathLike[str]) -> Path:
    """Print the HTML to PDF with headless Chromium driven by Playwright (optional extra)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise ConfigError(
            "PDF output needs Playwright", hint="pip install 'icpkit[pdf]' (or write .html / .md)"
        ) from None
    target = Path(path)
    with atomic_path(target) as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.set_content(html, wait_until="load")
            page.pdf(
                path=str(tmp),
                format="A4",
                print_background=True,
                margin={"top": "14mm", "bottom": "14mm", "left": "12mm", "right": "12mm"},
            )
        finally:
            browser.close()
    return target


CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

FORMATS = {
    ".html": "html",
    ".htm": "html",
    ".md": "md",
    ".markdown": "md",
    ".json": "json",
    ".pdf": "pdf",
}


def write_report(report: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write the report in the format its suffix names (.html, .md, .json, .pdf), atomically."""
    target = Path(path)
    fmt = FORMATS.get(target.suffix.lower())
    if fmt is None:
        raise ConfigError(
            "unknown report format",
            file=str(target),
            value=target.suffix,
            hint="Use a file ending in .html, .md, .json or .pdf",
        )
    if fmt == "html":
        return atomic_write_text(target, render_html(report))
    if fmt == "md":
        return atomic_write_text(target, render_markdown(report))
    if fmt == "json":
        return atomic_write_text(target, json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    return render_pdf(render_html(report), target)
