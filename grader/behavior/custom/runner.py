"""Run the instructor's pytest files against the student's app (inside the sandboxed child).

Each test becomes its own check, ``<rubric check id>::<test name>``, worth its
``@pytest.mark.points(N)``; tests without a mark share what is left of the rubric
entry's points. The split of blame follows pytest's own words:

- a test that *fails* (its body raised, an assertion did not hold) is the student's
  failure, and so is any error the student's app caused (startup crash, a hang);
- a test that *errors* (fixture or collection error, an unknown fixture, a syntax error
  in the file) is a bug in the rubric: reported as a rubric error, never as the
  student's failure.

The instructor's file runs in a fresh folder with an empty ``pytest.ini``: the student's
``conftest.py``, ``pytest.ini`` or ``pyproject.toml`` never configure it, and no installed
plugin autoloads.
"""

from __future__ import annotations

import inspect
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from grader.behavior.custom import pytest_plugin
from grader.behavior.custom.session import AppSession, StudentAppError
from grader.behavior.custom.spec import split_points
from grader.behavior.outcome import Verdict

MAX_MESSAGE_CHARS = 2000
_SAFE_FILE = re.compile(r"[^A-Za-z0-9_]")


@dataclass
class TestInfo:
    name: str
    doc: str
    points_mark: float | None
    bad_mark: str | None = None
    status: str = "error"
    message: str = ""
    student_caused: bool = False
    duration_ms: float = 0.0
    line: int | None = None


@dataclass
class CustomResult:
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"verdicts": {k: v.to_dict() for k, v in self.verdicts.items()}, "errors": list(self.errors)}


class _Collector:
    """A pytest plugin that records every test's docstring, points and outcome."""

    def __init__(self, test_file: Path, deadline: float | None = None) -> None:
        self.test_file = test_file
        self.deadline = deadline
        self.tests: dict[str, TestInfo] = {}
        self.collect_errors: list[str] = []

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collect_errors.append(_cut(report.longreprtext))

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            mark = item.get_closest_marker("points")
            value, bad = None, None
            if mark is not None:
                raw = mark.args[0] if mark.args else mark.kwargs.get("n")
                if isinstance(raw, bool) or not isinstance(raw, (int, float)) or raw < 0:
                    bad = f"@pytest.mark.points needs one non-negative number, got {raw!r}"
                else:
                    value = float(raw)
            doc = inspect.getdoc(getattr(item, "obj", None)) or ""
            # "TestUpload::test_x" for tests in classes: unique within the file, like the nodeid.
            self.tests[item.nodeid] = TestInfo(item.nodeid.split("::", 1)[-1], doc, value, bad)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        if self.deadline is not None and time.perf_counter() > self.deadline - 0.5:
            pytest.skip("Not run: the behavior run's time limit ran out before this check.")

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> None:
        info = self.tests.get(item.nodeid)
        if info is None or call.excinfo is None or call.excinfo.errisinstance(pytest.skip.Exception):
            return
        info.student_caused = info.student_caused or call.excinfo.errisinstance(StudentAppError)
        if not info.message:
            info.message = _cut(call.excinfo.exconly())
            for entry in reversed(call.excinfo.traceback):
                if Path(str(entry.path)) == self.test_file:
                    info.line = entry.lineno + 1
                    break

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        info = self.tests.get(report.nodeid)
        if info is None:
            return
        info.duration_ms += round(report.duration * 1000, 2)
        if report.when == "setup":
            if report.skipped:
                info.status = "skipped"
                if isinstance(report.longrepr, tuple) and len(report.longrepr) == 3:
                    info.message = str(report.longrepr[2]).removeprefix("Skipped: ")
            elif report.failed:
                info.status = "failed" if info.student_caused else "error"
                if not info.student_caused:
                    # pytest's own words ("fixture 'x' not found") beat the exception's repr.
                    info.message = _error_lines(report.longreprtext) or info.message
        elif report.when == "call":
            info.status = "passed" if report.passed else "skipped" if report.skipped else "failed"
        elif report.when == "teardown" and report.failed and info.status == "passed":
            info.status = "failed" if info.student_caused else "error"


def _error_lines(text: str) -> str:
    lines = [line[1:].strip() for line in text.splitlines() if line.startswith("E ")]
    return _cut("\n".join(line for line in lines if line))


