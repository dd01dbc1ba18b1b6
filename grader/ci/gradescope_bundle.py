"""``grader gradescope-bundle``: the autograder zip Gradescope runs for each submission.

Gradescope's layout (Autograder Specifications): the zip's root holds ``setup.sh`` (run
once, as root, to build the image) and ``run_autograder`` (run per submission); the
student's files are in ``/autograder/submission`` and the results go to
``/autograder/results/results.json``.

With the default ``wheel`` source the zip carries ``wheels/``: the grader's own wheel and
the wheels of every dependency for the target interpreter (default CPython 3.10 on x86_64,
Gradescope's Ubuntu 22.04 image), with ``wheels/requirements.txt`` pinning each one.
``setup.sh`` installs from that folder with ``--no-index``: no network, no package index,
the exact versions that were bundled. On another interpreter it keeps the bundled grader
and takes the dependencies from the index, and says so.

``setup.sh`` and ``run_autograder`` read ``GRADER_VENV`` (default ``/opt/fastapi-grader``),
``GRADER_PYTHON`` (default ``python3``) and ``GRADER_AUTOGRADER_ROOT`` (default
``/autograder``), so the tests run them in a temporary root exactly as Gradescope would.
"""

from __future__ import annotations

import io
import shlex
import tempfile
import zipfile
from pathlib import Path

from grader import __version__
from grader.ci.sources import PACKAGE, InstallSource
from grader.ci.wheels import Target, download_closure, own_wheel, pins
from grader.errors import GraderError
from grader.scoring.rubric import Rubric

VENV = "/opt/fastapi-grader"

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder image.
# It installs fastapi-grader {version} {described}.
set -euo pipefail
HERE="$(cd "$(dirname "${{BASH_SOURCE[0]}}")" && pwd)"
VENV="${{GRADER_VENV:-{venv}}}"
PYTHON="${{GRADER_PYTHON:-python3}}"
usable() {{ "$PYTHON" -c 'import sys, ensurepip, venv; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; }}
if ! usable{needs_git}; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends {apt_packages} >/dev/null
fi
if ! usable; then
  echo "setup.sh: fastapi-grader needs Python 3.10 or later with venv; $PYTHON is $("$PYTHON" -V 2>&1 || echo missing)." >&2
  echo "setup.sh: choose Gradescope's Ubuntu 22.04 base image (Python 3.10)." >&2
  exit 1
fi
"$PYTHON" -m venv "$VENV"
{install}
"$VENV/bin/grader" --version
"""

INSTALL_FROM_WHEELS = """\
if ! "$VENV/bin/python" -m pip install --quiet --no-index --find-links "$HERE/wheels" -r "$HERE/wheels/requirements.txt"; then
  echo "setup.sh: the bundled wheels are for CPython {python} on {machine} Linux, not $("$VENV/bin/python" -V);" \\
       "installing the bundled grader with its dependencies from the package index." >&2
  "$VENV/bin/python" -m pip install --quiet --find-links "$HERE/wheels" {requirement}
fi"""

INSTALL_FROM_INDEX = """\
"$VENV/bin/python" -m pip install --quiet {requirement}"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission. It always leaves a results.json behind.
set -uo pipefail
ROOT="${{GRADER_AUTOGRADER_ROOT:-/autograder}}"
GRADER="${{GRADER_VENV:-{venv}}}/bin/grader"
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

_EXECUTABLE = {"setup.sh", "run_autograder"}


def rubric_extras(rubric: Rubric) -> tuple[str, ...]:
    """The grader's extras this rubric needs on the grading machine (pytest for pytest checks)."""
    return ("checks",) if any(check.kind == "pytest" for check in rubric.checks) else ()


def setup_script(source: InstallSource, extras: tuple[str, ...], target: Target) -> str:
    if source.kind == "wheel":
        wheel = f'"$HERE/wheels/{PACKAGE.replace("-", "_")}-{__version__}-py3-none-any.whl'
        requirement = wheel + (f'[{",".join(extras)}]"' if extras else '"')
        install = INSTALL_FROM_WHEELS.format(python=target.python, machine=target.machine, requirement=requirement)
    else:
        install = INSTALL_FROM_INDEX.format(requirement=shlex.quote(source.requirement(extras)))
    git = source.kind == "git"
    return SETUP_SH.format(
        version=__version__, described=source.describe(), venv=VENV, install=install,
        needs_git=" || ! command -v git >/dev/null" if git else "",
        apt_packages="python3 python3-venv" + (" git" if git else ""),
    )


def bundle_bytes(rubric: Rubric, source: InstallSource, static_only: bool = False,
                 target: Target | None = None) -> bytes:
    target = target or Target()
    extras = rubric_extras(rubric)
    files: dict[str, str | bytes] = {
        "setup.sh": setup_script(source, extras, target),
        "run_autograder": RUN_AUTOGRADER.format(venv=VENV, extra=" --static-only" if static_only else ""),
        "rubric.toml": rubric.text,
        **_rubric_files(rubric),
    }
    with tempfile.TemporaryDirectory(prefix="grader-bundle-") as tmp:
        if source.kind == "wheel":
            folder = Path(tmp)
            wheels = download_closure(own_wheel(folder), extras, folder, target)
            files["wheels/requirements.txt"] = pins(wheels, extras)
            for path in wheels:
                files[f"wheels/{path.name}"] = path.read_bytes()
        return _zip(files)


def _zip(files: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = (0o755 if name in _EXECUTABLE else 0o644) << 16
            # Wheels are zips already: storing them costs nothing and saves the time.
            info.compress_type = zipfile.ZIP_STORED if name.endswith(".whl") else zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return buffer.getvalue()


def _rubric_files(rubric: Rubric) -> dict[str, bytes]:
    """Files the rubric names next to itself travel with it: pytest checks, the processing
    effect's checker, a fixture of its own (``fixtures/`` ships inside the grader's wheel)."""
    base = rubric.source.parent.resolve() if rubric.source else Path.cwd()
    wanted: list[tuple[str, Path]] = [(check.id, check.path) for check in rubric.checks if check.path is not None]
    effect = dict(rubric.behavior.effect)
    if effect.get("checker"):
        wanted.append(("behavior.effect.checker", Path(effect["checker"].rpartition(":")[0])))
    own_fixture = base / rubric.behavior.fixture
    if own_fixture.is_file():
        wanted.append(("behavior.fixture", own_fixture))
    found: dict[str, bytes] = {}
    for what, path in wanted:
        try:
            rel = path.resolve().relative_to(base).as_posix()
        except ValueError:
            raise GraderError(f"{what}: {path} is outside the rubric's folder; "
                              "move it next to the rubric to bundle it.") from None
        found[rel] = path.read_bytes()
    return found
