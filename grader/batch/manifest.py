"""Shard manifests: ``manifest.shard-K-of-N.json``, written by a shard that finished.

``grader merge`` reads them to name the shards that are missing (never run, still
running, or killed before the end) and to notice shards that saw different class
folders (the split is only right when every shard sees the same one).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from grader.atomic import write_text_atomic
from grader.batch.shard import Shard

PATTERN = "manifest.shard-*-of-*.json"


@dataclass(frozen=True)
class Manifest:
    shard: Shard
    class_size: int
    students: tuple[str, ...]
    folder: Path


def write_manifest(out_dir: Path, shard: Shard, class_size: int, students: list[str]) -> Path:
    path = out_dir / f"manifest.{shard.label}.json"
    data = {"shard": str(shard), "index": shard.index, "count": shard.count, "class_size": class_size,
            "students": students}
    write_text_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return path


def read_manifests(folder: Path) -> list[Manifest]:
    found = []
    for path in sorted(folder.glob(PATTERN)):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            found.append(Manifest(Shard(int(data["index"]), int(data["count"])), int(data["class_size"]),
                                  tuple(str(s) for s in data["students"]), folder))
        except (OSError, ValueError, KeyError, TypeError):
            continue  # a damaged manifest counts as a missing shard
    return found


def shard_problems(manifests: list[Manifest]) -> list[str]:
    """What is wrong with a set of shards: missing ones, mixed splits, different class folders."""
    if not manifests:
        return []
    counts = sorted({m.shard.count for m in manifests})
    if len(counts) > 1:
        return [f"the shards were split in different ways ({', '.join(f'N={c}' for c in counts)})"]
    count = counts[0]
    present = {m.shard.index for m in manifests}
    problems = []
    missing = [f"{k}/{count}" for k in range(1, count + 1) if k not in present]
    if missing:
        problems.append(f"missing shard{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                        f"(no manifest.shard-K-of-{count}.json: not run, still running or stopped before the end)")
    sizes = sorted({m.class_size for m in manifests})
    if len(sizes) > 1:
        problems.append(f"the shards saw class folders of different sizes ({', '.join(map(str, sizes))} "
                        "submissions): every shard must grade the same folder")
    return problems
