"""JUnit XML parsed back with xml.etree: one testcase per check, statuses as elements."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from grader.pipeline import grade_path
from grader.reports import junit
from tests.reports.samples import BAD_MAIN, HOSTILE, hostile_report, test_rubric


def test_every_check_is_a_testcase_with_its_status_element():
    root = ET.fromstring(junit.render(hostile_report()).encode("utf-8"))
    assert root.tag == "testsuites"
    suite = root.find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert len(cases) == 4 == int(suite.get("tests"))
    by_name = {c.get("name").split(":")[0].split(" ")[0]: c for c in cases}
    assert by_name["BG001"].find("failure") is not None
    assert by_name["app-loads"].find("failure") is None and by_name["app-loads"].find("error") is None
    assert by_name["saved-file-intact"].find("error") is not None
    assert by_name["task-completes"].find("skipped") is not None
    assert (suite.get("failures"), suite.get("errors"), suite.get("skipped")) == ("1", "1", "1")
    props = {p.get("name"): p.get("value") for p in suite.find("properties")}
    assert props["score"] == "2" and props["max_score"] == "19"


def test_hostile_feedback_survives_as_text_without_breaking_the_xml():
    root = ET.fromstring(junit.render(hostile_report()).encode("utf-8"))
    failure = root.find("testsuite/testcase/failure")
    # Only the characters XML cannot carry at all are replaced; markup stays text.
    # (XML parsers normalise a raw \r\n to \n: that is the XML spec, not our loss.)
    # The failure text is the finding's line: location, code, message.
    message = HOSTILE.replace("\x00", "\ufffd").replace("\x1b", "\ufffd").replace("\r\n", "\n")
    assert failure.text == f"pkg/my file,v1.py:3:7: BG001 {message}"
    assert root.find("testsuite").get("name") == 'student, "x" <y>'
    assert "syntax error" in root.find("testsuite/system-err").text


def test_real_grading_failure_carries_the_finding_location(tmp_path: Path):
    (tmp_path / "main.py").write_text(BAD_MAIN)
    report = grade_path(tmp_path, test_rubric(), run_behavior=False)
    root = ET.fromstring(junit.render(report).encode("utf-8"))
    failure = root.find(".//testcase/failure")
    assert failure is not None and "main.py:11:5: BG001" in failure.text
    assert "main.py:11:5" in failure.get("message")
