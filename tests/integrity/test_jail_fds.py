"""A socket the parent listens on reaches the child through the fork server, as
``settings["fds"]``; the parent connects by path from its own namespaces, whatever the
child's network namespace."""

from __future__ import annotations

import os
import socket
import threading
import time

from grader.behavior.sandbox.supervisor import Sandbox
from tests.integrity.jail_support import HERE, LIMITS, assert_nothing_left

FD_HARNESS = f"{HERE / 'jail_fd_harness.py'}:run_harness"


def _ask(path: str, deadline: float) -> bytes:
    while time.monotonic() < deadline:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
                client.settimeout(5)
                client.connect(path)
                client.sendall(b"ping\n")
                return client.makefile("rb").readline()
        except OSError:
            time.sleep(0.02)
    return b""


def test_a_listening_socket_is_handed_to_the_child_and_answers(grader_temp, tmp_path):
    path = str(tmp_path / "app.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(1)
    spare_r, spare_w = os.pipe()
    answer = {}
    asking = threading.Thread(target=lambda: answer.setdefault("reply", _ask(path, time.monotonic() + 20)))
    asking.start()
    source = tmp_path / "app"
    source.mkdir()
    try:
        with Sandbox(source, harness=FD_HARNESS) as box:
            res = box.run({}, LIMITS, pass_fds={"listen": listener.fileno(), "spare": spare_r})
    finally:
        asking.join(30)
        listener.close()
        os.close(spare_r)
        os.close(spare_w)
    assert answer["reply"] == b"pong ping\n"
    # Just above the result pipe, in name order; both still open after the child closed
    # everything else.
    fds = res.result["run"]["fds"]
    assert fds["spare"] == fds["listen"] + 1 and 300 < fds["listen"] < 1000, fds
    assert res.result["run"]["open"] == {"listen": True, "spare": True}
    assert "no-network" in res.protections  # the parent reached it all the same
    assert_nothing_left(grader_temp)


def test_without_pass_fds_the_child_gets_an_empty_map(grader_temp, tmp_path):
    from tests.integrity.jail_support import HARNESS

    source = tmp_path / "app"
    source.mkdir()
    (source / "main.py").write_text("FINDINGS = {'done': True}\n")
    with Sandbox(source, harness=HARNESS) as box:
        res = box.run({}, LIMITS)
    assert res.result["run"]["fds"] == {}
    assert_nothing_left(grader_temp)
