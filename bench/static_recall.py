"""Recall and false positives of the static rules over the labelled corpus, per rule.

    python bench/static_recall.py [--json] [--tree DIR]

``--tree DIR`` measures the ``grader`` package of another tree (``git archive <commit>
grader | tar -x -C DIR``) on the same corpus: the "before" figures of a change. (An
editable install's import hook wins over ``PYTHONPATH``, so the option removes it.)

The corpus is ``tests/static_corpus.py``'s ``LABELLED`` cases (read from this checkout,
whatever grader is imported): each line's expected findings are written on it. A finding
counts as found when the code, the file and the line match; every other finding of the
engine is a false positive. Recall = found / expected.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def use_tree(tree: Path) -> None:
    """Import ``grader`` from ``tree`` instead of the installed one."""
    sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in type(f).__module__.lower()
                        and "editable" not in getattr(f, "__name__", "").lower()]
    sys.path.insert(0, str(tree.resolve()))
    for name in [m for m in sys.modules if m == "grader" or m.startswith("grader.")]:
        del sys.modules[name]


def load_corpus():
    spec = importlib.util.spec_from_file_location("static_corpus", ROOT / "tests" / "static_corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def measure() -> dict[str, dict[str, int]]:
    from grader.static.engine import lint_sources

    corpus = load_corpus()
    found: Counter[str] = Counter()
    missed: Counter[str] = Counter()
    extra: Counter[str] = Counter()
    for _, files in corpus.LABELLED:
        result = lint_sources([(path, text.encode()) for path, text in files.items()])
        got = {(f.code, f.path, f.line) for f in result.findings}
        expected = corpus.expected_findings(files)
        for code, _, _ in got & expected:
            found[code] += 1
        for code, _, _ in expected - got:
            missed[code] += 1
        for code, _, _ in got - expected:
            extra[code] += 1
    codes = sorted(set(found) | set(missed) | set(extra))
    return {code: {"found": found[code], "missed": missed[code], "false_positives": extra[code]} for code in codes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON only")
    parser.add_argument("--tree", type=Path, help="measure the grader package found in this folder")
    args = parser.parse_args()
    if args.tree is not None:
        use_tree(args.tree)
    import grader

    print(f"grader from {Path(grader.__file__).parent}", file=sys.stderr, flush=True)
    figures = measure()
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"{'rule':<7} {'expected':>8} {'found':>6} {'recall':>7} {'false +':>8}")
    totals = Counter()
    for code, row in figures.items():
        expected = row["found"] + row["missed"]
        recall = f"{row['found'] / expected:.0%}" if expected else "-"
        print(f"{code:<7} {expected:>8} {row['found']:>6} {recall:>7} {row['false_positives']:>8}")
        totals.update(row)
    expected = totals["found"] + totals["missed"]
    print(f"{'all':<7} {expected:>8} {totals['found']:>6} {totals['found'] / max(expected, 1):>7.0%} {totals['false_positives']:>8}")


if __name__ == "__main__":
    main()
