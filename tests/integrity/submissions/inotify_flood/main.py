"""Attack: process inline, then flood the disk with file events so the grader's event
queue overflows and the inline work is lost among them; a task writes output afterwards."""
import uuid
from pathlib import Path

from fastapi import BackgroundTasks, FastAPI, UploadFile

UPLOADS = Path("uploads")
UPLOADS.mkdir(exist_ok=True)
NOISE = Path("noise")
NOISE.mkdir(exist_ok=True)
app = FastAPI()


def later(path: Path) -> None:
    path.with_suffix(".later").write_bytes(path.read_bytes()[:10])


@app.post("/upload")
def upload(file: UploadFile, background_tasks: BackgroundTasks):
    saved = UPLOADS / f"{uuid.uuid4().hex}.upload"
    saved.write_bytes(file.file.read())
    saved.with_suffix(".report").write_text(str(len(saved.read_bytes())))  # inline processing
    for index in range(12000):
        (NOISE / f"n{index % 50}").write_bytes(b"x")
    background_tasks.add_task(later, saved)
    return {"ok": True}
