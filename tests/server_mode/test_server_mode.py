"""Real-server mode (--server uvicorn): the same verdicts as the in-process driver."""

from __future__ import annotations

import asyncio
import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.behavior.runner import run_behavior
from grader.behavior.server.probe import GraderProbe
from grader.behavior.server.runner import run_behavior_server
from grader.behavior.harness.workarea import WorkArea
from grader.cli import main
from grader.discovery import load_submission
from grader.scoring.rubric import load_rubric

SAMPLES = Path(__file__).resolve().parents[2] / "sample_submissions"
# Quick ones for every run; the whole folder runs in the slow comparison below.
FAST = ["seed_q3", "seed_q4", "seed_q5", "beh_inline_processing", "beh_task_raises",
        "beh_text_mode_save", "beh_path_escape", "beh_500_on_empty", "bg004_await_add_task"]


def both_modes(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    rubric = load_rubric()
    with load_submission(path) as submission:
        served = run_behavior_server(submission, rubric)
        inprocess = run_behavior(submission, rubric)
    return ({k: v.status for k, v in served.verdicts.items()}, {k: v.status for k, v in inprocess.verdicts.items()})


@pytest.mark.parametrize("name", FAST)
def test_same_verdicts_as_in_process(name):
    served, inprocess = both_modes(SAMPLES / name)
    assert len(inprocess) == 14
    assert served == inprocess


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(p.name for p in SAMPLES.iterdir() if p.is_dir()))
def test_same_verdicts_on_every_sample_submission(name):
    served, inprocess = both_modes(SAMPLES / name)
    assert served == inprocess


def test_cli_grade_with_uvicorn_reports_the_mode(tmp_path):
    out = tmp_path / "r.json"
    result = CliRunner().invoke(main, ["grade", str(SAMPLES / "seed_q5"), "--server", "uvicorn",
                                       "--format", "json", "-o", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["run"]["timings"]["server_mode"] == "uvicorn"
    core = {c["id"]: c["status"] for c in report["checks"]}
    assert core["response-before-processing"] == "passed" and core["saved-file-intact"] == "passed"
    bad = CliRunner().invoke(main, ["grade", str(SAMPLES / "seed_q5"), "--server", "gunicorn"])
    assert bad.exit_code == 2


def test_an_app_that_cannot_be_found_fails_app_loads_in_both_modes(tmp_path):
    (tmp_path / "main.py").write_text("print('no app here')\n")
    served, inprocess = both_modes(tmp_path)
    assert served["app-loads"] == inprocess["app-loads"] == "failed"


def test_a_failing_startup_fails_app_loads(tmp_path):
    (tmp_path / "main.py").write_text(textwrap.dedent("""
        from contextlib import asynccontextmanager
        from fastapi import FastAPI, UploadFile

        @asynccontextmanager
        async def lifespan(app):
            raise RuntimeError("no database")
            yield

        app = FastAPI(lifespan=lifespan)

        @app.post("/upload")
        async def upload(file: UploadFile):
            return {}
    """))
    served, inprocess = both_modes(tmp_path)
    assert served["app-loads"] == inprocess["app-loads"] == "failed"


# ---------------------------------------------------------------- the probe itself
def _call(probe: GraderProbe, path: str, headers: list[tuple[bytes, bytes]]) -> tuple[int, bytes]:
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": path, "headers": headers, "query_string": b""}
    asyncio.run(probe(scope, receive, send))
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], body


def test_probe_hides_its_tags_and_records_the_request(tmp_path):
    seen: list[list] = []

    async def app(scope, receive, send):
        seen.append(list(scope["headers"]))
        await send({"type": "http.response.start", "status": 201, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    probe = GraderProbe(app, WorkArea(tmp_path), "secret", {"app": "main:app"})
    status, _ = _call(probe, "/upload", [(b"x-grader-exchange", b"t-1"), (b"x-grader-probe", b"2"), (b"accept", b"*/*")])
    assert status == 201
    assert seen == [[(b"accept", b"*/*")]]  # the app never sees the grader's tags
    record = probe.records["t-1"]
    assert record.status == 201 and record.response_done is not None and record.done.is_set()
    assert record.at_response == {}  # probed (empty folder), because x-grader-probe was set


def test_probe_control_path_needs_the_token(tmp_path):
    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b"student 404"})

    probe = GraderProbe(app, WorkArea(tmp_path), "secret", {"app": "main:app"})
    status, body = _call(probe, "/__grader__/secret/info", [])
    assert (status, json.loads(body)) == (200, {"app": "main:app"})
    # A wrong token is an ordinary request: it goes to the student's app.
    assert _call(probe, "/__grader__/guess/info", []) == (404, b"student 404")


@pytest.mark.parametrize(("name", "score"), [("good", 30), ("inline", 19)])
def test_rubric_pytest_checks_count_the_same_in_server_mode(name, score):
    """The rubric's own pytest checks still drive the app in-process (after the served
    checks), so the worked example scores the same in both modes."""
    from grader.pipeline import grade_path

    example = Path(__file__).resolve().parents[2] / "rubrics" / "examples" / "uppercase"
    rubric = load_rubric(str(example / "rubric.toml"))
    served = grade_path(example / "samples" / name, rubric, server="uvicorn")
    inprocess = grade_path(example / "samples" / name, rubric, server="inprocess")
    assert served.score == inprocess.score == score
    assert [(c.id, c.status) for c in served.checks] == [(c.id, c.status) for c in inprocess.checks]
