"""Review of mcpcore.dispatcher: races, leaks, hangs, ordering, and asyncio/trio differences.

Each test was first written to show a bug found in review, and is kept to guard its fix. Every
test is bounded in time (a hang inside a shielded scope, which no ``fail_after`` can
interrupt, is ended by pytest-timeout).
"""

from __future__ import annotations

import gc
import warnings
from typing import Any

import anyio
import pytest

from mcpcore.dispatcher import CANCELLED, PROGRESS, Dispatcher, RequestContext
from mcpcore.errors import INTERNAL_ERROR, INVALID_REQUEST, ConnectionClosed, McpError, RequestTimeout
from mcpcore.wire import ErrorResponse, Notification, Request, Response
from tests.peers import RawPeer, dispatcher_and_raw_peer, dispatcher_pair
from transports.memory import create_pair

pytestmark = pytest.mark.anyio


async def _value(value: Any) -> Any:
    return value


async def _forever(ctx: RequestContext) -> Any:
    await anyio.sleep_forever()


# -- capacity bookkeeping ----------------------------------------------------------------------


async def test_a_request_cancelled_before_its_handler_started_frees_its_slot() -> None:
    # The peer sends a request and cancels it at once. On asyncio (3.11, no eager tasks) the
    # handler task is cancelled before it ever ran, so _handle's finally never runs.
    with anyio.fail_after(10):
        async with dispatcher_and_raw_peer(max_concurrency=1) as (server, peer):
            server.on_request("work", lambda ctx: _value(ctx.id))
            await peer.send(Request(1, "work"))
            await peer.notify(CANCELLED, {"requestId": 1})
            with anyio.move_on_after(2):
                reply = await peer.request(2, "work")
            assert reply == Response(2, 2), "the cancelled request's slot was never given back"


async def test_a_request_cancelled_before_its_handler_started_leaves_no_table_entry() -> None:
    with anyio.fail_after(10):
        async with dispatcher_and_raw_peer() as (server, peer):
            server.on_request("work", lambda ctx: _value(ctx.id))
            await peer.send(Request("a", "work"))
            await peer.notify(CANCELLED, {"requestId": "a"})
            await anyio.sleep(0.05)
            assert server._incoming == {} and server._active == 0


async def test_a_batch_member_cancelled_before_it_started_does_not_stall_the_batch() -> None:
    with anyio.fail_after(10):
        async with dispatcher_and_raw_peer(allow_batch=True) as (server, peer):
            server.on_request("work", lambda ctx: _value(ctx.id))
            await peer.send([Request(1, "work"), Request(2, "work")])
            await peer.notify(CANCELLED, {"requestId": 2})
            reply = await peer.receive(2)  # the batch is answered, not stalled
            # Where handlers start eagerly (Python 3.12+) request 2 has finished before its
            # cancellation arrives, and is answered; both outcomes are correct.
            assert reply in ([Response(1, 1)], [Response(1, 1), Response(2, 2)])


async def test_a_feeder_cancelled_while_waiting_for_capacity_does_not_swallow_the_wakeup() -> None:
    # Two senders wait for the one slot; the first gives up. When the slot frees, the second
    # must be let in. On trio a cancelled _TrioWaiter still reports done() == False, so
    # _wake_one "wakes" the dead waiter and stops there.
    with anyio.fail_after(10):
        async with dispatcher_and_raw_peer(max_concurrency=1) as (server, peer):
            release = anyio.Event()

            async def slow(ctx: RequestContext) -> Any:
                await release.wait()
                return ctx.id

            server.on_request("slow", slow)
            server.on_request("fast", lambda ctx: _value(ctx.id))
            await peer.send(Request(1, "slow"))
            async with anyio.create_task_group() as tg:
                giving_up = anyio.CancelScope()

                async def first() -> None:
                    with giving_up:
                        await peer.send(Request(2, "fast"))

                tg.start_soon(first)
                await anyio.sleep(0.05)
                tg.start_soon(peer.send, Request(3, "fast"))
                await anyio.sleep(0.05)
                giving_up.cancel()
                await anyio.sleep(0.05)
                release.set()
                assert await peer.receive() == Response(1, 1)
                with anyio.move_on_after(2):
                    reply = await peer.receive(3)
                assert reply == Response(3, 3), "the waiting request was never admitted"


# -- requests blocked by the peer's backpressure -------------------------------------------------


