"""The mission's core checks, check50 style, decided from what the parent observed.

Each function's docstring is what the student reads (it matches ``catalog.py``);
``requires`` names its prerequisites (a check whose prerequisite did not pass is
skipped, never failed). Every pass rests on the parent's own observations: its HTTP
exchange, its disk watch, the held sends. The app's own account of its tasks
(``advisory``) only adds detail, or takes a pass away.
"""

from __future__ import annotations

import asyncio
import time

from grader.behavior.checks import diagnosis
from grader.behavior.checks.context import CheckContext, UploadObservation, check, is_2xx, verdict
from grader.behavior.checks.evidence import shown
from grader.behavior.observer.disk_watch import FileEvent
from grader.behavior.observer.loop_probe import LoopProbes
from grader.behavior.observer.payloads import primary_payload
from grader.behavior.outcome import Verdict

SAVE_FIX = ("Save the upload in the endpoint, in binary mode and in chunks: in a plain `def` endpoint, "
            "`with open(path, \"wb\") as out: shutil.copyfileobj(file.file, out)`; then schedule "
            "`background_tasks.add_task(process_file, path)` with the saved path.")


def primary_run(ctx: CheckContext) -> UploadObservation:
    """The primary upload's observation (every check after upload-accepted reads it)."""
    assert ctx.primary is not None, "upload-accepted runs first"
    return ctx.primary


PRIMARY_TASK_SHARE = 0.5


@check("app-loads")
async def app_loads(ctx: CheckContext) -> Verdict:
    """The grader finds your FastAPI() instance (or the one named in the rubric), imports it within the time limit and serves it: the server answers, and it has an upload route (a POST route with an UploadFile parameter)."""
    app = ctx.app
    return verdict("app-loads", True,
                   f"Found `{app.name}` with upload route {app.describe()} (form field `{app.field}`); "
                   "the server answered.", measured=" ".join(app.notes))


@check("upload-accepted", requires=("app-loads",))
async def upload_accepted(ctx: CheckContext) -> Verdict:
    """A normal multipart/form-data upload to your upload route gets a 2xx response."""
    probes = LoopProbes(ctx.witness)
    await probes.one(time.monotonic(), min(2.0, ctx.budget()))  # learn the event loop's thread
    probes.probes.clear()
    payload = primary_payload(ctx.fixture, ctx.fixture_base)
    stop = asyncio.Event()
    origin = time.monotonic()
    timing = asyncio.ensure_future(probes.during(origin, stop, ctx.budget()))
    try:
        # Slow is not broken: the primary upload's tasks may take up to half the time left
        # (~19 s of the default 45 s run), the other checks' uploads one exchange budget.
        run = await ctx.upload("primary", payload, hold=True,
                               task_wait_s=(ctx.deadline - time.monotonic()) * PRIMARY_TASK_SHARE)
    finally:
        stop.set()
        await timing
    ctx.primary = run
    ctx.loop_probes = probes
    exchange = run.exchange
    ok = is_2xx(exchange)
    return verdict(
        "upload-accepted", ok,
        "The upload got a 2xx response." if ok else "The upload did not get a 2xx response.",
        sent=ctx.sent(payload), received=exchange.received(),
        measured=f"response complete after {exchange.ms(exchange.done)} ms" if exchange.done else "",
        fix="" if ok else ("Accept `file: UploadFile` and `background_tasks: BackgroundTasks` parameters and "
                           "return a small JSON body; check the error above."),
        error=_app_error(run),
    )


@check("task-scheduled", requires=("upload-accepted",))
async def task_scheduled(ctx: CheckContext) -> Verdict:
    """After the response left the server, your app processed the upload: it read the saved file back or wrote output derived from it (saving it is not processing it). The grader sees this on the disk itself."""
    run = primary_run(ctx)
    evidence = run.evidence
    if (unseen := _unobservable("task-scheduled", run)) is not None:
        return unseen
    if evidence.work_after:
        return verdict("task-scheduled", True, "After the response: " + _work_after_text(run) + ".",
                       timeline=timeline(run))
    if (running := _still_running("task-scheduled", run)) is not None:
        return running
    return verdict(
        "task-scheduled", False,
        "Nothing was processed after the response: the saved upload was not read back and no output "
        "was written once the response had left" + _only_saved_after(run) + ". " + _advisory_tasks_text(run),
        sent=ctx.sent(run.payload), received=run.exchange.received(), measured=_timeline_text(run),
        fix=("Add a `background_tasks: BackgroundTasks` parameter and call "
             "`background_tasks.add_task(process_file, saved_path)` before returning; the task must "
             "do the processing (read the saved file, write its result)."),
        timeline=timeline(run),
    )


