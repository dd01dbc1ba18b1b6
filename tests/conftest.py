"""Suite-wide settings.

Property tests (hypothesis, hypothesmith) run derandomized: the same examples on every
run, so a run's time and verdict do not depend on the draw (one random draw once took
227 s where the usual takes 11). ``HYPOTHESIS_PROFILE=explore`` draws fresh examples
on every run, for a wider search before a release.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("repeatable", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))
