"""Upload, save, process in the background; the save reads the whole upload into memory."""

import hashlib
import logging
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
    contents = await file.read()
    path = UPLOAD_DIR / f"{uuid.uuid4().hex}.bin"
    with open(path, "wb") as out:
        out.write(contents)
    background_tasks.add_task(process, str(path))
    return {"filename": file.filename, "status": "processing"}
