"""Processes in the background, but lower-cases instead of upper-casing."""
import shutil
from pathlib import Path

from fastapi import BackgroundTasks, FastAPI, UploadFile

app = FastAPI()
UPLOADS = Path("uploads")
UPLOADS.mkdir(exist_ok=True)


def process(path: Path) -> None:
    path.with_name(path.name + ".out").write_bytes(path.read_bytes().lower())


@app.post("/upload")
def upload(file: UploadFile, background_tasks: BackgroundTasks):
    target = UPLOADS / Path(file.filename or "upload").name
    with target.open("wb") as out:
        shutil.copyfileobj(file.file, out)
    background_tasks.add_task(process, target)
    return {"saved": target.name}
