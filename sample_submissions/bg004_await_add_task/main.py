"""Upload, save, then process (BG004: add_task is awaited)."""

import logging
import time
import uuid
from pathlib import Path

from fastapi import BackgroundTasks, FastAPI, UploadFile

logger = logging.getLogger(__name__)
app = FastAPI()
UPLOAD_DIR = Path("uploads")
CHUNK = 1024 * 1024


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
async def upload(file: UploadFile, background_tasks: BackgroundTasks) -> dict[str, str]:
    UPLOAD_DIR.mkdir(exist_ok=True)
    path = UPLOAD_DIR / f"{uuid.uuid4().hex}.upload"
    with path.open("wb") as out:
        while chunk := await file.read(CHUNK):
            out.write(chunk)
    await background_tasks.add_task(process_file, path)
    return {"message": "File saved, processing started"}
