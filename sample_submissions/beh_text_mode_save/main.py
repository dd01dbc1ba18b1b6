"""Saves the upload as decoded text: NUL survives, invalid UTF-8 does not."""
import uuid
from pathlib import Path

from fastapi import BackgroundTasks, FastAPI, UploadFile

app = FastAPI()
UPLOAD_DIR = Path("uploads")


def process_file(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    path.with_suffix(".words.txt").write_text(f"{len(text.split())} words\n", encoding="utf-8")


@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    UPLOAD_DIR.mkdir(exist_ok=True)
    saved = UPLOAD_DIR / f"{uuid.uuid4().hex}.txt"
    text = (await file.read()).decode("utf-8", errors="replace")
    with open(saved, "w", encoding="utf-8") as out:
        out.write(text)
    background_tasks.add_task(process_file, saved)
    return {"message": "File saved, processing started"}
