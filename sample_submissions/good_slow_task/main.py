"""A correct app whose processing takes 4 seconds (in a worker thread): slow is not broken."""

import logging
import shutil
import time
import uuid
from pathlib import Path

from fastapi import BackgroundTasks, FastAPI, UploadFile

logger = logging.getLogger("uploads")
UPLOAD_DIR = Path("uploads")
UPLOAD_DIR.mkdir(exist_ok=True)

app = FastAPI()


def analyse(path: Path) -> None:
    try:
        time.sleep(4)  # "a long analysis"
        size = len(path.read_bytes())
        path.with_suffix(".report").write_text(f"{size} bytes analysed\n")
    except OSError:
        logger.exception("analysing %s failed", path)


@app.post("/upload")
def upload(file: UploadFile, background_tasks: BackgroundTasks):
    path = UPLOAD_DIR / f"{uuid.uuid4().hex}.upload"
    with path.open("wb") as out:
        shutil.copyfileobj(file.file, out)
    background_tasks.add_task(analyse, path)
    return {"stored_as": path.name, "status": "analysing"}
