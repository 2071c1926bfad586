"""Adversarial review of the Streamable HTTP transport: each test reproduces one defect.

Every test here failed against the code it was written for, and passes since its fix. Waits
are all bounded, and everything runs on loopback or in process.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

import anyio
import orjson
import pytest

from mcpcore.server import Context, Server
from tests.http_util import ACCEPT_BOTH, eventually, http_app, raw_client
from tests.legacy import LegacyClient as Client
from transports.http import StreamableHttpTransport
from transports.http._app import Receive, Scope, Send, StreamableHttpApp
from transports.http._legacy import LegacyConnection
from transports.http._pool import HttpClient
from transports.http._server import HttpServer

pytestmark = pytest.mark.anyio

VERSION = "2025-11-25"


def make_server() -> Server:
    server = Server("review", "1.0")
    gate = anyio.Event()
    started: list[Any] = []

    @server.tool()
    async def echo(text: str) -> str:
        """Repeat the text."""
        return text

    @server.tool()
    async def hang(ctx: Context) -> str:
        """Never answer (until cancelled)."""
        started.append(ctx.request_id)
        await anyio.sleep_forever()
        return "never"

    @server.tool()
    async def gated(ctx: Context) -> str:
        """Answer once the test opens the gate."""
        started.append(ctx.request_id)
        await gate.wait()
        return "open"

    @server.tool()
    async def chatty(ctx: Context, count: int = 1100) -> str:
        """Report progress ``count`` times in a row, then answer."""
        for step in range(1, count + 1):
            await ctx.report_progress(step, count)
        return "done"

    @server.tool()
    async def polls(ctx: Context, times: int = 8) -> str:
        """End this call's connection ``times`` times (SSE polling), then answer."""
        for _ in range(times):
            ctx.close_sse_stream()
            await anyio.sleep(0.1)
        return "polled"

    @server.resource("test://thing")
    def thing() -> str:
        return "thing"

    server.gate = gate  # type: ignore[attr-defined]
    server.started = started  # type: ignore[attr-defined]
    return server


def call(rid: int, name: str, **arguments: Any) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": rid,
        "method": "tools/call",
        "params": {"name": name, "arguments": arguments},
    }


