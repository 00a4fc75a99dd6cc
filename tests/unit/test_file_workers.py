"""Files are written in the worker process when their writer can be sent there, in a thread
of the bot's process otherwise (a closure, or the worker switched off)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from functools import partial

import pytest

from bot import file_workers


def _pid(tag: str) -> bytes:
    return f"{tag}:{os.getpid()}".encode()


@pytest.fixture(autouse=True)
def _worker_on() -> Iterator[None]:
    file_workers.configure(True)
    yield
    file_workers.configure(True)


async def test_a_module_level_writer_runs_in_the_worker_process() -> None:
    out = await file_workers.make(partial(_pid, "docx"))
    tag, pid = out.decode().split(":")
    assert tag == "docx" and int(pid) != os.getpid()
    # The same worker serves the next file (started once, kept).
    again = await file_workers.make(partial(_pid, "xlsx"))
    assert again.decode().split(":")[1] == pid


async def test_a_closure_is_written_in_a_thread_of_this_process() -> None:
    here = os.getpid()
    out = await file_workers.make(lambda: _pid("closure"))
    assert out == f"closure:{here}".encode()


async def test_switched_off_everything_is_written_here() -> None:
    file_workers.configure(False)
    assert await file_workers.make(partial(_pid, "off")) == f"off:{os.getpid()}".encode()


async def test_a_worker_that_cannot_start_leaves_it_to_a_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    file_workers.shutdown()  # the next file starts a worker: on this platform, it cannot

    def no_semaphores(method: str | None = None) -> object:
        raise OSError(38, "Function not implemented")  # as without /dev/shm

    monkeypatch.setattr(file_workers.multiprocessing, "get_context", no_semaphores)
    assert await file_workers.make(partial(_pid, "here")) == f"here:{os.getpid()}".encode()
