"""``isinstance`` for libcst nodes, answered from a per-type table (a pure speed-up).

libcst's node classes are ABCs, so every ``isinstance(node, cst.Call)`` goes through
``ABCMeta.__instancecheck__`` (~0.3 us, about ten times a plain class check); the rules'
node filters make hundreds of thousands per lint. Whether a node is of a kind depends
only on its class, so the answer is kept per (class, kind).
"""

from __future__ import annotations

from typing import Any

_answers: dict[tuple[type, Any], bool] = {}


def is_kind(node: object, kind: type | tuple[type, ...]) -> bool:
    """``isinstance(node, kind)``."""
    key = (type(node), kind)
    answer = _answers.get(key)
    if answer is None:
        answer = _answers[key] = isinstance(node, kind)
    return answer
