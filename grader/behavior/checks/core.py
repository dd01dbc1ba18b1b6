"""The behavior checks, check50 style: one small named function per catalog id.

Each function's docstring is the description the student reads (it matches
``catalog.py``), ``requires`` names its prerequisites (a check whose prerequisite did
not pass is skipped by the harness, never failed), and it returns a :class:`Verdict`
whose details say what was sent, what came back, what was measured and what to change.
This module holds the mission's core checks, measured on one binary upload; the
robustness checks live in ``robustness.py``.
"""

from __future__ import annotations

from grader.behavior.harness.asgi_driver import Exchange
from grader.behavior.harness.check_context import CheckContext, UploadRun, check, is_2xx, verdict
from grader.behavior.harness.diagnosis import explain_mismatch
from grader.behavior.outcome import Verdict
from grader.behavior.harness.payloads import binary_payload
from grader.behavior.harness.workarea import FileState, copies_of, new_files

LOOP_STALL_LIMIT_S = 0.25


def _primary(ctx: CheckContext) -> UploadRun:
    assert ctx.primary is not None, "upload-accepted runs first"
    return ctx.primary


@check("app-loads")
async def app_loads(ctx: CheckContext) -> Verdict:
    """The grader finds your FastAPI() instance (or the one named in the rubric) and imports it within the time limit, with an upload route: a POST route with an UploadFile parameter."""
    found = ctx.found
    notes = " ".join(found.notes)
    return verdict(
        "app-loads", True,
        f"Found `{found.name}` with upload route {found.route.describe()} (form field `{found.route.field}`).",
        measured=notes,
    )


@check("upload-accepted", requires=("app-loads",))
async def upload_accepted(ctx: CheckContext) -> Verdict:
    """A normal multipart/form-data upload to your upload route gets a 2xx response."""
    payload = binary_payload(ctx.nonce)
    run = await ctx.upload("primary", payload, probe=True)
    ctx.primary = run
    exchange = run.exchange
    ok = is_2xx(exchange)
    feedback = "The upload got a 2xx response." if ok else "The upload did not get a 2xx response."
    return verdict(
        "upload-accepted", ok, feedback,
        sent=ctx.sent(payload),
        received=exchange.received(),
        measured=f"response complete after {exchange.ms(exchange.response_done)} ms",
        fix="" if ok else (
            "Accept `file: UploadFile` and `background_tasks: BackgroundTasks` parameters and return "
            "a small JSON body; check the error above."
        ),
        error=exchange.app_error,
    )


@check("task-scheduled", requires=("upload-accepted",))
async def task_scheduled(ctx: CheckContext) -> Verdict:
    """The upload schedules at least one BackgroundTasks task, and it runs after the response was sent."""
    exchange = _primary(ctx).exchange
    events = exchange.tasks.events
    after = [e for e in events if exchange.response_done is not None and e.started >= exchange.response_done]
    ok = bool(events) and len(after) == len(events)
    if not events:
        feedback = "No BackgroundTasks task ran for the upload."
        fix = ("Add a `background_tasks: BackgroundTasks` parameter and call "
               "`background_tasks.add_task(process_file, path)` before returning.")
    elif not ok:
        feedback = "A task started before the response was complete."
        fix = "Schedule the processing with background_tasks.add_task; do not call it yourself."
    else:
        feedback = f"{len(events)} task(s) ran after the response: " + ", ".join(e.name for e in events) + "."
        fix = ""
    return verdict(
        "task-scheduled", ok, feedback,
        sent=ctx.sent(_primary(ctx).payload), received=exchange.received(),
        measured=_timeline_text(exchange), fix=fix, timeline=exchange.timeline(),
    )


