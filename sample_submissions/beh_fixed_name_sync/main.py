"""A sync app that saves every upload under one fixed name: concurrent uploads race in the
thread pool and overwrite (or interleave with) each other."""

import shutil
import time
from pathlib import Path

from fastapi import BackgroundTasks, FastAPI, UploadFile

UPLOAD_DIR = Path("uploads")
UPLOAD_DIR.mkdir(exist_ok=True)
LATEST = UPLOAD_DIR / "latest.upload"

app = FastAPI()


def process(path: Path) -> None:
    try:
        path.with_suffix(".size").write_text(str(len(path.read_bytes())))
    except OSError as exc:
        print(f"processing failed: {exc}")


@app.post("/upload")
def upload(file: UploadFile, background_tasks: BackgroundTasks):
    with LATEST.open("wb") as out:
        shutil.copyfileobj(file.file, out, 1024)
        time.sleep(0.01)
    background_tasks.add_task(process, LATEST)
    return {"saved": LATEST.name}
