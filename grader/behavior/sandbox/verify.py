"""The trusted parent re-checks the disk itself instead of believing the child.

The harness runs in the same process as the student's code, so its claims could be
forged by that code. For the checks whose claim is "these bytes are on disk", the
parent recomputes the payload the grader sent (from the nonce the parent chose) and
looks for an intact copy in its own view of the work area. A claim it cannot confirm
turns the verdict into a failure that says so.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Callable

from grader.behavior.harness.workarea import WorkArea
from grader.behavior.outcome import Verdict


def _payload_makers() -> dict[str, Callable[[str], list[bytes]]]:
    try:
        from grader.behavior.harness import payloads
    except ImportError:
        return {}
    return {
        "saved-file-intact": lambda n: [payloads.binary_payload(n).data],
        "large-upload-intact": lambda n: [payloads.large_payload(n).data],
        "concurrent-uploads-intact": lambda n: [p.data for p in payloads.concurrent_payloads(n)],
        "unicode-filename-handled": lambda n: [payloads.unicode_payload(n).data],
    }


def _all_payloads(nonce: str) -> list[bytes]:
    """Every non-empty upload of this run: a copy of any of them proves saving happened."""
    try:
        from grader.behavior.harness import payloads
    except ImportError:
        return []
    found = [payloads.binary_payload(nonce), payloads.large_payload(nonce), payloads.unicode_payload(nonce)]
    found += payloads.concurrent_payloads(nonce) + payloads.hostile_payloads(nonce)
    return [p.data for p in found if p.data]


def _hashes_by_size(root: Path, sizes: set[int]) -> dict[int, set[str]]:
    """SHA-256 of every regular file under ``root`` whose size is one we look for.

    The same walk as the harness's own disk probe (``WorkArea.snapshot``), so the parent
    and the child agree on what "the work area" holds."""
    found: dict[int, set[str]] = {}
    for state in WorkArea(root).snapshot(frozenset(sizes)).values():
        if state.sha256 is not None:
            found.setdefault(state.size, set()).add(state.sha256)
    return found


def recheck_disk(verdicts: dict[str, Verdict], work: Path, nonce: str | None) -> list[str]:
    """Downgrade passed disk claims the parent cannot confirm; return notes on what it did.

    A claim is confirmed when its payload is intact on disk now. An app that saves every
    upload under one fixed name keeps only the last one, so a claim whose copy is gone is
    still accepted when some other upload of this run is intact on disk (it was
    overwritten by a later upload); with no intact copy of any upload, it is refused.
    """
    makers = _payload_makers()
    if not nonce or not makers:
        return ["The grader could not re-check saved files itself (no payload nonce)."]
    notes: list[str] = []
    claims = {cid: makers[cid](nonce) for cid in makers if verdicts.get(cid) and verdicts[cid].status == "passed"}
    if not claims:
        return notes
    everything = _all_payloads(nonce)
    sizes = {len(data) for datas in claims.values() for data in datas} | {len(d) for d in everything}
    on_disk = _hashes_by_size(work, sizes)
    any_intact = any(hashlib.sha256(d).hexdigest() in on_disk.get(len(d), set()) for d in everything)
    for check_id, datas in claims.items():
        missing = [
            data for data in datas
            if hashlib.sha256(data).hexdigest() not in on_disk.get(len(data), set())
        ]
        if missing and any_intact:
            verdicts[check_id].details["parent_recheck"] = "overwritten by a later upload"
        elif missing:
            old = verdicts[check_id]
            verdicts[check_id] = Verdict(
                check_id, "failed",
                f"The grader re-checked your app's folder after the run and found no intact copy of "
                f"{len(missing)} of {len(datas)} uploaded file(s), although the run inside the "
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
