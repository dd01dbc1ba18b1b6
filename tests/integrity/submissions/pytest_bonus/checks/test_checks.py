"""The instructor's tests for the bonus attack: two tests, 3 points each."""
import pytest


@pytest.mark.points(3)
def test_upload_is_saved(upload):
    """An upload is saved."""
    result = upload(b"hello", filename="a.txt")
    assert result.saved_after, "nothing saved"


@pytest.mark.points(3)
def test_answers_2xx(upload):
    """An upload gets a 2xx."""
    assert upload(b"hello", filename="b.txt").status == 200
