"""Hostile archives: each is refused with one clear line and writes nothing anywhere.

The archives are built here (a zip bomb does not belong in git); the good archive
next to them proves the same code still extracts a normal submission.
"""

from __future__ import annotations

import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from grader.discovery import archive, load_submission
from grader.errors import SubmissionError
from tests.hostile.support import SUBMISSIONS, grade_hostile

APP = (SUBMISSIONS / "source_crlf" / "main.py").read_bytes().replace(b"\r\n", b"\n")


def build(path: Path, entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in entries:
            zf.writestr(info, data)
    return path


def symlink_entry(name: str, target: str) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, target.encode()


def lying_header(path: Path) -> Path:
    """A zip whose central directory claims a 10-byte file that really holds 4 KiB."""
    build(path, [("main.py", APP), ("data.bin", b"A" * 4096)])
    raw = bytearray(path.read_bytes())
    central = raw.rfind(b"PK\x01\x02")  # the last central directory entry: data.bin
    raw[central + 24 : central + 28] = (10).to_bytes(4, "little")  # uncompressed size
    path.write_bytes(bytes(raw))
    return path


HOSTILE = {
    "zip_slip": lambda p: build(p, [("main.py", APP), ("../../HOSTILE-escape.txt", b"pwned")]),
    "absolute_name": lambda p: build(p, [("main.py", APP), ("/tmp/HOSTILE-escape.txt", b"pwned")]),
    "drive_letter": lambda p: build(p, [("main.py", APP), ("C:\\HOSTILE-escape.txt", b"pwned")]),
    "backslash_slip": lambda p: build(p, [("main.py", APP), ("..\\..\\HOSTILE-escape.txt", b"pwned")]),
    "symlink": lambda p: build(p, [("main.py", APP), symlink_entry("link", "/etc/passwd")]),
    "too_many_files": lambda p: build(p, [(f"f{i}.txt", b"x") for i in range(archive.MAX_ENTRIES + 1)]),
    "zip_bomb_ratio": lambda p: build(p, [("main.py", APP), ("zeros.bin", bytes(8 * 1024 * 1024))]),
    "duplicate_names": lambda p: build(p, [("main.py", APP), ("main.py", b"import os\n")]),
    "lying_header": lying_header,
    "not_a_zip": lambda p: (p.write_bytes(b"PK\x03\x04 this is not really a zip"), p)[1],
}
EXPECTED = {
    "zip_slip": "points outside the archive",
    "absolute_name": "absolute path",
    "drive_letter": "absolute path",
    "backslash_slip": "points outside the archive",
    "symlink": "is a symlink",
    "too_many_files": "entries (limit",
    "zip_bomb_ratio": "zip bomb",
    "duplicate_names": "appears twice",
    "lying_header": "damaged or unsupported",
    "not_a_zip": "not a readable zip archive",
}


@pytest.mark.filterwarnings("ignore:Duplicate name")
@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_archive_is_refused(kind, tmp_path, grader_temp):
    path = HOSTILE[kind](tmp_path / f"{kind}.zip")
    with pytest.raises(SubmissionError) as caught:
        load_submission(path)
    message = str(caught.value)
    assert EXPECTED[kind] in message
    assert "\n" not in message
    assert list(grader_temp.iterdir()) == []  # the extraction dir is gone too
    assert not list(tmp_path.parent.glob("**/HOSTILE-escape.txt"))
    assert not Path("/tmp/HOSTILE-escape.txt").exists()


def test_total_size_is_enforced_while_streaming(tmp_path, grader_temp, monkeypatch):
    monkeypatch.setattr(archive, "MAX_TOTAL_BYTES", 1024 * 1024)
    path = build(tmp_path / "big.zip", [("main.py", APP), ("a.bin", b"a" * 700_000), ("b.bin", b"b" * 700_000)])
    with pytest.raises(SubmissionError, match="decompresses past 1 MiB"):
        load_submission(path)
    assert list(grader_temp.iterdir()) == []


def test_good_archive_is_extracted_and_graded(tmp_path, grader_temp):
    path = build(tmp_path / "good.zip", [("project/", b""), ("project/main.py", APP)])
    with load_submission(path) as submission:
        assert submission.root.name == "project"
        assert [p.name for p in submission.python_files] == ["main.py"]
    graded = grade_hostile(path, grader_temp)
    assert graded.check("saved-file-intact")["status"] == "passed"


def test_cli_refuses_a_zip_slip_in_one_line(tmp_path):
    path = HOSTILE["zip_slip"](tmp_path / "slip.zip")
    done = subprocess.run(
        [sys.executable, "-m", "grader", "grade", str(path), "--format", "json"],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "points outside the archive" in done.stderr
