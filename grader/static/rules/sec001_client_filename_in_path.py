"""SEC001: the client-chosen ``UploadFile.filename`` is used as (part of) a filesystem path."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from grader.model import Finding, Severity
from grader.static.analysis import ModuleAnalysis
from grader.static.calls import own_nodes
from grader.static.rule import Example, Rule
from grader.static.uploadflow import Flow, Kind, all_flows

# Calls whose first argument (or ``file=``) is a path.
_OPENERS = frozenset({"builtins.open", "io.open", "os.open", "aiofiles.open", "anyio.open_file"})
# Calls any of whose positional arguments is a path.
_PATH_BUILDERS = frozenset(
    {
        "pathlib.Path",
        "pathlib.PurePath",
        "pathlib.PosixPath",
        "pathlib.PurePosixPath",
        "anyio.Path",
        "os.path.join",
        "posixpath.join",
        "shutil.copy",
        "shutil.copy2",
        "shutil.copyfile",
        "shutil.move",
        "os.rename",
        "os.replace",
        "os.remove",
        "os.unlink",
        "os.makedirs",
        "os.mkdir",
    }
)
# ``Path(file.filename).name`` keeps only the last component: the safe idiom.
_LAST_COMPONENT = frozenset({"name", "stem", "suffix", "suffixes"})
_PATH_KEYWORDS = frozenset({"file", "path", "src", "dst"})
# Calls that mean "is this path still inside the folder?" when an ``if`` tests them.
_CONTAINMENT_CHECKS = frozenset({"is_relative_to", "commonpath", "commonprefix", "startswith", "relative_to"})
# Calls on the filename that do not check it for path parts.
_NOT_VALIDATORS = frozenset({"len", "bool", "str", "isinstance", "print", "endswith", "lower", "upper", "strip"})


class ClientFilenameInPath(Rule):
    """
    ## What it does
    Flags a filesystem path built from the upload's `filename`: passed to `open`,
    `pathlib.Path`, `os.path.join`, `shutil.copy`/`move`, joined with `/`, or put in an
    f-string or a `+` concatenation that becomes such a path, directly or through a local
    variable, and also inside the background task when the filename is passed to it.
    `os.path.basename(...)`, `Path(...).name`, `secure_filename(...)` or a generated name
    (`uuid4().hex`) in its place keep it quiet, and so does a function that checks the name
    (`".." in file.filename`, `re.fullmatch(...)`) or the path's containment
    (`is_relative_to`, `commonpath`) and rejects it, or that overwrites `file.filename`.

    ## Why is this bad?
    `filename` is whatever the client put in the multipart header. `../../app/main.py`,
    `/etc/cron.d/job` or `a/b.txt` are all valid values: the first two write outside the
    upload folder (path traversal), the last fails with a 500 because the folder does not
    exist, and two clients uploading `report.pdf` overwrite each other. The seed's own
    snippets (`open(f"saved_{file.filename}", "wb")` in quiz questions 3, 4 and 5) have this
    problem; they are fine as a first sketch, not as a server.

    ## Example
    ```python
    with open(f"uploads/{file.filename}", "wb") as out:
        shutil.copyfileobj(file.file, out)
    ```

    ## Use instead
    Keep only the last path component, or better, generate the stored name yourself and
    keep the client's name as metadata:
    ```python
    safe = Path(file.filename or "upload").name
    path = UPLOAD_DIR / f"{uuid4().hex}-{safe}"
    with path.open("wb") as out:
        shutil.copyfileobj(file.file, out)
    ```
    """

    code = "SEC001"
    name = "client-filename-in-path"
    severity = Severity.WARNING
    message = (
        "the client-chosen upload filename is used in a filesystem path: '../' or '/' in it "
        "writes outside the upload folder; use Path(filename).name or a generated name"
    )
    seed_note = (
        "Quiz questions 3, 4 and 5 save with open(f\"saved_{file.filename}\", \"wb\"): this is "
        "the pattern this rule flags. The seed is not wrong about BackgroundTasks there, but "
        "the snippet is unsafe as server code."
    )

    VALID = [
        Example(
            """
