"""The event loop's wake-ups leave through ``write()``: they are not the app's answers.

asyncio wakes its loop from another thread (a sync endpoint or an ``UploadFile`` write
finishing in the threadpool, ``anyio.to_thread``, ``call_soon_threadsafe``) by sending one
byte on a socket pair. The send trap holds every ``send`` until the parent has logged the
disk, so each wake-up was a round trip to the parent: 150 of the 208 held sends of a run
whose app copies its upload in a worker thread. ``write()`` on the same socket wakes the
loop the same way and is not held; the parent only orders the sends that carry answers.

This runs in the student's process (advisory side): an app that undoes it only makes its
own run slower, and writing through ``write()`` was open to it anyway.
"""

from __future__ import annotations

import os
from asyncio import selector_events


def _write_to_self(self: selector_events.BaseSelectorEventLoop) -> None:
    csock = self._csock  # type: ignore[attr-defined]
    if csock is None:
        return
    try:
        # fileno() is -1 once the loop closed its pair (write then fails, as send() did).
        os.write(csock.fileno(), b"\0")
    except OSError:
        pass  # a full pair already holds a wake-up; a closed one has no loop to wake


def wake_loops_by_write() -> None:
    selector_events.BaseSelectorEventLoop._write_to_self = _write_to_self  # type: ignore[method-assign]
