"""The baseline an instructor would write by hand: one ``pytest`` process per submission.

    python bench/naive_baseline.py SUBMISSIONS_DIR [--parallel 2] [--limit N]

For each submission: copy it to a temp dir, drop in one TestClient test that posts a
file to ``/upload`` and checks that a copy with the same bytes was saved, run
``python -m pytest -q`` there (2 at a time), and record pass/fail. It checks one thing
(the upload is saved) and cannot see ordering, blocking or anything else the grader
measures; it is here to be honest about what the grader's speed is compared against.
Prints one JSON line: submissions, seconds, submissions/s, passed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

TEST_FILE = '''
from pathlib import Path

from fastapi.testclient import TestClient

from main import app

PAYLOAD = b"hello from the naive baseline\\n" * 100


def test_upload_is_saved():
    before = {p for p in Path(".").rglob("*") if p.is_file()}
    client = TestClient(app)
    response = client.post("/upload", files={"file": ("data.txt", PAYLOAD, "text/plain")})
    assert response.status_code == 200
    new = [p for p in Path(".").rglob("*") if p.is_file() and p not in before]
    assert any(p.read_bytes() == PAYLOAD for p in new)
'''


def run_one(submission: Path, timeout: float) -> bool:
    with tempfile.TemporaryDirectory(prefix="naive-") as tmp:
        work = Path(tmp) / "work"
        if submission.is_dir():
            shutil.copytree(submission, work)
        else:
            work.mkdir()
            shutil.copy(submission, work / "main.py")
        (work / "test_naive_upload.py").write_text(TEST_FILE)
        try:
            done = subprocess.run(
                [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_naive_upload.py"],
                cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            return False
        return done.returncode == 0


def run_baseline(submissions: list[Path], parallel: int = 2, timeout: float = 60.0) -> dict[str, float]:
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        results = list(pool.map(lambda s: run_one(s, timeout), submissions))
    seconds = time.perf_counter() - started
    return {"submissions": len(submissions), "seconds": round(seconds, 2),
            "per_s": round(len(submissions) / seconds, 3), "passed": sum(results)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submissions", type=Path)
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    entries = sorted(p for p in args.submissions.iterdir() if not p.name.startswith("."))[: args.limit]
    print(json.dumps(run_baseline(entries, args.parallel)))


if __name__ == "__main__":
    main()
