"""Upload, save, process in the background; but the async endpoint blocks the event loop."""

import hashlib
import logging
import shutil
import time
import uuid
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
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    path = UPLOAD_DIR / f"{uuid.uuid4().hex}.bin"
    with path.open("wb") as out:
        shutil.copyfileobj(file.file, out)
    time.sleep(0.5)  # "give the disk time to flush": blocks every other request
    background_tasks.add_task(process, str(path))
    return {"filename": file.filename, "status": "processing"}
