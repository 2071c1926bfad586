"""A small HTTP/1.1 client with a keep-alive connection pool, on h11 and anyio sockets.

The MCP client transport talks to one endpoint with many short POSTs (and a few long-lived
streams), so what matters is that a request costs as little as possible once a connection
exists. This module knows nothing of MCP; h11 does all the framing.

How it is built, and why:

* A connection is one socket and one ``h11.Connection``. A request borrows a connection for
  its whole exchange: :meth:`HttpClient.request` writes the request and reads the response
  head; the :class:`Response` then owns the connection until its body ends, and at that very
  moment (not when the caller gets round to ``aclose()``) the connection goes back to the pool
  if h11 says both sides are done and may start the next cycle.
* Everything runs in the caller's task: no task per request, no queue between the caller and
  the socket. The only awaits are socket reads and writes. That also keeps cancellation
  simple: whatever was interrupted, the connection it was using is closed and never pooled,
  because its h11 state can no longer be trusted.
* Per origin, a semaphore of ``max_connections`` slots. A slot is taken when a request starts
  and given back when its connection is idle again or closed. A socket is opened only when no
  idle one is left, so open sockets never outnumber slots.
* Idle connections are reused newest first (the one least likely to have met the server's idle
  timeout) and are closed once older than ``keep_alive_expiry``, since servers close idle
  connections on their own timer. Before reuse, one ``poll`` with a zero timeout tells whether
  the server already closed the socket (EOF is readable); that costs a system call and saves a
  round trip.
* That check can lose a race: the server may close just as the request leaves. So when a reused
  connection ends (EOF or reset) before a single byte of the answer has come back, the request
  is sent once more on a fresh connection, whatever its method. The reason this is safe for a
  POST too: the server closed the connection because it was idle, before the request reached it,
  so it never read the request. The one case it cannot be told apart from is a server that read
  the request and then died without a byte of answer; then the request may run twice. That is
  the price of not failing on the common race, and it is paid at most once per request, never
  on a fresh connection, and never once any part of the answer has been received.
* Timeouts: one cancel scope covers writing the request and waiting for the response head;
  while the body streams, each socket read has its own, and only when a timeout applies.
* Copies: a request whose body is small goes out in a single write together with its head (one
  system call, one segment, since ``TCP_NODELAY`` is on); a large body is written as it is. h11
  hands body pieces out as ``bytearray``; :meth:`Response.read` joins them into ``bytes`` once,
  :meth:`Response.iter_bytes` converts each piece once.

A :class:`Response` belongs to the task that reads it; its body is read by one task at a time.
Every response must be read to its end or closed, or its slot stays taken.
"""

from __future__ import annotations

import enum
import select
import socket
import ssl
import time
import urllib.parse
from collections import deque
from collections.abc import AsyncIterator, Mapping, Sequence
from types import TracebackType
from typing import Final, NamedTuple, Self

import anyio
import anyio.abc
import h11

__all__ = [
    "DEFAULT",
    "ConnectError",
    "HttpClient",
    "HttpError",
    "ProtocolError",
    "Response",
    "ResponseTooLarge",
    "Timeout",
]

_CHUNK: Final = 64 * 1024
# Up to this size a body is copied once to share the head's write; beyond, the copy costs more
# than the second system call.
_JOIN_LIMIT: Final = 64 * 1024
_MAX_INFORMATIONAL: Final = 32
_BODY_METHODS: Final = frozenset({"POST", "PUT", "PATCH"})
_TARGET_CACHE: Final = 256


class _Default(enum.Enum):
    DEFAULT = "default"


DEFAULT: Final = _Default.DEFAULT
"""Stands for "the client's ``read_timeout``" in :meth:`HttpClient.request`."""


class HttpError(Exception):
    """Base of every error the HTTP client raises."""


class ConnectError(HttpError, OSError):
    """No connection could be made: refused, name not resolved, TLS failed, or too slow."""


class ProtocolError(HttpError):
    """The server broke HTTP/1.1, or closed or reset the connection in the middle of an answer."""


class ResponseTooLarge(HttpError):
    """A body was larger than the caller allowed; its connection was closed."""


class Timeout(HttpError, TimeoutError):
    """The pool, the response head or a piece of the body did not come in time."""


class _Stale(Exception):
    """A reused connection ended before the first byte of the answer (see the module docstring)."""


class _Target(NamedTuple):
    origin: tuple[str, str, int]  # scheme, host, port
    target: bytes  # path and query, as sent on the request line
    host: str  # the Host header


