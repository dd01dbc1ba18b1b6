"""Attack: answer every request with an endless body, the grader's own control requests
included (the app wraps itself around everything)."""
from fastapi import BackgroundTasks, FastAPI, UploadFile

app = FastAPI()


@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    return {"ok": True}


class Flood:
    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.inner(scope, receive, send)
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        while True:
            await send({"type": "http.response.body", "body": b"x" * 65536, "more_body": True})


app.router.routes  # keep the upload route discoverable
_original_call = FastAPI.__call__


async def _flooding_call(self, scope, receive, send):
    await Flood(lambda *a: _original_call(self, *a))(scope, receive, send)


FastAPI.__call__ = _flooding_call
