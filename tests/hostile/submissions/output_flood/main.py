"""Hostile: 45 MB to stdout and 5 MB to stderr at import."""
import sys

chunk = "HOSTILE-FLOOD " * 4096 + "\n"
for _ in range(45 * 1024 * 1024 // len(chunk)):
    sys.stdout.write(chunk)
sys.stdout.flush()
sys.stderr.write("E" * 5 * 1024 * 1024)

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
