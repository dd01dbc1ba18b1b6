import pytest

from tests.hostile.support import use_private_tempdir


@pytest.fixture
def grader_temp(tmp_path, monkeypatch):
    """Every temp dir the grader makes goes here, so the test can see it is removed."""
    return use_private_tempdir(monkeypatch, tmp_path / "grader-temp")
