"""Saves the upload, but the background task crashes before writing anything."""
import shutil
from pathlib import Path

from fastapi import BackgroundTasks, FastAPI, UploadFile

app = FastAPI()
UPLOADS = Path("uploads")
UPLOADS.mkdir(exist_ok=True)


def uppercase(path: Path) -> None:
    text = path.read_text().upper()  # the test payload is text, but:
    raise RuntimeError(f"forgot to write {len(text)} characters")


@app.post("/upload")
def upload(file: UploadFile, background_tasks: BackgroundTasks):
    target = UPLOADS / Path(file.filename or "upload").name
    with target.open("wb") as out:
        shutil.copyfileobj(file.file, out)
    background_tasks.add_task(uppercase, target)
    return {"saved": target.name}
