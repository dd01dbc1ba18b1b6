"""The dedicated uids of runs: a uid comes back only after many others have been used, so
the dying processes of the run that had it never count against the next run's limit."""

from __future__ import annotations

import pytest

from grader.behavior.sandbox.supervisor import _UidPool


def test_a_released_uid_is_not_the_next_one_handed_out():
    pool = _UidPool()
    first = pool.acquire()
    pool.release(first)
    following = [pool.acquire() for _ in range(_UidPool.FRESH - 1)]
    assert first not in following and len(set(following)) == len(following)
    for uid in following:
        pool.release(uid)
    assert pool.acquire() == first  # only now, and the one released longest ago


def test_uids_in_use_are_never_shared_and_stay_in_the_process_range():
    pool = _UidPool()
    held = [pool.acquire() for _ in range(1000)]
    assert len(set(held)) == 1000 and all(pool._base < uid <= pool._base + 1000 for uid in held)
    with pytest.raises(RuntimeError):
        pool.acquire()
