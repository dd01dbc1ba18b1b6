"""Hostile: the endpoint allocates without bound."""
from fastapi import BackgroundTasks, FastAPI, UploadFile

app = FastAPI()
hoard = []


@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    while True:
        hoard.append(bytearray(16 * 1024 * 1024))
