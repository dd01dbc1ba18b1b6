"""Find the machine's other CPython interpreters (pyenv installs them; its shims may refuse)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys


def _runs(path: str) -> bool:
    try:
        return subprocess.run([path, "-c", "import venv"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def find_python(version: str) -> str | None:
    """A working ``pythonX.Y`` executable, or None. A pyenv shim that names no active
    version fails to run, so pyenv's own folders are looked at too."""
    if f"{sys.version_info[0]}.{sys.version_info[1]}" == version:
        return sys.executable
    candidates = [shutil.which(f"python{version}")]
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    candidates += sorted(glob.glob(os.path.join(root, "versions", f"{version}.*", "bin", f"python{version}")),
                         reverse=True)
    return next((c for c in candidates if c and _runs(c)), None)
