"""Safe extraction of a submission archive (``.zip``).

Refuses, with one clear line, archives that would write outside the target folder
(``..``, absolute or drive-letter names), hold symlinks or other special entries, repeat
a name, have too many entries, too long or too deep names, encrypted or unsupported
entries, or decompress past a size or ratio limit (zip bombs). Sizes are enforced while
streaming, not trusted from the headers. Nothing is ever written outside ``target``.
"""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path, PurePosixPath

from grader.errors import SubmissionError

MAX_ENTRIES = 2_000
MAX_TOTAL_BYTES = 200 * 1024 * 1024
MAX_RATIO = 200  # uncompressed / compressed, per entry past 1 MiB
MAX_NAME_CHARS = 1_024
MAX_PART_CHARS = 255
MAX_DEPTH = 32


def _refuse(archive: Path, why: str) -> SubmissionError:
    return SubmissionError(f"{archive.name}: refused: {why}")


def _check_name(archive: Path, name: str) -> PurePosixPath:
    if not name or "\x00" in name:
        raise _refuse(archive, f"entry {name!r} has an empty or invalid name.")
    unified = name.replace("\\", "/")
    pure = PurePosixPath(unified)
    if pure.is_absolute() or (len(unified) > 1 and unified[1] == ":"):
        raise _refuse(archive, f"entry {name!r} has an absolute path.")
    if ".." in pure.parts:
        raise _refuse(archive, f"entry {name!r} points outside the archive (..).")
    if len(name) > MAX_NAME_CHARS or len(pure.parts) > MAX_DEPTH or any(len(p) > MAX_PART_CHARS for p in pure.parts):
        raise _refuse(archive, f"entry {name[:80]!r}... has a name too long or too deep.")
    return pure


def _check_entry(archive: Path, info: zipfile.ZipInfo) -> None:
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise _refuse(archive, f"entry {info.filename!r} is a symlink.")
    if mode and stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise _refuse(archive, f"entry {info.filename!r} is not a regular file or folder.")
    if info.flag_bits & 0x1:
        raise _refuse(archive, f"entry {info.filename!r} is encrypted.")
    if info.compress_size and info.file_size > 1 << 20 and info.file_size / info.compress_size > MAX_RATIO:
        raise _refuse(
            archive, f"entry {info.filename!r} expands {info.file_size // info.compress_size}x (zip bomb?)."
        )


def _inside(target: Path, dest: Path) -> bool:
    try:
        dest.resolve().relative_to(target.resolve())
        return True
    except ValueError:
        return False


def extract_zip(archive: Path, target: Path) -> Path:
    """Extract ``archive`` into ``target`` and return the submission root inside it.

    When the archive holds a single top-level folder (the usual "zip of my project"),
    that folder is the root.
    """
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise SubmissionError(f"{archive.name}: not a readable zip archive ({exc}).") from None
    too_big = _refuse(archive, f"decompresses past {MAX_TOTAL_BYTES // 2**20} MiB (zip bomb?).")
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_ENTRIES:
            raise _refuse(archive, f"{len(infos)} entries (limit {MAX_ENTRIES}).")
        total = 0
        seen: set[str] = set()
        for info in infos:
            pure = _check_name(archive, info.filename)
            _check_entry(archive, info)
            key = pure.as_posix().casefold().rstrip("/")
            if key in seen and not info.is_dir():
                raise _refuse(archive, f"entry {info.filename!r} appears twice.")
            seen.add(key)
            total += info.file_size
            if total > MAX_TOTAL_BYTES:
                raise too_big
        written = 0
        try:
            for info in infos:
                pure = _check_name(archive, info.filename)
                dest = target.joinpath(*pure.parts) if pure.parts else target
                if not _inside(target, dest):
                    raise _refuse(archive, f"entry {info.filename!r} points outside the archive.")
                if info.is_dir():
                    dest.mkdir(parents=True, exist_ok=True)
                    continue
                dest.parent.mkdir(parents=True, exist_ok=True)
                # O_EXCL | O_NOFOLLOW: never write through something already there.
                fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
                # Stream with our own byte budget: the header's file_size may lie.
                with zf.open(info) as src, os.fdopen(fd, "wb") as out:
                    while chunk := src.read(1 << 16):
                        written += len(chunk)
                        if written > MAX_TOTAL_BYTES:
                            raise too_big
                        out.write(chunk)
        except SubmissionError:
            raise
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError, EOFError, zlib_error()) as exc:
            raise SubmissionError(f"{archive.name}: damaged or unsupported zip entry ({exc}).") from None
        except OSError as exc:
            raise SubmissionError(f"{archive.name}: cannot extract ({exc.strerror or exc}).") from None
    entries = [p for p in target.iterdir() if p.name != "__MACOSX"]
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return target


def zlib_error() -> type[Exception]:
    import zlib

    return zlib.error
