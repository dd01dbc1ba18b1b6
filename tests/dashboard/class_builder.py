"""A small class of graded submissions for the dashboard tests.

Static findings are real (the submissions are linted); behavior verdicts are given per
student, since the dashboard only reads reports and must not depend on running code.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from grader.behavior.catalog import all_checks
from grader.behavior.outcome import BehaviorOutcome, Verdict
from grader.discovery import load_submission
from grader.reports.json_report import render
from grader.scoring.rubric import load_rubric
from grader.scoring.score import score_submission
from grader.static.engine import lint_paths

GOOD = '''\
import shutil
from fastapi import BackgroundTasks, FastAPI, UploadFile

app = FastAPI()


def process(path: str) -> None:
    with open(path, "rb") as src, open(path + ".upper", "wb") as dst:
        dst.write(src.read().upper())


@app.post("/upload")
def upload(file: UploadFile, background_tasks: BackgroundTasks):
    dest = f"uploads/{file.filename}"
    with open(dest, "wb") as out:
        shutil.copyfileobj(file.file, out)
    background_tasks.add_task(process, dest)
    return {"saved": dest}
'''

READ_IN_ARGS = '''\
from fastapi import BackgroundTasks, FastAPI, UploadFile

app = FastAPI()


def save(upload) -> None:
    print(upload.filename)


@app.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    background_tasks.add_task(save, await file.read())
    return {"ok": True}
'''

# The student's code is hostile HTML: a dashboard that does not escape it runs this.
HOSTILE = '''\
from fastapi import BackgroundTasks, FastAPI, UploadFile

app = FastAPI()  # </td></tr></table><script>document.title="pwned"</script>


@app.post("/up")
async def up(f: UploadFile, bt: BackgroundTasks):
    bt.add_task(print, await f.read())  # <img src=x onerror=alert(1)>
'''

HOSTILE_NAME = 'x"><img src=x onerror=alert(1)>'
HOSTILE_OUTPUT = "<script>alert('output')</script>\x00\x1b[31mred"


def _outcome(passing: set[str], output: str = "") -> BehaviorOutcome:
    verdicts = {}
    for check_id in all_checks():
        status = "passed" if check_id in passing else "failed"
        verdicts[check_id] = Verdict(check_id, status, f"{check_id}: {status} <b>feedback</b>",
                                     {"sent": "POST /upload", "received": "<h1>500</h1>"})
    return BehaviorOutcome(verdicts=verdicts, run={"output": output})


def build_class(root: Path) -> tuple[Path, Path]:
    """Write submissions (a folder, a .py, a .zip) and their reports; return (subs, out)."""
    subs, out = root / "subs", root / "out"
    subs.mkdir()
    out.mkdir()
    (subs / "alice").mkdir()
    (subs / "alice" / "main.py").write_text(GOOD)
    (subs / "bob").mkdir()
    (subs / "bob" / "main.py").write_text(READ_IN_ARGS)
    (subs / f"{HOSTILE_NAME}.py").write_text(HOSTILE)
    with zipfile.ZipFile(subs / "carol.zip", "w") as zf:
        zf.writestr("carol/app/main.py", READ_IN_ARGS)
        zf.writestr("carol/app/__init__.py", "")
    everything = set(all_checks())
    plans = {
        "alice": (everything, "INFO: started"),
        "bob": (everything - {"response-before-processing", "saved-before-response", "saved-file-intact"}, ""),
        "carol": ({"app-loads", "upload-accepted", "task-scheduled"}, ""),
        HOSTILE_NAME: ({"app-loads"}, HOSTILE_OUTPUT),
    }
    rubric = load_rubric()
    for entry in sorted(subs.iterdir()):
        with load_submission(entry) as submission:
            lint = lint_paths(submission.root, submission.python_files)
            passing, output = plans[submission.name]
            report = score_submission(submission.name, rubric, lint.findings, lint.errors,
                                      parsed_any=bool(lint.modules), behavior=_outcome(passing, output))
            (out / f"{submission.name}.json").write_text(render(report), encoding="utf-8")
    return subs, out
