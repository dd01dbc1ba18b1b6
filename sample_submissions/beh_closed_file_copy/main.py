"""A sync endpoint that opens the destination in a with block and schedules the copy
into it: the with block has closed the file before the task runs."""

import shutil
import uuid
from pathlib import Path

from fastapi import BackgroundTasks, FastAPI, UploadFile

UPLOAD_DIR = Path("uploads")
UPLOAD_DIR.mkdir(exist_ok=True)

app = FastAPI()


def copy_upload(source, target) -> None:
    shutil.copyfileobj(source, target)


@app.post("/upload")
def upload(file: UploadFile, background_tasks: BackgroundTasks):
    path = UPLOAD_DIR / f"{uuid.uuid4().hex}.upload"
    with path.open("wb") as out:
        background_tasks.add_task(copy_upload, file.file, out)
    return {"stored_as": path.name}
