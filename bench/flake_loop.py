"""Grade every sample N times under load and report whether any verdict ever changed.

Usage: python bench/flake_loop.py [--runs 20] [--no-burner] [--jobs 2] [--out FILE] [SAMPLE ...]

The copies (``<sample>__<n>``) are graded together in one ``grader batch``, the way a
class is graded: the checks run concurrently with dozens of other submissions on the same
cores, and (unless ``--no-burner``) a burner process keeps one more core busy. For each
sample it prints whether the verdicts, the score and the report status were identical in
every copy, and the spread of the figures the timing-sensitive verdicts rest on (the
event-loop stall the app reports, the parent's probes). Exit status 1 when any sample's
verdicts differ between copies.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from grader.batch.runner import BatchOptions, run_batch  # noqa: E402
from grader.batch.progress import Progress  # noqa: E402
from grader.scoring.rubric import load_rubric  # noqa: E402

SAMPLES = REPO / "sample_submissions"


def _burn(stop_at: float) -> None:
    while time.monotonic() < stop_at:
        pass


class _Quiet(Progress):
    def finished(self, *args: Any, **kwargs: Any) -> None:
        pass


def _figures(report: dict[str, Any]) -> dict[str, float]:
    loop = next((c for c in report["checks"] if c["id"] == "loop-responsive"), None)
    measured = (loop or {}).get("details", {}).get("measured", "")
    figures: dict[str, float] = {}
    if "your app reports:" in measured:
        figures["app_stall_ms"] = float(measured.rsplit("your app reports:", 1)[1].split("ms")[0])
    if "slowest answered in" in measured:
        figures["probe_ms"] = float(measured.split("slowest answered in", 1)[1].split("ms")[0])
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("samples", nargs="*")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--no-burner", action="store_true")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    names = args.samples or sorted(p.name for p in SAMPLES.iterdir() if p.is_dir())
    with tempfile.TemporaryDirectory(prefix="flake-") as tmp:
        klass = Path(tmp) / "class"
        klass.mkdir()
        for name in names:
            for index in range(args.runs):
                shutil.copytree(SAMPLES / name, klass / f"{name}__{index:03d}")
        burner = None
        if not args.no_burner:
            burner = multiprocessing.Process(target=_burn, args=(time.monotonic() + 7200,), daemon=True)
            burner.start()
        started = time.monotonic()
        try:
            run_batch(BatchOptions(klass, Path(tmp) / "out", load_rubric(None), jobs=args.jobs, force=True),
                      progress_factory=lambda total: _Quiet(total))
        finally:
            if burner is not None:
                burner.kill()
        elapsed = time.monotonic() - started
        results = []
        unstable = 0
        for name in names:
            outcomes: Counter[str] = Counter()
            said: dict[str, list[str]] = {}  # a variant's errors, from its first copy
            figures: dict[str, list[float]] = {}
            for index in range(args.runs):
                report = json.loads((Path(tmp) / "out" / f"{name}__{index:03d}.json").read_text(encoding="utf-8"))
                key = json.dumps({"status": report["status"], "score": report["score"],
                                  "checks": {c["id"]: c["status"] for c in report["checks"]}}, sort_keys=True)
                outcomes[key] += 1
                said.setdefault(key, [str(e)[:300] for e in report.get("errors", [])[:3]])
                for figure, value in _figures(report).items():
                    figures.setdefault(figure, []).append(value)
            stable = len(outcomes) == 1
            unstable += not stable
            variants = [{"count": n, **json.loads(k), "errors": said[k]} for k, n in outcomes.most_common()]
            results.append({
                "sample": name, "stable": stable, "runs": args.runs, "score": variants[0]["score"],
                "not_passed": sorted(c for c, s in variants[0]["checks"].items() if s != "passed"),
                "figures": {f: [min(v), max(v)] for f, v in figures.items()},
                **({"variants": variants} if not stable else {}),
            })
            print(f"{'ok  ' if stable else 'FLAKY'} {name:32} {variants[0]['score']:6g} "
                  + " ".join(f"{f}={min(v):.0f}-{max(v):.0f}" for f, v in figures.items()), flush=True)
    summary = {"runs_per_sample": args.runs, "samples": len(names), "unstable": unstable,
               "burner": not args.no_burner, "jobs": args.jobs, "elapsed_s": round(elapsed, 1), "results": results}
    if args.out:
        args.out.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(f"{len(names)} samples x {args.runs} runs in {elapsed:.0f} s: {unstable} unstable")
    return 1 if unstable else 0


if __name__ == "__main__":
    raise SystemExit(main())
