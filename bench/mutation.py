"""Mutation testing of the grade: one realistic student mistake at a time, applied to the
correct samples, graded, and judged against the README's grade table.

Usage: python bench/mutation.py [--jobs 2] [--out FILE] [--only MISTAKE ...]

Four correct bases in different styles (a sync endpoint, async with anyio files, async
with the thread pool, a router with its task in another module). Each mistake is a source
transformation; where it applies to a base, the mutant ``<base>__<mistake>`` joins one
``grader batch`` with the bases. A mutant is *killed* when one of the checks that names its
mistake failed (blame) and its score lies inside the band the grade table gives that
mistake. Prints one line per mutant and the kill rate; exit status 1 unless every mutant
is killed, inside its band, and blamed on the check that names its mistake.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from grader.batch.progress import Progress  # noqa: E402
from grader.batch.runner import BatchOptions, run_batch  # noqa: E402
from grader.scoring.rubric import load_rubric  # noqa: E402
from tests.golden.grade_table import BY_ID  # noqa: E402

SAMPLES = REPO / "sample_submissions"
Files = dict[str, str]


@dataclass(frozen=True)
class Base:
    """Where a correct sample keeps the lines the mistakes change."""

    name: str
    endpoint: str  # the file of the upload endpoint
    task_file: str  # the file of the processing task
    task: str  # the task's name
    task_async: bool
    endpoint_async: bool
    schedule: str  # the add_task line
    save: str  # the lines that save the upload
    path_var: str  # the variable holding the saved path
    unique_name: str  # the expression making the saved name unique


BASES = (
    Base("good_sync_def", "main.py", "main.py", "process", False, False,
         "    background_tasks.add_task(process, str(path))\n",
         "    with path.open(\"wb\") as out:\n        shutil.copyfileobj(file.file, out)\n",
         "path", "f\"{uuid.uuid4().hex}{suffix}\""),
    Base("good_async_anyio", "main.py", "main.py", "summarise", True, True,
         "    background_tasks.add_task(summarise, path)\n",
         "    async with await anyio.open_file(path, \"wb\") as out:\n"
         "        while chunk := await file.read(CHUNK):\n            await out.write(chunk)\n",
         "path", "f\"{uuid.uuid4().hex}.upload\""),
    Base("good_async_threadpool", "main.py", "main.py", "count_lines", False, True,
         "    background_tasks.add_task(count_lines, path)\n",
         "    await run_in_threadpool(save, file, path)\n",
         "path", "f\"{uuid.uuid4().hex}.upload\""),
    Base("good_router_package", "app/routes.py", "app/worker.py", "process_file", False, False,
         "    background_tasks.add_task(process_file, saved)\n",
         "    with saved.open(\"wb\") as out:\n        shutil.copyfileobj(file.file, out)\n",
         "saved", "f\"{uuid.uuid4().hex}.upload\""),
)


def _replace(files: Files, rel: str, old: str, new: str) -> Files | None:
    if old not in files[rel]:
        return None
    return {**files, rel: files[rel].replace(old, new, 1)}


def _task_body_start(files: Files, base: Base, insert: Callable[[str], str]) -> Files | None:
    """Insert lines at the start of the task's body (after its docstring if any)."""
    source = files[base.task_file]
    match = re.search(rf"^(async )?def {base.task}\(.*?\).*?:\n((?:    \"\"\".*?\"\"\"\n)?)", source, re.M | re.S)
    if match is None:
        return None
    return {**files, base.task_file: source[:match.end()] + insert("    ") + source[match.end():]}


def _imports(files: Files, rel: str, line: str) -> Files:
    return {**files, rel: line + files[rel]}


# ---- the mistakes ---------------------------------------------------------------------------
def inline_processing(base: Base, files: Files) -> Files | None:
    call = "await " if base.task_async else ""
    args = base.schedule.strip().removeprefix(f"background_tasks.add_task({base.task}, ").removesuffix(")")
    return _replace(files, base.endpoint, base.schedule, f"    {call}{base.task}({args})\n")


def task_called(base: Base, files: Files) -> Files | None:
    args = base.schedule.strip().removeprefix(f"background_tasks.add_task({base.task}, ").removesuffix(")")
    return _replace(files, base.endpoint, base.schedule, f"    background_tasks.add_task({base.task}({args}))\n")


def await_add_task(base: Base, files: Files) -> Files | None:
    if not base.endpoint_async:
        return None
    return _replace(files, base.endpoint, base.schedule, "    await " + base.schedule.lstrip())


def upload_read_into_args(base: Base, files: Files) -> Files | None:
    return _replace(files, base.endpoint, base.schedule,
                    f"    background_tasks.add_task({base.task}, file.file.read())\n")


def uploadfile_to_task(base: Base, files: Files) -> Files | None:
    if base.name != "good_sync_def":
        return None
    helper = ("\n\ndef save_then_process(upload, path):\n    with path.open(\"wb\") as out:\n"
              "        shutil.copyfileobj(upload.file, out)\n    process(str(path))\n")
    mutated = _replace(files, base.endpoint, base.save + base.schedule,
                       "    background_tasks.add_task(save_then_process, file, path)\n")
    return None if mutated is None else _replace(mutated, base.endpoint, "\n\n@app.post", helper + "\n\n@app.post")


