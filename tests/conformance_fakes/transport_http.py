"""Streamable HTTP servers for the transport scenarios' tests: ours, and ours broken one rule at a time.

:func:`fixture_server` is a small MCP server with the conventional fixture tools the HTTP
scenarios use when a server has them (progress before the answer, a request back to the
client, a stream whose connection drops mid-call). :class:`BreakingApp` wraps our
:class:`~transports.http.StreamableHttpApp` and breaks the rules named in ``rules`` by
rewriting requests on their way in and answers on their way out, so that everything else
stays correct and a test sees only the check it aims at fail. :class:`LeakyStore` and
:class:`RewindStore` are event stores that resume streams wrongly. :func:`serving` runs an
ASGI app on our own HTTP server on 127.0.0.1, on a free port, in the current task.

The rules:

* ``notification-200``: an accepted notification gets 200 instead of 202;
* ``response-200``: an accepted JSON-RPC response gets 200 instead of 202;
* ``content-type-text``: the suite's raw requests are answered as ``text/plain``;
* ``ignore-accept`` / ``ignore-content-type``: the request's Accept / Content-Type is ignored;
* ``get-404``: GET on the endpoint gets 404;
* ``get-response``: the GET stream carries a JSON-RPC response;
* ``session-id-space``: session ids hold a space;
* ``sessionless-ok``: a request without the session id is served in the last session opened;
* ``unknown-session-400``: a session id never issued gets 400 instead of 404;
* ``delete-500`` / ``delete-noop``: DELETE fails with 500 / answers 200 and ends nothing;
* ``version-ignored`` / ``version-required``: MCP-Protocol-Version is dropped / demanded;
* ``origin-400``: a refused Origin gets 400 instead of 403;
* ``reject-origins``: every request with an Origin gets 403;
* ``no-priming`` / ``no-retry``: the priming event / the ``retry`` field are cut from streams;
* ``stream-lingers``: the first POST stream stays open after its last event, until the client leaves;
* ``drop-answers``: events carrying the result of one of the suite's raw requests are cut from streams;
* ``foreign-progress``: progress notifications name a token the client never sent;
* ``ids-repeat``: every event id is ``1``.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

import anyio
import orjson

from mcpcore.server import Context, Server
from transports.http import HttpServer, MemoryEventStore

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

RULES = frozenset(
    {
        "notification-200",
        "response-200",
        "content-type-text",
        "ignore-accept",
        "ignore-content-type",
        "get-404",
        "get-response",
        "session-id-space",
        "sessionless-ok",
        "unknown-session-400",
        "delete-500",
        "delete-noop",
        "version-ignored",
        "version-required",
        "origin-400",
        "reject-origins",
        "no-priming",
        "no-retry",
        "stream-lingers",
        "drop-answers",
        "foreign-progress",
        "ids-repeat",
    }
)
_PRIMING = re.compile(rb"id: [^\n]*\nretry: \d+\ndata: \n\n")
_RETRY = re.compile(rb"retry: \d+\n")
_EVENT_ID = re.compile(rb"(?m)^id: .*$")
_LINGER_LIMIT = 10.0  # seconds a lingering stream waits for the client to leave


def fixture_server() -> Server:
    """A server with the fixture tools the HTTP scenarios look for, and nothing else."""
    server = Server("transport-fixtures", "1.0.0")

    @server.tool("test_tool_with_progress")
    async def with_progress(ctx: Context) -> str:
        for step in (0, 50, 100):
            await ctx.report_progress(step, 100)
            await anyio.sleep(0.02)
        return "done"

    @server.tool("test_sampling")
    async def sampling(prompt: str, ctx: Context) -> str:
        result = await ctx.sample(prompt, max_tokens=50)
        return str(result.get("model"))

    @server.tool("test_reconnection")
    async def reconnection(ctx: Context) -> str:
        closed = ctx.close_sse_stream()
        await anyio.sleep(0.1)  # answered after the connection is gone: it must be replayed
        return f"closed={closed}"

    return server


class LeakyStore(MemoryEventStore):
    """Replays the events of every stream of the session, not only the one resumed."""

    async def replay(self, session: str, stream: str, after: int) -> list[tuple[int, bytes]] | None:
        own = await super().replay(session, stream, after)
        others = [
            event
            for name, events in self._sessions.get(session, {}).items()
            if name != stream
            for event in events
        ]
        return None if own is None else own + others


class RewindStore(MemoryEventStore):
    """Replays a stream from its start, whatever the Last-Event-ID."""

    async def replay(self, session: str, stream: str, after: int) -> list[tuple[int, bytes]] | None:
        return await super().replay(session, stream, 0)


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return bytes(value)
    return None


def _with_header(scope: Scope, name: bytes, value: bytes | None) -> Scope:
    headers = [(k, v) for k, v in scope["headers"] if k.lower() != name]
    if value is not None:
        headers.append((name, value))
    return {**scope, "headers": headers}


class BreakingApp:
    """An ASGI app around another that breaks the named rules (see the module's docstring)."""

    def __init__(self, app: ASGIApp, *rules: str) -> None:
        unknown = set(rules) - RULES
        if unknown:
            raise ValueError(f"unknown rules: {sorted(unknown)}")
        self.app = app
        self.rules = frozenset(rules)
        self.issued: list[bytes] = []  # session ids the app issued, as the app spelled them
        self.lingered = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        body = b""
        if method == "POST":  # read whole, to look at it, and handed on as it came
            chunks = []
            while True:
                message = await receive()
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    break
            body = b"".join(chunks)
            receive = _replaying(body, receive)
        try:
            parsed = orjson.loads(body) if body else None
        except orjson.JSONDecodeError:
            parsed = None
        is_notification = isinstance(parsed, dict) and "method" in parsed and "id" not in parsed
        is_response = isinstance(parsed, dict) and "method" not in parsed and "id" in parsed
        initialize = isinstance(parsed, dict) and parsed.get("method") == "initialize"
        raw = b'"id":"mcp-conformance-' in body
        rules = self.rules

        if "get-404" in rules and method == "GET":
            await _plain(send, 404, b"no stream here")
            return
        if "delete-noop" in rules and method == "DELETE":
            await _plain(send, 200, b"")
            return
        if "reject-origins" in rules and _header(scope, b"origin") is not None:
            await _plain(send, 403, b"no browsers")
            return
        version = _header(scope, b"mcp-protocol-version")
        if "version-required" in rules and method == "POST" and not initialize and version is None:
            await _plain(send, 400, b"MCP-Protocol-Version is required")
            return

        sid = _header(scope, b"mcp-session-id")
        if "session-id-space" in rules and sid is not None:
            scope = _with_header(scope, b"mcp-session-id", sid.replace(b" ", b""))
        if "sessionless-ok" in rules and sid is None and method == "POST" and not initialize and self.issued:
            scope = _with_header(scope, b"mcp-session-id", self.issued[-1])
        unknown_sid = sid is not None and sid.replace(b" ", b"") not in self.issued
        if "ignore-accept" in rules:
            scope = _with_header(scope, b"accept", b"application/json, text/event-stream")
        if "ignore-content-type" in rules and method == "POST":
            scope = _with_header(scope, b"content-type", b"application/json")
        if "version-ignored" in rules:
            scope = _with_header(scope, b"mcp-protocol-version", None)

        state: dict[str, Any] = {"sse": False, "start": None}

        async def patched(message: Message) -> None:
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                for key, value in headers:
                    if key.lower() == b"mcp-session-id" and value not in self.issued:
                        self.issued.append(bytes(value))
                if status == 202 and (
                    ("notification-200" in rules and is_notification)
                    or ("response-200" in rules and is_response)
                ):
                    status = 200
                if "unknown-session-400" in rules and status == 404 and unknown_sid:
                    status = 400
                if "delete-500" in rules and method == "DELETE" and 200 <= status < 300:
                    status = 500
                if "origin-400" in rules and status == 403:
                    status = 400
                if "session-id-space" in rules:
                    headers = [
                        (k, v[:4] + b" " + v[4:] if k.lower() == b"mcp-session-id" else v) for k, v in headers
                    ]
                content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                state["sse"] = content_type.startswith(b"text/event-stream")
                if "content-type-text" in rules and raw and method == "POST" and status == 200:
                    headers = [(k, b"text/plain" if k.lower() == b"content-type" else v) for k, v in headers]
                await send({**message, "status": status, "headers": headers})
                if "get-response" in rules and method == "GET" and state["sse"]:
                    injected = b'data: {"jsonrpc":"2.0","id":"injected","result":{}}\n\n'
                    await send({"type": "http.response.body", "body": injected, "more_body": True})
                return
            if message["type"] == "http.response.body" and state["sse"]:
                chunk = self._rewrite(bytes(message.get("body", b"")))
                more = message.get("more_body", False)
                if not more and "stream-lingers" in rules and method == "POST" and not self.lingered:
                    self.lingered = True  # once is enough to show it, and each costs the suite a wait
                    with anyio.move_on_after(_LINGER_LIMIT):
                        while (await receive())["type"] != "http.disconnect":
                            pass
                await send({**message, "body": chunk})
                return
            await send(message)

        await self.app(scope, receive, patched)

    def _rewrite(self, chunk: bytes) -> bytes:
        rules = self.rules
        if "no-priming" in rules:
            chunk = _PRIMING.sub(b"", chunk)
        if "no-retry" in rules:
            chunk = _RETRY.sub(b"", chunk)
        if "ids-repeat" in rules:
            chunk = _EVENT_ID.sub(b"id: 1", chunk)
        if "foreign-progress" in rules:
            chunk = chunk.replace(
                b'"progressToken":"mcp-conformance-progress-', b'"progressToken":"elsewhere-'
            )
        if "drop-answers" in rules:
            blocks = chunk.split(b"\n\n")
            chunk = b"\n\n".join(
                block for block in blocks if not (b'"result"' in block and b'"id":"mcp-conformance-' in block)
            )
        return chunk


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the body once more, then the client's own events."""
    given = False

    async def again() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return again


async def _plain(send: Send, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@asynccontextmanager
async def serving(app: ASGIApp) -> AsyncIterator[str]:
    """Serve ``app`` on 127.0.0.1 (a free port) while the block runs; yields the MCP URL."""
    http = HttpServer(app, host="127.0.0.1", port=0, shutdown_timeout=2.0)
    async with anyio.create_task_group() as tg:
        await tg.start(http.serve)
        try:
            yield f"http://127.0.0.1:{http.port}/mcp"
        finally:
            tg.cancel_scope.cancel()
