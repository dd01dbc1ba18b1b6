"""Headless Chromium as a test instrument: screenshot, DOM and console messages of a page."""

from __future__ import annotations

import shutil
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def chromium_binary() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class PageLoad:
    dom: str
    console: list[str]  # every console message: errors, warnings, CSP violations


def load(page: Path, profile: Path, fragment: str = "") -> PageLoad:
    """Load ``page`` and return its DOM after load plus every console message it logged.

    Chromium logs console messages (of every level) as ``INFO:CONSOLE`` lines on stderr.
    """
    binary = chromium_binary()
    assert binary is not None
    proc = subprocess.run(
        [binary, *FLAGS, f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
         "--dump-dom", page.resolve().as_uri() + fragment],
        capture_output=True, text=True, timeout=90, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    return PageLoad(proc.stdout, console)


def screenshot(page: Path, profile: Path, target: Path, width: int = 1280, height: int = 1600) -> tuple[int, int]:
    """Write a PNG screenshot of ``page`` and return its pixel size, read from the PNG header."""
    binary = chromium_binary()
    assert binary is not None
    proc = subprocess.run(
        [binary, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
         f"--screenshot={target}", page.resolve().as_uri()],
        capture_output=True, text=True, timeout=90, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    header = target.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", header[16:24])