async def test_closing_while_a_request_is_blocked_by_backpressure_raises_connection_closed() -> None:
    # client.request() sits in transport.send (the server is at its bound) when the client is
    # closed; _close swaps _outgoing, and the failed send then does `del self._outgoing[rid]`.
    with anyio.fail_after(10):
        async with dispatcher_pair(max_concurrency=1) as (client, server):
            server.on_request("forever", _forever)
            errors: list[BaseException] = []

            async def call(method: str) -> None:
                try:
                    await client.request(method, timeout=None)
                except BaseException as exc:
                    errors.append(exc)

            async with anyio.create_task_group() as tg:
                tg.start_soon(call, "forever")
                await anyio.sleep(0.05)
                tg.start_soon(call, "forever")  # blocked in send: the server is at its bound
                await anyio.sleep(0.05)
                await client.aclose()
            assert len(errors) == 2
            assert all(isinstance(e, ConnectionClosed) for e in errors), errors


async def test_a_send_blocked_by_backpressure_is_bounded_by_the_callers_scope() -> None:
    # The request timeout starts once the transport has taken the request (bounding the send
    # with it would mean a cancel scope per request, or splitting a transport's own scopes).
    # A caller that gives up while blocked leaves nothing behind, and the peer is told, since
    # the request may have got through.
    with anyio.fail_after(10):
        async with dispatcher_pair(max_concurrency=1) as (client, server):
            cancelled: list[Any] = []
            server.on_notification(CANCELLED, lambda note: cancelled.append(note.params))
            server.on_request("forever", _forever)
            async with anyio.create_task_group() as tg:
                tg.start_soon(lambda: client.request("forever", timeout=None))
                await anyio.sleep(0.05)
                with anyio.move_on_after(0.2) as scope:
                    await client.request("forever", timeout=0.05)
                assert scope.cancelled_caught
                assert list(client._outgoing) == [1]  # only the first one is still pending
                tg.cancel_scope.cancel()
            await anyio.sleep(0.05)
            assert {"requestId": 2, "reason": "Request cancelled by the caller"} in cancelled


# -- the ordered queue ---------------------------------------------------------------------------


async def test_an_async_notification_handler_can_make_a_request() -> None:
    # The usual MCP reaction to notifications/tools/list_changed is to call tools/list. The
    # answer must not be queued behind the very handler that waits for it.
    with anyio.fail_after(10):
        async with dispatcher_pair(request_timeout=2) as (client, server):
            server.on_request("tools/list", lambda ctx: _value(["a tool"]))
            got: list[Any] = []
            handled = anyio.Event()

            async def list_changed(note: Notification) -> None:
                try:
                    got.append(await client.request("tools/list"))
                except McpError as exc:
                    got.append(exc)
                handled.set()

            client.on_notification("list_changed", list_changed)
            await server.notify("list_changed")
            await handled.wait()
            assert got == [["a tool"]]


async def test_an_async_progress_callback_can_make_a_request() -> None:
    with anyio.fail_after(10):
        async with dispatcher_pair(request_timeout=2) as (client, server):

            async def work(ctx: RequestContext) -> Any:
                await ctx.report_progress(1, 2)
                return "done"

            server.on_request("work", work)
            server.on_request("status", lambda ctx: _value("busy"))
            seen: list[Any] = []

            async def on_progress(progress: float, total: float | None, message: str | None) -> None:
                try:
                    seen.append(await client.request("status"))
                except McpError as exc:
                    seen.append(exc)

            assert await client.request("work", on_progress=on_progress) == "done"
            assert seen == ["busy"]


async def test_a_response_is_not_stuck_behind_a_request_waiting_for_capacity() -> None:
    # max_concurrency=1: handler 1 asks the peer something. Meanwhile the peer sends an async
    # notification, then request 2, then the answer handler 1 waits for. Request 2 waits in
    # the drain worker for the slot handler 1 holds, and the answer waits behind request 2.
    with anyio.fail_after(10):
        async with dispatcher_and_raw_peer(max_concurrency=1, request_timeout=3) as (server, peer):
            noted = anyio.Event()

            async def note(n: Notification) -> None:
                await anyio.sleep(0.05)
                noted.set()

            async def ask(ctx: RequestContext) -> Any:
                try:
                    return await ctx.send_request("question")
                except RequestTimeout:
                    return "timed out"

            server.on_notification("note", note)
            server.on_request("ask", ask)
            server.on_request("other", lambda ctx: _value("other"))
            await peer.send(Request("r1", "ask"))
            question = await peer.receive_a(Request)
            await peer.notify("note")
            await peer.send(Request("r2", "other"))  # queued behind the notification handler
            await peer.answer(question.id, "answer")  # queued behind request r2
            replies = [await peer.receive(5), await peer.receive(5)]
            assert Response("r1", "answer") in replies, replies


