"""The jail of a grader that is not root: a user namespace where the kernel allows one,
and a refusal (unless the user opts out) where it does not.

These tests start as root and run the grading side as an unprivileged uid
(``jail_unprivileged.py``), so the kernel treats it exactly as a user's grader: no
cgroups, no tmpfs of its own, no other uid to run the child as.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from tests.integrity.jail_support import ATTACKS, HARNESS, HERE

pytestmark = pytest.mark.skipif(not (hasattr(os, "geteuid") and os.geteuid() == 0),
                                reason="starts as root to become an unprivileged grader")
UID = 1_400_000_321
REPO = HERE.parents[1]

GRADER = textwrap.dedent("""
    import json, os, sys, time
    from pathlib import Path
    from grader.behavior.sandbox import launcher
    from grader.behavior.sandbox.supervisor import IsolationUnavailable, Sandbox, SandboxLimits
    config = json.loads(os.environ["JAIL_TEST"])
    report = {"uid": os.geteuid(), "results": {}}
    status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines())
    report["cap_sys_admin"] = bool(int(status["CapEff"], 16) & (1 << 21))
    sleeper = os.fork()  # another process of the grader's user: kill(-1) must not reach it
    if sleeper == 0:
        time.sleep(120)
        os._exit(0)
    try:
        for name, source, disk_mb in config["runs"]:
            with Sandbox(Path(source), harness=config["harness"], mode="forkserver") as box:
                res = box.run({}, SandboxLimits(timeout=20, memory_mb=384, max_processes=32, disk_mb=disk_mb))
            report["results"][name] = {"protections": res.protections, "missing": res.missing,
                                       "run": (res.result or {}).get("run"), "disk": res.disk_exceeded}
    except IsolationUnavailable as exc:
        report["refused"] = str(exc)
    report["sleeper_alive"] = os.waitpid(sleeper, os.WNOHANG) == (0, 0)
    report["server_alive"] = launcher._shared is None or launcher._shared.alive()
    os.kill(sleeper, 9)
    os.waitpid(sleeper, 0)
    launcher.shutdown()
    report["left"] = os.listdir(os.environ["TMPDIR"])
    print(json.dumps(report))
