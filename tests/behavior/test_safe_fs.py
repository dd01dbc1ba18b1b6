"""The parent's looks at the student's files, from a root path or a held root descriptor.

Both must see the same files, and neither may follow a symlink, open a FIFO or leave a
path with "..".
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from grader.behavior.observer import safe_fs


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    (tmp_path / "uploads" / "deep").mkdir(parents=True)
    (tmp_path / "uploads" / "a.bin").write_bytes(b"\x00abc\r\n" * 1000)
    (tmp_path / "uploads" / "deep" / "b.txt").write_bytes(b"hello")
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(b"hello")
    (tmp_path / "link").symlink_to(outside, target_is_directory=True)
    (tmp_path / "filelink.txt").symlink_to(outside / "secret.txt")
    os.mkfifo(tmp_path / "uploads" / "pipe")
    return tmp_path


@pytest.fixture(params=["path", "descriptor"])
def root(request: pytest.FixtureRequest, tree: Path):
    if request.param == "path":
        yield str(tree)
        return
    held = safe_fs.open_root(str(tree))
    assert held is not None
    try:
        yield held
    finally:
        os.close(held)


def test_facts_holds_and_reads_see_the_regular_files(root: safe_fs.Root) -> None:
    data = b"\x00abc\r\n" * 1000
    assert safe_fs.facts(root, "uploads/a.bin").size == len(data)
    assert safe_fs.holds(root, "uploads/a.bin", data)
    assert not safe_fs.holds(root, "uploads/a.bin", data[:-1] + b"x")
    assert safe_fs.read_regular(root, "uploads/deep/b.txt", 100) == b"hello"
    assert safe_fs.read_regular(root, "uploads/deep/b.txt", 4) is None  # larger than asked


def test_no_symlink_fifo_or_parent_path_is_followed(root: safe_fs.Root) -> None:
    assert safe_fs.facts(root, "link/secret.txt") is None
    assert safe_fs.read_regular(root, "link/secret.txt", 100) is None
    assert safe_fs.read_regular(root, "filelink.txt", 100) is None
    assert not safe_fs.holds(root, "filelink.txt", b"hello")
    assert safe_fs.facts(root, "uploads/pipe") is None
    assert safe_fs.read_regular(root, "uploads/pipe", 100) is None  # never blocks on the FIFO
    assert safe_fs.facts(root, "uploads/../uploads/a.bin") is None


def test_walk_lists_the_same_files_from_a_path_or_a_descriptor(root: safe_fs.Root) -> None:
    assert sorted(rel for rel, _ in safe_fs.walk_files(root)) == ["uploads/a.bin", "uploads/deep/b.txt"]


def test_a_held_root_is_left_open_for_the_next_look(tree: Path) -> None:
    held = safe_fs.open_root(str(tree))
    assert held is not None
    try:
        for _ in range(3):
            assert safe_fs.facts(held, "uploads/deep/b.txt") is not None
        os.fstat(held)  # still open
    finally:
        os.close(held)


def test_the_witness_holds_each_root_once_and_nothing_after_close(tree: Path) -> None:
    from grader.behavior.observer.client import HttpClient
    from grader.behavior.observer.witness import Witness

    witness = Witness({".": tree}, HttpClient("/nonexistent.sock", "t"))
    held = witness.beneath(".")
    assert isinstance(held, int) and witness.beneath(".") == held
    assert witness.holds(".", "uploads/deep/b.txt", b"hello")
    witness.close()
    assert witness.beneath(".") == str(tree)  # a look after the run walks the path
    assert witness.read(".", "uploads/deep/b.txt", 100) == b"hello"
    assert witness._root_fds == {}  # closed, and not opened again by the looks after close
