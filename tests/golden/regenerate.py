"""Regenerate the golden expected results: ``python -m tests.golden.regenerate [NAME...]``.

Review the diff before committing: a changed golden is a changed grade.
"""

from __future__ import annotations

import json
import sys

from tests.golden.normalize import GOLDEN, grade_sample, sample_names


def main(names: list[str]) -> None:
    GOLDEN.mkdir(exist_ok=True)
    for stale in GOLDEN.glob("*.json"):
        if not names and stale.stem not in sample_names():
            stale.unlink()
    for name in names or sample_names():
        result = grade_sample(name)
        (GOLDEN / f"{name}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
        print(f"{name}: {result['score']}/{result['max_score']}")


if __name__ == "__main__":
    main(sys.argv[1:])
