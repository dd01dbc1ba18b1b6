"""CPython's own parser, one thread at a time.

CPython 3.11 keeps the AST constructor's recursion depth per interpreter, not per
thread: two threads building trees at once can trip ``SystemError: AST constructor
recursion depth mismatch`` (python/cpython#106905). A batch worker lints a dozen
submissions from a dozen threads; it hit this on 2 of 1,000 submissions. Parsing is
fast (C), so a lock costs nothing measurable.
"""

from __future__ import annotations

import ast
import threading
from typing import Any

_LOCK = threading.Lock()


def parse(source: str | bytes, **kwargs: Any) -> ast.Module:
    with _LOCK:
        return ast.parse(source, **kwargs)


def check_syntax(source: str | bytes) -> None:
    """Raise SyntaxError (and the parser's other errors) as ``compile`` would; build no code."""
    with _LOCK:
        compile(source, "<submission>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
