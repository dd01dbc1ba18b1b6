"""Upload, save, process in the background; but the client's filename becomes the path."""

import hashlib
import logging
import shutil
import time
from pathlib import Path

from fastapi import BackgroundTasks, FastAPI, UploadFile

logger = logging.getLogger("uploads")
UPLOAD_DIR = Path(__file__).parent / "uploads"
UPLOAD_DIR.mkdir(exist_ok=True)

app = FastAPI()


def process(path: str) -> None:
    try:
        time.sleep(0.3)
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        Path(f"{path}.processed").write_text(digest + "\n")
        logger.info("processed %s", path)
    except OSError:
        logger.exception("processing %s failed", path)


@app.post("/upload")
def upload(file: UploadFile, background_tasks: BackgroundTasks):
    name = file.filename
    path = f"{UPLOAD_DIR}/{name}"
    with open(path, "wb") as out:
        shutil.copyfileobj(file.file, out)
    background_tasks.add_task(process, path)
    return {"filename": file.filename, "status": "processing"}
