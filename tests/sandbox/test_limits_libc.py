"""The C library handle the sandbox uses for prctl/unshare/mount: loaded once, no subprocess."""

from __future__ import annotations

import subprocess
import sys

import pytest

from grader.behavior.sandbox import limits

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")


def test_libc_is_found_without_running_a_subprocess(monkeypatch):
    def no_subprocess(*_args, **_kwargs):
        raise AssertionError("the C library lookup ran a subprocess (ldconfig)")

    monkeypatch.setattr(subprocess, "Popen", no_subprocess)
    limits._libc.cache_clear()
    try:
        libc = limits._libc()
        assert libc is not None and libc.getpid() > 0
    finally:
        limits._libc.cache_clear()


def test_libc_is_loaded_once_per_process():
    assert limits._libc() is limits._libc()
