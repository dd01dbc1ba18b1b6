"""Hostile: an infinite loop inside the upload endpoint (blocks the event loop)."""
from fastapi import BackgroundTasks, FastAPI, UploadFile

app = FastAPI()


@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    while True:
        pass
