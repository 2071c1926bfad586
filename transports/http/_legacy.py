"""The HTTP+SSE transport of MCP 2024-11-05, kept for clients and servers that still speak it.

Deprecated since 2025-03-26 in favour of Streamable HTTP, but clients of that era are still
around, so a server may offer it beside the new endpoint and a client falls back to it:

* the client opens an SSE stream with ``GET /sse``; the server's first event is ``endpoint``,
  whose data is the URI the client must POST its messages to (here
  ``/messages?session_id=<id>``);
* every server message, answers included, is a ``message`` event on that one stream;
* every client message is a POST to the endpoint, answered 202 with no body.

A session lives as long as its GET stream: when the client goes, the session ends. The
server half reuses the Streamable HTTP session with every message sent to its GET stream; the
client half (:class:`LegacyConnection`) is what :class:`~transports.http.StreamableHttpTransport`
switches to when a server answers its initialize POST with 400, 404 or 405.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import urllib.parse
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

import anyio

from mcpcore.dispatcher import Incoming
from mcpcore.errors import ConnectionClosed
from mcpcore.framing import SSEDecoder, SSEEvent
from mcpcore.wire import DecodeError, Message, RequestId, decode, encode

from ._streams import HttpSession, pump

if TYPE_CHECKING:
    from ._app import Receive, Send, StreamableHttpApp, _Exchange
    from ._pool import HttpClient, Response

__all__ = ["LegacyConnection", "LegacySession", "legacy_get", "legacy_post"]

_log = logging.getLogger("mcpcore.http")


class LegacySession(HttpSession):
    """A session of the old transport: everything the server sends goes on the one GET stream."""

    async def send(
        self, message: Message | list[Message], related_request_id: RequestId | None = None
    ) -> None:
        if self.is_closed:
            raise ConnectionClosed("Connection closed: the SSE stream ended")
        await self._deliver(self.get_stream, message)


# -- the server half ------------------------------------------------------------------------------


async def legacy_get(
    app: StreamableHttpApp, ex: _Exchange, principal: Any, receive: Receive, send: Send
) -> None:
    """``GET /sse``: a new session, its endpoint event, then everything the server sends."""
    from ._app import _GONE, _SSE_HEADERS, _accepts, _client_key, _Entry, _Refused, _until

    ex.mcp_method = "GET sse"
    if not _accepts(ex.headers.get("accept"))[1]:
        raise _Refused(406, "Not Acceptable: this endpoint is text/event-stream", code=None)
    if app._tg is None:
        raise _Refused(503, "Service Unavailable: the MCP app is not running", code=None)
    app._check_rate("address " + _client_key(ex))
    if len(app.sessions) >= app.max_sessions:
        raise _Refused(
            503, "Service Unavailable: too many sessions", code=None, headers=[(b"retry-after", b"5")]
        )
    sid = secrets.token_urlsafe(24)
    transport = LegacySession(sid)
    entry = _Entry(sid, transport, principal, legacy=True)
    app.sessions[sid] = entry
    ex.session = sid
    try:
        await app._tg.start(app._run_session, entry)
        root = ex.scope.get("root_path", "")
        endpoint = f"{root}{app.legacy_messages_path}?session_id={sid}".encode()
        await app._start(ex, send, 200, list(_SSE_HEADERS))

        async def write(chunk: bytes) -> None:
            ex.sent += len(chunk)
            await send({"type": "http.response.body", "body": chunk, "more_body": True})

        async def run() -> str:
            await write(b"event: endpoint\ndata: " + endpoint + b"\n\n")
            return await pump(transport.get_stream, write, keepalive=app.sse_keepalive)

        transport.get_stream.attached = True
        app._streams += 1
        try:
            outcome = await _until(run(), receive)
        except OSError:
            outcome = _GONE
        finally:
            app._streams -= 1
            transport.get_stream.detach()
        if outcome is not _GONE:
            with contextlib.suppress(OSError):
                await send({"type": "http.response.body", "body": b"", "more_body": False})
    finally:
        await app._end(entry)


async def legacy_post(
    app: StreamableHttpApp, ex: _Exchange, principal: Any, receive: Receive, send: Send
) -> None:
    """``POST /messages?session_id=...``: one client message into its session; 202."""
    from ._app import _Refused

    content_type = ex.headers.get("content-type", "")
    if content_type.split(";", 1)[0].strip().lower() != "application/json":
        raise _Refused(415, f"Unsupported Media Type {content_type!r}: the body must be application/json")
    query = urllib.parse.parse_qs(ex.scope.get("query_string", b"").decode("latin-1"))
    sid = (query.get("session_id") or [None])[0]
    if sid is None:
        raise _Refused(400, "Bad Request: session_id is missing from the query")
    entry = app.sessions.get(sid)
    if entry is None or not isinstance(entry.transport, LegacySession):
        raise _Refused(404, "Session not found: open a new one with GET on the SSE endpoint")
    if app.auth is not None and entry.principal != principal:
        raise _Refused(403, "Forbidden: this session belongs to another principal")
    ex.session = sid
    app._check_rate(sid)
    body = await app._read_body(receive)
    try:
        item = decode(body, allow_batch=entry.transport.allow_batch)
    except DecodeError as exc:
        raise _Refused(400, exc.message, code=exc.code, rid=exc.id) from None
    ex.mcp_method = getattr(item, "method", "message") if not isinstance(item, list) else "batch"
    await entry.transport.feed(item)
    await app._respond(ex, send, 202, b"Accepted", b"text/plain; charset=utf-8")


# -- the client half ------------------------------------------------------------------------------


class LegacyConnection:
    """A client connection over HTTP+SSE: one GET stream in, one POST per message out."""

    def __init__(
        self,
        url: str,
        http: HttpClient,
        headers: Callable[[str | None], Awaitable[dict[str, str]]],
        feed: Callable[[Incoming], Awaitable[None]],
        *,
        timeout: float,
        on_end: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.url = url
        self._on_end = on_end
        self.endpoint: str | None = None
        self._http = http
        self._headers = headers
        self._feed = feed
        self._timeout = timeout
        self._response: Response | None = None
        self._events: AsyncGenerator[SSEEvent, None] | None = None

    async def open(self, spawn: Callable[[Callable[[], Awaitable[None]]], None]) -> None:
        """GET the stream and wait for the endpoint event; then read the rest in a task ``spawn`` starts."""
        headers = await self._headers("text/event-stream")
        headers.pop("mcp-session-id", None)
        headers.pop("mcp-protocol-version", None)
        response = await self._http.request("GET", self.url, headers=headers, read_timeout=None)
        try:
            await self._await_endpoint(response)
        except BaseException:
            with anyio.CancelScope(shield=True):
                if self._events is not None:
                    await self._events.aclose()
                await response.aclose()  # its connection goes back (closed) to the pool
            raise
        spawn(self._read)

    async def _await_endpoint(self, response: Response) -> None:
        """Check the stream's head and read up to its endpoint event."""
        kind = (response.header("content-type") or "").split(";", 1)[0].strip().lower()
        if response.status != 200 or kind != "text/event-stream":
            await response.aclose()
            raise ConnectionClosed(f"GET {self.url} answered HTTP {response.status} {kind or ''}".rstrip())
        response.read_timeout = None
        self._response = response
        self._events = _events(response)
        with anyio.fail_after(self._timeout):
            async for event in self._events:
                if event.event == "endpoint":
                    self.endpoint = self._check_endpoint(event.data.strip())
                    break
        if self.endpoint is None:
            await response.aclose()
            raise ConnectionClosed("the SSE stream ended before its endpoint event")

    def _check_endpoint(self, data: str) -> str:
        endpoint = urllib.parse.urljoin(self.url, data)
        ours, theirs = urllib.parse.urlsplit(self.url), urllib.parse.urlsplit(endpoint)
        if (ours.scheme, ours.netloc) != (theirs.scheme, theirs.netloc):
            # Posting our messages to wherever a server says would let it redirect them anywhere.
            raise ConnectionClosed(f"the endpoint {endpoint!r} is not on the server's origin")
        return endpoint

    async def _read(self) -> None:
        assert self._events is not None
        try:
            async for event in self._events:
                if event.event != "message" or not event.data:
                    continue
                try:
                    item = decode(event.data.encode(), allow_batch=True)
                except DecodeError as exc:
                    _log.warning("the server sent something that is not JSON-RPC: %s", exc.data)
                    continue
                await self._feed(item)
        except Exception as exc:
            _log.info("the HTTP+SSE stream broke: %s", exc)
        finally:
            _log.info("the HTTP+SSE stream of %s ended", self.url)
            if self._on_end is not None:
                with anyio.CancelScope(shield=True):
                    await self._on_end()

    async def send(self, message: Message | list[Message]) -> None:
        if self.endpoint is None:
            raise ConnectionClosed("the HTTP+SSE connection is not open")
        headers = await self._headers(None)
        headers["content-type"] = "application/json"
        headers.pop("mcp-session-id", None)
        headers.pop("mcp-protocol-version", None)
        response = await self._http.request("POST", self.endpoint, headers=headers, body=encode(message))
        async with response:
            if response.status >= 300:
                detail = (await response.read(64 * 1024)).decode("utf-8", "replace").strip()[:300]
                raise ConnectionClosed(f"the server refused a message with HTTP {response.status}: {detail}")
            await response.read(64 * 1024)

    async def aclose(self) -> None:
        if self._response is not None:
            await self._response.aclose()


async def _events(response: Response) -> AsyncGenerator[SSEEvent, None]:
    decoder = SSEDecoder()
    async for chunk in response.iter_bytes():
        for event in decoder.feed(chunk):
            if isinstance(event, SSEEvent):
                yield event
