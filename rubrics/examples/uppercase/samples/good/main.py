"""Saves the upload, then upper-cases it in a background task."""
import shutil
from pathlib import Path

from fastapi import BackgroundTasks, FastAPI, UploadFile

app = FastAPI()
UPLOADS = Path("uploads")
UPLOADS.mkdir(exist_ok=True)


def uppercase(path: Path) -> None:
    path.with_name(path.name + ".upper").write_bytes(path.read_bytes().upper())


@app.post("/upload")
def upload(file: UploadFile, background_tasks: BackgroundTasks):
    target = UPLOADS / Path(file.filename or "upload").name
    with target.open("wb") as out:
        shutil.copyfileobj(file.file, out)
    background_tasks.add_task(uppercase, target)
    return {"saved": target.name}
