"""The trusted parent re-checks the disk itself instead of believing the child.

The harness runs in the same process as the student's code, so its claims could be
forged by that code. For the checks whose claim is "these bytes are on disk", the
parent recomputes the payload the grader sent (from the nonce the parent chose) and
looks for an intact copy in its own view of the work area. A claim it cannot confirm
turns the verdict into a failure that says so.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from grader.behavior.harness.workarea import WorkArea
from grader.behavior.outcome import Verdict

if TYPE_CHECKING:
    from grader.behavior.harness.payloads import Payload


def _run_payloads(nonce: str) -> tuple[dict[str, list[Payload]], list[Payload]]:
    """The payloads each disk claim is about, and every non-empty upload of this run (a
    copy of any of them proves saving happened). Built once: the 16 MiB one costs ~2 ms."""
    try:
        from grader.behavior.harness import payloads
    except ImportError:
        return {}, []
    binary, large, unicode = payloads.binary_payload(nonce), payloads.large_payload(nonce), payloads.unicode_payload(nonce)
    concurrent = list(payloads.concurrent_payloads(nonce))
    by_check = {
        "saved-file-intact": [binary],
        "large-upload-intact": [large],
        "concurrent-uploads-intact": concurrent,
        "unicode-filename-handled": [unicode],
    }
    everything = [binary, large, unicode, *concurrent, *payloads.hostile_payloads(nonce)]
    return by_check, [p for p in everything if p.size]


def _intact_on_disk(root: Path, wanted: list[Payload]) -> set[str]:
    """SHA-256 of each wanted payload that has an intact copy under ``root`` now.

    The walk is the harness's own disk probe (``WorkArea.snapshot``), so the parent and
    the child agree on what "the work area" holds; a file of a wanted payload's size is
    compared with it byte for byte (a 16 MiB copy: read and compared, not hashed)."""
    snapshot = WorkArea(root).snapshot(frozenset(p.size for p in wanted), expected=wanted)
    on_disk = {(state.size, state.sha256) for state in snapshot.values() if state.sha256 is not None}
    return {p.sha256 for p in wanted if (p.size, p.sha256) in on_disk}


def recheck_disk(verdicts: dict[str, Verdict], work: Path, nonce: str | None) -> list[str]:
    """Downgrade passed disk claims the parent cannot confirm; return notes on what it did.

    A claim is confirmed when its payload is intact on disk now. An app that saves every
    upload under one fixed name keeps only the last one, so a claim whose copy is gone is
    still accepted when some other upload of this run is intact on disk (it was
    overwritten by a later upload); with no intact copy of any upload, it is refused.
    """
    by_check, everything = _run_payloads(nonce) if nonce else ({}, [])
    if not by_check:
        return ["The grader could not re-check saved files itself (no payload nonce)."]
    notes: list[str] = []
    claims = {cid: by_check[cid] for cid in by_check if verdicts.get(cid) and verdicts[cid].status == "passed"}
    if not claims:
        return notes
    wanted = {p.sha256: p for p in everything}
    wanted.update((p.sha256, p) for expected in claims.values() for p in expected)
    intact = _intact_on_disk(work, list(wanted.values()))
    any_intact = any(p.sha256 in intact for p in everything)
    for check_id, expected in claims.items():
        missing = [p for p in expected if p.sha256 not in intact]
        if missing and any_intact:
            verdicts[check_id].details["parent_recheck"] = "overwritten by a later upload"
        elif missing:
            old = verdicts[check_id]
            verdicts[check_id] = Verdict(
                check_id, "failed",
                f"The grader re-checked your app's folder after the run and found no intact copy of "
                f"{len(missing)} of {len(expected)} uploaded file(s), although the run inside the "
                "sandbox reported one: the saved file was changed or removed afterwards, or the "
                "result was tampered with.",
                {**old.details, "parent_recheck": "failed"},
                old.title, old.points,
            )
            notes.append(f"parent re-check failed for {check_id}")
        else:
            verdicts[check_id].details["parent_recheck"] = "confirmed"
    return notes


def claimed_nonce(verdict: Verdict, work: Path) -> str | None:
    """Without the nonce echoed back, read it from the first claimed copy
    (``grader upload <nonce>\\r\\n...``) so the payload can still be rebuilt and compared."""
    paths = verdict.details.get("saved_files")
    if not isinstance(paths, list):
        measured = str(verdict.details.get("measured", ""))
        paths = [p.strip() for p in measured.split(",") if p.strip()]
    for rel in paths[:5]:
        if not isinstance(rel, str):
            continue
        candidate = (work / rel)
        try:
            candidate.resolve().relative_to(work.resolve())
            with open(candidate, "rb") as handle:
                first = handle.readline(200)
        except (OSError, ValueError):
            continue
        if first.startswith(b"grader upload ") and first.endswith(b"\r\n"):
            return first[len(b"grader upload ") : -2].decode("ascii", "replace")
    return None
