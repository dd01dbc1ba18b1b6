"""The check functions match the public catalog: ids, docstrings, prerequisites."""

from __future__ import annotations

import inspect

from grader.behavior.catalog import CHECKS
from grader.behavior.checks import core as checks  # noqa: F401  (registers every check)
from grader.behavior.checks.context import REGISTRY, REQUIRES
from grader.behavior.observed_run import RUN_ORDER


def test_every_catalog_check_has_one_function() -> None:
    assert set(REGISTRY) == set(CHECKS)


def test_docstrings_are_the_catalog_descriptions() -> None:
    for check_id, fn in REGISTRY.items():
        assert inspect.getdoc(fn) == CHECKS[check_id].description, check_id


def test_prerequisites_are_the_catalog_ones() -> None:
    for check_id in REGISTRY:
        assert REQUIRES[check_id] == CHECKS[check_id].requires, check_id


def test_run_order_runs_prerequisites_first() -> None:
    assert sorted(RUN_ORDER) == sorted(CHECKS)
    for index, check_id in enumerate(RUN_ORDER):
        for requirement in CHECKS[check_id].requires:
            assert RUN_ORDER.index(requirement) < index, (check_id, requirement)
