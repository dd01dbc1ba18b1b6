"""A small stand-in for the real harness (grader.behavior.harness.run), used to test the
process side on its own: imports ``main``, finds a FastAPI app, posts one upload through
ASGI, runs its tasks, and reports the saved file it finds with its hash."""

import asyncio
import hashlib
import importlib
import os
from typing import Any

PAYLOAD = b"standin\x00\r\n\xff\xfe payload"


def run_harness(workdir: str, settings: dict) -> dict:
    from grader.behavior.sandbox.progress import report_phase

    report_phase("import")
    before = _files(workdir)
    try:
        module = importlib.import_module("main")
    except ImportError as exc:
        return {"verdicts": [{"id": "app-loads", "status": "failed", "feedback": f"cannot import main: {exc}"}],
                "errors": [f"cannot import main: {exc}"], "run": {}}
    from fastapi import FastAPI

    app = next((v for v in vars(module).values() if isinstance(v, FastAPI)), None)
    if app is None:
        return {"verdicts": [{"id": "app-loads", "status": "failed", "feedback": "no FastAPI app"}],
                "errors": ["no FastAPI app in main.py"], "run": {}}
    verdicts = [{"id": "app-loads", "status": "passed", "feedback": ""}]
    status = asyncio.run(_post(app))
    verdicts.append({"id": "upload-accepted", "status": "passed" if 200 <= status < 300 else "failed",
                     "feedback": f"status {status}", "details": {"status": status}})
    digest = hashlib.sha256(PAYLOAD).hexdigest()
    saved = [p for p in _files(workdir) - before if _sha(os.path.join(workdir, p)) == digest]
    verdicts.append({"id": "saved-file-intact", "status": "passed" if saved else "failed",
                     "feedback": "", "details": {"saved_files": [{"path": p, "sha256": digest} for p in saved]}})
    return {"verdicts": verdicts, "errors": [], "run": {"app": "main:app", "env_keys": sorted(os.environ),
                                                        "uid": os.getuid(), "cwd": os.getcwd()}}


def _files(root: str) -> set:
    found = set()
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            found.add(os.path.relpath(os.path.join(dirpath, name), root))
    return found


def _sha(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except OSError:
        return ""


async def _post(app: Any) -> int:
    import httpx

    request = httpx.Request("POST", "http://t/upload", files={"file": ("a.bin", PAYLOAD)})
    body = request.read()
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": "/upload", "raw_path": b"/upload", "root_path": "",
             "query_string": b"", "server": ("t", 80), "client": ("127.0.0.1", 1),
             "headers": [(k.lower().encode(), v.encode()) for k, v in request.headers.items()]}
    sent = False
    status = 0

    async def receive():
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message):
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status
