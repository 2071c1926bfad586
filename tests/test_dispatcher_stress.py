"""A randomized mix of everything at once, both ways, with fixed seeds so failures replay.

Each seed drives a few hundred operations between two dispatchers: requests whose handlers
sleep, report progress, fail or call back; callers that give up; timeouts; notifications.
Afterwards every call must have ended exactly once, in one of the ways it may end, and both
dispatchers must be back to rest: no correlation entry, no running handler, nothing queued.
"""

from __future__ import annotations

import random
from typing import Any

import anyio
import pytest

from mcpcore.dispatcher import Dispatcher, RequestContext
from mcpcore.errors import McpError, RequestTimeout
from mcpcore.wire import Notification
from tests.peers import dispatcher_pair

pytestmark = pytest.mark.anyio

SEEDS = [1, 2, 3, 4, 5]
CALLS = 120


def at_rest(dispatcher: Dispatcher) -> list[str]:
    """What is left over in a dispatcher that should have nothing in flight."""
    left = []
    if dispatcher._outgoing:
        left.append(f"outgoing {sorted(map(str, dispatcher._outgoing))}")
    if dispatcher._incoming:
        left.append(f"incoming {sorted(map(str, dispatcher._incoming))}")
    if dispatcher._active:
        left.append(f"active {dispatcher._active}")
    if dispatcher._queue or dispatcher._draining:
        left.append(f"queue {len(dispatcher._queue)} draining {dispatcher._draining}")
    if dispatcher._capacity_waiters or dispatcher._space_waiters:
        left.append("waiters")
    return left


# Tight limits exercise backpressure and the queue; call-backs (a handler making a request to
# the other side) need room: with every slot on both sides held by handlers that wait for a
# request the other side has no slot for, only timeouts end the wait (see docs/architecture.md).
VARIANTS = [
    pytest.param(4, 8, 0.0, id="tight"),
    pytest.param(64, 64, 0.2, id="nested"),
]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("concurrency", "queue", "call_backs"), VARIANTS)
async def test_random_traffic_both_ways_ends_cleanly(
    seed: int, concurrency: int, queue: int, call_backs: float
) -> None:
    rng = random.Random(seed)
    outcomes: dict[int, str] = {}
    notes: list[tuple[str, int]] = []
    async with dispatcher_pair(max_concurrency=concurrency, max_queued_notifications=queue) as (a, b):

        async def work(ctx: RequestContext) -> Any:
            assert isinstance(ctx.params, dict)
            plan = ctx.params
            for step in range(plan["steps"]):
                await anyio.sleep(plan["pause"])
                await ctx.report_progress(step + 1, plan["steps"])
                if plan["chatty"]:
                    await ctx.notify("note", {"n": plan["n"]})
            if plan["fail"]:
                raise McpError(-32000, "planned failure", {"n": plan["n"]})
            if plan["call_back"]:
                return {"n": plan["n"], "echo": await ctx.send_request("echo", {"n": plan["n"]})}
            return {"n": plan["n"]}

        async def echo(ctx: RequestContext) -> Any:
            return ctx.params

        async def on_note(note: Notification) -> None:
            assert isinstance(note.params, dict)
            await anyio.lowlevel.checkpoint()
            notes.append(("async", note.params["n"]))

        for side in (a, b):
            side.on_request("work", work)
            side.on_request("echo", echo)
        a.on_notification("note", on_note)

        def on_note_sync(note: Notification) -> None:
            assert isinstance(note.params, dict)
            notes.append(("sync", note.params["n"]))

        b.on_notification("note", on_note_sync)

        async def call(n: int, caller: Dispatcher) -> None:
            plan: dict[str, Any] = {
                "n": n,
                "steps": rng.randint(0, 3),
                "pause": rng.choice([0, 0, 0.001, 0.005]),
                "fail": rng.random() < 0.15,
                "call_back": rng.random() < call_backs,
                "chatty": rng.random() < 0.3,
            }
            progress: list[float] = []
            give_up = rng.random() < 0.15
            timeout = rng.choice([None, 5.0, 0.002]) if rng.random() < 0.2 else 5.0
            with anyio.CancelScope() as scope:
                if give_up:
                    scope.deadline = anyio.current_time() + rng.choice([0, 0.001, 0.004])
                try:
                    result = await caller.request(
                        "work",
                        plan,
                        timeout=timeout,
                        on_progress=lambda p, total, message: progress.append(p),
                    )
                except RequestTimeout:
                    outcomes[n] = "timeout"
                    return
                except McpError as exc:
                    assert exc.data == {"n": n}
                    outcomes[n] = "error"
                    return
                assert result["n"] == n
                if plan["call_back"]:
                    assert result["echo"] == {"n": n}
                assert progress == [float(s + 1) for s in range(plan["steps"])]
                outcomes[n] = "result"
            if scope.cancelled_caught:
                assert n not in outcomes
                outcomes[n] = "gave up"

        with anyio.move_on_after(60) as calls:
            async with anyio.create_task_group() as tg:
                for n in range(CALLS):
                    tg.start_soon(call, n, a if n % 2 else b)
                    if rng.random() < 0.3:
                        await anyio.lowlevel.checkpoint()
        assert not calls.cancelled_caught, (
            f"calls still running after 60 s: {sorted(set(range(CALLS)) - set(outcomes))}; "
            f"a {at_rest(a)}, b {at_rest(b)}"
        )
        # Let cancellations reach the other side and their handlers unwind.
        with anyio.move_on_after(10):
            while at_rest(a) or at_rest(b):  # noqa: ASYNC110 - polling internal state is the point
                await anyio.sleep(0.01)
        assert not at_rest(a) and not at_rest(b), f"left over: a {at_rest(a)}, b {at_rest(b)}"

    assert sorted(outcomes) == list(range(CALLS)), "every call ends exactly once"
    assert set(outcomes.values()) <= {"result", "error", "timeout", "gave up"}
    # With 120 calls, 15% planned failures and some impatient callers, each kind shows up.
    assert {"result", "error", "gave up"} <= set(outcomes.values()), sorted(set(outcomes.values()))
