"""Save first, then process the saved file in the background (the pattern the assignment asks for)."""
import hashlib

from fastapi import BackgroundTasks, FastAPI, UploadFile

app = FastAPI()


def process_file(path: str) -> None:
    # The "processing": a checksum report written next to the saved upload.
    with open(path, "rb") as saved:
        digest = hashlib.sha256(saved.read()).hexdigest()
    with open(path + ".sha256", "w") as report:
        report.write(digest + "\n")


@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    contents = await file.read()
    with open(f"saved_{file.filename}", "wb") as f:
        f.write(contents)
    background_tasks.add_task(process_file, f"saved_{file.filename}")
    return {"message": "File saved and processing started"}
