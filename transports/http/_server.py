"""``HttpServer``: a small ASGI 3 server on h11 and anyio sockets.

The MCP endpoint is written once, as an ASGI application, so that uvicorn, hypercorn or a
Starlette mount can host it; this module is the host that needs nothing beyond h11 and anyio and
runs on asyncio and trio alike. It knows nothing of MCP. h11 does all HTTP framing; this module
only moves bytes, enforces limits and speaks ASGI (HTTP scope and lifespan).

How a request costs little on a kept-alive connection (the benchmark's hot path):

* One task per connection; the app is awaited inline in it, so a request spawns no task.
* The whole body is read, bounded, before the app runs, so ``receive()`` hands it over without
  I/O and the app never waits on a slow client.
* No watcher task. The first ``receive()`` after the body reads the socket itself, in whatever
  task the app awaits it: the client's going away is noticed exactly while the app listens for it
  (as ASGI apps do when they must notice it, e.g. around a long SSE stream), and an app that never
  asks pays nothing. Bytes that arrive meanwhile (pipelined requests) go to h11's buffer for the
  next cycle, up to a bound past which reading pauses. ``send()`` raises
  :class:`ClientDisconnected` once the disconnect is known or a write fails.
* The head of a response that declares a Content-Length (or can carry no body) is held until the
  first body chunk and written with it: one write for a typical small response. The head of a
  streaming response goes out at once, so a client sees an SSE stream open before its first event.
  Every body chunk has reached the kernel when ``send()`` returns: nothing is buffered.
* One timer (cancel scope) per request for the idle wait, and a second only when a request does not
  arrive whole in the first read.

Limits, all constructor arguments with safe defaults: connections (503 beyond), head size (431),
body size (413, from Content-Length before the body is read, or counted as a chunked body arrives),
a slow-loris deadline from a request's first byte to the end of its body (408), the keep-alive idle
time, and the graceful-shutdown deadline. Error responses are short plain text, never a traceback.
A request with both Content-Length and Transfer-Encoding is refused (400) rather than guessed at,
as that ambiguity is how requests are smuggled past proxies. A client that half-closes its side
while the app waits on ``receive()`` counts as gone, as it does under other ASGI servers.
"""

from __future__ import annotations

import logging
import math
import socket
import time
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from email.utils import formatdate
from http import HTTPStatus
from typing import Any, Final
from urllib.parse import unquote

import anyio
import anyio.abc
import h11
from anyio.abc import SocketAttribute, SocketListener, SocketStream

__all__ = ["ASGIApp", "ClientDisconnected", "HttpServer"]

ASGIApp = Callable[
    [
        MutableMapping[str, Any],
        Callable[[], Awaitable[MutableMapping[str, Any]]],
        Callable[[MutableMapping[str, Any]], Awaitable[None]],
    ],
    Awaitable[None],
]

_log = logging.getLogger("mcpcore.http")

_CHUNK: Final = 64 * 1024
# Pipelined bytes kept while the app runs; past this the client is evidently alive and reading pauses.
_READ_AHEAD: Final = 64 * 1024
# After an error response: how long, and how much, to drain before closing. Closing a socket with
# unread input makes the kernel send a reset, which can destroy the response before the client reads it.
_LINGER_SECONDS: Final = 1.0
_LINGER_BYTES: Final = 1024 * 1024

_REASONS: Final = {status.value: status.phrase.encode("ascii") for status in HTTPStatus}
_METHODS: Final = {m.encode(): m for m in ("GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH")}
_VERSIONS: Final = {b"1.1": "1.1", b"1.0": "1.0"}
_TEXT: Final = (b"content-type", b"text/plain; charset=utf-8")

_NEED: Final = 0  # the request is incomplete: read more
_READY: Final = 1  # a whole request (head and body) is in hand
_CONTINUE: Final = 2  # the client waits for "100 Continue" before sending its body
_CLOSED: Final = 3  # the client closed the connection between requests


class ClientDisconnected(OSError):
    """The client went away: raised by the ASGI ``send()`` once the connection is gone."""


