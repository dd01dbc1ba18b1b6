"""Where a generated workflow or Gradescope bundle installs the grader from.

Three sources, each pinned to exactly one version of the grader:

- ``wheel`` (the default): the grader's own wheel travels with the artifact (committed
  next to the workflow, or inside the Gradescope zip). It works today, with nothing
  published anywhere.
- ``git``: ``git+URL@<commit>``; the URL must name a full commit id, so every student
  runs the same grader (a branch name would change under them).
- ``index``: ``fastapi-grader==<this version>`` from the package index, once published.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from grader import __version__
from grader.errors import GraderError

PACKAGE = "fastapi-grader"
KINDS = ("wheel", "git", "index")
_COMMIT = re.compile(r"[0-9a-f]{40}")


@dataclass(frozen=True)
class InstallSource:
    kind: str  # one of KINDS
    git_url: str | None = None  # kind "git": "https://host/repo.git@<40-hex commit>"

    def requirement(self, extras: tuple[str, ...] = ()) -> str:
        """A pip requirement for the git and index sources (the wheel source names a file)."""
        name = f"{PACKAGE}[{','.join(extras)}]" if extras else PACKAGE
        if self.kind == "git":
            return f"{name} @ git+{self.git_url}"
        return f"{name}=={__version__}"

    def describe(self) -> str:
        if self.kind == "wheel":
            return f"from its own wheel ({PACKAGE} {__version__}), shipped with it"
        if self.kind == "git":
            return f"from git, pinned: {self.git_url}"
        return f"from the package index: {PACKAGE}=={__version__}"


def parse_source(kind: str | None, git_url: str | None) -> InstallSource:
    """``--source`` and ``--git-url`` as one choice; a git URL implies ``--source git``."""
    if git_url is not None:
        if kind not in (None, "git"):
            raise GraderError(f"--git-url goes with --source git, not --source {kind}.")
        return InstallSource("git", _pinned_git_url(git_url))
    if kind == "git":
        raise GraderError("--source git needs --git-url URL@<commit>.")
    if kind is not None and kind not in KINDS:
        raise GraderError(f"--source {kind!r}: choose from {', '.join(KINDS)}.")
    return InstallSource(kind or "wheel")


def _pinned_git_url(url: str) -> str:
    bare = url[len("git+"):] if url.startswith("git+") else url
    base, at, ref = bare.rpartition("@")
    if not at or "/" in ref or not base or base.endswith(("//", ":")):
        ref = ""
    if not _COMMIT.fullmatch(ref.lower()):
        raise GraderError(
            f"--git-url {url!r}: pin it to a full commit id, URL@<40 hex digits> "
            "(`git ls-remote URL HEAD` prints the current one), so every student runs the same grader."
        )
    return f"{base}@{ref.lower()}"
