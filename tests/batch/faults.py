"""Worker functions that misbehave on purpose (module-level, so worker processes can import them)."""

from __future__ import annotations

import os

from grader.batch.worker import Graded, Job, grade_job


def die_on_crasher(job: Job) -> Graded:
    """Kills its worker process outright for the student "crasher", like a segfault would."""
    if job.student == "crasher":
        os._exit(139)
    return grade_job(job)


def raise_on_boom(job: Job) -> Graded:
    if job.student == "boom":
        raise RuntimeError("unexpected failure outside the grading guard")
    return grade_job(job)


def hang_on_sloth(job: Job) -> Graded:
    """Never returns for the student "sloth", like a grader stuck in an endless loop."""
    import time

    if job.student == "sloth":
        while True:
            time.sleep(1)
    return grade_job(job)
