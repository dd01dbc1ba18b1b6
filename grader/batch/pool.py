"""A process pool whose workers each grade several submissions at once, in threads.

Why not ``ProcessPoolExecutor``: its workers run one task at a time, so ``--jobs 2``
means two submissions in flight, and a submission spends most of its wall time waiting
on its sandboxed child (a student's task sleeping, a 16 MiB upload being written).
Here each of the ``processes`` workers runs up to ``threads`` submissions concurrently:
the static analysis of one (CPU, under the GIL) overlaps the waits of the others, and
the sandboxed children run on every core. Processes still isolate the batch from a
worker that crashes or leaks.

The interface is the part of ``concurrent.futures.Executor`` that ``runner`` uses:
``submit`` returns a ``Future``; when a worker dies, the futures of everything it was
running fail with ``BrokenProcessPool`` (as ``ProcessPoolExecutor`` does); ``kill()``
ends every worker at once (a stuck submission cannot be cancelled any other way).
"""

from __future__ import annotations

import itertools
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.connection import Connection, wait
from typing import Any


def _worker_main(conn: Connection, threads: int, initializer: Callable[..., None] | None,
                 initargs: tuple[Any, ...]) -> None:
    if initializer is not None:
        initializer(*initargs)
    send_lock = threading.Lock()
    executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="grade")

    def reply(call_id: int, future: Future[Any]) -> None:
        try:
            message: tuple[Any, ...] = (call_id, True, future.result())
        except BaseException as exc:  # noqa: BLE001 - travels to the parent's future
            message = (call_id, False, exc)
        with send_lock:
            try:
                conn.send(message)
            except Exception as exc:  # noqa: BLE001 - e.g. a result that cannot be pickled
                conn.send((call_id, False, RuntimeError(f"{type(exc).__name__}: {exc}")))

    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            break
        if request is None:
            break
        call_id, fn, arg = request
        executor.submit(fn, arg).add_done_callback(lambda f, c=call_id: reply(c, f))
    executor.shutdown(wait=True)


class _Worker:
    def __init__(self, context: Any, threads: int, initializer: Callable[..., None] | None,
                 initargs: tuple[Any, ...]) -> None:
        self.conn, child_conn = context.Pipe(duplex=True)
        self.process = context.Process(target=_worker_main, args=(child_conn, threads, initializer, initargs),
                                       daemon=True)
        self.process.start()
        child_conn.close()
        self.futures: dict[int, Future[Any]] = {}
        self.send_lock = threading.Lock()


class ThreadedProcessPool:
    def __init__(self, processes: int, threads: int, initializer: Callable[..., None] | None = None,
                 initargs: tuple[Any, ...] = ()) -> None:
        context = multiprocessing.get_context("spawn")
        self.threads = max(1, threads)
        self._workers = [_Worker(context, self.threads, initializer, initargs) for _ in range(max(1, processes))]
        self._ids = itertools.count()
        self._lock = threading.Lock()
        self._closed = False
        self._collector = threading.Thread(target=self._collect, name="pool-collector", daemon=True)
        self._collector.start()

    def submit(self, fn: Callable[[Any], Any], arg: Any) -> Future[Any]:
        future: Future[Any] = Future()
        with self._lock:
            live = [w for w in self._workers if w.process.is_alive()]
            if self._closed or not live:
                future.set_exception(BrokenProcessPool("the pool's worker processes are gone"))
                return future
            worker = min(live, key=lambda w: len(w.futures))  # the least busy worker
            call_id = next(self._ids)
            worker.futures[call_id] = future
        try:
            with worker.send_lock:
                worker.conn.send((call_id, fn, arg))
        except (OSError, ValueError) as exc:
            with self._lock:
                worker.futures.pop(call_id, None)
            future.set_exception(BrokenProcessPool(f"a worker process is gone ({exc})"))
        return future

    def _collect(self) -> None:
        while True:
            with self._lock:
                watched = {w.conn: w for w in self._workers if not w.conn.closed}
                watched.update({w.process.sentinel: w for w in self._workers if not w.conn.closed})
            if not watched:
                return
            for ready in wait(list(watched), timeout=0.5):
                worker = watched[ready]
                if worker.conn.closed:  # lost earlier in this round (its pipe and its sentinel)
                    continue
                if ready is worker.conn:
                    try:
                        call_id, ok, value = worker.conn.recv()
                    except (EOFError, OSError):
                        self._lost(worker)
                        continue
                    with self._lock:
                        future = worker.futures.pop(call_id, None)
                    if future is not None:
                        future.set_result(value) if ok else future.set_exception(value)
                elif not worker.conn.poll():  # the process ended and left nothing to read
                    self._lost(worker)

    def _lost(self, worker: _Worker) -> None:
        with self._lock:
            futures, worker.futures = list(worker.futures.values()), {}
            worker.conn.close()
        for future in futures:
            if not future.done():
                future.set_exception(BrokenProcessPool("a worker process died while grading"))

    def kill(self) -> None:
        """End every worker now; what they were running fails with ``BrokenProcessPool``."""
        with self._lock:
            self._closed = True
        for worker in self._workers:
            worker.process.kill()
        for worker in self._workers:
            worker.process.join(timeout=5)

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        with self._lock:
            self._closed = True
            busy = any(w.futures for w in self._workers)
        if cancel_futures and busy and not wait:
            self.kill()  # what still runs would otherwise keep grading for nobody
            return
        for worker in self._workers:
            try:
                with worker.send_lock:
                    worker.conn.send(None)
            except (OSError, ValueError):
                pass
        if wait:
            for worker in self._workers:
                worker.process.join()
            self._collector.join(timeout=5)