INIT = {
    "jsonrpc": "2.0",
    "id": 0,
    "method": "initialize",
    "params": {"protocolVersion": VERSION, "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}},
}


def only_session(app: StreamableHttpApp) -> Any:
    (entry,) = app.sessions.values()
    return entry


# -- 1. a refused initialize leaves a session behind -----------------------------------------------


async def test_an_initialize_refused_with_406_leaves_no_session() -> None:
    async with http_app(make_server()) as (url, app), raw_client(url) as raw:
        for _ in range(3):
            answer = await raw.post(INIT, accept="text/html")
            assert answer.status == 406
        assert len(app.sessions) == 0


# -- 2. a JSON-mode request whose session ends never gets an answer --------------------------------


async def test_a_json_request_ends_when_its_session_ends() -> None:
    server = make_server()
    async with http_app(server, json_response=True) as (url, _), raw_client(url) as raw:
        await raw.initialize()
        answers: list[Any] = []
        answered = anyio.Event()

        async def post() -> None:
            answers.append(await raw.post(call(9, "hang")))
            answered.set()

        async with anyio.create_task_group() as tg:
            tg.start_soon(post)
            await eventually(lambda: server.started)  # type: ignore[attr-defined]
            assert (await raw.request("DELETE")).status == 200
            with anyio.move_on_after(5):
                await answered.wait()
            tg.cancel_scope.cancel()
        assert answers, "the POST is still waiting, though its session is gone"
        (answer,) = answers
        if answer.status == 200:  # then a JSON-RPC error for the request, not '[]'
            body = answer.json()
            assert isinstance(body, dict) and body.get("id") == 9 and "error" in body, body
        else:
            assert answer.status == 404


# -- 3. the client's GET stream is never reopened after a 404 --------------------------------------


async def test_the_get_stream_comes_back_after_the_session_is_renewed() -> None:
    server = make_server()
    async with http_app(server) as (url, app):
        transport = StreamableHttpTransport(url, backoff=0.01)
        async with Client(transport) as client:
            first = only_session(app)
            await eventually(lambda: first.transport.get_stream.attached)
            await app._end(first)
            # The client's GET stream ends; it tries again and is told the session is gone.
            await eventually(lambda: app.metrics._requests.get(("GET", 404)))
            await client.call_tool("echo", {"text": "renew"})  # 404, renewed, sent again
            second = only_session(app)
            assert second is not first
            await eventually(lambda: second.transport.get_stream.attached)


# -- 4. a failed HTTP+SSE fallback leaks its pooled connection -------------------------------------


async def _sse_with_foreign_endpoint(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
    """An old-style server whose endpoint event points at another origin."""
    if scope["type"] != "http":
        return
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/event-stream")]}
    )
    await send(
        {
            "type": "http.response.body",
            "body": b"event: endpoint\ndata: http://evil.example/x\n\n",
            "more_body": True,
        }
    )
    while (await receive())["type"] != "http.disconnect":
        pass


@asynccontextmanager
async def serving(app: Any) -> AsyncIterator[str]:
    http = HttpServer(app, host="127.0.0.1", port=0, shutdown_timeout=1.0, lifespan=False)
    async with anyio.create_task_group() as tg:
        await tg.start(http.serve)
        try:
            yield http.url
        finally:
            http.shutdown()
            tg.cancel_scope.cancel()


async def test_a_failed_legacy_open_gives_its_connection_back() -> None:
    async def headers(accept: str | None) -> dict[str, str]:
        return {} if accept is None else {"accept": accept}

    async def feed(item: Any) -> None:
        pass

    async with (
        serving(_sse_with_foreign_endpoint) as base,
        HttpClient(max_connections=1, pool_timeout=1.0) as http,
    ):
        legacy = LegacyConnection(f"{base}/sse", http, headers, feed, timeout=2.0)
        async with anyio.create_task_group() as tg:

            def spawn(fn: Callable[[], Awaitable[None]]) -> None:
                async def run() -> None:
                    await fn()

                tg.start_soon(run)

            with pytest.raises(Exception, match="origin"):
                await legacy.open(spawn)
        # With one connection allowed, the next request needs the one the failed open took.
        with anyio.fail_after(5):
            response = await http.request("GET", f"{base}/other", headers={"accept": "text/event-stream"})
            await response.aclose()
        assert response.status == 200


# -- 5. abandoned resumable streams pile up in their session ---------------------------------------


async def test_streams_the_client_left_are_forgotten_once_finished() -> None:
    server = make_server()
    async with http_app(server, sse_after=0) as (url, app), raw_client(url) as raw:
        await raw.initialize()
        entry = only_session(app)
        assert raw.session is not None
        headers = {
            "accept": ACCEPT_BOTH,
            "content-type": "application/json",
            "mcp-session-id": raw.session,
            "mcp-protocol-version": VERSION,
        }
        for rid in range(10, 20):
            with anyio.fail_after(5):
                response = await raw.http.request(
                    "POST", url, headers=headers, body=orjson.dumps(call(rid, "gated"))
                )
                assert response.status == 200
                await response.aclose()  # the client leaves before the answer
        await eventually(lambda: len(server.started) == 10)  # type: ignore[attr-defined]
        await eventually(lambda: not any(s.attached for s in entry.transport.streams.values()))
        server.gate.set()  # type: ignore[attr-defined]
        await eventually(lambda: not entry.transport.routes)  # every answer is in (and in the store)
        # The answers wait in the event store for a client that resumes; the live streams,
        # finished and with nobody attached, need not stay (nor their outboxes) for the session's life.
        await eventually(lambda: len(entry.transport.streams) == 1, timeout=2.0)


# -- 6. Origin == Host lets a DNS-rebinding page in ------------------------------------------------


async def _asgi(
    app: StreamableHttpApp, method: str, headers: dict[str, str], body: bytes, server: tuple[str, int]
) -> tuple[int, bytes]:
    """One request to ``app`` in process (no socket): its status and body."""
    sent: list[MutableMapping[str, Any]] = []
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": method,
        "path": app.path,
        "root_path": "",
        "query_string": b"",
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
        "client": ("203.0.113.7", 50000),
        "server": server,
    }
    with anyio.fail_after(5):
        await app(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    return status, b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


async def test_a_rebinding_origin_is_refused_on_a_routable_bind() -> None:
    # Bound to a LAN address with default options; a page of rebind.attacker.example, whose
    # name now resolves to that address, POSTs from the victim's browser: Host and Origin agree.
    app = StreamableHttpApp(make_server(), access_log=False)
    async with app.running():
        status, _ = await _asgi(
            app,
            "POST",
            {
                "host": "rebind.attacker.example:8000",
                "origin": "http://rebind.attacker.example:8000",
                "content-type": "application/json",
                "accept": ACCEPT_BOTH,
            },
            orjson.dumps(INIT),
            ("192.0.2.10", 8000),
        )
        assert status == 403
        assert not app.sessions


# -- 7. one client that stops reading its GET stream stalls a broadcast ----------------------------


async def test_a_stalled_get_stream_does_not_block_notify_resource_updated() -> None:
    server = make_server()
    async with http_app(server, sse_write_timeout=0.5) as (url, app), raw_client(url) as raw:
        await raw.initialize()
        assert raw.session is not None
        subscribe = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "resources/subscribe",
            "params": {"uri": "test://thing"},
        }
        assert (await raw.post(subscribe)).status == 200
        entry = only_session(app)
        stuck = anyio.Event()

        # The GET stream of a client whose TCP window stays full: each write of its body waits.
        async def receive() -> dict[str, Any]:
            await anyio.sleep_forever()
            raise AssertionError("unreachable")

        async def send(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.body" and message.get("body"):
                stuck.set()
                await anyio.sleep_forever()

        scope = {
            "type": "http",
            "method": "GET",
            "path": app.path,
            "root_path": "",
            "query_string": b"",
            "headers": [
                (b"host", b"127.0.0.1"),
                (b"accept", b"text/event-stream"),
                (b"mcp-session-id", raw.session.encode()),
                (b"mcp-protocol-version", VERSION.encode()),
            ],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
        }
        delivered = False

        async def first_receive() -> dict[str, Any]:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": b"", "more_body": False}
            return await receive()

        done = 0
        async with anyio.create_task_group() as tg:
            tg.start_soon(app, scope, first_receive, send)
            await eventually(lambda: entry.transport.get_stream.attached)
            with anyio.move_on_after(5):
                for _ in range(1200):  # more than the stream holds unwritten
                    await server.notify_resource_updated("test://thing")
                    done += 1
            tg.cancel_scope.cancel()
        assert stuck.is_set()
        assert done == 1200, f"notify_resource_updated hung after {done} calls"


# -- 8. a pending request of the HTTP+SSE client waits out its timeout -----------------------------


async def test_the_legacy_client_fails_pending_requests_when_its_stream_ends() -> None:
    server = make_server()
    outcome: list[BaseException] = []
    failed = anyio.Event()
    async with (
        http_app(server, legacy_sse=True) as (url, app),
        Client(url.replace("/mcp", "/sse"), versions=["2024-11-05"]) as client,
    ):

        async def pending() -> None:
            try:
                await client.call_tool("hang", {})
            except Exception as exc:
                outcome.append(exc)
                failed.set()

        async with anyio.create_task_group() as tg:
            tg.start_soon(pending)
            await eventually(lambda: server.started)  # type: ignore[attr-defined]
            await app._end(only_session(app))  # the server ends the session: its stream closes
            with anyio.move_on_after(5):  # far less than the request timeout (60 s)
                await failed.wait()
            tg.cancel_scope.cancel()
    assert outcome, "the pending request still waits for an answer that cannot come"


# -- 9. events sent before a POST stream is attached are dropped -----------------------------------


async def test_progress_sent_before_the_stream_attaches_is_not_lost() -> None:
    async with http_app(make_server(), event_store=None) as (url, _), raw_client(url) as raw:
        await raw.initialize()
        request = call(5, "chatty", count=1100)
        request["params"]["_meta"] = {"progressToken": "p"}
        answer = await raw.post(request)
        messages = answer.messages()
        progress = [m["params"]["progress"] for m in messages if m.get("method") == "notifications/progress"]
        assert messages[-1]["result"]["content"][0]["text"] == "done"
        assert progress == list(range(1, 1101))


# -- 10. initialize escapes the rate limit ---------------------------------------------------------


async def test_one_client_cannot_mint_sessions_past_the_rate_limit() -> None:
    async with http_app(make_server(), rate_limit=(1.0, 3)) as (url, app), raw_client(url) as raw:
        statuses = [(await raw.post(INIT)).status for _ in range(10)]
        assert 429 in statuses, f"{len(app.sessions)} sessions from one client, statuses {statuses}"


# -- 11. the version header overrides the version the session negotiated ---------------------------


async def test_a_session_without_batches_refuses_one_whatever_the_header_says() -> None:
    async with http_app(make_server()) as (url, _), raw_client(url) as raw:
        await raw.initialize("2025-06-18")
        batch = [call(1, "echo", text="a"), call(2, "echo", text="b")]
        answer = await raw.post(
            batch, headers={"mcp-protocol-version": "2025-03-26"}, accept="application/json"
        )
        assert answer.status == 400


# -- 12. the client keeps reading the stream of a request it gave up on ----------------------------


class _DeafServer:
    """A Streamable HTTP server that ignores notifications/cancelled: a tools/call streams
    keep-alive comments until the client goes. Counts the streams still open."""

    def __init__(self) -> None:
        self.open_streams = 0
        self.calls = 0

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        if scope["method"] != "POST":
            await send({"type": "http.response.start", "status": 405, "headers": [(b"content-length", b"0")]})
            await send({"type": "http.response.body", "body": b""})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        request = orjson.loads(body)
        method, rid = request.get("method"), request.get("id")
        if rid is None:
            await send({"type": "http.response.start", "status": 202, "headers": [(b"content-length", b"0")]})
            await send({"type": "http.response.body", "body": b""})
            return
        if method == "tools/call":
            self.calls += 1
            await self._stream(receive, send)
            return
        results: dict[str, Any] = {
            "initialize": {
                "protocolVersion": VERSION,
                "capabilities": {"tools": {}},
                "serverInfo": {"name": "deaf", "version": "1"},
            },
            "tools/list": {"tools": [{"name": "slow", "inputSchema": {"type": "object"}}]},
            "ping": {},
        }
        answer = orjson.dumps({"jsonrpc": "2.0", "id": rid, "result": results.get(method, {})})
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(answer)).encode())]
        if method == "initialize":
            headers.append((b"mcp-session-id", b"deaf-session"))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": answer})

    async def _stream(self, receive: Any, send: Any) -> None:
        self.open_streams += 1
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"text/event-stream")],
                }
            )
            async with anyio.create_task_group() as tg:

                async def keepalive() -> None:
                    while True:
                        await send(
                            {"type": "http.response.body", "body": b": keep-alive\n\n", "more_body": True}
                        )
                        await anyio.sleep(0.05)

                tg.start_soon(keepalive)
                while (await receive())["type"] != "http.disconnect":
                    pass
                tg.cancel_scope.cancel()
        except OSError:
            pass
        finally:
            self.open_streams -= 1


