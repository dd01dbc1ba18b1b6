"""A small batch with the sandboxed behavior run (helper D's runner) end to end."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from grader.cli import main
from tests.reports.samples import BAD_MAIN, GOOD_MAIN, RUBRIC_TEXT

# saved-file-intact needs upload-accepted (grader/behavior/catalog.py): list it too.
BEHAVIOR_RUBRIC = RUBRIC_TEXT + """
[[checks]]
id = "upload-accepted"
points = 1
"""


def test_behavior_batch_grades_runs_and_isolates_a_broken_app(tmp_path: Path):
    classroom = tmp_path / "class"
    for name, source in {"good": GOOD_MAIN, "bad": BAD_MAIN,
                         "crashes": "raise SystemExit('refusing to start')\n"}.items():
        (classroom / name).mkdir(parents=True)
        (classroom / name / "main.py").write_text(source)
    rubric = tmp_path / "rubric.toml"
    rubric.write_text(BEHAVIOR_RUBRIC)
    out = tmp_path / "out"
    args = ["batch", str(classroom), "--out", str(out), "--rubric", str(rubric), "--jobs", "3"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    reports = {n: json.loads((out / f"{n}.json").read_text()) for n in ("good", "bad", "crashes")}
    status = {n: {c["id"]: c["status"] for c in r["checks"]} for n, r in reports.items()}
    assert status["good"] == {"BG001": "passed", "app-loads": "passed", "saved-file-intact": "passed",
                              "upload-accepted": "passed"}
    assert reports["good"]["score"] == 16
    assert status["bad"]["BG001"] == "failed" and status["bad"]["app-loads"] == "passed"
    assert status["crashes"]["app-loads"] == "failed"
    assert status["crashes"]["saved-file-intact"] == "skipped"  # its prerequisite did not pass
    assert all(r["run"]["content_hash"] for r in reports.values())
    # behavior reports are reused on a rerun like static ones
    again = CliRunner().invoke(main, args)
    assert "Graded 0, reused 3" in again.output
    # a static-only run of the same class is a different grading: it does not reuse them
    static = CliRunner().invoke(main, [*args, "--static-only"])
    assert "Graded 3, reused 0" in static.output
