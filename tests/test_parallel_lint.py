"""``grader lint`` in worker processes gives exactly the serial result.

Same findings (codes, lines, columns, messages, order), same errors in the same order,
same too-large list, including the cases where the two could drift apart: a task
followed into a module another worker owns, BG006's "any module schedules work"
question across slices, two files of one module name (the last that parses wins),
files that do not parse or are too large, and a rule skipped for deep nesting.
"""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.static import parallel
from grader.static.engine import lint_paths
from grader.static.size_guard import MAX_SYNTAX_NODES

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_submissions"


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    for i, source in enumerate(sorted(SAMPLES.rglob("*.py")) * 2):
        shutil.copyfile(source, root / f"m{i:03d}_{source.stem}.py")
    # an endpoint whose task lives in a module far away (another slice, another worker)
    (root / "a00_app.py").write_text(
        "from fastapi import FastAPI, UploadFile, BackgroundTasks\n"
        "from z99_worker import process\n"
        "app = FastAPI()\n"
        "@app.post('/u')\n"
        "async def upload(file: UploadFile, tasks: BackgroundTasks):\n"
        "    tasks.add_task(process, file)\n"
    )
    (root / "z99_worker.py").write_text("import time\nasync def process(f):\n    time.sleep(1)\n    f.file.read()\n")
    # one module name, two files: dup.py sorts after dup/__init__.py, so it wins
    (root / "dup").mkdir()
    (root / "dup" / "__init__.py").write_text("def helper():\n    pass\n")
    (root / "dup.py").write_text("import time\ndef helper():\n    time.sleep(1)\n")
    (root / "b00_uses_dup.py").write_text(
        "from fastapi import FastAPI, UploadFile\nfrom dup import helper\napp = FastAPI()\n"
        "@app.post('/d')\nasync def d(file: UploadFile):\n    helper()\n"
    )
    (root / "c00_broken.py").write_text("def broken(:\n    pass\n")
    (root / "c01_large.py").write_text("x = [" + "1," * (MAX_SYNTAX_NODES + 10) + "]\n")
    (root / "c02_deep.py").write_text("x = " + " + ".join(["a"] * 2000) + "\n")
    (root / "c03_bad_encoding.py").write_bytes(b"# -*- coding: nope -*-\nx = 1\n")
    return root


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py"))


@pytest.mark.parametrize("jobs", [2, 3])
def test_parallel_result_is_the_serial_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int) -> None:
    root = _project(tmp_path)
    monkeypatch.setattr(parallel, "MIN_FILES_PER_WORKER", 1)
    serial = lint_paths(root, _files(root), jobs=1)
    assert parallel.worker_count(len(_files(root)), jobs) == jobs
    together = lint_paths(root, _files(root), jobs=jobs)
    assert together.findings == serial.findings
    assert together.errors == serial.errors
    assert together.too_large == serial.too_large
    # the cases above are really exercised
    codes = {(f.path, f.code) for f in serial.findings}
    assert ("z99_worker.py", "AS002") in codes and ("a00_app.py", "BG002") in codes
    assert ("b00_uses_dup.py", "AS001") in codes
    assert any(e.startswith("c00_broken.py") for e in serial.errors)
    assert serial.too_large == ["c01_large.py"]


def test_bg006_sees_modules_of_other_slices(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Inline processing is not flagged when another module (another worker's) schedules work."""
    root = tmp_path / "p"
    root.mkdir()
    inline = (SAMPLES / "bg006_no_background" / "main.py").read_text()
    for i in range(12):
        (root / f"a{i:02d}_inline.py").write_text(inline)
    (root / "z_schedules.py").write_text((SAMPLES / "good_sync_def" / "main.py").read_text())
    monkeypatch.setattr(parallel, "MIN_FILES_PER_WORKER", 1)
    serial = lint_paths(root, _files(root), jobs=1)
    together = lint_paths(root, _files(root), jobs=2)
    assert together.findings == serial.findings and together.errors == serial.errors
    assert not any(f.code == "BG006" for f in serial.findings)
    # and without the scheduling module, every inline module is flagged, in both runs
    (root / "z_schedules.py").unlink()
    serial = lint_paths(root, _files(root), jobs=1)
    together = lint_paths(root, _files(root), jobs=2)
    assert together.findings == serial.findings
    assert sum(f.code == "BG006" for f in serial.findings) == 12


def test_cli_output_is_byte_identical(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path)
    runner = CliRunner()
    monkeypatch.setattr(parallel, "available_cpus", lambda: 1)
    serial = runner.invoke(main, ["lint", str(root)])
    monkeypatch.setattr(parallel, "available_cpus", lambda: 2)
    monkeypatch.setattr(parallel, "MIN_FILES_PER_WORKER", 1)
    together = runner.invoke(main, ["lint", str(root)])
    assert serial.exit_code == together.exit_code == 1
    assert together.output == serial.output


def test_few_files_stay_in_process() -> None:
    assert parallel.worker_count(parallel.MIN_FILES_PER_WORKER * 2 - 1, 0) == 1
    assert parallel.worker_count(1000, 1) == 1
    assert parallel.worker_count(1000, 2) == 2


def _die_on_broken(bounds):
    from grader.static.parallel import _sources

    if any(path.endswith("c00_broken.py") for path, _ in _sources[bounds[0] : bounds[1]]):
        os.kill(os.getpid(), signal.SIGKILL)
    return _real_lint_slice(bounds)


_real_lint_slice = parallel._lint_slice


def test_a_worker_that_dies_costs_only_its_slice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path)
    monkeypatch.setattr(parallel, "MIN_FILES_PER_WORKER", 1)
    serial = lint_paths(root, _files(root), jobs=1)
    monkeypatch.setattr(parallel, "_lint_slice", _die_on_broken)
    together = lint_paths(root, _files(root), jobs=2)
    lost = [e for e in together.errors if "the analysis process died" in e]
    assert lost and any(e.startswith("c00_broken.py") for e in lost)
    lost_paths = {e.split(":", 1)[0] for e in lost}
    assert len(lost_paths) == len(lost) < len(_files(root)) // 2  # one error per file of one slice
    # every other file keeps its findings (z99_worker.py's come from a00_app.py, in the lost slice)
    expected = {f for f in serial.findings if f.path not in lost_paths and f.path != "z99_worker.py"}
    assert expected and expected <= set(together.findings)
