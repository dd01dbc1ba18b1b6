"""No BackgroundTasks parameter: the response itself carries the background task."""

import hashlib
import shutil
import uuid
from pathlib import Path

from fastapi import FastAPI, UploadFile
from fastapi.responses import JSONResponse
from starlette.background import BackgroundTask

UPLOAD_DIR = Path("uploads")
UPLOAD_DIR.mkdir(exist_ok=True)

app = FastAPI()


def fingerprint(path: Path) -> None:
    try:
        digest = hashlib.md5(path.read_bytes()).hexdigest()
        path.with_suffix(".md5").write_text(digest)
    except OSError as exc:
        print(f"fingerprinting {path} failed: {exc}")


@app.post("/upload")
def upload(file: UploadFile):
    path = UPLOAD_DIR / f"{uuid.uuid4().hex}.upload"
    with path.open("wb") as out:
        shutil.copyfileobj(file.file, out)
    return JSONResponse({"stored_as": path.name}, background=BackgroundTask(fingerprint, path))