@check("response-before-processing", requires=("task-scheduled",))
async def response_before_processing(ctx: CheckContext) -> Verdict:
    """The client gets its response before your processing ends: a task ran after the response, no processed output existed yet when the response completed, and the response was not held back by the task."""
    run = _primary(ctx)
    exchange = run.exchange
    at_response = exchange.at_response or {}
    # The saved copy is not processed output, even when it is not byte-exact: it is an
    # exact copy of the upload, or the file a task was given to process.
    saved = set(copies_of(at_response, run.payload.sha256))
    saved |= {ctx.area.relative(path) for event in exchange.tasks.events for path in event.inputs}
    # A file the tasks later change or remove (a "status: pending" record) is bookkeeping
    # the task finishes, not output the endpoint already produced.
    derived = [
        path for path in new_files(run.before, at_response)
        if path not in saved and _unchanged(at_response[path], run.after.get(path))
    ]
    first_start = min(e.started for e in exchange.tasks.events)
    held_back = exchange.response_done is None or exchange.response_done > first_start
    ok = not derived and not held_back
    if derived:
        feedback = ("Processed output already existed when the response completed, so the processing "
                    "ran in the endpoint, before the client got its answer.")
        fix = ("Move the processing into the function you pass to background_tasks.add_task; the "
               "endpoint should only save the upload and schedule the task.")
    elif held_back:
        feedback = "The response was not complete before the first task started."
        fix = "Return the response; let BackgroundTasks run the processing after it."
    else:
        feedback = "The response was complete before the processing started."
        fix = ""
    return verdict(
        "response-before-processing", ok, feedback,
        sent=ctx.sent(run.payload), received=exchange.received(),
        measured=_timeline_text(exchange) + (f"; new files at response time: {', '.join(derived)}" if derived else ""),
        fix=fix, timeline=exchange.timeline(), new_files_at_response=derived,
    )


@check("task-completes", requires=("task-scheduled",))
async def task_completes(ctx: CheckContext) -> Verdict:
    """Each task the upload scheduled returns normally. An exception in a task happens after the 200 was sent: the client never learns, and later tasks are skipped."""
    run = _primary(ctx)
    exchange = run.exchange
    failed = [e for e in exchange.tasks.events if e.error]
    fix = ""
    if exchange.timed_out:
        ok = False
        feedback = f"The background task did not finish within {exchange.budget_s:g} s."
        fix = "Make sure the task ends (no endless loop or wait); long work belongs in a worker queue."
    elif failed:
        ok = False
        error = failed[0].error or {}
        where = f" at {error['where']}" if error.get("where") else ""
        feedback = (f"Task {failed[0].name} raised {error.get('type')}{where}: {error.get('message')}. "
                    "The client already got its 2xx and never learns about this.")
        fix = _task_fix(error)
    elif exchange.app_error:
        ok = False
        feedback = f"The app raised {exchange.app_error['type']} after the response: {exchange.app_error['message']}"
    else:
        ok = True
        feedback = f"All {len(exchange.tasks.events)} task(s) returned normally."
    return verdict(
        "task-completes", ok, feedback,
        sent=ctx.sent(run.payload), received=exchange.received(),
        measured=_timeline_text(exchange), fix=fix, timeline=exchange.timeline(),
    )


@check("saved-file-intact", requires=("upload-accepted",))
async def saved_file_intact(ctx: CheckContext) -> Verdict:
    """After the tasks ran, a file under your app's folder holds exactly the uploaded bytes (the test payload has NUL bytes, CRLF line ends and invalid UTF-8, so text-mode writes or decoding corrupt it)."""
    run = _primary(ctx)
    copies = copies_of(run.after, run.payload.sha256)
    if copies:
        return verdict("saved-file-intact", True, f"Saved intact as {copies[0]}.", measured=", ".join(copies),
                       saved_files=copies)
    reason, created = explain_mismatch(run, ctx.area)
    timed_out = " (the tasks had not finished within the time limit)" if run.exchange.timed_out else ""
    return verdict(
        "saved-file-intact", False,
        f"No file under your app's folder holds the uploaded bytes after the tasks ran{timed_out}: {reason}.",
        sent=ctx.sent(run.payload) + " with NUL bytes, CRLF and invalid UTF-8",
        received=run.exchange.received(),
        measured=reason,
        fix=("Read the upload as bytes (`contents = await file.read()`) and write them in binary mode "
             "(`open(path, \"wb\")`) under your app's folder; never decode the content. If a task "
             "saves it, pass the bytes or a saved path, not the UploadFile."),
        new_files=created[:20],
    )


