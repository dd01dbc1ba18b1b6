"""Crashes with a 500 on an empty upload (divides by the line count)."""
import uuid
from pathlib import Path

from fastapi import BackgroundTasks, FastAPI, UploadFile

app = FastAPI()
UPLOAD_DIR = Path("uploads")


def process_file(path: Path) -> None:
    data = path.read_bytes()
    path.with_suffix(".report.txt").write_text(f"{len(data)} bytes\n")


@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    UPLOAD_DIR.mkdir(exist_ok=True)
    contents = await file.read()
    average_line = len(contents) // len(contents.splitlines())
    saved = UPLOAD_DIR / f"{uuid.uuid4().hex}.upload"
    saved.write_bytes(contents)
    background_tasks.add_task(process_file, saved)
    return {"message": "File saved, processing started", "average_line": average_line}
