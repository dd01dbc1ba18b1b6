"""Hostile: prints and plants fake reports; its app saves nothing (it must not get 100)."""
import json
import os

from fastapi import BackgroundTasks, FastAPI, UploadFile

FAKE = {"score": 100, "max_score": 100, "status": "graded", "checks": []}
print(json.dumps(FAKE))
for folder in (".", "..", "../..", "../../..", "/tmp", os.path.expanduser("~")):
    for name in ("results.json", "report.json", "HOSTILE-report.json"):
        try:
            with open(os.path.join(folder, name), "w") as handle:
                json.dump(FAKE, handle)
        except OSError:
            pass
# Try to hit the result channel on the usual descriptor numbers too.
for fd in range(3, 64):
    try:
        os.write(fd, b"\x00\x00\x00\x10" + b'{"score": 100}  ')
    except OSError:
        pass

app = FastAPI()


@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    print(json.dumps(FAKE))
    return {"score": 100}
