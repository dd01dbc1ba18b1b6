"""``--shard K/N``: the K-th of N balanced parts of the class, the same on every machine.

The submissions are sorted by student id and dealt out in turn (1st to shard 1, 2nd to
shard 2, ...), so shard sizes differ by at most one: 7 submissions in 2 shards are 4 and
3. Every machine must see the same class folder (each shard's manifest records the class
size, and ``grader merge`` checks it).

``--shard auto`` reads the part from the scheduler that started the job:

- a Slurm job array: ``SLURM_ARRAY_TASK_ID`` with ``SLURM_ARRAY_TASK_MIN``,
  ``SLURM_ARRAY_TASK_STEP`` and ``SLURM_ARRAY_TASK_COUNT`` (or ``..._MAX``);
- a Kubernetes Indexed Job: ``JOB_COMPLETION_INDEX`` (0-based); Kubernetes does not tell
  a pod the number of completions, so give it: ``--shard auto/N`` or ``GRADER_SHARD_COUNT``.

GitHub Actions has no such variable: pass ``--shard ${{ matrix.shard }}/${{ strategy.job-total }}``
(see docs/scaling.md).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from grader.errors import GraderError

T = TypeVar("T")


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based, as written on the command line
    count: int

    def pick(self, items: Sequence[T]) -> list[T]:
        """This shard's part of ``items`` (already in their canonical order)."""
        return list(items[self.index - 1::self.count])

    @property
    def label(self) -> str:
        return f"shard-{self.index}-of-{self.count}"

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def _shard(index: int, count: int, text: str) -> Shard:
    if count < 1 or not 1 <= index <= count:
        raise GraderError(f"--shard {text}: K must be between 1 and N (got {index}/{count}).")
    return Shard(index, count)


def parse_shard(text: str, env: Mapping[str, str] = os.environ) -> Shard:
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if match:
        return _shard(int(match.group(1)), int(match.group(2)), text)
    auto = re.fullmatch(r"\s*auto\s*(?:/\s*(\d+)\s*)?", text)
    if auto:
        return _from_scheduler(int(auto.group(1)) if auto.group(1) else None, env, text)
    raise GraderError(f"--shard {text!r}: expected K/N (e.g. 1/4), auto or auto/N.")


def _int(env: Mapping[str, str], name: str) -> int | None:
    value = env.get(name, "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise GraderError(f"--shard auto: {name}={value!r} is not a number.")
    return int(value)


def _from_scheduler(count: int | None, env: Mapping[str, str], text: str) -> Shard:
    task_id = _int(env, "SLURM_ARRAY_TASK_ID")
    if task_id is not None:
        first = _int(env, "SLURM_ARRAY_TASK_MIN") or 0
        step = _int(env, "SLURM_ARRAY_TASK_STEP") or 1
        last = _int(env, "SLURM_ARRAY_TASK_MAX")
        if count is None:
            count = _int(env, "SLURM_ARRAY_TASK_COUNT") or ((last - first) // step + 1 if last is not None else None)
        if count is None:
            raise GraderError("--shard auto: Slurm gives SLURM_ARRAY_TASK_ID but no SLURM_ARRAY_TASK_COUNT "
                              "or SLURM_ARRAY_TASK_MAX; pass --shard auto/N.")
        if (task_id - first) % step:
            raise GraderError(f"--shard auto: Slurm task {task_id} is not on the array's range "
                              f"{first}-{last}:{step}; use a range (--array=1-N), not a list.")
        return _shard((task_id - first) // step + 1, count, f"{text} (Slurm task {task_id})")
    index = _int(env, "JOB_COMPLETION_INDEX")
    if index is not None:
        count = count if count is not None else _int(env, "GRADER_SHARD_COUNT")
        if count is None:
            raise GraderError("--shard auto: a Kubernetes Indexed Job gives JOB_COMPLETION_INDEX but not the number "
                              "of completions; pass --shard auto/N or set GRADER_SHARD_COUNT.")
        return _shard(index + 1, count, f"{text} (Kubernetes index {index})")
    raise GraderError("--shard auto: no Slurm job array (SLURM_ARRAY_TASK_ID) or Kubernetes Indexed Job "
                      "(JOB_COMPLETION_INDEX) here; pass --shard K/N (GitHub Actions: "
                      "${{ matrix.shard }}/${{ strategy.job-total }}).")
