"""Robustness checks (check50 style): large, concurrent, hostile, missing, empty and Unicode uploads.

Each runs after the core upload and is skipped when its prerequisite did not pass. Every
payload is drawn fresh by the parent; a copy found on disk is proof of a save.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from pathlib import Path

from grader.behavior.checks.context import CheckContext, UploadObservation, check, is_2xx, is_4xx, verdict
from grader.behavior.checks.core import SAVE_FIX
from grader.behavior.checks.evidence import Path2, shown
from grader.behavior.observer import safe_fs
from grader.behavior.observer.disk_watch import CLOSE_WRITE, CREATE, MOVED_TO, WRITES
from grader.behavior.observer.payloads import (
    CONCURRENT_UPLOADS,
    concurrent_payloads,
    empty_payload,
    hostile_payloads,
    large_payload,
    unicode_payload,
)
from grader.behavior.outcome import Verdict


def _new_files(run: UploadObservation) -> str:
    listed = [f"{shown(p)} ({run.final_sizes.get(p, 0):,} bytes)" for p in run.created[:5]]
    return ", ".join(listed) or "none"


@check("large-upload-intact", requires=("saved-file-intact",))
async def large_upload_intact(ctx: CheckContext) -> Verdict:
    """A large upload (4 MiB unless the rubric sets behavior.large_upload_mb) is accepted and saved byte for byte."""
    run = await ctx.upload_for_copy("large", large_payload(ctx.large_upload_mb))
    if (waited := ctx.unanswered("large-upload-intact", [run.exchange])) is not None:
        return waited
    size = f"{ctx.large_upload_mb:g} MiB"
    copies = run.intact()
    if is_2xx(run.exchange) and copies:
        return verdict("large-upload-intact", True, f"The {size} upload was saved intact as {copies[0]}.",
                       saved_files=copies)
    return verdict(
        "large-upload-intact", False,
        f"The {size} upload was not saved byte for byte." if is_2xx(run.exchange)
        else f"The {size} upload did not get a 2xx response.",
        sent=ctx.sent(run.payload), received=run.exchange.received(), measured=f"new files: {_new_files(run)}",
        fix="Do not limit the size or read a fixed number of bytes: copy until the end of the upload. " + SAVE_FIX,
    )


@check("concurrent-uploads-intact", requires=("saved-file-intact",))
async def concurrent_uploads_intact(ctx: CheckContext) -> Verdict:
    """Eight uploads sent at the same time, with distinct names and contents, are all saved byte for byte: no upload overwrites another."""
    # An app whose tasks block the event loop serves uploads one task at a time: two
    # uploads at once still show an overwrite, in a time the run has.
    payloads = concurrent_payloads()[:2 if ctx.stall_prone else CONCURRENT_UPLOADS]
    runs = await asyncio.gather(*(ctx.upload_for_copy(f"concurrent-{i}", p) for i, p in enumerate(payloads)))
    if (waited := ctx.unanswered("concurrent-uploads-intact", [r.exchange for r in runs])) is not None:
        return waited
    saved: set[str] = set()
    missing = []
    for payload, run in zip(payloads, runs):
        copies = run.intact()
        saved.update(copies)
        if not copies:
            missing.append(payload.filename)
    refused = [f"{p.filename}: {r.exchange.received()}" for p, r in zip(payloads, runs) if not is_2xx(r.exchange)]
    if not missing and not refused:
        return verdict("concurrent-uploads-intact", True,
                       f"All {len(payloads)} concurrent uploads were saved intact.", saved_files=sorted(saved))
    shared = _shared_name(runs)
    cause = (f" They were saved under one name, {shown(shared)}: each upload overwrote the one before "
             "(or their bytes interleaved)." if shared else "")
    return verdict(
        "concurrent-uploads-intact", False,
        f"{len(missing)} of {len(payloads)} concurrent uploads were not saved intact"
        + (f"; {len(refused)} did not get a 2xx" if refused else "") + "." + cause,
        sent=f"{len(payloads)} uploads at once to {ctx.route_text()}: "
             + ", ".join(p.filename for p in payloads[:3]) + ", ...",
        received="; ".join(refused[:3]) or "all 2xx",
        measured=f"missing or overwritten: {', '.join(missing)}",
        shared_name=shown(shared) if shared else None,
        fix=("Give every upload its own file name (a uuid4, plus the sanitized original suffix); "
             "a fixed name makes uploads overwrite each other."),
    )


def _shared_name(runs: list[UploadObservation]) -> Path2 | None:
    """The file several uploads were each saved to (a fixed save name), if any: it holds
    the bytes of one of them at the end, and it was written and closed more than once
    while they ran. (The uploads' event windows overlap: each event counts once.)"""
    events = {e.position: e for run in runs for e in run.events}
    closes: Counter[Path2] = Counter((e.root, e.path) for e in events.values()
                                     if not e.is_dir and e.kind in (CLOSE_WRITE, MOVED_TO))
    holders = sorted({path for run in runs for path in run.evidence.copies}, key=lambda p: (-closes[p], p))
    for path in holders:
        if closes[path] >= 2:
            return path
    return None


@check("filename-contained", requires=("saved-file-intact",))
async def filename_contained(ctx: CheckContext) -> Verdict:
    """An upload named like ../../x.txt or /tmp/x.txt never creates a file outside the folder where normal uploads land. Rejecting it with a 4xx or sanitizing the name both pass."""
    primary = ctx.primary
    assert primary is not None
    landed = primary.evidence.copies + primary.evidence.copies_at_response + primary.created
    allowed = {(root, os.path.dirname(rel)) for root, rel in landed}
    payloads = hostile_payloads()
    runs = await asyncio.gather(*(ctx.upload_for_copy(f"hostile-{i}", p) for i, p in enumerate(payloads)))
    if (waited := ctx.unanswered("filename-contained", [r.exchange for r in runs])) is not None:
        return waited
    markers = [Path(p.filename).stem for p in payloads]
    written = {(e.root, e.path) for run in runs for e in run.events if not e.is_dir and e.kind in WRITES}
    escapes = sorted({path for path in written if any(m in path[1] for m in markers)
                      and (path[0], os.path.dirname(path[1])) not in allowed})
    escapes += _outside_roots(ctx, payloads)
    received = "; ".join(f"{r.payload.filename!r}: {r.exchange.received()}" for r in runs)
    folders = ", ".join(sorted(shown((root, folder)) or "." for root, folder in allowed)) or "."
    if not escapes:
        return verdict("filename-contained", True,
                       "Hostile file names stayed inside the upload folder (or were rejected).", received=received)
    return verdict(
        "filename-contained", False,
        "A hostile file name wrote a file outside the folder where uploads land: a client can "
        "overwrite any file your server may write.",
        sent=f"{ctx.route_text()} with filenames " + ", ".join(repr(p.filename) for p in payloads),
        received=received,
        measured=f"uploads land in {folders}; files written outside it: "
                 + ", ".join(shown(p) if isinstance(p, tuple) else p for p in escapes),
        fix=("Never join the client's filename to a path as is: keep only `Path(file.filename).name` "
             "(or generate a name with uuid4) and reject names that are empty or start with '.'."),
    )


def _outside_roots(ctx: CheckContext, payloads: list) -> list[str]:
    """Where the name leads from the app's folder, when that is outside every watched folder
    (possible only without a private root): our own marker files, removed once seen."""
    found = []
    work = ctx.witness.roots["."]
    for payload in payloads:
        path = Path(os.path.normpath(work / payload.filename))
        if any(path == root or root in path.parents for root in ctx.witness.roots.values()):
            continue
        if safe_fs.facts(str(path.parent), path.name) is not None:
            found.append(str(path))
            try:
                os.unlink(path)
            except OSError:
                pass
    return found


@check("missing-file-rejected", requires=("app-loads",))
async def missing_file_rejected(ctx: CheckContext) -> Verdict:
    """A POST without the file field gets a 4xx answer (FastAPI's validation gives 422), not a server error."""
    exchange = await ctx.post("missing-file", ctx.budget(), data={"comment": "no file here"})
    if (waited := ctx.unanswered("missing-file-rejected", [exchange])) is not None:
        return waited
    sent = f"{ctx.route_text()} with a form that has no `{ctx.app.field}` field"
    if is_4xx(exchange):
        return verdict("missing-file-rejected", True, f"Answered {exchange.status}.", sent=sent)
    return verdict(
        "missing-file-rejected", False, "A request without the file did not get a 4xx answer.",
        sent=sent, received=exchange.received(),
        fix=("Declare the parameter as required (`file: UploadFile`, no default) so FastAPI answers 422, "
             "or raise HTTPException(400) when it is missing."),
    )


@check("empty-upload-handled", requires=("app-loads",))
async def empty_upload_handled(ctx: CheckContext) -> Verdict:
    """A 0-byte upload gets a 2xx or a 4xx answer, not a 5xx."""
    run = await ctx.upload("empty", empty_payload(), wait_for_tasks=False)
    if (waited := ctx.unanswered("empty-upload-handled", [run.exchange])) is not None:
        return waited
    if is_2xx(run.exchange) or is_4xx(run.exchange):
        return verdict("empty-upload-handled", True, f"Answered {run.exchange.status}.")
    return verdict(
        "empty-upload-handled", False, "A 0-byte upload did not get a 2xx or 4xx answer.",
        sent=ctx.sent(run.payload), received=run.exchange.received(),
        fix="Handle empty files: accept them, or answer HTTPException(400, \"empty file\").",
    )


@check("unicode-filename-handled", requires=("saved-file-intact",))
async def unicode_filename_handled(ctx: CheckContext) -> Verdict:
    """An upload named 'résumé 東京.txt' gets a 2xx and is saved byte for byte."""
    run = await ctx.upload_for_copy("unicode", unicode_payload())
    copies = run.intact()
    if is_2xx(run.exchange) and copies:
        return verdict("unicode-filename-handled", True, f"Saved intact as {copies[0]}.", saved_files=copies)
    return verdict(
        "unicode-filename-handled", False,
        "The upload named 'résumé 東京.txt' was not accepted and saved intact.",
        sent=ctx.sent(run.payload), received=run.exchange.received(), measured=f"new files: {_new_files(run)}",
        fix="Keep file names as str (no .encode('ascii')), and write the content in binary mode.",
    )