def process_before_save(base: Base, files: Files) -> Files | None:
    if base.name != "good_sync_def":
        return None
    helper = ("\n\ndef save_bytes(data, path):\n    path.write_bytes(data)\n")
    mutated = _replace(files, base.endpoint, base.save + base.schedule,
                       "    data = file.file.read()\n" + base.schedule
                       + "    background_tasks.add_task(save_bytes, data, path)\n")
    return None if mutated is None else _replace(mutated, base.endpoint, "\n\n@app.post", helper + "\n\n@app.post")


def never_saved(base: Base, files: Files) -> Files | None:
    return _replace(files, base.endpoint, base.save, "")


def text_mode(base: Base, files: Files) -> Files | None:
    if "open(\"wb\")" not in base.save:
        return None
    return _replace(files, base.endpoint, base.save,
                    f"    with {base.path_var}.open(\"w\", encoding=\"utf-8\") as out:\n"
                    "        out.write(file.file.read().decode(\"utf-8\", \"replace\"))\n")


def first_chunk_only(base: Base, files: Files) -> Files | None:
    if "copyfileobj(file.file, out)" in base.save:
        return _replace(files, base.endpoint, "shutil.copyfileobj(file.file, out)", "out.write(file.file.read(1 << 20))")
    if "while chunk" in base.save:
        return _replace(files, base.endpoint,
                        "        while chunk := await file.read(CHUNK):\n            await out.write(chunk)\n",
                        "        await out.write(await file.read(CHUNK))\n")
    return None


def chunk_loop_stops_early(base: Base, files: Files) -> Files | None:
    if "while chunk" not in base.save:
        return None
    return _replace(files, base.endpoint,
                    "        while chunk := await file.read(CHUNK):\n            await out.write(chunk)\n",
                    "        for _ in range(3):\n            await out.write(await file.read(CHUNK))\n")


def fixed_name(base: Base, files: Files) -> Files | None:
    return _replace(files, base.endpoint, base.unique_name, "\"latest.upload\"")


def raw_filename(base: Base, files: Files) -> Files | None:
    return _replace(files, base.endpoint, base.unique_name, "file.filename")


def local_background_tasks(base: Base, files: Files) -> Files | None:
    source = files[base.endpoint]
    match = re.search(r"background_tasks: (?:BackgroundTasks|Tasks)", source)
    if match is None:
        return None
    source = source[:match.start()].rstrip(", ") + source[match.end():]
    source = source.replace(base.schedule, "    background_tasks = BackgroundTasks()\n" + base.schedule, 1)
    return _imports({**files, base.endpoint: source}, base.endpoint, "from fastapi import BackgroundTasks\n")


def blocking_in_endpoint(base: Base, files: Files) -> Files | None:
    if not base.endpoint_async:
        return None
    mutated = _replace(files, base.endpoint, base.schedule, "    time.sleep(0.5)\n" + base.schedule)
    return None if mutated is None else _imports(mutated, base.endpoint, "import time\n")


def blocking_in_async_task(base: Base, files: Files) -> Files | None:
    source = files[base.task_file]
    if not base.task_async:
        if f"def {base.task}(" not in source:
            return None
        source = source.replace(f"def {base.task}(", f"async def {base.task}(", 1)
    files = {**files, base.task_file: source}
    mutated = _task_body_start(files, base, lambda pad: f"{pad}time.sleep(0.5)\n")
    return None if mutated is None else _imports(mutated, base.task_file, "import time\n")


def task_raises(base: Base, files: Files) -> Files | None:
    return _task_body_start(files, base, lambda pad: f"{pad}raise ValueError(\"unexpected header\")\n")


def task_swallows_error(base: Base, files: Files) -> Files | None:
    mutated = upload_read_into_args(base, files)  # bytes where a path is expected...
    if mutated is None:
        return None
    return _task_body_start(mutated, base, lambda pad: (  # ...and the TypeError is hidden
        f"{pad}try:\n{pad}    Path(path)\n{pad}except Exception:\n{pad}    return\n"))


def save_into_closed_file(base: Base, files: Files) -> Files | None:
    if "copyfileobj(file.file, out)" not in base.save:
        return None
    return _replace(files, base.endpoint, "        shutil.copyfileobj(file.file, out)\n",
                    "        background_tasks.add_task(shutil.copyfileobj, file.file, out)\n")


@dataclass(frozen=True)
class Mistake:
    name: str
    apply: Callable[[Base, Files], Files | None]
    row: str  # the grade table's row (tests/golden/grade_table.py)
    blame: frozenset[str]  # one of these checks or rules must fail


def _m(name: str, apply: Callable[[Base, Files], Files | None], row: str, *blame: str) -> Mistake:
    return Mistake(name, apply, row, frozenset(blame))


