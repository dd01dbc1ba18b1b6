"""Errors the grader reports to its user as one clear line (never a traceback)."""


class GraderError(Exception):
    """A problem with the grader's input, written for the person running the grader.

    ``exit_code`` follows click's convention: 2 for usage errors (bad path, bad rubric),
    1 for a failed run.
    """

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class SubmissionError(GraderError):
    """The submission cannot be read (missing path, bad archive, nothing to grade)."""


class RubricError(GraderError):
    """The rubric file is invalid; the message names the offending key."""