import os, shutil
from pathlib import Path
from uuid import uuid4
from fastapi import FastAPI, UploadFile, BackgroundTasks
from werkzeug.utils import secure_filename
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile, tasks: BackgroundTasks):
    a = os.path.join("uploads", os.path.basename(file.filename))
    b = Path("uploads") / Path(file.filename).name
    c = f"uploads/{secure_filename(file.filename)}"
    d = Path("uploads") / f"{uuid4().hex}{Path(file.filename).suffix}"
    with open(d, "wb") as out:
        shutil.copyfileobj(file.file, out)
    tasks.add_task(process, d, file.filename)
    return {"stored": d.name, "original": file.filename}
""",
            note="basename, Path().name, secure_filename, generated name; filename as metadata",
        ),
        Example(
            """
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

def record(original_name: str, path: str):
    print(f"{original_name} stored at {path}")

@app.post("/upload")
def upload(file: UploadFile, tasks: BackgroundTasks):
    tasks.add_task(record, file.filename, "uploads/1.bin")
""",
            note="filename passed to the task but only logged",
        ),
        Example(
            """
import re
from pathlib import Path
from fastapi import FastAPI, UploadFile, HTTPException
app = FastAPI()
UPLOADS = Path("uploads").resolve()

@app.post("/upload")
def upload(file: UploadFile):
    if not re.fullmatch(r"[\\w.-]+", file.filename or "") or ".." in file.filename:
        raise HTTPException(400, "bad filename")
    with open(f"uploads/{file.filename}", "wb") as out:
        out.write(file.file.read())

@app.post("/upload2")
def upload2(file: UploadFile):
    dest = (UPLOADS / file.filename).resolve()
    if not dest.is_relative_to(UPLOADS):
        raise HTTPException(400, "bad filename")
    with dest.open("wb") as out:
        out.write(file.file.read())
""",
            note="the name is validated (or the path's containment checked) and rejected with a 4xx",
        ),
        Example(
            """
from uuid import uuid4
from fastapi import FastAPI, UploadFile, BackgroundTasks, HTTPException
app = FastAPI()

def save(data: bytes, name: str):
    with open(f"uploads/{name}", "wb") as out:
        out.write(data)

@app.post("/upload")
async def upload(file: UploadFile, tasks: BackgroundTasks):
    if "/" in file.filename or "\\\\" in file.filename:
        raise HTTPException(400, "bad filename")
    tasks.add_task(save, await file.read(), file.filename)

@app.post("/upload2")
async def upload2(file: UploadFile):
    file.filename = f"{uuid4().hex}.csv"
    with open(f"uploads/{file.filename}", "wb") as out:
        out.write(await file.read())
""",
            note="validated before it is passed to the task; replaced by a generated name",
        ),
        Example(
            """
from pathlib import Path

def save(name):
    with open(f"uploads/{name}", "wb") as f:
        f.write(b"")
