"""Hostile: raise SystemExit(0) inside the background task."""

from fastapi import BackgroundTasks, FastAPI, UploadFile

app = FastAPI()


def process(path: str) -> None:
    raise SystemExit(0)


@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    data = await file.read()
    with open("saved.bin", "wb") as handle:
        handle.write(data)
    background_tasks.add_task(process, "saved.bin")
    return {"ok": True}
