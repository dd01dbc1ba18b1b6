"""Not importable (its name is not an identifier), but read by the static rules: a finding's
path holds bytes that are not UTF-8."""
from fastapi import BackgroundTasks, FastAPI, UploadFile

side = FastAPI()


def process(path: str) -> None:
    print(path)


@side.post("/other")
async def other(file: UploadFile, background_tasks: BackgroundTasks):
    background_tasks.add_task(process(file.filename))
    return {"ok": True}
