"""A normal app next to a module whose file name is not UTF-8."""
import shutil
import uuid
from pathlib import Path

from fastapi import BackgroundTasks, FastAPI, UploadFile

UPLOADS = Path("uploads")
UPLOADS.mkdir(exist_ok=True)
app = FastAPI()


def process(path: Path) -> None:
    path.with_suffix(".size").write_text(str(len(path.read_bytes())))


@app.post("/upload")
def upload(file: UploadFile, background_tasks: BackgroundTasks):
    saved = UPLOADS / f"{uuid.uuid4().hex}.upload"
    with saved.open("wb") as out:
        shutil.copyfileobj(file.file, out)
    background_tasks.add_task(process, saved)
    return {"ok": True}
