"""The rubric's pytest files, packed for the sandboxed child (trusted parent side).

The parent reads each file itself and passes its text in the job settings: the child may
run as another user, in a private /tmp, and must not need to reach the rubric's folder.
Import-light on purpose: the parent never imports pytest for this.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from typing import TYPE_CHECKING, Any

from grader.errors import RubricError
from grader.static import python_ast

if TYPE_CHECKING:
    from grader.scoring.rubric import Rubric

MAX_SOURCE_BYTES = 512 * 1024


def pytest_files(rubric: Rubric) -> list[dict[str, Any]]:
    """``settings["pytest_files"]``: one entry per ``kind = "pytest"`` rubric check."""
    files: list[dict[str, Any]] = []
    base = rubric.source.parent if rubric.source else None
    for check in rubric.checks:
        if check.kind != "pytest" or check.path is None:
            continue
        try:
            data = check.path.read_bytes()
        except OSError as exc:
            raise RubricError(f"rubric {rubric.name}: check {check.id}: cannot read {check.path} ({exc.strerror}).") from None
        if len(data) > MAX_SOURCE_BYTES:
            raise RubricError(f"rubric {rubric.name}: check {check.id}: {check.path.name} is larger than 512 KiB.")
        try:
            source = data.decode("utf-8")
        except UnicodeDecodeError:
            raise RubricError(f"rubric {rubric.name}: check {check.id}: {check.path.name} is not UTF-8 text.") from None
        try:
            name = check.path.relative_to(base.resolve()).as_posix() if base else check.path.name
        except ValueError:
            name = check.path.name
        files.append({"id": check.id, "name": name, "source": source, "points": check.points, "title": check.title})
    return files


# ---- the tests a file holds, read by the parent (the child only reports their outcomes) ----


@dataclass(frozen=True)
class ExpectedTest:
    name: str  # "test_x" or "TestClass::test_x": pytest's node id within the file
    points_mark: float | None
    doc: str
    line: int


def _points_mark(node: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[float | None, str | None]:
    for decorator in node.decorator_list:
        if not isinstance(decorator, ast.Call):
            continue
        target = decorator.func
        if isinstance(target, ast.Attribute) and target.attr == "points":
            args = decorator.args or [k.value for k in decorator.keywords if k.arg == "n"]
            value = args[0] if args else None
            if (isinstance(value, ast.Constant) and isinstance(value.value, (int, float))
                    and not isinstance(value.value, bool) and value.value >= 0):
                return float(value.value), None
            return None, "@pytest.mark.points needs one non-negative number literal"
    return None, None


def expected_tests(source: str, filename: str) -> list[ExpectedTest]:
    """The test functions of an instructor's file and their points marks, read with ``ast``.

    Raises RubricError for a file that does not parse or has a bad points mark."""
    try:
        tree = python_ast.parse(source, filename=filename)
    except SyntaxError as exc:
        raise RubricError(f"rubric test file {filename}: syntax error at line {exc.lineno}: {exc.msg}.") from None
    found: list[ExpectedTest] = []

    def add(node: ast.FunctionDef | ast.AsyncFunctionDef, prefix: str) -> None:
        mark, bad = _points_mark(node)
        if bad is not None:
            raise RubricError(f"rubric test file {filename}: {prefix}{node.name}: {bad}.")
        found.append(ExpectedTest(prefix + node.name, mark, ast.get_docstring(node) or "", node.lineno))

    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
            add(node, "")
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name.startswith("test"):
                    add(item, f"{node.name}::")
    return found


def split_points(total: float, marks: list[float | None]) -> list[float] | str:
    """Each test's points, or why the marks do not fit the rubric's total."""
    marked = sum(m for m in marks if m is not None)
    unmarked = [i for i, m in enumerate(marks) if m is None]
    if marked > total + 1e-9:
        return f"the tests' @pytest.mark.points add up to {marked:g}, more than the rubric's {total:g}"
    if not unmarked and abs(marked - total) > 1e-9:
        return f"the tests' @pytest.mark.points add up to {marked:g}, but the rubric gives the file {total:g}"
    points = [m if m is not None else 0.0 for m in marks]
    if unmarked:
        share = round((total - marked) / len(unmarked), 4)
        for i in unmarked:
            points[i] = share
        # The rounding remainder goes to the last unmarked test, so the file adds up exactly.
        points[unmarked[-1]] = round(total - marked - share * (len(unmarked) - 1), 4)
    return points
