"""Upload, then save and process in two background tasks (BG008: processing is scheduled first)."""

import logging
import time
import uuid
from pathlib import Path

from fastapi import BackgroundTasks, FastAPI, HTTPException, UploadFile

logger = logging.getLogger(__name__)
app = FastAPI()
UPLOAD_DIR = Path("uploads")
MAX_BYTES = 10 * 1024 * 1024


def save_bytes(data: bytes, path: Path) -> None:
    """Write the uploaded bytes to disk."""
    try:
        UPLOAD_DIR.mkdir(exist_ok=True)
        with path.open("wb") as out:
            out.write(data)
    except OSError:
        logger.exception("saving %s failed", path)


def process_file(path: Path) -> None:
    """Write a small report next to the saved upload."""
    try:
        time.sleep(0.3)
        data = path.read_bytes()
        report = path.with_name(path.name + ".processed.txt")
        report.write_text(f"{len(data)} bytes\n", encoding="utf-8")
    except OSError:
        logger.exception("processing %s failed", path)


@app.post("/upload")
def upload(file: UploadFile, background_tasks: BackgroundTasks) -> dict[str, str]:
    data = file.file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise HTTPException(status_code=413, detail="file too large")
    path = UPLOAD_DIR / f"{uuid.uuid4().hex}.upload"
    background_tasks.add_task(process_file, path)
    background_tasks.add_task(save_bytes, data, path)
    return {"message": "Upload accepted, processing started"}
