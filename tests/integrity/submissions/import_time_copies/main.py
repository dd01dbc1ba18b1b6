"""Attack: at import, write "copies" of what the grader's payloads might look like, then
never save an upload."""
from pathlib import Path

from fastapi import BackgroundTasks, FastAPI, UploadFile

TRICKY = (b"line one\r\nline two\r\nNUL bytes:\x00\x00\x00 end\r\n"
          b"invalid UTF-8:\xff\xfe\xc3\x28\xa0\xa1 end\r\nlone CR\r lone LF\n tab\t\r\n")
Path("uploads").mkdir(exist_ok=True)
for size in (0, 2048, 12 * 1024, 4 * 1024 * 1024):
    for index in range(4):
        Path(f"uploads/guess-{size}-{index}.bin").write_bytes(
            (b"grader upload " + b"0" * 16 + b"\r\n" + TRICKY + bytes(range(256)) * (size // 256 + 1))[:size])

app = FastAPI()


@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    return {"saved": "uploads/guess-12288-0.bin"}
