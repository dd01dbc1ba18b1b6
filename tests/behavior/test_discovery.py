"""Finding the app and its upload route without configuration, and the plain sentences
when that fails (run in the jail: discovery imports student code)."""

from __future__ import annotations

from typing import Any

from tests.behavior.observed import observe_files, statuses, verdict

UPLOAD_APP = """
from fastapi import BackgroundTasks, FastAPI, UploadFile
{name} = FastAPI()

@{name}.post("/upload")
async def upload(file: UploadFile, background_tasks: BackgroundTasks):
    return {{"ok": True}}
"""


def _loads(files: dict[str, str], **settings: Any) -> dict[str, Any]:
    return observe_files(files, checks=["app-loads"], settings=settings)


def _failure(result: dict[str, Any]) -> str:
    assert statuses(result)["app-loads"] == "failed", result
    sentence = verdict(result, "app-loads")["feedback"]
    assert result["errors"] == [sentence]
    return sentence


def test_app_not_named_app_in_any_module() -> None:
    result = _loads({"server.py": UPLOAD_APP.format(name="web")})
    assert statuses(result)["app-loads"] == "passed"
    assert result["run"]["app"] == "server:web"


def test_app_main_namespace_layout() -> None:
    result = _loads({"app/main.py": UPLOAD_APP.format(name="app")})
    assert result["run"]["app"] == "app.main:app"


def test_work_dir_that_is_itself_a_package_with_relative_imports() -> None:
    files = {
        "__init__.py": "",
        "routes.py": "from fastapi import APIRouter, UploadFile\nrouter = APIRouter()\n"
                     "@router.post('/up')\nasync def up(upload: UploadFile):\n    return {}\n",
        "main.py": "from fastapi import FastAPI\nfrom .routes import router\napp = FastAPI()\n"
                   "app.include_router(router, prefix='/v1')\n",
    }
    result = _loads(files)
    assert statuses(result)["app-loads"] == "passed", result
    assert (result["run"]["route"], result["run"]["field"]) == ("POST /v1/up", "upload")


def test_project_in_a_subfolder_importing_its_siblings() -> None:
    files = {
        "backend/routes.py": "from fastapi import APIRouter, UploadFile\nrouter = APIRouter()\n"
                             "@router.post('/upload')\nasync def up(file: UploadFile):\n    return {}\n",
        "backend/main.py": "from fastapi import FastAPI\nfrom routes import router\napp = FastAPI()\n"
                           "app.include_router(router)\n",
    }
    result = _loads(files)
    assert statuses(result)["app-loads"] == "passed", result
    assert result["run"]["app"] == "main:app"


def test_bytes_file_parameter_and_path_parameter() -> None:
    files = {"main.py": "from fastapi import FastAPI, File\napp = FastAPI()\n"
                        "@app.post('/users/{user_id}/files')\nasync def up(user_id: int, data: bytes = File()):\n"
                        "    return {}\n"}
    result = _loads(files)
    assert (result["run"]["route"], result["run"]["field"]) == ("POST /users/1/files", "data")


def test_the_app_with_an_upload_route_wins_over_one_without() -> None:
    files = {
        "admin.py": "from fastapi import FastAPI\nadmin = FastAPI()\n@admin.get('/health')\ndef h():\n    return {}\n",
        "main.py": UPLOAD_APP.format(name="app"),
    }
    assert _loads(files)["run"]["app"] == "main:app"


def test_module_level_uvicorn_run_is_skipped() -> None:
    files = {"main.py": UPLOAD_APP.format(name="app") + "import uvicorn\nuvicorn.run(app)\n"}
    result = _loads(files)
    assert statuses(result)["app-loads"] == "passed"
    assert any("uvicorn.run()" in note for note in result["run"]["notes"])


def test_rubric_pins_a_factory_path_and_field() -> None:
    files = {"factory.py": "from fastapi import FastAPI, UploadFile\n"
                           "def create_app():\n    app = FastAPI()\n"
                           "    @app.post('/a')\n    async def a(f: UploadFile):\n        return {}\n"
                           "    @app.post('/b')\n    async def b(g: UploadFile):\n        return {}\n"
                           "    return app\n"}
    result = _loads(files, app="factory:create_app()", path="/b")
    assert statuses(result)["app-loads"] == "passed", result
    assert (result["run"]["app"], result["run"]["route"], result["run"]["field"]) == ("factory:create_app()", "POST /b", "g")


def test_missing_dependency_is_one_sentence() -> None:
    files = {"main.py": "import pandas_not_installed_anywhere\n" + UPLOAD_APP.format(name="app")}
    assert _failure(_loads(files)) == "main.py imports `pandas_not_installed_anywhere`, which is not installed (line 1)."


def test_syntax_error_names_file_and_line() -> None:
    files = {"main.py": UPLOAD_APP.format(name="app") + "\ndef broken(:\n    pass\n"}
    sentence = _failure(_loads(files))
    assert sentence == "main.py has a SyntaxError at line 9: invalid syntax."


def test_exception_at_import() -> None:
    files = {"main.py": UPLOAD_APP.format(name="app") + "raise ValueError('no config')\n"}
    assert _failure(_loads(files)) == "main.py raised ValueError while being imported (line 8): no config"


def test_sys_exit_at_import() -> None:
    files = {"main.py": "import sys\nsys.exit(3)\n" + UPLOAD_APP.format(name="app")}
    assert _failure(_loads(files)) == "main.py calls sys.exit() while being imported (line 2)."


def test_no_app() -> None:
    assert "No module of the submission creates a FastAPI app" in _failure(_loads({"main.py": "print('hi')\n"}))


def test_app_without_upload_route() -> None:
    files = {"main.py": "from fastapi import FastAPI\napp = FastAPI()\n@app.get('/')\ndef root():\n    return {}\n"}
    assert _failure(_loads(files)).startswith("main:app has no upload route")


def test_several_upload_routes_are_ambiguous() -> None:
    files = {"main.py": "from fastapi import FastAPI, UploadFile\napp = FastAPI()\n"
                        "@app.post('/a')\nasync def a(f: UploadFile):\n    return {}\n"
                        "@app.post('/b')\nasync def b(g: UploadFile):\n    return {}\n"}
    sentence = _failure(_loads(files))
    assert "several upload routes (POST /a (field `f`), POST /b (field `g`))" in sentence


def test_several_apps_with_upload_routes_are_ambiguous() -> None:
    files = {"one.py": UPLOAD_APP.format(name="app"), "two.py": UPLOAD_APP.format(name="api")}
    assert "Several FastAPI apps have an upload route (one:app, two:api)" in _failure(_loads(files))


def test_startup_failure_is_reported() -> None:
    files = {"main.py": "from contextlib import asynccontextmanager\n"
                        "@asynccontextmanager\nasync def lifespan(app):\n    raise RuntimeError('db down')\n    yield\n"
                        + UPLOAD_APP.format(name="app").replace("FastAPI()", "FastAPI(lifespan=lifespan)")}
    sentence = _failure(_loads(files))
    assert sentence.startswith("The app's startup (lifespan) raised RuntimeError (main.py:4): db down")
