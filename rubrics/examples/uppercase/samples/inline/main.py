"""Upper-cases inside the endpoint, before answering: the client waits for the processing."""
import shutil
from pathlib import Path

from fastapi import BackgroundTasks, FastAPI, UploadFile

app = FastAPI()
UPLOADS = Path("uploads")
UPLOADS.mkdir(exist_ok=True)


def log_done(name: str) -> None:
    print(f"processed {name}")


@app.post("/upload")
def upload(file: UploadFile, background_tasks: BackgroundTasks):
    target = UPLOADS / Path(file.filename or "upload").name
    with target.open("wb") as out:
        shutil.copyfileobj(file.file, out)
    target.with_name(target.name + ".upper").write_bytes(target.read_bytes().upper())
    background_tasks.add_task(log_done, target.name)
    return {"saved": target.name}
