"""The checks that send their own uploads run together, and a failure among them is
confirmed alone (grader.behavior.observed_run.OVERLAPPED): same verdicts as one at a time."""

from __future__ import annotations

from grader.behavior.observed_run import OVERLAPPED, RUN_ORDER
from tests.behavior.observed import observe_sample, statuses, verdict


def test_overlapped_checks_come_after_their_prerequisites_in_run_order() -> None:
    first_overlapped = min(RUN_ORDER.index(c) for c in OVERLAPPED)
    assert all(RUN_ORDER.index(c) < first_overlapped for c in RUN_ORDER if c not in OVERLAPPED)


def test_a_good_app_runs_them_together_and_retries_none() -> None:
    result = observe_sample("good_sync_def")
    assert set(statuses(result).values()) == {"passed"}
    assert sorted(result["run"]["overlap"]["together"]) == sorted(OVERLAPPED)
    assert result["run"]["overlap"]["retried_alone"] == []


def test_a_fixed_name_app_gets_the_one_at_a_time_verdicts() -> None:
    # Every upload lands in uploads/latest.upload: run together, the uploads overwrite each
    # other; the failures are run again alone, and only concurrent-uploads-intact stays failed.
    together = observe_sample("beh_fixed_name")
    alone = observe_sample("beh_fixed_name", settings={"overlap": False})
    assert statuses(together) == statuses(alone)
    assert [c for c, s in statuses(alone).items() if s == "failed"] == ["concurrent-uploads-intact"]
    assert "concurrent-uploads-intact" in together["run"]["overlap"]["retried_alone"]
    assert "overlap" not in alone["run"]
    # The race is named as such, with the shared name: never as tampering.
    failed = verdict(alone, "concurrent-uploads-intact")
    assert failed["details"]["shared_name"] == "uploads/latest.upload"
    assert "one name" in failed["feedback"]


def test_a_failure_confirmed_alone_keeps_its_verdict() -> None:
    together = observe_sample("beh_path_escape")
    alone = observe_sample("beh_path_escape", settings={"overlap": False})
    assert statuses(together) == statuses(alone)
    assert statuses(together)["filename-contained"] == "failed"
    assert together["run"]["overlap"]["retried_alone"] == ["filename-contained"]


def test_an_app_that_stalls_the_loop_runs_them_one_at_a_time() -> None:
    # Its blocking task serializes every upload anyway; a group would only eat the budget.
    result = observe_sample("as002_blocking_async_task")
    assert statuses(result)["loop-responsive"] == "failed"
    assert "overlap" not in result["run"]
