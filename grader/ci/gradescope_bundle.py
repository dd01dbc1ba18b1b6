"""``grader gradescope-bundle``: the autograder zip Gradescope runs for each submission.

Gradescope's layout (Autograder Specifications): the zip's root holds ``setup.sh`` (run
once to build the image) and ``run_autograder`` (run per submission, working directory
``/autograder``); the student's files are in ``/autograder/submission`` and the results go
to ``/autograder/results/results.json``. Our ``run_autograder`` takes its root from
``$GRADER_AUTOGRADER_ROOT`` (default ``/autograder``) and the grader executable from
``$GRADER_BIN`` (default: the venv ``setup.sh`` made), so it can be tested anywhere.
"""

from __future__ import annotations

import io
import shlex
import zipfile
from pathlib import Path

from grader import __version__
from grader.errors import GraderError
from grader.scoring.rubric import Rubric

VENV = "/opt/fastapi-grader"

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once while building the autograder image (Ubuntu).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends python3 python3-venv python3-pip
python3 -m venv {venv}
{venv}/bin/python -m pip install --upgrade pip
{venv}/bin/python -m pip install {spec}
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission. It always leaves a results.json behind.
set -uo pipefail
ROOT="${{GRADER_AUTOGRADER_ROOT:-/autograder}}"
GRADER="${{GRADER_BIN:-{venv}/bin/grader}}"
RESULTS="$ROOT/results/results.json"
mkdir -p "$ROOT/results"
"$GRADER" grade "$ROOT/submission" --rubric "$ROOT/source/rubric.toml" --format gradescope --output "$RESULTS"{extra}
status=$?
if [ $status -ne 0 ] || [ ! -s "$RESULTS" ]; then
  # The grader itself failed (exit $status): say so to the student instead of a blank page.
  cat > "$RESULTS" <<'JSON'
{{"score": 0, "output": "The autograder could not grade this submission (the grader exited with an error). Check that you submitted your FastAPI project's files, then resubmit or contact the course staff.", "visibility": "visible", "stdout_visibility": "visible", "tests": []}}
JSON
fi
exit 0
"""


def install_spec(git_url: str | None) -> str:
    if git_url:
        return shlex.quote(git_url if git_url.startswith("git+") else f"git+{git_url}")
    return shlex.quote(f"fastapi-grader=={__version__}")


def bundle_bytes(rubric: Rubric, git_url: str | None = None, static_only: bool = False) -> bytes:
    files: dict[str, str | bytes] = {
        "setup.sh": SETUP_SH.format(venv=VENV, spec=install_spec(git_url)),
        "run_autograder": RUN_AUTOGRADER.format(venv=VENV, extra=" --static-only" if static_only else ""),
        "rubric.toml": rubric.text,
    }
    for rel, data in _rubric_files(rubric).items():
        files[rel] = data
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            # Fixed timestamps: the same rubric gives the same bundle, byte for byte.
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = (0o755 if name in {"setup.sh", "run_autograder"} else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return buffer.getvalue()


def _rubric_files(rubric: Rubric) -> dict[str, bytes]:
    """Custom pytest checks point at files next to the rubric; the bundle carries them."""
    found: dict[str, bytes] = {}
    base = rubric.source.parent.resolve() if rubric.source else Path.cwd()
    for check in rubric.checks:
        if check.path is None:
            continue
        try:
            rel = check.path.resolve().relative_to(base).as_posix()
        except ValueError:
            raise GraderError(f"check {check.id}: {check.path} is outside the rubric's folder; "
                              "move it next to the rubric to bundle it.") from None
        found[rel] = check.path.read_bytes()
    return found
