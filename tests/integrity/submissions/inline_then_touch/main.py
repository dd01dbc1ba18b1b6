"""Honest but wrong: the processing runs in the endpoint (0.6 s), then a trivial task
touches its output so something happens after the response."""
import time
import uuid
from pathlib import Path

from fastapi import BackgroundTasks, FastAPI, UploadFile

UPLOADS = Path("uploads")
UPLOADS.mkdir(exist_ok=True)
app = FastAPI()


@app.post("/upload")
def upload(file: UploadFile, background_tasks: BackgroundTasks):
    saved = UPLOADS / f"{uuid.uuid4().hex}.upload"
    data = file.file.read()
    saved.write_bytes(data)
    time.sleep(0.6)  # "the processing"
    report = saved.with_suffix(".report")
    report.write_text(f"{len(saved.read_bytes())} bytes")
    background_tasks.add_task(report.touch)
    return {"ok": True}
