"""Every upload is written to the same file name: concurrent uploads overwrite each other."""
import asyncio
from pathlib import Path

from fastapi import BackgroundTasks, FastAPI, UploadFile

app = FastAPI()
UPLOAD_DIR = Path("uploads")
LATEST = UPLOAD_DIR / "latest.upload"


def process_file(path: Path) -> None:
    data = path.read_bytes()
    path.with_suffix(".report.txt").write_text(f"{len(data)} bytes\n")


@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    UPLOAD_DIR.mkdir(exist_ok=True)
    contents = await file.read()
    with open(LATEST, "wb") as out:
        out.write(contents)
    await asyncio.sleep(0.05)  # e.g. a virus-scan call: another upload can run meanwhile
    background_tasks.add_task(process_file, LATEST)
    return {"message": "File saved, processing started"}