""")


@pytest.fixture
def shared_folder():
    """A folder the unprivileged uid can read (pytest's own temp dir is root's, 0700)."""
    folder = Path(tempfile.mkdtemp(prefix="jail-unprivileged-"))
    os.chmod(folder, 0o755)
    temp = folder / "temp"
    temp.mkdir()
    os.chown(temp, UID, UID)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def grade_as_user(folder: Path, runs: list[tuple[str, str, int]], userns: bool = True,
                  extra_env: dict[str, str] | None = None, **config_extra: object) -> dict:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(folder), "TMPDIR": str(folder / "temp"),
           "JAIL_TEST": json.dumps({"runs": runs, "harness": HARNESS}), **(extra_env or {})}
    config = {"uid": UID, "userns": userns, "cwd": str(folder), "script": GRADER, "env": env, **config_extra}
    done = subprocess.run([sys.executable, str(HERE / "jail_unprivileged.py"), json.dumps(config)],
                          capture_output=True, text=True, timeout=180, cwd=REPO,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    report["stderr"] = done.stderr
    return report


def copy_attack(folder: Path, name: str, files: dict[str, str] | None = None) -> str:
    target = folder / name
    shutil.copytree(ATTACKS / name, target)
    for file_name, text in (files or {}).items():
        (target / file_name).write_text(text)
    return str(target)


def test_an_unprivileged_grader_jails_the_run_in_a_user_namespace(shared_folder):
    runs = [
        ("first", copy_attack(shared_folder, "leave_traces", {"label.txt": "first"}), 64),
        ("killer", copy_attack(shared_folder, "kill_all"), 64),
        ("second", copy_attack(shared_folder / "b", "leave_traces", {"label.txt": "second"}), 64),
        ("processes", copy_attack(shared_folder, "processes"), 64),
        ("filler", copy_attack(shared_folder, "fill_files"), 16),
    ]
    report = grade_as_user(shared_folder, runs)
    assert report["uid"] == UID and "refused" not in report, report
    results = report["results"]
    # kill(-1, SIGKILL) reached neither the grader (it printed this report), nor its
    # fork server, nor another process of the same user.
    assert report["sleeper_alive"] and report["server_alive"]
    assert results["killer"]["run"]["findings"]["done"]
    for name in ("first", "killer", "second", "processes"):
        protections = results[name]["protections"]
        for expected in ("user-namespace", "pid-namespace", "ipc-namespace", "no-network", "private-root",
                         "private-tmp", "no-capabilities", "disk-watch-64MiB"):
            assert expected in protections, (name, protections, results[name]["missing"])
        assert not {"unprivileged-user", "cgroup-memory", "cgroup-pids", "disk-budget-64MiB"} & set(protections)
    assert all(seen == [] for seen in results["second"]["run"]["findings"]["seen"].values())
    assert set(results["processes"]["run"]["findings"]["pids"]) <= {1, 2}
    # No tmpfs of its own: the grader counted the bytes and stopped the run.
    assert results["filler"]["disk"] and results["filler"]["run"] is None, results["filler"]
    assert report["left"] == []
    assert "warning" not in report["stderr"]


def test_without_user_namespaces_an_unprivileged_grader_refuses_in_one_line(shared_folder):
    runs = [("killer", copy_attack(shared_folder, "kill_all"), 64)]
    report = grade_as_user(shared_folder, runs, userns=False)
    assert report["results"] == {} and report["sleeper_alive"]
    message = report["refused"]
    assert "\n" not in message and "GRADER_ALLOW_UNISOLATED=1" in message and "sudo" in message
    assert report["left"] == []


def test_opting_out_runs_without_isolation_and_warns_once_naming_what_is_missing(shared_folder):
    runs = [(f"run{i}", copy_attack(shared_folder / str(i), "processes"), 64) for i in range(2)]
    report = grade_as_user(shared_folder, runs, userns=False, extra_env={"GRADER_ALLOW_UNISOLATED": "1"})
    protections = report["results"]["run0"]["protections"]
    assert "pid-namespace" not in protections and "private-root" not in protections
    assert "namespaces" in report["results"]["run0"]["missing"]
    warnings = [line for line in report["stderr"].splitlines() if "warning" in line]
    assert len(warnings) == 1 and "namespaces" in warnings[0], report["stderr"]
    assert report["left"] == []


def test_root_without_the_right_to_make_namespaces_still_keeps_kill_away_from_the_grader(shared_folder):
    """A container started without CAP_SYS_ADMIN: no namespace, no tmpfs, but the child runs
    as the run's own uid, which may signal nothing of the grader's."""
    runs = [("killer", copy_attack(shared_folder, "kill_all"), 64),
            ("processes", copy_attack(shared_folder, "processes"), 64)]
    report = grade_as_user(shared_folder, runs, uid=None, drop_sys_admin=True)
    assert report["uid"] == 0 and not report["cap_sys_admin"] and "refused" not in report, report
    assert report["sleeper_alive"] and report["server_alive"]
    protections = report["results"]["killer"]["protections"]
    assert "unprivileged-user" in protections and "disk-watch-64MiB" in protections
    assert "pid-namespace" not in protections and "private-root" not in protections
    assert "SYS_ADMIN" in report["results"]["killer"]["missing"]["namespaces"]
    warnings = [line for line in report["stderr"].splitlines() if "warning" in line]
    assert len(warnings) == 1 and "namespaces" in warnings[0]
    assert report["left"] == []


def test_root_that_could_only_run_the_code_as_root_refuses(shared_folder):
    """Same container, and the Python installation unreadable by other users: the child
    could only stay root (able to signal the grader), so the run is refused."""
    runs = [("killer", copy_attack(shared_folder, "kill_all"), 64)]
    report = grade_as_user(shared_folder, runs, uid=None, drop_sys_admin=True, expose=False)
    assert report["results"] == {} and report["sleeper_alive"]
    assert "readable by all users" in report["refused"] and "\n" not in report["refused"]
    assert report["left"] == []
