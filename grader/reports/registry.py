"""Format name -> renderer. Each renderer takes a Report and returns text."""

from __future__ import annotations

from collections.abc import Callable

from grader.model import Report
from grader.reports import github, gradescope, json_report, junit, markdown, sarif, text

Renderer = Callable[[Report], str]

RENDERERS: dict[str, Renderer] = {
    "json": json_report.render,
    "text": text.render,
    "gradescope": gradescope.render,
    "junit": junit.render,
    "sarif": sarif.render,
    "github": github.render,
    "markdown": markdown.render,
}


def renderer(name: str) -> Renderer:
    return RENDERERS[name]
