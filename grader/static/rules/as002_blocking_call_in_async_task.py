"""AS002: a blocking call inside an ``async def`` background task."""

from __future__ import annotations

from collections.abc import Iterator

from grader.model import Finding, Severity
from grader.static.analysis import ModuleAnalysis
from grader.static.calls import Blocked, blocking_in, param_upload_stream
from grader.static.rule import Example, Rule


class BlockingCallInAsyncTask(Rule):
    """
    ## What it does
    Follows every `add_task(fn, ...)` to `fn`'s definition in the submission (same module,
    a nested def, another module: `from .worker import process`, or through a module:
    `add_task(tasks.process, ...)` after `from app import tasks`) and, when `fn` is an
    `async def`, flags the blocking calls inside it, and direct calls to plain `def`
    helpers that make one: `time.sleep`, `requests.*`, sync `httpx`, `urlopen`,
    `subprocess.*`, synchronous database clients (`sqlite3`, `psycopg2`, `pymysql`,
    `redis`), image and table file I/O (`PIL.Image.open`/`.save`, `cv2.imread`/`imwrite`,
    `pandas.read_csv`/`to_csv`...), and disk I/O: `open(...)`/`Path.open(...)` whose file is
    read or written, `Path.read_bytes()`/`write_bytes()`/`read_text()`/`write_text()`,
    `shutil.copyfileobj`/`copy`/`move`, and the upload's `file.file.read()`. The complete
    list is the table of blocking calls in the rules reference; a rubric can add its own
    (`[static] blocking_calls`). The finding is at the blocking call, in the module that
    holds it.

    ## Why is this bad?
    Starlette runs a plain `def` task in a threadpool but awaits an `async def` task on the
    event loop. A blocking call in an `async def` task therefore freezes the whole server
    after the response: no other request is served until the task's sleep, HTTP call,
    query or file copy is over. The response did come first, but the next client now waits.

    ## Example
    ```python
    async def process(path: str):
        time.sleep(5)                          # the server is frozen for 5 s
        Path(path + ".out").write_text(...)    # so is every disk write

    background_tasks.add_task(process, path)
    ```

    ## Use instead
    Make the task a plain `def` (Starlette runs it in the threadpool), or keep `async def` and
    await async equivalents (`await asyncio.sleep`, `httpx.AsyncClient`, `aiofiles`,
    `await anyio.to_thread.run_sync(...)`):
    ```python
    def process(path: str):
        time.sleep(5)
        Path(path + ".out").write_text(...)
    ```
    """

    code = "AS002"
    name = "blocking-call-in-async-task"
    severity = Severity.ERROR
    message = (
        "blocking call inside an async def background task: async tasks run on the event "
        "loop, so this freezes the whole server; make the task a plain def or await an async equivalent"
    )

    VALID = [
        Example(
            """
import time
from pathlib import Path
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

def process(path):
    time.sleep(1)
    Path(path + ".out").write_text(Path(path).read_text())

@app.post("/upload")
async def upload(file: UploadFile, tasks: BackgroundTasks):
    tasks.add_task(process, "saved.bin")
""",
            note="plain def task: Starlette runs it in a threadpool",
        ),
        Example(
            """
import asyncio, aiofiles
from fastapi import FastAPI, UploadFile, BackgroundTasks
from anyio import Path as APath
app = FastAPI()

async def process(path):
    await asyncio.sleep(1)
    async with aiofiles.open(path, "rb") as f:
        data = await f.read()
    await APath(path + ".out").write_bytes(data)
    await asyncio.to_thread(lambda: open(path).read())

@app.post("/upload")
async def upload(file: UploadFile, tasks: BackgroundTasks):
    tasks.add_task(process, "saved.bin")
""",
            note="awaited async I/O and a lambda sent to a thread",
        ),
        Example(
            """
import time
from fastapi import FastAPI, UploadFile

async def unused():
    time.sleep(1)

class Queue:
    def add_task(self, fn, *args): ...

q = Queue()

def handler(file):
    q.add_task(unused)
""",
            note="not passed to a BackgroundTasks.add_task",
        ),
        Example(
            """
from fastapi import FastAPI, UploadFile, BackgroundTasks
from worker import process
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile, tasks: BackgroundTasks):
    tasks.add_task(process, "saved.bin")
""",
            files={
                "worker.py": """
import asyncio
async def process(path):
    await asyncio.sleep(1)
    with open(path, "rb") as f:
        f.seek(0)
"""
            },
            note="task in another module that does not block",
        ),
        Example(
            """
import anyio, asyncio, aiofiles
import pandas as pd
from PIL import Image
from fastapi import FastAPI, UploadFile, BackgroundTasks
from app import tasks
app = FastAPI()

async def thumbnail(path):
    image = await anyio.to_thread.run_sync(Image.open, path)
    frame = await asyncio.to_thread(pd.read_csv, path)
    async with aiofiles.open(path + ".txt", "w") as out:
        await out.write(str(len(frame)))

@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    background_tasks.add_task(thumbnail, "saved.png")
    background_tasks.add_task(tasks.process, "saved.png")
""",
            files={"app/__init__.py": "", "app/tasks.py": "import time\n\ndef process(path):\n    time.sleep(1)\n"},
            note="blocking libraries sent to a thread; a plain def task reached through a module",
        ),
    ]
    INVALID = [
        Example(
            """
import time
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

async def process(path: str):
    time.sleep(2)

@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    background_tasks.add_task(process, "saved.bin")
""",
            line=7,
            note="the classic: time.sleep in an async task",
        ),
        Example(
            """
from fastapi import FastAPI, UploadFile, BackgroundTasks
from .worker import process
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile, tasks: BackgroundTasks):
    tasks.add_task(process, "saved.bin")
""",
            files={
                "__init__.py": "",
                "worker.py": """from pathlib import Path

async def process(path):
    data = Path(path).read_bytes()
    Path(path + ".processed").write_bytes(data.upper())
""",
            },
            line=4,
            note="task in another module (relative import): reported in worker.py",
        ),
        Example(
            """
from typing import Annotated
import fastapi
import requests as http
from fastapi import BackgroundTasks as Jobs

router = fastapi.APIRouter()

@router.post("/files")
def receive(doc: Annotated[fastapi.UploadFile, fastapi.File()], jobs: Jobs):
    async def notify():
        http.post("https://hooks.example", json={"name": doc.filename})
    jobs.add_task(notify)
""",
            line=12,
            note="router, Annotated, alias, sync endpoint, nested async task",
        ),
        Example(
            """
import functools, shutil
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

async def save(src, dst):
    with open(dst, "wb") as out:
        shutil.copyfileobj(src, out)

@app.post("/upload")
async def upload(file: UploadFile, tasks: BackgroundTasks):
    tasks.add_task(functools.partial(save, file.file, "saved.bin"))
""",
            line=7,
            note="functools.partial; open() then shutil.copyfileobj, reported once at the open",
        ),
        Example(
            """
import time
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

def slow_step(path):
    time.sleep(3)

async def process(path):
    slow_step(path)

@app.post("/upload")
async def upload(file: UploadFile, tasks: BackgroundTasks):
    tasks.add_task(process, "saved.bin")
""",
            line=10,
            note="plain def helper called from the async task",
        ),
        Example(
            """
from fastapi import FastAPI, UploadFile, BackgroundTasks
from app import tasks
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    background_tasks.add_task(tasks.process, "saved.bin")
""",
            files={
                "app/__init__.py": "",
                "app/tasks.py": """import time

async def process(path):
    time.sleep(2)
""",
            },
            line=4,
            note="task reached through a module: from app import tasks; add_task(tasks.process)",
        ),
        Example(
            """
from fastapi import FastAPI, UploadFile, BackgroundTasks
import worker
import jobs.steps as steps
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    background_tasks.add_task(worker.process, "saved.bin")
    background_tasks.add_task(steps.index, "saved.bin")
""",
            files={
                "worker.py": """import sqlite3

async def process(path):
    conn = sqlite3.connect("app.db")
    conn.execute("insert into files values (?)", (path,))
""",
                "jobs/__init__.py": "",
                "jobs/steps.py": """import pandas

async def index(path):
    frame = pandas.read_csv(path)
    frame.to_csv(path + ".out")
""",
            },
            line=4,
            note="import worker / import pkg.mod as alias; sqlite3 and pandas in async tasks",
        ),
        Example(
            """
from pathlib import Path
from PIL import Image
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()

async def store(upload: UploadFile, dest: Path):
    data = upload.file.read()
    with dest.open("wb") as out:
        out.write(data)
    Image.open(dest).save(dest.with_suffix(".png"))

@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    background_tasks.add_task(store, file, Path("uploads") / "a.bin")
""",
            line=8,
            note="file.file.read(), Path.open then write, PIL Image.open and save",
        ),
    ]

    def check(self, module: ModuleAnalysis) -> Iterator[Finding]:
        for task in module.add_task_calls:
            resolved = module.resolve_callable(task.func, task.function)
            if resolved is None:
                continue  # unknown callee: stay silent rather than guess
            task_module, info = resolved
            if info.is_async:
                for blocked in blocking_in(task_module, info, upload_stream=param_upload_stream(info)):
                    yield self.finding(task_module, blocked.node, self._explain(info.name, blocked))

    @staticmethod
    def _explain(task: str, blocked: Blocked) -> str:
        head = (
            f"blocking call {f'{blocked.helper}()' if blocked.helper else blocked.what} in async def background "
            f"task {task}(): async tasks run on the event loop, so this freezes the whole server until it returns"
        )
        if blocked.helper:
            return (
                f"{head} (it calls {blocked.what}); make {task} a plain def or run the helper with "
                "anyio.to_thread.run_sync"
            )
        return f"{head}; make {task} a plain def or use {blocked.instead}"
