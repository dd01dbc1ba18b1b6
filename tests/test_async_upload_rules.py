"""AS001, AS002, AS003, SEC001, UP001, UP002 beyond their own examples: where findings land,
and the bundled samples give exactly their intended findings (async def endpoints that copy
the upload on the event loop also get AS003's advice)."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.static.engine import lint_paths, lint_sources

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_submissions"


def _lint(files: dict[str, str]):
    return lint_sources([(path, text.encode()) for path, text in files.items()])


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        ("good_sync_def", set()),
        ("as001_blocking_endpoint", {("AS001", "main.py", 34), ("AS003", "main.py", 32)}),
        (
            "as002_blocking_async_task",
            {("AS002", "worker.py", 14), ("AS002", "worker.py", 15), ("AS002", "worker.py", 16)},
        ),
        ("sec001_unsafe_filename", {("SEC001", "main.py", 31)}),
        ("up001_read_whole_upload", {("UP001", "main.py", 30), ("AS003", "main.py", 32)}),
    ],
)
def test_sample_has_exactly_its_intended_findings(sample, expected):
    root = SAMPLES / sample
    result = lint_paths(root, sorted(root.rglob("*.py")))
    assert result.errors == []
    assert {(f.code, f.path, f.line) for f in result.findings} == expected


def test_as002_reports_in_the_module_that_holds_the_task():
    result = _lint(
        {
            "app/__init__.py": "",
            "app/main.py": (
                "from fastapi import FastAPI, UploadFile, BackgroundTasks\n"
                "from .jobs.worker import process\n"
                "app = FastAPI()\n"
                "@app.post('/upload')\n"
                "def upload(file: UploadFile, tasks: BackgroundTasks):\n"
                "    tasks.add_task(process, 'saved.bin')\n"
            ),
            "app/jobs/__init__.py": "",
            "app/jobs/worker.py": "import subprocess\nasync def process(path):\n    subprocess.run(['wc', path])\n",
        }
    )
    assert [(f.code, f.path, f.line) for f in result.findings if f.code == "AS002"] == [
        ("AS002", "app/jobs/worker.py", 3)
    ]


def test_as002_is_silent_when_the_task_cannot_be_resolved():
    result = _lint(
        {
            "main.py": (
                "from fastapi import FastAPI, UploadFile, BackgroundTasks\n"
                "from somewhere_else import process\n"
                "app = FastAPI()\n"
                "@app.post('/upload')\n"
                "async def upload(file: UploadFile, tasks: BackgroundTasks):\n"
                "    tasks.add_task(process, 'saved.bin')\n"
            )
        }
    )
    assert [f for f in result.findings if f.code.startswith("AS")] == []


def test_one_finding_per_mistake_when_a_task_is_shared_by_two_endpoints():
    result = _lint(
        {
            "main.py": (
                "import time\n"
                "from fastapi import FastAPI, UploadFile, BackgroundTasks\n"
                "app = FastAPI()\n"
                "async def process(path):\n"
                "    time.sleep(1)\n"
                "@app.post('/a')\n"
                "def a(file: UploadFile, tasks: BackgroundTasks):\n"
                "    tasks.add_task(process, 'a')\n"
                "@app.post('/b')\n"
                "def b(file: UploadFile, tasks: BackgroundTasks):\n"
                "    tasks.add_task(process, 'b')\n"
            )
        }
    )
    assert [(f.code, f.line) for f in result.findings if f.code == "AS002"] == [("AS002", 5)]


def test_upload_read_inside_add_task_is_bg001_only():
    # One mistake, one finding (BG001), not AS001/AS003/UP001 on top.
    result = _lint(
        {
            "main.py": (
                "from fastapi import FastAPI, UploadFile, BackgroundTasks\n"
                "app = FastAPI()\n"
                "@app.post('/upload')\n"
                "async def upload(file: UploadFile, background_tasks: BackgroundTasks):\n"
                "    background_tasks.add_task(print, file.file.read())\n"
            )
        }
    )
    assert {f.code for f in result.findings if f.line == 5} == {"BG001"}


def test_filename_passed_to_a_task_that_builds_the_path():
    result = _lint(
        {
            "main.py": (
                "from fastapi import FastAPI, UploadFile, BackgroundTasks\n"
                "app = FastAPI()\n"
                "def save(data, name):\n"
                "    with open(f'uploads/{name}', 'wb') as out:\n"
                "        out.write(data)\n"
                "@app.post('/upload')\n"
                "async def upload(file: UploadFile, tasks: BackgroundTasks):\n"
                "    tasks.add_task(save, await file.read(), name=file.filename)\n"
            )
        }
    )
    assert [(f.code, f.line) for f in result.findings if f.code == "SEC001"] == [("SEC001", 4)]


def test_list_of_uploads_in_a_loop():
    result = _lint(
        {
            "main.py": (
                "from fastapi import FastAPI, UploadFile\n"
                "app = FastAPI()\n"
                "@app.post('/many')\n"
                "def many(files: list[UploadFile]):\n"
                "    for f in files:\n"
                "        with open(f'uploads/{f.filename}', 'wb') as out:\n"
                "            out.write(f.file.read())\n"
            )
        }
    )
    codes = sorted((f.code, f.line) for f in result.findings if f.code in {"SEC001", "UP001"})
    assert codes == [("SEC001", 6), ("UP001", 7)]
