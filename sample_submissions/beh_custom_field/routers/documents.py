import uuid
from pathlib import Path
from typing import Annotated

import anyio
from fastapi import APIRouter, BackgroundTasks, File, UploadFile

router = APIRouter()
STORE = Path("store")


async def summarize(path: Path) -> None:
    data = await anyio.Path(path).read_bytes()
    await anyio.Path(path.with_suffix(".summary.txt")).write_text(f"{len(data)} bytes\n")


@router.post("/documents")
async def add_document(
    upload: Annotated[UploadFile, File(alias="document")], background_tasks: BackgroundTasks
) -> dict[str, str]:
    STORE.mkdir(exist_ok=True)
    saved = STORE / f"{uuid.uuid4().hex}{Path(upload.filename or '').suffix[:10]}"
    saved.write_bytes(await upload.read())
    background_tasks.add_task(summarize, saved)
    return {"id": saved.stem}
