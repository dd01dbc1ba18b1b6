"""Which processes belong to which job of the fork server, kept up to date cheaply.

The fork server is a child subreaper and an ancestor of every process a job starts, so
a process is in the server's tree exactly when, the first time it is seen, its parent is
in the tree (or is the server). A process never leaves the tree it was born in: an
orphan moves up to the nearest subreaper, the server at worst. So each process is read
once, when it first appears, and keeps the job it was found under (even after a
``setsid`` and the death of its parent). A refresh then costs one listing of ``/proc``
plus one read per new process, where reading every process on the machine every 50 ms
cost the server ~25 ms of CPU per submission.

A recycled pid could carry a stale entry, so ``refresh(full=True)`` re-reads every
process and re-classifies those whose start time changed; the server runs it every
``FULL_REFRESH_S``. A process that shows up already re-parented to the server (its
parent died before it was seen) is given to the job whose session, process group or
dedicated uid it has; with none, it belongs to no running job and is killed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from grader.behavior.sandbox import procs

FOREIGN = -1  # not a descendant of the server: never touched
UNKNOWN = 0  # in the server's tree, but no running job claims it: killed
FULL_REFRESH_S = 1.0


@dataclass
class Entry:
    info: procs.ProcInfo  # as read when first seen (pid and start time identify it)
    owner: int  # a job's pid, FOREIGN or UNKNOWN


class Tracker:
    def __init__(self, server_pid: int | None = None) -> None:
        self.server_pid = os.getpid() if server_pid is None else server_pid
        self.entries: dict[int, Entry] = {}
        self.jobs: dict[int, int | None] = {}  # running job pid -> its dedicated uid (or None)

    # ---- jobs -----------------------------------------------------------------------
    def add_job(self, pid: int, uid: int | None) -> None:
        self.jobs[pid] = uid
        self.entries.pop(pid, None)  # a recycled pid seen before: read afresh as the job

    def end_job(self, pid: int) -> None:
        """The job is over: whatever of it is still alive now belongs to no running job."""
        self.jobs.pop(pid, None)

    def members(self, job: int) -> list[procs.ProcInfo]:
        """Every process of ``job`` still listed in /proc (zombies included), job pid too."""
        return [e.info for e in self.entries.values() if e.owner == job]

    def strays(self) -> list[procs.ProcInfo]:
        """Processes of the server's tree that no running job claims (a job's leftovers,
        an orphan nobody can be tied to); never a running job's own pid."""
        return [
            e.info for e in self.entries.values()
            if e.owner != FOREIGN and e.owner not in self.jobs and e.info.pid not in self.jobs
        ]

    # ---- /proc ----------------------------------------------------------------------
    def refresh(self, full: bool = False) -> None:
        try:
            listed = {int(name) for name in os.listdir(procs.PROC) if name.isdigit()}
        except OSError:
            return
        for pid in [p for p in self.entries if p not in listed]:
            del self.entries[pid]
        with_uid = any(uid is not None for uid in self.jobs.values())
        fresh: dict[int, procs.ProcInfo] = {}
        for pid in listed:
            entry = self.entries.get(pid)
            if entry is not None and not full:
                continue
            info = procs.read_proc(pid, with_uid)
            if info is None:
                self.entries.pop(pid, None)
                continue
            if entry is not None and entry.info.start == info.start:
                entry.info = info  # same process: its lineage stands, its ids may have moved
                continue
            self.entries.pop(pid, None)
            fresh[pid] = info
        self._classify(fresh)

    def _classify(self, fresh: dict[int, procs.ProcInfo]) -> None:
        """Give each new process an owner; parents first (they may be new too)."""
        for pid in fresh:
            chain = []
            current = pid
            while current in fresh and current not in self.entries and current not in chain:
                chain.append(current)
                current = fresh[current].ppid
            for member in reversed(chain):
                owner = self._owner_of(fresh[member])
                if owner is None:
                    break  # its parent was not readable: try again at the next refresh
                self.entries[member] = Entry(fresh[member], owner)

    def _owner_of(self, info: procs.ProcInfo) -> int | None:
        if info.pid in self.jobs:
            return info.pid
        if info.ppid == self.server_pid:
            return self._claimant(info, UNKNOWN)  # an orphan re-parented before we saw it
        parent = self.entries.get(info.ppid)
        if parent is None:
            if info.ppid in (0, 1) or info.pid == self.server_pid:
                return self._claimant(info, FOREIGN)  # outside the tree (the server's own ancestors)
            return None
        if parent.owner == FOREIGN:
            return self._claimant(info, FOREIGN)
        if parent.owner == UNKNOWN:
            return self._claimant(info, UNKNOWN)
        return parent.owner

    def _claimant(self, info: procs.ProcInfo, default: int) -> int:
        """The running job this process is tied to by its session, process group or the
        job's dedicated uid (what the old full-table sweep matched on), else ``default``."""
        for job, uid in self.jobs.items():
            if info.sid == job or info.pgid == job:
                return job
            for leader in (info.sid, info.pgid):
                entry = self.entries.get(leader)
                if entry is not None and entry.owner == job:
                    return job
            if uid is not None and info.uid == uid:
                return job
        return default
