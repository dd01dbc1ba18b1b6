"""Code that runs INSIDE the student's process: finding the app and serving it.

Everything in this package shares a process, and so a trust boundary, with the
student's code, which can read and rewrite any of it. Nothing measured here may earn a
point: the trusted parent (:mod:`grader.behavior.observer`, :mod:`grader.behavior.checks`)
observes the run from outside. What this package reports (which task raised, where) is
advisory: it can add detail to feedback and cost points, never grant them.
"""
