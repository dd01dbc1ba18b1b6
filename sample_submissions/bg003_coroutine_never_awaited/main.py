"""add_task gets a coroutine object: the async task is called, never run."""

import hashlib
import uuid
from pathlib import Path

from fastapi import BackgroundTasks, FastAPI, UploadFile

UPLOAD_DIR = Path("uploads")
UPLOAD_DIR.mkdir(exist_ok=True)

app = FastAPI()


async def checksum(path: Path) -> None:
    path.with_suffix(".sha256").write_text(hashlib.sha256(path.read_bytes()).hexdigest())


@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    dest = UPLOAD_DIR / f"{uuid.uuid4().hex}.upload"
    dest.write_bytes(await file.read())
    background_tasks.add_task(checksum(dest))  # bug: the coroutine, not the function
    return {"stored_as": dest.name}
