"""An async endpoint that hands the blocking copy to Starlette's thread pool, and a plain
def task (FastAPI runs it in a worker thread)."""

import logging
import shutil
import uuid
from pathlib import Path

from fastapi import BackgroundTasks, FastAPI, UploadFile
from starlette.concurrency import run_in_threadpool

logger = logging.getLogger("uploads")
UPLOAD_DIR = Path("uploads")
UPLOAD_DIR.mkdir(exist_ok=True)

app = FastAPI()


def save(file: UploadFile, path: Path) -> None:
    with path.open("wb") as out:
        shutil.copyfileobj(file.file, out)


def count_lines(path: Path) -> None:
    try:
        lines = path.read_bytes().count(b"\n")
        path.with_suffix(".lines").write_text(f"{lines}\n")
    except OSError:
        logger.exception("counting %s failed", path)


@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    path = UPLOAD_DIR / f"{uuid.uuid4().hex}.upload"
    await run_in_threadpool(save, file, path)
    background_tasks.add_task(count_lines, path)
    return {"stored_as": path.name}
