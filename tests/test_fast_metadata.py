"""The scope analysis the rules use (grader/static/scopes.py) answers exactly like
libcst's ``ScopeProvider`` and ``QualifiedNameProvider`` resolved through
``MetadataWrapper`` with libcst's own traversal (the path the grader used before), and
the start positions of findings (grader/static/positions.py) are ``PositionProvider``'s.

For every node of a corpus (samples, rule examples, tricky modules, generated modules):
the same qualified names (``time.sleep``, ``fastapi.BackgroundTasks``, aliased imports),
and a scope that corresponds one-to-one to libcst's, with the same kind, name and parent,
the same assignments (name, kind, node, order) and the same accesses (node, annotation
and type-hint flags, the assignments they refer to).
"""

from __future__ import annotations

import hypothesmith
import libcst as cst
import pytest
from hypothesis import HealthCheck, assume, given, settings
from libcst.metadata import MetadataWrapper, PositionProvider, QualifiedNameProvider, ScopeProvider
from libcst.metadata.scope_provider import Scope

from grader.static import fast_visit
from grader.static.analysis import ModuleAnalysis
from grader.static.positions import start_positions
from grader.static.scopes import QualifiedNames, resolve_scopes
from tests.static_corpus import corpus, libcst_parses

_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)


def _libcst_answers(module: cst.Module) -> tuple[dict, dict]:
    """libcst's own path: MetadataWrapper, libcst's traversal, both providers."""
    with fast_visit.libcst_traversal():
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        resolved = wrapper.resolve_many([QualifiedNameProvider, ScopeProvider])
        names = {}
        for node, value in resolved[QualifiedNameProvider].items():
            value = value() if callable(value) else value
            names[node] = frozenset(q.name for q in value)
        return names, dict(resolved[ScopeProvider])


def _nodes(module: cst.Module) -> list[cst.CSTNode]:
    found, stack = [], [module]
    while stack:
        node = stack.pop()
        found.append(node)
        stack.extend(node.children)
    return found


def _scope_state(scope: Scope, scope_ids: dict[int, int]) -> tuple:
    """A scope's assignments and accesses, scopes named by their number in ``scope_ids``."""

    def sid(other: Scope) -> int | tuple[str, str]:
        # scopes no node maps to (the builtins) are named by kind: set order must not matter
        return scope_ids.get(id(other), ("unnumbered", type(other).__name__))

    def assignment_key(a) -> tuple:
        return (type(a).__name__, a.name, id(getattr(a, "node", None)), getattr(a, "index", None), sid(a.scope))

    assignments = {
        name: sorted(
            (
                assignment_key(a),
                sorted((id(r.node), r.is_annotation, r.is_type_hint, sid(r.scope)) for r in a.references),
            )
            for a in found
        )
        for name, found in scope._assignments.items()
    }
    accesses = {
        name: sorted(
            (id(a.node), a.is_annotation, a.is_type_hint, sorted(assignment_key(r) for r in a.referents))
            for a in found
        )
        for name, found in scope._accesses_by_name.items()
    }
    parent = None if scope.parent is scope else sid(scope.parent)
    return (type(scope).__name__, getattr(scope, "name", None), parent, assignments, accesses)


def _assert_same_metadata(source: str) -> None:
    module = cst.parse_module(source)
    their_names, their_scopes = _libcst_answers(module)
    our_scopes = resolve_scopes(module)
    our_names = QualifiedNames(our_scopes)
    their_ids: dict[int, int] = {}
    our_ids: dict[int, int] = {}
    for node in _nodes(module):
        assert our_names.names(node) == their_names.get(node, frozenset()), (type(node).__name__, source)
        theirs, ours = their_scopes.get(node), our_scopes.get(node)
        assert (theirs is None) == (ours is None), type(node).__name__
        if theirs is not None:
            # numbered in first-seen order on both sides: a one-to-one correspondence
            assert their_ids.setdefault(id(theirs), len(their_ids)) == our_ids.setdefault(id(ours), len(our_ids))
    # every scope, compared once all are numbered
    by_number_theirs = {n: s for s in set(their_scopes.values()) if s is not None for n in [their_ids.get(id(s))]}
    by_number_ours = {n: s for s in set(our_scopes.values()) if s is not None for n in [our_ids.get(id(s))]}
    assert set(by_number_theirs) == set(by_number_ours)
    for number in sorted(n for n in by_number_theirs if n is not None):
        assert _scope_state(by_number_ours[number], our_ids) == _scope_state(by_number_theirs[number], their_ids)
    _assert_same_starts(module)


def _assert_same_starts(module: cst.Module) -> None:
    with fast_visit.libcst_traversal():
        ranges = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    starts = start_positions(module)
    assert set(starts) == set(ranges)
    for node, code_range in ranges.items():
        assert starts[node] == (code_range.start.line, code_range.start.column), type(node).__name__


@pytest.mark.parametrize(("name", "source"), corpus(), ids=[name for name, _ in corpus()])
def test_same_names_and_scopes_as_libcst_providers(name: str, source: str) -> None:
    _assert_same_metadata(source)


@_SETTINGS
@given(hypothesmith.from_grammar())
def test_same_metadata_on_grammar_generated_source(source: str) -> None:
    assume(libcst_parses(source))
    _assert_same_metadata(source)


@_SETTINGS
@given(hypothesmith.from_node())
def test_same_metadata_on_node_generated_source(source: str) -> None:
    assume(libcst_parses(source))
    _assert_same_metadata(source)


_LINE_BREAKS = [
    "a = 1\r\nb = (\r  2)\r\n",
    "if a:\n\tb = 'x'  # c\n\n\tc = 1\n",
    "s = \"\"\"x\r\ny\ry\"\"\"; t = 2\n",
    "def f(\n    a,\n):\n    return (a\n    + 1)\n",
    "",
]


@pytest.mark.parametrize("source", _LINE_BREAKS, ids=["crlf-and-cr", "tabs", "multiline-string", "continuations", "empty"])
def test_start_positions_with_every_kind_of_line_break(source: str) -> None:
    _assert_same_starts(cst.parse_module(source))


def test_the_names_rules_ask_for() -> None:
    """Spot check of what the rules query: imports, aliases, shadowing, attributes."""
    analysis = ModuleAnalysis.parse(
        "import time as t\nfrom time import sleep as zz\nimport fastapi\nimport shutil\n"
        "def f(sleep):\n    t.sleep(1)\n    zz(1)\n    sleep(1)\n    fastapi.BackgroundTasks()\n"
        "    shutil.copyfileobj(a, b)\n"
    )
    calls = [c for c in analysis.calls_in(analysis.module)]
    assert [sorted(analysis.call_qualified_names(c)) for c in calls] == [
        ["time.sleep"],
        ["time.sleep"],
        ["f.<locals>.sleep"],
        ["fastapi.BackgroundTasks"],
        ["shutil.copyfileobj"],
    ]
