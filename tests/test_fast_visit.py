"""The read-only traversal (grader/static/fast_visit.py) makes exactly libcst's calls.

For every node of a corpus (samples, rule examples, tricky modules, generated modules),
a visitor recording every callback (``on_visit``, ``on_visit_attribute``,
``on_leave_attribute``, ``on_leave``, with the node and the field) sees the same
sequence through libcst's own ``visit`` and through ours, and ``children`` gives the same
nodes in the same order. Visitors whose class defines no attribute hooks skip those calls
(a no-op for them): that is checked too, with a visitor that has one hook.
"""

from __future__ import annotations

import hypothesmith
import libcst as cst
import pytest
from hypothesis import HealthCheck, assume, given, settings

from grader.static import fast_visit
from grader.static.libcst_fields import schedule_for
from tests.static_corpus import corpus, libcst_parses

fast_visit.install()

_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)


class _Recorder(cst.CSTVisitor):
    """Overrides the generic hooks: gets every call, records each one."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[tuple] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.log.append(("visit", id(node)))
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.log.append(("leave", id(original_node)))

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        self.log.append(("visit_attr", id(node), attribute))

    def on_leave_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        self.log.append(("leave_attr", id(node), attribute))


class _Pruning(cst.CSTVisitor):
    """Typed hooks only (the usual visitor): prunes lambdas, hooks one attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[tuple] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.log.append(("visit", id(node)))
        return super().on_visit(node)

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.log.append(("leave", id(original_node)))
        super().on_leave(original_node)

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_Call_args(self, node: cst.Call) -> None:
        self.log.append(("call_args", id(node)))

    def leave_Call_args(self, node: cst.Call) -> None:
        self.log.append(("left_call_args", id(node)))


class _TypedOnly(cst.CSTVisitor):
    """No generic hook overridden (like libcst's scope visitors): typed methods only."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[tuple] = []

    def visit_Name(self, node: cst.Name) -> None:
        self.log.append(("name", id(node)))

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        self.log.append(("lambda", id(node)))
        return False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.log.append(("def", id(node)))
        return True

    def leave_Call(self, original_node: cst.Call) -> None:
        self.log.append(("left_call", id(original_node)))

    def visit_Call_func(self, node: cst.Call) -> None:
        self.log.append(("call_func", id(node)))


def _walk_all(node: cst.CSTNode) -> list[cst.CSTNode]:
    found, stack = [], [node]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(fast_visit.original_children_of(current))
    return found


def _assert_same_traversal(source: str) -> None:
    module = cst.parse_module(source)
    for visitor_class in (_Recorder, _Pruning, _TypedOnly):
        with fast_visit.libcst_traversal():
            theirs = visitor_class()
            assert module.visit(theirs) is module
        ours = visitor_class()
        assert module.visit(ours) is module
        assert ours.log == theirs.log, visitor_class.__name__
    with fast_visit.libcst_traversal():
        nodes = _walk_all(module)
        expected = [[id(c) for c in n.children] for n in nodes]
    assert [[id(c) for c in n.children] for n in nodes] == expected


@pytest.mark.parametrize(("name", "source"), corpus(), ids=[name for name, _ in corpus()])
def test_same_callbacks_and_children_as_libcst(name: str, source: str) -> None:
    _assert_same_traversal(source)


@_SETTINGS
@given(hypothesmith.from_grammar())
def test_same_callbacks_on_grammar_generated_source(source: str) -> None:
    assume(libcst_parses(source))
    _assert_same_traversal(source)


@_SETTINGS
@given(hypothesmith.from_node())
def test_same_callbacks_on_node_generated_source(source: str) -> None:
    assume(libcst_parses(source))
    _assert_same_traversal(source)


def test_every_node_class_has_a_field_order() -> None:
    """No libcst node class falls back to the slow path (a new libcst shape would show here)."""

    def subclasses(cls: type) -> set[type]:
        found = set()
        for sub in cls.__subclasses__():
            found |= {sub} | subclasses(sub)
        return found

    import inspect

    concrete = [c for c in subclasses(cst.CSTNode) if not inspect.isabstract(c)]
    assert concrete
    assert [c.__name__ for c in concrete if schedule_for(c) is None] == []


def test_transformers_keep_libcsts_path() -> None:
    """A transformer may rebuild the tree: it still gets libcst's own traversal."""

    class Rename(cst.CSTTransformer):
        def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
            return updated_node.with_changes(value=updated_node.value.upper())

    module = cst.parse_module("a = b(c)\n")
    assert module.visit(Rename()).code == "A = B(C)\n"