def _parse_url(url: str) -> _Target:
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"not a valid URL: {url!r} ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(f"not an http or https URL: {url!r}")
    host = parts.hostname
    if not host:
        raise ValueError(f"no host in URL {url!r}")
    if port is None:
        port = 80 if scheme == "http" else 443
    target = parts.path or "/"
    if parts.query:
        target = f"{target}?{parts.query}"
    # Whatever the URL said after any user info, brackets of an IPv6 literal included.
    authority = parts.netloc.rpartition("@")[2].rstrip(":")
    if not (target.isascii() and authority.isascii()):
        raise ValueError(f"URL must be ASCII (percent-encode the path, punycode the host): {url!r}")
    return _Target((scheme, host, port), target.encode("ascii"), authority)


def _request_head(
    method: str, target: _Target, headers: Sequence[tuple[str, str]] | Mapping[str, str], body: bytes
) -> h11.Request:
    items: list[tuple[str, str]] = [("host", target.host)]
    framed = False
    for name, value in headers.items() if isinstance(headers, Mapping) else headers:
        lower = name.lower()
        if lower == "host":
            items[0] = (name, value)
            continue
        if lower == "content-length" or lower == "transfer-encoding":
            framed = True
        items.append((name, value))
    if not framed and (body or method in _BODY_METHODS):
        items.append(("content-length", str(len(body))))
    try:
        return h11.Request(method=method, target=target.target, headers=items)
    except (h11.LocalProtocolError, UnicodeError) as exc:
        raise ValueError(f"invalid HTTP request ({method} {target.target!r}): {exc}") from None


def _lost(exc: BaseException, doing: str) -> HttpError:
    """The error to raise for ``exc``, met while ``doing`` something on a connection."""
    if isinstance(exc, HttpError):
        return exc
    if isinstance(exc, h11.RemoteProtocolError):
        return ProtocolError(f"invalid response from the server while {doing}: {exc}")
    if isinstance(exc, anyio.ClosedResourceError):
        return HttpError(f"the connection was closed by this client while {doing}")
    return ProtocolError(f"connection lost while {doing}: {exc!r}")


# Errors of a socket that the peer closed or reset (anyio wraps most, not all, of them).
_SOCKET_ERRORS: Final = (
    anyio.BrokenResourceError,
    anyio.ClosedResourceError,
    OSError,
    h11.RemoteProtocolError,
)


class _Connection:
    __slots__ = ("expires_at", "h11", "sock", "stream")

    def __init__(self, stream: anyio.abc.ByteStream, max_header_size: int) -> None:
        self.stream = stream
        self.h11 = h11.Connection(h11.CLIENT, max_incomplete_event_size=max_header_size)
        self.expires_at = 0.0
        self.sock: socket.socket | None = stream.extra(anyio.abc.SocketAttribute.raw_socket, None)

    def looks_closed(self) -> bool:
        """Whether an idle connection has anything to read: the server's EOF, or bytes nobody
        asked for. Either way it is no use for the next request."""
        sock = self.sock
        if sock is None:
            return False
        fd = sock.fileno()
        if fd < 0:
            return True  # the event loop already closed it (a reset while idle)
        try:
            if hasattr(select, "poll"):
                poller = select.poll()
                poller.register(fd, select.POLLIN)
                return bool(poller.poll(0))
            readable, _, _ = select.select([fd], [], [], 0)
            return bool(readable)
        except (OSError, ValueError):
            return True


