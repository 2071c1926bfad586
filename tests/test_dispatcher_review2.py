"""Second review of mcpcore.dispatcher: held answers, progress accounting, the hand-run send.

Tests named in the review report as failing demonstrate bugs; the others guard behaviour that
had no test. Every test is bounded with anyio.fail_after.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import anyio.lowlevel
import pytest

from mcpcore.dispatcher import CANCELLED, PROGRESS, Dispatcher, Incoming, RequestContext
from mcpcore.errors import INVALID_REQUEST, RequestTimeout
from mcpcore.wire import ErrorResponse, Message, Notification, Request, RequestId, Response
from tests.peers import RawPeer, dispatcher_and_raw_peer
from transports.memory import MemoryTransport, create_pair

pytestmark = pytest.mark.anyio


async def _value(value: Any) -> Any:
    return value


class _Wrapped:
    """A transport around a MemoryTransport whose send can be given extra behaviour."""

    def __init__(self, inner: MemoryTransport) -> None:
        self.inner = inner

    async def send(
        self, message: Message | list[Message], related_request_id: RequestId | None = None
    ) -> None:
        await self.inner.send(message, related_request_id)

    async def run(self, receiver: Any) -> None:
        await self.inner.run(receiver)

    async def aclose(self) -> None:
        await self.inner.aclose()


@asynccontextmanager
async def _wrapped_and_raw_peer(
    wrap: Callable[[MemoryTransport], _Wrapped], **options: Any
) -> AsyncIterator[tuple[Dispatcher, RawPeer]]:
    ours, theirs = create_pair()
    peer = RawPeer(theirs)
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(theirs.run, peer)
            async with Dispatcher(wrap(ours), **options) as dispatcher:
                yield dispatcher, peer
            tg.cancel_scope.cancel()
    finally:
        peer.close()


def _progress(token: RequestId, value: float) -> dict[str, Any]:
    return {"progressToken": token, "progress": value}


# -- held answers and the progress count -------------------------------------------------------


async def test_a_notification_handler_can_wait_for_a_request_that_reports_progress() -> None:
    # The docstring: "a notification handler may itself make a request and wait for its
    # answer". With on_progress, the progress note queues behind the handler (the worker is
    # busy running it), the answer is held behind that progress: the handler waits forever.
    with anyio.fail_after(10):
        async with dispatcher_and_raw_peer() as (client, peer):
            done = anyio.Event()
            seen: list[Any] = []

            async def go(note: Notification) -> None:
                seen.append(await client.request("work", on_progress=lambda *a: seen.append(a)))
                done.set()

            client.on_notification("go", go)
            await peer.notify("go")
            request = await peer.receive_a(Request)
            await peer.notify(PROGRESS, _progress(request.id, 1))
            await peer.answer(request.id, "ok")
            with anyio.move_on_after(1):
                await done.wait()
            assert done.is_set(), "deadlock: answer held behind progress queued behind its own waiter"
            assert seen == [(1, None, None), "ok"]


async def test_progress_dropped_by_a_cancelled_feed_does_not_hold_the_answer_forever() -> None:
    # The progress note is counted (_progress_arrived) before _enqueue waits for queue space;
    # when the feeding task is cancelled there, the count is never taken back, so the answer
    # is held for ever. _sweep skips entries with a held answer, so not even the timeout ends it.
    with anyio.fail_after(10):
        async with dispatcher_and_raw_peer(max_queued_notifications=1) as (client, peer):
            release = anyio.Event()

            async def block(note: Notification) -> None:
                await release.wait()

            client.on_notification("block", block)
            outcome: list[Any] = []
            finished = anyio.Event()

            async def call() -> None:
                try:
                    outcome.append(await client.request("work", timeout=1, on_progress=lambda *a: None))
                except RequestTimeout as exc:
                    outcome.append(exc)
                finally:
                    finished.set()

            async with anyio.create_task_group() as tg:
                tg.start_soon(call)
                request = await peer.receive_a(Request)
                await peer.notify("block")  # the worker runs it
                await peer.notify("other")  # the queue is full
                with anyio.move_on_after(0.05):  # the feeder gives up while waiting for space
                    await peer.notify(PROGRESS, _progress(request.id, 1))
                await peer.answer(request.id, "ok")
                release.set()
                with anyio.move_on_after(2):
                    await finished.wait()
                tg.cancel_scope.cancel()
            assert outcome == ["ok"], "the answer was never delivered, nor did the request time out"
            assert client._outgoing == {}


async def test_progress_queued_behind_a_handler_still_restarts_the_clock() -> None:
    # Progress restarts the request's clock only when _progress runs, not when it arrives: a
    # note queued behind a slow notification handler does not count, and the request times
    # out although the peer showed signs of life in time.
    with anyio.fail_after(10):
        async with dispatcher_and_raw_peer() as (client, peer):
            release = anyio.Event()

            async def block(note: Notification) -> None:
                await release.wait()

            client.on_notification("block", block)
            outcome: list[Any] = []
            finished = anyio.Event()

            async def call() -> None:
                try:
                    outcome.append(await client.request("work", timeout=0.4, on_progress=lambda *a: None))
                except RequestTimeout as exc:
                    outcome.append(exc)
                finally:
                    finished.set()

            async with anyio.create_task_group() as tg:
                tg.start_soon(call)
                request = await peer.receive_a(Request)
                await peer.notify("block")
                await anyio.sleep(0.25)
                await peer.notify(PROGRESS, _progress(request.id, 1))  # in time: clock to 0.65
                await anyio.sleep(0.3)  # t = 0.55
                await peer.answer(request.id, "ok")
                release.set()
                with anyio.move_on_after(2):
                    await finished.wait()
            assert outcome == ["ok"]


async def test_an_answer_arriving_during_an_async_progress_callback_is_delivered_once_after_it() -> None:
    with anyio.fail_after(10):
        async with dispatcher_and_raw_peer() as (client, peer):
            in_callback = anyio.Event()
            release = anyio.Event()
            events: list[str] = []

            async def on_progress(progress: float, total: float | None, message: str | None) -> None:
                in_callback.set()
                await release.wait()
                events.append("callback done")

            async def call() -> None:
                events.append(await client.request("work", on_progress=on_progress))

            async with anyio.create_task_group() as tg:
                tg.start_soon(call)
                request = await peer.receive_a(Request)
                await peer.notify(PROGRESS, _progress(request.id, 1))
                await in_callback.wait()
                await peer.answer(request.id, "ok")
                await peer.answer(request.id, "again")  # a duplicate answer replaces nothing delivered
                await anyio.sleep(0.05)
                assert events == []
                release.set()
            assert events[:2] == ["callback done", "ok"] or events == ["callback done", "again"]
            assert client._outgoing == {}
            await peer.expect_nothing()


async def test_a_caller_cancelled_while_its_answer_is_held_leaves_nothing_behind() -> None:
    with anyio.fail_after(10):
        async with dispatcher_and_raw_peer() as (client, peer):
            in_callback = anyio.Event()
            release = anyio.Event()
            ran: list[str] = []

            async def on_progress(progress: float, total: float | None, message: str | None) -> None:
                in_callback.set()
                await release.wait()
                ran.append("callback")

            async with anyio.create_task_group() as tg:

                async def call() -> None:
                    await client.request("work", on_progress=on_progress)

                tg.start_soon(call)
                request = await peer.receive_a(Request)
                await peer.notify(PROGRESS, _progress(request.id, 1))
                await in_callback.wait()
                await peer.answer(request.id, "ok")  # held behind the running callback
                tg.cancel_scope.cancel()
            note = await peer.receive_a(Notification)
            assert note.method == CANCELLED and note.params == {
                "requestId": request.id,
                "reason": "Request cancelled by the caller",
            }
            release.set()
            await anyio.sleep(0.05)
            assert ran == ["callback"]
            assert client._outgoing == {}


async def test_progress_and_answers_are_not_held_behind_a_blocked_notification_handler() -> None:
    # Progress for our own requests does not wait in the ordered queue (a handler there may be
    # waiting for the request); a malformed one is dropped without holding the answer.
    with anyio.fail_after(10):
        async with dispatcher_and_raw_peer() as (client, peer):
            release = anyio.Event()

            async def block(note: Notification) -> None:
                await release.wait()

            client.on_notification("block", block)
            got: list[Any] = []

            async with anyio.create_task_group() as tg:

                async def call() -> None:
                    got.append(await client.request("work", on_progress=lambda *a: got.append(a)))

                tg.start_soon(call)
                request = await peer.receive_a(Request)
                await peer.notify("block")
                await peer.notify(PROGRESS, {"progressToken": request.id, "progress": "half"})
                await peer.notify(PROGRESS, _progress(request.id, 2))
                await peer.answer(request.id, "ok")
                await anyio.sleep(0.05)
                assert got == [(2, None, None), "ok"]
                assert client._outgoing == {}
                release.set()


# -- sends the transport holds back -------------------------------------------------------------------------


class _GatedSlow(_Wrapped):
    """Holds back requests for method "slow" until the gate opens (backpressure)."""

    def __init__(self, inner: MemoryTransport) -> None:
        super().__init__(inner)
        self.gate = anyio.Event()

    async def send(
        self, message: Message | list[Message], related_request_id: RequestId | None = None
    ) -> None:
        if isinstance(message, Request) and message.method == "slow":
            await self.gate.wait()
        await self.inner.send(message, related_request_id)


async def test_a_request_whose_send_paused_keeps_its_timeout_when_another_timer_fires_meanwhile() -> None:
    # _sweep skips entries that are still sending and does not count their deadline when it
    # re-arms; once the send completes, no timer is armed for the request: it waits forever.
    transport: list[_GatedSlow] = []

    def wrap(inner: MemoryTransport) -> _Wrapped:
        transport.append(_GatedSlow(inner))
        return transport[0]

    with anyio.fail_after(10):
        async with _wrapped_and_raw_peer(wrap) as (client, _peer):
            outcome: list[Any] = []
            finished = anyio.Event()

            async def slow() -> None:
                try:
                    outcome.append(await client.request("slow", timeout=0.5))
                except RequestTimeout as exc:
                    outcome.append(exc)
                finally:
                    finished.set()

            async with anyio.create_task_group() as tg:
                tg.start_soon(slow)
                await anyio.sleep(0.01)
                with pytest.raises(RequestTimeout):
                    await client.request("fast", timeout=0.1)  # its timer fires while "slow" sends
                await anyio.sleep(0.1)
                transport[0].gate.set()  # "slow" is sent at t = 0.2, and never answered
                with anyio.move_on_after(1.5):
                    await finished.wait()
                tg.cancel_scope.cancel()
            assert len(outcome) == 1 and isinstance(outcome[0], RequestTimeout), "no timeout at all"


class _Locked(_Wrapped):
    def __init__(self, inner: MemoryTransport) -> None:
        super().__init__(inner)
        self.lock = anyio.Lock()

    async def send(
        self, message: Message | list[Message], related_request_id: RequestId | None = None
    ) -> None:
        async with self.lock:  # a write lock, as a stream transport has
            await self.inner.send(message, related_request_id)


class _BoundedWrite(_Wrapped):
    async def send(
        self, message: Message | list[Message], related_request_id: RequestId | None = None
    ) -> None:
        with anyio.fail_after(5):  # a write with its own time limit
            await anyio.lowlevel.checkpoint()  # the write pauses (a drain)
            await self.inner.send(message, related_request_id)


class _TimedPause(_Wrapped):
    async def send(
        self, message: Message | list[Message], related_request_id: RequestId | None = None
    ) -> None:
        await anyio.sleep(0.01)  # a rate limiter, a retry back-off
        await self.inner.send(message, related_request_id)


@pytest.mark.parametrize(
    "wrap",
    [_Locked, _BoundedWrite, _TimedPause],
    ids=["anyio-lock", "fail-after", "sleep"],
)
async def test_a_transport_that_pauses_inside_a_cancel_scope_can_send_requests(
    wrap: Callable[[MemoryTransport], _Wrapped],
) -> None:
    # request() runs the send's first step outside _finish_send's move_on_after and the rest
    # inside it: a cancel scope the send entered in that first step (anyio.Lock on asyncio
    # enters a shielded one; fail_after in the send on both) is exited while the dispatcher's
    # scope is the current one: "cancel scope stack corrupted" / RuntimeError. Which pauses
    # enter a scope depends on the backend: anyio.Lock and to_thread on asyncio, sleep on trio,
    # fail_after on both.
    with anyio.fail_after(10):
        async with _wrapped_and_raw_peer(wrap) as (client, peer):
            result: list[Any] = []

            async def call() -> None:
                result.append(await client.request("work", timeout=2))

            async with anyio.create_task_group() as tg:
                tg.start_soon(call)
                request = await peer.receive_a(Request)
                await peer.answer(request.id, "ok")
            assert result == ["ok"]


class _DeliverThenDrain(_Wrapped):
    """Puts the message on the wire, then waits for the write buffer to drain."""

    async def send(
        self, message: Message | list[Message], related_request_id: RequestId | None = None
    ) -> None:
        await self.inner.send(message, related_request_id)
        if isinstance(message, Request):
            await anyio.Event().wait()  # the buffer never drains (no cancel scope in this pause)


async def test_a_caller_cancelled_after_the_transport_delivered_its_request_tells_the_peer() -> None:
    # _finish_send treats any failure of a paused send as "never sent, nothing to cancel",
    # but a send pauses after writing too: the peer works on a request nobody waits for, and
    # its late answer is logged as one for an unknown id.
    with anyio.fail_after(10):
        async with _wrapped_and_raw_peer(_DeliverThenDrain) as (client, peer):
            with anyio.move_on_after(0.05):
                await client.request("work")
            request = await peer.receive_a(Request)
            note = await peer.receive_a(Notification, timeout=1)
            assert note.method == CANCELLED and isinstance(note.params, dict)
            assert note.params["requestId"] == request.id
            assert request.id in client._abandoned


class _FailAfterPause(_Wrapped):
    async def send(
        self, message: Message | list[Message], related_request_id: RequestId | None = None
    ) -> None:
        if isinstance(message, Request):
            await anyio.lowlevel.checkpoint()
            raise OSError("broken pipe")
        await self.inner.send(message, related_request_id)


async def test_a_send_that_fails_after_pausing_raises_and_leaves_no_entry() -> None:
    with anyio.fail_after(10):
        async with _wrapped_and_raw_peer(_FailAfterPause) as (client, peer):
            with pytest.raises(OSError, match="broken pipe"):
                await client.request("work", timeout=1)
            assert client._outgoing == {}
            await peer.expect_nothing()


class _NeverTakes(_Wrapped):
    async def send(
        self, message: Message | list[Message], related_request_id: RequestId | None = None
    ) -> None:
        if isinstance(message, Request):
            await anyio.Event().wait()  # never taken (no cancel scope in this pause)
        await self.inner.send(message, related_request_id)


async def test_a_send_the_transport_never_finishes_is_bounded_by_the_caller_and_leaves_nothing() -> None:
    with anyio.fail_after(10):
        async with _wrapped_and_raw_peer(_NeverTakes) as (client, peer):
            for timeout in (0.01, None):
                with anyio.move_on_after(0.1) as scope:
                    await client.request("work", timeout=timeout)
                assert scope.cancelled_caught
                assert client._outgoing == {}
            # It may have got through before the caller gave up: the peer is told, each time.
            for rid in (1, 2):
                cancel = await peer.receive_a(Notification)
                assert cancel.params == {"requestId": rid, "reason": "Request cancelled by the caller"}
            await peer.expect_nothing()


# -- Python 3.12+: eager handler tasks -----------------------------------------------------------


class _CancelOnStarted:
    """The peer end: when the handler announces itself, cancel its request at once."""

    def __init__(self, transport: MemoryTransport) -> None:
        self.transport = transport

    async def feed(self, item: Incoming) -> None:
        if isinstance(item, Notification) and item.method == "started":
            await self.transport.send(Notification(CANCELLED, {"requestId": 1}))


async def test_a_cancellation_arriving_while_a_handler_starts_eagerly_cancels_it() -> None:
    # On 3.12+ the handler task runs eagerly inside _start, before entry.task is assigned. A
    # notifications/cancelled that arrives during that first step (here through the memory
    # transport, synchronously) finds entry.task None: only the flag is set, the handler runs
    # on for ever and keeps its concurrency slot.
    ours, theirs = create_pair()
    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            tg.start_soon(theirs.run, _CancelOnStarted(theirs))
            async with Dispatcher(ours, max_concurrency=1) as server:
                cancelled = anyio.Event()

                async def work(ctx: RequestContext) -> Any:
                    try:
                        await ctx.notify("started")
                        await anyio.sleep_forever()
                    finally:
                        cancelled.set()

                server.on_request("work", work)
                await anyio.sleep(0.01)  # both ends attached: delivery is synchronous from here
                await theirs.send(Request(1, "work"))
                with anyio.move_on_after(1):
                    await cancelled.wait()
                assert cancelled.is_set(), f"handler not cancelled (Python {sys.version_info[:2]})"
                await anyio.sleep(0.01)
                assert server._active == 0
            tg.cancel_scope.cancel()


# -- ordering and batches ------------------------------------------------------------------------


async def test_a_duplicate_id_in_a_batch_queued_behind_a_handler_is_refused_in_the_array() -> None:
    with anyio.fail_after(10):
        async with dispatcher_and_raw_peer(allow_batch=True) as (server, peer):
            release = anyio.Event()
            order: list[str] = []

            async def block(note: Notification) -> None:
                await release.wait()
                order.append("block")

            async def echo(ctx: RequestContext) -> Any:
                order.append(f"echo {ctx.params}")
                return ctx.params

            server.on_notification("block", block)
            server.on_request("echo", echo)
            await peer.send([Notification("block"), Request(3, "echo", [1]), Request(3, "echo", [2])])
            await anyio.sleep(0.05)
            assert order == [] and peer.pending() == 0
            release.set()
            reply = await peer.receive(2)
            assert isinstance(reply, list) and len(reply) == 2 and Response(3, [1]) in reply
            errors = [r for r in reply if isinstance(r, ErrorResponse)]
            assert len(errors) == 1 and errors[0].code == INVALID_REQUEST
            assert order == ["block", "echo [1]"]
            await peer.expect_nothing()


async def test_a_request_after_a_sync_handler_returning_an_awaitable_waits_for_it() -> None:
    with anyio.fail_after(10):
        async with dispatcher_and_raw_peer() as (server, peer):
            release = anyio.Event()
            order: list[str] = []

            async def later() -> None:
                await release.wait()
                order.append("note")

            def sync_looking(note: Notification) -> Any:
                return later()

            async def echo(ctx: RequestContext) -> Any:
                order.append("request")
                return 1

            server.on_notification("note", sync_looking)
            server.on_request("echo", echo)
            await peer.notify("note")
            await peer.send(Request(1, "echo"))
            await anyio.sleep(0.05)
            assert order == []
            release.set()
            assert await peer.receive() == Response(1, 1)
            assert order == ["note", "request"]


async def test_queued_coroutines_are_closed_when_the_connection_ends() -> None:
    # pytest turns "coroutine was never awaited" into an error: closing with a full queue of
    # sync-looking handlers' awaitables must close them.
    with anyio.fail_after(10):
        async with dispatcher_and_raw_peer() as (server, peer):
            started = anyio.Event()

            async def later() -> None:
                started.set()
                await anyio.sleep_forever()

            server.on_notification("note", lambda note: later())
            for _ in range(3):
                await peer.notify("note")
            await started.wait()
            assert len(server._queue) == 2
            await server.aclose()
            assert server._queue == type(server._queue)() and server.closed