@check("response-before-processing", requires=("upload-accepted",))
async def response_before_processing(ctx: CheckContext) -> Verdict:
    """The processing happens after the response: before the response left the server, your app had not read the saved upload back nor written any output derived from it, and it did so afterwards. Saving the upload before responding is expected."""
    run = primary_run(ctx)
    evidence = run.evidence
    if (unseen := _unobservable("response-before-processing", run)) is not None:
        return unseen
    before = _processing_before_text(run)
    if before:
        return verdict(
            "response-before-processing", False,
            "The processing ran inside the request, before the response was sent: " + before + ". "
            "The client waited for it.",
            sent=ctx.sent(run.payload), received=run.exchange.received(), measured=_timeline_text(run),
            fix=("Move the processing into the function you pass to `background_tasks.add_task`; the "
                 "endpoint should only save the upload and schedule the task."),
            timeline=timeline(run),
        )
    if not evidence.work_after:
        if (running := _still_running("response-before-processing", run)) is not None:
            return running
        return verdict(
            "response-before-processing", False,
            "No processing was seen, before or after the response: the saved upload was never read "
            "back and nothing was derived from it" + _only_saved_after(run) + ". " + _advisory_tasks_text(run),
            sent=ctx.sent(run.payload), received=run.exchange.received(), measured=_timeline_text(run),
            fix=("Schedule the processing with `background_tasks.add_task(process_file, saved_path)`; "
                 "the task must read the saved file and write its result."),
            timeline=timeline(run),
        )
    return verdict("response-before-processing", True,
                   "The response left before the processing: " + _work_after_text(run) + " afterwards.",
                   measured=_timeline_text(run), timeline=timeline(run))


@check("task-completes", requires=("task-scheduled",))
async def task_completes(ctx: CheckContext) -> Verdict:
    """The work your app did after the response ended within the time limit, and no task raised. An exception in a task happens after the client got its 2xx: nobody learns about it, and the tasks scheduled after it never run."""
    run = primary_run(ctx)
    advisory = run.advisory or {}
    failed = [t for t in _advisory_tasks(run) if t.get("error")]
    if failed:
        error = failed[0]["error"]
        where = f" at {error.get('where')}" if error.get("where") else ""
        return verdict(
            "task-completes", False,
            f"Task {failed[0].get('name')} raised {error.get('type')}{where}: {error.get('message')}. "
            "The client already got its 2xx and never learns about this.",
            sent=ctx.sent(run.payload), received=run.exchange.received(), measured=_timeline_text(run),
            fix=_task_fix(error), timeline=timeline(run),
        )
    if not run.tasks_done:
        still = [t for t in _advisory_tasks(run) if t.get("ended_ms") is None]
        running = (f"task {still[0].get('name')} started {still[0].get('started_ms')} ms after the request "
                   "and was still running") if still else "the app did not say its tasks had ended"
        return Verdict(
            "task-completes", "timeout",
            f"The background work did not end within {run.tasks_wait_s or run.exchange.budget_s:.1f} s: {running}.",
            {"measured": _timeline_text(run), "timeline": timeline(run),
             "fix": "Make sure the task ends (no endless loop or wait); long work belongs in a worker queue."},
        )
    if advisory.get("app_error"):
        error = advisory["app_error"]
        return verdict("task-completes", False,
                       f"The app raised {error.get('type')} after the response: {error.get('message')}",
                       timeline=timeline(run))
    return verdict("task-completes", True, "The background work ended without an error.",
                   timeline=timeline(run))


@check("saved-file-intact", requires=("upload-accepted",))
async def saved_file_intact(ctx: CheckContext) -> Verdict:
    """A file your app wrote holds exactly the uploaded bytes, when the response left or after the tasks ran (the test file has NUL bytes, CRLF line ends and invalid UTF-8, so a text-mode write or a decode corrupts it)."""
    run = primary_run(ctx)
    copies = sorted({shown(p) for p in run.evidence.copies + run.evidence.copies_at_response})
    if copies:
        return verdict("saved-file-intact", True, f"Saved intact as {copies[0]}.", measured=", ".join(copies),
                       saved_files=copies)
    reason = explain_missing_copy(ctx, run)
    late = " (the tasks had not finished within the time limit)" if not run.tasks_done else ""
    return verdict(
        "saved-file-intact", False,
        f"No file your app wrote holds the uploaded bytes{late}: {reason}.",
        sent=ctx.sent(run.payload) + " with NUL bytes, CRLF and invalid UTF-8",
        received=run.exchange.received(), measured=reason, fix=SAVE_FIX,
        new_files=[shown(p) for p in run.created][:20],
    )


