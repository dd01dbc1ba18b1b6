"""Upload, save, process in the background; the task lives in worker.py."""

import shutil
import uuid
from pathlib import Path

from fastapi import BackgroundTasks, FastAPI, UploadFile

from worker import process

UPLOAD_DIR = Path(__file__).parent / "uploads"
UPLOAD_DIR.mkdir(exist_ok=True)

app = FastAPI()


@app.post("/upload")
def upload(file: UploadFile, background_tasks: BackgroundTasks):
    path = UPLOAD_DIR / f"{uuid.uuid4().hex}.bin"
    with path.open("wb") as out:
        shutil.copyfileobj(file.file, out)
    background_tasks.add_task(process, str(path))
    return {"filename": file.filename, "status": "processing"}
