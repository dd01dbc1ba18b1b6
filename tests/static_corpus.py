"""Python sources for the static-speed equivalence tests: every sample submission's
modules, every rule example, and hand-written modules with the constructs scope analysis
treats specially (string annotations, comprehensions, global/nonlocal, class scopes,
lambdas, type parameters, match, walrus, f-string format specs, star imports...)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from grader.static.registry import all_rules

ROOT = Path(__file__).resolve().parents[1]

TRICKY = [
    '''
from __future__ import annotations
import typing, os.path as osp
from typing import TYPE_CHECKING, List, Literal, cast, NewType, TypeVar
from time import sleep as zz
from . import sibling
from ..pkg.mod import *
if TYPE_CHECKING:
    from fastapi import UploadFile
T = TypeVar("T", bound="UploadFile")
UserId = NewType("UserId", "int")
def f(a: "UploadFile", b: List["os.PathLike"] = cast("typing.Any", None), *args: "T", **kw) -> "Literal['x']":
    global counter
    counter = 1
    x = [y for y in range(3) if y for z in [y]]
    g = {k: v for k, v in kw.items()}
    h = (lambda q, r=zz: q + r)(1)
    def inner():
        nonlocal x
        x = zz(1)
        del h2
    class C:
        x = x
        def m(self, x=x):
            return [x for x in self.x]
    if (n := len(x)) > 1:
        pass
    match a:
        case {"k": [1, *rest]} | osp.sep as alias:
            zz(rest)
        case C(x=1):
            pass
    try:
        pass
    except (OSError, ValueError) as exc:
        print(exc)
    with open(a) as (fh):
        fh.read()
    return f"{a!r:>{n}} {b=}"
async def g():
    async for item in aiter():
        await zz(item)
    return [i async for i in aiter()]
''',
    '''
class Outer:
    v = 1
    class Inner:
        v = 2
        def fn(self):
            return v
type Alias[K] = dict[K, "Outer"]
def generic[T: int, *Ts, **P](x: T) -> T:
    return x
class Box[T]:
    item: T
print(*[1], **{})
a = b = c, d = 1, 2
a.b.c = 3
a[0], *rest = range(4)
for i, (j, k) in enumerate([]):
    pass
else:
    i
while (w := 0):
    break
assert i, "msg"
raise ValueError from None
''',
    "x: 'List[int]' = []\ny: \"'nested'\" = 1\nz: 'not valid python (' = 2\n",
    "import a.b.c\nimport a.b.d as e\na.b.c.f()\ne.g()\nfrom a.b import c as d2\nd2.h()\n",
]


def corpus() -> list[tuple[str, str]]:
    """(name, source) pairs."""
    found: list[tuple[str, str]] = []
    for path in sorted((ROOT / "sample_submissions").rglob("*.py")):
        found.append((path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")))
    for code, rule in all_rules().items():
        for kind in ("valid", "invalid"):
            for index, example in enumerate(rule.examples(kind)):
                found.append((f"{code}-{kind}-{index}", "\n" + textwrap.dedent(example.source).lstrip("\n")))
                for name, text in example.files.items():
                    found.append((f"{code}-{kind}-{index}:{name}", textwrap.dedent(text)))
    for index, source in enumerate(TRICKY):
        found.append((f"tricky-{index}", textwrap.dedent(source)))
    return found


def libcst_parses(source: str) -> bool:
    """Generated source libcst rejects is not ours to test (hypothesmith makes some)."""
    import libcst as cst

    try:
        cst.parse_module(source)
    except Exception:  # noqa: BLE001
        return False
    return True
