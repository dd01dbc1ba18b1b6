"""Every behavior sample fails exactly the checks it targets, as the parent observes them."""

from __future__ import annotations

import pytest

from tests.behavior.observed import DEFAULT_CHECKS, observe_sample, statuses

DEPENDS_ON_SAVED = {
    "saved-before-response",
    "large-upload-intact",
    "concurrent-uploads-intact",
    "filename-contained",
    "unicode-filename-handled",
}
# No processing after the response: the two core checks fail, task-completes waits on one.
NOT_PROCESSED_AFTER = {"task-scheduled", "response-before-processing"}

# sample -> (failed checks, skipped checks); every other check passes.
EXPECTED: dict[str, tuple[set[str], set[str]]] = {
    # Saved by a task after the response, and never processed.
    "upload_file_to_task": (NOT_PROCESSED_AFTER | {"saved-before-response"}, {"task-completes"}),
    # The task gets bytes where it expects a file: it crashes before it saves or processes anything.
    "bytes_to_file_task": (NOT_PROCESSED_AFTER | {"saved-file-intact"}, DEPENDS_ON_SAVED | {"task-completes"}),
    "save_then_process": (set(), set()),
    # The report is written in the endpoint; the task only logs.
    "beh_inline_processing": (NOT_PROCESSED_AFTER, {"task-completes"}),
    "beh_task_raises": ({"task-completes"}, set()),
    "beh_blocking_task": ({"loop-responsive"}, set()),
    "beh_text_mode_save": ({"saved-file-intact"}, DEPENDS_ON_SAVED),
    "beh_fixed_name": ({"concurrent-uploads-intact"}, set()),
    "beh_path_escape": ({"filename-contained"}, set()),
    "beh_500_on_empty": ({"empty-upload-handled"}, set()),
    "beh_custom_field": (set(), set()),
    "good_router_package": (set(), set()),
    "good_sync_def": (set(), set()),
}


@pytest.mark.parametrize("sample", sorted(EXPECTED))
def test_sample_verdicts(sample: str) -> None:
    failed, skipped = EXPECTED[sample]
    result = observe_sample(sample)
    expected = {
        check_id: "failed" if check_id in failed else "skipped" if check_id in skipped else "passed"
        for check_id in DEFAULT_CHECKS
    }
    assert statuses(result) == expected, result
    assert result["errors"] == []
    assert result["run"]["observer"]["ordering"] == "exact"


def test_upload_file_to_task_is_saved_by_the_task_after_the_response() -> None:
    timeline = observe_sample("upload_file_to_task")["run"]["primary_timeline"]
    assert timeline["saved_before_response"] == []
    assert timeline["saved_after_response"] and timeline["saved_after_response"][0].startswith("saved_data-")
    assert timeline["output_after_response"] == [] and timeline["read_back_after_response"] == []


def test_custom_field_app_is_found_under_its_router_prefix() -> None:
    result = observe_sample("beh_custom_field")
    assert result["run"]["app"] == "service:api"
    assert result["run"]["route"] == "POST /files/documents"
    assert result["run"]["field"] == "document"


def test_router_package_with_relative_imports() -> None:
    result = observe_sample("good_router_package")
    assert result["run"]["app"] == "app.main:app"
    assert result["run"]["route"] == "POST /files/upload"
