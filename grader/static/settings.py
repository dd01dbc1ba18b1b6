"""What a rubric may tell the static analysis: today, extra blocking calls.

A rubric lists calls of a course's own library that block, so AS001 and AS002 report them
like ``time.sleep``::

    [static]
    blocking_calls = ["mylib.slow_fn", "mylib.Client.fetch"]

Each entry is a dotted qualified name, as the code imports it: a function
(``mylib.slow_fn``: ``from mylib import slow_fn; slow_fn()`` counts), or a method of a
class (``mylib.Client.fetch``: ``client = mylib.Client(); client.fetch()`` counts, one step
of dataflow, as for ``httpx.Client``). The rubric loader calls
:func:`parse_blocking_calls` on the value (a one-line ``ValueError`` for a bad entry), and
grading passes the rubric's table on:
``lint_paths(root, files, settings=StaticSettings.from_rubric_table(rubric.static))``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from grader.static.blocking_table import BLOCKING, TABLE, BlockingEntry

_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+")
RUBRIC_KEY = "[static] blocking_calls"
_RUBRIC_INSTEAD = "an async equivalent (awaited), or a plain def task/endpoint"


def parse_blocking_calls(value: object) -> tuple[str, ...]:
    """Validate a rubric's ``blocking_calls`` value: a list of dotted names.

    Raises ``ValueError`` with a one-line message naming the bad entry.
    """
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"{RUBRIC_KEY} must be a list of dotted names, e.g. [\"mylib.slow_fn\"]")
    names: list[str] = []
    for entry in value:
        if not isinstance(entry, str) or not _DOTTED.fullmatch(entry):
            raise ValueError(
                f"{RUBRIC_KEY}: {entry!r} is not a dotted name such as \"mylib.slow_fn\" or \"mylib.Client.fetch\""
            )
        if entry not in names:
            names.append(entry)
    return tuple(names)


@dataclass(frozen=True)
class StaticSettings:
    """Options of one lint. ``blocking_calls``: extra qualified names (see module doc)."""

    blocking_calls: tuple[str, ...] = ()

    @classmethod
    def from_rubric_table(cls, table: Mapping[str, object] | None) -> StaticSettings:
        """Settings from a rubric's ``[static]`` table (``{}`` or ``None``: the defaults).
        Raises ``ValueError`` (one line) on a bad ``blocking_calls``."""
        if not table:
            return DEFAULT_SETTINGS
        return cls(blocking_calls=parse_blocking_calls(table.get("blocking_calls", [])))

    @cached_property
    def blocking_entries(self) -> dict[str, BlockingEntry]:
        """Qualified name -> entry: the built-in table plus the rubric's calls."""
        entries = {entry.name: entry for entry in TABLE}
        for name in self.blocking_calls:
            entries.setdefault(name, BlockingEntry(name, BLOCKING, _RUBRIC_INSTEAD, "rubric"))
            owner, _, method = name.rpartition(".")
            # ``mylib.Client.fetch``: ``mylib.Client(...)`` builds objects whose ``fetch`` blocks
            current = entries.get(owner)
            if current is None:
                entries[owner] = BlockingEntry(owner, BLOCKING, _RUBRIC_INSTEAD, "rubric", frozenset({method}),
                                               call_blocks=False)
            elif method not in current.methods:
                entries[owner] = BlockingEntry(current.name, current.kind, current.instead, current.group,
                                               current.methods | {method}, current.call_blocks)
        return entries

    @cached_property
    def factories(self) -> frozenset[str]:
        return frozenset(name for name, entry in self.blocking_entries.items() if entry.methods)


DEFAULT_SETTINGS = StaticSettings()

