"""`grader gradescope-bundle`: build it, install it offline, grade, the way Gradescope does.

The install test copies only the zip to a temporary folder, runs its `setup.sh` with
Python 3.10 (Gradescope's Ubuntu 22.04 image) and no package index at all
(`PIP_NO_INDEX`, no pip configuration), then runs `run_autograder` against an
`/autograder` layout there. Nothing of this checkout is on the path: the grader that
grades is the wheel the bundle carried.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from grader import __version__
from grader.ci.gradescope_bundle import bundle_bytes, setup_script
from grader.ci.sources import InstallSource, parse_source
from grader.ci.wheels import Target
from grader.cli import main
from grader.errors import GraderError
from grader.scoring.rubric import load_rubric
from tests.interpreters import find_python
from tests.reports.samples import BAD_MAIN, GOOD_MAIN, RUBRIC_TEXT
from tests.reports.test_gradescope import PUBLISHED_FIELDS

ROOT = Path(__file__).resolve().parents[2]
UPPERCASE = ROOT / "rubrics" / "examples" / "uppercase"
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def _layout(root: Path, bundle: Path) -> Path:
    """/autograder as Gradescope lays it out: source/ (the unzipped bundle), submission/, results/."""
    with zipfile.ZipFile(bundle) as archive:
        assert {"setup.sh", "run_autograder", "rubric.toml"} <= set(archive.namelist())  # at the zip's root
        archive.extractall(root / "source")
        for info in archive.infolist():
            os.chmod(root / "source" / info.filename, info.external_attr >> 16)
    (root / "submission").mkdir()
    # Gradescope copies run_autograder next to source/ while building the image
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
    return root


def _clean_env(**extra: str) -> dict[str, str]:
    """The machine's environment without anything pointing at this checkout or a package index."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PIP_", "VIRTUAL_ENV", "GRADER_"))}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if not p.startswith(str(Path(sys.prefix))))
    return {**env, **extra}


def _run_autograder(root: Path, env: dict[str, str]) -> dict:
    done = subprocess.run([str(root / "run_autograder")], cwd=root, env={**env, "GRADER_AUTOGRADER_ROOT": str(root)},
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(results, PUBLISHED_FIELDS)
    return results


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, dict[str, str], str]:
    """The uppercase example's bundle (it has pytest checks), installed as Gradescope would."""
    python = find_python("3.10")
    target = "3.10" if python else f"{sys.version_info[0]}.{sys.version_info[1]}"
    python = python or sys.executable
    work = tmp_path_factory.mktemp("gradescope")
    bundle = work / "autograder.zip"
    built = CliRunner().invoke(main, ["gradescope-bundle", "-o", str(bundle), "--rubric",
                                      str(UPPERCASE / "rubric.toml"), "--target-python", target])
    assert built.exit_code == 0, built.output
    root = _layout(work / "autograder", bundle)
    env = _clean_env(GRADER_VENV=str(work / "venv"), GRADER_PYTHON=python, PIP_NO_INDEX="1",
                     PIP_CONFIG_FILE=os.devnull, HOME=str(work))
    setup = subprocess.run(["bash", "setup.sh"], cwd=root / "source", env=env, capture_output=True, text=True,
                           timeout=600)
    assert setup.returncode == 0, setup.stdout + setup.stderr
    assert "from the package index" not in setup.stderr  # the offline path, not the fallback
    assert f"grader, version {__version__}" in setup.stdout
    return root, env, target


def test_bundle_carries_the_grader_and_pytest_pinned(installed):
    root, _env, target = installed
    wheels = root / "source" / "wheels"
    pins = (wheels / "requirements.txt").read_text().splitlines()
    assert pins[1] == f"fastapi-grader[checks]=={__version__}"
    names = {line.split("==")[0] for line in pins[2:]}
    assert {"fastapi", "libcst", "pytest", "uvicorn", "click"} <= names
    if target == "3.10":  # markers evaluated for the target, not for the interpreter that built the bundle
        assert {"tomli", "exceptiongroup"} <= names
    assert all("==" in line for line in pins[1:])


