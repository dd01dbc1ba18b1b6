"""The process side on its own, with a small stand-in harness (tests/sandbox/standin_harness.py)."""

from __future__ import annotations

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import pytest

from grader.behavior.sandbox import launcher
from grader.behavior.sandbox.channel import MAX_MESSAGE_BYTES, MessageReader, encode_message
from grader.behavior.sandbox.output import HEAD_BYTES, TAIL_BYTES, HeadTailBuffer
from grader.behavior.runner import interpret, timeout_sentence
from grader.behavior.sandbox.supervisor import Sandbox, SandboxLimits

HERE = Path(__file__).resolve().parent
STANDIN = f"{HERE / 'standin_harness.py'}:run_harness"
APPS = HERE / "apps"


def run_app(name: str, mode: str | None = None, timeout: float = 10.0):
    with Sandbox(APPS / name, harness=STANDIN, mode=mode) as box:
        res = box.run({}, SandboxLimits(timeout=timeout, memory_mb=512, max_processes=32))
        work_files = sorted(p.name for p in box.work.iterdir())
    return res, work_files


# ---- output capture ---------------------------------------------------------------
def test_small_output_is_kept_whole():
    buffer = HeadTailBuffer()
    buffer.write(b"hello ")
    buffer.write(b"world")
    assert buffer.summary() == {"text": "hello world", "bytes": 11, "truncated": False}


def test_flood_keeps_head_and_tail_only():
    buffer = HeadTailBuffer()
    buffer.write(b"H" * HEAD_BYTES)
    for _ in range(1000):
        buffer.write(b"m" * 50_000)
    buffer.write(b"THE END")
    text = buffer.text()
    assert buffer.truncated and buffer.total == HEAD_BYTES + 50_000_000 + 7
    assert text.startswith("H" * HEAD_BYTES) and text.endswith("THE END")
    assert len(text) <= HEAD_BYTES + TAIL_BYTES + 100


# ---- result channel ---------------------------------------------------------------
def test_messages_survive_any_chunking():
    data = encode_message({"nonce": "n", "t": "phase", "phase": "import"}) + encode_message({"nonce": "n", "t": "result", "data": {"x": "é"}})
    reader = MessageReader("n")
    got = []
    for i in range(len(data)):
        got += reader.feed(data[i : i + 1])
    assert [m["t"] for m in got] == ["phase", "result"] and got[1]["data"] == {"x": "é"}


def test_messages_without_the_nonce_are_dropped():
    reader = MessageReader("secret")
    assert reader.feed(encode_message({"nonce": "guess", "t": "result", "data": {"score": 100}})) == []
    assert reader.dropped == 1 and not reader.corrupt


def test_oversized_or_garbage_frames_mark_the_channel_corrupt():
    reader = MessageReader("n")
    assert reader.feed((MAX_MESSAGE_BYTES + 1).to_bytes(4, "big") + b"x") == []
    assert reader.corrupt
    garbage = MessageReader("n")
    garbage.feed((5).to_bytes(4, "big") + b"\xff\xfe{[}")
    assert garbage.corrupt


# ---- runs -------------------------------------------------------------------------
def test_good_app_result_travels_over_the_pipe():
    res, files = run_app("good")
    assert res.result is not None and not res.timed_out
    statuses = {v["id"]: v["status"] for v in res.result["verdicts"]}
    assert statuses == {"app-loads": "passed", "upload-accepted": "passed", "saved-file-intact": "passed"}
    assert "saved uploads_a.bin" in res.stdout["text"]  # stdout captured, not parsed
    assert res.phases[0] == "import" and "task" in res.phases
    assert "uploads_a.bin" in files


def test_child_environment_is_clean():
    os.environ["GRADER_TEST_SECRET"] = "do-not-leak"
    try:
        launcher.shutdown()  # a new server starts with the secret in our environment
        res, _ = run_app("good")
    finally:
        del os.environ["GRADER_TEST_SECRET"]
    assert "GRADER_TEST_SECRET" not in res.result["run"]["env_keys"]
    assert res.result["run"]["cwd"] == res.child_workdir


def test_root_runs_drop_privileges():
    if os.geteuid() != 0:
        pytest.skip("needs root")
    res, _ = run_app("good")
    assert res.result["run"]["uid"] != 0
    assert "unprivileged-user" in res.protections


def test_exit_without_result_is_reported_by_status():
    res, _ = run_app("exits")
    assert res.result is None and res.exit["exit"]["code"] == 5
    outcome = interpret(res, SandboxLimits())
    assert outcome.errors == ["Your app exited with status 5 during the import of your app."]
    assert outcome.verdicts["app-loads"].status == "failed"
    assert all(v.status == "error" for k, v in outcome.verdicts.items() if k != "app-loads")


