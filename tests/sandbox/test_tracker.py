"""The fork server's process tracker, on a fake /proc (both sides of each rule)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from grader.behavior.sandbox import procs
from grader.behavior.sandbox.tracker import Tracker

SERVER = 100
JOB = 200


class FakeProc:
    def __init__(self, root: Path) -> None:
        self.root = root

    def add(self, pid: int, ppid: int, sid: int | None = None, pgid: int | None = None,
            start: int = 1, uid: int | None = None, state: str = "S") -> None:
        folder = self.root / str(pid)
        folder.mkdir(exist_ok=True)
        fields = [state, str(ppid), str(pgid or sid or pid), str(sid or pid)] + ["0"] * 15 + [str(start), "0", "0"]
        (folder / "stat").write_text(f"{pid} (py thon)) {' '.join(fields)}\n")
        if uid is not None:
            os.chown(folder, uid, uid)

    def remove(self, pid: int) -> None:
        shutil.rmtree(self.root / str(pid))


@pytest.fixture()
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeProc:
    monkeypatch.setattr(procs, "PROC", str(tmp_path))
    proc = FakeProc(tmp_path)
    proc.add(1, 0)
    proc.add(50, 1)  # the grader worker
    proc.add(SERVER, 50)
    proc.add(60, 1)  # someone else's process
    return proc


def tracker_with_job(fake: FakeProc, uid: int | None = None) -> Tracker:
    tracker = Tracker(server_pid=SERVER)
    fake.add(JOB, SERVER)
    tracker.add_job(JOB, uid)
    return tracker


def pids(infos: list[procs.ProcInfo]) -> set[int]:
    return {info.pid for info in infos}


def test_a_job_owns_its_descendants_and_nothing_else(fake: FakeProc):
    tracker = tracker_with_job(fake)
    fake.add(201, JOB, sid=JOB)
    fake.add(202, 201, sid=202)  # setsid'd grandchild
    tracker.refresh()
    assert pids(tracker.members(JOB)) == {JOB, 201, 202}
    assert tracker.strays() == []


def test_a_grandchild_keeps_its_job_after_its_parent_died_and_it_moved_to_the_server(fake: FakeProc):
    tracker = tracker_with_job(fake)
    fake.add(201, JOB)
    fake.add(202, 201, sid=202)
    tracker.refresh()
    fake.remove(201)
    fake.add(202, SERVER, sid=202)  # re-parented to the subreaper
    tracker.refresh()
    assert pids(tracker.members(JOB)) == {JOB, 202}


def test_an_orphan_first_seen_at_the_server_goes_to_the_job_of_its_session(fake: FakeProc):
    tracker = tracker_with_job(fake)
    fake.add(203, SERVER, sid=JOB)
    fake.add(204, SERVER, sid=204)  # tied to nothing
    tracker.refresh()
    assert 203 in pids(tracker.members(JOB))
    assert pids(tracker.strays()) == {204}


def test_an_orphan_with_the_jobs_dedicated_uid_belongs_to_the_job(fake: FakeProc):
    tracker = tracker_with_job(fake, uid=1_500_000_123)
    fake.add(205, SERVER, sid=205, uid=1_500_000_123)
    fake.add(206, SERVER, sid=206, uid=1_500_000_124)
    tracker.refresh()
    assert 205 in pids(tracker.members(JOB))
    assert pids(tracker.strays()) == {206}


def test_what_is_left_of_a_finished_job_is_a_stray_and_the_server_never_is(fake: FakeProc):
    tracker = tracker_with_job(fake)
    fake.add(201, JOB)
    tracker.refresh()
    fake.remove(JOB)
    fake.add(201, SERVER)
    tracker.end_job(JOB)
    tracker.refresh()
    assert pids(tracker.strays()) == {201}
    assert SERVER not in pids(tracker.strays()) and 60 not in pids(tracker.strays())


def test_a_new_process_whose_parent_is_new_too_is_classified_through_it(fake: FakeProc):
    tracker = tracker_with_job(fake)
    tracker.refresh()
    fake.add(310, JOB)
    fake.add(311, 310)
    fake.add(312, 311)
    fake.add(320, 60)  # child of a foreign process
    tracker.refresh()
    assert pids(tracker.members(JOB)) == {JOB, 310, 311, 312}
    assert 320 not in pids(tracker.members(JOB)) and 320 not in pids(tracker.strays())


def test_a_recycled_pid_is_reclassified_by_a_full_refresh_only(fake: FakeProc):
    tracker = tracker_with_job(fake)
    tracker.refresh()
    fake.add(60, JOB, start=99)  # pid 60 died and was reused by the job (same listing)
    tracker.refresh()
    assert 60 not in pids(tracker.members(JOB))  # an incremental refresh reads new pids only
    tracker.refresh(full=True)
    assert 60 in pids(tracker.members(JOB))


def test_a_process_whose_parent_cannot_be_read_is_retried_not_called_foreign(fake: FakeProc):
    tracker = tracker_with_job(fake)
    tracker.refresh()
    fake.add(401, 400)  # its parent 400 is not listed (it exited between listing and reading)
    tracker.refresh()
    assert 401 not in tracker.entries
    fake.add(401, SERVER, sid=JOB)  # re-parented by the next refresh
    tracker.refresh()
    assert 401 in pids(tracker.members(JOB))
