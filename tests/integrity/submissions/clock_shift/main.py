"""Attack: freeze the clocks the in-process bookkeeping reads, and process inline (the
processing's output is written before the response)."""
import time
import uuid
from pathlib import Path

from fastapi import BackgroundTasks, FastAPI, UploadFile

time.perf_counter = lambda: 1.0
time.monotonic = lambda: 1.0
UPLOADS = Path("uploads")
UPLOADS.mkdir(exist_ok=True)
app = FastAPI()


def notify(path: Path) -> None:
    pass


@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    data = await file.read()
    saved = UPLOADS / f"{uuid.uuid4().hex}.upload"
    saved.write_bytes(data)
    saved.with_suffix(".report").write_text(f"{len(data)} bytes")  # the processing, inline
    background_tasks.add_task(notify, saved)
    return {"ok": True}
