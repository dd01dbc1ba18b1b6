"""CPython's parser, one thread at a time, whoever calls it.

CPython 3.11 keeps the AST constructor's recursion depth per interpreter, not per
thread: two threads building trees at once can trip ``SystemError: AST constructor
recursion depth mismatch`` (python/cpython#106905). A batch worker lints a dozen
submissions from a dozen threads; it hit this on 2 of 1,000 submissions. The grader's
own parses are not the only ones: ``ast.literal_eval`` (libcst's ``evaluated_value``)
and, on 3.11, ``traceback`` (its caret anchors) call ``ast.parse`` too. So importing
this module makes ``ast.parse`` itself take the lock, in every process that lints.
Parsing is fast (C): the lock costs nothing measurable. It is re-entrant: a finalizer
run by the garbage collector in the middle of a parse may parse again on the same thread.
"""

from __future__ import annotations

import ast
import threading
from typing import Any

_LOCK = threading.RLock()
_parse_unlocked = getattr(ast.parse, "__wrapped__", ast.parse)


def parse(source: str | bytes, *args: Any, **kwargs: Any) -> ast.Module:
    with _LOCK:
        return _parse_unlocked(source, *args, **kwargs)


parse.__wrapped__ = _parse_unlocked  # type: ignore[attr-defined]


def check_syntax(source: str | bytes) -> None:
    """Raise SyntaxError (and the parser's other errors) as ``compile`` would; build no code."""
    with _LOCK:
        compile(source, "<submission>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)


def lock_every_parse() -> None:
    """``ast.parse`` (and so ``ast.literal_eval`` and ``traceback``) through the lock."""
    if ast.parse is not parse:
        ast.parse = parse  # type: ignore[assignment]


lock_every_parse()
