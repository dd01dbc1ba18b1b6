"""Rules that follow a task or a helper find it however it is imported, and say precisely
what happens; the rubric's extra blocking calls reach AS001/AS002 (``StaticSettings``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.static import parallel
from grader.static.engine import lint_paths, lint_sources
from grader.static.settings import StaticSettings, parse_blocking_calls

APP = "from fastapi import FastAPI, UploadFile, BackgroundTasks\napp = FastAPI()\n"


def _lint(files: dict[str, str], settings: StaticSettings | None = None):
    sources = [(path, text.encode()) for path, text in files.items()]
    result = lint_sources(sources, settings=settings) if settings else lint_sources(sources)
    assert result.errors == []
    return result.findings


# How a submission reaches its module of tasks: (files other than the tasks module, path of
# the tasks module). The endpoint module always refers to it as ``tasks``.
IMPORT_FORMS = {
    "from-package-import": ({"app/__init__.py": "", "app/main.py": "from app import tasks\n"}, "app/tasks.py"),
    "relative-import": ({"app/__init__.py": "", "app/main.py": "from . import tasks\n"}, "app/tasks.py"),
    "import-as-alias": ({"app/__init__.py": "", "main.py": "import app.tasks as tasks\n"}, "app/tasks.py"),
    "import-module": ({"main.py": "import tasks\n"}, "tasks.py"),
}

# rule -> (endpoint body, tasks module source, where the finding is: "endpoint" or "tasks")
SHAPES = {
    "AS002": ("    background_tasks.add_task(tasks.process, 'a')\n",
              "import time\nasync def process(path):\n    try:\n        time.sleep(1)\n    except Exception:\n        print('x')\n",
              "tasks"),
    "BG007": ("    background_tasks.add_task(tasks.process, 'a')\n",
              "def process(path):\n    open(path).read()\n", "tasks"),
    "BG011": ("    background_tasks.add_task(tasks.process, 'a')\n",
              "import asyncio, logging\ndef process(path):\n    logging.info(path)\n    asyncio.run(work(path))\n", "tasks"),
    "BG003": ("    background_tasks.add_task(tasks.process('a'))\n",
              "import logging\ndef process(path):\n    logging.info(path)\n", "endpoint"),
    "BG001": ("    data = await file.read()\n    background_tasks.add_task(tasks.process, data)\n",
              "import logging\ndef process(upload):\n    logging.info(upload.filename)\n", "endpoint"),
    "SEC001": ("    background_tasks.add_task(tasks.process, file.filename)\n",
               "import logging\ndef process(name):\n    logging.info(name)\n    open('uploads/' + name).read()\n", "tasks"),
    "UP001": ("    data = await file.read()\n    background_tasks.add_task(tasks.process, 'uploads/x', data)\n",
              "import logging\ndef process(path, payload):\n    logging.info(path)\n    with open(path, 'wb') as f:\n        f.write(payload)\n",
              "endpoint"),
    "UP002": ("    data = await file.read()\n    background_tasks.add_task(tasks.process, data)\n",
              "import logging\ndef process(payload):\n    logging.info('x')\n    with open('uploads/latest.bin', 'wb') as f:\n        f.write(payload)\n",
              "tasks"),
    "AS001": ("    tasks.process('a')\n    background_tasks.add_task(print, 'a')\n",
              "import time\ndef process(path):\n    time.sleep(1)\n", "endpoint"),
    "AS003": ("    tasks.process(await file.read())\n    background_tasks.add_task(print, 'a')\n",
              "def process(data):\n    with open('uploads/a', 'wb') as f:\n        f.write(data)\n", "endpoint"),
    "BG008": ("    background_tasks.add_task(tasks.process_file, 'uploads/a')\n    background_tasks.add_task(tasks.save_file, file, 'uploads/a')\n",
              "import logging\ndef process_file(path):\n    logging.info(open(path).read())\n"
              "def save_file(upload, path):\n    logging.info(path)\n    with open(path, 'wb') as f:\n        f.write(upload.file.read())\n",
              "endpoint"),
}


@pytest.mark.parametrize("form", sorted(IMPORT_FORMS))
@pytest.mark.parametrize("code", sorted(SHAPES))
def test_rules_follow_tasks_and_helpers_through_module_attributes(code, form):
    files, tasks_path = IMPORT_FORMS[form]
    body, tasks_source, where = SHAPES[code]
    endpoint_path = next(path for path, text in files.items() if text)
    files = dict(files)
    files[endpoint_path] = (
        files[endpoint_path] + APP
        + "@app.post('/upload')\nasync def upload(file: UploadFile, background_tasks: BackgroundTasks):\n" + body
    )
    files[tasks_path] = tasks_source
    findings = [f for f in _lint(files) if f.code == code]
    assert findings, f"{code} missed the task reached by {form}"
    assert {f.path for f in findings} == {endpoint_path if where == "endpoint" else tasks_path}


def test_a_local_variable_named_like_the_module_is_not_the_module():
    files = {
        "main.py": "from app import tasks\n" + APP
        + "@app.post('/upload')\nasync def upload(file: UploadFile, tasks: BackgroundTasks):\n"
        "    tasks.add_task(print, 'a')\n",
        "app/__init__.py": "",
        "app/tasks.py": "import time\nasync def add_task(*a):\n    time.sleep(1)\n",
    }
    assert not [f for f in _lint(files) if f.code in {"AS001", "AS002"}]


# ----- precise messages -------------------------------------------------------------------
def _messages(files: dict[str, str], code: str) -> list[str]:
    return [f.message for f in _lint(files) if f.code == code]


def test_bg003_on_an_async_task_says_the_coroutine_never_runs():
    source = APP + "async def checksum(path):\n    return None\n@app.post('/u')\nasync def u(file: UploadFile, bt: BackgroundTasks):\n    dest = 'a'\n    bt.add_task(checksum(dest))\n"
    [message] = _messages({"main.py": source}, "BG003")
    assert "coroutine" in message and "never happens" in message and "add_task(checksum, dest)" in message
    source = source.replace("async def checksum", "def checksum")
    [message] = _messages({"main.py": source}, "BG003")
    assert "coroutine" not in message and "before the response" in message


def test_bg011_says_where_the_loop_runs():
    task = "import asyncio, logging\n{kw}def process(path):\n    logging.info(path)\n    asyncio.run(work(path))\n"
    endpoint = APP + "@app.post('/u')\ndef u(file: UploadFile, bt: BackgroundTasks):\n    bt.add_task(process, 'a')\n"
    [sync] = _messages({"main.py": task.format(kw="") + endpoint}, "BG011")
    assert "worker thread" in sync and "FastAPI already runs" not in sync and "RuntimeError" not in sync
    [in_async] = _messages({"main.py": task.format(kw="async ") + endpoint}, "BG011")
    assert "RuntimeError" in in_async


def test_bg001_names_the_variable_and_what_the_task_does_with_it():
    source = APP + (
        "def process_file(file):\n    print(file.filename)\n"
        "@app.post('/u')\nasync def u(file: UploadFile, bt: BackgroundTasks):\n"
        "    content = await file.read()\n    bt.add_task(process_file, content)\n"
    )
    [message] = _messages({"main.py": source}, "BG001")
    assert "`content`" in message and "as an UploadFile (.filename)" in message and "fails after the response" in message


def test_sec001_explains_a_glued_prefix_per_platform():
    source = APP + (
        "import uuid\n@app.post('/u')\ndef u(file: UploadFile, bt: BackgroundTasks):\n"
        "    bt.add_task(print)\n"
        "    with open(f'uploads/{uuid.uuid4().hex}_{file.filename}', 'wb') as out:\n        out.write(b'')\n"
    )
    [message] = _messages({"main.py": source}, "SEC001")
    assert "prefix" in message and "Linux and macOS" in message and "Windows" in message and "os.makedirs" in message
    plain = source.replace("{uuid.uuid4().hex}_{file.filename}", "{file.filename}")
    [message] = _messages({"main.py": plain}, "SEC001")
    assert "prefix" not in message and "'../'" in message


def test_sec001_is_one_finding_per_path_however_many_operations_use_it():
    source = APP + (
        "import os, shutil\n"
        "def process(path):\n    try:\n        os.rename(path, path + '.done')\n    except OSError:\n        print(path)\n"
        "@app.post('/u')\ndef u(file: UploadFile, bt: BackgroundTasks):\n"
        "    path = os.path.join('uploads', file.filename)\n"
        "    os.makedirs(os.path.dirname(path), exist_ok=True)\n"
        "    with open(path, 'wb') as out:\n        shutil.copyfileobj(file.file, out)\n"
        "    bt.add_task(process, path)\n"
        "    again = os.path.join('uploads', file.filename)\n"
        "    shutil.copy(path, again + '.bak')\n"
    )
    findings = [f for f in _lint({"main.py": source}) if f.code == "SEC001"]
    assert [f.line for f in findings] == [11], findings  # where the path is built, once
    assert "and opened in" not in findings[0].message


# ----- the rubric's extra blocking calls --------------------------------------------------
_RUBRIC_APP = APP + (
    "import mylib\nfrom mylib import slow_fn\n"
    "async def process(path):\n    try:\n        slow_fn(path)\n        client = mylib.Client()\n        client.fetch(path)\n"
    "    except Exception:\n        print(path)\n"
    "@app.post('/u')\nasync def u(file: UploadFile, bt: BackgroundTasks):\n"
    "    mylib.slow_fn('a')\n    bt.add_task(process, 'a')\n"
)


def test_rubric_blocking_calls_reach_as001_and_as002():
    assert not [f for f in _lint({"main.py": _RUBRIC_APP}) if f.code.startswith("AS")]
    settings = StaticSettings(blocking_calls=parse_blocking_calls(["mylib.slow_fn", "mylib.Client.fetch"]))
    found = sorted((f.code, f.line) for f in _lint({"main.py": _RUBRIC_APP}, settings) if f.code.startswith("AS"))
    assert found == [("AS001", 14), ("AS002", 7), ("AS002", 9)]
    # constructing the client does not block; only its listed method does
    assert not any(f.line == 8 for f in _lint({"main.py": _RUBRIC_APP}, settings))


def test_rubric_blocking_calls_reach_the_parallel_lint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    for i in range(6):
        (tmp_path / f"m{i}.py").write_text(_RUBRIC_APP)
    files = sorted(tmp_path.glob("*.py"))
    settings = StaticSettings(blocking_calls=("mylib.slow_fn",))
    monkeypatch.setattr(parallel, "MIN_FILES_PER_WORKER", 1)
    serial = lint_paths(tmp_path, files, settings=settings)
    together = lint_paths(tmp_path, files, jobs=2, settings=settings)
    assert together.findings == serial.findings
    assert sum(f.code == "AS001" for f in serial.findings) == 6


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("mylib.slow_fn", "must be a list"),
        (["slow_fn"], "'slow_fn' is not a dotted name"),
        (["mylib.slow fn"], "not a dotted name"),
        ([3], "3 is not a dotted name"),
    ],
)
def test_bad_rubric_blocking_calls_are_one_line_errors(value, message):
    with pytest.raises(ValueError, match=message) as raised:
        parse_blocking_calls(value)
    assert "\n" not in str(raised.value) and "[static] blocking_calls" in str(raised.value)


def test_rubric_blocking_calls_are_deduplicated_in_order():
    assert parse_blocking_calls(["a.b", "c.d", "a.b"]) == ("a.b", "c.d")


def test_grading_passes_the_rubric_static_table_to_the_rules(tmp_path: Path):
    from grader.pipeline import grade_path
    from grader.scoring.rubric import load_rubric

    rubric_file = tmp_path / "rubric.toml"
    rubric_file.write_text(
        'title = "t"\nversion = "1"\n[static]\nblocking_calls = ["mylib.slow_fn"]\n'
        '[[checks]]\nid = "AS001"\npoints = 1\n'
    )
    submission = tmp_path / "sub"
    submission.mkdir()
    (submission / "main.py").write_text(_RUBRIC_APP)
    report = grade_path(submission, load_rubric(str(rubric_file)), run_behavior=False)
    assert ("AS001", 14) in {(f.code, f.line) for f in report.findings}
