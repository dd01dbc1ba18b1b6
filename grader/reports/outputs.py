"""Several report formats at once: parsing ``--format`` and naming the sibling files.

``--format`` is repeatable and takes comma lists (``--format json,junit --format sarif``).
With one format, ``--output FILE`` is written as given. With several, each format goes to
a sibling of FILE: its name without the extension, plus the format's suffix below, e.g.
``-o out/report.json --format json,junit,sarif`` writes ``out/report.json``,
``out/report.junit.xml`` and ``out/report.sarif``. Batch reports use the same suffixes
after the student id (``alice.json``, ``alice.junit.xml``, ...).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from grader.errors import GraderError
from grader.model import Report
from grader.reports.registry import RENDERERS

SUFFIXES: dict[str, str] = {
    "json": ".json",
    "text": ".txt",
    "gradescope": ".gradescope.json",
    "junit": ".junit.xml",
    "sarif": ".sarif",
    "github": ".github.txt",
    "markdown": ".md",
}


def parse_formats(values: Iterable[str]) -> list[str]:
    """Flatten repeated/comma-separated values, keep order, drop duplicates, reject unknowns."""
    formats: list[str] = []
    for value in values:
        for name in value.split(","):
            name = name.strip().lower()
            if not name:
                continue
            if name not in RENDERERS:
                known = ", ".join(RENDERERS)
                raise GraderError(f"unknown report format {name!r} (known: {known}).")
            if name not in formats:
                formats.append(name)
    return formats


def sibling_paths(output: Path, formats: list[str]) -> dict[str, Path]:
    if len(formats) == 1:
        return {formats[0]: output}
    stem = output.name
    for suffix in sorted(SUFFIXES.values(), key=len, reverse=True):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    else:
        stem = output.stem if output.suffix else output.name
    return {fmt: output.with_name(stem + SUFFIXES[fmt]) for fmt in formats}


def render_as(report: Report, fmt: str, verbose: bool = False, color: bool = False, quiet: bool = False) -> str:
    """Render ``report`` in ``fmt``; the text format alone takes ``verbose``, ``color`` and ``quiet``."""
    if fmt == "text":
        from grader.reports.text import render as render_text

        return render_text(report, verbose=verbose, color=color, quiet=quiet)
    return RENDERERS[fmt](report)


def write_formats(report: Report, output: Path, formats: list[str], verbose: bool = False) -> dict[str, Path]:
    """Write every format of ``report`` atomically; returns format -> path written."""
    from grader.atomic import write_text_atomic

    paths = sibling_paths(output, formats)
    for fmt, path in paths.items():
        write_text_atomic(path, render_as(report, fmt, verbose))
    return paths
