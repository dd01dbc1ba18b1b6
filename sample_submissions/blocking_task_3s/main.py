"""An async task that blocks the event loop for 3 s with time.sleep after every upload."""

import time
import uuid
from pathlib import Path

from fastapi import BackgroundTasks, FastAPI, UploadFile

UPLOAD_DIR = Path("uploads")
UPLOAD_DIR.mkdir(exist_ok=True)

app = FastAPI()


async def process(path: Path) -> None:
    try:
        time.sleep(3)  # "slow processing": freezes every other request meanwhile
        path.with_suffix(".size").write_text(str(len(path.read_bytes())))
    except OSError as exc:
        print(f"processing failed: {exc}")


@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    path = UPLOAD_DIR / f"{uuid.uuid4().hex}.upload"
    path.write_bytes(await file.read())
    background_tasks.add_task(process, path)
    return {"stored_as": path.name}
