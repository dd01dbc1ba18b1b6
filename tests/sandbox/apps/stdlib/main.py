import colorsys, wave, sqlite3, csv  # stdlib modules the fork server never preloads
from fastapi import FastAPI, UploadFile, BackgroundTasks
app = FastAPI()
def process(path):
    open(path + ".done", "w").write("ok")
@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    data = await file.read()
    path = "uploads_" + file.filename
    open(path, "wb").write(data)
    print("saved", path)
    background_tasks.add_task(process, path)
    return {"ok": True}
