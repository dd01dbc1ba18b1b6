"""The parent's own re-check of the disk claims (both sides)."""

from __future__ import annotations

from pathlib import Path

from grader.behavior.harness import payloads
from grader.behavior.outcome import Verdict
from grader.behavior.sandbox.verify import claimed_nonce, recheck_disk

NONCE = "0123456789ab"


def claims() -> dict[str, Verdict]:
    return {"saved-file-intact": Verdict("saved-file-intact", "passed", "Saved intact as uploads/x.txt.",
                                         {"measured": "uploads/x.txt"})}


def test_a_claim_with_the_bytes_on_disk_is_confirmed(tmp_path: Path):
    (tmp_path / "uploads").mkdir()
    (tmp_path / "uploads" / "x.txt").write_bytes(payloads.binary_payload(NONCE).data)
    verdicts = claims()
    assert recheck_disk(verdicts, tmp_path, NONCE) == []
    assert verdicts["saved-file-intact"].status == "passed"
    assert verdicts["saved-file-intact"].details["parent_recheck"] == "confirmed"


def test_a_forged_claim_with_nothing_on_disk_fails(tmp_path: Path):
    verdicts = claims()
    notes = recheck_disk(verdicts, tmp_path, NONCE)
    assert verdicts["saved-file-intact"].status == "failed"
    assert "re-checked" in verdicts["saved-file-intact"].feedback and notes


def test_a_corrupted_copy_does_not_count(tmp_path: Path):
    (tmp_path / "x.txt").write_bytes(payloads.binary_payload(NONCE).data.replace(b"\r\n", b"\n"))
    verdicts = claims()
    recheck_disk(verdicts, tmp_path, NONCE)
    assert verdicts["saved-file-intact"].status == "failed"


def test_a_copy_overwritten_by_a_later_upload_of_the_run_is_accepted(tmp_path: Path):
    (tmp_path / "saved.bin").write_bytes(payloads.unicode_payload(NONCE).data)  # fixed-name app
    verdicts = claims()
    recheck_disk(verdicts, tmp_path, NONCE)
    assert verdicts["saved-file-intact"].status == "passed"
    assert verdicts["saved-file-intact"].details["parent_recheck"] == "overwritten by a later upload"


def test_the_nonce_can_be_read_back_from_a_claimed_copy(tmp_path: Path):
    (tmp_path / "uploads").mkdir()
    (tmp_path / "uploads" / "x.txt").write_bytes(payloads.binary_payload(NONCE).data)
    assert claimed_nonce(claims()["saved-file-intact"], tmp_path) == NONCE
    escaping = Verdict("saved-file-intact", "passed", "", {"measured": "../../etc/passwd"})
    assert claimed_nonce(escaping, tmp_path) is None
