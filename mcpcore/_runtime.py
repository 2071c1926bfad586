"""The few concurrency primitives the dispatcher's hot path needs, native to each event loop.

Why not anyio here: a request round trip must cost a few times a JSON encode/decode pair, and
on the reference machine an anyio ``start_soon`` plus an ``Event`` wake-up costs ~54 µs, while
a bare asyncio task plus a future costs ~14 µs. So the dispatcher spawns handler tasks, waits
for answers and arms timers through this module, which speaks asyncio or trio directly;
everything around it (transports, user code) still uses anyio, and works in these tasks.

A :class:`Runtime` is a small nursery: :meth:`Runtime.cancel_all` and :meth:`Runtime.join`
stop every task spawned through it and wait for them, at any time and from any task, and
:meth:`Runtime.aclose` (at the end of the owner's ``async with``) leaves it; so no task
outlives the dispatcher that owns it.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import sys
from collections.abc import Callable, Coroutine, Generator
from typing import Any, Protocol, TypeVar

import anyio

T_co = TypeVar("T_co", covariant=True)


class Waiter(Protocol[T_co]):
    """A one-shot result slot a task can await: an asyncio future, or the trio equivalent."""

    def done(self) -> bool: ...
    def set_result(self, result: Any, /) -> None: ...
    def set_exception(self, exception: BaseException, /) -> None: ...
    def __await__(self) -> Generator[Any, None, T_co]: ...


class Cancellable(Protocol):
    def cancel(self) -> Any: ...


class Runtime(Protocol):
    # now() and new_waiter() are plain attributes in the implementations (the loop's own
    # bound methods), which saves a call layer on the hot path.
    def now(self) -> float: ...
    def new_waiter(self) -> Waiter[Any]: ...

    def spawn(self, fn: Callable[..., Coroutine[Any, Any, None]], *args: Any) -> Cancellable: ...
    def call_at(self, when: float, callback: Callable[..., None], *args: Any) -> Cancellable: ...
    def cancel_all(self) -> None: ...
    async def join(self) -> None:
        """Wait until every task spawned so far has finished (shielded from cancellation)."""

    async def aclose(self) -> None:
        """Leave the runtime; call it where the owner's ``async with`` ends, after ``join``."""


def current_runtime() -> Runtime:
    """The runtime for the event loop this task runs on (asyncio or trio)."""
    trio = sys.modules.get("trio")
    if trio is not None:
        try:
            trio.lowlevel.current_task()
        except RuntimeError:
            pass
        else:
            return _TrioRuntime()
    return _AsyncioRuntime(asyncio.get_running_loop())


if sys.version_info >= (3, 12):

    def _new_task(coro: Coroutine[Any, Any, None], loop: asyncio.AbstractEventLoop) -> asyncio.Task[None]:
        # An eager task runs at once, in the spawning call, until its first suspension; a
        # handler that never suspends finishes without ever being scheduled, which removes a
        # trip through the event loop from most round trips. Python 3.11 has no eager start,
        # and emulating it would need to swap the loop's current task by hand.
        return asyncio.Task(coro, loop=loop, eager_start=True)

else:

    def _new_task(coro: Coroutine[Any, Any, None], loop: asyncio.AbstractEventLoop) -> asyncio.Task[None]:
        # asyncio.Task directly, as on 3.12+: loop.create_task adds two Python-level calls.
        return asyncio.Task(coro, loop=loop)


class _AsyncioRuntime:
    __slots__ = ("_loop", "_prune_at", "_tasks", "call_at", "new_waiter", "now")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        # Every task spawned and maybe not finished. Finished ones are pruned in bulk now and
        # then: a done-callback per task would cost one more trip through the event loop for
        # each request, a measurable share of a round trip.
        self._tasks: list[asyncio.Task[None]] = []
        self._prune_at = 1024
        self.now = loop.time
        self.new_waiter = loop.create_future
        self.call_at = loop.call_at

    def spawn(self, fn: Callable[..., Coroutine[Any, Any, None]], *args: Any) -> Cancellable:
        task = _new_task(fn(*args), self._loop)
        if task.done():  # it ran to completion eagerly
            return task
        tasks = self._tasks
        tasks.append(task)
        if len(tasks) >= self._prune_at:
            self._tasks = tasks = [t for t in tasks if not t.done()]
            self._prune_at = max(1024, 2 * len(tasks))
        return task

    def cancel_all(self) -> None:
        me = asyncio.current_task()  # a task of ours that closes its owner goes on
        for task in self._tasks:
            if task is not me:
                task.cancel()

    async def join(self) -> None:
        tasks = [t for t in self._tasks if not t.done()]
        self._tasks = tasks
        me = asyncio.current_task()
        tasks = [t for t in tasks if t is not me]  # a task that closes its owner cannot wait for itself
        if tasks:
            # Shielded: the caller may itself be under cancellation, and the children must
            # still be waited for (a task that outlived us would run against a closed peer).
            with anyio.CancelScope(shield=True):
                await asyncio.wait(tasks)

    async def aclose(self) -> None:
        pass


_ABANDONED: Any = object()