async def test_a_response_that_arrived_in_time_is_not_reported_as_a_timeout() -> None:
    # The answer arrives after 10 ms, well within the 0.3 s timeout, but waits behind a slow
    # notification handler of ours; the caller gets RequestTimeout and the peer a spurious
    # notifications/cancelled.
    with anyio.fail_after(10):
        async with dispatcher_and_raw_peer() as (client, peer):

            async def slow_note(n: Notification) -> None:
                await anyio.sleep(0.6)

            client.on_notification("slow", slow_note)
            outcome: list[Any] = []

            async def call() -> None:
                try:
                    outcome.append(await client.request("m", timeout=0.3))
                except RequestTimeout as exc:
                    outcome.append(exc)

            async with anyio.create_task_group() as tg:
                tg.start_soon(call)
                request = await peer.receive_a(Request)
                await peer.notify("slow")
                await peer.answer(request.id, "in time")
            assert outcome == ["in time"]


async def test_closing_with_queued_async_handlers_leaves_no_unawaited_coroutine() -> None:
    # A batch of two async notifications: the second is queued as _await_guarded(handler(..))
    # whose inner coroutine _close never closes.
    with anyio.fail_after(10), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with dispatcher_and_raw_peer(allow_batch=True) as (server, peer):
            started = anyio.Event()

            async def note(n: Notification) -> None:
                started.set()
                await anyio.sleep_forever()

            server.on_notification("note", note)
            await peer.send([Notification("note", {"n": 1}), Notification("note", {"n": 2})])
            await started.wait()
        gc.collect()
    unawaited = [str(w.message) for w in caught if "never awaited" in str(w.message)]
    assert unawaited == []


async def test_closing_while_feed_waits_for_queue_space_leaves_no_unawaited_coroutine() -> None:
    with anyio.fail_after(10), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with dispatcher_and_raw_peer(max_queued_notifications=1) as (server, peer):
            started = anyio.Event()
            outcome: list[str] = []

            async def note(n: Notification) -> None:
                started.set()
                await anyio.sleep_forever()

            async def send_third(sender: RawPeer) -> None:
                try:
                    await sender.notify("note", {"n": 3})
                except ConnectionClosed:
                    outcome.append("ConnectionClosed")  # not the exception: its frames hold the coroutine

            server.on_notification("note", note)
            await peer.notify("note", {"n": 1})
            await started.wait()
            await peer.notify("note", {"n": 2})  # queued
            async with anyio.create_task_group() as tg:
                tg.start_soon(send_third, peer)  # waits for space
                await anyio.sleep(0.05)
                await server.aclose()
            assert outcome == ["ConnectionClosed"]
        # The dispatcher keeps its close reason, whose traceback holds the frames it went through.
        del server, peer
        gc.collect()
    unawaited = [str(w.message) for w in caught if "never awaited" in str(w.message)]
    assert unawaited == []


# -- batches -----------------------------------------------------------------------------------


async def test_a_batch_with_an_unencodable_result_still_gets_its_answers() -> None:
    with anyio.fail_after(10):
        async with dispatcher_and_raw_peer(allow_batch=True) as (server, peer):
            server.on_request("set", lambda ctx: _value({"a set": {1, 2}}))
            server.on_request("ok", lambda ctx: _value("ok"))
            await peer.send([Request(1, "set"), Request(2, "ok")])
            reply = await peer.receive(2)
            assert isinstance(reply, list) and len(reply) == 2
            assert Response(2, "ok") in reply
            errors = [r for r in reply if isinstance(r, ErrorResponse)]
            assert len(errors) == 1 and (errors[0].id, errors[0].code) == (1, INTERNAL_ERROR)


async def test_in_a_batch_a_request_after_a_notification_starts_after_its_handler_ran() -> None:
    # The module docstring's ordering promise. It holds for separate messages (and for a
    # batch that arrives while the queue is busy) but not for a batch taken inline.
    with anyio.fail_after(10):
        async with dispatcher_and_raw_peer(allow_batch=True) as (server, peer):
            state = {"ready": False}

            async def initialized(note: Notification) -> None:
                await anyio.sleep(0.05)
                state["ready"] = True

            server.on_notification("initialized", initialized)
            server.on_request("check", lambda ctx: _value(state["ready"]))
            await peer.send([Notification("initialized"), Request(1, "check")])
            assert await peer.receive() == [Response(1, True)]


