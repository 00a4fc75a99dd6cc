"""Writing the files sent after an update (minutes, resolution, review DOCX and XLSX) in a
worker process instead of a thread of the bot's own.

python-docx is pure Python over lxml: two DOCX files are ~90 ms of CPU under the bot's GIL,
and each leaves a few hundred objects in reference cycles (packages, parts, XML trees) that
the cyclic collector frees later, in the middle of whichever update is running then: gen-0
and gen-1 collections of 7–15 ms were measured inside check-in submits, and none once the
documents were no longer made in the process. A worker process does both away: the bot's
process only pickles the facts out and the bytes back.

One worker, started on first use ("spawn": no copy of the bot's threads, loop or
connections), kept for the life of the process. What cannot be sent to it (a closure) or a
worker that died is written in a thread as before, and logged.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import pickle
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

log = logging.getLogger(__name__)

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_enabled = True


def configure(enabled: bool) -> None:
    """Whether files are written in the worker process (settings: FILE_WORKER_PROCESS)."""
    global _enabled
    _enabled = enabled


def _worker() -> ProcessPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        return _pool


def _discard(pool: ProcessPoolExecutor) -> None:
    global _pool
    with _lock:
        if _pool is pool:
            _pool = None
    pool.shutdown(wait=False, cancel_futures=True)


def shutdown() -> None:
    """Stop the worker (the bot's stop; the interpreter's exit would also join it)."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


def _run(pickled: bytes) -> bytes:
    """In the worker: the writer, as `make` pickled it."""
    write: Callable[[], bytes] = pickle.loads(pickled)
    return write()


async def make(write: Callable[[], bytes]) -> bytes:
    """The bytes `write` gives, written in the worker process when it can be sent there."""
    if _enabled:
        try:
            # Pickled here, once: a writer that cannot cross (a closure) is known before
            # anything is sent, and the pool then only passes bytes along.
            pickled = pickle.dumps(write)
        except (pickle.PicklingError, AttributeError, TypeError):
            log.debug("file writer %r is not picklable: written in a thread", write)
        else:
            pool = None
            try:
                pool = _worker()
                return await asyncio.get_running_loop().run_in_executor(pool, _run, pickled)
            except BrokenProcessPool:
                log.warning("the file worker process died: a new one next time, a thread now")
                if pool is not None:
                    _discard(pool)
            except Exception:
                # The worker could not start (no /dev/shm for its queue's lock, a program
                # without the `__main__` guard that "spawn" needs) or the writer failed
                # there: a thread tries once more.
                log.exception("file %r not written in the worker process: in a thread", write)
    return await asyncio.to_thread(write)
