"""The CLI's foundation contract: lint output and exit codes, explain, rules, clear errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
from click.testing import CliRunner

from grader.cli import main
from grader.reports.json_report import schema
from grader.static.registry import all_rules

SEED_Q4 = '''from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

def process_file(file: UploadFile):
    content = file.file.read()
    with open(f"processed_{file.filename}", "wb") as f:
        f.write(content)

@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    background_tasks.add_task(process_file, file.file.read())
    return {"message": "Processing started"}
'''


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_lint_reports_bg001_at_the_add_task_line_and_exits_1(tmp_path: Path):
    (tmp_path / "main.py").write_text(SEED_Q4)
    result = run("lint", str(tmp_path))
    assert result.exit_code == 1
    assert f"{tmp_path.as_posix()}/main.py:11:5: BG001" in result.output


def test_lint_json_format(tmp_path: Path):
    (tmp_path / "main.py").write_text(SEED_Q4)
    result = run("lint", str(tmp_path), "--format", "json")
    data = json.loads(result.output)
    assert {"code": "BG001", "line": 11, "column": 5}.items() <= data["findings"][0].items() or any(
        f["code"] == "BG001" and f["line"] == 11 for f in data["findings"]
    )


def test_lint_clean_exits_0(tmp_path: Path):
    (tmp_path / "main.py").write_text("x = 1\n")
    result = run("lint", str(tmp_path))
    assert result.exit_code == 0


def test_explain_every_rule_and_unknown_code():
    for code in all_rules():
        result = run("explain", code.lower())
        assert result.exit_code == 0
        assert "## What it does" in result.output and "## Use instead" in result.output
    result = run("explain", "XX999")
    assert result.exit_code == 2
    assert "unknown rule code" in result.output


def test_rules_lists_every_code():
    result = run("rules")
    for code in all_rules():
        assert code in result.output


def test_grade_static_only_json_validates_against_schema(tmp_path: Path):
    (tmp_path / "main.py").write_text(SEED_Q4)
    result = run("grade", str(tmp_path), "--static-only", "--format", "json")
    report = json.loads(result.output)
    jsonschema.validate(report, schema())
    assert report["status"] == "graded"
    bg001 = next(c for c in report["checks"] if c["id"] == "BG001")
    assert bg001["status"] == "failed" and bg001["score"] == 0


def test_single_py_file_and_syntax_error_and_empty_folder(tmp_path: Path):
    single = tmp_path / "solo.py"
    single.write_text(SEED_Q4)
    report = json.loads(run("grade", str(single), "--static-only", "--format", "json").output)
    assert report["submission"] == "solo" and any(f["code"] == "BG001" for f in report["findings"])

    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "main.py").write_text("def f(:\n    pass\n")
    report = json.loads(run("grade", str(broken), "--static-only", "--format", "json").output)
    jsonschema.validate(report, schema())
    assert any("main.py line 1" in e and "syntax error" in e for e in report["errors"])

    empty = tmp_path / "empty"
    empty.mkdir()
    report = json.loads(run("grade", str(empty), "--static-only", "--format", "json").output)
    jsonschema.validate(report, schema())
    assert report["status"] == "graded" and report["score"] == 0 and "no Python file" in report["errors"][0]


def test_latin1_source_with_coding_declaration_is_graded(tmp_path: Path):
    source = "# -*- coding: latin-1 -*-\n" + SEED_Q4.replace("Processing started", "Traitement lancé")
    (tmp_path / "main.py").write_bytes(source.encode("latin-1"))
    result = run("lint", str(tmp_path), "--format", "json")
    assert any(f["code"] == "BG001" and f["line"] == 12 for f in json.loads(result.output)["findings"])


def test_bad_inputs_are_one_line_errors_without_traceback(tmp_path: Path):
    bad_rubric = tmp_path / "bad.toml"
    bad_rubric.write_text("title = \n")
    cases = [
        ["grade", str(tmp_path / "missing")],
        ["lint", str(tmp_path / "missing")],
        ["grade", str(tmp_path), "--rubric", str(bad_rubric)],
        ["grade", str(tmp_path), "--rubric", "no-such-rubric"],
    ]
    for args in cases:
        proc = subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True)
        assert proc.returncode == 2, (args, proc.stderr)
        assert "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert proc.stderr.startswith("grader: error:")


def test_a_file_too_large_to_analyse_fails_no_rule_silently(tmp_path: Path, monkeypatch):
    """Padding a module past the size guard must not pass the static checks unseen."""
    from grader.pipeline import grade_path
    from grader.scoring.rubric import load_rubric
    from grader.static import size_guard

    monkeypatch.setattr(size_guard, "MAX_SYNTAX_NODES", 50)
    (tmp_path / "main.py").write_text(SEED_Q4)
    report = grade_path(tmp_path, load_rubric(None), run_behavior=False)
    jsonschema.validate(report.to_dict(), schema())
    scored = [c for c in report.checks if c.kind == "static" and c.max_score > 0]
    assert scored and all(c.status == "error" and c.score == 0 for c in scored)
    assert "too large to analyse" in scored[0].feedback and "main.py" in scored[0].feedback
    assert any("too large to analyse" in e for e in report.errors)


def test_explain_covers_every_behavior_check_and_picks_up_why_and_fix(monkeypatch):
    from dataclasses import dataclass

    from grader.behavior import catalog

    for check_id, spec in catalog.all_checks().items():
        result = run("explain", check_id)
        assert result.exit_code == 0 and spec.title in result.output and spec.description in result.output

    @dataclass(frozen=True)
    class RicherSpec:  # the catalog may grow optional fields: explain shows them when present
        id: str
        title: str
        description: str
        requires: tuple[str, ...] = ()
        why: str = "Because the client must not wait."
        fix: str = "Schedule the processing with add_task."

    monkeypatch.setattr(catalog, "CHECKS", {"task-scheduled": RicherSpec("task-scheduled", "T", "D", ("a",))})
    output = run("explain", "task-scheduled").output
    assert "## Why it matters\nBecause the client must not wait." in output
    assert "## How to fix it\nSchedule the processing with add_task." in output
    assert "## Runs after\na: this check is skipped unless it passes." in output