class _Origin:
    """The connections to one scheme, host and port."""

    __slots__ = ("client", "closed", "conns", "host", "idle", "port", "slots", "tls")

    def __init__(self, client: HttpClient, scheme: str, host: str, port: int) -> None:
        self.client = client
        self.host = host
        self.port = port
        self.tls = scheme == "https"
        self.slots = anyio.Semaphore(client.max_connections)
        self.idle: deque[_Connection] = deque()
        self.conns: set[_Connection] = set()
        self.closed = False

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    async def acquire(self) -> None:
        try:
            self.slots.acquire_nowait()
            return
        except anyio.WouldBlock:
            pass
        timeout = self.client.pool_timeout
        if timeout is None:
            await self.slots.acquire()
            return
        try:
            with anyio.fail_after(timeout):
                await self.slots.acquire()
        except TimeoutError:
            raise Timeout(
                f"no free connection to {self} within {timeout} s (max_connections="
                f"{self.client.max_connections}; are responses left unclosed?)"
            ) from None

    async def take_idle(self) -> _Connection | None:
        idle = self.idle
        if not idle:
            return None
        now = time.monotonic()
        while idle and idle[0].expires_at <= now:
            await self.close(idle.popleft())
        while idle:
            conn = idle.pop()
            if not conn.looks_closed():
                return conn
            await self.close(conn)
        return None

    async def connect(self) -> _Connection:
        client = self.client
        timeout = client.connect_timeout
        try:
            with anyio.fail_after(timeout):
                stream: anyio.abc.ByteStream
                if self.tls:
                    stream = await anyio.connect_tcp(
                        self.host,
                        self.port,
                        ssl_context=client._tls_context(),
                        tls_hostname=self.host,
                        tls_standard_compatible=False,  # HTTP frames its own end; no close_notify needed
                    )
                else:
                    stream = await anyio.connect_tcp(self.host, self.port)
        except TimeoutError:
            raise ConnectError(f"could not connect to {self} within {timeout} s") from None
        except (OSError, ssl.SSLError, anyio.BrokenResourceError, anyio.EndOfStream) as exc:
            detail = exc.__cause__ if isinstance(exc.__cause__, Exception) else exc
            raise ConnectError(f"could not connect to {self}: {detail}") from exc
        conn = _Connection(stream, client.max_header_size)
        if conn.sock is not None:
            try:
                conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        if self.closed:
            await anyio.aclose_forcefully(stream)
            raise HttpError("the HTTP client is closed")
        self.conns.add(conn)
        return conn

    async def close(self, conn: _Connection) -> None:
        self.conns.discard(conn)
        await anyio.aclose_forcefully(conn.stream)

    async def drop(self, conn: _Connection) -> None:
        """Close a borrowed connection and give its slot back."""
        try:
            await self.close(conn)
        finally:
            self.slots.release()

    async def give_back(self, conn: _Connection) -> None:
        """A borrowed connection whose answer is complete: pool it if it may carry another."""
        h = conn.h11
        if self.closed or h.our_state is not h11.DONE or h.their_state is not h11.DONE:
            await self.drop(conn)
            return
        h.start_next_cycle()
        leftover, eof = h.trailing_data
        if leftover or eof:
            await self.drop(conn)
            return
        conn.expires_at = time.monotonic() + self.client.keep_alive_expiry
        self.idle.append(conn)
        self.slots.release()


