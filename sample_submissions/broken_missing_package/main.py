"""A correct solution that imports a package the grading machine does not have."""

import shutil
import uuid
from pathlib import Path

import imaginary_thumbnail_lib  # not installed anywhere
from fastapi import BackgroundTasks, FastAPI, UploadFile

UPLOAD_DIR = Path("uploads")
UPLOAD_DIR.mkdir(exist_ok=True)

app = FastAPI()


def thumbnail(path: Path) -> None:
    try:
        imaginary_thumbnail_lib.make(path, path.with_suffix(".thumb"))
    except OSError as exc:
        print(f"thumbnail failed: {exc}")


@app.post("/upload")
def upload(file: UploadFile, background_tasks: BackgroundTasks):
    path = UPLOAD_DIR / f"{uuid.uuid4().hex}.upload"
    with path.open("wb") as out:
        shutil.copyfileobj(file.file, out)
    background_tasks.add_task(thumbnail, path)
    return {"stored_as": path.name}
