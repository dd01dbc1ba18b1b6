"""BG008: the task that saves the upload is scheduled after the task that processes it."""

from __future__ import annotations

import re
from collections.abc import Iterator

import libcst as cst

from grader.model import Finding, Severity
from grader.static.analysis import AddTaskCall, FunctionInfo, ModuleAnalysis, _find
from grader.static.rule import Example, Rule
from grader.static.tasks import (
    closure_uses,
    reads_upload,
    file_io,
    is_upload_object,
    resolve_task,
    task_arguments,
    task_closure,
    task_name,
    upload_names,
)

_SAVE_NAME = re.compile(r"save|store|write|persist|upload|copy", re.IGNORECASE)
_PROCESS_NAME = re.compile(
    r"process|analy|pars|convert|resiz|thumb|transform|scan|extract|count|checksum|hash|index|compress|read|handle",
    re.IGNORECASE,
)


def _carries_upload(module: ModuleAnalysis, call: AddTaskCall, info: FunctionInfo) -> bool:
    """The task gets the upload, its stream, or bytes read from it (one-step dataflow)."""
    for value in task_arguments(module, call):
        if is_upload_object(module, value, info) or reads_upload(module, value, info):
            return True
        if isinstance(value, cst.Name):
            assigned = info.value_of(value.value)
            if assigned is not None and reads_upload(module, assigned, info):
                return True
    closure = task_closure(module, call)
    return closure is not None and bool(closure_uses(module, closure, info, upload_names(module, info)))


def _kind(module: ModuleAnalysis, call: AddTaskCall, name_pattern: re.Pattern[str], want_write: bool) -> bool:
    resolved = resolve_task(module, call)
    if resolved is not None:
        writes, reads = file_io(*resolved)
        if writes if want_write else reads:
            return True
    return bool(name_pattern.search(task_name(module, call)))


def _references(module: ModuleAnalysis, call: AddTaskCall, uploads: set[str]) -> set[str]:
    """Names (other than the upload), string literals and ``<upload>.filename`` in the args."""
    found: set[str] = set()
    for value in task_arguments(module, call):
        for node in _find(value, (cst.Name, cst.SimpleString, cst.Attribute)):  # type: ignore[arg-type]
            if isinstance(node, cst.SimpleString):
                found.add(f"str:{node.value}")
            elif isinstance(node, cst.Attribute):
                if isinstance(node.value, cst.Name) and node.value.value in uploads and node.attr.value == "filename":
                    found.add("upload.filename")
            elif node.value not in uploads:
                found.add(f"name:{node.value}")
    return found


class ProcessScheduledBeforeSave(Rule):
    """
    ## What it does
    In one endpoint, flags the background task that saves the upload when it is scheduled
    after a task that processes the saved file (the two share the path, file name or
    variable they work on).

    ## Why is this bad?
    `BackgroundTasks` runs its tasks one after the other, in the order they were added. A
    processing task added before the saving task runs first, finds no file (or an old one
    with the same name), and fails or processes stale data. Better still, save in the
    endpoint and schedule only the processing, so the file certainly exists before the
    task runs.

    ## Example
    ```python
    background_tasks.add_task(process_file, f"saved_{file.filename}")
    background_tasks.add_task(save_file, file)
    ```

    ## Use instead
    ```python
    path = save_upload(file)                     # in the endpoint, before the response
    background_tasks.add_task(process_file, path)
    ```
    """

    code = "BG008"
    name = "process-scheduled-before-save"
    severity = Severity.ERROR
    message = (
        "the upload is saved by a task scheduled after the task that processes it: background "
        "tasks run in the order they were added, so processing runs before the file exists; "
        "save first (best in the endpoint), then schedule the processing"
    )

    VALID = [
        Example(
            """
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile, tasks: BackgroundTasks):
    path = f"uploads/{file.filename}"
    tasks.add_task(save_file, file, path)
    tasks.add_task(process_file, path)
""",
            note="save scheduled first: runs first",
        ),
        Example(
            """
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile, tasks: BackgroundTasks):
    tasks.add_task(log_upload, file.filename)
    tasks.add_task(process_file, file)
""",
            note="a logging task before a task that takes the upload is not save-after-process",
        ),
        Example(
            """
import shutil
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile, tasks: BackgroundTasks):
    path = f"uploads/{file.filename}"
    tasks.add_task(process_file, path)
    with open(path, "wb") as out:
        shutil.copyfileobj(file.file, out)
""",
            note="saved inline after add_task: the task still runs after the response",
        ),
    ]
    INVALID = [
        Example(
            """
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

def save_file(file: UploadFile):
    with open(f"saved_{file.filename}", "wb") as f:
        f.write(file.file.read())

def process_file(path: str):
    with open(path) as f:
        print(len(f.read()))

@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    background_tasks.add_task(process_file, f"saved_{file.filename}")
    background_tasks.add_task(save_file, file)
    return {"message": "started"}
""",
            line=16,
        ),
        Example(
            """
from typing import Annotated
import fastapi
from fastapi import BackgroundTasks as Jobs
router = fastapi.APIRouter()

@router.post("/files")
def receive(doc: Annotated[fastapi.UploadFile, fastapi.File()], jobs: Jobs):
    target = "incoming.csv"
    data = doc.file.read()
    def store():
        with open(target, "wb") as out:
            out.write(data)
    jobs.add_task(analyse, target)
    jobs.add_task(store)
""",
            line=15,
            note="alias, Annotated, router, sync def, nested save task closing over the bytes",
        ),
    ]

    def check(self, module: ModuleAnalysis) -> Iterator[Finding]:
        by_function: dict[int, list[AddTaskCall]] = {}
        for call in module.add_task_calls:
            if call.function is not None:
                by_function.setdefault(id(call.function), []).append(call)
        for calls in by_function.values():
            if len(calls) < 2:
                continue
            info = calls[0].function
            assert info is not None
            uploads = upload_names(module, info)
            calls.sort(key=lambda c: module.position(c.call))
            for index, save in enumerate(calls):
                if not (_carries_upload(module, save, info) or self._saves_closure_data(module, save, info)):
                    continue
                if not _kind(module, save, _SAVE_NAME, want_write=True):
                    continue
                save_refs = _references(module, save, uploads) | self._closure_refs(module, save, info)
                if any(is_upload_object(module, v, info) for v in task_arguments(module, save)):
                    save_refs.add("upload.filename")  # a task given the upload knows its name
                for earlier in calls[:index]:
                    if _carries_upload(module, earlier, info):
                        continue
                    if not _kind(module, earlier, _PROCESS_NAME, want_write=False):
                        continue
                    if _references(module, earlier, uploads) & save_refs:
                        yield self.finding(module, save.call)
                        break

    @staticmethod
    def _closure_names(module: ModuleAnalysis, save: AddTaskCall, info: FunctionInfo) -> set[str]:
        closure = task_closure(module, save)
        if closure is None:
            return set()
        return {node.value for node in closure_uses(module, closure, info, set(info.assignments))}

    def _saves_closure_data(self, module: ModuleAnalysis, save: AddTaskCall, info: FunctionInfo) -> bool:
        """A closure that writes bytes read from the upload into a variable of the endpoint."""
        for name in self._closure_names(module, save, info):
            value = info.value_of(name)
            if value is not None and reads_upload(module, value, info):
                return True
        return False

    def _closure_refs(self, module: ModuleAnalysis, save: AddTaskCall, info: FunctionInfo) -> set[str]:
        return {f"name:{name}" for name in self._closure_names(module, save, info)}