# -- close -------------------------------------------------------------------------------------


async def test_two_concurrent_acloses_both_return() -> None:
    # "aclose may be called at any time, from any task". On trio each join() replaces the
    # shared _idle event, so an earlier joiner waits (shielded) on an event no one sets.
    with anyio.fail_after(10):
        async with dispatcher_and_raw_peer() as (server, peer):
            started = anyio.Event()

            async def slow_to_stop(ctx: RequestContext) -> Any:
                started.set()
                try:
                    await anyio.sleep_forever()
                finally:
                    with anyio.CancelScope(shield=True):
                        await anyio.sleep(0.3)

            server.on_request("slow", slow_to_stop)
            await peer.send(Request(1, "slow"))
            await started.wait()
            done: list[str] = []
            both_done = anyio.Event()

            async def close(name: str) -> None:
                await server.aclose()
                done.append(name)
                if len(done) == 2:
                    both_done.set()

            async with anyio.create_task_group() as tg:
                tg.start_soon(close, "first")
                await anyio.sleep(0.05)
                tg.start_soon(close, "second")
                # A joiner stuck in its shielded wait cannot be interrupted: should this
                # regress, the test hangs and pytest-timeout fails it.
                await both_done.wait()
            assert sorted(done) == ["first", "second"]


async def test_aclose_from_a_handler_waits_for_the_other_handlers_and_returns() -> None:
    with anyio.fail_after(10):
        async with dispatcher_and_raw_peer() as (server, peer):
            events: list[str] = []
            other_started = anyio.Event()

            async def other(ctx: RequestContext) -> Any:
                other_started.set()
                try:
                    await anyio.sleep_forever()
                finally:
                    with anyio.CancelScope(shield=True):
                        await anyio.sleep(0.1)
                        events.append("other finished")

            async def hang_up(ctx: RequestContext) -> Any:
                try:
                    await ctx.dispatcher.aclose()
                    events.append("aclose returned")
                except BaseException as exc:
                    events.append(f"aclose raised {type(exc).__name__}")
                    raise
                return None

            server.on_request("other", other)
            server.on_request("hang up", hang_up)
            await peer.send(Request(1, "other"))
            await other_started.wait()
            await peer.send(Request(2, "hang up"))
            await server.wait_closed()
            await anyio.sleep(0.3)
            assert events == ["other finished", "aclose returned"]


async def test_cancelled_wait_closed_calls_do_not_pile_up() -> None:
    with anyio.fail_after(10):
        async with dispatcher_and_raw_peer() as (server, _peer):
            for _ in range(200):
                with anyio.move_on_after(0):
                    await server.wait_closed()
            assert len(server._closed_waiters) <= 1


# -- behaviour checked and found correct ---------------------------------------------------------


async def test_a_batch_is_flushed_by_its_last_member_even_when_that_one_was_cancelled() -> None:
    with anyio.fail_after(10):
        async with dispatcher_and_raw_peer(allow_batch=True) as (server, peer):
            started = anyio.Event()

            async def forever(ctx: RequestContext) -> Any:
                started.set()
                await anyio.sleep_forever()

            server.on_request("forever", forever)
            server.on_request("fast", lambda ctx: _value("fast"))
            await peer.send([Request(1, "fast"), Request(2, "forever")])
            await started.wait()
            await anyio.sleep(0.02)
            assert peer.pending() == 0
            await peer.notify(CANCELLED, {"requestId": 2})
            assert await peer.receive(2) == [Response(1, "fast")]
            await peer.expect_nothing()


async def test_a_batch_with_a_duplicate_id_is_answered_in_one_array() -> None:
    with anyio.fail_after(10):
        async with dispatcher_and_raw_peer(allow_batch=True) as (server, peer):
            server.on_request("echo", lambda ctx: _value(ctx.params))
            await peer.send([Request(7, "echo", [1]), Request(7, "echo", [2])])
            reply = await peer.receive(2)
            assert isinstance(reply, list) and len(reply) == 2
            assert Response(7, [1]) in reply
            errors = [r for r in reply if isinstance(r, ErrorResponse)]
            assert len(errors) == 1 and (errors[0].id, errors[0].code) == (7, INVALID_REQUEST)
            await peer.expect_nothing()


