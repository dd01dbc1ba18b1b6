from fastapi import BackgroundTasks, FastAPI, UploadFile

app = FastAPI()


def process(path: str) -> None:
    with open(path, "rb") as src, open(path + ".processed", "wb") as out:
        out.write(src.read()[::-1])


@app.post("/other-upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    data = await file.read()
    path = "upload-" + (file.filename or "x").replace("/", "_")
    with open(path, "wb") as handle:
        handle.write(data)
    background_tasks.add_task(process, path)
    return {"saved": path}