@check("saved-before-response", requires=("saved-file-intact",))
async def saved_before_response(ctx: CheckContext) -> Verdict:
    """The complete copy of the upload already existed when the response left the server: save the file in the endpoint, then schedule the processing of the saved path."""
    run = primary_run(ctx)
    evidence = run.evidence
    if (unseen := _unobservable("saved-before-response", run)) is not None:
        return unseen
    if evidence.exact:
        at_response = sorted(shown(p) for p in evidence.copies_at_response)
    else:  # no held send: a copy none of whose writes came after the response
        late = {(e.root, e.path) for e in evidence.saved_writes_after}
        at_response = sorted(shown(p) for p in evidence.copies if p not in late)
    if at_response:
        return verdict("saved-before-response", True,
                       f"{at_response[0]} was complete when the response left the server.",
                       saved_files=at_response)
    writes = evidence.saved_writes_after
    when = f"; it was written {_ms(run, writes[0])} ms after the request started" if writes else ""
    return verdict(
        "saved-before-response", False,
        "When the response left the server, no complete copy of the upload existed yet: the file is "
        "saved by the background work, after the client was told it was received" + when + ".",
        sent=ctx.sent(run.payload), received=run.exchange.received(), measured=_timeline_text(run),
        fix=SAVE_FIX, timeline=timeline(run),
    )


# ---- helpers ------------------------------------------------------------------------
def _still_running(check_id: str, run: UploadObservation) -> Verdict | None:
    """Nothing seen yet, but the app's tasks for the upload had not finished when the wait
    ended: not measured (a timeout), never a failure of a slow but correct app. (The app's
    own word that its tasks still run is advisory; a timeout on the core still caps the
    score, so claiming it gains nothing.)"""
    if run.tasks_done or run.exchange.status is None:
        return None
    names = [str(t.get("name")) for t in (run.advisory or {}).get("tasks") or []
             if isinstance(t, dict) and t.get("ended_ms") is None][:3]
    if not names:
        return None
    return Verdict(check_id, "timeout",
                   f"Not measured: your background task ({', '.join(names)}) was still running "
                   f"{run.tasks_wait_s or run.exchange.budget_s:.1f} s after the upload was sent, and had not "
                   "touched the saved file yet. The grader cannot see "
                   "processing that has not happened; a task must finish within the run's time limit.",
                   {"timeline": timeline(run)})


def _unobservable(check_id: str, run: UploadObservation) -> Verdict | None:
    """No verdict on order without a complete, trusted view of it: never a pass by default."""
    why = run.evidence.unobservable
    if why is None:
        return None
    return Verdict(check_id, "error", f"Could not be measured: {why}.", {"timeline": timeline(run)})


def _ms(run: UploadObservation, event: FileEvent) -> float:
    return round((event.stamp - run.exchange.started) * 1000, 1)


def _response_ms(run: UploadObservation) -> str:
    exchange = run.exchange
    return f"{exchange.ms(exchange.done)}" if exchange.done else "never"


def _work_after_text(run: UploadObservation) -> str:
    evidence = run.evidence
    parts = []
    reads = sorted({shown((e.root, e.path)) for e in evidence.reads_after})
    if reads:
        parts.append(f"{reads[0]} was read back")
    if evidence.derived_after:
        parts.append("wrote " + ", ".join(shown(p) for p in evidence.derived_after[:3]))
    return "; ".join(parts)


def _only_saved_after(run: UploadObservation) -> str:
    saves = sorted({shown((e.root, e.path)) for e in run.evidence.saved_writes_after})
    return f" (only the save of {saves[0]} happened after it)" if saves else ""


def _processing_before_text(run: UploadObservation) -> str:
    evidence = run.evidence
    parts = []
    if evidence.reads_before:
        first = evidence.reads_before[0]
        parts.append(f"{shown((first.root, first.path))} was read back at {_ms(run, first)} ms")
    if evidence.derived_before:
        parts.append(", ".join(shown(p) for p in evidence.derived_before[:3]) + " already existed")
    if not parts:
        return ""
    return "; ".join(parts) + f" (response complete at {_response_ms(run)} ms)"


def _advisory_tasks(run: UploadObservation) -> list[dict]:
    tasks = (run.advisory or {}).get("tasks")
    return [t for t in tasks if isinstance(t, dict)] if isinstance(tasks, list) else []


