"""The run's folder on the grader's side: everything the child may write lives here.

Layout (``<run>`` is a fresh ``grader-run-*`` folder in the temp dir; as root, a tmpfs of
the run's disk budget is mounted on it)::

    <run>/owner            the grader's pid, start time and boot id (``cleanup.sweep_stale_runs``),
                           written on the disk and again in the tmpfs
    <run>/root/            empty: the child mounts its new root here, in its own namespace
    <run>/tmp/             the child's /tmp
    <run>/tmp/sandbox/        the child's /tmp/sandbox (``../x`` escapes land here)
    <run>/tmp/sandbox/work/   the copy of the submission, the app's working directory
    <run>/var-tmp/         the child's /var/tmp
    <run>/shm/             the child's /dev/shm
    <run>/run-lock/        the child's /run/lock

The child sees these folders through bind mounts of the same inodes, so the grader reads
them, and inotify watches it holds on them see every write, for as long as the folder
exists: during the run and after the child died. One tmpfs holds them all, so the disk
budget counts every byte the run writes anywhere, and its pages are charged to the
run's memory cgroup. Without root there is no tmpfs: the grader counts the bytes
(``diskwatch``) and ``RLIMIT_FSIZE`` caps each file.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from grader.behavior.sandbox.jail import cleanup, mountinfo, syscalls

# child path -> folder under <run>
CHILD_FOLDERS = {"/tmp": "tmp", "/var/tmp": "var-tmp", "/dev/shm": "shm", "/run/lock": "run-lock"}
TMPFS_INODES = 65_536


class RunDir:
    def __init__(self, disk_mb: int, owner_uid: int | None, tmpfs: bool) -> None:
        self.path = Path(tempfile.mkdtemp(prefix=cleanup.RUN_PREFIX))
        self.disk_mb = disk_mb
        self.tmpfs = False
        try:
            cleanup.write_owner(str(self.path))
            # A tmpfs on the whole folder: a run's few folders then cost no disk operation
            # (an rmdir on the disk of the benchmark VM takes ~4 ms).
            if tmpfs and sys.platform.startswith("linux"):
                self.tmpfs = self._mount_tmpfs(disk_mb)
                if self.tmpfs:
                    cleanup.write_owner(str(self.path))
            self.staging = self.path / "root"
            self.staging.mkdir()
            self.writable = {child: self.path / name for child, name in CHILD_FOLDERS.items()}
            for folder in self.writable.values():
                folder.mkdir(mode=0o700)
            self.sandbox = self.writable["/tmp"] / "sandbox"
            self.sandbox.mkdir(mode=0o700)
            # A dedicated uid must traverse <run> when no mount namespace binds its folders
            # for it (x only: the names stay unlisted).
            os.chmod(self.path, 0o711)
            self.owner_uid = owner_uid
        except BaseException:
            self.remove()
            raise

    def _mount_tmpfs(self, disk_mb: int) -> bool:
        try:
            syscalls.mount("tmpfs", str(self.path), "tmpfs", syscalls.MS_NOSUID | syscalls.MS_NODEV,
                           f"size={disk_mb}m,nr_inodes={TMPFS_INODES},mode=0711")
        except OSError:
            return False
        return self._tmpfs_size() == disk_mb * 1024 * 1024

    def _tmpfs_size(self) -> int:
        top = mountinfo.top_at(mountinfo.read(), str(self.path.resolve()))
        if top is None or top.fstype != "tmpfs":
            return -1
        stats = os.statvfs(self.path)
        return stats.f_blocks * stats.f_frsize

    def resize(self, disk_mb: int) -> bool:
        """Give the run's tmpfs another size (the rubric's budget, known only at run time);
        False when it cannot hold what is already there."""
        if not self.tmpfs or disk_mb == self.disk_mb:
            return True
        try:
            syscalls.mount(None, str(self.path), None, syscalls.MS_REMOUNT | syscalls.MS_NOSUID | syscalls.MS_NODEV,
                           f"size={disk_mb}m")
        except OSError:
            return False
        self.disk_mb = disk_mb
        return self._tmpfs_size() == disk_mb * 1024 * 1024

    def hand_over(self, uid: int) -> None:
        """Give the child's folders (and everything copied into them) to ``uid``."""
        for folder in self.writable.values():
            for dirpath, dirnames, filenames in os.walk(folder):
                os.chown(dirpath, uid, uid)
                for name in filenames:
                    os.chown(os.path.join(dirpath, name), uid, uid, follow_symlinks=False)

    def identities(self) -> dict[str, list[int]]:
        """(device, inode) of each child folder: the child checks its /tmp is this one."""
        found = {}
        for child, folder in self.writable.items():
            info = os.stat(folder)
            found[child] = [info.st_dev, info.st_ino]
        return found

    def remove(self) -> bool:
        return cleanup.remove_tree(self.path)