class _TrioWaiter:
    """A future for trio: one task waits, anyone resolves it once."""

    __slots__ = ("_outcome", "_task")

    def __init__(self) -> None:
        self._outcome: Any = None
        self._task: Any = None

    def done(self) -> bool:
        return self._outcome is not None

    def set_result(self, result: Any, /) -> None:
        import outcome

        self._resolve(outcome.Value(result))

    def set_exception(self, exception: BaseException, /) -> None:
        import outcome

        self._resolve(outcome.Error(exception))

    def _resolve(self, value: Any) -> None:
        if self._outcome is None:
            self._outcome = value
            if self._task is not None:
                import trio

                trio.lowlevel.reschedule(self._task, value)
                self._task = None

    def __await__(self) -> Generator[Any, None, Any]:
        return self._wait().__await__()

    async def _wait(self) -> Any:
        import trio

        if self._outcome is not None:
            return self._outcome.unwrap()
        self._task = trio.lowlevel.current_task()

        def abort(_: Any) -> Any:
            # The waiting task gave up (it was cancelled): the waiter counts as done, so that
            # nobody hands it a result it will never take.
            self._task = None
            self._outcome = _ABANDONED
            return trio.lowlevel.Abort.SUCCEEDED

        return await trio.lowlevel.wait_task_rescheduled(abort)


class _TrioTask:
    __slots__ = ("scope", "task")

    def __init__(self, scope: Any) -> None:
        self.scope = scope
        self.task: Any = None

    def cancel(self) -> None:
        self.scope.cancel()


class _TrioTimer:
    __slots__ = ("args", "callback", "cancelled")

    def __init__(self, callback: Callable[..., None], args: tuple[Any, ...]) -> None:
        self.callback = callback
        self.args = args
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class _TrioRuntime:
    """Trio has no ``call_at``: one timer task per runtime sleeps until the earliest deadline."""

    def __init__(self) -> None:
        import trio

        self._trio = trio
        self.now = trio.current_time
        self.new_waiter = _TrioWaiter
        self._nursery: Any = None
        self._nursery_cm: Any = None
        # Tasks spawned and not finished: a nursery does not tell.
        self._handles: set[_TrioTask] = set()
        self._idlers: set[Any] = set()  # trio.Events of join() calls, set whenever a task ends
        self._timers: list[tuple[float, int, _TrioTimer]] = []
        self._counter = itertools.count()
        self._timer_scope: Any = None

    async def __aenter__(self) -> _TrioRuntime:
        self._nursery_cm = self._trio.open_nursery()
        self._nursery = await self._nursery_cm.__aenter__()
        return self

    def spawn(self, fn: Callable[..., Coroutine[Any, Any, None]], *args: Any) -> Cancellable:
        handle = _TrioTask(self._trio.CancelScope())
        self._handles.add(handle)
        self._nursery.start_soon(self._run, handle, fn, args)
        return handle

    async def _run(self, handle: _TrioTask, fn: Callable[..., Coroutine[Any, Any, None]], args: Any) -> None:
        handle.task = self._trio.lowlevel.current_task()
        try:
            with handle.scope:
                await fn(*args)
        finally:
            self._handles.discard(handle)
            for idle in self._idlers:
                idle.set()

    def call_at(self, when: float, callback: Callable[..., None], *args: Any) -> Cancellable:
        timer = _TrioTimer(callback, args)
        heapq.heappush(self._timers, (when, next(self._counter), timer))
        if self._timer_scope is None:
            self._timer_scope = self._trio.CancelScope(deadline=when)
            self.spawn(self._run_timers, self._timer_scope)
        elif when < self._timer_scope.deadline:
            self._timer_scope.deadline = when
        return timer

    async def _run_timers(self, first_scope: Any) -> None:
        trio = self._trio
        scope = first_scope
        while True:
            with scope:
                await trio.sleep_forever()
            now = trio.current_time()
            timers = self._timers
            while timers and timers[0][0] <= now:
                _, _, timer = heapq.heappop(timers)
                if not timer.cancelled:
                    timer.callback(*timer.args)
            scope = trio.CancelScope(deadline=timers[0][0] if timers else math.inf)
            self._timer_scope = scope

    def cancel_all(self) -> None:
        # Each task's own scope, not the nursery's: that one also covers the body of the
        # owner's `async with`, which is user code and not ours to cancel.
        me = self._trio.lowlevel.current_task()  # a task of ours that closes its owner goes on
        for handle in list(self._handles):
            if handle.task is not me:
                handle.scope.cancel()

    async def join(self) -> None:
        # A task of ours that closes its owner cannot wait for itself.
        current = self._trio.lowlevel.current_task()
        me = 1 if any(handle.task is current for handle in self._handles) else 0
        while len(self._handles) > me:
            idle = self._trio.Event()
            self._idlers.add(idle)
            try:
                with self._trio.CancelScope(shield=True):
                    await idle.wait()
            finally:
                self._idlers.discard(idle)

    async def aclose(self) -> None:
        # Leaving the nursery must happen in the task, and at the nesting level, that opened
        # it: trio checks that cancel scopes close in order.
        if self._nursery is None:
            return
        self.cancel_all()
        cm, self._nursery_cm, self._nursery = self._nursery_cm, None, None
        await cm.__aexit__(None, None, None)


async def open_runtime() -> Runtime:
    """Create the runtime for the current event loop; :meth:`Runtime.aclose` ends it."""
    rt = current_runtime()
    if isinstance(rt, _TrioRuntime):
        await rt.__aenter__()
    return rt
