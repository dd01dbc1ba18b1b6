"""Attack: a route path and an app name the report writers cannot encode as they are."""
import shutil
import uuid
from pathlib import Path

from fastapi import APIRouter, BackgroundTasks, FastAPI, UploadFile

UPLOADS = Path("uploads")
UPLOADS.mkdir(exist_ok=True)
app = FastAPI()
router = APIRouter()


def process(path: Path) -> None:
    path.with_suffix(".size").write_text(str(len(path.read_bytes())))


@router.post("/up\udcfeload\x07\x1b[31m")
def upload(file: UploadFile, background_tasks: BackgroundTasks):
    saved = UPLOADS / f"{uuid.uuid4().hex}.upload"
    with saved.open("wb") as out:
        shutil.copyfileobj(file.file, out)
    background_tasks.add_task(process, saved)
    return {"ok": "\udcfe"}


app.include_router(router)
