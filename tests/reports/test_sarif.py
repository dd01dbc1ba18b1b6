"""SARIF 2.1.0: the spec's required properties, our rule ids/help, relative locations."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote, urlsplit

import jsonschema

from grader.pipeline import grade_path
from grader.reports import sarif
from grader.static.registry import all_rules
from tests.reports.samples import BAD_MAIN, hostile_report, test_rubric

# The official schema is not shipped by any installed package (no download allowed), so
# this is its required-property subset, from the SARIF 2.1.0 standard (OASIS, sections
# 3.13 sarifLog, 3.14 run, 3.18 toolComponent, 3.49 reportingDescriptor, 3.27 result,
# 3.28 location, 3.29 physicalLocation, 3.4 artifactLocation, 3.30 region, 3.12 message,
# 3.11.9 multiformatMessageString, 3.20 invocation).
MESSAGE = {"type": "object", "anyOf": [{"required": ["text"]}, {"required": ["id"]}],
           "properties": {"text": {"type": "string"}}}
MULTIFORMAT = {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"},
                                                                       "markdown": {"type": "string"}}}
LEVEL = {"enum": ["none", "note", "warning", "error"]}
SARIF_REQUIRED = {
    "type": "object",
    "required": ["version", "runs"],
    "properties": {
        "version": {"const": "2.1.0"},
        "$schema": {"type": "string", "format": "uri"},
        "runs": {"type": "array", "items": {
            "type": "object",
            "required": ["tool"],
            "properties": {
                "tool": {"type": "object", "required": ["driver"], "properties": {"driver": {
                    "type": "object", "required": ["name"],
                    "properties": {"name": {"type": "string"}, "version": {"type": "string"},
                                   "rules": {"type": "array", "items": {
                                       "type": "object", "required": ["id"],
                                       "properties": {"id": {"type": "string"},
                                                      "shortDescription": MULTIFORMAT,
                                                      "fullDescription": MULTIFORMAT,
                                                      "help": MULTIFORMAT,
                                                      "defaultConfiguration": {"type": "object", "properties": {
                                                          "level": LEVEL}}}}}}}}},
                "invocations": {"type": "array", "items": {
                    "type": "object", "required": ["executionSuccessful"],
                    "properties": {"executionSuccessful": {"type": "boolean"},
                                   "toolExecutionNotifications": {"type": "array", "items": {
                                       "type": "object", "required": ["message"],
                                       "properties": {"message": MESSAGE, "level": LEVEL}}}}}},
                "results": {"type": "array", "items": {
                    "type": "object", "required": ["message"],
                    "properties": {
                        "ruleId": {"type": "string"},
                        "ruleIndex": {"type": "integer", "minimum": -1},
                        "level": LEVEL,
                        "message": MESSAGE,
                        "locations": {"type": "array", "items": {"type": "object", "properties": {
                            "physicalLocation": {
                                "type": "object",
                                "anyOf": [{"required": ["address"]}, {"required": ["artifactLocation"]}],
                                "properties": {
                                    "artifactLocation": {"type": "object", "properties": {
                                        "uri": {"type": "string", "format": "uri-reference"},
                                        "uriBaseId": {"type": "string"}}},
                                    "region": {"type": "object", "properties": {
                                        "startLine": {"type": "integer", "minimum": 1},
                                        "startColumn": {"type": "integer", "minimum": 1}}}}}}}},
                    }}},
            }}},
    },
}


def _validate(data: dict) -> None:
    jsonschema.validate(data, SARIF_REQUIRED, format_checker=jsonschema.FormatChecker())


def test_real_finding_is_a_result_pointing_at_the_relative_file_and_line(tmp_path: Path):
    (tmp_path / "main.py").write_text(BAD_MAIN)
    data = json.loads(sarif.render(grade_path(tmp_path, test_rubric(), run_behavior=False)))
    _validate(data)
    run = data["runs"][0]
    results = [r for r in run["results"] if r["ruleId"] == "BG001"]
    assert len(results) == 1
    location = results[0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "main.py", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 11, "startColumn": 5}
    assert results[0]["level"] == "error"
    assert run["tool"]["driver"]["rules"][results[0]["ruleIndex"]]["id"] == "BG001"
    assert run["invocations"][0]["executionSuccessful"] is True


def test_rule_ids_are_our_codes_and_help_is_the_explain_text():
    data = json.loads(sarif.render(hostile_report()))
    _validate(data)
    rules = data["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(all_rules())
    for rule in rules:
        assert rule["help"]["text"] == all_rules()[rule["id"]].documentation()


def test_levels_follow_severity_and_uris_stay_relative_and_escaped():
    data = json.loads(sarif.render(hostile_report()))
    results = data["runs"][0]["results"]
    assert sorted(r["level"] for r in results) == ["error", "note", "warning"]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert "pkg/my%20file%2Cv1.py" in uris
    for uri in uris:
        parts = urlsplit(uri)
        assert not parts.scheme and not parts.netloc and not uri.startswith("/")
    assert unquote("pkg/my%20file%2Cv1.py") == "pkg/my file,v1.py"
    notes = data["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert "syntax error" in notes[0]["message"]["text"]


def test_the_required_subset_rejects_a_result_without_a_message():
    data = json.loads(sarif.render(hostile_report()))
    del data["runs"][0]["results"][0]["message"]
    try:
        _validate(data)
    except jsonschema.ValidationError:
        return
    raise AssertionError("a result without message must be rejected")
