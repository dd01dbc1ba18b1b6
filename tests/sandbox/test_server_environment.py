"""The fork server's environment: nothing of the grader's leaks, malloc is tuned for its children."""

from __future__ import annotations

import pytest

from grader.behavior.sandbox import launcher


def test_secrets_of_the_grader_do_not_reach_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "secret")
    env = launcher.server_environment()
    assert "GITHUB_TOKEN" not in env
    assert env["MALLOC_ARENA_MAX"] == "2"


def test_large_buffers_use_huge_pages_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GLIBC_TUNABLES", raising=False)
    tunables = launcher.server_environment()["GLIBC_TUNABLES"]
    assert tunables == launcher.MALLOC_TUNABLES
    assert "glibc.malloc.hugetlb=1" in tunables.split(":")


def test_the_users_own_glibc_tunables_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GLIBC_TUNABLES", "glibc.malloc.arena_max=1")
    assert launcher.server_environment()["GLIBC_TUNABLES"] == "glibc.malloc.arena_max=1"