CORE = ("task-scheduled", "response-before-processing", "task-completes")
MISTAKES = (
    _m("inline-processing", inline_processing, "core-not-done", "BG006", *CORE),
    _m("task-called", task_called, "core-not-done", "BG003", *CORE),
    _m("await-add-task", await_add_task, "requests-fail", "BG004", "upload-accepted"),
    _m("upload-read-into-args", upload_read_into_args, "core-not-done", "BG001", *CORE),
    _m("uploadfile-to-task", uploadfile_to_task, "upload-to-task", "BG002", "saved-before-response"),
    _m("process-before-save", process_before_save, "core-not-done", "BG008", *CORE),
    _m("never-saved", never_saved, "core-not-done", "saved-file-intact", *CORE),
    _m("text-mode", text_mode, "corrupted-save", "saved-file-intact"),
    _m("first-chunk-only", first_chunk_only, "truncated", "large-upload-intact"),
    _m("chunk-loop-stops-early", chunk_loop_stops_early, "truncated", "large-upload-intact"),
    _m("fixed-name", fixed_name, "fixed-name", "UP002", "concurrent-uploads-intact"),
    _m("raw-filename", raw_filename, "unsafe-name", "SEC001", "filename-contained"),
    _m("local-background-tasks", local_background_tasks, "core-not-done", "BG005", *CORE),
    _m("blocking-in-endpoint", blocking_in_endpoint, "blocking", "AS001", "loop-responsive"),
    _m("blocking-in-async-task", blocking_in_async_task, "blocking", "AS002", "loop-responsive"),
    _m("task-raises", task_raises, "core-not-done", *CORE),
    _m("task-swallows-error", task_swallows_error, "core-not-done", *CORE),
    _m("save-into-closed-file", save_into_closed_file, "core-not-done", "saved-file-intact", *CORE),
)


def _files(base: Base) -> Files:
    root = SAMPLES / base.name
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in root.rglob("*.py")}


def build(folder: Path, only: set[str]) -> dict[str, tuple[Base, Mistake | None]]:
    made: dict[str, tuple[Base, Mistake | None]] = {}
    for base in BASES:
        shutil.copytree(SAMPLES / base.name, folder / base.name)
        made[base.name] = (base, None)
        for mistake in MISTAKES:
            if only and mistake.name not in only:
                continue
            mutated = mistake.apply(base, _files(base))
            if mutated is None:
                continue
            name = f"{base.name}__{mistake.name}"
            for rel, text in mutated.items():
                target = folder / name / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
            made[name] = (base, mistake)
    return made


class _Quiet(Progress):
    def finished(self, *args: Any, **kwargs: Any) -> None:
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--only", nargs="*", default=[])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mutants-") as tmp:
        klass, out = Path(tmp) / "class", Path(tmp) / "out"
        klass.mkdir()
        made = build(klass, set(args.only))
        started = time.monotonic()
        run_batch(BatchOptions(klass, out, load_rubric(None), jobs=args.jobs, force=True),
                  progress_factory=lambda total: _Quiet(total))
        elapsed = time.monotonic() - started
        reports = {name: json.loads((out / f"{name}.json").read_text(encoding="utf-8")) for name in made}
    rows, problems = [], 0
    for name, (base, mistake) in made.items():
        report = reports[name]
        score = report["score"] / report["max_score"] * 100
        failed = sorted(c["id"] for c in report["checks"] if c["status"] == "failed")
        if mistake is None:
            ok = score >= BY_ID["correct"].low
            rows.append({"mutant": name, "mistake": None, "score": score, "ok": ok, "failed": failed})
            problems += not ok
            print(f"{'base' if ok else 'BASE?':6} {name:48} {score:6.1f}  failed: {', '.join(failed) or '-'}")
            continue
        row = BY_ID[mistake.row]
        blamed = sorted(mistake.blame & set(failed))
        in_band = row.low <= score <= row.high
        killed = bool(blamed) and in_band
        problems += not killed
        rows.append({"mutant": name, "mistake": mistake.name, "score": score, "band": [row.low, row.high],
                     "in_band": in_band, "blamed": blamed, "failed": failed, "killed": killed})
        state = "killed" if killed else ("OUT" if not in_band else "UNBLAMED")
        print(f"{state:8} {name:48} {score:6.1f} band {row.low:g}-{row.high:g}  blamed: {', '.join(blamed) or '-'}"
              f"  failed: {', '.join(failed)}")
    mutants = [r for r in rows if r["mistake"]]
    killed = sum(r["killed"] for r in mutants)
    summary = {"mutants": len(mutants), "killed": killed, "bases": len(BASES), "elapsed_s": round(elapsed, 1),
               "mistakes": sorted({r["mistake"] for r in mutants}), "results": rows}
    print(f"{killed}/{len(mutants)} mutants killed inside their band and blamed on their check "
          f"({len(summary['mistakes'])} mistakes x {len(BASES)} bases, {elapsed:.0f} s)")
    if args.out:
        args.out.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
