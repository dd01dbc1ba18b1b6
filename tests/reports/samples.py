"""Submissions and reports shared by the report-format and batch tests (helper E)."""

from __future__ import annotations

from pathlib import Path

from grader.model import CheckResult, Finding, Report, Severity
from grader.scoring.rubric import Rubric, parse_rubric

# Reads the upload inside add_task(...)'s arguments for a task that uses it as the file: BG001.
BAD_MAIN = '''from fastapi import BackgroundTasks, FastAPI, UploadFile

app = FastAPI()


def work(upload) -> None:
    print(upload.filename)

@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    background_tasks.add_task(work, await file.read())
    return {"ok": True}
'''

# Saves first, then hands the saved path to the task: no BG001.
GOOD_MAIN = '''import logging
import shutil
from pathlib import Path

from fastapi import BackgroundTasks, FastAPI, UploadFile

app = FastAPI()
UPLOADS = Path("uploads")
log = logging.getLogger(__name__)


def process(path: Path) -> None:
    try:
        path.with_suffix(".done").write_bytes(path.read_bytes().upper())
    except Exception:
        log.exception("processing %s failed", path)


@app.post("/upload")
def upload(file: UploadFile, background_tasks: BackgroundTasks):
    UPLOADS.mkdir(exist_ok=True)
    target = UPLOADS / Path(file.filename or "upload").name
    with target.open("wb") as out:
        shutil.copyfileobj(file.file, out)
    background_tasks.add_task(process, target)
    return {"filename": target.name}
'''

# A small rubric of our own: the default one changes as rules are added.
RUBRIC_TEXT = '''title = "Batch test rubric"
version = "1"

[[checks]]
id = "BG001"
points = 10

[[checks]]
id = "app-loads"
points = 2

[[checks]]
id = "saved-file-intact"
points = 3
'''


def test_rubric(tmp_path: Path | None = None) -> Rubric:
    if tmp_path is None:
        return parse_rubric(RUBRIC_TEXT)
    path = tmp_path / "rubric.toml"
    path.write_text(RUBRIC_TEXT)
    return parse_rubric(RUBRIC_TEXT, path)


test_rubric.__test__ = False  # type: ignore[attr-defined]  # a helper, not a pytest test

# Everything a hostile submission can put into feedback and paths.
HOSTILE = 'bad, "quoted" <tag> & 50% done: a\r\nb\x00c\x1b[31m]]> ``` | pipe'


def hostile_report() -> Report:
    finding = Finding("pkg/my file,v1.py", 3, 7, "BG001", Severity.ERROR, HOSTILE)
    advice = Finding("main.py", 1, 1, "BG001", Severity.ADVICE, "advice: 100%")
    warn = Finding("main.py", 2, 1, "BG001", Severity.WARNING, "warning, line\nbreak")
    checks = [
        CheckResult("BG001", "static", "BG001 upload-read-in-task-args", "failed", 0.0, 10.0, HOSTILE, [finding]),
        CheckResult("app-loads", "behavior", "The app imports", "passed", 2.0, 2.0, "ok"),
        CheckResult("saved-file-intact", "behavior", "Saved intact", "error", 0.0, 3.0, "crashed: " + HOSTILE,
                    details={"sent": "a.txt", "received": HOSTILE}),
        CheckResult("task-completes", "behavior", "Task completes", "skipped", 0.0, 4.0,
                    "Skipped: it needs 'saved-file-intact' to pass first."),
    ]
    return Report(
        submission="student, \"x\" <y>",
        rubric={"name": "t", "title": "T", "version": "1"},
        score=2.0,
        max_score=19.0,
        status="graded",
        checks=checks,
        findings=sorted([finding, advice, warn]),
        errors=["main.py line 4: syntax error: " + HOSTILE],
        run={"timings": {"total_s": 1.26}},
        grader_version="0.1.0",
    )
