"""mcpcore._runtime: the native primitives under the dispatcher, on asyncio and trio."""

from __future__ import annotations

import anyio
import pytest

from mcpcore._runtime import open_runtime

pytestmark = pytest.mark.anyio


async def test_waiters_deliver_results_and_exceptions() -> None:
    rt = await open_runtime()
    try:
        waiter = rt.new_waiter()
        assert not waiter.done()
        waiter.set_result(42)
        assert waiter.done()
        assert await waiter == 42
        failing = rt.new_waiter()
        failing.set_exception(KeyError("k"))
        with pytest.raises(KeyError):
            await failing

        async def resolve_later() -> None:
            await anyio.sleep(0.01)
            late.set_result("later")

        late = rt.new_waiter()
        rt.spawn(resolve_later)
        assert await late == "later"
    finally:
        await rt.aclose()


async def test_timers_fire_in_deadline_order_and_cancelled_ones_do_not() -> None:
    rt = await open_runtime()
    fired: list[str] = []
    done = anyio.Event()
    try:
        now = rt.now()
        rt.call_at(now + 0.06, fired.append, "third")
        rt.call_at(now + 0.02, fired.append, "first")
        rt.call_at(now + 0.04, fired.append, "second")
        rt.call_at(now + 0.03, fired.append, "cancelled").cancel()
        rt.call_at(now + 0.08, done.set)
        with anyio.fail_after(5):
            await done.wait()
        assert fired == ["first", "second", "third"]
    finally:
        await rt.aclose()


async def test_cancel_all_and_join_stop_every_task_without_touching_the_caller() -> None:
    rt = await open_runtime()
    stopped: list[int] = []

    async def forever(n: int) -> None:
        try:
            await anyio.sleep_forever()
        finally:
            stopped.append(n)

    try:
        for n in range(3):
            rt.spawn(forever, n)
        await anyio.sleep(0.01)
        rt.cancel_all()
        with anyio.fail_after(5):
            await rt.join()
        assert sorted(stopped) == [0, 1, 2]
        await anyio.sleep(0.01)  # the caller itself was not cancelled
    finally:
        await rt.aclose()


async def test_a_spawned_task_can_be_cancelled_alone() -> None:
    rt = await open_runtime()
    outcome: dict[str, str] = {}

    async def job(name: str) -> None:
        try:
            await anyio.sleep(0.05)
            outcome[name] = "finished"
        except anyio.get_cancelled_exc_class():
            outcome[name] = "cancelled"
            raise

    try:
        victim = rt.spawn(job, "victim")
        rt.spawn(job, "bystander")
        await anyio.sleep(0.01)
        victim.cancel()
        with anyio.fail_after(5):
            await rt.join()
        assert outcome == {"victim": "cancelled", "bystander": "finished"}
    finally:
        await rt.aclose()