def test_crashed_child_is_reported_and_the_server_survives():
    res, _ = run_app("segfault")
    assert res.exit["exit"]["signal"] == signal.SIGSEGV
    assert "killed by SIGSEGV" in interpret(res, SandboxLimits()).errors[0]
    again, _ = run_app("good")
    assert again.result is not None


def test_a_dead_fork_server_is_restarted():
    run_app("good")
    server = launcher.shared_server()
    os.kill(server.pid, signal.SIGKILL)
    time.sleep(0.1)
    res, _ = run_app("good")
    assert res.result is not None


def test_fork_server_and_fresh_interpreter_give_the_same_verdicts():
    for app in ("good", "exits"):
        fork, _ = run_app(app, mode="forkserver")
        fresh, _ = run_app(app, mode="fresh")
        a, b = interpret(fork, SandboxLimits()), interpret(fresh, SandboxLimits())
        assert {k: (v.status, v.feedback) for k, v in a.verdicts.items()} == {
            k: (v.status, v.feedback) for k, v in b.verdicts.items()
        }
        assert a.errors == b.errors
        assert fork.mode == "forkserver" and fresh.mode == "fresh"


def test_concurrent_runs_share_the_fork_server_safely():
    apps = ["good", "exits", "good", "segfault", "good", "good", "exits", "good"]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda name: run_app(name)[0], apps))
    for name, res in zip(apps, results):
        if name == "good":
            assert res.result is not None and {v["status"] for v in res.result["verdicts"]} == {"passed"}
        else:
            assert res.result is None
    server = launcher.shared_server()
    assert psutil.Process(server.pid).children() == []


def test_env_choice_of_mode(monkeypatch):
    monkeypatch.setenv("GRADER_SANDBOX", "fresh")
    assert launcher.current_mode() == "fresh"
    monkeypatch.setenv("GRADER_SANDBOX", "forkserver")
    assert launcher.current_mode() == "forkserver"
    launcher.set_mode("forkserver")
    try:
        assert launcher.current_mode() == "forkserver"
    finally:
        launcher.set_mode(None)
    with pytest.raises(ValueError):
        launcher.set_mode("threads")


@pytest.mark.parametrize(
    ("phase", "words"),
    [("import", "being imported"), ("startup", "startup"), ("endpoint", "request was still inside your app"),
     ("task", "background task"), ("check:loop-responsive", "loop-responsive")],
)
def test_timeout_sentences_name_the_phase(phase, words):
    assert words in timeout_sentence(phase, 30)


@pytest.mark.parametrize("mode", ["forkserver", "fresh"])
def test_student_can_import_any_stdlib_module_after_the_privilege_drop(mode):
    res, _ = run_app("stdlib", mode=mode)
    assert res.result["verdicts"][0] == {"id": "app-loads", "status": "passed", "feedback": ""}, res.result


def test_without_a_dedicated_uid_the_server_counts_and_kills_a_fork_storm():
    """The path a non-root grader takes: no RLIMIT_NPROC of its own, the server's sweep
    counts the run's processes and kills the whole tree past the limit."""
    storm = Path(__file__).resolve().parents[1] / "hostile" / "submissions" / "fork_storm"
    with Sandbox(storm, harness=STANDIN, drop_privileges=False) as box:
        res = box.run({}, SandboxLimits(timeout=10, memory_mb=512, max_processes=16))
    assert res.exit["storm"] is True
    # No kernel limit of its own (no pooled uid for RLIMIT_NPROC, no cgroup): the sweep did it.
    assert "process-limit" not in res.protections and "cgroup-pids" not in res.protections
    assert "processes or threads" in " ".join(interpret(res, SandboxLimits(max_processes=16)).errors)
    assert psutil.Process(launcher.shared_server().pid).children() == []


def test_a_forked_grader_starts_its_own_fork_server():
    run_app("good")
    parent_server = launcher.shared_server().pid
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the forked copy grades too, through a server of its own
        try:
            res, _ = run_app("good")
            os.write(write_end, f"{launcher.shared_server().pid} {res.result is not None}".encode())
            launcher.shutdown()
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    child_server, ok = os.read(read_end, 100).decode().split()
    assert ok == "True" and int(child_server) != parent_server
    assert run_app("good")[0].result is not None  # ours still works


def test_auto_mode_runs_the_first_submission_fresh_and_the_rest_forked(monkeypatch):
    monkeypatch.delenv("GRADER_SANDBOX", raising=False)
    launcher.shutdown()
    monkeypatch.setattr(launcher, "_first_run_taken", False)
    first, _ = run_app("good")
    second, _ = run_app("good")
    assert (first.mode, second.mode) == ("fresh", "forkserver")
    assert first.result["verdicts"] == second.result["verdicts"]
