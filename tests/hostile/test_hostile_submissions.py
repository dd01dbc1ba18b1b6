"""One hostile or broken submission per item of the hostile-submissions issue.

Every test goes through ``grade_hostile``: the report is valid against the JSON Schema,
arrives within the rubric's limit plus a wide margin, and leaves no process, no planted
file and no temp dir behind; the submission's own folder is unchanged. Then each test
asserts what the report says about its submission (and, where it matters, that a
well-behaved twin passes: both sides of each guarantee).
"""

from __future__ import annotations

import json

import pytest

from tests.hostile.support import SUBMISSIONS, grade_hostile, hostile_rubric

TIMEOUT = hostile_rubric().behavior.timeout
MEMORY = hostile_rubric().behavior.memory_mb


def grade(name, grader_temp):
    return grade_hostile(SUBMISSIONS / name, grader_temp)


@pytest.mark.parametrize(
    ("name", "sentence"),
    [
        ("loop_at_import", f"still being imported when the {TIMEOUT:g} s limit ran out"),
        ("loop_in_endpoint", f"request was still inside your app when the {TIMEOUT:g} s limit ran out"),
        ("loop_in_task", f"background task was still running when the {TIMEOUT:g} s limit ran out"),
    ],
)
def test_infinite_loop_names_the_phase(name, sentence, grader_temp):
    graded = grade(name, grader_temp)
    assert sentence in graded.errors_text
    assert graded.report["score"] < graded.report["max_score"]
    # The wall-clock limit stopped it: not much later than the limit itself.
    assert graded.elapsed < TIMEOUT + 8


def test_loop_at_import_fails_app_loads(grader_temp):
    graded = grade("loop_at_import", grader_temp)
    assert graded.check("app-loads")["status"] == "failed"
    assert graded.report["score"] == 0


@pytest.mark.parametrize("name", ["sys_exit_at_import", "raise_systemexit_at_import", "os_exit_at_import"])
def test_exit_at_import_is_never_success(name, grader_temp):
    graded = grade(name, grader_temp)
    assert graded.check("app-loads")["status"] == "failed"
    assert graded.report["score"] == 0
    assert "exit" in graded.errors_text.lower()


def test_os_exit_at_import_reports_status(grader_temp):
    graded = grade("os_exit_at_import", grader_temp)
    assert "Your app exited with status 3 during the import of your app." in graded.report["errors"]


def test_os_exit_in_task_reports_the_task(grader_temp):
    """The server dies in the task, after the response: what the parent measured stands."""
    graded = grade("os_exit_in_task", grader_temp)
    assert "Your app exited with status 0 during the upload task." in graded.report["errors"]
    statuses = {c["id"]: c["status"] for c in graded.report["checks"]}
    assert statuses["app-loads"] == "passed"
    assert statuses["upload-accepted"] == "passed"  # the response did arrive
    assert statuses["saved-file-intact"] == "passed"
    assert statuses["task-scheduled"] == "failed"  # nothing processed: the task killed the server
    assert statuses["task-completes"] != "passed"


@pytest.mark.parametrize("name", ["sys_exit_in_task", "raise_systemexit_in_task"])
def test_systemexit_in_task_fails_task_completes(name, grader_temp):
    graded = grade(name, grader_temp)
    check = graded.check("task-scheduled")  # the task exits before it processes anything
    assert check["status"] == "failed"
    assert "sys.exit" in check["feedback"]
    assert graded.report["score"] < graded.report["max_score"]


@pytest.mark.parametrize("name", ["memory_hog", "memory_hog_at_import"])
def test_memory_hog_is_reported_with_the_limit(name, grader_temp):
    graded = grade(name, grader_temp)
    assert f"more than {MEMORY} MiB" in graded.errors_text
    assert graded.report["score"] < graded.report["max_score"]


def test_fork_storm_is_limited_and_cleaned_up(grader_temp):
    graded = grade("fork_storm", grader_temp)  # grade_hostile asserts no process is left
    if "process-limit" in graded.report["run"].get("protections", []):
        assert "processes or threads" in graded.errors_text


def test_endless_threads_do_not_hold_the_run(grader_temp):
    graded = grade("endless_threads", grader_temp)
    assert graded.check("saved-file-intact")["status"] == "passed"
    assert graded.elapsed < TIMEOUT, "the run waited for the student's threads"
    assert graded.report["errors"] == []


