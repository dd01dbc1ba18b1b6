"""Hostile: os._exit(0) inside the background task."""
import os
from fastapi import BackgroundTasks, FastAPI, UploadFile

app = FastAPI()


def process(path: str) -> None:
    os._exit(0)


@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    data = await file.read()
    with open("saved.bin", "wb") as handle:
        handle.write(data)
    background_tasks.add_task(process, "saved.bin")
    return {"ok": True}
