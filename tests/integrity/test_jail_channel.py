"""Everything the child sends on the result channel is bounded and decoded safely."""

from __future__ import annotations

import json

import psutil

from grader.behavior.sandbox.channel import MAX_DEPTH, MessageReader, encode_message
from grader.behavior.sandbox.supervise import MAX_PHASES
from grader.behavior.sandbox.supervisor import Sandbox, SandboxLimits
from tests.integrity.jail_support import HERE, assert_nothing_left


def frame(body: bytes) -> bytes:
    return len(body).to_bytes(4, "big") + body


def test_lone_surrogates_and_invalid_utf8_become_replacement_characters():
    reader = MessageReader("n")
    escaped = b'{"nonce": "n", "t": "result", "data": {"route": "/a\\ud800b", "\\udfff": 1}}'
    raw = b'{"nonce": "n", "t": "phase", "phase": "caf\xe9"}'
    got = reader.feed(frame(escaped) + frame(raw))
    assert got[0]["data"] == {"route": "/a\ufffdb", "\ufffd": 1}
    assert got[1]["phase"] == "caf\ufffd"
    json.dumps(got).encode("utf-8")  # every string can be written as UTF-8


def test_a_valid_message_keeps_its_text_whole():
    reader = MessageReader("n")
    message = {"nonce": "n", "t": "result", "data": {"name": "été 😀", "n": [1, 2.5, None, True]}}
    assert reader.feed(encode_message(message)) == [message]


def test_too_many_messages_mark_the_channel_corrupt_and_later_bytes_are_dropped():
    reader = MessageReader("n", max_messages=100)
    one = encode_message({"nonce": "n", "t": "phase", "phase": "p"})
    assert len(reader.feed(one * 100)) == 100 and not reader.corrupt
    assert reader.feed(one) == [] and reader.corrupt and "messages" in reader.problem
    assert reader.feed(encode_message({"nonce": "n", "t": "result", "data": {}})) == []


def test_too_many_bytes_mark_the_channel_corrupt():
    reader = MessageReader("n", max_total=1 << 20)
    big = encode_message({"nonce": "n", "t": "phase", "phase": "x" * 600_000})
    assert len(reader.feed(big)) == 1
    assert reader.feed(big) == [] and reader.corrupt and "MiB" in reader.problem


def test_nesting_past_the_limit_is_refused_without_recursion_error():
    reader = MessageReader("n")
    deep = b'{"nonce": "n", "t": "result", "data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    assert reader.feed(frame(deep)) == [] and reader.corrupt
    shallow = MessageReader("n")
    nested = b'{"nonce": "n", "t": "result", "data": ' + b"[" * (MAX_DEPTH + 5) + b"]" * (MAX_DEPTH + 5) + b"}"
    assert shallow.feed(frame(nested)) == [] and shallow.corrupt


def test_a_flood_of_progress_messages_costs_the_parent_bounded_memory(grader_temp, tmp_path):
    """~200 MiB of progress messages (the same problem as 768 MiB, in CI time): the parent
    keeps a bounded list of phases and drops the rest unread."""
    source = tmp_path / "app"
    source.mkdir()
    before = psutil.Process().memory_info().rss
    with Sandbox(source, harness=f"{HERE / 'jail_flood_harness.py'}:run_harness") as box:
        res = box.run({"messages": 50_000}, SandboxLimits(timeout=60, memory_mb=512, disk_mb=64))
    grown = psutil.Process().memory_info().rss - before
    assert res.channel_corrupt and res.channel_problem
    assert len(res.phases) <= MAX_PHASES
    assert grown < 100 * 1024 * 1024, grown
    assert_nothing_left(grader_temp)
