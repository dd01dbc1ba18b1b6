"""Async all the way: the upload is streamed to disk with anyio's async file API, and the
async task reads the saved file the same way, so nothing blocks the event loop."""

import hashlib
import logging
import uuid
from pathlib import Path

import anyio
from fastapi import BackgroundTasks, FastAPI, UploadFile

logger = logging.getLogger("uploads")
UPLOAD_DIR = Path(__file__).parent / "uploads"
UPLOAD_DIR.mkdir(exist_ok=True)
CHUNK = 1 << 20

app = FastAPI()


async def summarise(path: Path) -> None:
    """Write the saved file's SHA-256 next to it."""
    try:
        digest = hashlib.sha256()
        async with await anyio.open_file(path, "rb") as saved:
            while chunk := await saved.read(CHUNK):
                digest.update(chunk)
        async with await anyio.open_file(path.with_suffix(".sha256"), "w") as report:
            await report.write(digest.hexdigest() + "\n")
    except OSError:
        logger.exception("summarising %s failed", path)


@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    path = UPLOAD_DIR / f"{uuid.uuid4().hex}.upload"
    async with await anyio.open_file(path, "wb") as out:
        while chunk := await file.read(CHUNK):
            await out.write(chunk)
    background_tasks.add_task(summarise, path)
    return {"stored_as": path.name, "status": "processing"}
