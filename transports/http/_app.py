"""The MCP endpoint of Streamable HTTP, as an ASGI application.

Written once, as ASGI, so that it runs the same under our own h11 server
(:class:`~transports.http.HttpServer`) and under uvicorn, hypercorn, Starlette or FastAPI
(``server.asgi_app()``), and so that the HTTP server stays a plain HTTP server that knows
nothing of MCP. What this module knows is the MCP side of each HTTP exchange:

* ``POST <path>``: a JSON-RPC message (or, under 2025-03-26, a batch). Only notifications and
  responses: 202, no body. Requests: one SSE stream carrying what the server sends while it
  handles them and then their answers, or (JSON-response mode, or a client that accepts only
  JSON) one JSON body with the answers.
* ``GET <path>``: the session's standalone SSE stream, or with ``Last-Event-ID`` the resumption
  of any stream of the session.
* ``DELETE <path>``: the end of a session.
* ``GET /health``, ``GET /metrics``: operations.

Sessions (stateful mode, the default) live in tasks of the app's own task group, which the
ASGI lifespan opens (or :meth:`StreamableHttpApp.running`, for hosts that do not forward the
lifespan to a mounted app); each has its own dispatcher, so request ids are never correlated
across sessions. In stateless mode each POST is a session of its own, served in the request's
task and gone with it.

The order of the checks on a request is the order that reveals least and costs least:
Host (DNS rebinding) and Origin first, then authentication, then the method, the media types,
the session, the protocol version and rate limit, and only then the body is read as JSON-RPC.
"""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import itertools
import logging
import math
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import anyio
import orjson

from mcpcore import __version__, modern, revisions
from mcpcore.errors import (
    HEADER_MISMATCH,
    INVALID_PARAMS,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    MISSING_REQUIRED_CLIENT_CAPABILITY,
    PARSE_ERROR,
    UNSUPPORTED_PROTOCOL_VERSION,
    McpError,
)
from mcpcore.wire import (
    DecodeError,
    ErrorResponse,
    Message,
    Notification,
    Request,
    RequestId,
    decode,
    encode,
)

from ._events import EventStore, MemoryEventStore, format_event_id, parse_event_id
from ._ops import Metrics, RateLimiter, access_logger, parse_bearer, request_id, www_authenticate
from ._streams import HttpSession, SseStream, pump, sse_event

if TYPE_CHECKING:
    from anyio.abc import TaskGroup, TaskStatus

    from mcpcore.server import Server, ServerSession

__all__ = ["AuthHook", "StreamableHttpApp"]

_log = logging.getLogger("mcpcore.http")

# The types of the ASGI specification (asgiref's and Starlette's spelling), so the app fits any host.
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

AuthHook = Callable[[str | None], Any]
"""Called with the bearer token of a request (None when it has none); returns the principal
(any value but None), or None to refuse the request with 401. May be async."""

_LOOPBACK_NAMES: Final = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
_SESSION_HEADER: Final = "mcp-session-id"
_VERSION_HEADER: Final = "mcp-protocol-version"
_DEFAULT_VERSION: Final = "2025-03-26"
# Stateless requests that read the server and change nothing in a session: these share one.
_SHAREABLE: Final = frozenset(
    {
        "ping",
        "tools/list",
        "tools/call",
        "resources/list",
        "resources/templates/list",
        "resources/read",
        "prompts/list",
        "prompts/get",
        "completion/complete",
    }
)  # what a request without the version header speaks
_JSON: Final = b"application/json"
_SSE: Final = b"text/event-stream"


class _Default:
    pass


_DEFAULT_STORE: Final = _Default()


@dataclass(eq=False)
class _Entry:
    """A session of the stateful mode, as the app keeps it."""

    id: str
    transport: HttpSession
    principal: Any
    session: ServerSession | None = None
    last_seen: float = field(default_factory=time.monotonic)
    ready: anyio.Event = field(default_factory=anyio.Event)
    legacy: bool = False  # a session of the 2024-11-05 HTTP+SSE transport


@dataclass(eq=False)
class _Exchange:
    """One HTTP request/response, for the access log and the metrics."""

    scope: Scope
    headers: dict[str, str]
    request_id: str
    start: float
    status: int = 0
    sent: int = 0
    mcp_method: str = "-"
    session: str | None = None
    extra: list[tuple[bytes, bytes]] = field(default_factory=list)


class _Refused(Exception):
    """An HTTP error answer: status, a reason, and optionally a JSON-RPC error body."""

    def __init__(
        self,
        status: int,
        reason: str,
        *,
        code: int | None = INVALID_REQUEST,
        rid: RequestId | None = None,
        headers: Sequence[tuple[bytes, bytes]] = (),
        data: Any = None,
    ) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.code = code
        self.rid = rid
        self.headers = list(headers)
        self.data = data