def test_installed_grader_is_the_bundled_wheel_not_this_checkout(installed, tmp_path: Path):
    root, env, _target = installed
    venv_python = Path(env["GRADER_VENV"]) / "bin" / "python"
    done = subprocess.run([str(venv_python), "-c", "import grader; print(grader.__file__)"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, check=True)
    location = Path(done.stdout.strip())
    assert location.is_relative_to(Path(env["GRADER_VENV"])) and not location.is_relative_to(ROOT)


def test_reference_solution_scores_full_marks_with_its_pytest_checks(installed):
    root, env, _target = installed
    shutil.copytree(UPPERCASE / "samples" / "good", root / "submission", dirs_exist_ok=True)
    results = _run_autograder(root, env)
    assert results["score"] == 30, results
    assert all(t["status"] == "passed" for t in results["tests"])
    assert any(t["name"].startswith("uppercase::") for t in results["tests"])


def test_inline_processing_loses_the_points_it_deserves(installed):
    root, env, _target = installed
    shutil.rmtree(root / "submission")
    shutil.copytree(UPPERCASE / "samples" / "inline", root / "submission")
    results = _run_autograder(root, env)
    failed = {t["name"].split(":")[0] for t in results["tests"] if t["status"] == "failed"}
    assert results["score"] < 30 and "response-before-processing" in failed


def test_an_ungradable_submission_still_leaves_a_results_json(installed):
    root, env, _target = installed
    shutil.rmtree(root / "submission")  # nothing submitted at all: the grader exits 2
    results = _run_autograder(root, env)
    assert results["score"] == 0 and "could not grade" in results["output"]
    (root / "submission").mkdir()


def test_the_installed_grader_repacks_its_own_wheel(installed, tmp_path: Path):
    """Installed from a wheel (no checkout), the grader can still bundle itself."""
    root, env, _target = installed
    venv_python = Path(env["GRADER_VENV"]) / "bin" / "python"
    script = "from pathlib import Path; from grader.ci.wheels import own_wheel; print(own_wheel(Path('out')))"
    done = subprocess.run([str(venv_python), "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    repacked = Path(tmp_path / done.stdout.strip())
    original = next((root / "source" / "wheels").glob("fastapi_grader-*.whl"))
    with zipfile.ZipFile(repacked) as new, zipfile.ZipFile(original) as old:
        assert sorted(new.namelist()) == sorted(old.namelist())
        for name in old.namelist():
            if not name.endswith("/RECORD"):
                assert new.read(name) == old.read(name), name


def test_setup_script_for_git_and_index_sources(tmp_path: Path):
    git = setup_script(parse_source(None, f"https://example.org/course/grader.git@{COMMIT}"), ("checks",), Target())
    assert f"'fastapi-grader[checks] @ git+https://example.org/course/grader.git@{COMMIT}'" in git
    assert "python3-venv git" in git and "command -v git" in git  # git is installed only for this source
    index = setup_script(InstallSource("index"), (), Target())
    assert f"fastapi-grader=={__version__}" in index and " git" not in index
    for text in (git, index):
        script = tmp_path / "setup.sh"
        script.write_text(text)
        subprocess.run(["bash", "-n", str(script)], check=True)  # valid bash


def test_a_git_url_must_be_pinned_to_a_commit():
    for unpinned in ["https://example.org/g.git", "https://example.org/g.git@main", "git@host:g.git",
                     f"https://example.org/g.git@{COMMIT[:12]}"]:
        with pytest.raises(GraderError, match="pin it to a full commit id"):
            parse_source(None, unpinned)
    assert parse_source(None, f"git+ssh://git@host/g.git@{COMMIT.upper()}").git_url == f"ssh://git@host/g.git@{COMMIT}"
    result = CliRunner().invoke(main, ["gradescope-bundle", "--git-url", "https://example.org/g.git"])
    assert result.exit_code == 2 and "pin it to a full commit id" in result.output


def test_index_source_bundle_runs_with_a_grader_already_installed(tmp_path: Path):
    """The scripts themselves, against this venv's grader: static-only, fast."""
    rubric = tmp_path / "rubric.toml"
    rubric.write_text(RUBRIC_TEXT)
    bundle = tmp_path / "autograder.zip"
    bundle.write_bytes(bundle_bytes(load_rubric(str(rubric)), InstallSource("index"), static_only=True))
    with zipfile.ZipFile(bundle) as archive:
        assert not [n for n in archive.namelist() if n.startswith("wheels/")]
    root = _layout(tmp_path / "autograder", bundle)
    env = {**os.environ, "GRADER_VENV": sys.prefix}
    (root / "submission" / "main.py").write_text(GOOD_MAIN)
    results = _run_autograder(root, env)
    assert results["score"] == 10 and results["tests"][0]["status"] == "passed"
    (root / "submission" / "main.py").write_text(BAD_MAIN)
    assert _run_autograder(root, env)["score"] == 0


def test_the_bundle_carries_the_files_the_rubric_names(tmp_path: Path):
    """A processing effect's checker and the rubric's pytest files land next to rubric.toml."""
    examples = ROOT / "rubrics" / "examples"
    for rubric, expected in ((examples / "csv-summary" / "rubric.toml", "checks/effect.py"),
                             (UPPERCASE / "rubric.toml", "checks/test_uppercase.py")):
        data = bundle_bytes(load_rubric(str(rubric)), InstallSource("index"))
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            assert archive.read(expected) == (rubric.parent / expected).read_bytes()
            assert archive.read("rubric.toml").decode() == rubric.read_text()
