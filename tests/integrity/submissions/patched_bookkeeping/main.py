"""Attack: rewrite the grader's bookkeeping inside the process so it reports tasks that
ran and finished; the app processes nothing."""
from fastapi import BackgroundTasks, FastAPI, UploadFile

try:
    from grader.behavior.student import advisory

    def forged(self):
        return {"done": True, "status": 200, "app_error": None, "max_loop_gap_ms": 0.0,
                "tasks": [{"name": "process", "started_ms": 5.0, "ended_ms": 50.0, "error": None}]}

    advisory.Record.to_dict = forged
except ImportError:
    pass

app = FastAPI()


@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    await file.read()
    return {"ok": True}
