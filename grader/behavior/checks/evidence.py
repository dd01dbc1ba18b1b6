"""What happened to one upload, reconstructed from the parent's own observations.

Input: the file events the parent logged between sending the request and deciding the
tasks were done, the position at which the response was about to leave the server (a
held send, or the parent's receipt when no trap was available), what the parent read
during that hold, and the files holding the payload at the end. Output: plain facts the
verdicts are made of: where the upload was saved and when, whether the saved copy was
read back before or after the response, which other files were written when.

Nothing here comes from the student's process.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from grader.behavior.observer.disk_watch import READS, WRITES, DELETE, MOVED_FROM, FileEvent

Path2 = tuple[str, str]  # (root label, path relative to it)


def shown(path: Path2) -> str:
    """A path as the student knows it: relative to the app's folder, or absolute elsewhere."""
    root, rel = path
    return rel if root == "." else f"{root.rstrip('/')}/{rel}"


@dataclass
class UploadEvidence:
    copies: list[Path2] = field(default_factory=list)  # hold the payload exactly at the end
    copies_at_response: list[Path2] = field(default_factory=list)  # read and matched during the hold
    saved_writes_before: list[FileEvent] = field(default_factory=list)
    saved_writes_after: list[FileEvent] = field(default_factory=list)
    reads_before: list[FileEvent] = field(default_factory=list)  # the app reading a saved copy back
    reads_after: list[FileEvent] = field(default_factory=list)
    derived_before: list[Path2] = field(default_factory=list)  # output already there at the response
    derived_after: list[Path2] = field(default_factory=list)  # output written after the response
    bookkeeping: list[Path2] = field(default_factory=list)  # written before, finished after
    written: list[Path2] = field(default_factory=list)  # every file written during the exchange
    exact: bool = False  # the response position comes from a held send
    incomplete: str | None = None  # the event log may miss events
    # The send trap was active, yet this response reached the parent without a held send:
    # it left the server by a path the parent could not observe.
    bypassed: bool = False

    @property
    def unobservable(self) -> str | None:
        """Why the order of this upload's events cannot be trusted (None: it can)."""
        if self.bypassed:
            return "the response reached the grader without passing the send trap every send of your app goes through"
        if self.incomplete:
            return f"the grader could not see every file operation ({self.incomplete})"
        return None

    @property
    def processing_before(self) -> bool:
        return bool(self.reads_before or self.derived_before)

    @property
    def work_after(self) -> bool:
        """Processing after the response: the saved upload read back, or output derived.
        Saving the upload in a task is not processing it."""
        return bool(self.reads_after or self.derived_after)

    def first_after(self) -> FileEvent | None:
        events = self.reads_after + self.saved_writes_after
        return min(events, key=lambda e: e.position) if events else None


def reconstruct(events: list[FileEvent], response_position: int | None, copies: list[Path2],
                copies_at_response: list[Path2], sizes_at_response: dict[Path2, int],
                final_sizes: dict[Path2, int], failed_saves: list[Path2], exact: bool,
                incomplete: str | None) -> UploadEvidence:
    """``events``: the app's events of this exchange (the parent's own reads left out).

    ``failed_saves``: files whose final bytes are a corruption of the payload (a save gone
    wrong, not processing output). ``sizes_at_response``: sizes the parent read with
    ``lstat`` while the response's send was held; ``final_sizes``: after the tasks. An
    empty file is nobody's output.
    """
    evidence = UploadEvidence(copies=list(copies), copies_at_response=list(copies_at_response),
                              exact=exact, incomplete=incomplete)
    cut = response_position if response_position is not None else float("inf")
    saved = set(copies) | set(copies_at_response) | set(failed_saves)
    # A rename moves a path's history: the file read later under its final name was
    # written under its temporary one.
    renamed_to: dict[Path2, Path2] = {}
    pending_from: Path2 | None = None
    for event in events:
        if event.kind == MOVED_FROM and not event.is_dir:
            pending_from = (event.root, event.path)
        elif event.kind == "moved-to" and pending_from is not None:
            renamed_to[pending_from] = (event.root, event.path)
            pending_from = None

    def final_name(path: Path2) -> Path2:
        seen: set[Path2] = set()
        while path in renamed_to and path not in seen:
            seen.add(path)
            path = renamed_to[path]
        return path

    written_before: set[Path2] = set()
    written_after: set[Path2] = set()
    last_write: dict[Path2, int] = {}
    for event in events:
        if event.is_dir:
            continue
        path = (event.root, event.path)
        target = final_name(path)
        before = event.position < cut
        if event.kind in WRITES:
            last_write[target] = event.position
            (written_before if before else written_after).add(target)
            if target in saved:
                (evidence.saved_writes_before if before else evidence.saved_writes_after).append(event)
        elif event.kind in READS and target in saved and target in last_write and event.position > last_write[target]:
            (evidence.reads_before if before else evidence.reads_after).append(event)
        elif event.kind in (DELETE,) and target in written_before:
            written_after.add(target)  # removed by the tasks: bookkeeping, not output
    for path in sorted(written_before | written_after):
        if path in saved:
            continue
        evidence.written.append(path)
        if path in written_before:
            if path in written_after:
                evidence.bookkeeping.append(path)
            elif sizes_at_response.get(path, 0) > 0:
                evidence.derived_before.append(path)
        elif final_sizes.get(path, 0) > 0:
            evidence.derived_after.append(path)
    return evidence
