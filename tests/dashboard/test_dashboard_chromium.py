"""The dashboard opens in a real browser (headless Chromium) with no console message.

Skipped, with the reason, when no Chromium is installed (Debian: apt-get install chromium).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.reports.dashboard import write_dashboard
from grader.reports.dashboard.layout import student_file_name
from tests.dashboard.chromium import chromium_binary, load, screenshot
from tests.dashboard.class_builder import HOSTILE_NAME, build_class

pytestmark = pytest.mark.skipif(
    chromium_binary() is None,
    reason="headless Chromium not installed (Debian: apt-get install -y chromium)",
)


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("class")
    subs, out = build_class(root)
    return write_dashboard(out, subs)


def test_index_renders_with_its_content_and_no_console_message(dashboard, tmp_path):
    loaded = load(dashboard, tmp_path / "profile")
    assert loaded.console == []
    for text in ("Score distribution", "Pass rate per check", "Most common findings", "BG001",
                 "response-before-processing", "alice", "carol"):
        assert text in loaded.dom
    assert loaded.dom.count("<svg") == 2


def test_hostile_student_page_runs_nothing(dashboard, tmp_path):
    page = dashboard.parent / "students" / student_file_name(HOSTILE_NAME)
    loaded = load(page, tmp_path / "profile")
    # A script or an <img onerror> that slipped through would log a CSP violation here.
    assert loaded.console == []
    assert "pwned" not in loaded.dom.split("</title>")[0]
    assert "document.title=\"pwned\"" in loaded.dom.replace("&quot;", '"')  # shown as text


def test_screenshot_has_the_window_size_and_is_not_blank(dashboard, tmp_path):
    shot = tmp_path / "index.png"
    assert screenshot(dashboard, tmp_path / "profile", shot) == (1280, 1600)
    # A blank white page compresses to a few KiB; charts and a table do not.
    assert shot.stat().st_size > 40_000


@pytest.mark.parametrize(
    "html",
    [
        "<p>x</p><script>throw new Error('boom')</script>",
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'\"><img src='http://example.invalid/x.png'>",
    ],
    ids=["script-error", "csp-violation"],
)
def test_console_detector_catches_a_broken_page(tmp_path, html):
    """The instrument must fail on a bad page, or the tests above prove nothing."""
    page = tmp_path / "bad.html"
    page.write_text(f"<!DOCTYPE html><html><head></head><body>{html}</body></html>")
    assert load(page, tmp_path / "profile").console != []


SAMPLES = Path(__file__).resolve().parents[2] / "sample_submissions"


def _batch_dashboard(tmp_path: Path, *extra: str) -> Path:
    from click.testing import CliRunner

    from grader.cli import main

    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["batch", str(SAMPLES), "--out", str(out), "--html", "--jobs", "4", *extra])
    assert result.exit_code == 0, result.output
    return out / "index.html"


def _opens_cleanly(index: Path, tmp_path: Path) -> None:
    students = sorted(p.name for p in SAMPLES.iterdir() if not p.name.startswith("."))
    loaded = load(index, tmp_path / "profile")
    assert loaded.console == []
    for name in students:
        assert name in loaded.dom
    for page in sorted((index.parent / "students").iterdir())[:6]:
        assert load(page, tmp_path / "profile").console == [], page.name
    assert screenshot(index, tmp_path / "profile", tmp_path / "index.png") == (1280, 1600)


def test_sample_submissions_dashboard_static_only(tmp_path):
    _opens_cleanly(_batch_dashboard(tmp_path, "--static-only"), tmp_path)


@pytest.mark.slow
def test_sample_submissions_dashboard_with_behavior(tmp_path):
    _opens_cleanly(_batch_dashboard(tmp_path), tmp_path)


def _names_in_table_order(dom: str) -> list[str]:
    import re

    body = dom.split('id="students"', 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'<tr><td><a href="[^"]*">([^<]*)</a>', body)


def test_the_students_table_sorts_in_the_browser(dashboard, tmp_path):
    import json

    out = dashboard.parent
    percent = {}
    for report in out.glob("*.json"):
        data = json.loads(report.read_text(encoding="utf-8"))
        if "submission" in data and data.get("max_score"):
            percent[data["submission"]] = data["score"] / data["max_score"]
    ascending = load(dashboard, tmp_path / "p1", "#sort=2")
    assert ascending.console == []  # the sorter ran under the page's CSP without a violation
    names = _names_in_table_order(ascending.dom)
    shown = [n for n in names if n in percent]
    assert len(shown) >= 3 and [percent[n] for n in shown] == sorted(percent[n] for n in shown)
    descending = _names_in_table_order(load(dashboard, tmp_path / "p2", "#sort=-2").dom)
    assert [percent[n] for n in descending if n in percent] == sorted((percent[n] for n in shown), reverse=True)