def test_output_flood_is_cut_to_head_and_tail(grader_temp):
    graded = grade("output_flood", grader_temp)
    output = graded.report["run"]["output"]
    assert output["stdout"]["bytes"] >= 45_000_000
    assert output["stdout"]["truncated"] and output["stderr"]["truncated"]
    assert len(output["stdout"]["text"]) + len(output["stderr"]["text"]) <= 64 * 1024
    assert "HOSTILE-FLOOD" in output["stdout"]["text"]
    assert len(json.dumps(graded.report)) < 256 * 1024
    # The flood does not change the grade: the app itself is fine.
    assert graded.check("saved-file-intact")["status"] == "passed"


def test_fake_reports_change_nothing(grader_temp):
    graded = grade("fake_reports", grader_temp)  # asserts no planted file outside the sandbox
    assert graded.report["score"] < graded.report["max_score"]
    assert graded.check("saved-file-intact")["status"] != "passed"
    assert '"score": 100' in graded.report["run"]["output"]["stdout"]["text"]


def test_writes_outside_the_work_area_land_nowhere(grader_temp):
    graded = grade("writes_outside", grader_temp)  # asserts no HOSTILE-escape.txt outside
    protections = graded.report["run"]["protections"]
    assert "separate-process" in protections and "result-pipe" in protections


def test_protections_as_root(grader_temp):
    import os

    if os.geteuid() != 0:
        pytest.skip("the unprivileged-user, no-network and private-tmp protections need root")
    graded = grade("writes_outside", grader_temp)
    protections = graded.report["run"]["protections"]
    for expected in ("unprivileged-user", "no-network", "private-tmp", "process-limit", f"memory-limit-{MEMORY}MiB"):
        assert expected in protections


def test_no_python_files(grader_temp):
    """Nothing to grade is graded as nothing: app-loads fails, no static check scores."""
    graded = grade("no_python_files", grader_temp)
    assert graded.report["status"] == "graded"
    assert graded.report["score"] == 0
    assert graded.check("app-loads")["status"] == "failed"
    assert "no Python file" in graded.errors_text


def test_several_candidate_apps_are_named(grader_temp):
    graded = grade("several_apps", grader_temp)
    assert graded.check("app-loads")["status"] == "failed"
    assert "main:app" in graded.errors_text and "other:app" in graded.errors_text


def test_main_py_that_is_a_directory(grader_temp):
    graded = grade("main_is_directory", grader_temp)
    assert graded.report["status"] == "graded"
    assert graded.check("app-loads")["status"] == "passed"


@pytest.mark.parametrize("name", ["source_bom", "source_crlf", "source_tabs"])
def test_unusual_but_valid_source_is_graded(name, grader_temp):
    graded = grade(name, grader_temp)
    assert graded.check("app-loads")["status"] == "passed"
    assert graded.check("saved-file-intact")["status"] == "passed"


def test_non_utf8_source_gets_a_clear_error(grader_temp):
    graded = grade("source_latin1", grader_temp)
    assert "encoding" in graded.errors_text
    assert "Traceback" not in graded.errors_text


def test_five_megabyte_source(grader_temp, tmp_path):
    app = (SUBMISSIONS / "source_crlf" / "main.py").read_bytes().replace(b"\r\n", b"\n")
    filler = b"".join(b"# padding line %07d: the grader must not choke on long files\n" % i for i in range(80_000))
    folder = tmp_path / "five_mb"
    folder.mkdir()
    (folder / "main.py").write_bytes(app + filler)
    assert (folder / "main.py").stat().st_size >= 5_000_000
    graded = grade_hostile(folder, grader_temp, time_limit=TIMEOUT + 60)
    assert graded.check("app-loads")["status"] == "passed"


def test_cli_writes_the_real_report_whatever_the_app_prints(tmp_path):
    import subprocess
    import sys

    from tests.hostile.support import RUBRIC_PATH

    out = tmp_path / "report.json"
    done = subprocess.run(
        [sys.executable, "-m", "grader", "grade", str(SUBMISSIONS / "fake_reports"),
         "--rubric", str(RUBRIC_PATH), "--format", "json", "-o", str(out)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""  # the app's prints went to the capture, not to our stdout
    report = json.loads(out.read_text())
    assert report["score"] < report["max_score"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]  # nothing planted next to it
