"""The behavioral checks (check50 style): one small function per catalog id."""

from grader.behavior.checks import core, robustness  # noqa: F401  (registers every check)
