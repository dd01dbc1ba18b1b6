"""``students/<id>.html``: one student's checks, feedback, and findings on their source lines."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from grader.reports.dashboard.data import StudentReport
from grader.reports.dashboard.layout import badge, esc, fmt_points, page
from grader.reports.dashboard.source import SourceFiles

MAX_OUTPUT_CHARS = 64 * 1024


def _details(details: Any) -> str:
    if not isinstance(details, dict) or not details:
        return ""
    items = []
    for key, value in details.items():
        shown = value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False, default=str)
        items.append(f'<div class="kv">{esc(key)}</div><pre class="text">{esc(shown)}</pre>')
    return f"<details><summary>Details</summary>{''.join(items)}</details>"


def _checks(student: StudentReport) -> str:
    blocks = []
    for check in student.checks:
        status = str(check.get("status", "error"))
        if status == "passed" and check.get("kind") == "static" and check.get("findings"):
            status = "advice"  # a finding that costs no points: shown as advice, not as a pass
        score = check.get("score", 0)
        max_score = check.get("max_score", 0)
        points = (
            f"{fmt_points(score)}/{fmt_points(max_score)}"
            if isinstance(score, (int, float)) and isinstance(max_score, (int, float))
            else "?"
        )
        feedback = str(check.get("feedback") or "")
        if feedback.strip() == str(check.get("title") or "").strip():
            feedback = ""  # a custom check's docstring is its title: say it once
        if status in {"failed", "error", "advice"}:
            # What went wrong is the point of the page: shown in full.
            feedback_html = f'<pre class="text">{esc(feedback)}</pre>' if feedback else ""
        elif feedback and "\n" not in feedback and len(feedback) < 160:
            feedback_html = f' <span class="muted">{esc(feedback)}</span>'
        elif feedback:
            feedback_html = f'<details><summary>Feedback</summary><pre class="text">{esc(feedback)}</pre></details>'
        else:
            feedback_html = ""
        blocks.append(
            '<div class="check">'
            f"{badge(status)} <b>{esc(points)}</b> <code>{esc(check.get('id', '?'))}</code> "
            f"{esc(check.get('title', ''))} <span class=\"muted\">({esc(check.get('kind', ''))})</span>"
            + feedback_html
            + _details(check.get("details"))
            + "</div>"
        )
    return f"<section><h2>Checks</h2>{''.join(blocks) or '<p>No checks.</p>'}</section>"


def _source_file(rel: str, text: str, by_line: dict[int, list[dict[str, Any]]]) -> str:
    rows = []
    for number, line in enumerate(text.splitlines() or [""], start=1):
        hits = by_line.get(number, [])
        css = ' class="hit"' if hits else ""
        rows.append(f'<tr{css} id="{esc(rel)}-L{number}"><td class="ln">{number}</td><td>{esc(line)}</td></tr>')
        for finding in hits:
            code = str(finding.get("code", "?"))
            column = finding.get("column", "")
            severity = "advice" if finding.get("severity") == "advice" else "error"
            rows.append(
                f'<tr class="annot {severity}"><td class="ln"></td><td>▲ col {esc(column)}: '
                f'<a href="../index.html#rule-{esc(code)}"><b>{esc(code)}</b></a> '
                f"[{esc(finding.get('severity', ''))}] {esc(finding.get('message', ''))}</td></tr>"
            )
    return f'<div class="source"><table>{"".join(rows)}</table></div>'


def _sources(student: StudentReport, sources: SourceFiles) -> str:
    by_file: dict[str, dict[int, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for finding in student.findings:
        line = finding.get("line")
        if isinstance(line, int):
            by_file[str(finding.get("path", ""))][line].append(finding)
    parts = [f'<p class="note">{esc(note)}</p>' for note in sources.notes]
    # Files with findings first and open; the rest folded away.
    ordered = sorted(sources.files, key=lambda rel: (rel not in by_file, rel))
    for rel in ordered:
        count = sum(len(v) for v in by_file.get(rel, {}).values())
        label = f"{esc(rel)} <span class=\"muted\">({count} finding{'s' if count != 1 else ''})</span>"
        opened = " open" if count else ""
        parts.append(
            f"<details{opened}><summary><code>{label}</code></summary>"
            f"{_source_file(rel, sources.files[rel], by_file.get(rel, {}))}</details>"
        )
    unplaced = [f for f in student.findings if str(f.get("path", "")) not in sources.files]
    if unplaced:
        items = "".join(
            f"<li><code>{esc(f.get('path', ''))}:{esc(f.get('line', ''))}:{esc(f.get('column', ''))}</code> "
            f"<b>{esc(f.get('code', ''))}</b> {esc(f.get('message', ''))}</li>"
            for f in unplaced
        )
        parts.append(f"<h3>Findings</h3><ul>{items}</ul>")
    if not sources.files and not unplaced and not sources.notes:
        parts.append("<p>No Python source.</p>")
    return f"<section><h2>Source and findings</h2>{''.join(parts)}</section>"


def _run_output(student: StudentReport) -> str:
    run = student.report.get("run")
    output = run.get("output") if isinstance(run, dict) else None
    if not output:
        return ""
    text = output if isinstance(output, str) else json.dumps(output, indent=2, ensure_ascii=False, default=str)
    if len(text) > MAX_OUTPUT_CHARS:
        text = text[:MAX_OUTPUT_CHARS] + "\n[... cut ...]"
    return f"<section><h2>The app's output during the run</h2><pre class=\"text\">{esc(text)}</pre></section>"


def render_student(student: StudentReport, sources: SourceFiles) -> str:
    rubric = student.report.get("rubric") if isinstance(student.report.get("rubric"), dict) else {}
    header = (
        f'<p><a href="../index.html">← class dashboard</a></p>'
        f"<h1>{esc(student.student)}: {esc(fmt_points(student.score))} / {esc(fmt_points(student.max_score))} "
        f"({student.percent:.0f} %)</h1>"
        f"<p>{badge(student.status)} {esc(rubric.get('title', ''))} v{esc(rubric.get('version', ''))}</p>"
    )
    body = []
    if student.errors:
        items = "".join(f"<li>{esc(e)}</li>" for e in student.errors)
        body.append(f'<section><h2>Errors</h2><ul class="note">{items}</ul></section>')
    body.append(_checks(student))
    body.append(_sources(student, sources))
    body.append(_run_output(student))
    return page(f"{student.student}: grade report", header, "".join(body))
