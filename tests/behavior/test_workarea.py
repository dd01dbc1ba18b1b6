"""WorkArea.snapshot: what it walks, what it hashes, and the payload comparison that
replaces hashing for files the size of an expected payload."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from grader.behavior.harness.payloads import large_payload
from grader.behavior.harness.workarea import WorkArea, copies_of


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_walks_regular_files_top_down_skipping_symlinks_and_tool_folders(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"a")
    (tmp_path / "uploads" / "deep").mkdir(parents=True)
    (tmp_path / "uploads" / "b.bin").write_bytes(b"bb")
    (tmp_path / "uploads" / "deep" / "c.bin").write_bytes(b"ccc")
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "ignored.py").write_bytes(b"x")
    os.symlink("/etc/hostname", tmp_path / "uploads" / "link.txt")
    os.symlink(tmp_path / "uploads", tmp_path / "linked-dir")
    found = WorkArea(tmp_path).snapshot(frozenset({2}), hash_small=2)
    assert sorted(found) == ["a.txt", "uploads/b.bin", "uploads/deep/c.bin"]
    assert found["uploads/b.bin"].sha256 == _sha(b"bb")  # size asked for
    assert found["a.txt"].sha256 == _sha(b"a")  # smaller than hash_small
    assert found["uploads/deep/c.bin"].sha256 is None  # neither
    assert found["uploads/deep/c.bin"].size == 3


def test_an_intact_copy_of_an_expected_payload_gets_its_digest(tmp_path: Path) -> None:
    payload = large_payload("abcdef012345")
    (tmp_path / "saved.bin").write_bytes(payload.data)
    found = WorkArea(tmp_path).snapshot(frozenset({payload.size}), expected=(payload,))
    assert found["saved.bin"].sha256 == payload.sha256 == _sha(payload.data)
    assert copies_of(found, payload.sha256) == ["saved.bin"]


def test_a_same_size_file_that_differs_gets_its_own_digest(tmp_path: Path) -> None:
    payload = large_payload("abcdef012345")
    damaged = bytearray(payload.data)
    damaged[-1] ^= 0xFF  # the last byte: every part but the last compares equal
    (tmp_path / "saved.bin").write_bytes(bytes(damaged))
    found = WorkArea(tmp_path).snapshot(frozenset({payload.size}), expected=(payload,))
    assert found["saved.bin"].sha256 == _sha(bytes(damaged))
    assert copies_of(found, payload.sha256) == []


def test_holds_compares_part_by_part_and_wants_the_exact_length(tmp_path: Path) -> None:
    from grader.behavior.harness.workarea import _holds

    parts = (b"a" * 1000, b"b" * 1000, b"tail")
    path = tmp_path / "f"
    path.write_bytes(b"".join(parts))
    assert _holds(str(path), parts)
    path.write_bytes(b"".join(parts) + b"!")  # longer
    assert not _holds(str(path), parts)
    path.write_bytes(b"".join(parts)[:-1])  # shorter: the last part is read short
    assert not _holds(str(path), parts)
    path.write_bytes(b"a" * 999 + b"X" + b"b" * 1000 + b"tail")  # the first part differs
    assert not _holds(str(path), parts)
    assert not _holds(str(tmp_path / "missing"), parts)
