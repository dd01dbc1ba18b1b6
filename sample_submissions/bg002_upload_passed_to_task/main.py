"""Upload a file and save + process it in one background task (BG002: the task gets the UploadFile)."""

import logging
import shutil
import time
import uuid
from pathlib import Path

from fastapi import BackgroundTasks, FastAPI, UploadFile

logger = logging.getLogger(__name__)
app = FastAPI()
UPLOAD_DIR = Path("uploads")


def save_and_process(file: UploadFile) -> None:
    """Save the upload, then write a small report next to it."""
    try:
        UPLOAD_DIR.mkdir(exist_ok=True)
        path = UPLOAD_DIR / f"{uuid.uuid4().hex}.upload"
        with path.open("wb") as out:
            shutil.copyfileobj(file.file, out)
        time.sleep(0.3)
        data = path.read_bytes()
        report = path.with_name(path.name + ".processed.txt")
        report.write_text(f"{len(data)} bytes\n", encoding="utf-8")
    except OSError:
        logger.exception("processing upload failed")


@app.post("/upload")
def upload(file: UploadFile, background_tasks: BackgroundTasks) -> dict[str, str]:
    background_tasks.add_task(save_and_process, file)
    return {"message": "File upload started"}
