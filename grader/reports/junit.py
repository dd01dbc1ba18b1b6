"""JUnit XML (GitLab, Jenkins): one ``<testcase>`` per rubric check.

failed -> ``<failure>``, error -> ``<error>``, skipped -> ``<skipped/>``; the feedback is
the element text so CI systems show it next to the test name.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from grader.model import Report
from grader.reports.feedback import is_advice, problem_lines

# Characters XML 1.0 forbids even when escaped; student output may contain any of them.
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    return _ILLEGAL_XML.sub("\ufffd", text)


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def render(report: Report) -> str:
    # JUnit knows failure, error and skipped: out of time is an error, not applicable is skipped.
    kinds = {"failed": "failed", "error": "error", "timeout": "error", "skipped": "skipped",
             "not-applicable": "skipped"}
    counts = {s: sum(1 for c in report.checks if kinds.get(c.status) == s) for s in ("failed", "error", "skipped")}
    total_s = report.run.get("timings", {}).get("total_s", 0) or 0
    attrs = {
        "tests": str(len(report.checks)),
        "failures": str(counts["failed"]),
        "errors": str(counts["error"]),
        "skipped": str(counts["skipped"]),
        "time": f"{float(total_s):.3f}",
    }
    suites = ET.Element("testsuites", {"name": "fastapi-grader", **attrs})
    suite = ET.SubElement(suites, "testsuite", {"name": xml_safe(report.submission), **attrs})
    props = ET.SubElement(suite, "properties")
    for name, value in (
        ("score", f"{report.score:g}"),
        ("max_score", f"{report.max_score:g}"),
        ("status", report.status),
        ("rubric", f"{report.rubric.get('name', '')} {report.rubric.get('version', '')}".strip()),
        ("grader_version", report.grader_version),
    ):
        ET.SubElement(props, "property", {"name": name, "value": xml_safe(value)})
    for check in report.checks:
        case = ET.SubElement(suite, "testcase", {
            "classname": xml_safe(f"{report.submission}.{check.kind}"),
            # Stable across runs (CI systems track a test's history by its name).
            "name": xml_safe(check.title if check.title.startswith(check.id) else f"{check.id}: {check.title}"),
            "time": "0",
            "assertions": "1",
        })
        feedback = xml_safe("\n".join(problem_lines(check)) or check.feedback)
        if check.status == "failed":
            child = ET.SubElement(case, "failure", {"message": _first_line(feedback), "type": "failed"})
            child.text = feedback
        elif kinds.get(check.status) == "error":
            child = ET.SubElement(case, "error", {"message": _first_line(feedback), "type": check.status})
            child.text = feedback
        elif kinds.get(check.status) == "skipped":
            ET.SubElement(case, "skipped", {"message": _first_line(feedback)})
        if check.status != "passed" or check.findings:
            points = ET.SubElement(case, "system-out")
            advice = "advice (no points lost)\n" if is_advice(check) else ""
            points.text = xml_safe(f"{check.score:g}/{check.max_score:g} points\n{advice}{feedback}")
    if report.errors:
        err = ET.SubElement(suite, "system-err")
        err.text = xml_safe("\n".join(report.errors))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
