"""Summarises in the background, but forgets the unit price."""
import csv
import json
import shutil
import uuid
from pathlib import Path

from fastapi import BackgroundTasks, FastAPI, UploadFile

UPLOADS = Path("uploads")
UPLOADS.mkdir(exist_ok=True)
app = FastAPI()


def summarise(path: Path) -> None:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    total = sum(int(r["quantity"]) for r in rows)
    summary = {"rows": len(rows), "total": round(total, 2), "first_id": rows[0]["id"] if rows else None}
    Path(f"{path}.summary.json").write_text(json.dumps(summary))


@app.post("/upload")
def upload(file: UploadFile, background_tasks: BackgroundTasks):
    path = UPLOADS / f"{uuid.uuid4().hex}.csv"
    with path.open("wb") as out:
        shutil.copyfileobj(file.file, out)
    background_tasks.add_task(summarise, path)
    return {"stored_as": path.name}
