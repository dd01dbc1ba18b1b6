"""Attack on the cleanup: a 3,000-level folder tree, names that are not UTF-8, folders
without permissions, a FIFO, a symlink out of the tree, a file in every writable place."""

import os

top = os.open(".", os.O_RDONLY)
current = top
for depth in range(3000):
    os.mkdir(b"d\xff", dir_fd=current)
    fd = os.open(b"d\xff", os.O_RDONLY, dir_fd=current)
    if current != top:
        os.close(current)
    current = fd
os.mkfifo("fifo", dir_fd=current)
os.symlink("/etc/passwd", "link", dir_fd=current)
os.mkdir("locked", dir_fd=current)
os.chmod("locked", 0, dir_fd=current)
os.close(current)
os.mkdir("sealed")
open("sealed/inside", "w").close()
os.chmod("sealed", 0)
for place in ("/tmp", "/var/tmp", "/dev/shm", "/run/lock"):
    os.makedirs(f"{place}/nest/nest", exist_ok=True)
FINDINGS = {"done": True}
