"""Custom pytest checks: fixtures, points, and who is blamed (student or rubric)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from grader.behavior.custom.runner import split_points

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "rubrics" / "examples" / "uppercase"


def run_checks(tmp_path: Path, app_dir: Path, tests: str, points: float = 10) -> dict:
    test_file = tmp_path / "test_custom.py"
    test_file.write_text(textwrap.dedent(tests))
    proc = subprocess.run(
        [sys.executable, "-m", "tests.custom_checks.run_in_child", str(app_dir), str(test_file), str(points)],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )
    assert "@@RESULT@@" in proc.stdout, proc.stderr[-3000:]
    return json.loads(proc.stdout.split("@@RESULT@@", 1)[1])


def statuses(result: dict) -> dict[str, str]:
    return {key: value["status"] for key, value in result["verdicts"].items()}


# ---------------------------------------------------------------- points
def test_points_unmarked_tests_share_the_rubric_points_exactly():
    assert split_points(10, [None, None, None]) == [3.3333, 3.3333, 3.3334]
    assert sum(split_points(10, [None, None, None])) == pytest.approx(10)
    assert split_points(10, [6, None, None]) == [6, 2, 2]
    assert split_points(10, [6, 3, 1]) == [6, 3, 1]


def test_points_that_do_not_fit_the_rubric_are_a_rubric_error():
    assert "more than the rubric's 10" in split_points(10, [8, 5])
    assert "but the rubric gives the file 10" in split_points(10, [4, 4])


# ---------------------------------------------------------------- outcomes
def test_passing_and_failing_tests_with_their_docstrings_as_feedback(tmp_path):
    result = run_checks(tmp_path, EXAMPLE / "samples" / "good", """
        import pytest

        @pytest.mark.points(7)
        def test_upper(upload):
            '''The processing upper-cases the text.'''
            r = upload(b"abc\\n", filename="a.txt")
            assert r.status == 200
            assert r.response_before_tasks
            assert r.saved_at_response
            assert any(r.read(p) == b"ABC\\n" for p in r.written_by_tasks), r.summary()

        def test_wrong_expectation(upload):
            '''Expects a JSON body the app does not send.'''
            assert upload(b"x").json == {"nope": 1}, "the answer is not {'nope': 1}"
    """)
    verdicts = result["verdicts"]
    assert statuses(result) == {"custom::test_upper": "passed", "custom::test_wrong_expectation": "failed"}
    assert verdicts["custom::test_upper"]["points"] == 7
    assert verdicts["custom::test_upper"]["title"] == "The processing upper-cases the text."
    assert verdicts["custom::test_wrong_expectation"]["points"] == 3
    assert "the answer is not {'nope': 1}" in verdicts["custom::test_wrong_expectation"]["feedback"]
    assert result["errors"] == []


def test_upload_reports_tasks_files_and_timings(tmp_path):
    result = run_checks(tmp_path, EXAMPLE / "samples" / "task_crashes", """
        def test_facts(upload, workdir, student_app):
            '''facts'''
            r = upload(b"hello\\n", filename="h.txt")
            assert r.status == 200 and r.json == {"saved": "h.txt"}
            assert [t.name for t in r.tasks] == ["uppercase"]
            assert r.task_errors[0]["type"] == "RuntimeError"
            assert r.task_errors[0]["where"] == "main.py:14"
            assert r.response_ms is not None and r.finished_ms >= r.response_ms
            assert r.tasks[0].started_ms >= r.response_ms
            assert r.saved_at_response == ["uploads/h.txt"] == r.saved_after
            assert (workdir / "uploads" / "h.txt").read_bytes() == b"hello\\n"
            assert type(student_app).__name__ == "FastAPI"
    """)
    assert statuses(result) == {"custom::test_facts": "passed"}, result


def test_client_reaches_other_routes(tmp_path):
    app = tmp_path / "app"
    app.mkdir()
    (app / "main.py").write_text(textwrap.dedent("""
        from fastapi import BackgroundTasks, FastAPI, UploadFile
        app = FastAPI()
        JOBS = {}

        @app.post("/upload")
        async def upload(file: UploadFile, background_tasks: BackgroundTasks):
            JOBS[file.filename] = "queued"
            background_tasks.add_task(JOBS.__setitem__, file.filename, "done")
            return {"job": file.filename}

        @app.get("/status/{name}")
        def status(name: str):
            return {"status": JOBS.get(name, "unknown")}
    """))
    result = run_checks(tmp_path, app, """
        def test_status_route(upload, client):
            '''GET /status/<name> says done once the task ran.'''
            upload(b"x", filename="job1.txt")
            response = client.get("/status/job1.txt")
            assert response.status_code == 200
            assert response.json() == {"status": "done"}
            assert client.get("/status/other").json() == {"status": "unknown"}
    """)
    assert statuses(result) == {"custom::test_status_route": "passed"}, result


# ---------------------------------------------------------------- blame
def test_a_bug_in_the_rubric_file_is_a_rubric_error_not_a_failure(tmp_path):
    result = run_checks(tmp_path, EXAMPLE / "samples" / "good", """
        def test_ok(upload):
            '''fine'''
            assert upload(b"x").status == 200

        def test_typo_in_fixture(uplaod):
            '''The instructor misspelled a fixture.'''
    """)
    assert statuses(result) == {"custom::test_ok": "passed", "custom::test_typo_in_fixture": "error"}
    assert result["errors"] == ["rubric error in checks/test_custom.py: test_typo_in_fixture: fixture 'uplaod' not found"]
    assert "bug in the rubric's test file, not in your code" in result["verdicts"]["custom::test_typo_in_fixture"]["feedback"]


def test_a_file_that_cannot_be_collected_is_one_rubric_error(tmp_path):
    result = run_checks(tmp_path, EXAMPLE / "samples" / "good", "import no_such_module_here\n")
    assert statuses(result) == {"custom": "error"}
    assert result["errors"] == [
        "rubric error in checks/test_custom.py: it could not be collected: "
        "ModuleNotFoundError: No module named 'no_such_module_here'"
    ]
    assert result["verdicts"]["custom"]["points"] == 10


def test_points_marks_that_do_not_add_up_are_a_rubric_error(tmp_path):
    result = run_checks(tmp_path, EXAMPLE / "samples" / "good", """
        import pytest

        @pytest.mark.points(4)
        def test_a(upload):
            '''a'''
    """)
    assert statuses(result) == {"custom": "error"}
    assert "add up to 4, but the rubric gives the file 10" in result["errors"][0]


def test_an_app_that_blocks_the_process_fails_the_test_not_the_rubric(tmp_path):
    app = tmp_path / "app"
    app.mkdir()
    (app / "main.py").write_text(textwrap.dedent("""
        import time
        from fastapi import BackgroundTasks, FastAPI, UploadFile
        app = FastAPI()

        @app.post("/upload")
        async def upload(file: UploadFile, background_tasks: BackgroundTasks):
            time.sleep(3600)  # blocks the event loop: no asyncio timeout can fire
    """))
    result = run_checks(tmp_path, app, """
        def test_upload(upload):
            '''The upload answers.'''
            assert upload(b"x", timeout=1).status == 200

        def test_again(upload):
            '''A second upload answers too.'''
            assert upload(b"y", timeout=1).status == 200
    """)
    assert statuses(result) == {"custom::test_upload": "failed", "custom::test_again": "failed"}
    assert "blocked the process" in result["verdicts"]["custom::test_upload"]["feedback"]
    assert "earlier request blocked the app" in result["verdicts"]["custom::test_again"]["feedback"]
    assert result["errors"] == []


def test_a_crashing_startup_fails_the_checks(tmp_path):
    app = tmp_path / "app"
    app.mkdir()
    (app / "main.py").write_text(textwrap.dedent("""
        from contextlib import asynccontextmanager
        from fastapi import FastAPI, UploadFile

        @asynccontextmanager
        async def lifespan(app):
            raise RuntimeError("database unreachable")
            yield

        app = FastAPI(lifespan=lifespan)

        @app.post("/upload")
        async def upload(file: UploadFile):
            return {}
    """))
    result = run_checks(tmp_path, app, "def test_a(upload):\n    '''a'''\n")
    assert statuses(result) == {"custom": "failed"}
    assert "database unreachable" in result["verdicts"]["custom"]["feedback"]
    assert result["errors"] == []


def test_the_students_pytest_configuration_is_ignored(tmp_path):
    app = tmp_path / "app"
    shutil_copy = __import__("shutil").copytree
    shutil_copy(EXAMPLE / "samples" / "good", app)
    (app / "conftest.py").write_text("import pytest\n@pytest.fixture\ndef upload():\n    raise SystemExit(9)\n")
    (app / "pytest.ini").write_text("[pytest]\naddopts = --collect-only\n")
    result = run_checks(tmp_path, app, "def test_a(upload):\n    '''a'''\n    assert upload(b'x').status == 200\n")
    assert statuses(result) == {"custom::test_a": "passed"}, result


def test_tests_in_classes_keep_distinct_ids(tmp_path):
    result = run_checks(tmp_path, EXAMPLE / "samples" / "good", """
        class TestSmall:
            def test_size(self, upload):
                '''A small upload is accepted.'''
                assert upload(b"x").status == 200

        class TestEmpty:
            def test_size(self, upload):
                '''An empty upload is not a server error.'''
                assert upload(b"").status < 500
    """)
    assert statuses(result) == {"custom::TestSmall::test_size": "passed", "custom::TestEmpty::test_size": "passed"}
    assert sum(v["points"] for v in result["verdicts"].values()) == 10


def test_editing_a_rubric_pytest_file_invalidates_batch_reports(tmp_path):
    from grader.batch.entries import content_hash
    from grader.scoring.rubric import load_rubric

    (tmp_path / "checks").mkdir()
    checks = tmp_path / "checks" / "test_x.py"
    checks.write_text("def test_a(upload):\n    '''a'''\n")
    (tmp_path / "rubric.toml").write_text(
        'title = "t"\n[[checks]]\nid = "x"\nkind = "pytest"\npath = "checks/test_x.py"\npoints = 1\n')
    sample = EXAMPLE / "samples" / "good"
    before = content_hash(sample, load_rubric(str(tmp_path / "rubric.toml")), True)
    checks.write_text("def test_a(upload):\n    '''a, edited'''\n")
    after = content_hash(sample, load_rubric(str(tmp_path / "rubric.toml")), True)
    assert before != after
