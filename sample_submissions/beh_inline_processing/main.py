"""Does the processing in the endpoint, before responding; only a notification is deferred."""
import logging
import uuid
from pathlib import Path

from fastapi import BackgroundTasks, FastAPI, UploadFile

logger = logging.getLogger(__name__)
app = FastAPI()
UPLOAD_DIR = Path("uploads")


def notify(name: str) -> None:
    logger.info("processed %s", name)


@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    UPLOAD_DIR.mkdir(exist_ok=True)
    saved = UPLOAD_DIR / f"{uuid.uuid4().hex}.upload"
    contents = await file.read()
    saved.write_bytes(contents)
    # The processing happens here, so the client waits for it.
    lines = contents.count(b"\n")
    saved.with_suffix(".report.txt").write_text(f"{len(contents)} bytes, {lines} lines\n")
    background_tasks.add_task(notify, saved.name)
    return {"message": "File processed", "lines": lines}