class _Refused(Exception):
    """A request refused before the app sees it, with the status to answer."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def _address(value: object) -> tuple[str, int] | None:
    if isinstance(value, tuple) and len(value) >= 2:
        return str(value[0]), int(value[1])
    return None


def _disconnect() -> dict[str, Any]:
    return {"type": "http.disconnect"}


class HttpServer:
    """An ASGI 3 HTTP/1.1 server (keep-alive, pipelining, HTTP/1.0) over h11 and anyio sockets.

    ``await server.serve()`` (usually ``await task_group.start(server.serve)``) binds, runs the
    app's lifespan startup, and serves until :meth:`shutdown` or cancellation; either way it then
    shuts down gracefully and runs the lifespan shutdown. Once shut down, an instance stays so.

    Limits: ``max_connections`` served at once (more are answered 503 and closed);
    ``max_header_size`` bytes of request head (431); ``max_body_size`` bytes of request body
    (413); ``header_timeout`` seconds from a request's first byte to the end of its body (408);
    ``keep_alive_timeout`` seconds a connection may stay silent before a request, the first one
    included; ``shutdown_timeout`` seconds for requests in flight at shutdown (and, separately,
    for the lifespan shutdown). ``lifespan=False`` skips the ASGI lifespan; ``server_header``
    (``None`` for none) names the server in responses that do not name one.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        max_connections: int = 1000,
        max_header_size: int = 64 * 1024,
        max_body_size: int = 4 * 1024 * 1024,
        header_timeout: float = 10.0,
        keep_alive_timeout: float = 5.0,
        shutdown_timeout: float = 10.0,
        lifespan: bool = True,
        server_header: bytes | None = b"mcpcore",
    ) -> None:
        for name, value in (
            ("max_connections", max_connections),
            ("max_header_size", max_header_size),
            ("max_body_size", max_body_size),
        ):
            if value < 1:
                raise ValueError(f"{name} must be at least 1, not {value!r}")
        for name, seconds in (
            ("header_timeout", header_timeout),
            ("keep_alive_timeout", keep_alive_timeout),
            ("shutdown_timeout", shutdown_timeout),
        ):
            if not seconds > 0:
                raise ValueError(f"{name} must be a positive number of seconds, not {seconds!r}")
        if not 0 <= port <= 65535:
            raise ValueError(f"port must be in 0..65535, not {port!r}")
        self.app = app
        self.host = host
        self.port = port
        self.max_connections = max_connections
        self.max_header_size = max_header_size
        self.max_body_size = max_body_size
        self.header_timeout = header_timeout
        self.keep_alive_timeout = keep_alive_timeout
        self.shutdown_timeout = shutdown_timeout
        self.lifespan = lifespan
        self.server_header = server_header
        self._connections: set[_Connection] = set()
        self._closing = False
        self._serving = False
        self._stop: anyio.Event | None = None
        self._drained: anyio.Event | None = None
        self._accept_scope: anyio.CancelScope | None = None
        self._startup_scope: anyio.CancelScope | None = None
        self._state: dict[str, Any] = {}
        self._date_second = -1
        self._date_value = b""
        self._turned_away = 0
        self._warned_at = -math.inf

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:8000`` (the bound port once started)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def active_connections(self) -> int:
        """Connections being served now (not counting those turned away at the limit)."""
        return len(self._connections)

    def shutdown(self) -> None:
        """Stop serving, gracefully; idempotent, and callable from any task of the server's thread.

        New connections are refused at once and idle kept-alive ones closed. Requests in flight
        may finish within ``shutdown_timeout``, each answered with ``Connection: close``; a response
        already streaming gets ``http.disconnect`` from ``receive()`` at once so the app can end it.
        At the deadline everything still running is cancelled and its socket closed.
        """
        if self._closing:
            return
        self._closing = True
        if self._startup_scope is not None:
            self._startup_scope.cancel()  # a lifespan startup still under way is abandoned
        if self._accept_scope is not None:
            self._accept_scope.cancel()
        if self._stop is not None:
            self._stop.set()
        for connection in list(self._connections):
            connection.on_shutdown()

    async def serve(self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Bind, run the lifespan startup, serve until shut down or cancelled, then clean up.

        ``task_status.started()`` is called once the server accepts connections (``port`` is
        then the bound port). A lifespan ``startup.failed`` raises :class:`RuntimeError`.
        """
        if self._serving:
            raise RuntimeError("this HttpServer is already serving")
        self._serving = True
        try:
            listener = await anyio.create_tcp_listener(local_host=self.host, local_port=self.port)
            try:
                members: Sequence[object] = getattr(listener, "listeners", [listener])
                listeners = [member for member in members if isinstance(member, SocketListener)]
                self.port = int(listeners[0].extra(SocketAttribute.local_port))
                await self._run(listeners, task_status)
            finally:
                with anyio.CancelScope(shield=True):
                    await listener.aclose()
        finally:
            self._serving = False

    async def _run(self, listeners: list[SocketListener], task_status: anyio.abc.TaskStatus[None]) -> None:
        self._state = {}
        self._stop = anyio.Event()
        self._drained = anyio.Event()
        if self._closing:
            self._stop.set()
        async with anyio.create_task_group() as guard:
            # Everything is shielded from an outer cancellation so that it shuts down gracefully,
            # as shutdown() does, lifespan included; this task, outside the shield, turns the
            # one into the other.
            guard.start_soon(self._shutdown_when_cancelled)
            with anyio.CancelScope(shield=True):
                failure, error = await self._run_shielded(listeners, task_status)
            guard.cancel_scope.cancel()
        # Raised here, outside every task group, so that callers see them unwrapped.
        if error is not None:
            raise error
        if failure is not None:
            raise RuntimeError(f"ASGI lifespan startup failed: {failure}")

    async def _run_shielded(
        self, listeners: list[SocketListener], task_status: anyio.abc.TaskStatus[None]
    ) -> tuple[str | None, Exception | None]:
        lifespan = _Lifespan(self.app, self._state) if self.lifespan else None
        failure: str | None = None
        error: Exception | None = None
        async with anyio.create_task_group() as tg:  # hosts the lifespan task
            started = lifespan is None
            try:
                if lifespan is not None:
                    with anyio.CancelScope() as self._startup_scope:
                        failure = await lifespan.startup(tg)
                        started = failure is None
                    self._startup_scope = None
                if started:
                    await self._serve_connections(listeners, task_status)
            except Exception as exc:
                error = exc
            finally:
                if lifespan is not None and started:
                    await lifespan.shutdown(self.shutdown_timeout)
                tg.cancel_scope.cancel()
        return failure, error

    async def _serve_connections(
        self, listeners: list[SocketListener], task_status: anyio.abc.TaskStatus[None]
    ) -> None:
        stop, drained = self._stop or anyio.Event(), self._drained or anyio.Event()
        async with anyio.create_task_group() as connections:
            async with anyio.create_task_group() as acceptors:
                self._accept_scope = acceptors.cancel_scope
                if self._closing:
                    acceptors.cancel_scope.cancel()
                for listener in listeners:
                    acceptors.start_soon(self._accept, listener, connections)
                task_status.started()
                await stop.wait()
                acceptors.cancel_scope.cancel()
            self._accept_scope = None
            for listener in listeners:
                await listener.aclose()  # refuse new connections from now on
            if self._connections:
                with anyio.move_on_after(self.shutdown_timeout):
                    await drained.wait()
            connections.cancel_scope.cancel()

    async def _shutdown_when_cancelled(self) -> None:
        try:
            await anyio.sleep_forever()
        finally:
            self.shutdown()

    async def _accept(self, listener: SocketListener, connections: anyio.abc.TaskGroup) -> None:
        while True:
            try:
                stream = await listener.accept()
            except anyio.ClosedResourceError:
                return
            except (OSError, anyio.BrokenResourceError) as exc:
                # Out of descriptors, typically: pause rather than spin or stop serving.
                _log.error("accepting a connection failed: %s", exc)
                await anyio.sleep(0.1)
                continue
            connections.start_soon(self._handle, stream)

    async def _handle(self, stream: SocketStream) -> None:
        if len(self._connections) >= self.max_connections:
            await self._turn_away(stream)
            return
        raw = stream.extra(SocketAttribute.raw_socket, None)
        if raw is not None:
            try:
                raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        connection = _Connection(self, stream)
        self._connections.add(connection)
        try:
            await connection.run()
        except ClientDisconnected:
            pass
        except Exception:
            _log.exception("serving an HTTP connection failed")
        finally:
            self._connections.discard(connection)
            with anyio.CancelScope(shield=True):
                await stream.aclose()
            if self._closing and not self._connections and self._drained is not None:
                self._drained.set()

    async def _turn_away(self, stream: SocketStream) -> None:
        self._turned_away += 1
        now = anyio.current_time()
        if now - self._warned_at >= 1.0:  # at most one line a second, however hard the flood
            self._warned_at = now
            _log.warning(
                "connection limit (%d) reached: answered 503 to %d connection(s) so far",
                self.max_connections,
                self._turned_away,
            )
        body = b"Service Unavailable: too many connections\n"
        head = [
            _TEXT,
            (b"content-length", b"%d" % len(body)),
            (b"connection", b"close"),
            (b"retry-after", b"1"),
        ]
        writer = h11.Connection(h11.SERVER)
        data = b"".join(
            piece or b""
            for piece in (
                writer.send(
                    h11.Response(status_code=503, headers=head + self._stamp(), reason=_REASONS[503])
                ),
                writer.send(h11.Data(data=body)),
                writer.send(h11.EndOfMessage()),
            )
        )
        with anyio.move_on_after(_LINGER_SECONDS):
            try:
                await stream.send(data)
                await stream.send_eof()
            except (OSError, anyio.BrokenResourceError, anyio.ClosedResourceError):
                pass
        with anyio.CancelScope(shield=True):
            await stream.aclose()

    def _stamp(self) -> list[tuple[bytes, bytes]]:
        """The ``date`` and ``server`` headers every response carries."""
        now = int(time.time())
        if now != self._date_second:
            self._date_second = now
            self._date_value = formatdate(now, usegmt=True).encode("ascii")
        if self.server_header is None:
            return [(b"date", self._date_value)]
        return [(b"date", self._date_value), (b"server", self.server_header)]


class _Connection:
    """One client socket: reads requests with h11, runs the app for each, writes its responses."""

    __slots__ = (
        "ahead",
        "client",
        "cycle",
        "disconnected",
        "h11",
        "head",
        "headers",
        "idle_scope",
        "local",
        "parts",
        "request",
        "server",
        "size",
        "stream",
        "watch_event",
        "watch_scope",
    )

    def __init__(self, server: HttpServer, stream: SocketStream) -> None:
        self.server = server
        self.stream = stream
        self.h11 = h11.Connection(h11.SERVER, max_incomplete_event_size=server.max_header_size)
        self.client = _address(stream.extra(SocketAttribute.remote_address, None))
        self.local = _address(stream.extra(SocketAttribute.local_address, None))
        self.disconnected = False
        self.cycle: _Cycle | None = None
        self.idle_scope: anyio.CancelScope | None = None
        self.watch_scope: anyio.CancelScope | None = None
        self.watch_event: anyio.Event | None = None
        self.request: h11.Request | None = None
        self.head = False
        self.headers: list[tuple[bytes, bytes]] = []
        self.parts: list[bytes] = []
        self.size = 0
        self.ahead = 0

    def on_shutdown(self) -> None:
        if self.idle_scope is not None:
            self.idle_scope.cancel()
        cycle = self.cycle
        if cycle is not None and cycle.response is not None and self.watch_scope is not None:
            self.watch_scope.cancel()

    async def run(self) -> None:
        h = self.h11
        while True:
            request = await self._next_request()
            if request is None:
                return
            if not await self._exchange(*request):
                return
            h.start_next_cycle()

    # -- reading a request -------------------------------------------------------------------

    async def _recv(self) -> bytes:
        """The next bytes from the client; ``b""`` once it has closed or reset the connection."""
        try:
            return await self.stream.receive(_CHUNK)
        except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
            return b""

    def _advance(self) -> int:
        """Consume what h11 has buffered; say whether the request is whole or what it needs."""
        h = self.h11
        while True:
            event = h.next_event()
            if isinstance(event, h11.Data):
                self.size += len(event.data)
                if self.size > self.server.max_body_size:
                    raise _Refused(413)
                self.parts.append(event.data)
            elif isinstance(event, h11.Request):
                return self._on_head(event)
            elif isinstance(event, h11.EndOfMessage):
                return _READY
            elif event is h11.NEED_DATA:
                return _NEED
            else:  # ConnectionClosed (or PAUSED, which a server reading a request never sees)
                return _CLOSED

    def _on_head(self, request: h11.Request) -> int:
        self.request = request
        self.head = request.method == b"HEAD"
        length: int | None = None
        chunked = False
        # h11 bounds only a head still arriving; one that came whole in a read is measured here.
        size = len(request.target)
        self.headers = headers = list(request.headers)
        for name, value in headers:
            size += len(name) + len(value) + 4
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = True
        if size > self.server.max_header_size:
            raise _Refused(431)
        if chunked and length is not None:
            raise _Refused(400)  # two framings at once: the shape of a request-smuggling attempt
        if length is not None and length > self.server.max_body_size:
            raise _Refused(413)
        if self.h11.they_are_waiting_for_100_continue:
            return _CONTINUE
        return self._advance()

    def _reset(self) -> None:
        self.request = None
        self.parts = []
        self.size = 0
        self.ahead = 0

    async def _next_request(self) -> tuple[h11.Request, bytes] | None:
        server = self.server
        h = self.h11
        self._reset()
        try:
            state = self._advance()
            if state == _NEED and self.request is None and not h.trailing_data[0]:
                # Idle between requests: wait for a first byte, then the slow-loris clock starts.
                if server._closing:
                    return None
                data = b""
                with anyio.CancelScope(deadline=anyio.current_time() + server.keep_alive_timeout) as idle:
                    self.idle_scope = idle
                    data = await self._recv()
                self.idle_scope = None
                if not data:
                    return None  # the client left, or stayed idle too long, or we are shutting down
                deadline = anyio.current_time() + server.header_timeout
                h.receive_data(data)
                state = self._advance()
            else:
                deadline = anyio.current_time() + server.header_timeout
            if state in (_NEED, _CONTINUE):
                with anyio.CancelScope(deadline=deadline) as reading:
                    while state in (_NEED, _CONTINUE):
                        if state == _CONTINUE:
                            await self._write(h.send(h11.InformationalResponse(status_code=100, headers=[])))
                        else:
                            h.receive_data(await self._recv())  # b"" tells h11 the client closed
                        state = self._advance()
                if reading.cancelled_caught:
                    _log.debug("closing a connection whose request did not arrive in time")
                    await self._refuse(408)
                    return None
        except h11.RemoteProtocolError as exc:
            _log.debug("bad HTTP request: %s", exc)
            await self._refuse(exc.error_status_hint)
            return None
        except _Refused as exc:
            await self._refuse(exc.status)
            return None
        if state == _CLOSED or self.request is None:
            return None
        return self.request, b"".join(self.parts)

    # -- responding --------------------------------------------------------------------------

    async def _write(self, data: bytes | None) -> None:
        if not data:
            return
        try:
            await self.stream.send(data)
        except (OSError, anyio.BrokenResourceError, anyio.ClosedResourceError) as exc:
            self.disconnected = True
            if self.watch_scope is not None:
                self.watch_scope.cancel()  # a pending receive() reports the disconnect
            raise ClientDisconnected("the client closed the connection") from exc

    async def _send_error(self, status: int) -> bool:
        """Answer ``status`` with a short text body and ``Connection: close``, if still possible."""
        h = self.h11
        if h.our_state is not h11.IDLE and h.our_state is not h11.SEND_RESPONSE:
            return False
        reason = _REASONS.get(status, b"Error")
        body = reason + b"\n"
        headers = [_TEXT, (b"content-length", b"%d" % len(body)), (b"connection", b"close")]
        try:
            head = h.send(
                h11.Response(status_code=status, headers=headers + self.server._stamp(), reason=reason)
            )
            data = (head or b"") + (b"" if self.head else (h.send(h11.Data(data=body)) or b""))
            data += h.send(h11.EndOfMessage()) or b""
            await self._write(data)
        except (h11.LocalProtocolError, ClientDisconnected):
            return False
        return True

    async def _refuse(self, status: int) -> None:
        """Answer a request the app never saw, then close without destroying the answer."""
        if not await self._send_error(status) or self.server._closing:
            return
        # Half-close, then drain what the client still sends (the body we refused), for a moment.
        with anyio.move_on_after(_LINGER_SECONDS):
            try:
                await self.stream.send_eof()
            except (OSError, anyio.BrokenResourceError, anyio.ClosedResourceError):
                return
            drained = 0
            while drained < _LINGER_BYTES:
                data = await self._recv()
                if not data:
                    return
                drained += len(data)

    def _scope(self, request: h11.Request) -> dict[str, Any]:
        target = request.target
        raw_path, _, query = target.partition(b"?")
        if raw_path[:1] != b"/" and b"://" in raw_path:
            # Absolute form ("http://host/path"), which servers must accept: keep the path only.
            after = raw_path.partition(b"://")[2]
            slash = after.find(b"/")
            raw_path = after[slash:] if slash >= 0 else b"/"
        path = raw_path.decode("latin-1")
        if "%" in path:
            path = unquote(path)
        method = _METHODS.get(request.method) or request.method.decode("latin-1").upper()
        return {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": _VERSIONS.get(request.http_version) or request.http_version.decode("latin-1"),
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": raw_path,
            "query_string": query,
            "root_path": "",
            "headers": self.headers,
            "client": self.client,
            "server": self.local,
            "state": self.server._state.copy(),
        }

    async def _exchange(self, request: h11.Request, body: bytes) -> bool:
        """Run the app for one request; say whether the connection may serve another."""
        server = self.server
        cycle = _Cycle(self, body)
        self.cycle = cycle
        failed = False
        try:
            await server.app(self._scope(request), cycle.receive, cycle.send)
        except Exception:
            failed = True
            if self.disconnected:  # most likely the app letting ClientDisconnected through
                _log.debug("the ASGI app raised after its client left", exc_info=True)
            else:
                _log.exception("the ASGI app raised on %r %r", request.method, request.target)
        finally:
            cycle.over = True
            self.cycle = None
        if failed or not cycle.complete:
            if not failed and not self.disconnected:
                _log.error("the ASGI app returned without completing its response")
            if not cycle.head_written and not self.disconnected:
                await self._send_error(500)
            return False
        h = self.h11
        return (
            not self.disconnected
            and not server._closing
            and h.our_state is h11.DONE
            and h.their_state is h11.DONE
        )

    async def until_gone(self, cycle: _Cycle) -> dict[str, Any]:
        """``receive()`` after the body: wait for the client to leave (or the response to end).

        The caller's task reads the socket itself; bytes that arrive are kept in h11 for the
        next request. A second concurrent caller waits for the first rather than read too.
        """
        server = self.server
        while True:
            if (
                self.disconnected
                or cycle.complete
                or cycle.over
                or (server._closing and cycle.response is not None)
            ):
                return _disconnect()
            if self.watch_scope is None:
                break
            if self.watch_event is None:
                self.watch_event = anyio.Event()
            await self.watch_event.wait()
        with anyio.CancelScope() as watch:
            self.watch_scope = watch
            try:
                while self.ahead < _READ_AHEAD:
                    data = await self._recv()
                    if not data:
                        self.disconnected = True
                        break
                    self.h11.receive_data(data)
                    self.ahead += len(data)
                else:
                    await anyio.sleep_forever()  # enough read ahead; wait for the response or shutdown
            finally:
                self.watch_scope = None
                event, self.watch_event = self.watch_event, None
                if event is not None:
                    event.set()
        return _disconnect()


class _Cycle:
    """One request/response exchange: the ``receive`` and ``send`` callables the app gets."""

    __slots__ = (
        "body",
        "body_allowed",
        "complete",
        "connection",
        "delivered",
        "head_written",
        "over",
        "response",
    )

    def __init__(self, connection: _Connection, body: bytes) -> None:
        self.connection = connection
        self.body = body
        self.delivered = False
        self.response: h11.Response | None = None
        self.body_allowed = True
        self.head_written = False
        self.complete = False
        self.over = False

    async def receive(self) -> dict[str, Any]:
        if not self.delivered:
            self.delivered = True
            return {"type": "http.request", "body": self.body, "more_body": False}
        return await self.connection.until_gone(self)

    async def send(self, message: MutableMapping[str, Any]) -> None:
        connection = self.connection
        if connection.disconnected:
            raise ClientDisconnected("the client closed the connection")
        if self.over:
            raise ClientDisconnected("this request's exchange is over")
        kind = message["type"]
        if kind == "http.response.body":
            if self.response is None:
                raise RuntimeError("ASGI app sent http.response.body before http.response.start")
            if self.complete:
                raise RuntimeError("ASGI app sent http.response.body after the response was complete")
            h = connection.h11
            body = message.get("body", b"")
            more = message.get("more_body", False)
            try:
                pieces = []
                if not self.head_written:
                    self.head_written = True
                    pieces.append(h.send(self.response) or b"")
                if body and self.body_allowed:
                    pieces.append(h.send(h11.Data(data=body)) or b"")
                if not more:
                    pieces.append(h.send(h11.EndOfMessage()) or b"")
                    self.complete = True
            except h11.LocalProtocolError as exc:
                raise RuntimeError(f"invalid ASGI response: {exc}") from None
            await connection._write(pieces[0] if len(pieces) == 1 else b"".join(pieces))
            if self.complete and connection.watch_scope is not None:
                connection.watch_scope.cancel()  # a pending receive() now reports http.disconnect
        elif kind == "http.response.start":
            if self.response is not None:
                raise RuntimeError("ASGI app sent http.response.start twice")
            response = self._start(message)
            if response is not None:
                self.head_written = True
                try:
                    head = connection.h11.send(response)
                except h11.LocalProtocolError as exc:
                    raise RuntimeError(f"invalid ASGI response start: {exc}") from None
                await connection._write(head)
            if connection.server._closing and connection.watch_scope is not None:
                connection.watch_scope.cancel()  # shutting down: a streaming response ends now
        else:
            raise RuntimeError(f"unexpected ASGI message type {kind!r}")

    def _start(self, message: MutableMapping[str, Any]) -> h11.Response | None:
        """Prepare the head; return it if it goes out now rather than with the first body chunk."""
        connection = self.connection
        server = connection.server
        status = message["status"]
        headers = list(message.get("headers") or ())
        declared = named_server = named_date = False
        for name, _ in headers:
            lowered = name.lower()
            if lowered == b"content-length":
                declared = True
            elif lowered == b"server":
                named_server = True
            elif lowered == b"date":
                named_date = True
        for name, value in server._stamp():
            if not (named_date if name == b"date" else named_server):
                headers.append((name, value))
        if server._closing:
            headers.append((b"connection", b"close"))
        try:
            response = h11.Response(status_code=status, headers=headers, reason=_REASONS.get(status, b""))
        except h11.LocalProtocolError as exc:
            raise RuntimeError(f"invalid ASGI response start: {exc}") from None
        self.response = response
        self.body_allowed = not connection.head and status >= 200 and status != 204 and status != 304
        return None if declared or not self.body_allowed else response


class _Lifespan:
    """The ASGI lifespan protocol, run in a task of the server's own."""

    def __init__(self, app: ASGIApp, state: dict[str, Any]) -> None:
        self._app = app
        self._state = state
        self._delivered = 0  # lifespan messages handed to the app so far
        self._answered = anyio.Event()  # startup completed or failed, or the app is gone
        self._stop = anyio.Event()
        self._stopped = anyio.Event()
        self._done = False
        self.supported = True
        self.failure: str | None = None

    async def startup(self, tg: anyio.abc.TaskGroup) -> str | None:
        """Start the app's lifespan; the failure message if it refused to start."""
        tg.start_soon(self._main)
        await self._answered.wait()
        return self.failure

    async def shutdown(self, timeout: float) -> None:
        if not self.supported or self._done:
            return
        self._stop.set()
        with anyio.move_on_after(timeout):
            await self._stopped.wait()
        if not self._stopped.is_set():
            _log.warning("the ASGI lifespan shutdown did not finish within %s s", timeout)

    async def _main(self) -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": self._state}
        try:
            await self._app(scope, self._receive, self._send)
        except Exception as exc:
            if self._answered.is_set():
                _log.exception("the ASGI app's lifespan raised")
            else:
                self.supported = False
                _log.info("the app does not support the ASGI lifespan (%s: %s)", type(exc).__name__, exc)
        else:
            if not self._answered.is_set():
                self.supported = False
                _log.info("the app returned from the ASGI lifespan without answering its startup")
        finally:
            self._done = True
            self._answered.set()
            self._stopped.set()

    async def _receive(self) -> dict[str, Any]:
        if self._delivered == 0:
            self._delivered = 1
            return {"type": "lifespan.startup"}
        await self._stop.wait()
        if self._delivered == 1:
            self._delivered = 2
            return {"type": "lifespan.shutdown"}
        raise RuntimeError("ASGI app called receive() after lifespan.shutdown")

    async def _send(self, message: MutableMapping[str, Any]) -> None:
        kind = message["type"]
        if kind == "lifespan.startup.complete":
            self._answered.set()
        elif kind == "lifespan.startup.failed":
            self.failure = str(message.get("message") or "(no message)")
            self._answered.set()
        elif kind == "lifespan.shutdown.complete":
            self._stopped.set()
        elif kind == "lifespan.shutdown.failed":
            _log.error("the ASGI lifespan shutdown failed: %s", message.get("message") or "(no message)")
            self._stopped.set()
        else:
            raise RuntimeError(f"unexpected ASGI lifespan message type {kind!r}")
