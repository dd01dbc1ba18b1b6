"""Safe extraction of a submission archive (``.zip``).

Refuses, with a clear message, archives that would write outside the target folder
(``..`` or absolute names), hold symlinks, too many entries, or decompress past a size
or ratio limit (zip bombs).
"""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path, PurePosixPath

from grader.errors import SubmissionError

MAX_ENTRIES = 2_000
MAX_TOTAL_BYTES = 200 * 1024 * 1024
MAX_RATIO = 200  # uncompressed / compressed, per entry


def _check_name(archive: Path, name: str) -> PurePosixPath:
    pure = PurePosixPath(name.replace("\\", "/"))
    if pure.is_absolute() or name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise SubmissionError(f"{archive.name}: refused: entry {name!r} has an absolute path.")
    if ".." in pure.parts:
        raise SubmissionError(f"{archive.name}: refused: entry {name!r} points outside the archive (..).")
    return pure


def extract_zip(archive: Path, target: Path) -> Path:
    """Extract ``archive`` into ``target`` and return the submission root inside it.

    When the archive holds a single top-level folder (the usual "zip of my project"),
    that folder is the root.
    """
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise SubmissionError(f"{archive.name}: not a readable zip archive ({exc}).") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_ENTRIES:
            raise SubmissionError(
                f"{archive.name}: refused: {len(infos)} entries (limit {MAX_ENTRIES})."
            )
        total = 0
        for info in infos:
            _check_name(archive, info.filename)
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise SubmissionError(f"{archive.name}: refused: entry {info.filename!r} is a symlink.")
            total += info.file_size
            if total > MAX_TOTAL_BYTES:
                raise SubmissionError(
                    f"{archive.name}: refused: decompresses past {MAX_TOTAL_BYTES // 2**20} MiB (zip bomb?)."
                )
            if info.compress_size and info.file_size / info.compress_size > MAX_RATIO and info.file_size > 1 << 20:
                raise SubmissionError(
                    f"{archive.name}: refused: entry {info.filename!r} expands {info.file_size // info.compress_size}x (zip bomb?)."
                )
        written = 0
        for info in infos:
            pure = _check_name(archive, info.filename)
            dest = target.joinpath(*pure.parts)
            if info.is_dir():
                dest.mkdir(parents=True, exist_ok=True)
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            # Stream with our own byte budget: the header's file_size may lie.
            with zf.open(info) as src, open(dest, "wb") as out:
                while chunk := src.read(1 << 16):
                    written += len(chunk)
                    if written > MAX_TOTAL_BYTES:
                        raise SubmissionError(
                            f"{archive.name}: refused: decompresses past {MAX_TOTAL_BYTES // 2**20} MiB (zip bomb?)."
                        )
                    out.write(chunk)
    entries = [p for p in target.iterdir() if p.name != "__MACOSX"]
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return target
