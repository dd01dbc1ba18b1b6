"""Discovery: turn a path (folder, single .py, .zip) into a Submission to grade."""

from grader.discovery.submission import Submission, load_submission

__all__ = ["Submission", "load_submission"]
