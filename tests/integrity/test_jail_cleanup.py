"""A run's folders are removed whatever the student made of them, and what a grader that
died left behind is removed by the next one, never what a live grader still uses."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from grader.behavior.sandbox.jail import cgroups, cleanup, mountinfo, syscalls
from tests.integrity.jail_support import ROOT, run_cgroups

REPO = Path(__file__).resolve().parents[2]


def test_a_hostile_tree_is_removed_and_nothing_outside_it_is_touched(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me")
    tree = tmp_path / "tree"
    tree.mkdir()
    fd = os.open(tree, os.O_RDONLY)
    current = fd
    for _ in range(3000):
        os.mkdir(b"\xff\xfe", dir_fd=current)
        nxt = os.open(b"\xff\xfe", os.O_RDONLY, dir_fd=current)
        os.close(current) if current != fd else None
        current = nxt
    os.symlink(str(outside), "link", dir_fd=current)
    os.symlink(str(tmp_path), "dirlink", dir_fd=current)
    os.mkfifo("fifo", dir_fd=current)
    os.mkdir("sealed", dir_fd=current)
    os.close(os.open("sealed/inside", os.O_CREAT | os.O_WRONLY, 0o600, dir_fd=current))
    os.chmod("sealed", 0, dir_fd=current)
    os.close(current)
    os.close(fd)
    os.chmod(tree, 0o500)  # not even writable at the top
    assert cleanup.remove_tree(tree)
    assert not tree.exists() and outside.read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["outside.txt"]


def _dead_owner_tag() -> str:
    """The owner tag of a process that has exited (pid and start time of a real process)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.write(write_end, cgroups.owner_tag().encode())
        os._exit(0)
    os.close(write_end)
    tag = os.read(read_end, 100).decode()
    os.close(read_end)
    os.waitpid(pid, 0)
    return tag


def _owner(folder: Path, tag: str) -> None:
    boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    (folder / cleanup.OWNER_FILE).write_text(f"{tag} {boot}\n")


def _fake_run(base: Path, name: str, tag: str | None) -> Path:
    folder = base / f"{cleanup.RUN_PREFIX}{name}"
    (folder / "tmp" / "deep" / "deeper").mkdir(parents=True)
    if tag is not None:
        _owner(folder, tag)
    return folder


def test_runs_of_a_dead_grader_are_swept_and_those_of_a_live_one_kept(tmp_path):
    dead_tag = _dead_owner_tag()
    dead = _fake_run(tmp_path, "dead", dead_tag)
    live = _fake_run(tmp_path, "live", cgroups.owner_tag())
    unknown = _fake_run(tmp_path, "unknown", None)  # no owner record: not ours to judge
    if ROOT:  # what a crashed root grader leaves: its tmpfs still mounted (owner inside too)
        syscalls.mount("tmpfs", str(dead), "tmpfs", 0, "size=1m")
        _owner(dead, dead_tag)
        (dead / "tmp").mkdir()
        (dead / "tmp" / "file").write_text("x")
    try:
        removed = cleanup.sweep_stale_runs(str(tmp_path), force=True)
        assert removed == [str(dead)]
        assert not dead.exists() and live.exists() and unknown.exists()
        assert mountinfo.under(mountinfo.read(), str(tmp_path)) == []
    finally:
        cleanup.unmount_under(str(tmp_path))


@pytest.mark.skipif(cgroups.hierarchy() is None, reason="needs a writable cgroup tree")
def test_cgroups_of_a_dead_grader_are_swept_and_ours_kept():
    place = cgroups.hierarchy()
    assert place is not None
    dead_name = f"grader-{_dead_owner_tag()}-x"
    ours = cgroups.RunCgroup("kept", 64 << 20, 8)
    ours.create()
    made = []
    try:
        if place.version == 1:
            for base in (place.memory, place.pids):
                os.mkdir(os.path.join(base, dead_name))
                made.append(os.path.join(base, dead_name))
        else:
            os.mkdir(os.path.join(place.memory, dead_name))
            made.append(os.path.join(place.memory, dead_name))
        cgroups.sweep()
        assert not any(os.path.exists(m) for m in made)
        assert all(os.path.isdir(f) for f in ours.folders)
    finally:
        ours.remove()
        for folder in made:
            if os.path.isdir(folder):
                os.rmdir(folder)
    assert run_cgroups() == []


CRASHING_GRADER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from grader.behavior.sandbox.supervisor import Sandbox, SandboxLimits
    source = Path(sys.argv[1])
    with Sandbox(source, harness=sys.argv[2]) as box:
        print(box.run_dir.path, flush=True)
        box.run({}, SandboxLimits(timeout=60, memory_mb=384, disk_mb=32))
""")


def test_a_grader_killed_mid_run_leaves_what_the_next_one_sweeps(tmp_path):
    from tests.integrity.jail_support import HARNESS

    source = tmp_path / "sleeper"
    source.mkdir()
    (source / "main.py").write_text("import time\nopen('/tmp/busy', 'w').write('x')\ntime.sleep(60)\n")
    base = tmp_path / "temp"
    base.mkdir()
    env = {**os.environ, "TMPDIR": str(base), "PYTHONPATH": str(REPO)}
    grader = subprocess.Popen([sys.executable, "-c", CRASHING_GRADER, str(source), HARNESS],
                              stdout=subprocess.PIPE, env=env, text=True)
    run_dir = Path(grader.stdout.readline().strip())
    deadline = time.monotonic() + 30
    while not (run_dir / "tmp" / "busy").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (run_dir / "tmp" / "busy").exists()  # the student's code is running
    grader.send_signal(signal.SIGKILL)
    grader.wait(10)
    grader.stdout.close()
    assert run_dir.exists()  # what the dead grader left
    deadline = time.monotonic() + 20  # its fork server notices and ends the run
    removed: list[str] = []
    while time.monotonic() < deadline and not removed:
        removed = cleanup.sweep_stale_runs(str(base), force=True)
        time.sleep(0.1)
    assert removed == [str(run_dir)] and list(base.iterdir()) == []
    assert mountinfo.under(mountinfo.read(), str(base)) == []
    place = cgroups.hierarchy()
    for folder in {place.memory, place.pids} - {None} if place else ():
        assert not [n for n in os.listdir(folder) if n.startswith(f"grader-{grader.pid}.")]
