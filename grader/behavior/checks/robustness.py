"""Robustness checks (check50 style): big, concurrent, hostile, missing, empty and Unicode uploads.

Each runs after the core upload and is skipped when its prerequisite did not pass; they
run one after the other so an app that writes every upload to one fixed name cannot make
one check's upload overwrite another's (only the concurrency check overlaps uploads).
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from grader.behavior.harness.check_context import CheckContext, UploadRun, check, is_2xx, is_4xx, verdict
from grader.behavior.outcome import Verdict
from grader.behavior.harness.payloads import (
    CONCURRENT_UPLOADS,
    concurrent_payloads,
    empty_payload,
    hostile_payloads,
    large_payload,
    unicode_payload,
)
from grader.behavior.harness.workarea import copies_of, new_files

_BINARY_FIX = ("Write the bytes you read (`await file.read()`, or `shutil.copyfileobj(file.file, out)`) "
               "to a file opened with \"wb\".")
_MAX_SCANNED = 20_000


def _intact(run: UploadRun) -> list[str]:
    return copies_of(run.after, run.payload.sha256)


@check("large-upload-intact", requires=("saved-file-intact",))
async def large_upload_intact(ctx: CheckContext) -> Verdict:
    """A 16 MiB upload is accepted and saved byte for byte."""
    run = await ctx.upload("large", large_payload(ctx.nonce))
    copies = _intact(run)
    ok = is_2xx(run.exchange) and bool(copies)
    if ok:
        return verdict("large-upload-intact", True, f"The 16 MiB upload was saved intact as {copies[0]}.",
                       saved_files=copies)
    sizes = ", ".join(f"{p} ({run.after[p].size:,} bytes)" for p in new_files(run.before, run.after)[:5])
    return verdict(
        "large-upload-intact", False,
        "The 16 MiB upload was not saved byte for byte." if is_2xx(run.exchange)
        else "The 16 MiB upload did not get a 2xx response.",
        sent=ctx.sent(run.payload), received=run.exchange.received(),
        measured=f"new files: {sizes or 'none'}",
        fix="Do not limit the size or read a fixed number of bytes; " + _BINARY_FIX,
    )


@check("concurrent-uploads-intact", requires=("saved-file-intact",))
async def concurrent_uploads_intact(ctx: CheckContext) -> Verdict:
    """Eight uploads sent at the same time, with distinct names and contents, are all saved byte for byte: no upload overwrites another."""
    payloads = concurrent_payloads(ctx.nonce)
    before = ctx.area.snapshot()
    budget = ctx.budget()
    route = ctx.found.route
    exchanges = await asyncio.gather(*(
        ctx.driver.post(
            f"concurrent-{index}", route.path, budget,
            files={route.field: (p.filename, p.data, p.content_type)}, filename=p.filename, sha256=p.sha256,
        )
        for index, p in enumerate(payloads)
    ))
    after = ctx.area.snapshot({p.size for p in payloads}, expected=payloads)
    missing = [p.filename for p in payloads if not copies_of(after, p.sha256)]
    refused = [f"{p.filename}: {e.received()}" for p, e in zip(payloads, exchanges, strict=True) if not is_2xx(e)]
    timed_out = sum(e.timed_out for e in exchanges)
    ok = not missing and not refused
    if ok:
        saved = sorted({path for p in payloads for path in copies_of(after, p.sha256)})
        return verdict("concurrent-uploads-intact", True, f"All {CONCURRENT_UPLOADS} concurrent uploads were saved intact.",
                       saved_files=saved)
    return verdict(
        "concurrent-uploads-intact", False,
        f"{len(missing)} of {CONCURRENT_UPLOADS} concurrent uploads were not saved intact"
        + (f"; {len(refused)} did not get a 2xx" if refused else "")
        + (f"; {timed_out} did not finish within {budget:g} s" if timed_out else "") + ".",
        sent=f"{CONCURRENT_UPLOADS} uploads at once to {ctx.route_text()}: "
             + ", ".join(p.filename for p in payloads[:3]) + ", ...",
        received="; ".join(refused[:3]) or "all 2xx",
        measured=f"missing or overwritten: {', '.join(missing)}; new files: {', '.join(new_files(before, after)[:10])}",
        fix=("Give every upload its own file name (e.g. a uuid4 plus the sanitized original name); "
             "a fixed name makes uploads overwrite each other."),
    )


def _marked_files(roots: list[Path], markers: list[str]) -> set[Path]:
    found: set[Path] = set()
    seen = 0
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            dirnames[:] = [d for d in dirnames if d != "__pycache__"]
            seen += len(filenames) + len(dirnames)
            if seen > _MAX_SCANNED:
                break
            found.update(Path(dirpath, n) for n in filenames if any(m in n for m in markers))
    return found


@check("filename-contained", requires=("saved-file-intact",))
async def filename_contained(ctx: CheckContext) -> Verdict:
    """An upload named like ../../x.txt or /tmp/x.txt never creates a file outside the folder where normal uploads land. Rejecting it with a 4xx or sanitizing the name both pass."""
    primary = ctx.primary
    assert primary is not None
    root = ctx.area.root
    landed = copies_of(primary.after, primary.payload.sha256) + new_files(primary.before, primary.after)
    allowed = {(root / rel).parent.resolve() for rel in landed}
    payloads = hostile_payloads(ctx.nonce)
    runs = await asyncio.gather(*(ctx.upload(f"hostile-{i}", p) for i, p in enumerate(payloads)))
    markers = [Path(p.filename).stem for p in payloads]
    found = _marked_files([ctx.sandbox_root, root], markers)
    for folder in allowed | {root}:
        for payload in payloads:
            candidate = Path(os.path.normpath(folder / payload.filename))
            if candidate.is_file():
                found.add(candidate)
    escapes = sorted({str(f) for f in found if f.parent.resolve() not in allowed})
    for path in escapes:  # our own marker files: remove them so nothing outlives the run
        try:
            os.unlink(path)
        except OSError:
            pass
    received = "; ".join(f"{r.payload.filename!r}: {r.exchange.received()}" for r in runs)
    uploads_dir = ", ".join(sorted(ctx.area.relative(d) or "." for d in allowed)) or "."
    if not escapes:
        return verdict("filename-contained", True,
                       "Hostile file names stayed inside the upload folder (or were rejected).", received=received)
    return verdict(
        "filename-contained", False,
        "A hostile file name wrote a file outside the folder where uploads land: a client can "
        "overwrite any file your server may write.",
        sent=f"{ctx.route_text()} with filenames " + ", ".join(repr(p.filename) for p in payloads),
        received=received,
        measured=f"uploads land in {uploads_dir}; files written outside it: {', '.join(escapes)}",
        fix=("Never join the client's filename to a path as is: keep only `Path(file.filename).name` "
             "(or generate a name with uuid4) and reject names that are empty or start with '.'."),
    )


@check("missing-file-rejected", requires=("app-loads",))
async def missing_file_rejected(ctx: CheckContext) -> Verdict:
    """A POST without the file field gets a 4xx answer (FastAPI's validation gives 422), not a server error."""
    exchange = await ctx.driver.post("missing-file", ctx.found.route.path, ctx.budget(), data={"comment": "no file here"})
    ok = is_4xx(exchange)
    sent = f"{ctx.route_text()} with a form that has no `{ctx.found.route.field}` field"
    if ok:
        return verdict("missing-file-rejected", True, f"Answered {exchange.status}.", sent=sent)
    return verdict(
        "missing-file-rejected", False,
        "A request without the file did not get a 4xx answer.",
        sent=sent, received=exchange.received(),
        fix=("Declare the parameter as required (`file: UploadFile`, no default) so FastAPI answers 422, "
             "or raise HTTPException(400) when it is missing."),
        error=exchange.app_error,
    )


@check("empty-upload-handled", requires=("app-loads",))
async def empty_upload_handled(ctx: CheckContext) -> Verdict:
    """A 0-byte upload gets a 2xx or a 4xx answer, not a 5xx."""
    run = await ctx.upload("empty", empty_payload(ctx.nonce))
    ok = is_2xx(run.exchange) or is_4xx(run.exchange)
    if ok:
        return verdict("empty-upload-handled", True, f"Answered {run.exchange.status}.")
    return verdict(
        "empty-upload-handled", False,
        "A 0-byte upload did not get a 2xx or 4xx answer.",
        sent=ctx.sent(run.payload), received=run.exchange.received(),
        fix="Handle empty files: accept them, or answer HTTPException(400, \"empty file\").",
        error=run.exchange.app_error,
    )


@check("unicode-filename-handled", requires=("saved-file-intact",))
async def unicode_filename_handled(ctx: CheckContext) -> Verdict:
    """An upload named 'résumé 東京.txt' gets a 2xx and is saved byte for byte."""
    run = await ctx.upload("unicode", unicode_payload(ctx.nonce))
    copies = _intact(run)
    ok = is_2xx(run.exchange) and bool(copies)
    if ok:
        return verdict("unicode-filename-handled", True, f"Saved intact as {copies[0]}.", saved_files=copies)
    return verdict(
        "unicode-filename-handled", False,
        "The upload named 'résumé 東京.txt' was not accepted and saved intact.",
        sent=ctx.sent(run.payload), received=run.exchange.received(),
        measured=f"new files: {', '.join(new_files(run.before, run.after)[:5]) or 'none'}",
        fix="Keep file names as str (no .encode('ascii')), and write the content in binary mode.",
        error=run.exchange.app_error,
    )