async def test_the_client_lets_go_of_the_stream_of_a_request_it_gave_up_on() -> None:
    deaf = _DeafServer()
    async with serving(deaf) as base:
        transport = StreamableHttpTransport(f"{base}/mcp", max_connections=2, timeout=2.0)
        async with Client(transport) as client:
            for _ in range(2):
                with pytest.raises(Exception, match="no answer within"):
                    await client.call_tool("slow", {}, timeout=0.2)
            assert deaf.calls == 2
            # Both calls are over for the caller; the connections they held should be free.
            await eventually(lambda: deaf.open_streams == 0, timeout=3.0)
            with anyio.fail_after(5):
                await client.ping()


# -- 13. the client counts the server's polling as failures ----------------------------------------


async def test_the_client_follows_a_server_that_polls_more_than_max_reconnects_times() -> None:
    async with http_app(make_server(), sse_retry_ms=10) as (url, _), Client(url) as client:
        assert client.protocol_version == VERSION
        result = await client.call_tool("polls", {"times": 8})
        assert not result.get("isError"), result
        assert result["content"][0]["text"] == "polled"  # type: ignore[typeddict-item]


# -- 14. a session busy for longer than the idle timeout expires the moment it is done -------------


async def test_a_session_is_not_idle_right_after_a_long_call() -> None:
    server = make_server()
    async with http_app(server, session_idle_timeout=2.0, sse_after=0) as (url, app), raw_client(url) as raw:
        await raw.initialize()
        entry = only_session(app)
        answers: list[Any] = []

        async def post() -> None:
            answers.append(await raw.post(call(9, "gated")))

        async with anyio.create_task_group() as tg:
            tg.start_soon(post)
            await eventually(lambda: server.started)  # type: ignore[attr-defined]
            await anyio.sleep(2.5)  # the call outlasts the idle timeout; a busy session is kept
            assert entry.id in app.sessions
            server.gate.set()  # type: ignore[attr-defined]
            await eventually(lambda: answers)
        assert answers[0].messages()[-1]["result"]["content"][0]["text"] == "open"
        # The session was in use a moment ago: it is a full idle timeout away from expiring.
        await anyio.sleep(1.0)  # two sweeps of the expiry task (every 0.5 s here)
        assert entry.id in app.sessions, "the session expired right after its call ended"


