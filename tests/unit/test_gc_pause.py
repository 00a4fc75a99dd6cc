"""The collector pause of views of many cells: nested and overlapping pauses resume the
collector once, when the last ends, and only if it was on."""

from __future__ import annotations

import asyncio
import gc

from storage.gc_pause import gc_paused


def test_nested_pauses_resume_once() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_overlapping_coroutines_share_the_pause() -> None:
    async def view(hold: asyncio.Event, done: asyncio.Event) -> None:
        with gc_paused():
            await hold.wait()
        done.set()

    async def main() -> None:
        first, second = asyncio.Event(), asyncio.Event()
        first_done, second_done = asyncio.Event(), asyncio.Event()
        a = asyncio.create_task(view(first, first_done))
        b = asyncio.create_task(view(second, second_done))
        await asyncio.sleep(0)
        first.set()
        await first_done.wait()
        assert not gc.isenabled()  # the second view is still reading
        second.set()
        await asyncio.gather(a, b)
        assert gc.isenabled()

    asyncio.run(main())


def test_an_error_resumes_and_a_disabled_collector_stays_off() -> None:
    try:
        with gc_paused():
            raise ValueError
    except ValueError:
        pass
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
