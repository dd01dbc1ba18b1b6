"""Attack: process inline, and send the HTTP response with write() instead of send(), so the
response leaves by a path the grader's send trap does not see."""
import os
import uuid
from pathlib import Path

from fastapi import BackgroundTasks, FastAPI, UploadFile

try:
    import asyncio.selector_events as selector_events

    def write_instead(self, data):
        os.write(self._sock.fileno(), bytes(data))

    selector_events._SelectorSocketTransport.write = write_instead
except (ImportError, AttributeError):
    pass

UPLOADS = Path("uploads")
UPLOADS.mkdir(exist_ok=True)
app = FastAPI()


def touch(path: Path) -> None:
    path.with_suffix(".later").write_text("processed")
    path.read_bytes()


@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    data = await file.read()
    saved = UPLOADS / f"{uuid.uuid4().hex}.upload"
    saved.write_bytes(data)
    saved.with_suffix(".report").write_text(str(len(saved.read_bytes())))  # inline processing
    background_tasks.add_task(touch, saved)
    return {"ok": True}