# -- 15. one failed renewal leaves the client without a session for good ---------------------------


async def test_the_client_renews_again_after_a_failed_renewal() -> None:
    app = StreamableHttpApp(make_server(), access_log=False)
    refuse_initialize = False

    async def flaky(scope: Scope, receive: Receive, send: Send) -> None:
        """The app, except that while ``refuse_initialize`` an initialize gets 503 (an overloaded server)."""
        if refuse_initialize and scope["type"] == "http" and scope["method"] == "POST":
            message = await receive()
            if b'"initialize"' in message.get("body", b""):
                await send(
                    {"type": "http.response.start", "status": 503, "headers": [(b"content-length", b"0")]}
                )
                await send({"type": "http.response.body", "body": b""})
                return
            replayed = False

            async def replay() -> MutableMapping[str, Any]:
                nonlocal replayed
                if not replayed:
                    replayed = True
                    return message
                return await receive()

            await app(scope, replay, send)
            return
        await app(scope, receive, send)

    async with app.running(), serving(flaky) as base:
        transport = StreamableHttpTransport(f"{base}{app.path}", backoff=0.01)
        async with Client(transport) as client:
            await app._end(only_session(app))  # the server forgets the session
            refuse_initialize = True
            with pytest.raises(Exception, match="renewing"):
                await client.call_tool("echo", {"text": "first"})  # 404; the renewal gets 503
            refuse_initialize = False
            result = await client.call_tool("echo", {"text": "second"})  # the server is well again
            assert result["content"][0]["text"] == "second"  # type: ignore[typeddict-item]