class HttpClient:
    """An HTTP/1.1 client that keeps connections alive and reuses them.

    * ``max_connections``: connections per origin at most; a request waits for a free one up to
      ``pool_timeout`` seconds (None: no limit), then raises :class:`Timeout`;
    * ``connect_timeout``: seconds to open a connection (and do the TLS handshake);
    * ``read_timeout``: seconds to wait for the response head (counted from the start of writing
      the request) and then for each piece of the body; :meth:`request` can override it;
    * ``keep_alive_expiry``: seconds an idle connection stays in the pool;
    * ``max_header_size``: bytes of a response head at most;
    * ``ssl_context``: for ``https://`` (default: ``ssl.create_default_context()``).
    """

    def __init__(
        self,
        *,
        max_connections: int = 100,
        pool_timeout: float | None = 30.0,
        connect_timeout: float = 10.0,
        read_timeout: float | None = 60.0,
        keep_alive_expiry: float = 5.0,
        max_header_size: int = 64 * 1024,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if max_connections < 1:
            raise ValueError(f"max_connections must be at least 1, not {max_connections}")
        if max_header_size < 1:
            raise ValueError(f"max_header_size must be positive, not {max_header_size}")
        for name, value in (
            ("pool_timeout", pool_timeout),
            ("connect_timeout", connect_timeout),
            ("read_timeout", read_timeout),
        ):
            if value is not None and value <= 0:
                raise ValueError(f"{name} must be positive, not {value}")
        if keep_alive_expiry < 0:
            raise ValueError(f"keep_alive_expiry must not be negative, not {keep_alive_expiry}")
        self.max_connections = max_connections
        self.pool_timeout = pool_timeout
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.keep_alive_expiry = keep_alive_expiry
        self.max_header_size = max_header_size
        self._ssl_context = ssl_context
        self._origins: dict[tuple[str, str, int], _Origin] = {}
        self._targets: dict[str, _Target] = {}
        self._closed = False

    def _tls_context(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            context = ssl.create_default_context()
            context.set_alpn_protocols(["http/1.1"])
            self._ssl_context = context
        return self._ssl_context

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Sequence[tuple[str, str]] | Mapping[str, str] = (),
        body: bytes = b"",
        read_timeout: float | _Default | None = DEFAULT,
    ) -> Response:
        """Send a request and return as soon as the response head is in; the body streams
        from the :class:`Response`, which must be read to its end or closed.

        Raises :class:`ValueError` for a malformed URL, method or header, and an
        :class:`HttpError` when the exchange fails."""
        if self._closed:
            raise HttpError("the HTTP client is closed")
        target = self._targets.get(url)
        if target is None:
            target = _parse_url(url)
            if len(self._targets) >= _TARGET_CACHE:
                self._targets.clear()
            self._targets[url] = target
        head = _request_head(method, target, headers, body)
        timeout = self.read_timeout if read_timeout is DEFAULT else read_timeout
        origin = self._origins.get(target.origin)
        if origin is None:
            origin = self._origins[target.origin] = _Origin(self, *target.origin)
        await origin.acquire()
        try:
            if origin.closed:
                raise HttpError("the HTTP client is closed")
            conn = await origin.take_idle()
            if conn is not None:
                try:
                    return await self._exchange(origin, conn, head, body, timeout, reused=True)
                except _Stale:
                    pass  # never read by the server: send it again, on a new connection
            conn = await origin.connect()
            return await self._exchange(origin, conn, head, body, timeout, reused=False)
        except BaseException:
            origin.slots.release()
            raise

    async def _exchange(
        self,
        origin: _Origin,
        conn: _Connection,
        head: h11.Request,
        body: bytes,
        timeout: float | None,
        *,
        reused: bool,
    ) -> Response:
        """Write the request and read the response head; on any failure the connection is closed."""
        try:
            if timeout is None:
                event = await self._send_and_wait(conn, head, body, reused)
            else:
                try:
                    with anyio.fail_after(timeout):
                        event = await self._send_and_wait(conn, head, body, reused)
                except TimeoutError:
                    raise Timeout(f"no response from {origin} within {timeout} s") from None
            return Response(origin, conn, event, timeout)
        except BaseException:
            await origin.close(conn)
            raise

    @staticmethod
    async def _send_and_wait(conn: _Connection, head: h11.Request, body: bytes, reused: bool) -> h11.Response:
        h = conn.h11
        stream = conn.stream
        try:
            start = h.send(head) or b""
            payload = (h.send(h11.Data(data=body)) or b"") if body else b""
            end = h.send(h11.EndOfMessage()) or b""
        except h11.LocalProtocolError as exc:
            raise ValueError(f"invalid HTTP request body: {exc}") from None
        got = False
        try:
            if len(payload) <= _JOIN_LIMIT:
                await stream.send(b"".join((start, payload, end)) if payload or end else start)
            else:
                await stream.send(start)
                await stream.send(payload)
                if end:
                    await stream.send(end)
            informational = 0
            while True:
                event = h.next_event()
                if event is h11.NEED_DATA:
                    try:
                        data = await stream.receive(_CHUNK)
                    except anyio.EndOfStream:
                        data = b""
                    if not data and not got:
                        if reused:
                            raise _Stale
                        raise ProtocolError("the server closed the connection without answering")
                    got = True
                    h.receive_data(data)
                elif type(event) is h11.Response:
                    return event
                elif type(event) is h11.InformationalResponse:
                    informational += 1
                    if informational > _MAX_INFORMATIONAL:
                        raise ProtocolError(f"more than {_MAX_INFORMATIONAL} informational responses")
                else:
                    raise ProtocolError(f"expected a response head, got {event!r}")
        except (anyio.BrokenResourceError, OSError) as exc:
            if reused and not got:
                raise _Stale from exc
            raise _lost(exc, "waiting for the response") from exc
        except (anyio.ClosedResourceError, h11.RemoteProtocolError) as exc:
            raise _lost(exc, "waiting for the response") from exc

    async def aclose(self) -> None:
        """Close every connection, those of unfinished responses too; later requests raise
        :class:`HttpError`."""
        self._closed = True
        origins = list(self._origins.values())
        self._origins.clear()
        for origin in origins:
            origin.closed = True
            origin.idle.clear()
            for conn in list(origin.conns):
                await origin.close(conn)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


class Response:
    """The answer to one request: status and head at once, the body as it streams in.

    ``headers`` has lowercased names, in the order received. ``read_timeout`` is the number of
    seconds to wait for each piece of the body (None: forever); it starts as the request's and
    may be changed, say for a long-lived stream that is allowed to stay silent longer.
    """

    __slots__ = (
        "_complete",
        "_conn",
        "_origin",
        "headers",
        "http_version",
        "read_timeout",
        "reason",
        "status",
    )

    def __init__(
        self, origin: _Origin, conn: _Connection, head: h11.Response, read_timeout: float | None
    ) -> None:
        self.status: int = head.status_code
        self.reason: str = head.reason.decode("latin-1")
        self.headers: list[tuple[str, str]] = []
        # h11 bounds only a head that is still incomplete; one that came whole in a single read
        # is measured here (names, values and their separators).
        size = len(self.reason) + 15
        for name, value in head.headers:
            size += len(name) + len(value) + 4
            self.headers.append((name.decode("latin-1"), value.decode("latin-1")))
        if size > origin.client.max_header_size:
            raise ProtocolError(f"the response head is larger than {origin.client.max_header_size} bytes")
        self.http_version: str = head.http_version.decode("ascii")
        self.read_timeout = read_timeout
        self._origin = origin
        self._conn: _Connection | None = conn
        self._complete = False

    def __repr__(self) -> str:
        return f"<Response {self.status} {self.reason}>"

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (any case), or None."""
        name = name.lower()
        for key, value in self.headers:
            if key == name:
                return value
        return None

    async def read(self, max_size: int = 32 * 1024 * 1024) -> bytes:
        """The rest of the body. Beyond ``max_size`` bytes the connection is closed and
        :class:`ResponseTooLarge` raised."""
        pieces: list[bytes] = []
        size = 0
        while (piece := await self._next_piece()) is not None:
            size += len(piece)
            if size > max_size:
                await self._abort()
                raise ResponseTooLarge(f"the response body is larger than {max_size} bytes")
            pieces.append(piece)
        return b"".join(pieces)

    def iter_bytes(self) -> AsyncIterator[bytes]:
        """The rest of the body, piece by piece as it arrives."""
        return _Body(self)

    async def aclose(self) -> None:
        """Done with this response. Its connection goes back to the pool if the whole body had
        arrived (read or not) and the server keeps the connection; otherwise it is closed."""
        conn = self._conn
        if conn is None:
            return
        self._conn = None
        h = conn.h11
        try:
            # Only what is already buffered: 204, 304, HEAD and small bodies end here.
            while True:
                event = h.next_event()
                if type(event) is h11.EndOfMessage:
                    self._complete = True
                    await self._origin.give_back(conn)
                    return
                if type(event) is not h11.Data:
                    break
        except h11.RemoteProtocolError:
            pass
        await self._origin.drop(conn)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def _abort(self) -> None:
        conn = self._conn
        if conn is not None:
            self._conn = None
            await self._origin.drop(conn)

    async def _next_piece(self) -> bytes | None:
        """The next piece of the body, or None at its end."""
        conn = self._conn
        if conn is None:
            if self._complete:
                return None
            raise HttpError("the response was closed before its body was read")
        h = conn.h11
        try:
            while True:
                event = h.next_event()
                if event is h11.NEED_DATA:
                    timeout = self.read_timeout
                    try:
                        if timeout is None:
                            data = await conn.stream.receive(_CHUNK)
                        else:
                            with anyio.fail_after(timeout):
                                data = await conn.stream.receive(_CHUNK)
                    except anyio.EndOfStream:
                        data = b""
                    except TimeoutError:
                        raise Timeout(f"no data from {self._origin} for {timeout} s") from None
                    h.receive_data(data)
                elif type(event) is h11.Data:
                    if event.data:
                        return event.data
                elif type(event) is h11.EndOfMessage:
                    self._conn = None
                    self._complete = True
                    await self._origin.give_back(conn)
                    return None
                else:
                    raise ProtocolError(f"expected the response body, got {event!r}")
        except BaseException as exc:
            if self._conn is conn:
                self._conn = None
                await self._origin.drop(conn)
            if isinstance(exc, HttpError) or not isinstance(exc, _SOCKET_ERRORS):
                raise
            raise _lost(exc, "reading the response body") from exc


class _Body(AsyncIterator[bytes]):
    __slots__ = ("_response",)

    def __init__(self, response: Response) -> None:
        self._response = response

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> bytes:
        piece = await self._response._next_piece()
        if piece is None:
            raise StopAsyncIteration
        return bytes(piece)
