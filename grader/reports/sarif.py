"""SARIF 2.1.0 for the static findings (GitHub code scanning, IDE viewers).

Rule ids are our codes, each rule's ``help`` is its ``grader explain`` text, locations are
relative to the submission root (``uriBaseId`` ``%SRCROOT%``), severities map to levels:
error -> error, warning -> warning, advice -> note.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from grader.model import Report, Severity
from grader.static.registry import all_rules

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.ADVICE: "note"}


def _rule_descriptor(code: str) -> dict[str, Any]:
    rule = all_rules()[code]
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.message},
        "fullDescription": {"text": rule.message},
        "help": {"text": rule.documentation(), "markdown": rule.documentation()},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {"severity": rule.severity.value},
    }


def artifact_uri(path: str) -> str:
    """A relative URI reference (RFC 3986): posix separators, unsafe characters escaped."""
    return quote(path.replace("\\", "/"), safe="/")


def sarif_log(report: Report) -> dict[str, Any]:
    rules = all_rules()
    codes = sorted(set(rules) | {f.code for f in report.findings if f.code in rules})
    descriptors = [_rule_descriptor(code) for code in codes]
    index = {code: i for i, code in enumerate(codes)}
    results: list[dict[str, Any]] = []
    for finding in report.findings:
        result: dict[str, Any] = {
            "ruleId": finding.code,
            "level": LEVELS[finding.severity],
            "message": {"text": finding.message},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": artifact_uri(finding.path), "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": finding.line, "startColumn": finding.column},
                }
            }],
        }
        if finding.code in index:
            result["ruleIndex"] = index[finding.code]
        results.append(result)
    invocation: dict[str, Any] = {
        "executionSuccessful": report.status == "graded",
        "toolExecutionNotifications": [
            {"level": "error", "message": {"text": error}} for error in report.errors
        ],
    }
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [{
            "tool": {"driver": {
                "name": "fastapi-grader",
                "version": report.grader_version or "0",
                "rules": descriptors,
            }},
            "automationDetails": {"id": f"fastapi-grader/{report.submission}/"},
            "invocations": [invocation],
            "results": results,
            "properties": {"score": report.score, "max_score": report.max_score},
        }],
    }


def render(report: Report) -> str:
    return json.dumps(sarif_log(report), indent=2, ensure_ascii=False) + "\n"
