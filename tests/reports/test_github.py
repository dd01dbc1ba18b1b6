"""GitHub workflow commands: parsed back with the runner's grammar, escaping round-trips."""

from __future__ import annotations

import re

from grader.reports import github
from tests.reports.samples import HOSTILE, hostile_report

# The runner's grammar: ::name key=value,key=value::message (actions/runner ActionCommand).
COMMAND = re.compile(r"^::(?P<name>[a-z-]+)(?: (?P<props>[^:]*))?::(?P<message>.*)$")


def _unescape_data(text: str) -> str:
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def _unescape_property(text: str) -> str:
    return _unescape_data(text.replace("%3A", ":").replace("%2C", ","))


def parse(output: str) -> list[tuple[str, dict[str, str], str]]:
    commands = []
    for line in output.splitlines():
        match = COMMAND.match(line)
        assert match, f"not a workflow command: {line!r}"
        props = {}
        if match.group("props"):
            for pair in match.group("props").split(","):
                key, _, value = pair.partition("=")
                props[key] = _unescape_property(value)
        commands.append((match.group("name"), props, _unescape_data(match.group("message"))))
    return commands


def test_every_line_is_one_command_and_escaping_round_trips():
    out = github.render(hostile_report())
    commands = parse(out)
    findings = [c for c in commands if "file" in c[1]]
    assert len(findings) == 3
    error = next(c for c in findings if c[0] == "error")
    assert error[1] == {"file": "pkg/my file,v1.py", "line": "3", "col": "7", "title": "BG001"}
    assert error[2].startswith(HOSTILE)


def test_severity_maps_to_error_warning_notice():
    names = sorted(name for name, props, _ in parse(github.render(hostile_report())) if "file" in props)
    assert names == ["error", "notice", "warning"]


def test_failed_behavior_checks_and_grader_errors_become_fileless_errors():
    commands = parse(github.render(hostile_report()))
    fileless = [(n, p["title"]) for n, p, _ in commands if "file" not in p]
    assert ("error", "saved-file-intact (0/3)") in fileless
    assert ("error", "grader") in fileless
    assert ("notice", "fastapi-grader") in fileless
    # passed and skipped behavior checks are not annotated
    assert not any(t.startswith(("app-loads", "task-completes")) for _, t in fileless)


def test_locate_maps_paths_to_the_repository_root():
    commands = parse(github.render(hostile_report(), locate=lambda p: f"app/{p}"))
    assert {p["file"] for _, p, _ in commands if "file" in p} == {"app/main.py", "app/pkg/my file,v1.py"}


def test_escape_functions_follow_the_toolkit():
    assert github.escape_data("50%\r\n") == "50%25%0D%0A"
    assert github.escape_property("a:b,c%") == "a%3Ab%2Cc%25"
