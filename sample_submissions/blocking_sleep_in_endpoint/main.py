"""Saves and processes correctly, but the async endpoint sleeps 1.5 s with time.sleep:
the whole server freezes for every upload."""

import shutil
import time
import uuid
from pathlib import Path

from fastapi import BackgroundTasks, FastAPI, UploadFile

UPLOAD_DIR = Path("uploads")
UPLOAD_DIR.mkdir(exist_ok=True)

app = FastAPI()


def process(path: Path) -> None:
    try:
        path.with_suffix(".size").write_text(str(len(path.read_bytes())))
    except OSError as exc:
        print(f"processing failed: {exc}")


@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    path = UPLOAD_DIR / f"{uuid.uuid4().hex}.upload"
    with path.open("wb") as out:
        shutil.copyfileobj(file.file, out)
    time.sleep(1.5)  # "wait for the disk": blocks the event loop
    background_tasks.add_task(process, path)
    return {"stored_as": path.name}
