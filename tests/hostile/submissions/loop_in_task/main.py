"""Hostile: an infinite loop inside the background task (async: blocks the loop too)."""
from fastapi import BackgroundTasks, FastAPI, UploadFile

app = FastAPI()


async def process(path: str) -> None:
    while True:
        pass


@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    data = await file.read()
    with open("saved.bin", "wb") as handle:
        handle.write(data)
    background_tasks.add_task(process, "saved.bin")
    return {"ok": True}