async def test_closing_while_feed_waits_for_capacity_releases_the_feeder() -> None:
    with anyio.fail_after(10):
        async with dispatcher_and_raw_peer(max_concurrency=1) as (server, peer):
            server.on_request("forever", _forever)
            await peer.send(Request(1, "forever"))
            outcome: list[str] = []

            async def blocked() -> None:
                try:
                    await peer.send(Request(2, "forever"))
                    outcome.append("admitted")
                except ConnectionClosed:
                    outcome.append("ConnectionClosed")

            async with anyio.create_task_group() as tg:
                tg.start_soon(blocked)
                await anyio.sleep(0.05)
                assert outcome == []
                await server.aclose()
            assert outcome == ["ConnectionClosed"]
            assert server._incoming == {} and server._active == 0


async def test_failing_progress_callbacks_are_logged_and_the_request_completes() -> None:
    with anyio.fail_after(10):
        async with dispatcher_pair() as (client, server):

            async def work(ctx: RequestContext) -> Any:
                for i in range(4):
                    await ctx.report_progress(i)
                return "done"

            server.on_request("work", work)
            seen: list[float] = []

            def sync_cb(progress: float, total: float | None, message: str | None) -> None:
                seen.append(progress)
                if progress % 2 == 0:
                    raise RuntimeError("sync callback broke")

            async def async_cb(progress: float, total: float | None, message: str | None) -> None:
                await anyio.lowlevel.checkpoint()
                seen.append(progress)
                raise ConnectionClosed("not really")  # must not stop the dispatcher's worker

            assert await client.request("work", on_progress=sync_cb) == "done"
            assert seen == [0, 1, 2, 3]
            seen.clear()
            assert await client.request("work", on_progress=async_cb) == "done"
            assert seen == [0, 1, 2, 3]
            # The worker survived: a later async notification handler still runs.
            noted = anyio.Event()

            async def note(n: Notification) -> None:
                noted.set()

            client.on_notification("note", note)
            await server.notify("note")
            await noted.wait()


async def test_aclose_from_inside_a_notification_handler_does_not_hang() -> None:
    with anyio.fail_after(10):
        async with dispatcher_pair() as (client, server):

            async def bye(n: Notification) -> None:
                await client.aclose()

            client.on_notification("bye", bye)
            await server.notify("bye")
            await client.wait_closed()
            await server.wait_closed()
            assert client.closed and server.closed


async def test_progress_is_reported_and_delivered_both_ways_at_once() -> None:
    # Each side has a request in flight at the other, with progress, over direct delivery.
    with anyio.fail_after(10):
        async with dispatcher_pair() as (a, b):

            async def work(ctx: RequestContext) -> Any:
                for i in range(20):
                    await ctx.report_progress(i, 20)
                    if i % 5 == 0:
                        await anyio.lowlevel.checkpoint()
                return ctx.dispatcher is a

            a.on_request("work", work)
            b.on_request("work", work)
            seen: dict[str, list[float]] = {"a": [], "b": []}
            results: dict[str, Any] = {}

            async def call(name: str, d: Dispatcher) -> None:
                results[name] = await d.request("work", on_progress=lambda p, t, m: seen[name].append(p))

            async with anyio.create_task_group() as tg:
                tg.start_soon(call, "a", a)
                tg.start_soon(call, "b", b)
            assert results == {"a": False, "b": True}
            assert seen == {"a": list(range(20)), "b": list(range(20))}


async def test_the_peer_cancelling_after_the_answer_changes_nothing() -> None:
    with anyio.fail_after(10):
        async with dispatcher_and_raw_peer(max_concurrency=1) as (server, peer):
            server.on_request("echo", lambda ctx: _value(ctx.params))
            assert await peer.request(1, "echo", [1]) == Response(1, [1])
            await peer.notify(CANCELLED, {"requestId": 1})
            assert await peer.request(2, "echo", [2]) == Response(2, [2])
            await peer.notify(PROGRESS, {"progressToken": 1, "progress": 1})
            await peer.expect_nothing()


async def test_a_memory_pair_closes_cleanly_when_a_sender_waits_for_attachment() -> None:
    ours, theirs = create_pair()
    peer = RawPeer(theirs)
    outcome: list[str] = []
    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:

            async def early() -> None:
                try:
                    await theirs.send(Request(1, "m"))
                except ConnectionClosed:
                    outcome.append("ConnectionClosed")

            tg.start_soon(early)
            await anyio.sleep(0.02)
            await ours.aclose()
    peer.close()
    assert outcome == ["ConnectionClosed"]
