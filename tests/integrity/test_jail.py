"""The jail holds against submissions that attack it, and reports only what held.

Each test runs one of ``jail_attacks/`` (the attack reports what it could see or do)
and checks the jail from the grader's side too; every test ends with nothing of the run
left: no process, no folder, no mount, no cgroup.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from grader.behavior.sandbox import launcher
from grader.behavior.sandbox.supervisor import Sandbox, SandboxLimits
from tests.integrity.jail_support import (
    HARNESS, LIMITS, ROOT, assert_nothing_left, attack, findings, run_attack,
)

PLACES = ["/tmp", "/var/tmp", "/dev/shm", "/run/lock", "..", "../.."]
pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/self/ns"), reason="Linux namespaces")


def test_what_one_run_leaves_in_tmp_shm_and_lock_folders_the_next_never_sees(grader_temp, tmp_path):
    first_source = attack("leave_traces", tmp_path / "a", {"label.txt": "first"})
    second_source = attack("leave_traces", tmp_path / "b", {"label.txt": "second"})
    with Sandbox(first_source, harness=HARNESS) as box:
        first = box.run({}, LIMITS)
        roots = box.writable_roots
        # The parent sees every write of the child, wherever it went.
        for child_path in ("/tmp", "/var/tmp", "/dev/shm", "/run/lock"):
            assert (roots[child_path] / "trace-first").read_text() == "first"
        assert (box.sandbox_dir / "trace-first").exists() and (box.tmp / "trace-first").exists()
    second = run_attack(second_source)
    seen_first, seen_second = findings(first), findings(second)
    assert seen_first["written"] == PLACES and seen_second["written"] == PLACES, seen_second["errors"]
    assert all(names == [] for names in seen_second["seen"].values()), seen_second["seen"]
    assert seen_first["sysv_created"] and not seen_second["sysv_found"]  # the segment died with the run
    for name in ("private-tmp", "ipc-namespace", "private-root"):
        assert name in first.protections and name in second.protections
    assert_nothing_left(grader_temp)


def test_a_run_sees_only_its_own_processes(grader_temp, tmp_path):
    source = attack("processes", tmp_path)
    res = run_attack(source)
    seen = findings(res)
    # pid 1 is the jail's init, pid 2 the student's process (both forks of the fork server,
    # hence its command line); the grader, the batch and other runs are not there.
    assert set(seen["pids"]) <= {1, 2} and seen["my_pid"] == 2, seen
    assert not any("pytest" in line or str(tmp_path) in line for line in seen["cmdlines"]), seen["cmdlines"]
    assert "pid-namespace" in res.protections
    assert_nothing_left(grader_temp)


def _slow_neighbour(where: Path) -> Path:
    folder = where / "neighbour"
    folder.mkdir(parents=True)
    (folder / "main.py").write_text("import time\ntime.sleep(1.5)\nFINDINGS = {'done': True}\n")
    return folder


@pytest.mark.parametrize("dedicated_uid", [True, False], ids=["dedicated-uid", "no-dedicated-uid"])
def test_kill_minus_one_reaches_only_the_run_itself(grader_temp, tmp_path, dedicated_uid):
    """kill(-1, SIGKILL) from a student never reaches the grader (this process), the fork
    server, or another student's run going on at the same time."""
    run_attack(_slow_neighbour(tmp_path / "warm"), mode="forkserver")
    server = launcher.shared_server().pid
    results = {}
    neighbour = threading.Thread(target=lambda: results.setdefault(
        "neighbour", run_attack(_slow_neighbour(tmp_path), mode="forkserver")))
    neighbour.start()
    time.sleep(0.4)
    killer = run_attack(attack("kill_all", tmp_path), mode="forkserver", drop_privileges=dedicated_uid)
    neighbour.join(30)
    # ESRCH: in its PID namespace there was nothing to kill but itself and its init.
    assert findings(killer)["kill"] in ("sent", "No such process")
    assert findings(results["neighbour"])["done"]
    assert launcher.shared_server().pid == server and launcher.shared_server().alive()
    assert "pid-namespace" in killer.protections
    assert_nothing_left(grader_temp)


