"""The client side of Streamable HTTP, as a transport for :class:`mcpcore.client.Client`.

``Client(StreamableHttpTransport("http://127.0.0.1:8000/mcp"))`` (or just ``Client(url)``).
Every message the dispatcher sends becomes a POST on a pooled keep-alive connection:

* a notification or a response is POSTed and ``send`` returns once the server took it (202):
  the order of what the client says is the order the server hears it;
* a request is POSTed by a task of its own, and ``send`` returns at once: the dispatcher's
  timeout and cancellation cover the whole exchange, and requests run side by side. The
  answer comes as one JSON body or as an SSE stream carrying the server's notifications and
  requests about it first; both are fed to the dispatcher as they arrive.

Around that, the rules that make a remote session dependable:

* the session id from the initialize answer goes on every later request, and so does the
  negotiated ``MCP-Protocol-Version`` (both read off the messages going by; the protocol
  layer need not know this transport exists);
* after ``notifications/initialized`` a GET stream is opened for what the server sends of its
  own accord (a 405 means the server offers none);
* a stream that breaks before its answers arrived is resumed with ``GET`` + ``Last-Event-ID``
  after the server's ``retry`` delay, and failed connections are retried with exponential
  backoff and jitter, a bounded number of times; an answer that cannot be had ends its request
  with an error instead of leaving it waiting;
* a 404 on a session means the server forgot it: the transport initializes a new session
  with the same parameters, reports it (``on_session_expired``, and a warning), and sends the
  message again;
* a 400, 404 or 405 to the initialize POST means an old server: the transport falls back to
  the 2024-11-05 HTTP+SSE transport (``legacy_fallback``);
* closing sends DELETE to end the session on the server.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import random
import urllib.parse
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

import anyio

from mcpcore.dispatcher import Incoming, Receiver
from mcpcore.errors import CONNECTION_CLOSED, ConnectionClosed, McpError
from mcpcore.framing import SSEDecoder, SSEEvent
from mcpcore.modern import PROTOCOL_VERSION, HeaderParameter, encode_header_value, is_modern
from mcpcore.wire import (
    DecodeError,
    ErrorResponse,
    Message,
    Notification,
    Request,
    RequestId,
    Response,
    decode,
    encode,
)

from ._pool import ConnectError, HttpClient, HttpError
from ._pool import Response as HttpResponse

if TYPE_CHECKING:
    from anyio.abc import TaskGroup

__all__ = ["HeadersHook", "SessionExpired", "StreamableHttpTransport"]

_log = logging.getLogger("mcpcore.http")

HeadersHook = Callable[[], "Mapping[str, str] | Awaitable[Mapping[str, str]]"]
"""Extra headers for each HTTP request (authorization, tracing), computed per request."""

_ACCEPT_BOTH: Final = "application/json, text/event-stream"
_MAX_REMEMBERED: Final = 4096  # modern request ids kept, to know how each is cancelled
# The body field that Mcp-Name mirrors, per method.
_NAMED: Final = {"tools/call": "name", "prompts/get": "name", "resources/read": "uri"}


class SessionExpired(McpError):
    """The server no longer knows the session (404) and it could not be renewed."""

    def __init__(self, message: str) -> None:
        super().__init__(CONNECTION_CLOSED, message)


class _Fallback(Exception):
    """The server answered initialize the way a server of the old HTTP+SSE transport does."""


class StreamableHttpTransport:
    """A Streamable HTTP connection to one MCP endpoint. Use it as an async context manager
    (``Client`` does that for you).

    * ``headers``: extra headers, a mapping or a :data:`HeadersHook` called for each request;
    * ``timeout``: seconds to connect and to get the head of each answer (30);
    * ``sse_read_timeout``: seconds a stream may stay silent before it counts as broken (300;
      servers send keep-alive comments well within that);
    * ``max_reconnects``: attempts to resume a stream or reach the server before giving up (5),
      waiting ``backoff`` seconds, doubled each time up to ``max_backoff``, with jitter;
    * ``terminate_on_close``: send DELETE for the session when closing (True);
    * ``legacy_fallback``: fall back to HTTP+SSE when initialize gets 400, 404 or 405 (True);
    * ``on_session_expired``: called (sync or async) after the transport renewed a session the
      server had forgotten: subscriptions and log levels of the old one are gone;
    * ``max_message_size``: bytes of one JSON answer or SSE event at most (32 MiB);
    * ``http``: an :class:`~transports.http._pool.HttpClient` to share; by default one is made
      with ``max_connections`` per origin.
    """

    allow_batch = False

    def __init__(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | HeadersHook | None = None,
        timeout: float = 30.0,
        sse_read_timeout: float = 300.0,
        max_reconnects: int = 5,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        terminate_on_close: bool = True,
        legacy_fallback: bool = True,
        on_session_expired: Callable[[], Any] | None = None,
        max_message_size: int = 32 * 1024 * 1024,
        max_connections: int = 100,
        http: HttpClient | None = None,
    ) -> None:
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        if max_reconnects < 0 or backoff < 0 or timeout <= 0 or sse_read_timeout <= 0:
            raise ValueError("timeouts must be positive and max_reconnects, backoff not negative")
        self.url = url
        self.headers = headers
        self.timeout = timeout
        self.sse_read_timeout = sse_read_timeout
        self.max_reconnects = max_reconnects
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.terminate_on_close = terminate_on_close
        self.legacy_fallback = legacy_fallback
        self.on_session_expired = on_session_expired
        self.max_message_size = max_message_size
        self._own_http = http is None
        self._http = (
            http if http is not None else HttpClient(max_connections=max_connections, connect_timeout=timeout)
        )
        self.session_id: str | None = None
        self.protocol_version: str | None = None
        # The client's era memory is per origin, as the spec says to keep it.
        self.era_key = f"http:{parsed.scheme}://{parsed.netloc}"
        # Tool arguments to mirror into Mcp-Param-* headers (modern), by tool: the client keeps it.
        self.tool_headers: dict[str, tuple[HeaderParameter, ...]] = {}
        # Requests that carried the modern envelope (an ordered set, the newest kept).
        self._modern_ids: dict[RequestId, None] = {}
        self._init: Request | None = None  # the initialize request, kept to renew the session
        self._init_ids: set[RequestId] = set()
        self._initialized: Notification | None = None
        self._receiver: Receiver | None = None
        self._tg: TaskGroup | None = None
        self._scopes: set[anyio.CancelScope] = set()  # one per task of ours, for aclose()
        self._exchanges: dict[RequestId, anyio.CancelScope] = {}  # by request id
        self._no_get_stream = False  # the server said 405 to it
        self._closed = anyio.Event()
        self._is_closed = False
        self._renewing: anyio.Lock | None = None
        self._listening = False
        self._legacy: Any = None  # a _legacy.LegacyConnection after a fallback
        self._ids = itertools.count(1)

    # -- lifetime -------------------------------------------------------------------------------

    async def __aenter__(self) -> StreamableHttpTransport:
        self._stack = contextlib.AsyncExitStack()
        await self._stack.__aenter__()
        try:
            if self._own_http:
                self._stack.push_async_callback(self._http.aclose)
            self._stack.push_async_callback(self._terminate)
            self._tg = await self._stack.enter_async_context(anyio.create_task_group())
            self._stack.callback(self._tg.cancel_scope.cancel)
        except BaseException:
            await self._stack.aclose()
            raise
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
        await self._stack.aclose()

    async def aclose(self) -> None:
        if not self._is_closed:
            self._is_closed = True
            self._closed.set()
            # Only our own tasks: the task group's scope also holds whatever the caller entered
            # after this transport (the dispatcher, the body of `async with Client`), and
            # cancelling it from in there would cancel them too.
            for scope in list(self._scopes):
                scope.cancel()

    async def _terminate(self) -> None:
        """End the session on the server (DELETE); a server that does not allow it says 405."""
        if self._legacy is not None:
            with anyio.CancelScope(shield=True):
                await self._legacy.aclose()
            return
        if not self.terminate_on_close or self.session_id is None:
            return
        with anyio.move_on_after(min(self.timeout, 5.0), shield=True):
            try:
                response = await self._http.request("DELETE", self.url, headers=await self._headers(None))
                await response.aclose()
            except Exception as exc:
                _log.debug("DELETE of the session failed: %s", exc)

    # -- the dispatcher's side ------------------------------------------------------------------

    async def run(self, receiver: Receiver) -> None:
        self._receiver = receiver
        await self._closed.wait()

    async def send(
        self, message: Message | list[Message], related_request_id: RequestId | None = None
    ) -> None:
        if self._is_closed or self._tg is None:
            raise ConnectionClosed("Connection closed")
        if self._legacy is not None:
            await self._legacy.send(message)
            return
        if isinstance(message, Request):
            if is_modern(message.params):
                self._modern_ids[message.id] = None
                if len(self._modern_ids) > _MAX_REMEMBERED:
                    del self._modern_ids[next(iter(self._modern_ids))]
            if message.method == "initialize":
                self._init = message
                self._init_ids.add(message.id)
            self._spawn(self._exchange, message, key=message.id)
            return
        if isinstance(message, Notification) and message.method == "notifications/initialized":
            self._initialized = message
        cancelled = None
        if isinstance(message, Notification) and message.method == "notifications/cancelled":
            params = message.params if isinstance(message.params, dict) else {}
            cancelled = params.get("requestId")
        if cancelled is None or cancelled not in self._modern_ids:
            # A modern request is cancelled by closing its stream alone (below): the server
            # takes that for the cancellation, and expects no notification over HTTP.
            await self._post_quietly(message)
        if cancelled is not None:
            # The caller gave up on that request: stop reading its answer, and free the connection.
            exchange = self._exchanges.get(cancelled)
            if exchange is not None:
                exchange.cancel()
        if message is self._initialized:
            opened = self._start_listening()
            if opened is not None:
                # Wait (bounded) until the GET stream is open or refused: a server that sends
                # a request of its own while handling our first call may use that stream, and
                # would drop the request if no stream were there yet.
                with anyio.move_on_after(min(self.timeout, 5.0)):
                    await opened.wait()

    def _start_listening(self) -> anyio.Event | None:
        if self._listening or self._no_get_stream or self._is_closed:
            return None
        self._listening = True
        opened = anyio.Event()
        self._spawn(self._listen, opened)
        return opened

    def _spawn(self, fn: Callable[..., Awaitable[None]], *args: Any, key: RequestId | None = None) -> None:
        """Run ``fn(*args)`` in our task group, in a cancel scope that :meth:`aclose` cancels
        (and, for the exchange of request ``key``, a cancellation of that request)."""

        async def run() -> None:
            with anyio.CancelScope() as scope:
                if self._is_closed:
                    return
                self._scopes.add(scope)
                if key is not None:
                    self._exchanges[key] = scope
                try:
                    await fn(*args)
                finally:
                    self._scopes.discard(scope)
                    if key is not None and self._exchanges.get(key) is scope:
                        del self._exchanges[key]

        assert self._tg is not None
        self._tg.start_soon(run)

    async def _feed(self, item: Incoming) -> None:
        if isinstance(item, Response) and item.id in self._init_ids:
            self._init_ids.discard(item.id)
            result = item.result
            if isinstance(result, dict) and isinstance(result.get("protocolVersion"), str):
                self.protocol_version = result["protocolVersion"]
        if self._receiver is not None and not self._is_closed:
            await self._receiver.feed(item)

    async def _fail(self, rid: RequestId, reason: str) -> None:
        await self._feed(ErrorResponse(rid, CONNECTION_CLOSED, reason))

    # -- HTTP -----------------------------------------------------------------------------------

    async def _headers(self, accept: str | None, *, post: bool = False) -> dict[str, str]:
        headers: dict[str, str] = {}
        if accept is not None:
            headers["accept"] = accept
        if post:
            headers["content-type"] = "application/json"
        if self.session_id is not None:
            headers["mcp-session-id"] = self.session_id
        if self.protocol_version is not None:
            headers["mcp-protocol-version"] = self.protocol_version
        hook = self.headers
        if hook is not None:
            extra = hook() if callable(hook) else hook
            if isinstance(extra, Awaitable):
                extra = await extra
            headers.update(extra)
        return headers

    async def _request(self, method: str, body: bytes, headers: dict[str, str]) -> HttpResponse:
        """One HTTP request, with bounded retries (backoff and jitter) when it cannot connect."""
        for attempt in itertools.count():
            try:
                return await self._http.request(
                    method, self.url, headers=headers, body=body, read_timeout=self.timeout
                )
            except HttpError as exc:
                # Only a failure to connect is retried: then the server never saw the request.
                if not isinstance(exc, ConnectError) or attempt >= self.max_reconnects:
                    raise
                delay = self._delay(attempt)
                _log.info("could not reach %s (%s); retrying in %.2f s", self.url, exc, delay)
                await anyio.sleep(delay)
        raise AssertionError("unreachable")

    def _delay(self, attempt: int) -> float:
        base: float = min(self.max_backoff, self.backoff * 2**attempt)
        return base * (0.5 + random.random() / 2)

    def _modern_headers(self, request: Request) -> dict[str, str]:
        """The headers a modern request must carry, mirrored from its body."""
        params: dict[str, Any] = request.params  # type: ignore[assignment]  # is_modern checked it
        headers = {
            "mcp-protocol-version": str(params["_meta"][PROTOCOL_VERSION]),
            "mcp-method": request.method,
        }
        field = _NAMED.get(request.method)
        value = params.get(field) if field is not None else None
        if isinstance(value, str):
            headers["mcp-name"] = encode_header_value(value)
        if request.method == "tools/call" and isinstance(value, str):
            arguments = params.get("arguments")
            for param in self.tool_headers.get(value, ()):
                found = param.value_in(arguments)
                if isinstance(found, (str, int, bool)) and not (
                    param.type == "integer" and (found is True or found is False)
                ):
                    headers["mcp-param-" + param.name] = encode_header_value(found)
        return headers

    async def _post(self, message: Message | list[Message]) -> HttpResponse:
        body = encode(message)
        headers = await self._headers(_ACCEPT_BOTH, post=True)
        if isinstance(message, Request) and message.id in self._modern_ids:
            headers.pop("mcp-session-id", None)
            headers.update(self._modern_headers(message))
        response = await self._request("POST", body, headers)
        if response.status == 404 and self.session_id is not None and not _is_init(message):
            await response.aclose()
            await self._renew()
            response = await self._request("POST", body, await self._headers(_ACCEPT_BOTH, post=True))
        if _is_init(message) and response.status in (400, 404, 405) and self.legacy_fallback:
            await response.aclose()
            raise _Fallback(f"the server answered initialize with HTTP {response.status}")
        if response.status < 300:
            session = response.header("mcp-session-id")
            if session is not None and _is_init(message):
                self.session_id = session
        return response

    async def _post_quietly(self, message: Message | list[Message]) -> None:
        """POST what needs no answer; an HTTP error is logged, not raised (nobody awaits it)."""
        try:
            response = await self._post(message)
        except HttpError as exc:
            raise ConnectionClosed(f"could not reach the MCP server at {self.url}: {exc}") from exc
        async with response:
            if response.status >= 300:
                detail = (await response.read(64 * 1024)).decode("utf-8", "replace").strip()
                _log.warning("the server refused a message with HTTP %d: %s", response.status, detail[:500])
            elif response.status != 202:
                # A server may answer with a body; a JSON-RPC message in it is still delivered.
                await self._consume(response, set())

    async def _exchange(self, request: Request) -> None:
        """POST a request and deliver what comes back; the request always ends, one way or another."""
        try:
            response = await self._post(request)
        except _Fallback as why:
            await self._fall_back(request, str(why))
            return
        except SessionExpired as exc:
            await self._fail(request.id, exc.message)
            return
        except HttpError as exc:
            await self._fail(request.id, f"could not reach the MCP server at {self.url}: {exc}")
            return
        try:
            async with response:
                if response.status >= 300:
                    await self._refused(request.id, response)
                    return
                owed = {request.id}
                await self._consume(response, owed)
                if owed:
                    await self._fail(request.id, "the server ended its answer without answering the request")
        except HttpError as exc:
            await self._fail(request.id, f"the connection to the MCP server broke: {exc}")

    async def _refused(self, rid: RequestId, response: HttpResponse) -> None:
        """An HTTP error to a request: its JSON-RPC error body if it has one, else the status."""
        body = await response.read(64 * 1024)
        with contextlib.suppress(DecodeError):
            item = decode(body)
            if isinstance(item, ErrorResponse):
                message = f"HTTP {response.status}: {item.message}"
                await self._feed(ErrorResponse(rid, item.code, message, item.data))
                return
        text = body.decode("utf-8", "replace").strip()[:500]
        await self._fail(rid, f"HTTP {response.status} {response.reason}: {text}".rstrip(": "))

    async def _consume(self, response: HttpResponse, owed: set[RequestId]) -> None:
        """Deliver a JSON or SSE answer; for SSE, resume after breaks until ``owed`` is empty."""
        kind = (response.header("content-type") or "").split(";", 1)[0].strip().lower()
        if kind == "application/json":
            body = await response.read(self.max_message_size)
            await self._deliver(body, owed)
            return
        if kind != "text/event-stream":
            if owed:
                await response.read(64 * 1024)
                raise HttpError(f"unexpected content type {kind!r} in an answer")
            return
        response.read_timeout = None  # silence on a stream is bounded by sse_read_timeout instead
        decoder = SSEDecoder(self.max_message_size)
        await self._read_events(response, decoder, owed)
        failures = 0
        while owed and decoder.last_event_id and not self._is_closed:
            # The stream broke before the answer: resume it where it stopped.
            if failures > self.max_reconnects:
                return
            await anyio.sleep(decoder.retry / 1000 if decoder.retry is not None else self._delay(failures))
            failures += 1
            try:
                headers = await self._headers("text/event-stream")
                headers["last-event-id"] = decoder.last_event_id
                resumed = await self._request("GET", b"", headers)
            except HttpError as exc:
                _log.info("resuming a stream failed: %s", exc)
                continue
            async with resumed:
                if resumed.status == 404 or resumed.status == 405:
                    return  # the session is gone, or the server cannot resume
                if resumed.status != 200:
                    continue
                resumed.read_timeout = None
                if await self._read_events(resumed, decoder, owed):
                    failures = 0

    async def _read_events(self, response: HttpResponse, decoder: SSEDecoder, owed: set[RequestId]) -> bool:
        """Deliver the events of one stream until it ends or ``owed`` is empty; True if anything came."""
        got = False
        try:
            with anyio.fail_after(self.sse_read_timeout) as scope:
                async for chunk in response.iter_bytes():
                    scope.deadline = anyio.current_time() + self.sse_read_timeout
                    got = True  # a server that polls may send nothing but a retry field
                    for event in decoder.feed(chunk):
                        if isinstance(event, SSEEvent) and event.event == "message" and event.data:
                            await self._deliver(event.data.encode(), owed)
                    if not owed and owed is not _NOTHING:
                        await _drain(response)
                        return got
        except (HttpError, TimeoutError) as exc:
            _log.info("an SSE stream from the server broke: %s", exc)
        return got

    async def _deliver(self, data: bytes, owed: set[RequestId]) -> None:
        try:
            item = decode(data, allow_batch=True)
        except DecodeError as exc:
            _log.warning("the server sent something that is not JSON-RPC: %s", exc.data)
            return
        for message in item if isinstance(item, list) else (item,):
            if isinstance(message, (Response, ErrorResponse)) and message.id is not None:
                owed.discard(message.id)
            await self._feed(message)

    # -- the GET stream -------------------------------------------------------------------------

    async def _listen(self, opened: anyio.Event) -> None:
        """Keep the standalone stream open for what the server sends unprompted; ``opened`` is
        set once the first attempt has an answer (or failed)."""
        try:
            await self._listen_until_done(opened)
        finally:
            opened.set()
            self._listening = False  # so that a renewed session opens it again

    async def _listen_until_done(self, opened: anyio.Event) -> None:
        decoder = SSEDecoder(self.max_message_size)
        failures = 0
        while not self._is_closed and failures <= self.max_reconnects:
            headers = await self._headers("text/event-stream")
            if decoder.last_event_id:
                headers["last-event-id"] = decoder.last_event_id
            try:
                response = await self._http.request(
                    "GET", self.url, headers=headers, read_timeout=self.timeout
                )
            except HttpError as exc:
                opened.set()
                failures += 1
                _log.info("the GET stream could not connect (%s)", exc)
                await anyio.sleep(self._delay(failures))
                continue
            opened.set()
            async with response:
                if response.status == 405:
                    _log.debug("the server offers no GET stream")
                    self._no_get_stream = True
                    break
                if response.status == 404:
                    break  # the session is gone; the next POST renews it, and that restarts this
                if response.status != 200:
                    failures += 1
                    await anyio.sleep(self._delay(failures))
                    continue
                response.read_timeout = None
                if await self._read_events(response, decoder, _NOTHING):
                    failures = 0
            failures += 1
            await anyio.sleep(decoder.retry / 1000 if decoder.retry is not None else self._delay(failures))
        if failures > self.max_reconnects:
            _log.warning("gave up on the GET stream of %s after %d attempts", self.url, failures)

    # -- renewal and fallback -------------------------------------------------------------------

    async def _renew(self) -> None:
        """Initialize a new session in place of one the server forgot (it answered 404)."""
        if self._init is None or self._initialized is None:
            raise SessionExpired("the server ended the session before it was initialized")
        if self._renewing is None:
            self._renewing = anyio.Lock()
        expired = self.session_id
        async with self._renewing:
            if self.session_id != expired:
                return  # another task renewed it meanwhile
            _log.warning("the server forgot MCP session %s (HTTP 404); initializing a new one", expired)
            self.session_id = None
            init = Request(f"mcpcore-renew-{next(self._ids)}", "initialize", self._init.params)
            try:
                response = await self._post(init)
                async with response:
                    if response.status >= 300:
                        raise SessionExpired(
                            f"renewing the expired session failed with HTTP {response.status}"
                        )
                    answers: list[Message] = []
                    await self._collect(response, init.id, answers)
                if not any(isinstance(a, Response) and a.id == init.id for a in answers):
                    raise SessionExpired("renewing the expired session failed: no initialize result")
                response = await self._post(self._initialized)
                await response.aclose()
            except BaseException as exc:
                if self.session_id is None:
                    self.session_id = expired  # so that the next 404 tries again
                if isinstance(exc, HttpError):
                    raise SessionExpired(f"renewing the expired session failed: {exc}") from exc
                raise
            self._start_listening()
        callback = self.on_session_expired
        if callback is not None:
            outcome = callback()
            if isinstance(outcome, Awaitable):
                await outcome

    async def _collect(self, response: HttpResponse, rid: RequestId, into: list[Message]) -> None:
        """Read the answer to an internal request, keeping it from the dispatcher."""
        kind = (response.header("content-type") or "").split(";", 1)[0].strip().lower()
        if kind == "application/json":
            chunks = [await response.read(self.max_message_size)]
        else:
            decoder = SSEDecoder(self.max_message_size)
            chunks = []
            async for chunk in response.iter_bytes():
                for event in decoder.feed(chunk):
                    if isinstance(event, SSEEvent) and event.data:
                        chunks.append(event.data.encode())
                if any(b'"id"' in c for c in chunks):
                    break
        for data in chunks:
            with contextlib.suppress(DecodeError):
                item = decode(data)
                if isinstance(item, (Response, ErrorResponse)) and item.id == rid:
                    into.append(item)
                elif not isinstance(item, list):
                    await self._feed(item)

    async def _stream_ended(self) -> None:
        """The HTTP+SSE stream ended: so did the connection (pending requests fail at once)."""
        self._closed.set()

    async def _fall_back(self, request: Request, why: str) -> None:
        from ._legacy import LegacyConnection

        _log.info("%s: falling back to the HTTP+SSE transport of 2024-11-05", why)
        legacy = LegacyConnection(
            self.url, self._http, self._headers, self._feed, timeout=self.timeout, on_end=self._stream_ended
        )
        try:
            await legacy.open(self._spawn)
        except Exception as exc:
            await self._fail(request.id, f"{why}, and the HTTP+SSE fallback failed too: {exc}")
            return
        self._legacy = legacy
        await legacy.send(request)


_NOTHING: Final[set[RequestId]] = set()
"""The ``owed`` set of a stream that owes no answer (the GET stream): it never ends by itself."""


async def _drain(response: HttpResponse) -> None:
    """Read what is left of a stream whose answers are in: the server ends it right after
    them, and a response read to its end gives its connection back to the pool."""
    with anyio.move_on_after(1.0):
        async for _ in response.iter_bytes():
            pass


def _is_init(message: Message | list[Message]) -> bool:
    return isinstance(message, Request) and message.method == "initialize"