def _advisory_tasks_text(run: UploadObservation) -> str:
    tasks = _advisory_tasks(run)
    if not tasks:
        return "Your app reports that no BackgroundTasks task ran."
    names = ", ".join(str(t.get("name")) for t in tasks[:3])
    failed = [t for t in tasks if t.get("error")]
    if failed:
        error = failed[0]["error"]
        return (f"Your app reports that task {failed[0].get('name')} raised {error.get('type')}: "
                f"{error.get('message')}.")
    return f"Your app reports task(s) {names} ran, but they did nothing the grader could see on disk."


def _app_error(run: UploadObservation) -> dict | None:
    error = (run.advisory or {}).get("app_error")
    return error if isinstance(error, dict) else None


def _timeline_text(run: UploadObservation) -> str:
    exchange = run.exchange
    parts = [f"response complete at {_response_ms(run)} ms"]
    evidence = run.evidence
    first = evidence.first_after()
    if first is not None:
        parts.append(f"first work after the response at {_ms(run, first)} ms ({first.kind} {shown((first.root, first.path))})")
    for task in _advisory_tasks(run)[:3]:
        ended = task.get("ended_ms")
        state = f"ended {ended} ms" if ended is not None else "not finished"
        parts.append(f"task {task.get('name')} (reported by the app) {state}")
    if not evidence.exact:
        parts.append("ordering by the grader's clock (no send trap on this machine)")
    if exchange.timed_out:
        parts.append(f"no response within {exchange.budget_s:g} s")
    return "; ".join(parts)


def timeline(run: UploadObservation) -> dict:
    evidence = run.evidence
    return {
        "response_complete_ms": run.exchange.ms(run.exchange.done),
        "ordering": "exact" if evidence.exact else "approximate",
        "saved_before_response": sorted(shown(p) for p in evidence.copies_at_response),
        "read_back_before_response": sorted({shown((e.root, e.path)) for e in evidence.reads_before}),
        "output_before_response": [shown(p) for p in evidence.derived_before],
        "read_back_after_response": sorted({shown((e.root, e.path)) for e in evidence.reads_after}),
        "output_after_response": [shown(p) for p in evidence.derived_after],
        "saved_after_response": sorted({shown((e.root, e.path)) for e in evidence.saved_writes_after}),
        "tasks_reported_by_app": _advisory_tasks(run)[:10],
    }


def explain_missing_copy(ctx: CheckContext, run: UploadObservation) -> str:
    """Which corruption the closest new file shows, or what was (not) written."""
    written = [p for p in run.created + [p for p in run.evidence.written if p not in run.created]]
    if not written:
        return "no file was written while the upload and its tasks ran"
    size = run.payload.size
    known = diagnosis.Corruptions(run.payload.data)
    candidates = sorted(written, key=lambda p: abs(run.final_sizes.get(p, 0) - size))[:8]
    contents: dict = {}

    def look() -> None:
        for path in candidates:
            contents[path] = ctx.witness.read(path[0], path[1], 2 * size + 64)

    ctx.witness.run_own(look)
    for path in candidates:
        content = contents.get(path)
        if content is None:
            continue
        meaning = known.explain(content)
        if meaning is not None:
            return f"{shown(path)} has {len(content):,} bytes: {meaning}"
    listed = ", ".join(f"{shown(p)} ({run.final_sizes.get(p, 0):,} bytes)" for p in candidates)
    return f"the files written differ from the upload: {listed}"


def _task_fix(error: dict) -> str:
    if error.get("type") == "UnicodeDecodeError":
        return ("Clients can upload any bytes: read the saved file in binary mode, or decode with "
                "errors=\"replace\", and catch errors inside the task to log them.")
    if error.get("type") == "TypeError" and "callable" in str(error.get("message", "")):
        return ("add_task got the result of calling your function, so it already ran in the endpoint: "
                "pass the function itself, `background_tasks.add_task(process_file, path)`.")
    if error.get("type") == "AttributeError" and "bytes" in str(error.get("message", "")):
        return ("The task received bytes, not a file: `add_task(process_file, file.file.read())` passes the "
                "content, read in the endpoint. Save the upload, pass the saved path.")
    return "Fix the error above, and catch exceptions inside the task to log them: nobody else will see them."


# Register the robustness checks and the rubric's processing effect too (imported for
# their side effect).
from grader.behavior.checks import effect as checks_effect  # noqa: E402,F401
from grader.behavior.checks import responsive as checks_responsive  # noqa: E402,F401
from grader.behavior.checks import robustness as checks_robustness  # noqa: E402,F401
