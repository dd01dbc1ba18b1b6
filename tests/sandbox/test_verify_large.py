"""The parent's re-check of the 16 MiB upload: compared byte for byte, not hashed (both sides)."""

from __future__ import annotations

from pathlib import Path

from grader.behavior.harness import payloads
from grader.behavior.outcome import Verdict
import pytest

from grader.behavior.harness import workarea
from grader.behavior.sandbox.verify import recheck_disk

NONCE = "0123456789ab"


def large_claim() -> dict[str, Verdict]:
    return {"large-upload-intact": Verdict("large-upload-intact", "passed", "Saved intact.", {})}


def write_large(path: Path, change_at: int | None = None) -> None:
    data = bytearray(payloads.large_payload(NONCE).data)
    if change_at is not None:
        data[change_at] ^= 0xFF
    path.write_bytes(bytes(data))


def test_an_intact_large_copy_is_compared_not_hashed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    write_large(tmp_path / "big.bin")

    class NoHashing:
        @staticmethod
        def sha256(*_args: object) -> None:
            raise AssertionError("the work area hashed a file instead of comparing it")

    monkeypatch.setattr(workarea, "hashlib", NoHashing)
    verdicts = large_claim()
    assert recheck_disk(verdicts, tmp_path, NONCE) == []
    assert verdicts["large-upload-intact"].details["parent_recheck"] == "confirmed"


def test_an_intact_large_copy_is_confirmed(tmp_path: Path):
    write_large(tmp_path / "big.bin")
    verdicts = large_claim()
    assert recheck_disk(verdicts, tmp_path, NONCE) == []
    assert verdicts["large-upload-intact"].details["parent_recheck"] == "confirmed"


def test_a_large_copy_changed_in_its_last_byte_fails(tmp_path: Path):
    write_large(tmp_path / "big.bin", change_at=-1)
    verdicts = large_claim()
    notes = recheck_disk(verdicts, tmp_path, NONCE)
    assert verdicts["large-upload-intact"].status == "failed" and notes


def test_a_large_copy_changed_in_the_middle_fails_even_next_to_a_processed_copy(tmp_path: Path):
    write_large(tmp_path / "big.bin", change_at=payloads.LARGE_SIZE // 2)
    (tmp_path / "big.bin.processed").write_bytes(payloads.large_payload(NONCE).data[::-1])
    verdicts = large_claim()
    recheck_disk(verdicts, tmp_path, NONCE)
    assert verdicts["large-upload-intact"].status == "failed"


def test_one_intact_copy_among_same_size_files_is_found(tmp_path: Path):
    (tmp_path / "a-processed.bin").write_bytes(payloads.large_payload(NONCE).data[::-1])
    write_large(tmp_path / "b.bin")
    verdicts = large_claim()
    recheck_disk(verdicts, tmp_path, NONCE)
    assert verdicts["large-upload-intact"].details["parent_recheck"] == "confirmed"


def test_the_large_copy_of_another_run_does_not_count(tmp_path: Path):
    (tmp_path / "big.bin").write_bytes(payloads.large_payload("ffffffffffff").data)
    verdicts = large_claim()
    recheck_disk(verdicts, tmp_path, NONCE)
    assert verdicts["large-upload-intact"].status == "failed"
