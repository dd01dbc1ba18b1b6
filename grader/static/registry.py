"""Every static rule, found by importing ``grader.static.rules``'s modules."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from grader.static.rule import Rule


@cache
def all_rules() -> dict[str, type[Rule]]:
    """Code -> rule class, sorted by code. Codes are a public contract: never renumber."""
    import grader.static.rules as package

    found: dict[str, type[Rule]] = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Rule) and value is not Rule and value.__module__ == module.__name__:
                if value.code in found:
                    raise RuntimeError(f"duplicate rule code {value.code}")
                found[value.code] = value
    return dict(sorted(found.items()))


def get_rule(code: str) -> type[Rule] | None:
    return all_rules().get(code.upper())