def _cut(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE_CHARS else text[:MAX_MESSAGE_CHARS] + " [...]"


def _student_message(message: str) -> str:
    """An assertion's own message without pytest's introspection below it, when it has one."""
    lines = message.splitlines()
    if len(lines) > 1 and lines[0].startswith("AssertionError: "):
        head = [lines[0].removeprefix("AssertionError: ")]
        for line in lines[1:]:
            if line.startswith("assert "):
                return "\n".join(head)
            head.append(line)
    return message


def _feedback(info: TestInfo, status: str) -> str:
    """The docstring is the feedback; its first line is already the check's title."""
    doc = info.doc or info.name
    if status == "passed":
        return doc
    more = "\n".join(doc.splitlines()[1:]).strip()
    more = f"{more}\n\n" if more else ""
    if status == "error":
        return (f"{more}This check could not run because of a bug in the rubric's test file, not in "
                f"your code; your instructor has been told.\n{info.message}")
    if status == "skipped":
        return f"{more}Skipped: {info.message}" if info.message else f"{more}Skipped."
    return f"{more}What went wrong: {_student_message(info.message)}" if info.message else doc


def _file_verdict(spec: dict[str, Any], status: str, feedback: str) -> Verdict:
    return Verdict(spec["id"], status, feedback, {"file": spec["name"]}, title=spec.get("title") or spec["id"],
                   points=float(spec["points"]))


def _run_file(session: AppSession, spec: dict[str, Any], result: CustomResult) -> None:
    folder = Path(tempfile.mkdtemp(prefix="grader-custom-"))
    try:
        stem = _SAFE_FILE.sub("_", Path(spec["name"]).stem) or "checks"
        test_file = folder / f"{stem}.py"
        test_file.write_text(spec["source"], encoding="utf-8")
        (folder / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
        collector = _Collector(test_file, session.deadline)
        code = _run_pytest(test_file, folder, collector, session)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    _record(spec, collector, int(code), result)


def _run_pytest(test_file: Path, folder: Path, collector: _Collector, session: AppSession | None) -> int:
    """pytest.main on one file: our ini, no conftest, no autoloaded plugin, no terminal."""
    args = [
        str(test_file), "-c", str(folder / "pytest.ini"), "--rootdir", str(folder),
        "--noconftest", "--import-mode=importlib", "-s",
        "-p", "no:cacheprovider", "-p", "no:faulthandler", "-p", "no:stepwise", "-p", "no:terminal",
    ]
    previous = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    pytest_plugin.activate(session)
    try:
        return int(pytest.main(args, plugins=[pytest_plugin, collector]))
    finally:
        pytest_plugin.activate(None)
        if previous is None:
            os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = previous


def _rubric_error(spec: dict[str, Any], result: CustomResult, why: str, detail: str = "") -> None:
    result.errors.append(f"rubric error in {spec['name']}: {why}")
    result.verdicts[spec["id"]] = _file_verdict(
        spec, "error",
        f"This check could not run because of a bug in the rubric ({spec['name']}), not in your code.\n{why}"
        + (f"\n{detail}" if detail else ""))


def _record(spec: dict[str, Any], collector: _Collector, code: int, result: CustomResult) -> None:
    if collector.collect_errors:
        text = collector.collect_errors[0]
        first = (_error_lines(text) or text).splitlines()[-1]
        _rubric_error(spec, result, f"it could not be collected: {first}", text)
        return
    if not collector.tests:
        why = "it holds no test function (test_*)" if code == pytest.ExitCode.NO_TESTS_COLLECTED else f"pytest exited with code {code}"
        _rubric_error(spec, result, why)
        return
    tests = list(collector.tests.values())
    bad = next((t.bad_mark for t in tests if t.bad_mark), None)
    points = split_points(float(spec["points"]), [t.points_mark for t in tests]) if bad is None else bad
    if isinstance(points, str):
        _rubric_error(spec, result, points)
        return
    for info, value in zip(tests, points):
        status = info.status
        check_id = f"{spec['id']}::{info.name}"
        title = info.doc.splitlines()[0] if info.doc else info.name
        details: dict[str, Any] = {"file": spec["name"], "test": info.name, "duration_ms": info.duration_ms}
        if info.line is not None:
            details["line"] = info.line
        result.verdicts[check_id] = Verdict(check_id, status, _feedback(info, status), details, title=title, points=value)
        if status == "error":
            result.errors.append(f"rubric error in {spec['name']}: {info.name}: {info.message.splitlines()[0] if info.message else 'error'}")


def run_custom_checks(
    app: Any,
    workdir: str | os.PathLike[str],
    upload_path: str | None,
    upload_field: str | None,
    files: list[dict[str, Any]],
    timeout_s: float = 10.0,
    deadline: float | None = None,
) -> CustomResult:
    """Run every rubric pytest file (``files``: see :mod:`grader.behavior.custom.spec`).

    ``deadline`` (a ``time.perf_counter()`` instant): tests not started by then are skipped.
    """
    result = CustomResult()
    if not files:
        return result
    session = AppSession(app, workdir, upload_path, upload_field, timeout_s, deadline)
    try:
        session.start()
    except StudentAppError as exc:
        session.close()
        for spec in files:
            result.verdicts[spec["id"]] = _file_verdict(spec, "failed", f"Not run: {exc}")
        return result
    try:
        for spec in files:
            _run_file(session, spec, result)
    finally:
        session.close()
    return result


def run_from_settings(app: Any, workdir: str | os.PathLike[str], upload_path: str | None,
                      upload_field: str | None, settings: dict[str, Any],
                      deadline: float | None = None) -> dict[str, Any]:
    """The harness's hook: ``settings["pytest_files"]`` in; ``{"verdicts": {id: verdict dict},
    "errors": [sentence]}`` out (plain JSON-able data)."""
    files = list(settings.get("pytest_files") or [])
    timeout = float(settings.get("exchange_timeout") or 10.0)
    return run_custom_checks(app, workdir, upload_path, upload_field, files, timeout, deadline).to_dict()


_WARM_UP_TESTS = '''
import pytest

@pytest.mark.points(1)
def test_passes():
    """passes"""
    assert [1, 2] == [1, 2]

def test_fails():
    assert {"a": 1, "b": "x" * 100} == {"a": 2, "b": "y" * 100}, "differs"

def test_errors(no_such_fixture):
    pass

def test_skips():
    pytest.skip("skipped")
'''


def warm_up() -> None:
    """One throwaway pytest session, run by the fork server before it forks.

    pytest imports most of its plugins and their stdlib helpers lazily (pprint, difflib,
    ...); a child that dropped privileges may no longer read the interpreter's files, so
    everything a custom check needs must already be in memory when it forks.
    """
    folder = Path(tempfile.mkdtemp(prefix="grader-warmup-"))
    try:
        test_file = folder / "test_warmup.py"
        test_file.write_text(_WARM_UP_TESTS, encoding="utf-8")
        (folder / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
        collector = _Collector(test_file)
        _run_pytest(test_file, folder, collector, None)
        if [t.status for t in collector.tests.values()] != ["passed", "failed", "error", "skipped"]:
            raise RuntimeError("custom checks warm-up: unexpected outcomes")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
