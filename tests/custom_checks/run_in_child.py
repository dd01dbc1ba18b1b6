"""Run custom checks on an app folder in a fresh interpreter (like the sandboxed child).

``python -m tests.custom_checks.run_in_child APP_DIR TEST_FILE POINTS`` prints the
result JSON. A separate process keeps the tests' own pytest session out of the way.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path


def main(app_dir: str, test_file: str, points: str) -> None:
    from grader.behavior.student.app_discovery import discover_app
    from grader.behavior.custom.runner import run_custom_checks

    work = Path(tempfile.mkdtemp(prefix="custom-child-")) / "app"
    shutil.copytree(app_dir, work)
    os.chdir(work)
    found = discover_app(work)
    spec = {"id": "custom", "name": f"checks/{Path(test_file).name}", "source": Path(test_file).read_text(),
            "points": float(points)}
    result = run_custom_checks(found.app, work, found.route.path, found.route.field, [spec], timeout_s=3.0)
    sys.stdout.write("\n@@RESULT@@" + json.dumps(result.to_dict()))
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main(*sys.argv[1:])
