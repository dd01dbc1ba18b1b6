"""HTTP routes: save the upload now, process it after the response."""

import shutil
import uuid

from fastapi import APIRouter, BackgroundTasks, UploadFile

from .worker import UPLOAD_DIR, process_file

router = APIRouter()


@router.post("/upload")
def upload(file: UploadFile, background_tasks: BackgroundTasks) -> dict[str, str]:
    # A generated name: concurrent uploads never collide, and the client's
    # filename never reaches the filesystem.
    UPLOAD_DIR.mkdir(parents=True, exist_ok=True)
    saved = UPLOAD_DIR / f"{uuid.uuid4().hex}.upload"
    with saved.open("wb") as out:
        shutil.copyfileobj(file.file, out)
    background_tasks.add_task(process_file, saved)
    return {"message": "File saved, processing started", "id": saved.stem}