def test_a_disk_filling_run_stops_at_its_budget_and_a_neighbours_save_still_works(grader_temp, tmp_path):
    from tests.sandbox.test_sandbox import APPS, STANDIN

    small = SandboxLimits(timeout=20, memory_mb=384, max_processes=32, disk_mb=16)
    results = {}

    def neighbour() -> None:
        time.sleep(0.3)
        with Sandbox(APPS / "good", harness=STANDIN) as box:
            results["neighbour"] = box.run({}, LIMITS)

    thread = threading.Thread(target=neighbour)
    thread.start()
    filler = run_attack(attack("fill_disk", tmp_path), small)
    thread.join(30)
    saved = {v["id"]: v["status"] for v in results["neighbour"].result["verdicts"]}
    assert saved["saved-file-intact"] == "passed"
    if "disk-budget-16MiB" in filler.protections:  # a tmpfs holds the run: writes get ENOSPC
        seen = findings(filler)
        assert sum(seen["written"].values()) <= 16 << 20, seen
        assert set(seen["error"].values()) == {"No space left on device"}, seen
    else:  # the grader counted the run's bytes and stopped it
        assert "disk-watch-16MiB" in filler.protections and filler.disk_exceeded, filler.protections
    assert_nothing_left(grader_temp)


def _sysv_segments_of(size: int) -> int:
    with open("/proc/sysvipc/shm") as handle:
        return sum(1 for line in handle.read().splitlines()[1:] if int(line.split()[3]) == size)


def test_shared_memory_is_bounded_and_dies_with_the_run(grader_temp, tmp_path):
    size_mib = 512  # more than the run's memory (384 MiB) and its disk budget (64 MiB)
    res = run_attack(attack("shared_memory", tmp_path, {"size_mib.txt": str(size_mib)}))
    seen = findings(res)
    assert seen["shm_written_mib"] <= LIMITS.disk_mb, seen  # /dev/shm is the run's budgeted tmpfs
    assert seen["shm_error"] == "No space left on device"
    if ROOT:  # the run's IPC namespace caps System V segments at its memory limit
        assert not seen["sysv_created"], seen
    assert _sysv_segments_of(size_mib << 20) == 0  # nothing of it outlives the run
    assert "ipc-namespace" in res.protections
    assert_nothing_left(grader_temp)


@pytest.mark.skipif(not ROOT, reason="cgroups need root")
def test_memory_split_over_processes_is_limited_by_the_runs_cgroup(grader_temp, tmp_path):
    from grader.behavior.sandbox.jail import cgroups

    if cgroups.hierarchy() is None:
        pytest.skip("no writable cgroup tree")
    # Each child stays under its address-space limit (512 MiB); together they pass the
    # run's memory (512 MiB + the 16 MiB of its tmpfs).
    limits = SandboxLimits(timeout=30, memory_mb=512, max_processes=32, disk_mb=16)
    res = run_attack(attack("memory_split", tmp_path, {"each_mib.txt": "250"}), limits)
    seen = findings(res)
    assert "cgroup-memory" in res.protections
    assert 9 in seen["statuses"], seen  # 3 x 250 MiB > 528 MiB: the kernel killed one
    assert res.memory_exceeded
    assert_nothing_left(grader_temp)


def test_other_students_code_and_the_graders_outputs_are_not_visible(grader_temp, tmp_path):
    course = tmp_path / "course"
    submissions = course / "class"
    (submissions / "bob").mkdir(parents=True)
    (submissions / "bob" / "main.py").write_text("SECRET = 'bob-solution'\n")
    out = course / "out"
    out.mkdir()
    (out / "report.json").write_text('{"score": 100}')
    for folder in (course, submissions, submissions / "bob", out):
        os.chmod(folder, 0o755)  # the usual mode: readable by every user of the machine
    targets = [submissions / "bob" / "main.py", submissions, out / "report.json", out, course,
               Path(os.path.expanduser("~"))]
    alice = attack("read_others", submissions, {"targets.txt": "\n".join(map(str, targets))})
    os.rename(alice, submissions / "alice")
    with Sandbox(submissions / "alice", harness=HARNESS, hide=[out]) as box:
        res = box.run({}, LIMITS)
    seen = findings(res)
    assert seen["read"] == {}, seen["read"]
    home = seen["listed"].pop(os.path.expanduser("~"), [])
    assert seen["listed"] == {}, seen["listed"]
    above = [name for listing in seen["above"] + [home] for name in listing]
    assert not {"alice", "bob", "class", "out", "course"} & set(above), seen["above"]
    assert "private-root" in res.protections, res.missing
    assert_nothing_left(grader_temp)


def test_a_folder_3000_levels_deep_is_removed_with_everything_else(grader_temp, tmp_path):
    started = time.monotonic()
    res = run_attack(attack("deep_tree", tmp_path))
    assert findings(res)["done"]
    assert time.monotonic() - started < 60
    assert_nothing_left(grader_temp)
