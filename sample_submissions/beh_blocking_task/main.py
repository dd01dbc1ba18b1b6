"""An async background task that blocks the event loop with time.sleep."""
import time
import uuid
from pathlib import Path

from fastapi import BackgroundTasks, FastAPI, UploadFile

app = FastAPI()
UPLOAD_DIR = Path("uploads")


async def process_file(path: Path) -> None:
    time.sleep(0.5)  # "slow processing": freezes every other request meanwhile
    data = path.read_bytes()
    path.with_suffix(".report.txt").write_text(f"{len(data)} bytes\n")


@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    UPLOAD_DIR.mkdir(exist_ok=True)
    saved = UPLOAD_DIR / f"{uuid.uuid4().hex}.upload"
    saved.write_bytes(await file.read())
    background_tasks.add_task(process_file, saved)
    return {"message": "File saved, processing started"}
