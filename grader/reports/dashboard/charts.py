"""Inline SVG charts drawn in Python: no JavaScript, no CDN, readable without a network.

Every label passes through :func:`html.escape`: check titles come from rubrics, and a
rubric is just a file someone handed the instructor.
"""

from __future__ import annotations

from grader.reports.dashboard.layout import esc as escape

from grader.reports.dashboard.data import CheckRate

_PASS_COLOR = "#2f855a"
_FAIL_COLOR = "#e53e3e"
_SKIP_COLOR = "#a0aec0"
_EMPTY_COLOR = "#edf2f7"
_BAR_COLOR = "#3b6fb6"
_TEXT = "#1a202c"
_MUTED = "#4a5568"


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def score_histogram(counts: list[int], width: int = 640, height: int = 260) -> str:
    """Students per score band (0-10 %, ..., 90-100 %) as vertical bars."""
    bins = len(counts)
    left, right, top, bottom = 44, 12, 16, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max(max(counts, default=0), 1)
    slot = plot_w / bins
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'xmlns="http://www.w3.org/2000/svg" aria-label="Score histogram">',
        f"<title>Students per score band</title>",
    ]
    # Horizontal grid with integer ticks.
    step = max(1, -(-peak // 5))
    for tick in range(0, peak + 1, step):
        y = top + plot_h - plot_h * tick / peak
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{_fmt(y)}" y2="{_fmt(y)}" stroke="#edf2f7"/>')
        parts.append(
            f'<text x="{left - 6}" y="{_fmt(y + 4)}" text-anchor="end" font-size="11" fill="{_MUTED}">{tick}</text>'
        )
    band = 100 / bins
    for index, count in enumerate(counts):
        bar_h = plot_h * count / peak
        x = left + index * slot + 3
        y = top + plot_h - bar_h
        low, high = round(index * band), round((index + 1) * band)
        label = f"{low}-{high} %: {count} student{'s' if count != 1 else ''}"
        parts.append(
            f'<rect x="{_fmt(x)}" y="{_fmt(y)}" width="{_fmt(slot - 6)}" height="{_fmt(bar_h)}" '
            f'fill="{_BAR_COLOR}"><title>{escape(label)}</title></rect>'
        )
        if count:
            parts.append(
                f'<text x="{_fmt(x + (slot - 6) / 2)}" y="{_fmt(y - 4)}" text-anchor="middle" '
                f'font-size="11" fill="{_TEXT}">{count}</text>'
            )
        parts.append(
            f'<text x="{_fmt(left + index * slot + slot / 2)}" y="{top + plot_h + 16}" text-anchor="middle" '
            f'font-size="10" fill="{_MUTED}">{low}-{high}</text>'
        )
    parts.append(
        f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="{_MUTED}"/>'
    )
    parts.append(
        f'<text x="{left + plot_w / 2:.0f}" y="{height - 8}" text-anchor="middle" font-size="12" '
        f'fill="{_MUTED}">score (% of the maximum)</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def pass_rate_legend() -> str:
    return (
        '<p class="muted"><span class="cell passed"></span>passed '
        '<span class="cell failed"></span>failed '
        '<span class="cell skipped"></span>not decided: skipped (a prerequisite did not pass), could not be '
        'checked, not applicable or out of time. The rate counts only the students where the check was '
        'decided.</p>'
    )


def pass_rate_bars(rates: list[CheckRate], width: int = 760) -> str:
    """One horizontal bar per check: the share of students who passed it."""
    row, label_w, right, top = 26, 300, 110, 8
    height = top * 2 + row * max(len(rates), 1)
    plot_w = width - label_w - right
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'xmlns="http://www.w3.org/2000/svg" aria-label="Pass rate per check">',
        "<title>Pass rate per check</title>",
    ]
    for index, rate in enumerate(rates):
        y = top + index * row
        label = rate.id if len(rate.id) <= 42 else rate.id[:41] + "…"
        share = rate.rate
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end" font-size="12" fill="{_TEXT}">'
            f"{escape(label)}<title>{escape(rate.title)}</title></text>"
        )
        parts.append(
            f'<rect x="{label_w}" y="{y + 4}" width="{plot_w}" height="{row - 8}" fill="{_EMPTY_COLOR}" rx="2"/>'
        )
        # Stacked: passed, then failed/error, then skipped (a prerequisite did not pass).
        x = float(label_w)
        for count, color, word in (
            (rate.passed, _PASS_COLOR, "passed"),
            (rate.failed, _FAIL_COLOR, "failed"),
            (rate.skipped, _SKIP_COLOR, "not decided"),
        ):
            if not count or not rate.total:
                continue
            seg = plot_w * count / rate.total
            parts.append(
                f'<rect x="{_fmt(x)}" y="{y + 4}" width="{_fmt(seg)}" height="{row - 8}" fill="{color}">'
                f"<title>{escape(rate.id)}: {count}/{rate.total} {word}</title></rect>"
            )
            x += seg
        parts.append(
            f'<text x="{label_w + plot_w + 8}" y="{y + 17}" font-size="12" fill="{_MUTED}">'
            f"{share * 100:.0f} % ({rate.passed}/{rate.evaluated})</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