""",
            note="a plain function parameter is not known to be an upload filename",
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

@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    background_tasks.add_task(save_file, file)
    return {"message": "File upload started"}
""",
            line=6,
            note="the seed's quiz question 3",
        ),
        Example(
            """
from typing import Annotated
import fastapi, os
from fastapi import BackgroundTasks as Jobs

router = fastapi.APIRouter()

@router.post("/files")
def receive(doc: Annotated[fastapi.UploadFile, fastapi.File()], jobs: Jobs):
    name = doc.filename
    target = os.path.join("uploads", name)
    jobs.add_task(handle, target)
""",
            line=11,
            note="router, Annotated, sync def, one-step dataflow into os.path.join",
        ),
        Example(
            """
import shutil
from pathlib import Path
from fastapi import FastAPI, UploadFile, File
app = FastAPI()
UPLOADS = Path("uploads")

@app.post("/upload")
async def upload(upload: UploadFile = File(...)):
    with (UPLOADS / upload.filename).open("wb") as out:
        shutil.copyfileobj(upload.file, out)
""",
            line=10,
            note="Path / filename",
        ),
        Example(
            """
from fastapi import FastAPI, UploadFile, HTTPException
app = FastAPI()

@app.post("/upload")
def upload(file: UploadFile):
    if not file.filename or not file.filename.endswith(".csv"):
        raise HTTPException(400, "send a .csv file")
    with open("uploads/" + file.filename, "wb") as out:
        out.write(file.file.read())
""",
            line=9,
            note="an emptiness or extension check is not a path validation",
        ),
        Example(
            """
from fastapi import FastAPI, UploadFile, BackgroundTasks
from worker import store
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile, tasks: BackgroundTasks):
    data = await file.read()
    tasks.add_task(store, data, file.filename.lower())
""",
            files={
                "worker.py": """def store(data, name):
    path = "uploads/" + name
    with open(path, "wb") as f:
        f.write(data)
""",
            },
            line=3,
            note="the filename followed into a task in another module, + concatenation",
        ),
        Example(
            """
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile, tasks: BackgroundTasks):
    def save():
        with open("uploads/" + file.filename, "wb") as f:
            f.write(file.file.read())
    tasks.add_task(save)
""",
            line=8,
            note="nested task closing over the upload",
        ),
    ]

    def check(self, module: ModuleAnalysis) -> Iterator[Finding]:
        for flow in all_flows(module):
            if any(self._validates_filename(f) or self._replaces_filename(f) for f in (flow, flow.caller) if f):
                continue  # the name is checked, or replaced by a generated one, before use
            for node in self._unsafe_sinks(flow):
                yield self.finding(
                    flow.module,
                    node,
                    f"the client-chosen upload filename reaches a filesystem path in {flow.info.name}(): "
                    "'../' or '/' in it writes outside the upload folder; use Path(filename).name "
                    "or a generated name",
                )

    def _unsafe_sinks(self, flow: Flow) -> Iterator[cst.CSTNode]:
        module = flow.module
        for node in own_nodes(flow.info.node.body, (cst.Call, cst.BinaryOperation)):
            if isinstance(node, cst.BinaryOperation):
                if isinstance(node.operator, cst.Divide) and (
                    Kind.FILENAME in flow.kinds(node.left) or Kind.FILENAME in flow.kinds(node.right)
                ):
                    yield node
                continue
            names = module.call_qualified_names(node)
            if names & _OPENERS:
                candidates = [a for a in node.args if a.keyword is None and not a.star][:1]
                candidates += [a for a in node.args if a.keyword is not None and a.keyword.value in _PATH_KEYWORDS]
            elif names & _PATH_BUILDERS:
                if self._keeps_last_component(module, node):
                    continue
                candidates = [a for a in node.args if not a.star]
            else:
                continue
            if any(Kind.FILENAME in flow.kinds(a.value) for a in candidates):
                yield node

    @staticmethod
    def _replaces_filename(flow: Flow) -> bool:
        """``file.filename = f"{uuid4().hex}.csv"``: the client's name is overwritten."""
        for assign in own_nodes(flow.info.node.body, cst.Assign):
            for target in assign.targets:
                node = target.target
                if isinstance(node, cst.Attribute) and node.attr.value == "filename":
                    if Kind.UPLOAD in flow.kinds(node.value):
                        return True
        return False

    @staticmethod
    def _validates_filename(flow: Flow) -> bool:
        """An ``if`` that checks the name's content (``".." in name``, ``re.fullmatch(p, name)``)
        or the path's containment (``is_relative_to``, ``commonpath``, ``startswith``) and then
        raises or returns. Whether the check is right is not judged here: silence beats a
        false positive, and the behavior check ``filename-contained`` tests it for real. A mere
        emptiness test (``if not file.filename``) is not a validation."""
        for branch in own_nodes(flow.info.node.body, cst.If):
            if not any(True for _ in own_nodes(branch.body, (cst.Raise, cst.Return))):
                continue
            for node in own_nodes(branch.test, (cst.Comparison, cst.Call)):
                if isinstance(node, cst.Comparison):
                    membership = any(isinstance(t.operator, (cst.In, cst.NotIn)) for t in node.comparisons)
                    sides = [node.left, *(t.comparator for t in node.comparisons)]
                    if membership and any(Kind.FILENAME in flow.kinds(side) for side in sides):
                        return True
                    continue
                func = node.func
                name = func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", "")
                if name in _CONTAINMENT_CHECKS:
                    return True
                if name not in _NOT_VALIDATORS and any(Kind.FILENAME in flow.kinds(a.value) for a in node.args):
                    return True
        return False

    @staticmethod
    def _keeps_last_component(module: ModuleAnalysis, call: cst.Call) -> bool:
        parent = module.parent(call)
        return isinstance(parent, cst.Attribute) and parent.value is call and parent.attr.value in _LAST_COMPONENT