class StreamableHttpApp:
    """An ASGI application serving one :class:`~mcpcore.server.Server` over Streamable HTTP.

    Build it with ``server.asgi_app(...)`` (same options). The options, all with safe defaults:

    * ``path``: the MCP endpoint (``/mcp``).
    * ``stateless``: no sessions; every POST stands alone (no GET stream, no DELETE, no
      server-to-client requests, no resumption).
    * ``json_response``: answer requests with one JSON body, never an SSE stream.
    * ``event_store``: where SSE events are kept for resumption (a bounded in-memory store by
      default; None turns resumption off).
    * ``allowed_hosts``: the ``Host`` values accepted (``"name"`` or ``"name:port"``); by
      default, when the server is bound to a loopback address, only loopback names, which
      stops DNS rebinding; ``["*"]`` accepts any.
    * ``allowed_origins``: the ``Origin`` values accepted when a request has one; by default
      loopback origins only (a browser page served from elsewhere must be listed); ``["*"]``
      accepts any.
    * ``auth``: an :data:`AuthHook`; with one, every MCP request needs a valid bearer token
      (401 otherwise) and a session belongs to the principal that created it.
    * ``session_idle_timeout``: seconds after which an unused session ends (1800).
    * ``max_sessions``: open sessions at most (10,000); an initialize beyond gets 503.
    * ``max_body_size``: bytes of a POST body at most (4 MiB); more gets 413.
    * ``rate_limit``: ``(requests per second, burst)`` per session (per client address when
      stateless); None (the default) turns it off. Over it: 429 with ``Retry-After``.
    * ``sse_keepalive``: seconds between comment lines on an idle stream (15).
    * ``sse_retry_ms``: the ``retry`` the server asks of 2025-11-25 clients (1000).
    * ``sse_poll_after``: end every POST stream's connection after this many seconds and let
      the client resume it (2025-11-25 polling; None: never).
    * ``sse_after``: seconds a request may run before its answer becomes an SSE stream (1.0).
      An answer ready sooner, with nothing sent before it, goes out as one JSON body, which
      the spec lets a server choose per request and which costs one write instead of a
      stream; anything sent before the answer (progress, a log, a request to the client)
      opens the stream at once. 0 makes every answer a stream.
    * ``sse_write_timeout``: seconds one write to a stream may take (30); a client that stops
      reading loses its connection (the stream, and the event store, keep what it missed)
      instead of holding up what the server sends.
    * ``health_path``, ``metrics_path``: operations endpoints (None turns one off).
    * ``access_log``: one JSON line per request on stderr (the ``mcpcore.http.access`` logger).
    * ``legacy_sse``: also serve the deprecated 2024-11-05 HTTP+SSE transport, a GET stream at
      ``legacy_sse_path`` (``/sse``) and its POST endpoint at ``legacy_messages_path``
      (``/messages``), for old clients (off by default).
    """

    def __init__(
        self,
        server: Server,
        *,
        path: str = "/mcp",
        stateless: bool = False,
        json_response: bool = False,
        event_store: EventStore | _Default | None = _DEFAULT_STORE,
        allowed_hosts: Sequence[str] | None = None,
        allowed_origins: Sequence[str] | None = None,
        auth: AuthHook | None = None,
        auth_realm: str = "mcp",
        resource_metadata: str | None = None,
        session_idle_timeout: float = 1800.0,
        max_sessions: int = 10_000,
        max_body_size: int = 4 * 1024 * 1024,
        rate_limit: tuple[float, int] | None = None,
        sse_keepalive: float = 15.0,
        sse_retry_ms: int = 1000,
        sse_poll_after: float | None = None,
        sse_after: float = 1.0,
        sse_write_timeout: float = 30.0,
        health_path: str | None = "/health",
        metrics_path: str | None = "/metrics",
        access_log: bool = True,
        legacy_sse: bool = False,
        legacy_sse_path: str = "/sse",
        legacy_messages_path: str = "/messages",
    ) -> None:
        if not path.startswith("/"):
            raise ValueError(f"path must start with '/', not {path!r}")
        if session_idle_timeout <= 0 or sse_keepalive <= 0 or max_sessions < 1 or max_body_size < 1:
            raise ValueError("timeouts, max_sessions and max_body_size must be positive")
        self.server = server
        self.path = path
        self.stateless = stateless
        self.json_response = json_response
        if isinstance(event_store, _Default):
            event_store = None if stateless else MemoryEventStore()
        self.event_store = event_store
        self.allowed_hosts = None if allowed_hosts is None else frozenset(h.lower() for h in allowed_hosts)
        self.allowed_origins = (
            None if allowed_origins is None else frozenset(o.lower() for o in allowed_origins)
        )
        self.auth = auth
        self.auth_realm = auth_realm
        self.resource_metadata = resource_metadata
        self.session_idle_timeout = session_idle_timeout
        self.max_sessions = max_sessions
        self.max_body_size = max_body_size
        self.rate_limiter = None if rate_limit is None else RateLimiter(*rate_limit)
        self.sse_keepalive = sse_keepalive
        self.sse_retry_ms = sse_retry_ms
        self.sse_poll_after = sse_poll_after
        if sse_after < 0:
            raise ValueError(f"sse_after must not be negative, not {sse_after}")
        self.sse_after = sse_after
        if sse_write_timeout <= 0:
            raise ValueError(f"sse_write_timeout must be positive, not {sse_write_timeout}")
        self.sse_write_timeout = sse_write_timeout
        self.health_path = health_path
        self.metrics_path = metrics_path
        self.legacy_sse = legacy_sse
        self.legacy_sse_path = legacy_sse_path
        self.legacy_messages_path = legacy_messages_path
        self._log = access_logger(enabled=access_log) if access_log else None
        self.sessions: dict[str, _Entry] = {}
        self.metrics = Metrics(version=__version__)
        self.metrics.add_gauge("mcpcore_active_sessions", "Open MCP sessions", lambda: len(self.sessions))
        self.metrics.add_gauge("mcpcore_active_streams", "SSE streams being written", lambda: self._streams)
        self._streams = 0
        self._started = time.monotonic()
        self._tg: TaskGroup | None = None
        self._shared: dict[str, _Entry] = {}  # stateless mode: one session per version, shared
        self._shared_ids = itertools.count(1)

    # -- lifetime -------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Hold the server's lifespan and the sessions' task group open while the block runs.

        The ASGI lifespan does this by itself; a host that does not pass the lifespan on to a
        mounted app (Starlette's ``Mount``) enters it in its own lifespan instead.
        """
        if self._tg is not None:
            raise RuntimeError("this app is already running: enter running() (or its lifespan) once")
        async with self.server.running(), anyio.create_task_group() as tg:
            self._tg = tg
            if not self.stateless:
                tg.start_soon(self._expire_idle)
            try:
                yield
            finally:
                await self._end_listens()
                self._tg = None
                for entry in [*self.sessions.values(), *self._shared.values()]:
                    await entry.transport.aclose()
                tg.cancel_scope.cancel()

    async def _end_listens(self, grace: float = 1.0) -> None:
        """End open subscriptions/listen streams with their final result, and let it go out."""
        if not self.server.listeners:
            return
        self.server.end_subscriptions()
        with anyio.move_on_after(grace):
            # Polled: the streams count has no event of its own, and this runs once, bounded.
            while self._streams:  # noqa: ASYNC110
                await anyio.sleep(0.01)

    async def _expire_idle(self) -> None:
        period = min(60.0, self.session_idle_timeout / 4)
        while True:
            await anyio.sleep(period)
            deadline = time.monotonic() - self.session_idle_timeout
            for entry in list(self.sessions.values()):
                transport = entry.transport
                busy = transport.routes or any(s.attached for s in transport.streams.values())
                if entry.last_seen < deadline and not busy:
                    _log.info("session %s expired after %.0f s idle", entry.id, self.session_idle_timeout)
                    await self._end(entry)

    async def _end(self, entry: _Entry) -> None:
        self.sessions.pop(entry.id, None)
        if self.rate_limiter is not None:
            self.rate_limiter.forget(entry.id)
        await entry.transport.aclose()

    # -- ASGI -----------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        else:
            raise RuntimeError(f"this app serves HTTP, not {kind!r}")

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        message = await receive()
        if message["type"] != "lifespan.startup":
            return
        stack = contextlib.AsyncExitStack()
        try:
            await stack.enter_async_context(self.running())
        except Exception as exc:
            await send({"type": "lifespan.startup.failed", "message": f"{type(exc).__name__}: {exc}"})
            return
        await send({"type": "lifespan.startup.complete"})
        try:
            while (await receive())["type"] != "lifespan.shutdown":
                pass
        finally:
            try:
                await stack.aclose()
            except Exception as exc:
                await send({"type": "lifespan.shutdown.failed", "message": f"{type(exc).__name__}: {exc}"})
                return
        await send({"type": "lifespan.shutdown.complete"})

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers: dict[str, str] = {}
        for name, value in scope["headers"]:
            key = name.decode("latin-1").lower()
            if key not in headers:  # the first of repeated headers counts
                headers[key] = value.decode("latin-1")
        ex = _Exchange(scope, headers, request_id(headers.get("x-request-id")), time.perf_counter())
        ex.extra.append((b"x-request-id", ex.request_id.encode()))
        try:
            path = scope["path"]
            root = scope.get("root_path", "")
            if root and path.startswith(root):
                path = path[len(root) :]  # mounted under a prefix (Starlette's Mount, --root-path)
            method = scope["method"]
            if path == self.path:
                await self._mcp(ex, receive, send)
            elif self.legacy_sse and path in (self.legacy_sse_path, self.legacy_messages_path):
                await self._legacy(ex, path, receive, send)
            elif path == self.health_path and method in ("GET", "HEAD"):
                ex.mcp_method = "health"
                await self._health(ex, send)
            elif path == self.metrics_path and method in ("GET", "HEAD"):
                ex.mcp_method = "metrics"
                await self._respond(ex, send, 200, self.metrics.render(), self.metrics.CONTENT_TYPE.encode())
            else:
                await self._respond(ex, send, 404, b"Not Found\n", b"text/plain; charset=utf-8")
        except _Refused as refusal:
            if ex.status == 0:
                await self._refuse(ex, send, refusal)
        finally:
            self._finished(ex)

    def _finished(self, ex: _Exchange) -> None:
        seconds = time.perf_counter() - ex.start
        status = ex.status or 499  # the client went away before an answer started
        label = ex.mcp_method if ex.mcp_method != "-" else ex.scope["method"]
        self.metrics.observe_request(label, status, seconds, error=status >= 400)
        if self._log is not None:
            client = ex.scope.get("client")
            self._log.info(
                "request",
                extra={
                    "fields": {
                        "method": ex.scope["method"],
                        "path": ex.scope["path"],
                        "status": status,
                        "duration_ms": round(seconds * 1000, 3),
                        "bytes": ex.sent,
                        "request_id": ex.request_id,
                        "session": ex.session,
                        "client": f"{client[0]}:{client[1]}" if client else None,
                        "mcp_method": ex.mcp_method,
                        "user_agent": ex.headers.get("user-agent"),
                    }
                },
            )

    # -- plain answers --------------------------------------------------------------------------

    async def _start(
        self, ex: _Exchange, send: Send, status: int, headers: list[tuple[bytes, bytes]]
    ) -> None:
        ex.status = status
        await send({"type": "http.response.start", "status": status, "headers": headers + ex.extra})

    async def _respond(
        self,
        ex: _Exchange,
        send: Send,
        status: int,
        body: bytes,
        content_type: bytes | None,
        headers: Sequence[tuple[bytes, bytes]] = (),
    ) -> None:
        all_headers = [(b"content-length", str(len(body)).encode()), *headers]
        if content_type is not None:
            all_headers.append((b"content-type", content_type))
        await self._start(ex, send, status, all_headers)
        ex.sent += len(body)
        await send({"type": "http.response.body", "body": body if ex.scope["method"] != "HEAD" else b""})

    async def _refuse(self, ex: _Exchange, send: Send, refusal: _Refused) -> None:
        if refusal.code is None:
            await self._respond(
                ex,
                send,
                refusal.status,
                refusal.reason.encode() + b"\n",
                b"text/plain; charset=utf-8",
                refusal.headers,
            )
            return
        body = ErrorResponse(
            refusal.rid, refusal.code, refusal.reason, refusal.data, omit_id=refusal.rid is None
        )
        await self._respond(ex, send, refusal.status, encode(body), _JSON, refusal.headers)

    async def _health(self, ex: _Exchange, send: Send) -> None:
        body = orjson.dumps(
            {
                "status": "ok",
                "version": __version__,
                "uptime_seconds": round(time.monotonic() - self._started, 3),
                "sessions": len(self.sessions),
                "streams": self._streams,
                "mode": "stateless" if self.stateless else "stateful",
            }
        )
        await self._respond(ex, send, 200, body, _JSON, [(b"cache-control", b"no-store")])

    # -- the MCP endpoint -----------------------------------------------------------------------

    async def _mcp(self, ex: _Exchange, receive: Receive, send: Send) -> None:
        self._check_host(ex)
        self._check_origin(ex)
        principal = await self._authenticate(ex)
        method = ex.scope["method"]
        if method == "POST":
            await self._post(ex, principal, receive, send)
        elif method in ("GET", "DELETE") and self._speaks_modern(ex.headers.get(_VERSION_HEADER)):
            # 2026-07-28 has no GET stream and no session to delete: POST is all there is.
            raise _Refused(405, f"Method Not Allowed: {method}", code=None, headers=[(b"allow", b"POST")])
        elif method == "GET" and not self.stateless:
            await self._get(ex, principal, receive, send)
        elif method == "DELETE" and not self.stateless:
            await self._delete(ex, principal, send)
        else:
            allow = b"POST" if self.stateless else b"GET, POST, DELETE"
            raise _Refused(405, f"Method Not Allowed: {method}", code=None, headers=[(b"allow", allow)])

    async def _legacy(self, ex: _Exchange, path: str, receive: Receive, send: Send) -> None:
        from ._legacy import legacy_get, legacy_post

        self._check_host(ex)
        self._check_origin(ex)
        principal = await self._authenticate(ex)
        method = ex.scope["method"]
        if path == self.legacy_sse_path and method == "GET":
            await legacy_get(self, ex, principal, receive, send)
        elif path == self.legacy_messages_path and method == "POST":
            await legacy_post(self, ex, principal, receive, send)
        else:
            allow = b"GET" if path == self.legacy_sse_path else b"POST"
            raise _Refused(405, f"Method Not Allowed: {method}", code=None, headers=[(b"allow", allow)])

    def _check_host(self, ex: _Exchange) -> None:
        allowed = self.allowed_hosts
        if allowed is not None and "*" in allowed:
            return
        host = ex.headers.get("host", "").lower()
        if allowed is None:
            server = ex.scope.get("server")
            if not server or not _is_loopback(server[0]):
                return  # bound to a routable address: the operator chose exposure
            name = _host_name(host)
            if name is not None and name in _LOOPBACK_NAMES:
                return
        elif host in allowed or _host_name(host) in allowed:
            return
        raise _Refused(421, f"Misdirected Request: Host {host!r} is not allowed")

    def _check_origin(self, ex: _Exchange) -> None:
        origin = ex.headers.get("origin")
        if origin is None:
            return
        origin = origin.lower()
        allowed = self.allowed_origins
        if allowed is not None and ("*" in allowed or origin in allowed):
            return
        if allowed is None:
            # Loopback pages only. Not "the Host of the request": a DNS-rebinding page sends an
            # Origin and a Host that agree, both naming the attacker's domain.
            scheme, sep, rest = origin.partition("://")
            if sep and scheme in ("http", "https"):
                name = _host_name(rest)
                if name is not None and name in _LOOPBACK_NAMES:
                    return
        raise _Refused(403, f"Forbidden: Origin {origin!r} is not allowed")

    async def _authenticate(self, ex: _Exchange) -> Any:
        if self.auth is None:
            return None
        token = parse_bearer(ex.headers.get("authorization"))
        principal = self.auth(token)
        if isinstance(principal, Awaitable):
            principal = await principal
        if principal is None:
            challenge = www_authenticate(
                self.auth_realm,
                error="invalid_token" if token is not None else None,
                resource_metadata=self.resource_metadata,
            )
            raise _Refused(
                401,
                "Unauthorized: a valid bearer token is required",
                headers=[(b"www-authenticate", challenge.encode())],
            )
        return principal

    def _session(self, ex: _Exchange, principal: Any, *, required: bool = True) -> _Entry | None:
        sid = ex.headers.get(_SESSION_HEADER)
        if sid is None:
            if required:
                raise _Refused(400, "Bad Request: Mcp-Session-Id header is required")
            return None
        entry = self.sessions.get(sid)
        if entry is None or entry.legacy:
            raise _Refused(404, "Session not found: it expired or was ended; initialize a new one")
        if self.auth is not None and entry.principal != principal:
            raise _Refused(403, "Forbidden: this session belongs to another principal")
        ex.session = sid
        entry.last_seen = time.monotonic()
        self._check_rate(entry.id)
        return entry

    def _check_rate(self, key: str) -> None:
        if self.rate_limiter is None:
            return
        wait = self.rate_limiter.check(key)
        if wait > 0:
            raise _Refused(
                429,
                "Too Many Requests",
                headers=[(b"retry-after", str(max(1, math.ceil(wait))).encode())],
            )

    def _version(self, ex: _Exchange, entry: _Entry | None) -> str | None:
        """The protocol version the request speaks (validated), or None before negotiation."""
        header = ex.headers.get(_VERSION_HEADER)
        if header is not None:
            if header not in self.server.versions:
                raise _Refused(
                    400,
                    f"Bad Request: unsupported MCP-Protocol-Version {header!r} "
                    f"(supported: {', '.join(self.server.versions)})",
                )
            return header
        session = None if entry is None else entry.session
        if session is not None and session.revision is not None:
            return session.revision.version
        return _DEFAULT_VERSION if _DEFAULT_VERSION in self.server.versions else None

    async def _read_body(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _Refused(400, "the client went away while sending its request", code=None)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_size:
                raise _Refused(413, f"Payload Too Large: the limit is {self.max_body_size} bytes")
            chunks.append(chunk)
            if not message.get("more_body", False):
                return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    async def _post(self, ex: _Exchange, principal: Any, receive: Receive, send: Send) -> None:
        content_type = ex.headers.get("content-type", "")
        if content_type.split(";", 1)[0].strip().lower() != "application/json":
            raise _Refused(415, f"Unsupported Media Type {content_type!r}: the body must be application/json")
        accepts_json, accepts_sse = _accepts(ex.headers.get("accept"))
        body = await self._read_body(receive)
        header = ex.headers.get(_VERSION_HEADER)
        try:
            item = decode(body, allow_batch=True)
        except DecodeError as exc:
            raise _Refused(400, exc.message, code=exc.code, rid=exc.id) from None
        if self.server.modern_versions and self._is_modern_post(header, item):
            await self._modern_post(ex, principal, item, header, accepts_json, accepts_sse, receive, send)
            return
        if not self.server.versions:
            # A server of the modern era only: a request without its headers and envelope is
            # refused, naming the versions it speaks (legacy clients cannot find out otherwise).
            supported = list(self.server.supported_versions)
            rid = item.id if isinstance(item, Request) else None
            raise _Refused(
                400,
                f"Unsupported protocol version: this server speaks only {', '.join(supported)}, "
                "with the _meta envelope and the MCP-Protocol-Version header on every request",
                code=UNSUPPORTED_PROTOCOL_VERSION,
                rid=rid,
                data={"supported": supported, "requested": header},
            )
        messages: list[Any] = item if isinstance(item, list) else [item]
        requests = [m for m in messages if isinstance(m, Request)]
        ex.mcp_method = requests[0].method if requests else "notification"
        initialize = any(r.method == "initialize" for r in requests)
        if initialize and isinstance(item, list):
            raise _Refused(400, "Bad Request: initialize must be sent alone, not in a batch")

        if self.stateless:
            self._check_rate(_client_key(ex))
            version = None if initialize else self._version(ex, None)
            self._check_batch(item, version)
            await self._stateless(ex, item, requests, version, accepts_json, accepts_sse, receive, send)
            return

        use_json = self.json_response or not accepts_sse
        if requests and not (accepts_json if use_json else accepts_sse):
            raise _Refused(406, "Not Acceptable: Accept must allow application/json and text/event-stream")
        if initialize and _SESSION_HEADER not in ex.headers:
            self._check_rate("address " + _client_key(ex))  # one client must not mint every session
            entry = await self._new_session(principal)
            ex.session = entry.id
        else:
            found = self._session(ex, principal)
            assert found is not None
            entry = found
            self._version(ex, entry)
            negotiated = entry.session.revision if entry.session is not None else None
            if negotiated is not None:
                # The session's own revision decides, whatever version the header names.
                self._check_batch(item, negotiated.version)
            elif isinstance(item, list):
                raise _Refused(400, "Bad Request: no batch before the session is initialized")
        ex.extra.append((b"mcp-session-id", entry.id.encode()))
        transport = entry.transport
        if not requests:
            await transport.feed(item)
            await self._respond(ex, send, 202, b"", None)
            return
        for request in requests:
            if transport.owes(request.id):
                raise _Refused(
                    400, f"request id {request.id!r} is already in use in this session", rid=request.id
                )
        resumable = self.event_store is not None and not use_json
        stream = transport.open_stream([r.id for r in requests], json=use_json, resumable=resumable)
        try:
            await transport.feed(item)
            if use_json:
                await self._answer_json(ex, stream, transport, receive, send)
            elif not await self._answered_quickly(ex, stream, transport, send):
                # Read after feeding: an initialize has negotiated by now (at admission).
                revision = entry.session.revision if entry.session is not None else None
                priming = stream.resumable and revision is not None and revision.has("sse_polling")
                await self._answer_sse(ex, stream, transport, receive, send, priming=priming)
        finally:
            entry.last_seen = time.monotonic()  # idle counts from the end of the last exchange
            if initialize and (entry.session is None or entry.session.revision is None):
                await self._end(entry)  # the handshake failed: no session to keep

    # -- the modern era (2026-07-28): one request per POST, no session ------------------------

    def _speaks_modern(self, header: str | None) -> bool:
        revision = revisions.REVISIONS.get(header) if header is not None else None
        return revision is not None and revision.era == "modern" and bool(self.server.modern_versions)

    def _is_modern_post(self, header: str | None, item: Message | list[Any]) -> bool:
        """Whether a POST is of the modern era: its body carries the modern envelope, or its
        version header names a modern revision. A body with the envelope under a header naming
        a legacy revision is modern too: refused for the mismatch (-32020), not taken for a
        legacy request without a session."""
        if isinstance(item, Request) and modern.is_modern(item.params):
            return True
        revision = revisions.REVISIONS.get(header) if header is not None else None
        return revision is not None and revision.era == "modern"

    async def _modern_post(
        self,
        ex: _Exchange,
        principal: Any,
        item: Message | list[Any],
        header: str | None,
        accepts_json: bool,
        accepts_sse: bool,
        receive: Receive,
        send: Send,
    ) -> None:
        """Serve one POST of the modern era: checks in the spec's order, then the shared session.

        Every request of the era is self-contained, so all of them share one dispatcher (one
        session object that never initializes), under ids of its own, as in stateless mode.
        """
        if isinstance(item, Notification):
            # The core protocol defines no notification from client to server over HTTP in this
            # revision (cancelling is closing the stream): acknowledged, and nothing to apply.
            ex.mcp_method = item.method
            await self._respond(ex, send, 202, b"", None)
            return
        if not isinstance(item, Request):
            what = "a batch" if isinstance(item, list) else "a response"
            raise _Refused(400, f"Bad Request: a POST carries one request or notification, not {what}")
        request = item
        rid = request.id
        ex.mcp_method = request.method
        params = request.params
        meta = params.get("_meta") if isinstance(params, dict) else None
        if not isinstance(meta, dict) or modern.PROTOCOL_VERSION not in meta:
            raise _Refused(
                400,
                f"params._meta[{modern.PROTOCOL_VERSION!r}] is required in this protocol revision",
                code=INVALID_PARAMS,
                rid=rid,
            )
        self._check_routing_headers(ex, request, header)
        try:
            envelope = modern.read_envelope(request.params, self.server.supported_versions)
        except McpError as exc:
            raise _Refused(400, exc.message, code=exc.code, rid=rid, data=exc.data) from None
        if request.method not in envelope.revision.client_requests:
            raise _Refused(
                404, "Method not found", code=METHOD_NOT_FOUND, rid=rid, data={"method": request.method}
            )
        listen = request.method == "subscriptions/listen"
        use_json = (self.json_response or not accepts_sse) and not listen
        if not (accepts_json if use_json else accepts_sse):
            wanted = "text/event-stream" if listen else "application/json and text/event-stream"
            raise _Refused(406, f"Not Acceptable: Accept must allow {wanted}")
        self._check_rate(_client_key(ex))
        self._require_running()
        transport = await self._shared_session(None)
        alias = next(self._shared_ids)
        aliases: dict[RequestId, RequestId] = {alias: rid}
        transport.principals[alias] = principal
        transport.client_ids[alias] = rid
        try:
            stream = transport.open_stream(aliases, json=use_json, resumable=False, aliases=aliases)
            await transport.feed(Request(alias, request.method, request.params))
            if use_json:
                await self._answer_json(ex, stream, transport, receive, send, status_by_code=True)
            elif listen or not await self._answered_quickly(ex, stream, transport, send, status_by_code=True):
                await self._answer_sse(ex, stream, transport, receive, send, priming=False)
        finally:
            transport.principals.pop(alias, None)
            transport.client_ids.pop(alias, None)

    def _check_routing_headers(self, ex: _Exchange, request: Request, header: str | None) -> None:
        """MCP-Protocol-Version, Mcp-Method, Mcp-Name and Mcp-Param-* must agree with the body
        (400 and -32020 otherwise), as any server that reads the body must check."""
        params: dict[str, Any] = request.params  # type: ignore[assignment]  # is_modern checked it
        rid = request.id
        version = params["_meta"][modern.PROTOCOL_VERSION]

        def mismatch(reason: str) -> _Refused:
            return _Refused(400, f"Header mismatch: {reason}", code=HEADER_MISMATCH, rid=rid)

        if header is None:
            raise mismatch("the MCP-Protocol-Version header is required")
        if header != version:
            raise mismatch(f"MCP-Protocol-Version {header!r} differs from the body's {version!r}")
        method = ex.headers.get("mcp-method")
        if method is None:
            raise mismatch("the Mcp-Method header is required")
        if method != request.method:
            raise mismatch(f"Mcp-Method {method!r} differs from the body's method {request.method!r}")
        field = _NAMED.get(request.method)
        if field is not None:
            name = ex.headers.get("mcp-name")
            if name is None:
                raise mismatch(f"the Mcp-Name header is required on {request.method}")
            try:
                decoded = modern.decode_header_value(name)
            except ValueError as exc:
                raise mismatch(str(exc)) from None
            if decoded != params.get(field):
                raise mismatch(f"Mcp-Name differs from the body's params.{field}")
        if request.method == "tools/call":
            tool = self.server._tools.get(params.get("name"))  # type: ignore[arg-type]
            if tool is not None and tool.headers:
                arguments = params.get("arguments")
                for param in tool.headers:
                    got = ex.headers.get(param.header)
                    if not modern.header_matches(param, got, param.value_in(arguments)):
                        raise mismatch(
                            f"Mcp-Param-{param.name} does not match argument {'.'.join(param.path)!r}"
                            if got is not None
                            else f"the Mcp-Param-{param.name} header is required for argument "
                            f"{'.'.join(param.path)!r}"
                        )

    def _check_batch(self, item: Message | list[Any], version: str | None) -> None:
        if isinstance(item, list) and (version is None or not revisions.REVISIONS[version].receives_batches):
            raise _Refused(
                400, f"Bad Request: JSON-RPC batches are not accepted under protocol version {version}"
            )

    def _require_running(self) -> TaskGroup:
        """The app's task group, where sessions live; 503 when it is not open."""
        if self._tg is None:
            raise _Refused(
                503,
                "Service Unavailable: the MCP app is not running "
                "(run its ASGI lifespan, or enter app.running())",
                code=None,
            )
        return self._tg

    async def _new_session(self, principal: Any) -> _Entry:
        group = self._require_running()
        if len(self.sessions) >= self.max_sessions:
            raise _Refused(503, "Service Unavailable: too many sessions", headers=[(b"retry-after", b"5")])
        sid = secrets.token_urlsafe(24)  # 192 random bits, visible ASCII only
        entry = _Entry(sid, HttpSession(sid, store=self.event_store, retry_ms=self.sse_retry_ms), principal)
        self.sessions[sid] = entry
        await group.start(self._run_session, entry)
        return entry

    async def _run_session(self, entry: _Entry, *, task_status: TaskStatus[None]) -> None:
        try:
            async with self.server.session(entry.transport) as session:
                entry.session = session
                task_status.started()
                await session.dispatcher.wait_closed()
        finally:
            if self.sessions.get(entry.id) is entry:
                del self.sessions[entry.id]
            await entry.transport.aclose()

    async def _stateless(
        self,
        ex: _Exchange,
        item: Message | list[Any],
        requests: list[Request],
        version: str | None,
        accepts_json: bool,
        accepts_sse: bool,
        receive: Receive,
        send: Send,
    ) -> None:
        messages = item if isinstance(item, list) else [item]
        if (
            version is not None
            and self._tg is not None
            and requests
            and len(requests) == len(messages)
            and all(r.method in _SHAREABLE for r in requests)
        ):
            await self._stateless_shared(
                ex, item, requests, version, accepts_json, accepts_sse, receive, send
            )
            return
        transport = HttpSession(None, standalone=False)
        async with self.server.session(transport) as session:
            session.without_notifications = True  # nothing reaches a stateless client later
            if version is not None:
                session.assume(version)
            if not requests:
                await transport.feed(item)
                await self._respond(ex, send, 202, b"", None)
                return
            use_json = self.json_response or not accepts_sse
            if not (accepts_json if use_json else accepts_sse):
                raise _Refused(
                    406, "Not Acceptable: Accept must allow application/json and text/event-stream"
                )
            stream = transport.open_stream([r.id for r in requests], json=use_json, resumable=False)
            await transport.feed(item)
            if use_json:
                await self._answer_json(ex, stream, transport, receive, send)
            elif not await self._answered_quickly(ex, stream, transport, send):
                await self._answer_sse(ex, stream, transport, receive, send, priming=False)

    async def _stateless_shared(
        self,
        ex: _Exchange,
        item: Message | list[Any],
        requests: list[Request],
        version: str,
        accepts_json: bool,
        accepts_sse: bool,
        receive: Receive,
        send: Send,
    ) -> None:
        """Serve requests that leave no state behind on one session shared per version.

        A session per POST costs more than the call it serves (a dispatcher and its tasks are
        made and torn down each time). The requests get ids unique within the shared session,
        and their answers go back under the client's own ids, so correlation never crosses
        clients; a method that changes session state (log level, subscriptions) or needs the
        client is not shared.
        """
        use_json = self.json_response or not accepts_sse
        if not (accepts_json if use_json else accepts_sse):
            raise _Refused(406, "Not Acceptable: Accept must allow application/json and text/event-stream")
        transport = await self._shared_session(version)
        aliases: dict[RequestId, RequestId] = {next(self._shared_ids): r.id for r in requests}
        renamed: list[Message | DecodeError] = [
            Request(rid, r.method, r.params) for rid, r in zip(aliases, requests, strict=True)
        ]
        stream = transport.open_stream(aliases, json=use_json, resumable=False, aliases=aliases)
        await transport.feed(renamed if isinstance(item, list) else renamed[0])
        if use_json:
            await self._answer_json(ex, stream, transport, receive, send)
        elif not await self._answered_quickly(ex, stream, transport, send):
            await self._answer_sse(ex, stream, transport, receive, send, priming=False)

    async def _shared_session(self, version: str | None) -> HttpSession:
        """The session shared by stateless requests of ``version``, or (None) by modern ones."""
        key = version or "modern"
        entry = self._shared.get(key)
        if entry is None or entry.transport.is_closed:
            assert self._tg is not None
            entry = _Entry(f"stateless {key}", HttpSession(None, standalone=False), None)
            self._shared[key] = entry
            await self._tg.start(self._run_shared, entry, version)
        elif entry.session is None:
            await entry.ready.wait()  # another POST is starting it
        return entry.transport

    async def _run_shared(self, entry: _Entry, version: str | None, *, task_status: TaskStatus[None]) -> None:
        try:
            async with self.server.session(entry.transport) as session:
                session.without_notifications = True
                if version is not None:
                    session.assume(version)  # modern requests need none: they carry their own
                entry.session = session
                entry.ready.set()
                task_status.started()
                await session.dispatcher.wait_closed()
        finally:
            entry.ready.set()
            if self._shared.get(version or "modern") is entry:
                del self._shared[version or "modern"]
            await entry.transport.aclose()

    async def _answered_quickly(
        self,
        ex: _Exchange,
        stream: SseStream,
        transport: HttpSession,
        send: Send,
        *,
        status_by_code: bool = False,
    ) -> bool:
        """Answer with one JSON body if the answers come within ``sse_after`` and alone."""
        if self.sse_after <= 0:
            return False
        if not (stream.outbox or stream.finished or stream.kicked is not None):
            await stream.wait(self.sse_after)
        if not (stream.finished and stream.answers_only and stream.kicked is None):
            return False
        transport.end_stream(stream)
        answers = [data for _, data in stream.outbox]
        stream.outbox.clear()
        body = answers[0] if len(answers) == 1 else b"[" + b",".join(answers) + b"]"
        status = _status_of(body) if status_by_code else 200
        with contextlib.suppress(OSError):  # the client left: the answer has nowhere to go
            await self._respond(ex, send, status, body, _JSON)
        return True

    async def _answer_json(
        self,
        ex: _Exchange,
        stream: SseStream,
        transport: HttpSession,
        receive: Receive,
        send: Send,
        *,
        status_by_code: bool = False,
    ) -> None:
        if not stream.finished:
            # A quick answer is awaited bare; only a slow one is worth a task that watches for
            # the client leaving meanwhile (its cost is a good part of a quick call's).
            await stream.wait(_QUICK)
        if not stream.finished and await _until(stream.wait_finished(), receive) is _GONE:
            await transport.abandon(stream, "the client closed the HTTP connection")
            return
        transport.end_stream(stream)
        replies = stream.replies
        if not replies:  # the session ended first: there is no answer to give
            raise _Refused(404, "Session not found: it ended before the request was answered")
        body = replies[0] if len(replies) == 1 else b"[" + b",".join(replies) + b"]"
        await self._respond(ex, send, _status_of(body) if status_by_code else 200, body, _JSON)

    async def _answer_sse(
        self,
        ex: _Exchange,
        stream: SseStream,
        transport: HttpSession,
        receive: Receive,
        send: Send,
        *,
        priming: bool,
        replay: bytes = b"",
    ) -> None:
        await self._start(ex, send, 200, list(_SSE_HEADERS))
        stream.attached = True
        self._streams += 1
        first = replay
        if priming:
            first += (
                b"id: "
                + format_event_id(stream.id, 0).encode()
                + b"\nretry: %d\ndata: \n\n" % self.sse_retry_ms
            )

        async def write(chunk: bytes) -> None:
            ex.sent += len(chunk)
            # A client that stops reading must not hold the senders of its stream (a TimeoutError
            # is an OSError: the connection counts as gone, and the stream lives on without it).
            with anyio.fail_after(self.sse_write_timeout):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})

        async def run() -> str:
            if first:
                await write(first)
            if self.sse_poll_after is not None and priming:  # polling is a 2025-11-25 rule
                with anyio.move_on_after(self.sse_poll_after):
                    return await pump(stream, write, keepalive=self.sse_keepalive)
                stream.kicked = b"retry: %d\n\n" % self.sse_retry_ms
            return await pump(stream, write, keepalive=self.sse_keepalive)

        outcome: Any = _GONE
        try:
            outcome = await _until(run(), receive)
        except OSError:
            pass  # the client went away while we wrote
        finally:
            self._streams -= 1
            stream.detach()
        if outcome is _GONE:
            with contextlib.suppress(OSError):  # a server shutting down, not the client, may be why
                await send({"type": "http.response.body", "body": b"", "more_body": False})
            if stream.resumable and not transport.is_closed:
                if stream.finished:
                    transport.end_stream(stream)  # what is left to replay is in the event store
                return  # the stream lives on; the client may resume it with Last-Event-ID
            await transport.abandon(stream, "the client closed the HTTP connection")
            return
        if outcome == "finished":
            transport.end_stream(stream)
        with contextlib.suppress(OSError):
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _get(self, ex: _Exchange, principal: Any, receive: Receive, send: Send) -> None:
        ex.mcp_method = "GET"
        accepts_sse = _accepts(ex.headers.get("accept"))[1]
        if not accepts_sse:
            raise _Refused(406, "Not Acceptable: the GET stream is text/event-stream")
        entry = self._session(ex, principal)
        assert entry is not None
        self._version(ex, entry)  # an unsupported MCP-Protocol-Version gets 400 here too
        ex.extra.append((b"mcp-session-id", entry.id.encode()))
        transport = entry.transport
        last = ex.headers.get("last-event-id")
        if last is None:
            stream = transport.get_stream
            if stream.attached:
                raise _Refused(409, "Conflict: this session's GET stream is already open")
            try:
                await self._answer_sse(ex, stream, transport, receive, send, priming=False)
            finally:
                entry.last_seen = time.monotonic()
            return
        ex.mcp_method = "GET resume"
        parsed = parse_event_id(last)
        if parsed is None:
            raise _Refused(400, f"Bad Request: Last-Event-ID {last!r} is not an event id of this server")
        stream_id, seq = parsed
        store = self.event_store
        events = None if store is None else await store.replay(entry.id, stream_id, seq)
        replay = b"".join(sse_event(stream_id, n, data, True) for n, data in events or ())
        live = transport.streams.get(stream_id)
        if live is None:
            # The stream is over (or unknown): what the store kept is all there is.
            body = replay
            await self._start(ex, send, 200, list(_SSE_HEADERS))
            ex.sent += len(body)
            with contextlib.suppress(OSError):
                await send({"type": "http.response.body", "body": body, "more_body": False})
            return
        if live.attached:
            raise _Refused(409, "Conflict: that stream is already being read")
        upto = events[-1][0] if events else seq
        live.outbox = [(n, data) for n, data in live.outbox if n > upto]
        await self._answer_sse(ex, live, transport, receive, send, priming=False, replay=replay)

    async def _delete(self, ex: _Exchange, principal: Any, send: Send) -> None:
        ex.mcp_method = "DELETE"
        entry = self._session(ex, principal)
        assert entry is not None
        self._version(ex, entry)
        await self._end(entry)
        await self._respond(ex, send, 200, b"", None)


