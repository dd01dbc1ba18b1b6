"""Strings that came from the student's process (or its files), made safe to keep.

A route, a file name, an error message or captured output can hold lone surrogates,
control characters, megabytes of text or bytes that are not UTF-8. Every writer of the
grader (JSON, HTML, XML, CSV, a terminal) receives them only through :func:`clean_text`.
"""

from __future__ import annotations

import re
from typing import Any

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: Any, limit: int = 2000) -> str:
    """``value`` as printable text: surrogates and undecodable bytes replaced, control
    characters shown as U+FFFD, at most ``limit`` characters (an ellipsis marks a cut)."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        text = value.decode("utf-8", "replace")
    elif isinstance(value, str):
        text = value
    else:
        text = str(value)
    if len(text) > limit:
        text = text[:limit] + "..."
    text = text.encode("utf-8", "replace").decode("utf-8", "replace")
    return _CONTROL.sub("\ufffd", text)


def clean_data(value: Any, limit: int = 2000, depth: int = 0) -> Any:
    """JSON-like data from the child with every string cleaned and nesting bounded."""
    if depth > 20:
        return None
    if isinstance(value, dict):
        return {clean_text(k, 200): clean_data(v, limit, depth + 1) for k, v in list(value.items())[:200]}
    if isinstance(value, (list, tuple)):
        return [clean_data(v, limit, depth + 1) for v in list(value)[:500]]
    if isinstance(value, (bool, int, float)) or value is None:
        return value
    return clean_text(value, limit)
