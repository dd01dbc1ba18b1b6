"""`grader batch`: every output file, error isolation, resume, --force, extra formats."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from grader.batch.runner import BatchOptions, run_batch
from grader.batch.summary import summary_schema
from grader.cli import main
from grader.reports.json_report import schema as report_schema
from tests.batch.classroom import make_class, make_mixed_class, snapshot
from tests.reports.samples import BAD_MAIN, RUBRIC_TEXT, test_rubric


def _batch(tmp_path: Path, classroom: Path, out: Path, *extra: str):
    rubric = tmp_path / "rubric.toml"
    rubric.write_text(RUBRIC_TEXT)
    result = CliRunner().invoke(main, ["batch", str(classroom), "--out", str(out), "--rubric", str(rubric),
                                       "--static-only", "--jobs", "2", *extra])
    assert result.exit_code == 0, result.output
    return result


def test_mixed_class_writes_every_report_summary_and_gradebook(tmp_path: Path):
    classroom, out = make_mixed_class(tmp_path / "class"), tmp_path / "out"
    result = _batch(tmp_path, classroom, out)
    students = ["=cmd", "alice", "bob", "carol", "dave", "erin", "frank", "summary"]
    for student in students:
        stem = "summary.student" if student == "summary" else student
        report = json.loads((out / f"{stem}.json").read_text())
        jsonschema.validate(report, report_schema())
        assert report["submission"] == student
        assert len(report["run"]["content_hash"]) == 64
    assert not (out / ".DS_Store.json").exists() and not (out / ".git.json").exists()

    summary = json.loads((out / "summary.json").read_text())
    jsonschema.validate(summary, summary_schema())
    by_student = {s["student"]: s for s in summary["students"]}
    assert sorted(by_student) == students
    assert by_student["alice"]["score"] == 10 and by_student["bob"]["score"] == 0
    assert by_student["dave"]["checks"]["BG001"]["status"] == "failed"  # zip graded from its folder
    assert by_student["erin"]["status"] == "error" and "zip" in by_student["erin"]["errors"][0]
    # Nothing to grade is graded, with nothing to score (the scoring's rule since schema 1.1).
    assert by_student["frank"]["status"] == "graded" and by_student["frank"]["score"] == 0
    assert by_student["frank"]["checks"]["BG001"]["status"] == "error"
    assert by_student["summary"]["report"] == "summary.student.json"
    stats = summary["stats"]
    assert (stats["students"], stats["graded"], stats["errors"]) == (8, 7, 1)
    assert stats["mean"] == pytest.approx(40 / 8) and stats["median"] == 5
    bg001 = next(c for c in stats["checks"] if c["id"] == "BG001")
    assert (bg001["passed"], bg001["failed"], bg001["error"], bg001["evaluated"]) == (4, 2, 2, 6)
    assert bg001["pass_rate"] == pytest.approx(4 / 6, abs=1e-4)  # the two it could not check are not failures
    assert stats["most_failed"] == ["BG001"]

    rows = list(csv.DictReader(io.StringIO((out / "grades.csv").read_text())))
    assert [r["student"] for r in rows] == ["'=cmd", "alice", "bob", "carol", "dave", "erin", "frank", "summary"]
    assert list(rows[0]) == ["student", "status", "BG001", "app-loads", "saved-file-intact", "total", "max_score"]
    assert {r["student"]: float(r["total"]) for r in rows}["alice"] == 10.0
    assert all(float(r["BG001"]) + float(r["app-loads"]) + float(r["saved-file-intact"]) == float(r["total"])
               for r in rows)

    assert "8 submissions: 7 graded, 1 could not be graded." in result.output
    assert "BG001" in result.output.split("Checks most students failed")[1]


def test_rerun_skips_unchanged_regrades_changed_and_force_regrades_all(tmp_path: Path):
    classroom, out = make_class(tmp_path / "class", 6), tmp_path / "out"
    _batch(tmp_path, classroom, out)
    before = snapshot(out)
    second = _batch(tmp_path, classroom, out)
    assert "Graded 0, reused 6" in second.output
    assert snapshot(out) == before

    (classroom / "student002" / "main.py").write_text(BAD_MAIN)
    third = _batch(tmp_path, classroom, out)
    assert "Graded 1, reused 5" in third.output
    after = snapshot(out)
    assert after["student002.json"] != before["student002.json"]
    assert all(after[n] == before[n] for n in before if n.startswith("student") and n != "student002.json")

    forced = _batch(tmp_path, classroom, out, "--force")
    assert "Graded 6, reused 0" in forced.output


def test_a_changed_rubric_or_behavior_mode_invalidates_the_stored_reports(tmp_path: Path):
    classroom, out = make_class(tmp_path / "class", 3), tmp_path / "out"
    rubric = test_rubric(tmp_path)
    run_batch(BatchOptions(classroom, out, rubric, jobs=1, run_behavior=False, executor="thread"))
    changed = rubric.__class__(**{**rubric.__dict__, "text": rubric.text + "\n# tweak\n"})
    again = run_batch(BatchOptions(classroom, out, changed, jobs=1, run_behavior=False, executor="thread"))
    assert (again.graded, again.skipped) == (3, 0)
    same = run_batch(BatchOptions(classroom, out, changed, jobs=1, run_behavior=False, executor="thread"))
    assert (same.graded, same.skipped) == (0, 3)


def test_extra_formats_are_written_and_filled_in_for_reused_reports(tmp_path: Path):
    classroom, out = make_class(tmp_path / "class", 3), tmp_path / "out"
    _batch(tmp_path, classroom, out, "--format", "junit")
    assert (out / "student001.junit.xml").exists() and not (out / "student001.sarif").exists()
    result = _batch(tmp_path, classroom, out, "--format", "junit,sarif", "--format", "gradescope")
    assert "Graded 0, reused 3" in result.output
    for i in range(3):
        ET.parse(out / f"student{i:03d}.junit.xml")
        assert json.loads((out / f"student{i:03d}.sarif").read_text())["version"] == "2.1.0"
        assert "tests" in json.loads((out / f"student{i:03d}.gradescope.json").read_text())


def test_usage_errors_exit_2(tmp_path: Path):
    runner = CliRunner()
    missing = runner.invoke(main, ["batch", str(tmp_path / "nope"), "--out", str(tmp_path / "o")])
    assert missing.exit_code == 2
    (tmp_path / "c").mkdir()
    bad_shard = runner.invoke(main, ["batch", str(tmp_path / "c"), "--out", str(tmp_path / "o"), "--shard", "3/2"])
    assert bad_shard.exit_code == 2 and "K must be between 1 and N" in bad_shard.output
    bad_jobs = runner.invoke(main, ["batch", str(tmp_path / "c"), "--out", str(tmp_path / "o"), "--jobs", "0"])
    assert bad_jobs.exit_code == 2
    bad_per_job = runner.invoke(main, ["batch", str(tmp_path / "c"), "--out", str(tmp_path / "o"), "--per-job", "0"])
    assert bad_per_job.exit_code == 2


def test_per_job_sets_the_submissions_each_worker_grades_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import grader.batch.runner as runner_module

    seen: list[int] = []

    def capture(options: runner_module.BatchOptions, **_progress: object) -> None:
        seen.append(options.threads_per_worker())
        raise SystemExit(0)

    monkeypatch.setattr(runner_module, "run_batch", capture)
    (tmp_path / "c").mkdir()
    for extra, expected in (([], runner_module.BEHAVIOR_THREADS_PER_WORKER), (["--per-job", "3"], 3)):
        CliRunner().invoke(main, ["batch", str(tmp_path / "c"), "--out", str(tmp_path / "o"), *extra])
        assert seen.pop() == expected


def test_the_server_mode_is_part_of_the_content_hash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from grader.batch.entries import content_hash

    classroom = make_class(tmp_path / "class", 1)
    rubric = test_rubric(tmp_path)
    entry = classroom / "student000"
    monkeypatch.delenv("GRADER_SERVER", raising=False)
    inprocess = content_hash(entry, rubric, run_behavior=True)
    static = content_hash(entry, rubric, run_behavior=False)
    assert static != inprocess
    monkeypatch.setenv("GRADER_SERVER", "uvicorn")
    assert content_hash(entry, rubric, run_behavior=True) != inprocess
    # static-only grading does not depend on how the app would have been served
    assert content_hash(entry, rubric, run_behavior=False) == static