@check("saved-before-response", requires=("saved-file-intact",))
async def saved_before_response(ctx: CheckContext) -> Verdict:
    """The complete copy of the upload already existed when the response completed: save the file in the endpoint, then schedule processing of the saved path (quiz question 5)."""
    run = _primary(ctx)
    copies = copies_of(run.exchange.at_response or {}, run.payload.sha256)
    if copies:
        return verdict("saved-before-response", True, f"{copies[0]} was complete when the response completed.",
                       saved_files=copies)
    return verdict(
        "saved-before-response", False,
        "When the response completed, no complete copy of the upload existed yet: the file is "
        "saved by the background task, after the client was told it was received.",
        sent=ctx.sent(run.payload), received=run.exchange.received(),
        measured=f"copies after the tasks: {', '.join(copies_of(run.after, run.payload.sha256))}; none at response time",
        fix=("Save first, then schedule (quiz question 5): `contents = await file.read()`, write them to a "
             "path in the endpoint, then `background_tasks.add_task(process_file, path)`."),
    )


@check("loop-responsive", requires=("upload-accepted",))
async def loop_responsive(ctx: CheckContext) -> Verdict:
    """While an upload and its tasks run, the server's event loop never stalls for more than 250 ms: blocking calls (time.sleep, sync I/O on big files) in async code freeze every other request."""
    exchange = _primary(ctx).exchange
    gap = exchange.max_loop_gap_s
    ok = gap <= LOOP_STALL_LIMIT_S
    measured = f"largest event-loop stall: {gap * 1000:.0f} ms (limit {LOOP_STALL_LIMIT_S * 1000:.0f} ms)"
    if ok:
        return verdict("loop-responsive", True, f"The event loop stayed responsive ({measured}).")
    return verdict(
        "loop-responsive", False,
        f"The event loop froze for {gap * 1000:.0f} ms while your upload or its task ran: no other "
        "request could be served meanwhile.",
        sent=ctx.sent(_primary(ctx).payload), received=exchange.received(), measured=measured,
        fix=("In `async def` code, use `await asyncio.sleep()` instead of `time.sleep()`, or declare the "
             "task/endpoint with plain `def` so Starlette runs it in a worker thread."),
        timeline=exchange.timeline(),
    )


def _unchanged(at_response: FileState, after: FileState | None) -> bool:
    return after is not None and (after.size, after.mtime_ns, after.sha256) == (
        at_response.size, at_response.mtime_ns, at_response.sha256
    )


def _task_fix(error: dict[str, str]) -> str:
    if error.get("type") == "UnicodeDecodeError":
        return ("Clients can upload any bytes: read the saved file in binary mode, or decode with "
                "errors=\"replace\", and catch errors inside the task to log them.")
    if error.get("type") == "TypeError" and "callable" in error.get("message", ""):
        return ("add_task got the result of calling your function, so it already ran in the endpoint: "
                "pass the function itself, `background_tasks.add_task(process_file, path)`.")
    if error.get("type") == "AttributeError" and "bytes" in error.get("message", ""):
        return ("The task received bytes, not an UploadFile: `add_task(process_file, file.file.read())` "
                "passes the content (quiz question 4). Save the upload, pass the saved path.")
    return "Fix the error above, and catch exceptions inside the task to log them: nobody else will see them."


def _timeline_text(exchange: Exchange) -> str:
    parts = [f"response complete at {exchange.ms(exchange.response_done)} ms"]
    for event in exchange.tasks.events:
        end = exchange.ms(event.ended)
        state = f"ended {end} ms" if end is not None else "not finished"
        parts.append(f"task {event.name} started {exchange.ms(event.started)} ms, {state}")
    if not exchange.tasks.events:
        parts.append("no task ran")
    return "; ".join(parts)


# Register the robustness checks too (import for its side effect).
from grader.behavior.checks import robustness as checks_robustness  # noqa: E402,F401
