"""docs/scaling.md's Slurm scripts grade a class and merge it, run as Slurm would run them."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _block(name: str) -> str:
    text = (ROOT / "docs" / "scaling.md").read_text(encoding="utf-8")
    match = re.search(rf"<!-- tested: {name} -->\n```bash\n(.*?)```", text, re.S)
    assert match, f"docs/scaling.md lost its {name} script"
    return match.group(1)


def _slurm_env(submit_dir: Path, **task: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return {**env, "SLURM_SUBMIT_DIR": str(submit_dir), "SLURM_CPUS_PER_TASK": "1", **task}


def test_the_slurm_array_and_merge_scripts_grade_the_whole_class(tmp_path: Path):
    grade, merge = _block("slurm-array"), _block("slurm-merge")
    array = re.search(r"#SBATCH --array=(\d+)-(\d+)", grade)
    assert array
    first, last = int(array.group(1)), int(array.group(2))
    classroom = tmp_path / "class"
    for student in ("ana", "ben", "cy", "dee", "eli"):
        shutil.copytree(ROOT / "sample_submissions" / "good_sync_def", classroom / student)
    # Static only keeps the test fast; the scripts' own lines are run unchanged otherwise.
    grade = grade.replace(" -q\n", " -q --static-only\n")
    assert "--static-only" in grade
    for task in range(first, last + 1):
        env = _slurm_env(tmp_path, SLURM_ARRAY_TASK_ID=str(task), SLURM_ARRAY_TASK_MIN=str(first),
                         SLURM_ARRAY_TASK_MAX=str(last), SLURM_ARRAY_TASK_COUNT=str(last - first + 1))
        done = subprocess.run(["bash", "-c", grade], env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    done = subprocess.run(["bash", "-c", merge], env=_slurm_env(tmp_path), capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert [s["student"] for s in summary["students"]] == ["ana", "ben", "cy", "dee", "eli"]
    assert (tmp_path / "out" / "index.html").is_file()
