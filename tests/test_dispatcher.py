"""mcpcore.dispatcher: correlation, concurrency, cancellation, progress, timeouts, close."""

from __future__ import annotations

import logging
from typing import Any

import anyio
import pytest

from mcpcore.dispatcher import CANCELLED, PROGRESS, Dispatcher, Incoming, RequestContext
from mcpcore.errors import (
    CONNECTION_CLOSED,
    INTERNAL_ERROR,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    PARSE_ERROR,
    REQUEST_TIMEOUT,
    ConnectionClosed,
    McpError,
    RequestTimeout,
)
from mcpcore.wire import (
    DecodeError,
    EncodeError,
    ErrorResponse,
    Notification,
    Request,
    Response,
    decode,
)
from tests.peers import RawPeer, dispatcher_and_raw_peer, dispatcher_pair
from transports.memory import create_pair

pytestmark = pytest.mark.anyio


async def feed_bytes(dispatcher: Dispatcher, raw: bytes, allow_batch: bool = False) -> None:
    """Hand the dispatcher what a transport would after reading ``raw`` off the wire."""
    item: Incoming
    try:
        item = decode(raw, allow_batch=allow_batch)
    except DecodeError as exc:
        item = exc
    await dispatcher.feed(item)


# -- requests and answers --------------------------------------------------------------------


async def test_request_response_and_notification_both_ways() -> None:
    async with dispatcher_pair() as (client, server):
        notes: list[Any] = []

        async def add(ctx: RequestContext) -> Any:
            assert isinstance(ctx.params, dict)
            return {"sum": ctx.params["a"] + ctx.params["b"]}

        server.on_request("add", add)
        server.on_notification("note", lambda n: notes.append(n.params))
        client.on_request("whoami", lambda ctx: _value("client"))

        assert await client.request("add", {"a": 2, "b": 3}) == {"sum": 5}
        await client.notify("note", {"x": 1})
        assert await server.request("whoami") == "client"
        assert notes == [{"x": 1}]


async def _value(value: Any) -> Any:
    return value


async def test_a_handler_can_call_back_the_peer_while_answering() -> None:
    async with dispatcher_pair() as (client, server):

        async def tool(ctx: RequestContext) -> Any:
            reply = await ctx.send_request("sample", {"q": "why?"})
            return {"model said": reply}

        async def sample(ctx: RequestContext) -> Any:
            return "because"

        server.on_request("tool", tool)
        client.on_request("sample", sample)
        assert await client.request("tool") == {"model said": "because"}


async def test_unknown_method_is_32601_and_the_connection_stays_usable() -> None:
    async with dispatcher_pair() as (client, server):
        server.on_request("ok", lambda ctx: _value(True))
        with pytest.raises(McpError) as info:
            await client.request("nope", {"a": 1})
        assert (info.value.code, info.value.message) == (METHOD_NOT_FOUND, "Method not found")
        assert info.value.data == {"method": "nope"}
        assert await client.request("ok") is True


async def test_mcp_error_keeps_its_code_message_and_data() -> None:
    async with dispatcher_pair() as (client, server):

        async def fail(ctx: RequestContext) -> Any:
            raise McpError(-32002, "Resource not found", {"uri": "file:///x"})

        server.on_request("fail", fail)
        with pytest.raises(McpError) as info:
            await client.request("fail")
        assert (info.value.code, info.value.message, info.value.data) == (
            -32002,
            "Resource not found",
            {"uri": "file:///x"},
        )


