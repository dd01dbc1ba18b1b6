"""The ``grader`` console script: what runs before the command line is parsed.

A one-submission ``grader grade`` waits first of all for the sandbox's warm server to
import FastAPI (~0.7 s): it is started here, before the command line's own imports
(~0.1 s), so the two overlap. Everything else is :func:`grader.cli.entry`.
"""

from __future__ import annotations

import sys


def _runs_behavior_of_one(argv: list[str]) -> bool:
    return (len(argv) > 2 and argv[1] == "grade" and "--static-only" not in argv
            and not any(arg in ("-h", "--help") for arg in argv[2:]))


def main() -> None:
    if _runs_behavior_of_one(sys.argv):
        from grader.behavior.sandbox.launcher import prestart_for_one_run

        prestart_for_one_run()
    from grader.cli import entry

    entry()
