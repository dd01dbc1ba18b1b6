"""Remove what a run left, whatever the student made of it, and what dead graders left.

``remove_tree`` never recurses (a 3,000-level tree made ``shutil.rmtree`` raise
RecursionError and exceed PATH_MAX): each subfolder is first moved up to the top of the
tree (a rename, cheap on one filesystem), so the walk is always one level deep and holds
two descriptors. Every operation is relative to a descriptor (``dir_fd``) and never
follows a symlink; names are passed back as the bytes they are; a folder the student
made unreadable or unwritable is given its permissions back first; another filesystem
mounted inside is unmounted, never walked.

``sweep_stale_runs`` removes the ``grader-run-*`` folders of graders that are gone (the
owner's pid and start time are recorded in each), after unmounting what is mounted in
them; a live grader's runs are never touched.
"""

from __future__ import annotations

import os
import stat
import tempfile

from grader.behavior.sandbox.jail import cgroups, mountinfo, syscalls

RUN_PREFIX = "grader-run-"
OWNER_FILE = "owner"
_OPEN_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def unmount_under(folder: str) -> int:
    """Detach every mount at or below ``folder`` (deepest first); how many."""
    try:
        mounts = mountinfo.under(mountinfo.read(), os.path.realpath(folder))
    except OSError:
        return 0
    done = 0
    for mount in sorted(mounts, key=lambda m: m.point.count("/"), reverse=True):
        try:
            syscalls.umount(mount.point, syscalls.MNT_DETACH | syscalls.UMOUNT_NOFOLLOW)
            done += 1
        except OSError:
            pass
    return done


def _open_dir(name: str, dir_fd: int | None) -> int | None:
    """Open a folder for listing, fixing its permissions once if the student removed them."""
    for attempt in (1, 2):
        try:
            return os.open(name, _OPEN_DIR, dir_fd=dir_fd)
        except PermissionError:
            if attempt == 2:
                return None
            try:
                os.chmod(name, stat.S_IRWXU, dir_fd=dir_fd, follow_symlinks=False)
            except OSError:
                return None
        except OSError:
            return None
    return None


def _empty(fd: int, top_fd: int, top_dev: int, queue: list[str], counter: list[int]) -> None:
    """Unlink the files of the folder ``fd``; move its subfolders up to the top folder."""
    try:
        os.fchmod(fd, stat.S_IRWXU)  # unlink and rename out need write access here
    except OSError:
        pass
    for entry in list(os.scandir(fd)):
        name = entry.name
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISDIR(info.st_mode):
            try:
                os.unlink(name, dir_fd=fd)
            except OSError:
                pass
            continue
        if info.st_dev != top_dev:
            continue  # another filesystem mounted here: unmount_under handles it, never walked
        if fd == top_fd:
            queue.append(name)  # already at the top
            continue
        moved = _free_name(top_fd, counter)
        try:
            os.chmod(name, stat.S_IRWXU, dir_fd=fd, follow_symlinks=False)  # its ".." is rewritten
            os.rename(name, moved, src_dir_fd=fd, dst_dir_fd=top_fd)
        except OSError:
            continue
        queue.append(moved)


def _free_name(top_fd: int, counter: list[int]) -> str:
    while True:
        counter[0] += 1
        name = f".grader-rm-{counter[0]}"
        try:
            os.stat(name, dir_fd=top_fd, follow_symlinks=False)
        except FileNotFoundError:
            return name
        except OSError:
            return name


def remove_tree(path: str | os.PathLike[str]) -> bool:
    """Remove ``path`` and everything below it; True when it is gone."""
    path = os.fspath(path)
    unmount_under(path)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return True
    if not stat.S_ISDIR(info.st_mode):
        try:
            os.unlink(path)
        except OSError:
            pass
        return not os.path.lexists(path)
    top_fd = _open_dir(path, None)
    if top_fd is None:
        return False
    try:
        queue: list[str] = []
        counter = [0]
        _empty(top_fd, top_fd, info.st_dev, queue, counter)
        while queue:
            name = queue.pop()
            fd = _open_dir(name, top_fd)
            if fd is not None:
                try:
                    _empty(fd, top_fd, info.st_dev, queue, counter)
                finally:
                    os.close(fd)
            try:
                os.rmdir(name, dir_fd=top_fd)
            except OSError:
                pass  # a mount point or a folder we could not empty: reported by the result
    finally:
        os.close(top_fd)
    try:
        os.rmdir(path)
    except OSError:
        pass
    return not os.path.lexists(path)


def write_owner(folder: str) -> None:
    with open(os.path.join(folder, OWNER_FILE), "w") as handle:
        handle.write(f"{cgroups.owner_tag()} {_boot_id()}\n")


def _boot_id() -> str:
    try:
        with open("/proc/sys/kernel/random/boot_id") as handle:
            return handle.read().strip()
    except OSError:
        return "-"


def _owner_is_gone(folder: str) -> bool | None:
    """True / False, or None when the folder says nothing about its owner."""
    try:
        with open(os.path.join(folder, OWNER_FILE)) as handle:
            tag, boot = handle.read(200).split()
        pid, start = (int(x) for x in tag.split("."))
    except (OSError, ValueError):
        return None
    if boot != _boot_id():
        return True
    return not cgroups.owner_alive(pid, start)


_swept: set[str] = set()


def sweep_stale_runs(base: str | None = None, force: bool = False) -> list[str]:
    """Remove the run folders of dead graders in ``base`` (the temp dir); once per process
    and folder unless ``force``. Returns the folders removed."""
    base = base or tempfile.gettempdir()
    if base in _swept and not force:
        return []
    _swept.add(base)
    removed: list[str] = []
    try:
        entries = [e for e in os.scandir(base) if e.name.startswith(RUN_PREFIX)]
    except OSError:
        return removed
    me = os.geteuid()
    for entry in entries:
        try:
            if not entry.is_dir(follow_symlinks=False) or (me != 0 and entry.stat(follow_symlinks=False).st_uid != me):
                continue
        except OSError:
            continue
        if _owner_is_gone(entry.path) is not True:
            continue  # alive, or not ours to judge (no owner record)
        if remove_tree(entry.path):
            removed.append(entry.path)
    cgroups.sweep()
    return removed
