"""Run every static rule over a submission: parse each file once, share the analysis."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst

from grader.model import Finding
from grader.static.analysis import ModuleAnalysis, module_name_of
from grader.static import python_ast
from grader.static.project import ProjectIndex
from grader.static.registry import all_rules
from grader.static.rule import Rule
from grader.static.settings import DEFAULT_SETTINGS, StaticSettings
from grader.static.safe_parse import ParserCrashed
from grader.static.size_guard import NestedTooDeeply, SourceTooLarge


@dataclass
class LintResult:
    findings: list[Finding] = field(default_factory=list)
    # Plain-language problems: "main.py line 4, column 9: invalid syntax (...)".
    errors: list[str] = field(default_factory=list)
    modules: list[ModuleAnalysis] = field(default_factory=list)
    # Files refused as too large to analyse: their code went unchecked, so the static
    # checks cannot be passed on their account (padding must not hide an anti-pattern).
    too_large: list[str] = field(default_factory=list)


def _python_syntax_error(source: bytes) -> SyntaxError | None:
    """CPython's own diagnosis: its line, column and wording beat libcst's for students."""
    try:
        python_ast.check_syntax(source)
    except SyntaxError as exc:
        return exc
    except (ValueError, UnicodeDecodeError, RecursionError, MemoryError):
        return None
    return None


def _not_text(source: bytes) -> bool:
    """Binary data, not source: a NUL byte (never valid in Python source), or over 5 % control bytes."""
    head = source[:4096]
    controls = sum(1 for byte in head if byte < 32 and byte not in (9, 10, 12, 13))
    return b"\0" in source or controls > len(head) // 20


def describe_syntax_error(path: str, exc: Exception, source: bytes | None = None) -> str:
    if source is not None and _not_text(source):
        return f"{path}: not Python source: the file holds binary data, not text"
    if isinstance(exc, SyntaxError) and "encoding declaration" in str(exc):
        return f"{path}: not UTF-8 text: save it as UTF-8, or declare its encoding on line 1 (# -*- coding: latin-1 -*-)"
    python_error = _python_syntax_error(source) if source is not None and isinstance(exc, cst.ParserSyntaxError) else None
    if python_error is not None and python_error.lineno:
        column = python_error.offset or 1
        return f"{path} line {python_error.lineno}, column {column}: syntax error: {python_error.msg}"
    if isinstance(exc, cst.ParserSyntaxError):
        first = str(exc.message).splitlines()[0] if exc.message else "invalid syntax"
        return f"{path} line {exc.raw_line}, column {exc.raw_column + 1}: syntax error: {first}"
    if isinstance(exc, UnicodeDecodeError):
        return f"{path}: cannot be decoded ({exc.encoding}: {exc.reason} at byte {exc.start}); save it as UTF-8"
    if isinstance(exc, LookupError):
        return f"{path}: unknown source encoding ({exc})"
    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return f"{path}: cannot be parsed: {first}"


@dataclass
class ParseOutcome:
    """One file's parse: the analysis, or the plain-language reason there is none."""

    analysis: ModuleAnalysis | None
    error: str | None = None
    too_large: bool = False


def parse_one(path: str, data: bytes, project: ProjectIndex | None) -> ParseOutcome:
    try:
        return ParseOutcome(ModuleAnalysis.parse(data, path=path, project=project))
    except SourceTooLarge as exc:
        return ParseOutcome(None, describe_syntax_error(path, exc, data), too_large=True)
    except NestedTooDeeply as exc:
        return ParseOutcome(None, f"{path}: {exc}")
    except ParserCrashed as exc:
        return ParseOutcome(None, f"{path}: nested too deeply to analyse ({exc})")
    except (cst.ParserSyntaxError, UnicodeDecodeError, LookupError, SyntaxError, ValueError) as exc:
        return ParseOutcome(None, describe_syntax_error(path, exc, data))
    except RecursionError:
        return ParseOutcome(None, f"{path}: nested too deeply to analyse")


def record_parse(result: LintResult, path: str, outcome: ParseOutcome) -> None:
    if outcome.error is not None:
        result.errors.append(outcome.error)
    if outcome.too_large:
        result.too_large.append(path)
    if outcome.analysis is not None:
        result.modules.append(outcome.analysis)


def parse_sources(sources: Iterable[tuple[str, bytes]], settings: StaticSettings = DEFAULT_SETTINGS) -> LintResult:
    """Parse ``(relative path, bytes)`` pairs into one project index."""
    result = LintResult()
    project = ProjectIndex(settings)
    for path, data in sources:
        project.module_names.add(module_name_of(path))
        outcome = parse_one(path, data, project)
        if outcome.analysis is not None:
            project.add(outcome.analysis)
        record_parse(result, path, outcome)
    return result


def check_module(analysis: ModuleAnalysis, instances: Iterable[Rule], findings: set[Finding], errors: list[str]) -> None:
    """Every rule over one module (a rule too deep for Python's stack is skipped, said so)."""
    for rule in instances:
        try:
            findings.update(rule.check(analysis))
        except RecursionError:
            errors.append(f"{analysis.path}: {rule.code} skipped: code nested too deeply")


def rule_instances(rules: Iterable[type[Rule]] | None = None) -> list[Rule]:
    return [r() for r in (rules if rules is not None else all_rules().values())]


def run_rules(result: LintResult, rules: Iterable[type[Rule]] | None = None) -> LintResult:
    instances = rule_instances(rules)
    findings: set[Finding] = set()
    for analysis in result.modules:
        check_module(analysis, instances, findings, result.errors)
    result.findings = sorted(findings)
    return result


def lint_sources(
    sources: Iterable[tuple[str, bytes]],
    rules: Iterable[type[Rule]] | None = None,
    settings: StaticSettings = DEFAULT_SETTINGS,
) -> LintResult:
    return run_rules(parse_sources(sources, settings), rules)


def lint_paths(
    root: Path,
    files: Iterable[Path],
    rules: Iterable[type[Rule]] | None = None,
    *,
    jobs: int = 1,
    settings: StaticSettings = DEFAULT_SETTINGS,
) -> LintResult:
    """Lint files under ``root``. ``jobs`` > 1 (0: one per CPU) lints many files in worker
    processes, same result; ``LintResult.modules`` is then left empty (the analyses stay
    in the workers). ``settings``: the rubric's options (``StaticSettings``)."""
    sources = []
    errors = []
    for path in files:
        rel = path.relative_to(root).as_posix()
        try:
            sources.append((rel, path.read_bytes()))
        except OSError as exc:
            errors.append(f"{rel}: cannot be read ({exc.strerror})")
    from grader.static.parallel import lint_in_parallel, worker_count

    workers = worker_count(len(sources), jobs)
    if workers > 1:
        result = lint_in_parallel(sources, rules, workers, settings)
    else:
        result = lint_sources(sources, rules, settings)
    result.errors[:0] = errors
    return result
