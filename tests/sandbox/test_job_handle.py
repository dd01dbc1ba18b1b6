"""The parent's view of a job survives the server closing with our 'kill' unread."""

from __future__ import annotations

import json
import socket

from grader.behavior.sandbox.launcher import JobHandle


def test_exit_message_is_read_even_when_the_server_closed_with_our_kill_unread():
    parent_end, server_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    handle = JobHandle(parent_end)
    handle.kill()  # queued in the server's end, never read
    server_end.send(json.dumps({"exit": {"code": 0, "signal": None}}).encode())
    server_end.close()  # unread data: Linux reports ECONNRESET to the parent once

    message = handle.read_event()

    assert message is not None and message["exit"]["code"] == 0
    assert not handle.exit.get("server_lost")
    assert handle.read_event() is None  # then the end of the stream
    parent_end.close()


def test_a_server_that_vanished_without_a_word_is_reported_lost():
    parent_end, server_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    handle = JobHandle(parent_end)
    server_end.close()
    assert handle.read_event() is None
    assert handle.exit["server_lost"] is True
    parent_end.close()
