"""Saves correctly, but the processing task raises after the response was sent."""
import uuid
from pathlib import Path

from fastapi import BackgroundTasks, FastAPI, UploadFile

app = FastAPI()
UPLOAD_DIR = Path("uploads")


def process_file(path: Path) -> None:
    text = path.read_bytes()
    header = text.split(b"\n")[0]
    # Bug: assumes every upload starts with a "key=value" header line.
    key, value = header.decode("ascii", "replace").split("=", 1)
    (path.with_suffix(".meta")).write_text(f"{key}: {value}\n")


@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    UPLOAD_DIR.mkdir(exist_ok=True)
    saved = UPLOAD_DIR / f"{uuid.uuid4().hex}.upload"
    saved.write_bytes(await file.read())
    background_tasks.add_task(process_file, saved)
    return {"message": "File saved, processing started"}
