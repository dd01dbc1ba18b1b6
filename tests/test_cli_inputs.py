"""Empty or wrong inputs are one-line errors (exit 2); a class folder holds only submissions."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

from click.testing import CliRunner

from grader.cli import main
from grader.discovery.classfolder import is_class_folder
from tests.reports.samples import BAD_MAIN, GOOD_MAIN, RUBRIC_TEXT

ROOT = Path(__file__).resolve().parents[1]

NO_TASK = '''from fastapi import FastAPI, UploadFile

app = FastAPI()


@app.post("/upload")
async def upload(file: UploadFile):
    data = await file.read()
    return {"size": len(data)}
'''


def _grader(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True, cwd=cwd)


def _one_line_error(done: subprocess.CompletedProcess[str], text: str) -> None:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().count("\n") == 0 and done.stderr.startswith("grader: error:"), done.stderr
    assert text in done.stderr


def test_batch_and_lint_of_an_empty_folder_are_errors(tmp_path: Path):
    empty = tmp_path / "class"
    empty.mkdir()
    (empty / ".DS_Store").write_bytes(b"\0\0")
    _one_line_error(_grader("batch", str(empty), "--out", str(tmp_path / "out"), "--static-only"), "no submissions")
    assert not (tmp_path / "out" / "summary.json").exists()
    _one_line_error(_grader("lint", str(empty)), "no Python files to lint")


def test_files_that_are_not_submissions_are_skipped_with_a_note(tmp_path: Path):
    classroom = tmp_path / "class"
    (classroom / "alice").mkdir(parents=True)
    (classroom / "alice" / "main.py").write_text(GOOD_MAIN)
    (classroom / "bob.py").write_text(BAD_MAIN)
    for name in ("README.txt", "grades.csv", ".DS_Store", "~$sheet.xlsx"):
        (classroom / name).write_text("x")
    rubric = tmp_path / "rubric.toml"
    rubric.write_text(RUBRIC_TEXT)
    out = classroom / "out"  # inside the class folder: never graded as a student
    out.mkdir()
    (out / "old.txt").write_text("x")
    done = _grader("batch", str(classroom), "--out", str(out), "--rubric", str(rubric), "--static-only")
    assert done.returncode == 0, done.stderr
    assert "skipped 2 entries" in done.stderr and "README.txt, grades.csv" in done.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert [s["student"] for s in summary["students"]] == ["alice", "bob"]
    assert not (out / "README.json").exists() and not (out / "out.json").exists()
    only_readme = tmp_path / "notes"
    only_readme.mkdir()
    (only_readme / "README.txt").write_text("x")
    _one_line_error(_grader("batch", str(only_readme), "--out", str(tmp_path / "o2")), "README.txt")


def test_lint_of_a_class_folder_lints_each_submission_on_its_own(tmp_path: Path):
    classroom = tmp_path / "class"
    for student, source in (("alice", GOOD_MAIN), ("bob", NO_TASK)):
        (classroom / student).mkdir(parents=True)
        (classroom / student / "main.py").write_text(source)
    (classroom / "notes.txt").write_text("x")
    assert is_class_folder(classroom)
    done = _grader("lint", str(classroom))
    # One program would see alice's add_task and hide bob's BG006.
    assert f"{classroom.as_posix()}/bob/main.py:" in done.stdout and "BG006" in done.stdout
    assert "alice" not in done.stdout
    assert "class folder" in done.stderr and "notes.txt" in done.stderr
    findings = json.loads(_grader("lint", str(classroom), "--format", "json").stdout)["findings"]
    assert {f["path"] for f in findings} == {f"{classroom.as_posix()}/bob/main.py"}


def test_a_project_spread_over_folders_is_one_submission_not_a_class():
    assert not is_class_folder(ROOT / "sample_submissions" / "good_router_package")
    assert not is_class_folder(ROOT / "sample_submissions" / "as002_blocking_async_task")
    assert is_class_folder(ROOT / "sample_submissions")


def test_grade_of_a_refused_archive_still_writes_the_error_report(tmp_path: Path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../escape.py", "print(1)")
    report = tmp_path / "r.json"
    done = _grader("grade", str(archive), "--static-only", "--output", str(report))
    _one_line_error(done, "points outside the archive")
    data = json.loads(report.read_text())
    assert data["status"] == "error" and data["submission"] == "evil" and "outside the archive" in data["errors"][0]
    result = CliRunner().invoke(main, ["grade", str(archive), "--static-only"])
    assert result.exit_code == 2
