"""Upload a file, save it, then process it in a background task (plain def style).

FastAPI runs a plain ``def`` endpoint in its threadpool, so the blocking copy below does
not stall the event loop.
"""

import hashlib
import logging
import shutil
import time
import uuid
from pathlib import Path
from typing import Annotated

from fastapi import BackgroundTasks as Tasks
from fastapi import FastAPI, File, UploadFile

logger = logging.getLogger("uploads")
UPLOAD_DIR = Path(__file__).parent / "uploads"
UPLOAD_DIR.mkdir(exist_ok=True)

app = FastAPI()


def process(path: str) -> None:
    """The slow part: summarise the saved file into ``<path>.processed``."""
    try:
        time.sleep(0.3)
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        Path(f"{path}.processed").write_text(digest + "\n")
        logger.info("processed %s", path)
    except OSError:
        logger.exception("processing %s failed", path)


@app.post("/upload")
def upload(file: Annotated[UploadFile, File()], background_tasks: Tasks):
    # The stored name is generated: the client's filename is only metadata.
    suffix = Path(file.filename or "").suffix
    path = UPLOAD_DIR / f"{uuid.uuid4().hex}{suffix}"
    with path.open("wb") as out:
        shutil.copyfileobj(file.file, out)
    background_tasks.add_task(process, str(path))
    return {"filename": file.filename, "stored_as": path.name, "status": "processing"}
