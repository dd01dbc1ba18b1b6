"""`grader gradescope-bundle`: unpack it and run run_autograder the way Gradescope does."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

from click.testing import CliRunner

from grader.cli import main
from tests.reports.samples import BAD_MAIN, GOOD_MAIN, RUBRIC_TEXT
from tests.reports.test_gradescope import PUBLISHED_FIELDS

GRADER_BIN = str(Path(sys.executable).parent / "grader")


def _autograder_root(tmp_path: Path, *extra: str) -> Path:
    """/autograder as Gradescope lays it out: source/ (the unzipped bundle), submission/, results/."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    rubric = tmp_path / "rubric.toml"
    rubric.write_text(RUBRIC_TEXT)
    bundle = tmp_path / "autograder.zip"
    result = CliRunner().invoke(main, ["gradescope-bundle", "-o", str(bundle), "--rubric", str(rubric), *extra])
    assert result.exit_code == 0, result.output
    root = tmp_path / "autograder"
    with zipfile.ZipFile(bundle) as archive:
        names = archive.namelist()
        assert {"setup.sh", "run_autograder", "rubric.toml"} <= set(names)  # at the zip's root
        archive.extractall(root / "source")
        for info in archive.infolist():
            os.chmod(root / "source" / info.filename, info.external_attr >> 16)
    (root / "submission").mkdir()
    # Gradescope copies run_autograder next to source/ during the image build
    (root / "run_autograder").write_bytes((root / "source" / "run_autograder").read_bytes())
    (root / "run_autograder").chmod(0o755)
    return root


def _run(root: Path) -> dict:
    env = {**os.environ, "GRADER_AUTOGRADER_ROOT": str(root), "GRADER_BIN": GRADER_BIN}
    done = subprocess.run([str(root / "run_autograder")], cwd=root, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    import jsonschema

    results = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(results, PUBLISHED_FIELDS)
    return results


def test_bundle_grades_a_submission_into_results_json(tmp_path: Path):
    root = _autograder_root(tmp_path, "--static-only")
    assert os.stat(root / "source" / "run_autograder").st_mode & stat.S_IXUSR
    (root / "submission" / "main.py").write_text(GOOD_MAIN)
    results = _run(root)
    assert results["score"] == 10
    assert [t["status"] for t in results["tests"]] == ["passed", "failed", "failed"]

    (root / "submission" / "main.py").write_text(BAD_MAIN)
    assert _run(root)["score"] == 0


def test_an_ungradable_submission_still_leaves_a_results_json(tmp_path: Path):
    root = _autograder_root(tmp_path, "--static-only")
    (root / "submission").rmdir()  # nothing submitted at all: the grader exits 2
    results = _run(root)
    assert results["score"] == 0 and "could not grade" in results["output"]


def test_setup_installs_the_pinned_grader_or_the_git_url(tmp_path: Path):
    from grader import __version__

    root = _autograder_root(tmp_path, "--git-url", "https://example.org/course/grader.git")
    setup = (root / "source" / "setup.sh").read_text()
    assert "pip install git+https://example.org/course/grader.git" in setup
    subprocess.run(["bash", "-n", str(root / "source" / "setup.sh")], check=True)  # valid bash
    subprocess.run(["bash", "-n", str(root / "run_autograder")], check=True)
    other = _autograder_root(tmp_path / "b")
    assert f"pip install fastapi-grader=={__version__}" in (other / "source" / "setup.sh").read_text()
    assert "--static-only" not in (other / "run_autograder").read_text()
