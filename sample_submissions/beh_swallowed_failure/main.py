"""The task receives bytes where it expects a path, and its broad except hides the error:
nothing is ever processed, and nobody is told."""

import logging
import uuid
from pathlib import Path

from fastapi import BackgroundTasks, FastAPI, UploadFile

logger = logging.getLogger("uploads")
UPLOAD_DIR = Path("uploads")
UPLOAD_DIR.mkdir(exist_ok=True)

app = FastAPI()


def process(path) -> None:
    try:
        saved = Path(path)
        saved.with_suffix(".size").write_text(str(len(saved.read_bytes())))
    except Exception:
        pass  # "never crash the worker"


@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    data = await file.read()
    path = UPLOAD_DIR / f"{uuid.uuid4().hex}.upload"
    path.write_bytes(data)
    background_tasks.add_task(process, data)  # bug: the bytes, not the saved path
    return {"stored_as": path.name}
