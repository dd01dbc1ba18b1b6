"""AS001: a blocking call inside an ``async def`` endpoint."""

from __future__ import annotations

from collections.abc import Iterator

from grader.model import Finding, Severity
from grader.static.analysis import ModuleAnalysis
from grader.static.blocking_table import BLOCKING
from grader.static.calls import Blocked, blocking_in
from grader.static.rule import Example, Rule

_KINDS = frozenset({BLOCKING})


class BlockingCallInAsyncEndpoint(Rule):
    """
    ## What it does
    Flags calls that block the thread inside an `async def` route handler: `time.sleep`,
    `requests.*`, `urllib.request.urlopen`, synchronous `httpx` (`httpx.get`,
    `httpx.Client().post`), `subprocess.run`/`call`/`check_output`, `os.system`, and
    synchronous database clients (`sqlite3`, `psycopg2`, `pymysql`, `redis`); the complete
    list is the table of blocking calls in the rules reference, and a rubric can add its own
    (`[static] blocking_calls`). Aliases count (`import time as t`, `from time import
    sleep`), and so does a direct call to a plain `def` helper of the submission that makes
    such a call (also through a module: `tasks.convert(path)`). Blocking *file* I/O in an
    `async def` endpoint is AS003, an advice.

    ## Why is this bad?
    FastAPI runs an `async def` endpoint on the event loop itself. While a blocking call
    runs, the loop cannot do anything else: every other request, and every background task,
    waits. The point of the assignment is a server that stays responsive while files are
    processed; one `time.sleep(2)` in an `async def` endpoint makes every client wait 2 s.
    A plain `def` endpoint is different: FastAPI runs it in a threadpool, so blocking there
    is fine (this rule stays silent for it).

    ## Example
    ```python
    @app.post("/upload")
    async def upload(file: UploadFile, background_tasks: BackgroundTasks):
        path = await save(file)
        time.sleep(1)                    # blocks every other request
        requests.post(HOOK_URL, json={"path": str(path)})
        background_tasks.add_task(process, path)
    ```

    ## Use instead
    Await the async form (`await asyncio.sleep(1)`, `httpx.AsyncClient`), or declare the
    endpoint with plain `def` so FastAPI runs it in its threadpool, or move the slow work
    into the background task:
    ```python
    @app.post("/upload")
    def upload(file: UploadFile, background_tasks: BackgroundTasks):
        path = save(file)                # sync def: runs in the threadpool
        background_tasks.add_task(process, path)
    ```
    """

    code = "AS001"
    name = "blocking-call-in-async-endpoint"
    severity = Severity.WARNING
    message = (
        "blocking call in an async def endpoint: it stops the event loop, so every other "
        "request waits; await the async equivalent or make the endpoint a plain def"
    )

    VALID = [
        Example(
            """
import time
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

@app.post("/upload")
def upload(file: UploadFile, background_tasks: BackgroundTasks):
    data = file.file.read()
    time.sleep(0.1)
    background_tasks.add_task(process, data)
    return {"ok": True}
""",
            note="sync def endpoint: FastAPI runs it in a threadpool",
        ),
        Example(
            """
import asyncio
from fastapi import FastAPI, UploadFile, BackgroundTasks
from starlette.concurrency import run_in_threadpool
import requests
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    data = await file.read()
    await asyncio.sleep(0.1)
    def fetch():
        return requests.get("https://example.com")
    await run_in_threadpool(fetch)
    await asyncio.to_thread(lambda: requests.post("https://example.com"))
    background_tasks.add_task(process, data)
""",
            note="awaited async calls; blocking work in a nested def/lambda sent to a thread",
        ),
        Example(
            """
from fastapi import FastAPI
app = FastAPI()

def sleep(seconds):
    return seconds

@app.get("/status")
async def status():
    sleep(1)
    return {"ok": True}
""",
            note="the submission's own function named sleep is not time.sleep",
        ),
        Example(
            """
import time
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

async def process(path):
    time.sleep(1)

@app.post("/upload")
async def upload(file: UploadFile, tasks: BackgroundTasks):
    tasks.add_task(process, file.filename)
""",
            note="blocking in the task is AS002, not AS001",
        ),
        Example(
            """
import httpx
from fastapi import FastAPI, UploadFile
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile):
    async with httpx.AsyncClient() as client:
        await client.post("https://example.com", content=await file.read())
""",
            note="httpx.AsyncClient, awaited",
        ),
        Example(
            """
import shutil
from fastapi import FastAPI, UploadFile
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile):
    with open("uploads/a.bin", "wb") as out:
        shutil.copyfileobj(file.file, out)
""",
            note="blocking file I/O is AS003's advice, not AS001",
        ),
    ]
    INVALID = [
        Example(
            """
import time as t
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    t.sleep(2)
    background_tasks.add_task(process, file.filename)
""",
            line=8,
            note="module alias",
        ),
        Example(
            """
from typing import Annotated
from time import sleep
import fastapi
from fastapi import BackgroundTasks as Jobs

router = fastapi.APIRouter()

@router.post("/files")
async def receive(doc: Annotated[fastapi.UploadFile, fastapi.File()], jobs: Jobs):
    sleep(0.5)
    jobs.add_task(handle, doc.filename)
""",
            line=11,
            note="router, Annotated, from time import sleep",
        ),
        Example(
            """
import requests, subprocess, urllib.request
from fastapi import FastAPI, UploadFile
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile):
    requests.post("https://scanner.example", files={"f": await file.read()})
""",
            line=8,
            note="requests",
        ),
        Example(
            """
import httpx
from fastapi import FastAPI, UploadFile
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile):
    client = httpx.Client()
    client.post("https://scanner.example", content=await file.read())
""",
            line=9,
            note="sync httpx client through a local variable",
        ),
        Example(
            """
import subprocess
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

def convert(path):
    subprocess.run(["convert", path])

@app.post("/upload")
async def upload(file: UploadFile, tasks: BackgroundTasks):
    convert("saved.bin")
""",
            line=11,
            note="plain def helper called from the async endpoint",
        ),
        Example(
            """
import time
from fastapi import FastAPI
app = FastAPI()

@app.api_route("/slow", methods=["GET"])
async def slow():
    def wait():
        time.sleep(1)
    wait()
""",
            line=10,
            note="nested def called directly on the loop",
        ),
        Example(
            """
from fastapi import FastAPI, UploadFile
from . import service
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile):
    service.convert("saved.bin")
""",
            files={
                "__init__.py": "",
                "service.py": "import subprocess\n\ndef convert(path):\n    subprocess.run(['convert', path])\n",
            },
            line=8,
            note="helper reached through a module (from . import service)",
        ),
        Example(
            """
import sqlite3
from fastapi import FastAPI, UploadFile
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile):
    conn = sqlite3.connect("app.db")
    conn.execute("insert into uploads values (?)", (file.filename,))
""",
            line=8,
            note="synchronous database client",
        ),
    ]

    def check(self, module: ModuleAnalysis) -> Iterator[Finding]:
        for info in module.functions:
            if info.is_route and info.is_async:
                for blocked in blocking_in(module, info, kinds=_KINDS):
                    yield self.finding(module, blocked.node, self._explain(info.name, blocked))

    @staticmethod
    def _explain(endpoint: str, blocked: Blocked) -> str:
        what = f"{blocked.helper}()" if blocked.helper else blocked.what
        head = (
            f"blocking call {what} in async def endpoint {endpoint}(): it stops the event loop, so every "
            "other request waits"
        )
        if blocked.helper:
            return (
                f"{head} (it calls {blocked.what}); make the endpoint a plain def or run the helper with "
                "run_in_threadpool"
            )
        return f"{head}; use {blocked.instead}"
