"""Custom checks: the background processing writes the upper-cased text of the upload.

Fixtures come from the grader (grader.behavior.custom.pytest_plugin): ``upload`` sends a file
to the student's upload route and returns what happened (status, JSON body, timings,
background tasks and their errors, files on disk at response time and after the tasks).
Each test's docstring is the feedback the student reads; ``@pytest.mark.points`` its
weight. Try it against a reference solution:

    pytest -p grader.behavior.custom.pytest_plugin --submission samples/good checks/test_uppercase.py
"""

import pytest

TEXT = b"Hello, grader!\nSecond line: keep the punctuation.\n"


def upper_outputs(result, paths):
    """The files among ``paths`` that hold the upper-cased upload."""
    return [p for p in paths if result.read(p) == TEXT.upper()]


@pytest.mark.points(6)
def test_processed_file_is_uppercased(upload):
    """Processing the upload writes a new file holding its text upper-cased."""
    result = upload(TEXT, filename="notes.txt")
    assert result.status == 200, f"the upload was not accepted: {result.summary()}"
    assert not result.task_errors, f"a background task raised: {result.task_errors[0]}"
    assert upper_outputs(result, result.new_after), (
        "no new file holds the upper-cased text of the upload "
        f"(new files: {result.new_after})"
    )


@pytest.mark.points(3)
def test_uppercasing_runs_after_the_response(upload):
    """The upper-cased file is written by the background task, after the response was sent."""
    result = upload(TEXT, filename="later.txt")
    assert result.status == 200, f"the upload was not accepted: {result.summary()}"
    assert result.tasks, "the upload scheduled no background task"
    assert upper_outputs(result, result.written_by_tasks), (
        "the upper-cased file already existed when the response was sent, or no task wrote it: "
        "move the upper-casing into the function you pass to background_tasks.add_task"
    )


@pytest.mark.points(1)
def test_original_upload_is_kept(upload):
    """The saved upload keeps the original bytes; the upper-cased text goes to another file."""
    result = upload(TEXT, filename="original.txt")
    assert result.saved_after, f"no file holds the original upload after the tasks ran: {result.summary()}"
