"""``index.html``: the class at a glance (histogram, pass rates, common findings, students)."""

from __future__ import annotations

from datetime import datetime, timezone

from grader.reports.dashboard.charts import pass_rate_bars, pass_rate_legend, score_histogram
from grader.reports.dashboard.data import ClassData, FindingCount, StudentReport
from grader.reports.dashboard.doc_html import doc_to_html
from grader.reports.dashboard.layout import STATUSES, badge, esc, fmt_points, href, page, student_file_name
from grader.static.registry import all_rules

MAX_FINDINGS_SHOWN = 15


def _stat(value: str, label: str) -> str:
    return f'<div class="stat"><b>{esc(value)}</b><span>{esc(label)}</span></div>'


def _stats(data: ClassData) -> str:
    mean, median = data.mean_percent(), data.median_percent()
    statuses: dict[str, int] = {}
    for student in data.students:
        statuses[student.status] = statuses.get(student.status, 0) + 1
    words = {"graded": "graded", "review": "to review (tampering suspected)", "timeout": "timed out",
             "error": "could not be graded"}
    items = [
        _stat(str(len(data.students)), "students"),
        *(_stat(str(n), words.get(status, status)) for status, n in sorted(
            statuses.items(), key=lambda item: list(words).index(item[0]) if item[0] in words else 9)),
        _stat("-" if mean is None else f"{mean:.1f} %", "mean score"),
        _stat("-" if median is None else f"{median:.1f} %", "median score"),
    ]
    return f'<div class="stats">{"".join(items)}</div>'


def _explain(code: str) -> str:
    rule = all_rules().get(code)
    return rule.documentation() if rule is not None else ""


def _findings_section(findings: list[FindingCount], class_size: int) -> str:
    if not findings:
        return "<section><h2>Most common findings</h2><p>No static finding in any submission.</p></section>"
    rows = []
    for item in findings[:MAX_FINDINGS_SHOWN]:
        explain = _explain(item.code)
        explain_html = (
            f'<details><summary>What it means and how to fix it</summary>'
            f'<div class="doc">{doc_to_html(explain)}</div></details>'
            if explain
            else '<p class="muted">No explanation: this code is not a rule of this grader version.</p>'
        )
        rows.append(
            f'<div class="check" id="rule-{esc(item.code)}"><h3><code>{esc(item.code)}</code> '
            f"in {item.students} of {class_size} submissions "
            f'<span class="muted">({item.occurrences} finding{"s" if item.occurrences != 1 else ""})</span></h3>'
            f"<div>{esc(item.example_message)}</div>{explain_html}</div>"
        )
    more = len(findings) - MAX_FINDINGS_SHOWN
    tail = f'<p class="muted">{more} rarer codes not shown.</p>' if more > 0 else ""
    return f"<section><h2>Most common findings</h2>{''.join(rows)}{tail}</section>"


def _check_cells(student: StudentReport) -> str:
    cells = []
    for check in student.checks:
        status = str(check.get("status", "error"))
        known = status if status in STATUSES else "error"
        cells.append(f'<span class="cell {known}" title="{esc(check.get("id", "?"))}: {esc(status)}"></span>')
    return "".join(cells)


def _first(student: StudentReport) -> tuple[int, str]:
    """Submissions to look at first (tampering suspected: ``review``), then by name."""
    return (0 if student.status == "review" else 1, student.student)


def _students_table(data: ClassData) -> str:
    rows = []
    for student in sorted(data.students, key=_first):
        link = href("students", student_file_name(student.key))
        failed = [str(c.get("id")) for c in student.checks if c.get("status") in {"failed", "error", "timeout"}]
        failed_html = esc(", ".join(failed)) if failed else '<span class="muted">none</span>'
        passed = sum(1 for c in student.checks if c.get("status") == "passed")
        rows.append(
            "<tr>"
            f'<td><a href="{link}">{esc(student.student)}</a></td>'
            f'<td class="num" data-sort="{student.score:g}">{esc(fmt_points(student.score))} / '
            f"{esc(fmt_points(student.max_score))}</td>"
            f'<td class="num" data-sort="{student.percent:.4f}">{student.percent:.0f} %</td>'
            f"<td>{badge(student.status)}</td>"
            f'<td class="cells" data-sort="{passed}">{_check_cells(student)}</td>'
            f'<td class="num">{len(student.findings)}</td>'
            f'<td data-sort="{len(failed)}">{failed_html}</td>'
            "</tr>"
        )
    for name in data.missing_reports:  # listed by summary.json
        rows.append(f'<tr><td>{esc(name)}</td><td colspan="6" class="note">listed in summary.json, '
                    "but its report file is missing</td></tr>")
    head = (
        "<thead><tr><th>student</th><th>score</th><th>%</th><th>status</th><th>checks</th>"
        "<th>findings</th><th>failed checks</th></tr></thead>"
    )
    legend = (
        '<p class="muted">Click a column header to sort by it. Check squares, in rubric order: '
        '<span class="cell passed"></span>passed <span class="cell failed"></span>failed '
        '<span class="cell error"></span>error <span class="cell skipped"></span>skipped '
        "(hover a square for its check).</p>"
    )
    return (f'<section><h2>Students</h2>{legend}<table class="sortable" id="students">{head}'
            f"<tbody>{''.join(rows)}</tbody></table></section>")


def render_index(data: ClassData, title: str) -> str:
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    header = f"<h1>{esc(title)}</h1><p>{len(data.students)} submissions · generated {esc(generated)}</p>"
    body = [_stats(data)]
    if data.skipped_files:
        body.append(
            f'<p class="note">Not reports, skipped: {esc(", ".join(data.skipped_files))}</p>'
        )
    body.append(f"<section><h2>Score distribution</h2>{score_histogram(data.histogram())}</section>")
    rates = data.check_rates()
    if rates:
        body.append(f"<section><h2>Pass rate per check</h2>{pass_rate_legend()}{pass_rate_bars(rates)}</section>")
    body.append(_findings_section(data.common_findings(), len(data.students)))
    body.append(_students_table(data))
    return page(title, header, "".join(body), sortable=True)
