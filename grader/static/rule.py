"""The static rule contract, after Fixit: one rule per module, with its own examples.

A rule subclasses :class:`Rule`, sets ``code``, ``name``, ``severity`` and ``message``,
documents itself in ruff's style (``## What it does`` / ``## Why is this bad?`` /
``## Example`` / ``## Use instead``) and lists ``VALID`` and ``INVALID`` examples. The
examples run as tests (``tests/test_rule_examples.py``): every VALID must produce no
finding of the rule, every INVALID at least one (on the given line when one is given).
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import ClassVar

import libcst as cst

from grader.model import Finding, Severity
from grader.static.analysis import ModuleAnalysis


@dataclass(frozen=True)
class Example:
    """A rule example. ``source`` is ``main.py``; ``files`` adds other modules."""

    source: str
    line: int | None = None
    files: dict[str, str] = field(default_factory=dict)
    note: str = ""


class Rule(ABC):
    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]
    message: ClassVar[str]
    VALID: ClassVar[list[Example | str]] = []
    INVALID: ClassVar[list[Example | str]] = []

    @abstractmethod
    def check(self, module: ModuleAnalysis) -> Iterator[Finding]:
        """Yield this rule's findings in ``module`` (every concrete rule implements it)."""

    def finding(self, module: ModuleAnalysis, node: cst.CSTNode, message: str | None = None) -> Finding:
        line, column = module.position(node)
        return Finding(
            path=module.path,
            line=line,
            column=column,
            code=self.code,
            severity=self.severity,
            message=message or self.message,
        )

    @classmethod
    def documentation(cls) -> str:
        """The rule's ruff-style explanation (``grader explain CODE``)."""
        doc = inspect.cleandoc(cls.__doc__ or "")
        header = f"{cls.code} ({cls.name}) [{cls.severity.value}]\n\n{cls.message}\n"
        return f"{header}\n{doc}\n"

    @classmethod
    def examples(cls, kind: str) -> list[Example]:
        items = cls.VALID if kind == "valid" else cls.INVALID
        return [e if isinstance(e, Example) else Example(e) for e in items]