# The HTTP status of a modern JSON answer that is an error, by its code (200 for the rest).
_ERROR_STATUS: Final = {
    PARSE_ERROR: 400,
    INVALID_REQUEST: 400,
    INVALID_PARAMS: 400,
    HEADER_MISMATCH: 400,
    MISSING_REQUIRED_CLIENT_CAPABILITY: 400,
    UNSUPPORTED_PROTOCOL_VERSION: 400,
    METHOD_NOT_FOUND: 404,
}
# The body field that Mcp-Name mirrors, per method.
_NAMED: Final = {"tools/call": "name", "prompts/get": "name", "resources/read": "uri"}


def _status_of(body: bytes) -> int:
    if b'"error"' not in body:
        return 200
    try:
        error = orjson.loads(body).get("error")
    except (orjson.JSONDecodeError, AttributeError):
        return 200
    code = error.get("code") if isinstance(error, dict) else None
    return _ERROR_STATUS.get(code, 200) if isinstance(code, int) else 200


_SSE_HEADERS: Final = (
    (b"content-type", b"text/event-stream"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
)


_GONE: Final = object()
_QUICK: Final = 0.05  # seconds an answer is awaited before the client's leaving is watched for


async def _until(work: Awaitable[Any], receive: Receive) -> Any:
    """Run ``work`` until it ends, or until the client disconnects (then :data:`_GONE`).

    The client's going away is noticed by a watcher on ``receive``, since a server writes
    nothing to a stream waiting for a slow tool and would not otherwise find out.
    """
    outcome: Any = _GONE
    error: Exception | None = None
    async with anyio.create_task_group() as tg:

        async def watch() -> None:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    tg.cancel_scope.cancel()
                    return

        tg.start_soon(watch)
        try:
            outcome = await work
        except Exception as exc:  # raised as itself, not wrapped in the task group's exception group
            error = exc
        tg.cancel_scope.cancel()
    if error is not None:
        raise error
    return outcome


def _accepts(accept: str | None) -> tuple[bool, bool]:
    """Whether an ``Accept`` header allows JSON, and SSE (a missing header allows anything)."""
    if accept is None:
        return True, True
    json = sse = False
    for part in accept.split(","):
        media = part.split(";", 1)[0].strip().lower()
        if media in ("*/*", "application/*", "application/json"):
            json = True
        if media in ("*/*", "text/*", "text/event-stream"):
            sse = True
    return json, sse


def _host_name(host: str) -> str | None:
    """The name of a ``Host`` value (``name``, ``name:port``, ``[v6]:port``); None if malformed.

    Strict on purpose: ``127.0.0.1:evil.com`` has a port that is not a number, so it names
    nothing, and nothing is not localhost.
    """
    if host.startswith("["):
        end = host.find("]")
        if end < 0:
            return None
        name, rest = host[: end + 1], host[end + 1 :]
    else:
        name, _, port = host.partition(":")
        rest = ":" + port if _ else ""
    if rest and (not rest.startswith(":") or not rest[1:].isdigit() or len(rest) > 6):
        return None
    return name or None


@functools.lru_cache(maxsize=64)
def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return address == "localhost"


def _client_key(ex: _Exchange) -> str:
    client = ex.scope.get("client")
    return client[0] if client else "-"
