"""Joins the client's filename to the upload folder unchecked: ../ escapes it."""
import os

from fastapi import BackgroundTasks, FastAPI, UploadFile

app = FastAPI()
UPLOAD_DIR = "uploads"


def process_file(path: str) -> None:
    with open(path, "rb") as saved:
        size = len(saved.read())
    with open(path + ".report.txt", "w") as report:
        report.write(f"{size} bytes\n")


@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    os.makedirs(UPLOAD_DIR, exist_ok=True)
    path = os.path.join(UPLOAD_DIR, file.filename)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as out:
        out.write(await file.read())
    background_tasks.add_task(process_file, path)
    return {"message": "File saved, processing started"}