async def test_other_exceptions_become_internal_errors_without_internals(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with dispatcher_pair() as (client, server):

        async def boom(ctx: RequestContext) -> Any:
            raise ValueError("the database password is hunter2")

        server.on_request("boom", boom)
        with caplog.at_level(logging.ERROR, "mcpcore.dispatcher"), pytest.raises(McpError) as info:
            await client.request("boom")
        assert (info.value.code, info.value.message, info.value.data) == (
            INTERNAL_ERROR,
            "Internal error",
            None,
        )
        assert "hunter2" not in repr(info.value)
        assert "hunter2" in caplog.text  # but the server's own log has it


async def test_debug_mode_shows_the_exception() -> None:
    async with dispatcher_pair(debug=True) as (client, server):

        async def boom(ctx: RequestContext) -> Any:
            raise ValueError("details")

        server.on_request("boom", boom)
        with pytest.raises(McpError) as info:
            await client.request("boom")
        assert info.value.code == INTERNAL_ERROR
        assert "details" in info.value.message
        assert "Traceback" in info.value.data


async def test_a_result_json_cannot_carry_becomes_an_internal_error() -> None:
    async with dispatcher_pair() as (client, server):
        server.on_request("set", lambda ctx: _value({"a set": {1, 2}}))
        server.on_request("ok", lambda ctx: _value("ok"))
        with pytest.raises(McpError) as info:
            await client.request("set")
        assert info.value.code == INTERNAL_ERROR
        assert await client.request("ok") == "ok"


async def test_an_error_whose_data_json_cannot_carry_arrives_without_its_data() -> None:
    async with dispatcher_pair() as (client, server):

        async def fail(ctx: RequestContext) -> Any:
            raise McpError(-32000, "custom failure", {"a set": {1, 2}})

        async def fail_badly(ctx: RequestContext) -> Any:
            raise McpError(-32000, "a lone surrogate \ud800 in the message")

        server.on_request("fail", fail)
        server.on_request("fail badly", fail_badly)
        with anyio.fail_after(5):
            with pytest.raises(McpError) as info:
                await client.request("fail")
            assert (info.value.code, info.value.message, info.value.data) == (-32000, "custom failure", None)
            with pytest.raises(McpError) as info:
                await client.request("fail badly")
            assert info.value.code == INTERNAL_ERROR


async def test_a_batch_keeps_its_answers_when_one_error_cannot_be_encoded() -> None:
    async with dispatcher_and_raw_peer(allow_batch=True) as (server, peer):

        async def fail(ctx: RequestContext) -> Any:
            raise McpError(-32000, "custom failure", {"a set": {1, 2}})

        server.on_request("fail", fail)
        server.on_request("echo", lambda ctx: _value(ctx.params))
        await peer.send([Request(1, "fail"), Request(2, "echo", [2])])
        reply = await peer.receive()
        assert isinstance(reply, list)
        assert sorted(reply, key=repr) == [ErrorResponse(1, -32000, "custom failure"), Response(2, [2])]


async def test_params_json_cannot_carry_fail_at_the_caller_and_send_nothing() -> None:
    async with dispatcher_and_raw_peer() as (client, peer):
        with pytest.raises(EncodeError):
            await client.request("m", {"x": {1, 2}})
        await peer.expect_nothing()
        # Nothing was left pending either: the next request is answered normally.
        async with anyio.create_task_group() as tg:
            tg.start_soon(client.request, "m")
            request = await peer.receive()
            assert isinstance(request, Request)
            await peer.answer(request.id, None)


async def test_ids_are_allocated_per_connection_and_responses_match_out_of_order() -> None:
    async with dispatcher_and_raw_peer() as (client, peer):
        results: dict[int, Any] = {}

        async def call(n: int) -> None:
            results[n] = await client.request("echo", {"n": n})

        async with anyio.create_task_group() as tg:
            for n in range(3):
                tg.start_soon(call, n)
            requests = [await peer.receive_a(Request) for _ in range(3)]
            assert sorted(r.id for r in requests) == [1, 2, 3]
            for r in reversed(requests):
                assert isinstance(r.params, dict)
                await peer.answer(r.id, {"echo": r.params["n"]})
        assert results == {0: {"echo": 0}, 1: {"echo": 1}, 2: {"echo": 2}}

    # A second connection starts over.
    async with dispatcher_and_raw_peer() as (other, peer), anyio.create_task_group() as tg:
        tg.start_soon(other.request, "x")
        first = await peer.receive()
        assert isinstance(first, Request) and first.id == 1
        await peer.answer(1, None)


async def test_a_string_id_and_an_integer_id_with_the_same_digits_are_different_requests() -> None:
    async with dispatcher_and_raw_peer() as (server, peer):
        release = anyio.Event()

        async def slow(ctx: RequestContext) -> Any:
            await release.wait()
            return type(ctx.id).__name__

        server.on_request("slow", slow)
        await peer.send(Request(1, "slow"))
        await peer.send(Request("1", "slow"))  # not a duplicate of 1
        release.set()
        replies = [await peer.receive(), await peer.receive()]
        assert sorted(replies, key=lambda r: repr(r)) == sorted(
            [Response(1, "int"), Response("1", "str")], key=lambda r: repr(r)
        )


# -- concurrency and backpressure ----------------------------------------------------------------


async def test_a_slow_handler_does_not_block_other_requests() -> None:
    async with dispatcher_pair() as (client, server):
        release = anyio.Event()

        async def slow(ctx: RequestContext) -> Any:
            await release.wait()
            return "slow"

        server.on_request("slow", slow)
        server.on_request("ping", lambda ctx: _value({}))
        with anyio.fail_after(5):
            async with anyio.create_task_group() as tg:
                results: list[Any] = []

                async def call_slow() -> None:
                    results.append(await client.request("slow"))

                tg.start_soon(call_slow)
                for _ in range(3):
                    assert await client.request("ping") == {}
                assert results == []
                release.set()
        assert results == ["slow"]


async def test_the_concurrency_bound_holds_back_the_transport() -> None:
    async with dispatcher_and_raw_peer(max_concurrency=2) as (server, peer):
        running = 0
        peak = 0
        release = anyio.Event()

        async def work(ctx: RequestContext) -> Any:
            nonlocal running, peak
            running += 1
            peak = max(peak, running)
            await release.wait()
            running -= 1
            return ctx.id

        server.on_request("work", work)
        await peer.send(Request(1, "work"))
        await peer.send(Request(2, "work"))
        await anyio.sleep(0.05)
        assert running == 2
        # The third request is not taken while both slots are busy: the sender waits.
        with anyio.move_on_after(0.2) as scope:
            await peer.send(Request(3, "work"))
        assert scope.cancelled_caught
        async with anyio.create_task_group() as tg:
            tg.start_soon(peer.send, Request(4, "work"))
            await anyio.sleep(0.05)
            assert running == 2
            release.set()
        answered = {(await peer.receive()).id for _ in range(3)}  # type: ignore[union-attr]
        assert answered == {1, 2, 4}
        assert peak == 2


async def test_32_requests_in_flight() -> None:
    async with dispatcher_pair() as (client, server):

        async def echo(ctx: RequestContext) -> Any:
            await anyio.sleep(0.01)
            return ctx.params

        server.on_request("echo", echo)
        results: list[Any] = []

        async def call(n: int) -> None:
            results.append(await client.request("echo", {"n": n}))

        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                for n in range(32):
                    tg.start_soon(call, n)
        assert sorted(r["n"] for r in results) == list(range(32))


async def test_a_duplicate_id_of_a_request_in_flight_is_refused() -> None:
    async with dispatcher_and_raw_peer() as (server, peer):
        release = anyio.Event()

        async def slow(ctx: RequestContext) -> Any:
            await release.wait()
            return "first"

        server.on_request("slow", slow)
        await peer.send(Request(9, "slow"))
        await anyio.sleep(0.02)
        error = await peer.request(9, "slow")
        assert isinstance(error, ErrorResponse)
        assert (error.id, error.code) == (9, INVALID_REQUEST)
        assert "already in use" in error.data
        release.set()
        assert await peer.receive() == Response(9, "first")


# -- cancellation ----------------------------------------------------------------------------------


async def test_a_cancelled_caller_sends_notifications_cancelled() -> None:
    async with dispatcher_and_raw_peer() as (client, peer):
        with anyio.move_on_after(5):
            async with anyio.create_task_group() as tg:
                tg.start_soon(client.request, "slow")
                request = await peer.receive_a(Request)
                tg.cancel_scope.cancel()
        assert request.id == 1
        cancel = await peer.receive()
        assert cancel == Notification(
            CANCELLED, {"requestId": request.id, "reason": "Request cancelled by the caller"}
        )
        # The late answer is dropped quietly and the connection goes on.
        await peer.answer(request.id, "too late")
        async with anyio.create_task_group() as tg:
            tg.start_soon(client.request, "next")
            nxt = await peer.receive_a(Request)
            assert nxt.id == 2
            await peer.answer(nxt.id, None)


async def test_a_timeout_raises_and_sends_notifications_cancelled() -> None:
    async with dispatcher_and_raw_peer() as (client, peer):
        with anyio.fail_after(5), pytest.raises(RequestTimeout) as info:
            await client.request("slow", timeout=0.2)
        assert isinstance(info.value, TimeoutError) and isinstance(info.value, McpError)
        assert info.value.code == REQUEST_TIMEOUT
        assert info.value.data == {"method": "slow", "id": 1}
        assert await peer.receive() == Request(1, "slow")
        cancel = await peer.receive()
        assert isinstance(cancel, Notification) and cancel.method == CANCELLED
        assert cancel.params == {"requestId": 1, "reason": "Request timed out"}


async def test_timeouts_of_many_requests_each_fire_on_their_own_deadline() -> None:
    async with dispatcher_and_raw_peer() as (client, peer):
        outcomes: dict[float, str] = {}
        two_timed_out = anyio.Event()

        async def call(timeout: float) -> None:
            try:
                await client.request("x", timeout=timeout)
                outcomes[timeout] = "answered"
            except RequestTimeout:
                outcomes[timeout] = "timed out"
                if len(outcomes) == 2:
                    two_timed_out.set()

        with anyio.fail_after(5):
            async with anyio.create_task_group() as tg:
                # Deadlines that arrive out of order: a later request with a shorter timeout
                # must not wait for an earlier, longer one. The long one is answered only
                # after both short ones have timed out, so it was still pending then.
                for timeout in (3.0, 0.1, 0.3):
                    tg.start_soon(call, timeout)
                    await anyio.sleep(0.01)
                await two_timed_out.wait()
                await peer.answer(1, "ok")
        assert outcomes == {0.1: "timed out", 0.3: "timed out", 3.0: "answered"}


async def test_no_timeout_means_waiting_until_answered() -> None:
    async with (
        dispatcher_and_raw_peer(request_timeout=0.05) as (client, peer),
        anyio.create_task_group() as tg,
    ):

        async def call() -> None:
            assert await client.request("x", timeout=None) == "late but fine"

        tg.start_soon(call)
        request = await peer.receive()
        await anyio.sleep(0.2)
        assert isinstance(request, Request)
        await peer.answer(request.id, "late but fine")


async def test_the_peer_cancelling_a_request_cancels_its_handler_and_no_answer_is_sent() -> None:
    async with dispatcher_and_raw_peer() as (server, peer):
        started, finished = anyio.Event(), anyio.Event()
        seen: list[str] = []

        async def slow(ctx: RequestContext) -> Any:
            started.set()
            try:
                await anyio.sleep_forever()
            finally:
                seen.append("cancelled")
                finished.set()

        server.on_request("slow", slow)
        await peer.send(Request("a", "slow"))
        with anyio.fail_after(5):
            await started.wait()
            await peer.notify(CANCELLED, {"requestId": "a", "reason": "user hit stop"})
            await finished.wait()
        assert seen == ["cancelled"]
        await peer.expect_nothing(0.2)


async def test_a_handler_that_swallows_cancellation_still_sends_no_answer() -> None:
    async with dispatcher_and_raw_peer() as (server, peer):
        started = anyio.Event()

        async def stubborn(ctx: RequestContext) -> Any:
            started.set()
            try:
                await anyio.sleep_forever()
            except anyio.get_cancelled_exc_class():
                return "result nobody wants"  # bad manners, but handlers do this
            return "unreachable"

        server.on_request("stubborn", stubborn)
        await peer.send(Request(1, "stubborn"))
        await started.wait()
        await peer.notify(CANCELLED, {"requestId": 1})
        await peer.expect_nothing(0.2)


@pytest.mark.parametrize(
    "params",
    [None, {}, {"requestId": None}, {"requestId": 99}, {"requestId": [1]}, {"requestId": "nope"}],
)
async def test_malformed_or_unknown_cancellations_are_ignored(params: Any) -> None:
    async with dispatcher_and_raw_peer() as (server, peer):
        server.on_request("echo", lambda ctx: _value(ctx.params))
        await peer.notify(CANCELLED, params)
        assert await peer.request(1, "echo", {"still": "works"}) == Response(1, {"still": "works"})


# -- progress ----------------------------------------------------------------------------------


@pytest.mark.parametrize("callback_kind", ["sync", "async"])
async def test_progress_reaches_the_callback_in_order_before_the_result(callback_kind: str) -> None:
    async with dispatcher_pair() as (client, server):

        async def work(ctx: RequestContext) -> Any:
            assert ctx.progress_token is not None
            for i in range(1, 6):
                assert await ctx.report_progress(i, 5, f"step {i}")
            return "done"

        server.on_request("work", work)
        seen: list[tuple[float, float | None, str | None]] = []

        def sync_cb(progress: float, total: float | None, message: str | None) -> None:
            seen.append((progress, total, message))

        async def async_cb(progress: float, total: float | None, message: str | None) -> None:
            await anyio.sleep(0.001)
            seen.append((progress, total, message))

        callback = sync_cb if callback_kind == "sync" else async_cb
        assert await client.request("work", on_progress=callback) == "done"
        assert seen == [(i, 5, f"step {i}") for i in range(1, 6)]


async def test_the_progress_token_is_added_without_touching_the_callers_params() -> None:
    async with dispatcher_and_raw_peer() as (client, peer):
        params = {"x": 1, "_meta": {"traceparent": "t"}}
        async with anyio.create_task_group() as tg:
            tg.start_soon(lambda: client.request("m", params, on_progress=lambda *a: None))
            request = await peer.receive()
            assert isinstance(request, Request)
            assert request.params == {"x": 1, "_meta": {"traceparent": "t", "progressToken": request.id}}
            await peer.answer(request.id, None)
        assert params == {"x": 1, "_meta": {"traceparent": "t"}}
        with pytest.raises(TypeError, match="object params"):
            await client.request("m", [1, 2], on_progress=lambda *a: None)


async def test_without_a_token_report_progress_sends_nothing() -> None:
    async with dispatcher_and_raw_peer() as (server, peer):
        reported: list[bool] = []

        async def work(ctx: RequestContext) -> Any:
            reported.append(await ctx.report_progress(0.5))
            return None

        server.on_request("work", work)
        assert await peer.request(1, "work") == Response(1, None)
        assert reported == [False]
        assert await peer.request(2, "work", {"_meta": {"progressToken": "tok"}}) == Notification(
            PROGRESS, {"progressToken": "tok", "progress": 0.5}
        )
        assert await peer.receive() == Response(2, None)
        assert reported == [False, True]


async def test_progress_after_the_answer_is_not_sent() -> None:
    async with dispatcher_and_raw_peer() as (server, peer):
        contexts: list[RequestContext] = []

        async def work(ctx: RequestContext) -> Any:
            contexts.append(ctx)
            return None

        server.on_request("work", work)
        assert await peer.request(1, "work", {"_meta": {"progressToken": 1}}) == Response(1, None)
        assert await contexts[0].report_progress(1.0) is False
        await peer.expect_nothing()


async def test_progress_extends_the_timeout() -> None:
    async with dispatcher_pair() as (client, server):

        async def long_job(ctx: RequestContext) -> Any:
            for i in range(8):
                await anyio.sleep(0.1)
                await ctx.report_progress(i)
            return "finished"

        server.on_request("job", long_job)
        with anyio.fail_after(10):
            assert await client.request("job", timeout=0.35, on_progress=lambda *a: None) == "finished"


async def test_progress_never_extends_past_the_hard_maximum() -> None:
    async with dispatcher_pair() as (client, server):
        cancelled = anyio.Event()

        async def endless(ctx: RequestContext) -> Any:
            try:
                for i in range(1000):
                    await anyio.sleep(0.05)
                    await ctx.report_progress(i)
            finally:
                cancelled.set()

        server.on_request("job", endless)
        # Without the hard maximum the job would report progress for 50 s and fail_after would
        # fire instead.
        with anyio.fail_after(10):
            with pytest.raises(RequestTimeout, match="maximum"):
                await client.request("job", timeout=0.3, max_timeout=0.6, on_progress=lambda *a: None)
            await cancelled.wait()  # the timeout cancelled the work at the server too


async def test_progress_with_an_unknown_token_goes_to_the_progress_handler() -> None:
    async with dispatcher_and_raw_peer() as (client, peer):
        got: list[Any] = []
        client.on_notification(PROGRESS, lambda n: got.append(n.params))
        await peer.notify(PROGRESS, {"progressToken": "someone else's", "progress": 1})
        await peer.notify(PROGRESS, {"progressToken": {"not": "hashable"}, "progress": 2})
        await anyio.sleep(0.05)
        assert got == [
            {"progressToken": "someone else's", "progress": 1},
            {"progressToken": {"not": "hashable"}, "progress": 2},
        ]


async def test_malformed_progress_for_a_real_request_is_ignored() -> None:
    async with dispatcher_and_raw_peer() as (client, peer):
        seen: list[Any] = []
        async with anyio.create_task_group() as tg:
            tg.start_soon(lambda: client.request("m", on_progress=lambda *a: seen.append(a)))
            request = await peer.receive()
            assert isinstance(request, Request)
            await peer.notify(PROGRESS, {"progressToken": request.id, "progress": "half"})
            await peer.notify(PROGRESS, {"progressToken": request.id, "progress": 1, "total": "lots"})
            await peer.notify(PROGRESS, {"progressToken": request.id, "progress": 2, "message": 7})
            await peer.answer(request.id, None)
        assert seen == [(2, None, None)]


# -- ordering ------------------------------------------------------------------------------------


async def test_notifications_sent_before_a_response_arrive_before_it() -> None:
    async with dispatcher_and_raw_peer() as (server, peer):

        async def chatty(ctx: RequestContext) -> Any:
            for i in range(3):
                await ctx.notify("log", {"i": i})
            return "end"

        server.on_request("chatty", chatty)
        await peer.send(Request(1, "chatty"))
        arrived = [await peer.receive() for _ in range(4)]
        assert arrived == [*(Notification("log", {"i": i}) for i in range(3)), Response(1, "end")]


async def test_async_notification_handlers_run_in_order_without_holding_answers_back() -> None:
    async with dispatcher_pair() as (client, server):
        logged: list[int] = []
        all_logged = anyio.Event()

        async def on_log(note: Notification) -> None:
            await anyio.sleep(0.01)
            assert isinstance(note.params, dict)
            logged.append(note.params["i"])
            if len(logged) == 5:
                all_logged.set()

        async def chatty(ctx: RequestContext) -> Any:
            for i in range(5):
                await ctx.notify("log", {"i": i})
            return "end"

        client.on_notification("log", on_log)
        server.on_request("chatty", chatty)
        # The answer is not queued behind the log handlers: one of them could be waiting for
        # an answer itself (a list_changed handler that lists again, say).
        assert await client.request("chatty") == "end"
        with anyio.fail_after(5):
            await all_logged.wait()
        assert logged == [0, 1, 2, 3, 4]


async def test_a_request_after_a_notification_starts_after_its_handler_ran() -> None:
    async with dispatcher_and_raw_peer() as (server, peer):
        state = {"ready": False}

        async def initialized(note: Notification) -> None:
            await anyio.sleep(0.05)
            state["ready"] = True

        server.on_notification("initialized", initialized)
        server.on_request("check", lambda ctx: _value(state["ready"]))
        await peer.notify("initialized")
        assert await peer.request(1, "check") == Response(1, True)


async def test_failing_notification_handlers_are_logged_and_harmless(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with dispatcher_and_raw_peer() as (server, peer):

        def sync_fail(note: Notification) -> None:
            raise RuntimeError("sync handler broke")

        async def async_fail(note: Notification) -> None:
            raise RuntimeError("async handler broke")

        server.on_notification("a", sync_fail)
        server.on_notification("b", async_fail)
        server.on_request("echo", lambda ctx: _value(ctx.params))
        with caplog.at_level(logging.ERROR, "mcpcore.dispatcher"):
            await peer.notify("a")
            await peer.notify("b")
            await peer.notify("unhandled")
            assert await peer.request(1, "echo", [1]) == Response(1, [1])
        assert "sync handler broke" in caplog.text and "async handler broke" in caplog.text


# -- invalid input -------------------------------------------------------------------------------


async def test_unreadable_input_is_answered_with_null_id_errors() -> None:
    async with dispatcher_and_raw_peer() as (server, peer):
        await feed_bytes(server, b"{not json")
        reply = await peer.receive()
        assert isinstance(reply, ErrorResponse)
        assert (reply.id, reply.code, reply.message) == (None, PARSE_ERROR, "Parse error")
        await feed_bytes(server, b'{"jsonrpc":"2.0","method":1}')
        reply = await peer.receive()
        assert isinstance(reply, ErrorResponse) and (reply.id, reply.code) == (None, INVALID_REQUEST)


async def test_a_broken_request_with_a_usable_id_is_answered_with_that_id() -> None:
    async with dispatcher_and_raw_peer() as (server, peer):
        await feed_bytes(server, b'{"jsonrpc":"2.0","id":"r1","method":"m","params":"bar"}')
        reply = await peer.receive()
        assert isinstance(reply, ErrorResponse)
        assert (reply.id, reply.code) == ("r1", INVALID_REQUEST)
        assert '"params" must be an object or an array' in reply.data


async def test_a_broken_response_fails_its_request_at_once_and_is_not_answered() -> None:
    async with dispatcher_and_raw_peer() as (client, peer):
        with anyio.fail_after(5):
            async with anyio.create_task_group() as tg:

                async def call() -> None:
                    with pytest.raises(McpError) as info:
                        await client.request("m")
                    assert info.value.code == INVALID_REQUEST
                    assert "both" in info.value.data

                tg.start_soon(call)
                request = await peer.receive()
                assert isinstance(request, Request)
                await feed_bytes(
                    client, b'{"jsonrpc":"2.0","id":1,"result":1,"error":{"code":1,"message":"x"}}'
                )
        await peer.expect_nothing()


async def test_answers_to_unknown_ids_are_dropped(caplog: pytest.LogCaptureFixture) -> None:
    async with dispatcher_and_raw_peer() as (client, peer):
        client.on_request("echo", lambda ctx: _value(ctx.params))
        with caplog.at_level(logging.WARNING, "mcpcore.dispatcher"):
            await peer.answer(12345, "stray")
            await peer.send(ErrorResponse(777, -1, "stray error"))
            await peer.send(ErrorResponse(None, -32700, "you sent garbage"))
        assert "12345" in caplog.text and "777" in caplog.text and "you sent garbage" in caplog.text
        assert await peer.request(1, "echo", {}) == Response(1, {})
        await peer.expect_nothing()


async def test_a_batch_where_batches_are_not_allowed_gets_one_error() -> None:
    async with dispatcher_and_raw_peer() as (server, peer):
        server.on_request("echo", lambda ctx: _value(ctx.params))
        await peer.send([Request(1, "echo", {}), Request(2, "echo", {})])
        reply = await peer.receive()
        assert isinstance(reply, ErrorResponse)
        assert (reply.id, reply.code) == (None, INVALID_REQUEST)
        assert "batches are not allowed" in reply.data
        await peer.expect_nothing()


# -- batches (received only under MCP 2025-03-26) -----------------------------------------------------


async def test_a_batch_is_answered_with_one_array() -> None:
    async with dispatcher_and_raw_peer(allow_batch=True) as (server, peer):
        notes: list[Any] = []
        server.on_request("echo", lambda ctx: _value(ctx.params))
        server.on_notification("note", lambda n: notes.append(n.params))
        await peer.send(
            [Request(1, "echo", {"a": 1}), Notification("note", {"n": 1}), Request("two", "nope")]
        )
        reply = await peer.receive()
        assert isinstance(reply, list)
        assert sorted(reply, key=repr) == sorted(
            [
                Response(1, {"a": 1}),
                ErrorResponse("two", METHOD_NOT_FOUND, "Method not found", {"method": "nope"}),
            ],
            key=repr,
        )
        assert notes == [{"n": 1}]


async def test_a_batch_of_notifications_gets_no_answer() -> None:
    async with dispatcher_and_raw_peer(allow_batch=True) as (server, peer):
        notes: list[Any] = []
        server.on_notification("note", lambda n: notes.append(n.params))
        await peer.send([Notification("note", {"n": 1}), Notification("note", {"n": 2})])
        await peer.expect_nothing()
        assert notes == [{"n": 1}, {"n": 2}]


async def test_invalid_entries_of_a_batch_are_answered_inside_it() -> None:
    async with dispatcher_and_raw_peer(allow_batch=True) as (server, peer):
        server.on_request("echo", lambda ctx: _value(ctx.params))
        await feed_bytes(
            server, b'[1, {"jsonrpc":"2.0","id":5,"method":"echo","params":[5]}]', allow_batch=True
        )
        reply = await peer.receive()
        assert isinstance(reply, list) and len(reply) == 2
        assert Response(5, [5]) in reply
        errors = [r for r in reply if isinstance(r, ErrorResponse)]
        assert len(errors) == 1 and (errors[0].id, errors[0].code) == (None, INVALID_REQUEST)


async def test_a_batch_waits_for_its_slowest_request_and_leaves_out_cancelled_ones() -> None:
    async with dispatcher_and_raw_peer(allow_batch=True) as (server, peer):
        release = anyio.Event()

        async def slow(ctx: RequestContext) -> Any:
            await release.wait()
            return "slow"

        async def forever(ctx: RequestContext) -> Any:
            await anyio.sleep_forever()

        server.on_request("slow", slow)
        server.on_request("forever", forever)
        server.on_request("fast", lambda ctx: _value("fast"))
        await peer.send([Request(1, "fast"), Request(2, "slow"), Request(3, "forever")])
        await anyio.sleep(0.05)
        assert peer.pending() == 0  # not before every request of the batch is done
        await peer.notify(CANCELLED, {"requestId": 3})
        release.set()
        reply = await peer.receive()
        assert isinstance(reply, list)
        assert sorted(reply, key=repr) == [Response(1, "fast"), Response(2, "slow")]


async def test_an_empty_batch_is_one_error() -> None:
    async with dispatcher_and_raw_peer(allow_batch=True) as (server, peer):
        await feed_bytes(server, b"[]", allow_batch=True)
        reply = await peer.receive()
        assert isinstance(reply, ErrorResponse) and reply.code == INVALID_REQUEST and reply.id is None


# -- close -----------------------------------------------------------------------------------------


async def test_closing_fails_every_pending_request_at_once() -> None:
    errors: list[BaseException] = []
    ours, theirs = create_pair()
    peer = RawPeer(theirs)
    async with anyio.create_task_group() as outer:
        outer.start_soon(theirs.run, peer)
        dispatcher = Dispatcher(ours)
        async with dispatcher:

            async def call() -> None:
                try:
                    await dispatcher.request("never answered", timeout=None)
                except ConnectionClosed as exc:
                    errors.append(exc)

            async with anyio.create_task_group() as tg:
                for _ in range(3):
                    tg.start_soon(call)
                for _ in range(3):
                    await peer.receive()
                with anyio.fail_after(1):
                    await dispatcher.aclose()
        outer.cancel_scope.cancel()
    peer.close()
    assert len(errors) == 3
    assert all(e.code == CONNECTION_CLOSED for e in errors)  # type: ignore[attr-defined]
    with pytest.raises(ConnectionClosed):
        await dispatcher.request("after close")
    with pytest.raises(ConnectionClosed):
        await dispatcher.notify("after close")


async def test_the_peer_closing_fails_pending_requests_and_cancels_handlers() -> None:
    ours, theirs = create_pair()
    peer = RawPeer(theirs)
    cancelled = anyio.Event()

    async def slow(ctx: RequestContext) -> Any:
        try:
            await anyio.sleep_forever()
        finally:
            cancelled.set()

    async with anyio.create_task_group() as outer:
        outer.start_soon(theirs.run, peer)
        async with Dispatcher(ours) as dispatcher:
            dispatcher.on_request("slow", slow)
            await peer.send(Request(1, "slow"))
            with anyio.fail_after(5):
                async with anyio.create_task_group() as tg:

                    async def call() -> None:
                        with pytest.raises(ConnectionClosed, match="by peer"):
                            await dispatcher.request("pending", timeout=None)

                    tg.start_soon(call)
                    await peer.receive()
                    await theirs.aclose()  # the far end hangs up
                await cancelled.wait()
                await dispatcher.wait_closed()
            assert dispatcher.closed
        outer.cancel_scope.cancel()
    peer.close()


async def test_leaving_the_context_cancels_running_handlers() -> None:
    cancelled = anyio.Event()

    async def slow(ctx: RequestContext) -> Any:
        try:
            await anyio.sleep_forever()
        finally:
            cancelled.set()

    async with dispatcher_and_raw_peer() as (server, peer):
        server.on_request("slow", slow)
        await peer.send(Request(1, "slow"))
        await anyio.sleep(0.02)
    assert cancelled.is_set()


async def test_a_handler_may_close_its_own_connection() -> None:
    async with dispatcher_pair() as (client, server):

        async def hang_up(ctx: RequestContext) -> Any:
            await ctx.dispatcher.aclose()
            return "never sent"

        server.on_request("hang up", hang_up)
        with anyio.fail_after(5), pytest.raises(ConnectionClosed):
            await client.request("hang up")
        assert server.closed


async def test_using_a_dispatcher_before_entering_it_is_an_error() -> None:
    ours, _ = create_pair()
    dispatcher = Dispatcher(ours)
    with pytest.raises(RuntimeError, match="async context manager"):
        await dispatcher.request("m")
    async with dispatcher:
        with pytest.raises(RuntimeError, match="only once"):
            await dispatcher.__aenter__()


@pytest.mark.parametrize("option", ["max_concurrency", "max_queued_notifications"])
async def test_limits_must_be_positive(option: str) -> None:
    ours, _ = create_pair()
    options: dict[str, Any] = {option: 0}
    with pytest.raises(ValueError, match=option):
        Dispatcher(ours, **options)


async def test_no_message_is_delivered_twice_or_lost_under_load() -> None:
    async with dispatcher_pair(max_concurrency=8) as (client, server):
        received: list[int] = []

        async def work(ctx: RequestContext) -> Any:
            assert isinstance(ctx.params, dict)
            if ctx.params["n"] % 3 == 0:
                await anyio.lowlevel.checkpoint()
            await ctx.notify("tick", {"n": ctx.params["n"]})
            return ctx.params["n"]

        server.on_request("work", work)

        def tick(note: Notification) -> None:
            assert isinstance(note.params, dict)
            received.append(note.params["n"])

        client.on_notification("tick", tick)
        results: list[int] = []

        async def caller(start: int) -> None:
            for n in range(start, start + 50):
                results.append(await client.request("work", {"n": n}))

        with anyio.fail_after(20):
            async with anyio.create_task_group() as tg:
                for start in range(0, 400, 50):
                    tg.start_soon(caller, start)
        assert sorted(results) == list(range(400))
        assert sorted(received) == list(range(400))
