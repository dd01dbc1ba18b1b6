"""Python sources for the static tests.

``corpus()``: every sample submission's modules, every rule example, the labelled cases
below, and hand-written modules with the constructs scope analysis treats specially (string
annotations, comprehensions, global/nonlocal, class scopes, lambdas, type parameters,
match, walrus, f-string format specs, star imports...): the speed-equivalence tests run
over it.

``LABELLED``: small submissions in the shapes real code takes (tasks in other modules,
reached through module attributes; paths built in the endpoint and opened elsewhere;
blocking libraries; look-alikes that must stay clean), each line's expected findings
written on it as ``# expect: CODE``. ``tests/test_static_corpus.py`` holds the engine to
them; ``bench/static_recall.py`` prints recall and false positives per rule.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

from grader.static.registry import all_rules

ROOT = Path(__file__).resolve().parents[1]

TRICKY = [
    '''
from __future__ import annotations
import typing, os.path as osp
from typing import TYPE_CHECKING, List, Literal, cast, NewType, TypeVar
from time import sleep as zz
from . import sibling
from ..pkg.mod import *
if TYPE_CHECKING:
    from fastapi import UploadFile
T = TypeVar("T", bound="UploadFile")
UserId = NewType("UserId", "int")
def f(a: "UploadFile", b: List["os.PathLike"] = cast("typing.Any", None), *args: "T", **kw) -> "Literal['x']":
    global counter
    counter = 1
    x = [y for y in range(3) if y for z in [y]]
    g = {k: v for k, v in kw.items()}
    h = (lambda q, r=zz: q + r)(1)
    def inner():
        nonlocal x
        x = zz(1)
        del h2
    class C:
        x = x
        def m(self, x=x):
            return [x for x in self.x]
    if (n := len(x)) > 1:
        pass
    match a:
        case {"k": [1, *rest]} | osp.sep as alias:
            zz(rest)
        case C(x=1):
            pass
    try:
        pass
    except (OSError, ValueError) as exc:
        print(exc)
    with open(a) as (fh):
        fh.read()
    return f"{a!r:>{n}} {b=}"
async def g():
    async for item in aiter():
        await zz(item)
    return [i async for i in aiter()]
''',
    '''
class Outer:
    v = 1
    class Inner:
        v = 2
        def fn(self):
            return v
type Alias[K] = dict[K, "Outer"]
def generic[T: int, *Ts, **P](x: T) -> T:
    return x
class Box[T]:
    item: T
print(*[1], **{})
a = b = c, d = 1, 2
a.b.c = 3
a[0], *rest = range(4)
for i, (j, k) in enumerate([]):
    pass
else:
    i
while (w := 0):
    break
assert i, "msg"
raise ValueError from None
''',
    "x: 'List[int]' = []\ny: \"'nested'\" = 1\nz: 'not valid python (' = 2\n",
    "import a.b.c\nimport a.b.d as e\na.b.c.f()\ne.g()\nfrom a.b import c as d2\nd2.h()\n",
]


# Labelled cases: (name, {path: source}). A line ending in ``# expect: CODE[, CODE]`` must
# get exactly those findings; every other line none.
APP = "from fastapi import FastAPI, UploadFile, BackgroundTasks\napp = FastAPI()\n"
LOG = "import logging\nlog = logging.getLogger(__name__)\n"

LABELLED: list[tuple[str, dict[str, str]]] = [
    # ----- BG001 through a variable --------------------------------------------------------
    ("bg001-variable-filename", {"main.py": APP + '''
def process_file(file):
    try:
        with open(f"processed/{file.filename}.txt", "w") as out:
            out.write("done")
    except OSError:
        pass

@app.post("/upload")
def upload(file: UploadFile, background_tasks: BackgroundTasks):
    content = file.file.read()
    background_tasks.add_task(process_file, content)  # expect: BG001
    return {"ok": True}
'''}),
    ("bg001-variable-other-module", {
        "app/__init__.py": "",
        "app/main.py": APP + '''from app import tasks

@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    data = await file.read()
    background_tasks.add_task(tasks.handle, data)  # expect: BG001
''',
        "app/tasks.py": LOG + '''
def handle(upload):
    try:
        payload = upload.file.read()
        log.info("%d bytes", len(payload))
    except Exception:
        log.exception("failed")
''',
    }),
    ("bg001-annotated-import-module", {
        "main.py": APP + '''import worker

@app.post("/upload")
def upload(file: UploadFile, background_tasks: BackgroundTasks):
    blob = file.file.read()
    background_tasks.add_task(worker.store, blob)  # expect: BG001
''',
        "worker.py": "import shutil\nfrom fastapi import UploadFile\n" + LOG + '''
def store(item: UploadFile):
    try:
        with open(f"out/{id(item)}.bin", "wb") as out:
            shutil.copyfileobj(item.file, out)
    except OSError:
        log.exception("store failed")
''',
    }),
    ("bg001-inline-unknown-task", {"main.py": APP + '''
@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    background_tasks.add_task(handle_upload, await file.read())  # expect: BG001
'''}),
    ("bg001-bytes-to-path-task", {"main.py": APP + '''import uuid
from pathlib import Path

def process(saved):
    try:
        saved.with_suffix(".size").write_text(str(len(saved.read_bytes())))
    except Exception:
        pass

@app.post("/upload")
def upload(file: UploadFile, background_tasks: BackgroundTasks):
    data = file.file.read()
    path = Path("uploads") / uuid.uuid4().hex
    path.write_bytes(data)
    background_tasks.add_task(process, data)  # expect: BG001
'''}),
    ("bg001-bytes-task-clean", {"main.py": APP + LOG + '''import hashlib

def digest(data: bytes, name: str):
    try:
        log.info("%s %s", name, hashlib.sha256(data).hexdigest())
    except Exception:
        log.exception("digest failed")

@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    content = await file.read()
    background_tasks.add_task(digest, content, "a")
    background_tasks.add_task(digest, await file.read(), "b")
'''}),
    # ----- SEC001 through a path built in the endpoint -----------------------------------------
    ("sec001-path-to-task", {"main.py": APP + LOG + '''
def process(path):
    try:
        with open(path, "rb") as f:
            log.info("%d bytes", len(f.read()))
    except OSError:
        log.exception("failed")

@app.post("/upload")
def upload(file: UploadFile, background_tasks: BackgroundTasks):
    path = f"uploads/{file.filename}"  # expect: SEC001
    background_tasks.add_task(process, path)
'''}),
    ("sec001-join-run-in-executor", {
        "main.py": '''import asyncio, os
from fastapi import FastAPI, UploadFile
import app.storage as storage
app = FastAPI()

@app.post("/upload")
async def upload(file: UploadFile):
    path = os.path.join("uploads", file.filename)  # expect: SEC001
    data = await file.read()
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, storage.write, path, data)
''',
        "app/__init__.py": "",
        "app/storage.py": '''def write(target, payload):
    with open(target, "wb") as out:
        out.write(payload)
''',
    }),
    ("sec001-plus-into-helper", {"main.py": APP + '''UPLOADS = "uploads"

def save(path, data):
    with open(path, "wb") as out:
        out.write(data)

@app.post("/upload")
def upload(file: UploadFile):  # expect: BG006
    save(UPLOADS + "/" + file.filename, file.file.read())  # expect: SEC001
'''}),
    ("sec001-path-div-to-thread", {"main.py": APP + '''import asyncio
from pathlib import Path
UPLOADS = Path("uploads")

def write(dest, data):
    dest.write_bytes(data)

@app.post("/upload")
async def upload(file: UploadFile):  # expect: BG006
    dest = UPLOADS / file.filename  # expect: SEC001
    await asyncio.to_thread(write, dest, await file.read())
'''}),
    ("sec001-ctime-suffix", {"main.py": APP + '''import time, shutil

@app.post("/upload")
def upload(file: UploadFile):  # expect: BG006
    file.filename = f"{file.filename}_{time.ctime()}"
    with open(f"uploads/{file.filename}", "wb") as out:  # expect: SEC001
        shutil.copyfileobj(file.file, out)
'''}),
    ("sec001-content-type-check", {"main.py": APP + '''import shutil
from fastapi import HTTPException

@app.post("/upload")
def upload(file: UploadFile):  # expect: BG006
    if not file.content_type.startswith("image/"):
        raise HTTPException(415, "images only")
    with open("uploads/" + file.filename, "wb") as out:  # expect: SEC001
        shutil.copyfileobj(file.file, out)
'''}),
    ("sec001-generated-prefix", {"main.py": APP + '''import shutil, uuid

@app.post("/upload")
def upload(file: UploadFile):  # expect: BG006
    stored = f"uploads/{uuid.uuid4().hex}_{file.filename}"  # expect: SEC001
    with open(stored, "wb") as out:
        shutil.copyfileobj(file.file, out)
'''}),
    ("sec001-one-finding-per-flow", {"main.py": APP + LOG + '''import os, shutil

def process(path):
    try:
        os.rename(path, path + ".done")
    except OSError:
        log.exception("failed")

@app.post("/upload")
def upload(file: UploadFile, background_tasks: BackgroundTasks):
    path = os.path.join("uploads", file.filename)  # expect: SEC001
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as out:
        shutil.copyfileobj(file.file, out)
    background_tasks.add_task(process, path)
'''}),
    ("sec001-display-path-clean", {"main.py": APP + '''import os, shutil, uuid

@app.post("/upload")
def upload(file: UploadFile):  # expect: BG006
    stored = os.path.join("uploads", uuid.uuid4().hex)
    with open(stored, "wb") as out:
        shutil.copyfileobj(file.file, out)
    shown = os.path.join("/files", file.filename)
    return {"url": shown}
'''}),
    ("sec001-validated-clean", {"main.py": APP + '''from pathlib import Path
from fastapi import HTTPException
ROOT = Path("uploads").resolve()

@app.post("/upload")
def upload(file: UploadFile):  # expect: BG006
    dest = (ROOT / file.filename).resolve()
    try:
        dest.relative_to(ROOT)
    except ValueError:
        raise HTTPException(400, "bad name")
    dest.write_bytes(file.file.read())  # expect: UP001
'''}),
    ("sec001-basename-clean", {"main.py": APP + '''import os, shutil
from pathlib import Path

@app.post("/upload")
def upload(file: UploadFile):  # expect: BG006
    name = os.path.basename(file.filename)
    with open(os.path.join("uploads", name), "wb") as out:
        shutil.copyfileobj(file.file, out)
    with open(Path("uploads") / Path(file.filename).name, "wb") as out:
        shutil.copyfileobj(file.file, out)
'''}),
    # ----- AS002 beyond its list, and tasks through modules -----------------------------------
    ("as002-path-open", {"main.py": APP + LOG + '''from pathlib import Path

async def count(path):
    try:
        with Path(path).open("rb") as f:  # expect: AS002
            log.info("%d", len(f.read()))
    except OSError:
        log.exception("failed")

@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    background_tasks.add_task(count, "uploads/a.bin")
'''}),
    ("as002-image-table-db", {"main.py": APP + LOG + '''import sqlite3
import pandas as pd
from PIL import Image

async def process(path):
    try:
        Image.open(path).save(path + ".png")  # expect: AS002
        frame = pd.read_csv(path)  # expect: AS002
        frame.to_csv(path + ".out")  # expect: AS002
        conn = sqlite3.connect("app.db")  # expect: AS002
        conn.execute("insert into t values (?)", (path,))  # expect: AS002
    except Exception:
        log.exception("failed")

@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    background_tasks.add_task(process, "uploads/a.csv")
'''}),
    ("as002-module-attribute-sleep", {
        "main.py": APP + '''import worker
from app import tasks

@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    background_tasks.add_task(worker.process, "a")
    background_tasks.add_task(tasks.notify, "a")
''',
        "worker.py": LOG + '''import time

async def process(path):
    try:
        time.sleep(3)  # expect: AS002
    except Exception:
        log.exception("failed")
''',
        "app/__init__.py": "",
        "app/tasks.py": LOG + '''import requests

async def notify(path):
    try:
        requests.post("https://hooks.example", json={"path": path})  # expect: AS002
    except Exception:
        log.exception("failed")
''',
    }),
    ("as002-upload-stream-in-task", {"main.py": APP + LOG + '''
async def store(upload):
    try:
        data = upload.file.read()  # expect: AS002
        log.info("%d", len(data))
    except Exception:
        log.exception("failed")

@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    background_tasks.add_task(store, file)  # expect: BG002
'''}),
    ("as002-threads-clean", {"main.py": APP + LOG + '''import asyncio
import pandas as pd
from PIL import Image

async def process(path):
    try:
        frame = await asyncio.to_thread(pd.read_csv, path)
        await asyncio.to_thread(lambda: Image.open(path).save(path + ".png"))
        log.info("%d rows", len(frame))
    except Exception:
        log.exception("failed")

@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    background_tasks.add_task(process, "uploads/a.csv")
'''}),
    # ----- AS003: blocking file I/O in async endpoints ------------------------------------------
    ("as003-open-copy", {"main.py": APP + LOG + '''import shutil, uuid

def process(path):
    try:
        log.info(path)
    except Exception:
        log.exception("failed")

@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    path = f"uploads/{uuid.uuid4().hex}"
    with open(path, "wb") as out:  # expect: AS003
        shutil.copyfileobj(file.file, out)
    background_tasks.add_task(process, path)
'''}),
    ("as003-write-bytes-helper", {"main.py": APP + '''import uuid
from pathlib import Path

def save(data):
    path = Path("uploads") / uuid.uuid4().hex
    path.write_bytes(data)
    return path

@app.post("/upload")
async def upload(file: UploadFile):  # expect: BG006
    data = file.file.read()  # expect: AS003
    save(data)  # expect: AS003
'''}),
    ("as003-tutorial-one-finding-per-file", {"main.py": APP + '''
@app.post("/uploadfile/")
async def create_upload_file(file: UploadFile, background_tasks: BackgroundTasks):
    file_location = f"files/{file.filename}"  # expect: SEC001
    with open(file_location, "wb+") as file_object:  # expect: AS003
        file_object.write(file.file.read())  # expect: UP001
    background_tasks.add_task(print, file_location)
    return {"info": f"file '{file.filename}' saved at '{file_location}'"}
'''}),
    ("as003-off-the-loop-clean", {"main.py": APP + '''import shutil, uuid, aiofiles
from fastapi.concurrency import run_in_threadpool

@app.post("/a")
def a(file: UploadFile):  # expect: BG006
    with open(f"uploads/{uuid.uuid4().hex}", "wb") as out:
        shutil.copyfileobj(file.file, out)

@app.post("/b")
async def b(file: UploadFile):  # expect: BG006
    with open(f"uploads/{uuid.uuid4().hex}", "wb") as out:
        await run_in_threadpool(shutil.copyfileobj, file.file, out)

@app.post("/c")
async def c(file: UploadFile):  # expect: BG006
    async with aiofiles.open(f"uploads/{uuid.uuid4().hex}", "wb") as out:
        while chunk := await file.read(1 << 20):
            await out.write(chunk)
'''}),
    # ----- UP001 only when the bytes are only written -------------------------------------------
    ("up001-only-written", {"main.py": APP + '''import uuid

@app.post("/upload")
def upload(file: UploadFile):  # expect: BG006
    contents = file.file.read()  # expect: UP001
    with open(f"uploads/{uuid.uuid4().hex}", "wb") as out:
        out.write(contents)
'''}),
    ("up001-hashed-and-measured-clean", {"main.py": APP + '''import hashlib
from fastapi import HTTPException

@app.post("/upload")
def upload(file: UploadFile):  # expect: BG006
    contents = file.file.read()
    if len(contents) > 10_000_000:
        raise HTTPException(413, "too large")
    digest = hashlib.sha256(contents).hexdigest()
    with open(f"uploads/{digest}", "wb") as out:
        out.write(contents)
    return {"sha256": digest}
'''}),
    # ----- BG011, BG003, BG007 through modules --------------------------------------------------
    ("bg011-sync-task", {"main.py": APP + LOG + '''import asyncio

async def analyse(path):
    await asyncio.sleep(0)

def process(path):
    try:
        asyncio.run(analyse(path))  # expect: BG011
    except Exception:
        log.exception("failed")

@app.post("/upload")
def upload(file: UploadFile, background_tasks: BackgroundTasks):
    background_tasks.add_task(process, "a")
'''}),
    ("bg003-coroutine-through-module", {
        "main.py": APP + '''from app import jobs

@app.post("/upload")
def upload(file: UploadFile, background_tasks: BackgroundTasks):
    background_tasks.add_task(jobs.checksum("uploads/a.bin"))  # expect: BG003
''',
        "app/__init__.py": "",
        "app/jobs.py": LOG + '''
async def checksum(path):
    try:
        log.info(path)
    except Exception:
        log.exception("failed")
''',
    }),
    ("bg007-relative-module", {
        "pkg/__init__.py": "",
        "pkg/main.py": APP + '''from . import tasks

@app.post("/upload")
def upload(file: UploadFile, background_tasks: BackgroundTasks):
    background_tasks.add_task(tasks.process, "a")
''',
        "pkg/tasks.py": '''
def process(path):  # expect: BG007
    open(path).read()
''',
    }),
    # ----- INT001: attacks and look-alikes ------------------------------------------------------
    ("int001-attacks", {"main.py": APP + '''import gc, os, sys, time
import grader.behavior  # expect: INT001
time.perf_counter = lambda: 0.0  # expect: INT001
fds = os.listdir("/proc/self/fd")  # expect: INT001
for obj in gc.get_objects():  # expect: INT001
    pass
os.write(5, b"{}")  # expect: INT001
frame = sys._getframe(1)  # expect: INT001
'''}),
    ("int001-look-alikes-clean", {"main.py": APP + LOG + '''import gc, os, time
from datetime import time as clock
from pathlib import Path

class Timer:
    def __init__(self):
        self.time = time.time()

@app.post("/upload")
def upload(file: UploadFile, background_tasks: BackgroundTasks):  # expect: BG006
    gc.collect()
    cpus = Path("/proc/cpuinfo").read_text().count("processor")
    fd = os.open("uploads/x", os.O_WRONLY | os.O_CREAT)
    os.write(fd, file.file.read())
    os.close(fd)
    app.state.opened_at = clock(9, 0)
    return {"cpus": cpus, "t": Timer().time}
'''}),
]


_EXPECT = re.compile(r"#\s*expect:\s*([A-Z]+\d+(?:\s*,\s*[A-Z]+\d+)*)\s*$")


def expected_findings(files: dict[str, str]) -> set[tuple[str, str, int]]:
    """(code, path, line) for every ``# expect: CODE`` marker of a labelled case."""
    found: set[tuple[str, str, int]] = set()
    for path, text in files.items():
        for number, line in enumerate(text.splitlines(), start=1):
            match = _EXPECT.search(line)
            if match:
                found |= {(code.strip(), path, number) for code in match.group(1).split(",")}
    return found


def corpus() -> list[tuple[str, str]]:
    """(name, source) pairs, every one of them valid Python (a sample that does not parse,
    on purpose, is left out)."""
    found: list[tuple[str, str]] = []
    for path in sorted((ROOT / "sample_submissions").rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        if libcst_parses(source):
            found.append((path.relative_to(ROOT).as_posix(), source))
    for code, rule in all_rules().items():
        for kind in ("valid", "invalid"):
            for index, example in enumerate(rule.examples(kind)):
                found.append((f"{code}-{kind}-{index}", "\n" + textwrap.dedent(example.source).lstrip("\n")))
                for name, text in example.files.items():
                    found.append((f"{code}-{kind}-{index}:{name}", textwrap.dedent(text)))
    for name, files in LABELLED:
        for path, text in files.items():
            found.append((f"{name}:{path}", text))
    for index, source in enumerate(TRICKY):
        found.append((f"tricky-{index}", textwrap.dedent(source)))
    return found


def libcst_parses(source: str) -> bool:
    """Generated source libcst rejects is not ours to test (hypothesmith makes some)."""
    import libcst as cst

    try:
        cst.parse_module(source)
    except Exception:  # noqa: BLE001
        return False
    return True
