"""Refuse modules too big for libcst's metadata passes before they hang a batch.

libcst's scope and qualified-name metadata cost about a millisecond per small function and
grow faster than linearly: measured on this machine, 1,500 small functions (25,500 syntax
nodes) take 8.5 s to lint, 2,500 (42,500 nodes) 14 s to parse, and a 5 MB module of
120,000 functions took 725 s. A real submission has a few hundred nodes (the bundled
samples: 25 to 270), so the limit below is about 50 times that and costs at most ~5 s. Size in bytes is not the measure: a 5 MB string literal or comment
is a handful of nodes and lints in a fraction of a second.
"""

from __future__ import annotations

import ast
import warnings
from grader.static import python_ast

MAX_SYNTAX_NODES = 15_000
# Below this size a MemoryError from Python's parser means nesting, not a large module.
NESTING_MEMORY_BYTES = 256 << 10


class SourceTooLarge(ValueError):
    """The module has more syntax nodes than static analysis handles in reasonable time."""


class NestedTooDeeply(ValueError):
    """Python's own parser refuses the module's nesting: it cannot run, and libcst's native
    parser must not see it (deep nesting overflows its stack: ``safe_parse``)."""


# Python's own words when nesting, not a mistake in the code, stops it.
_NESTING_ERRORS = ("too many nested parentheses", "too complex", "parser stack overflow")


def check_size(source: bytes | str) -> None:
    """Raise :class:`SourceTooLarge` when ``source`` has more than ``MAX_SYNTAX_NODES`` nodes,
    :class:`NestedTooDeeply` when Python's own parser gives up on its nesting.

    Uses CPython's own parser (fast, C); anything else it rejects is left for libcst to
    report with its own line and column (libcst may also know newer syntax).
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning for "\d" etc. is not ours to print
            tree = python_ast.parse(source)
    except MemoryError as exc:
        # Python's parser reports a parser stack overflow (deep nesting) as MemoryError too;
        # a large module really runs out (a capped child in ``safe_parse``: 6 MB of code
        # builds a 1.3 GB tree)
        if len(source) > NESTING_MEMORY_BYTES:
            raise SourceTooLarge(too_large_message("Python's parser runs out of memory on it")) from exc
        raise NestedTooDeeply("nested too deeply to analyse (Python's own parser gives up on it)") from exc
    except RecursionError as exc:
        raise NestedTooDeeply("nested too deeply to analyse (Python's own parser gives up on it)") from exc
    except SyntaxError as exc:
        reason = str(exc.msg or "")
        if any(words in reason for words in _NESTING_ERRORS):
            where = f"line {exc.lineno}: " if exc.lineno else ""
            raise NestedTooDeeply(f"nested too deeply to analyse ({where}{reason})") from exc
        return
    except (ValueError, OverflowError):
        return
    for count, _ in enumerate(ast.walk(tree), start=1):
        if count > MAX_SYNTAX_NODES:
            raise SourceTooLarge(too_large_message())


def too_large_message(reason: str = f"more than {MAX_SYNTAX_NODES:,} syntax nodes") -> str:
    return (
        f"too large to analyse statically ({reason}; a typical submission has under 1,000 "
        "syntax nodes): static rules skipped for this file"
    )
