"""Fixtures for instructors' custom checks, written as ordinary pytest tests.

```python
import pytest

@pytest.mark.points(5)
def test_processed_file_is_upper_cased(upload):
    \"\"\"The background task writes the upper-cased text next to the saved upload.\"\"\"
    result = upload(b"hello world\\n", filename="notes.txt")
    assert result.status == 200, result.summary()
    assert any(result.read(p) == b"HELLO WORLD\\n" for p in result.written_by_tasks), result.summary()
```

Fixtures: ``student_app`` (the discovered FastAPI app), ``upload`` (send a file, get an
:class:`~grader.behavior.custom.session.UploadResult`), ``workdir`` (the app's work
area, a :class:`pathlib.Path`) and ``client`` (``client.get("/status")`` for other routes,
returns an ``httpx.Response``). ``@pytest.mark.points(N)`` gives a test its points; its
docstring is the feedback the student reads.

The grader loads this plugin itself inside the sandbox. To develop a check against a
reference solution on your own machine (this imports and runs that code, unsandboxed)::

    pytest -p grader.behavior.custom.pytest_plugin --submission path/to/solution checks/test_upper.py
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from grader.behavior.custom.session import AppSession, Client, StudentAppError
from grader.behavior.custom.upload_result import UploadResult

# Set by the grader (grader.behavior.custom.runner) before it runs the instructor's file.
_active: AppSession | None = None


def activate(session: AppSession | None) -> None:
    global _active
    _active = session


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("grader", "fastapi-grader custom checks")
    group.addoption("--submission", default=None, metavar="DIR",
                    help="Run the custom checks against the app in DIR (a copy of it is used).")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "points(n): the points this custom check is worth in the rubric")


@pytest.fixture(scope="session")
def grader_session(request: pytest.FixtureRequest) -> Iterator[AppSession]:
    """The live app: the grader's, or one started from ``--submission DIR``."""
    if _active is not None:
        yield _active
        return
    folder = request.config.getoption("--submission")
    if not folder:
        raise pytest.UsageError("custom checks need the grader, or --submission DIR to run against an app")
    yield from _standalone_session(Path(folder))


def _standalone_session(folder: Path) -> Iterator[AppSession]:
    from grader.behavior.student.app_discovery import DiscoveryError, discover_app

    copy = Path(tempfile.mkdtemp(prefix="grader-checks-")) / "app"
    shutil.copytree(folder, copy)
    previous = os.getcwd()
    os.chdir(copy)
    try:
        try:
            found = discover_app(copy)
        except DiscoveryError as exc:
            raise StudentAppError(str(exc)) from None
        session = AppSession(found.app, copy, found.route.path, found.route.field)
        session.start()
        try:
            yield session
        finally:
            session.close()
    finally:
        os.chdir(previous)
        shutil.rmtree(copy.parent, ignore_errors=True)


@pytest.fixture()
def student_app(grader_session: AppSession) -> Any:
    """The student's FastAPI app (the object the grader discovered)."""
    return grader_session.app


@pytest.fixture()
def upload(grader_session: AppSession) -> Callable[..., UploadResult]:
    """``upload(content, filename="upload.txt", content_type="text/plain", path=None, field=None)``."""
    return grader_session.upload


@pytest.fixture()
def workdir(grader_session: AppSession) -> Path:
    """The folder the app runs in (its current directory), where its files land."""
    return grader_session.root


@pytest.fixture()
def client(grader_session: AppSession) -> Client:
    """Requests to the app's other routes: ``client.get(path)``, ``client.post(path, json=...)``."""
    return Client(grader_session)
