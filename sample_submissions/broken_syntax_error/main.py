from fastapi import BackgroundTasks, FastAPI, UploadFile

app = FastAPI()


@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks)
    return {"ok": True}
