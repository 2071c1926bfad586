"""The MCP client: one session with one server, over any transport or in memory.

``async with Client(target) as client`` finds out which era the server speaks, as the spec
prescribes: it asks ``server/discover`` at its newest modern revision (2026-07-28). A discover
result, or an error only a modern server sends, makes the client modern: no session, and every
request carries the ``_meta`` envelope. Any other error, or no answer in time, means a legacy
server: the client offers its newest handshake revision in ``initialize``, checks the answer
(a revision it does not speak closes the session with a clear
:class:`~mcpcore.errors.McpError`), and sends ``notifications/initialized``. The verdict is
remembered per server (command line or origin) for the life of the process. ``versions``
pins an era or a revision. ``target`` is a transport, or a :class:`~mcpcore.server.Server` to
run in memory (through the real JSON codec, so what is tested is what travels).

In the modern era, a ``tools/call``, ``prompts/get`` or ``resources/read`` answered with an
input-required result is retried by the client itself: it answers the server's requests with
the same sampling, elicitation and roots handlers a legacy server's requests reach, and sends
the request again (a new id) with the answers and the server's ``requestState``, for at most
``max_input_rounds`` rounds. List results and reads are cached for the ``ttlMs`` the server
allows, until a change notification says otherwise.

The client refuses, without sending anything, a request for a capability the server did not
declare (:class:`~mcpcore.server.CapabilityError`), and declares only the capabilities it has
handlers for: ``sampling`` with a sampling handler, ``elicitation`` with an elicitation
handler, ``roots`` when given roots.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Generic, Self, TypeVar

import anyio

from mcpcore import __version__, _shapes, modern, revisions
from mcpcore._jsonschema import SchemaError, ValidationError, Validator
from mcpcore.dispatcher import DEFAULT, Dispatcher, ProgressCallback, RequestContext, Transport
from mcpcore.errors import (
    HEADER_MISMATCH,
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    MISSING_REQUIRED_CLIENT_CAPABILITY,
    UNSUPPORTED_PROTOCOL_VERSION,
    ConnectionClosed,
    McpError,
)
from mcpcore.revisions import Revision
from mcpcore.server import CapabilityError, SessionState, _has
from mcpcore.types import (
    LOGGING_LEVELS,
    CallToolResult,
    Completion,
    GetPromptResult,
    Icon,
    LoggingLevel,
    Prompt,
    ReadResourceResult,
    Resource,
    ResourceTemplate,
    Tool,
)
from mcpcore.wire import Notification, RequestId

if TYPE_CHECKING:
    from mcpcore.server import Server

__all__ = ["Client", "Listing"]

_log = logging.getLogger("mcpcore.client")

T = TypeVar("T")

SamplingHandler = Callable[[dict[str, Any]], Awaitable[Mapping[str, Any]]]
ElicitationHandler = Callable[[dict[str, Any]], Awaitable[Mapping[str, Any]]]
LogHandler = Callable[[dict[str, Any]], Awaitable[None] | None]
ResourceUpdatedHandler = Callable[[str], Awaitable[None] | None]
ListChangedHandler = Callable[[str], Awaitable[None] | None]
ElicitationCompleteHandler = Callable[[str], Awaitable[None] | None]

# Errors that only a server of the modern era sends: an answer with one of them to the discover
# probe means a modern server (to be spoken to differently), never a legacy one.
_MODERN_ERRORS: Final = frozenset(
    {UNSUPPORTED_PROTOCOL_VERSION, HEADER_MISMATCH, MISSING_REQUIRED_CLIENT_CAPABILITY}
)
# The era of each server met in this process, by the transport's key (a command line, an origin).
_ERAS: dict[str, str] = {}
_MAX_ERAS: Final = 1024


class Listing(Generic[T]):
    """A paginated list: ``await`` it for every item, or ``async for`` over items page by page.

    The iterators are plain objects, not async generators, so leaving a loop early (``break``)
    leaves nothing behind to finalize.
    """

    def __init__(
        self, fetch: Callable[[str | None], Awaitable[tuple[list[T], str | None]]], max_pages: int
    ) -> None:
        self._fetch = fetch
        self._max_pages = max_pages

    def pages(self) -> _Pages[T]:
        return _Pages(self._fetch, self._max_pages)

    def __aiter__(self) -> _Items[T]:
        return _Items(self.pages())

    async def _all(self) -> list[T]:
        items: list[T] = []
        async for page in self.pages():
            items += page
        return items

    def __await__(self) -> Generator[Any, None, list[T]]:
        return self._all().__await__()


class _Pages(Generic[T]):
    def __init__(
        self, fetch: Callable[[str | None], Awaitable[tuple[list[T], str | None]]], max_pages: int
    ) -> None:
        self._fetch = fetch
        self._left = max_pages
        self._cursor: str | None = None
        self._done = False
        self._seen: set[str] = set()

    def __aiter__(self) -> _Pages[T]:
        return self

    async def __anext__(self) -> list[T]:
        if self._done:
            raise StopAsyncIteration
        if self._left <= 0:
            raise McpError(INTERNAL_ERROR, "the list has more pages than max_pages allows; stopped")
        self._left -= 1
        items, cursor = await self._fetch(self._cursor)
        if cursor is None:
            self._done = True
        elif cursor in self._seen:
            raise McpError(INTERNAL_ERROR, "the server repeated a pagination cursor", {"cursor": cursor})
        else:
            self._seen.add(cursor)
        self._cursor = cursor
        return items


class _Items(Generic[T]):
    def __init__(self, pages: _Pages[T]) -> None:
        self._pages = pages
        self._buffer: list[T] = []
        self._index = 0

    def __aiter__(self) -> _Items[T]:
        return self

    async def __anext__(self) -> T:
        while self._index >= len(self._buffer):
            self._buffer = await self._pages.__anext__()
            self._index = 0
        item = self._buffer[self._index]
        self._index += 1
        return item


class Client:
    """A session with one MCP server. Use it as an async context manager.

    ``target`` is a transport, a :class:`~mcpcore.server.Server` to talk to in memory, or the
    URL of a Streamable HTTP endpoint (``"http://127.0.0.1:8000/mcp"``).

    * ``versions``: the revisions this client speaks (all by default). With modern and
      handshake ones it detects the server's era; with one era only it speaks that one.
    * ``sampling``, ``elicitation``: async handlers of the server's requests, given the
      request's params and returning the result dict (``CreateMessageResult``,
      ``ElicitResult``). ``elicitation_modes`` says which modes the client supports
      (2025-11-25).
    * ``roots``: the roots offered to the server (URIs, or dicts with ``uri`` and ``name``);
      change them with :meth:`set_roots`.
    * ``on_log``, ``on_resource_updated``, ``on_list_changed``, ``on_elicitation_complete``:
      notification handlers (sync or async); ``on_list_changed`` gets ``"tools"``,
      ``"resources"`` or ``"prompts"``, ``on_elicitation_complete`` the elicitation id.
    * ``request_timeout``: seconds each request may take (progress restarts the clock);
      ``initialize_timeout`` bounds the handshake alone (it is never cancelled: the session
      is closed instead); ``shutdown_timeout`` is how long an in-memory server may take to
      finish after the client leaves.
    * ``max_pages``: the most pages a listing follows before it gives up (a loop guard).
    * ``discover_timeout``: how long the era probe waits before taking the server for a
      legacy one; ``max_input_rounds``: input-required rounds per request before giving up;
      ``cache``: whether modern list and read results are reused for their ``ttlMs``.
    Handlers are attributes and may be replaced at any time.
    """

    def __init__(
        self,
        target: Transport | Server | str,
        *,
        name: str = "mcpcore",
        version: str = __version__,
        title: str | None = None,
        icons: Sequence[Icon] | None = None,
        versions: Sequence[str] = revisions.VERSIONS,
        sampling: SamplingHandler | None = None,
        sampling_tools: bool = False,
        elicitation: ElicitationHandler | None = None,
        elicitation_modes: Sequence[str] = ("form",),
        roots: Iterable[str | Mapping[str, Any]] | None = None,
        on_log: LogHandler | None = None,
        on_resource_updated: ResourceUpdatedHandler | None = None,
        on_list_changed: ListChangedHandler | None = None,
        on_elicitation_complete: ElicitationCompleteHandler | None = None,
        experimental: Mapping[str, Any] | None = None,
        request_timeout: float | None = 60.0,
        initialize_timeout: float = 30.0,
        shutdown_timeout: float = 5.0,
        max_pages: int = 1000,
        validate_structured_content: bool = True,
        discover_timeout: float = 5.0,
        max_input_rounds: int = 10,
        cache: bool = True,
    ) -> None:
        self._target = target
        self.info: dict[str, Any] = {"name": name, "version": version}
        if title is not None:
            self.info["title"] = title
        if icons:
            self.info["icons"] = list(icons)
        self.versions, self.modern_versions = revisions.split_versions(versions)
        if discover_timeout <= 0 or max_input_rounds < 1:
            raise ValueError("discover_timeout must be positive and max_input_rounds at least 1")
        self.discover_timeout = discover_timeout
        self.max_input_rounds = max_input_rounds
        self.cache = cache
        self.sampling = sampling
        self.sampling_tools = sampling_tools
        self.elicitation = elicitation
        self.elicitation_modes = tuple(elicitation_modes)
        if elicitation is not None and not set(self.elicitation_modes) & {"form", "url"}:
            # A declared elicitation capability promises at least one mode.
            raise ValueError("elicitation_modes must name 'form', 'url' or both")
        unknown_modes = set(self.elicitation_modes) - {"form", "url"}
        if unknown_modes:
            raise ValueError(f"unknown elicitation modes: {sorted(unknown_modes)}")
        self._roots: list[dict[str, Any]] | None = None if roots is None else _roots(roots)
        self.on_log = on_log
        self.on_resource_updated = on_resource_updated
        self.on_list_changed = on_list_changed
        self.on_elicitation_complete = on_elicitation_complete
        self.experimental = dict(experimental) if experimental else None
        self.request_timeout = request_timeout
        self.initialize_timeout = initialize_timeout
        self.shutdown_timeout = shutdown_timeout
        self.max_pages = max_pages
        self.validate_structured_content = validate_structured_content

        self.state = SessionState.AWAITING_INITIALIZE
        self.revision: Revision | None = None
        self.server_info: dict[str, Any] = {}
        self.server_capabilities: dict[str, Any] = {}
        self.instructions: str | None = None
        self._dispatcher: Dispatcher | None = None
        self._stack: contextlib.AsyncExitStack | None = None
        self._output_schemas: dict[str, Validator | None] = {}
        self._cleared: set[str] = set()  # methods found allowed by the server's capabilities
        self.modern = False  # whether the session speaks the stateless era (2026-07-28)
        self.log_level: LoggingLevel | None = None  # modern: the level each request asks for
        self._envelope: dict[str, Any] = {}
        self._cached: dict[tuple[str, str], tuple[float, Any]] = {}  # (method, key): expiry, result
        self._tool_headers: dict[str, tuple[modern.HeaderParameter, ...]] = {}
        self._subscriptions: dict[RequestId, Subscription] = {}

    # -- the session ----------------------------------------------------------------------------

    @property
    def protocol_version(self) -> str | None:
        return None if self.revision is None else self.revision.version

    def capabilities(self, revision: Revision | None = None) -> dict[str, Any]:
        """What this client declares, from the handlers it has (by default at the revision it
        speaks, or offers)."""
        caps: dict[str, Any] = {}
        offered = (
            revision or self.revision or revisions.REVISIONS[(self.versions or self.modern_versions)[-1]]
        )
        if self._roots is not None:
            # The modern era has no roots/list_changed: nothing to promise there.
            caps["roots"] = {} if offered.era == "modern" else {"listChanged": True}
        if self.sampling is not None:
            caps["sampling"] = {"tools": {}} if self.sampling_tools and offered.has("sampling_tools") else {}
        if self.elicitation is not None and offered.has("elicitation"):
            # Before URL mode existed, an empty object was the only form.
            modes = self.elicitation_modes if offered.has("url_elicitation") else ()
            caps["elicitation"] = {m: {} for m in modes}
        if self.experimental:
            caps["experimental"] = self.experimental
        return caps

    async def __aenter__(self) -> Self:
        if self._stack is not None:
            raise RuntimeError("a Client can be entered only once")
        stack = contextlib.AsyncExitStack()
        await stack.__aenter__()
        try:
            transport = await self._connect(stack)
            if hasattr(transport, "tool_headers"):
                transport.tool_headers = self._tool_headers  # it mirrors them into Mcp-Param-*
            dispatcher = Dispatcher(transport, request_timeout=self.request_timeout)
            self._register(dispatcher)
            await stack.enter_async_context(dispatcher)
            self._dispatcher = dispatcher
            if not (self.modern_versions and await self._discover(dispatcher)):
                if not self.versions:
                    raise McpError(
                        UNSUPPORTED_PROTOCOL_VERSION,
                        "the server does not speak the modern era, and this client speaks nothing else",
                    )
                await self._initialize(dispatcher)
        except BaseException:
            self.state = SessionState.CLOSED
            await stack.aclose()
            raise
        self._stack = stack
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
        stack, self._stack = self._stack, None
        if stack is not None:
            await stack.aclose()

    async def aclose(self) -> None:
        """End the session: pending requests fail. Safe from any task (a handler too); the
        ``async with`` block's end then releases the rest."""
        self.state = SessionState.CLOSED
        if self._dispatcher is not None:
            await self._dispatcher.aclose()

    async def _connect(self, stack: contextlib.AsyncExitStack) -> Transport:
        from mcpcore.server import Server

        if isinstance(self._target, str):
            from transports.http._client import StreamableHttpTransport

            self._target = StreamableHttpTransport(self._target)
        if not isinstance(self._target, Server):
            target = self._target
            if isinstance(target, contextlib.AbstractAsyncContextManager):
                # A transport that owns a resource (a server process): ours to open and close.
                await stack.enter_async_context(target)
            return target
        from transports.memory import create_pair

        ours, theirs = create_pair(codec=True)
        server = self._target
        group = await stack.enter_async_context(anyio.create_task_group())
        served = anyio.Event()

        async def serve() -> None:
            try:
                await server.serve(theirs)
            finally:
                served.set()

        async def stop() -> None:
            # Closing our end ends the server's session by itself, and its lifespan's clean-up
            # runs unhurried; only a server that does not finish in time is cancelled.
            await ours.aclose()
            with anyio.move_on_after(self.shutdown_timeout):
                await served.wait()
            group.cancel_scope.cancel()

        stack.push_async_callback(stop)  # runs before the task group is left
        group.start_soon(serve)
        return ours

    # -- the modern era ------------------------------------------------------------------------

    def _era_key(self) -> str | None:
        key = getattr(self._dispatcher.transport if self._dispatcher else None, "era_key", None)
        return key if isinstance(key, str) else None

    async def _discover(self, dispatcher: Dispatcher) -> bool:
        """Probe the server's era with ``server/discover``; True when it is modern (and ready).

        The fallback to ``initialize`` is not keyed on an error code: any error that a modern
        server would not send, or silence until ``discover_timeout``, means a legacy server.
        """
        key = self._era_key()
        if key is not None and _ERAS.get(key) == "legacy" and self.versions:
            return False
        version = self.modern_versions[-1]
        # One try per modern version, and one more: a server may refuse the first try and name
        # that same version among those it speaks (it wants the retry, not another version).
        for _ in range(len(self.modern_versions) + 1):
            revision = revisions.REVISIONS[version]
            envelope = self._make_envelope(revision)
            try:
                result = await dispatcher.request(
                    "server/discover",
                    {"_meta": dict(envelope)},
                    timeout=self.discover_timeout,
                    announce_cancel=False,  # a legacy server must hear nothing but initialize
                )
            except ConnectionClosed:
                raise
            except McpError as exc:
                if exc.code not in _MODERN_ERRORS:
                    if not self.versions:
                        raise
                    self._remember_era(key, "legacy")
                    return False
                if exc.code != UNSUPPORTED_PROTOCOL_VERSION:
                    raise
                offered = exc.data.get("supported") if isinstance(exc.data, dict) else None
                common = [v for v in self.modern_versions if isinstance(offered, list) and v in offered]
                if common:
                    version = common[-1]
                    continue
                if self.versions and isinstance(offered, list) and set(offered) & set(self.versions):
                    return False  # what we share with it is a handshake revision
                raise
            self._start_modern(revision, envelope, result)
            self._remember_era(key, "modern")
            return True
        raise McpError(UNSUPPORTED_PROTOCOL_VERSION, "the server and this client share no modern revision")

    @staticmethod
    def _remember_era(key: str | None, era: str) -> None:
        if key is None:
            return
        if len(_ERAS) >= _MAX_ERAS:
            _ERAS.pop(next(iter(_ERAS)))
        _ERAS[key] = era

    def _make_envelope(self, revision: Revision) -> dict[str, Any]:
        return {
            modern.PROTOCOL_VERSION: revision.version,
            modern.CLIENT_CAPABILITIES: self.capabilities(revision),
            modern.CLIENT_INFO: _shapes.fit(revision, "Implementation", self.info),
        }

    def _start_modern(self, revision: Revision, envelope: dict[str, Any], result: Any) -> None:
        result = _complete(result, "server/discover")
        caps = result.get("capabilities")
        if not isinstance(caps, dict):
            raise McpError(
                INVALID_PARAMS, "the server's discover result lacks capabilities", {"result": result}
            )
        meta = result.get("_meta")
        info = meta.get(modern.SERVER_INFO) if isinstance(meta, dict) else None
        self.revision = revision
        self.modern = True
        self._envelope = envelope
        self.server_capabilities = caps
        self.server_info = info if isinstance(info, dict) else {}
        instructions = result.get("instructions")
        self.instructions = instructions if isinstance(instructions, str) else None
        dispatcher = self._dispatcher
        assert dispatcher is not None
        dispatcher.omit_unknown_error_id = revision.omits_unknown_error_id
        self.state = SessionState.READY

    def _stamp(self, params: Mapping[str, Any] | None) -> dict[str, Any]:
        """``params`` with the envelope in ``_meta`` (the caller's own ``_meta`` keys kept)."""
        out = dict(params) if params is not None else {}
        meta = out.get("_meta")
        stamped = {**meta, **self._envelope} if isinstance(meta, Mapping) else dict(self._envelope)
        if self.log_level is not None:
            stamped[modern.LOG_LEVEL] = self.log_level
        out["_meta"] = stamped
        return out

    async def _send(self, method: str, params: Mapping[str, Any] | None = None, **options: Any) -> Any:
        """Send a request the way the era wants: as it is (legacy), or with the envelope, the
        input-required rounds, and the cache (modern)."""
        dispatcher = self._require(method)
        if not self.modern:
            return await dispatcher.request(method, dict(params) if params is not None else None, **options)
        cache_key = _cache_key(method, params) if self.cache else None
        if cache_key is not None:
            hit = self._cached.get(cache_key)
            if hit is not None and hit[0] > time.monotonic():
                return hit[1]
        base = self._stamp(params)
        current = base
        for round_ in range(self.max_input_rounds + 1):
            result = _complete(await dispatcher.request(method, current, **options), method)
            if result.get("resultType", "complete") == "complete":
                if cache_key is not None and round_ == 0:
                    ttl = result.get("ttlMs")
                    if isinstance(ttl, int) and ttl > 0:
                        self._cached[cache_key] = (time.monotonic() + ttl / 1000, result)
                return result
            if method not in modern.INPUT_METHODS:
                raise McpError(
                    INVALID_PARAMS, f"the server asked for input on {method}, which cannot take any"
                )
            requests = result.get("inputRequests")
            state = result.get("requestState")
            if (requests is None and state is None) or (
                requests is not None and not isinstance(requests, dict)
            ):
                raise McpError(
                    INVALID_PARAMS, "the server's input-required result is malformed", {"result": result}
                )
            current = dict(base)
            if requests:
                current["inputResponses"] = {
                    key: await self._answer_input(req) for key, req in requests.items()
                }
            else:
                await anyio.sleep(min(0.25, 0.05 * (round_ + 1)))  # state only: the server is busy
            if state is not None:
                current["requestState"] = state
        raise McpError(
            INTERNAL_ERROR, f"{method} still needed input after {self.max_input_rounds} rounds; gave up"
        )

    async def _answer_input(self, request: Any) -> dict[str, Any]:
        """Answer one of a server's input requests with this client's own handlers."""
        method = request.get("method") if isinstance(request, dict) else None
        params = request.get("params") if isinstance(request, dict) else None
        params = dict(params) if isinstance(params, dict) else {}
        if method == "sampling/createMessage" and self.sampling is not None:
            return dict(await self.sampling(params))
        if method == "elicitation/create" and self.elicitation is not None:
            if params.get("mode", "form") not in self.elicitation_modes:
                raise McpError(INVALID_PARAMS, f"the server asked for {params.get('mode')!r} elicitation")
            return dict(await self.elicitation(params))
        if method == "roots/list" and self._roots is not None:
            return {"roots": list(self._roots)}
        raise McpError(
            INVALID_PARAMS,
            f"the server asked for input this client did not declare it can give: {method!r}",
            {"request": request},
        )

    def clear_cache(self) -> None:
        """Forget every cached list and read result (modern era)."""
        self._cached.clear()

    @contextlib.asynccontextmanager
    async def listen(
        self,
        *,
        tools: bool = False,
        prompts: bool = False,
        resources: bool = False,
        uris: Iterable[str] = (),
        max_queued: int = 1000,
    ) -> AsyncIterator[Subscription]:
        """Open a ``subscriptions/listen`` stream (modern era) for the changes asked for.

        ``async with client.listen(tools=True) as sub: async for note in sub: ...`` yields each
        notification (a :class:`~mcpcore.wire.Notification`); ``sub.acknowledged`` is what the
        server agreed to send. The usual handlers (``on_list_changed``...) hear them too.
        Leaving the block ends the subscription (closing its stream, or over stdio
        ``notifications/cancelled``).
        """
        if not self.modern:
            raise RuntimeError(
                "subscriptions/listen is of the modern era; a legacy session subscribes instead"
            )
        dispatcher = self._require("subscriptions/listen")
        wanted: dict[str, Any] = {}
        for key, flag in (
            ("toolsListChanged", tools),
            ("promptsListChanged", prompts),
            ("resourcesListChanged", resources),
        ):
            if flag:
                wanted[key] = True
        uri_list = list(uris)
        if uri_list:
            wanted["resourceSubscriptions"] = uri_list
        rid = dispatcher.reserve_id()
        sub = Subscription(rid, max_queued)
        self._subscriptions[rid] = sub
        params = self._stamp({"notifications": wanted})

        async def run() -> None:
            try:
                sub.result = await dispatcher.request(
                    "subscriptions/listen",
                    params,
                    timeout=None,
                    request_id=rid,
                )  # cancelled with notifications/cancelled, which HTTP turns into closing the stream
            except McpError as exc:
                sub.error = exc
            finally:
                sub.close()

        try:
            async with anyio.create_task_group() as group:
                group.start_soon(run)
                with anyio.fail_after(self.request_timeout):
                    await sub.ready.wait()
                if sub.error is not None and sub.acknowledged is None:
                    raise sub.error
                try:
                    yield sub
                finally:
                    group.cancel_scope.cancel()
        finally:
            self._subscriptions.pop(rid, None)
            sub.close()
            sub._receive.close()

    def _route_subscription(self, note: Notification) -> None:
        params = note.params
        meta = params.get("_meta") if isinstance(params, dict) else None
        sid = meta.get(modern.SUBSCRIPTION_ID) if isinstance(meta, dict) else None
        sub = self._subscriptions.get(sid) if sid is not None else None
        if sub is None:
            return
        if note.method == "notifications/subscriptions/acknowledged":
            honored = params.get("notifications") if isinstance(params, dict) else None
            sub.acknowledged = dict(honored) if isinstance(honored, dict) else {}
            sub.ready.set()
        else:
            sub.push(note)

    # -- the legacy era -------------------------------------------------------------------------

    async def _initialize(self, dispatcher: Dispatcher) -> None:
        offered = self.versions[-1]
        params = {
            "protocolVersion": offered,
            "capabilities": self.capabilities(),
            "clientInfo": _shapes.fit(revisions.REVISIONS[offered], "Implementation", self.info),
        }
        # MCP forbids cancelling initialize: a client that gives up closes the session instead.
        result = await dispatcher.request(
            "initialize", params, timeout=self.initialize_timeout, announce_cancel=False
        )
        if not isinstance(result, dict):
            await dispatcher.aclose()
            raise McpError(
                INVALID_PARAMS, "the server's initialize result is not an object", {"result": result}
            )
        version = result.get("protocolVersion")
        if version not in self.versions:
            await dispatcher.aclose()
            raise McpError(
                UNSUPPORTED_PROTOCOL_VERSION,
                f"the server chose protocol version {version!r}, which this client does not speak "
                f"(it speaks {', '.join(self.versions)})",
                {"supported": list(self.versions), "requested": version},
            )
        caps = result.get("capabilities")
        info = result.get("serverInfo")
        if not isinstance(caps, dict) or not isinstance(info, dict):
            await dispatcher.aclose()
            raise McpError(INVALID_PARAMS, "the server's initialize result lacks capabilities or serverInfo")
        self.revision = revisions.REVISIONS[version]
        dispatcher.omit_unknown_error_id = self.revision.omits_unknown_error_id
        self.server_capabilities = caps
        self.server_info = info
        instructions = result.get("instructions")
        self.instructions = instructions if isinstance(instructions, str) else None
        allow_batch = getattr(dispatcher.transport, "allow_batch", None)
        if allow_batch is not None:
            dispatcher.transport.allow_batch = self.revision.receives_batches  # type: ignore[attr-defined]
        self.state = SessionState.INITIALIZING
        await dispatcher.notify("notifications/initialized")
        self.state = SessionState.READY

    def _register(self, dispatcher: Dispatcher) -> None:
        dispatcher.on_request("ping", self._on_ping)
        dispatcher.on_request("sampling/createMessage", self._on_sampling)
        dispatcher.on_request("elicitation/create", self._on_elicitation)
        dispatcher.on_request("roots/list", self._on_roots)
        dispatcher.on_notification("notifications/message", self._on_log)
        dispatcher.on_notification("notifications/resources/updated", self._on_updated)
        for kind in ("tools", "resources", "prompts"):
            dispatcher.on_notification(f"notifications/{kind}/list_changed", self._on_list_changed)
        dispatcher.on_notification("notifications/elicitation/complete", self._on_elicitation_complete)
        dispatcher.on_notification("notifications/subscriptions/acknowledged", self._route_subscription)

    # -- handling the server's messages ---------------------------------------------------------

    def _check_server_request(self, method: str) -> None:
        if self.state is not SessionState.READY:
            raise McpError(INVALID_REQUEST, f"Received {method!r} before the session was initialized")
        if self.revision is not None and method not in self.revision.server_requests:
            raise McpError(METHOD_NOT_FOUND, "Method not found", {"method": method})

    async def _on_ping(self, ctx: RequestContext) -> Any:
        return {}

    async def _on_sampling(self, ctx: RequestContext) -> Any:
        self._check_server_request(ctx.method)
        handler = self.sampling
        if handler is None:
            raise McpError(METHOD_NOT_FOUND, "This client does not support sampling")
        return dict(await handler(dict(ctx.params or {})))

    async def _on_elicitation(self, ctx: RequestContext) -> Any:
        self._check_server_request(ctx.method)
        handler = self.elicitation
        if handler is None:
            raise McpError(METHOD_NOT_FOUND, "This client does not support elicitation")
        params = dict(ctx.params or {})
        mode = params.get("mode", "form")
        if (
            self.revision is not None
            and self.revision.has("url_elicitation")
            and mode not in self.elicitation_modes
        ):
            raise McpError(INVALID_PARAMS, f"This client does not support {mode!r} elicitation")
        return dict(await handler(params))

    async def _on_roots(self, ctx: RequestContext) -> Any:
        self._check_server_request(ctx.method)
        if self._roots is None:
            raise McpError(METHOD_NOT_FOUND, "This client does not offer roots")
        return {"roots": list(self._roots)}

    async def _call(self, handler: Callable[..., Any] | None, *args: Any) -> None:
        if handler is None:
            return
        result = handler(*args)
        if inspect.isawaitable(result):
            await result

    async def _on_log(self, note: Notification) -> None:
        if isinstance(note.params, dict):
            await self._call(self.on_log, dict(note.params))

    async def _on_updated(self, note: Notification) -> None:
        self._route_subscription(note)
        uri = note.params.get("uri") if isinstance(note.params, dict) else None
        if isinstance(uri, str):
            self._cached.pop(("resources/read", uri), None)
            await self._call(self.on_resource_updated, uri)

    async def _on_elicitation_complete(self, note: Notification) -> None:
        eid = note.params.get("elicitationId") if isinstance(note.params, dict) else None
        if isinstance(eid, str):
            await self._call(self.on_elicitation_complete, eid)

    async def _on_list_changed(self, note: Notification) -> None:
        self._route_subscription(note)
        kind = note.method.split("/")[1]
        for key in [k for k in self._cached if k[0].startswith(f"{kind}/")]:
            del self._cached[key]
        if kind == "tools":
            self._output_schemas.clear()
        await self._call(self.on_list_changed, kind)

    # -- requests -------------------------------------------------------------------------------

    def _ready(self) -> Dispatcher:
        dispatcher = self._dispatcher
        if self.state is not SessionState.READY or dispatcher is None:
            raise RuntimeError(f"the client is {self.state.value}: use it inside 'async with Client(...)'")
        return dispatcher

    def _require(self, method: str) -> Dispatcher:
        if method in self._cleared and self.state is SessionState.READY:
            return self._dispatcher  # type: ignore[return-value]  # set while READY
        dispatcher = self._ready()
        revision = self.revision
        assert revision is not None
        need = revisions.server_capability_for(revision, method)
        if need is not None and not _has(self.server_capabilities, need):
            raise CapabilityError(need, f"cannot send {method}: the server did not declare {need!r}")
        self._cleared.add(method)  # capabilities are negotiated once: the answer stays
        return dispatcher

    async def request(self, method: str, params: Mapping[str, Any] | None = None, **options: Any) -> Any:
        """Send any request, checked against the revision and the server's capabilities."""
        self._require(method)
        if self.revision is not None and method not in self.revision.client_requests:
            raise McpError(METHOD_NOT_FOUND, f"{method} is not part of revision {self.revision}")
        return await self._send(method, params, **options)

    async def ping(self, *, timeout: float | None = 10.0) -> None:
        if self.modern:
            raise McpError(
                METHOD_NOT_FOUND, f"revision {self.revision} has no ping: it has no session to keep alive"
            )
        await self._ready().request("ping", None, timeout=timeout)

    def _listing(self, method: str, key: str) -> Listing[Any]:
        async def fetch(cursor: str | None) -> tuple[list[Any], str | None]:
            result = await self._send(method, {"cursor": cursor} if cursor is not None else None)
            items = result.get(key) if isinstance(result, dict) else None
            if not isinstance(items, list):
                raise McpError(INVALID_PARAMS, f"the server's {method} result has no {key!r} list")
            next_cursor = result.get("nextCursor")
            if method == "tools/list":
                items = self._remember_schemas(items)
            return items, next_cursor if isinstance(next_cursor, str) else None

        return Listing(fetch, self.max_pages)

    def list_tools(self) -> Listing[Tool]:
        return self._listing("tools/list", "tools")

    def list_resources(self) -> Listing[Resource]:
        return self._listing("resources/list", "resources")

    def list_resource_templates(self) -> Listing[ResourceTemplate]:
        return self._listing("resources/templates/list", "resourceTemplates")

    def list_prompts(self) -> Listing[Prompt]:
        return self._listing("prompts/list", "prompts")

    def _remember_schemas(self, tools: list[Any]) -> list[Any]:
        """Learn the tools' output schemas and (modern, over HTTP) their header parameters;
        returns the tools, without those whose header annotations are invalid there."""
        headed = (
            self.modern
            and getattr(self._dispatcher.transport if self._dispatcher else None, "tool_headers", None)
            is not None
        )
        kept = []
        for tool in tools:
            if headed and isinstance(tool, dict) and isinstance(tool.get("name"), str):
                try:
                    self._tool_headers[tool["name"]] = modern.header_parameters(tool.get("inputSchema"))
                except ValueError as exc:
                    # The spec: a client on HTTP must leave such a tool out, and should say why.
                    _log.warning("leaving out tool %s: %s", tool["name"], exc)
                    continue
            kept.append(tool)
            if isinstance(tool, dict) and isinstance(tool.get("name"), str):
                schema = tool.get("outputSchema")
                validator = None
                if isinstance(schema, dict):
                    try:
                        validator = Validator(schema)
                    except SchemaError as exc:
                        _log.warning("tool %s has an unusable output schema: %s", tool["name"], exc)
                self._output_schemas[tool["name"]] = validator
        return kept

    async def call_tool(
        self,
        name: str,
        arguments: Mapping[str, Any] | None = None,
        *,
        progress: ProgressCallback | None = None,
        timeout: float | Any | None = DEFAULT,
        meta: Mapping[str, Any] | None = None,
    ) -> CallToolResult:
        """Call a tool; returns its result (check ``isError``: a failing tool is not an exception).

        ``progress(progress, total, message)`` receives its progress notifications.
        ``structuredContent`` is checked against the tool's output schema (learned from
        ``tools/list``, fetched once if need be); a mismatch raises :class:`McpError`.
        """
        params: dict[str, Any] = {"name": name}
        if arguments is not None:
            params["arguments"] = dict(arguments)
        if meta is not None:
            params["_meta"] = dict(meta)
        try:
            result = await self._send("tools/call", params, timeout=timeout, on_progress=progress)
        except McpError as exc:
            if exc.code != HEADER_MISMATCH or not self.modern:
                raise
            # The tool's header parameters changed, or were never learned: list, then retry once.
            self._tool_headers.pop(name, None)
            await self.list_tools()
            result = await self._send("tools/call", params, timeout=timeout, on_progress=progress)
        if not isinstance(result, dict) or not isinstance(result.get("content"), list):
            raise McpError(
                INVALID_PARAMS, "the server's tools/call result has no content list", {"result": result}
            )
        if self.validate_structured_content and "structuredContent" in result and not result.get("isError"):
            await self._check_structured(name, result["structuredContent"])
        return result  # type: ignore[return-value]

    async def _check_structured(self, name: str, structured: Any) -> None:
        if name not in self._output_schemas:
            try:
                async for page in self.list_tools().pages():
                    if any(isinstance(t, dict) and t.get("name") == name for t in page):
                        break
            except McpError as exc:
                _log.warning("cannot check the structured content of %s: %s", name, exc)
            # Looked up once: a tool the listing lacks is not looked up again on every call.
            self._output_schemas.setdefault(name, None)
        validator = self._output_schemas.get(name)
        if validator is None:
            return
        try:
            validator.validate(structured)
        except ValidationError as exc:
            raise McpError(
                INVALID_PARAMS,
                f"the structuredContent of tool {name} does not match its output schema: {exc}",
                {"tool": name},
            ) from None

    async def read_resource(self, uri: str, *, timeout: float | Any | None = DEFAULT) -> ReadResourceResult:
        result = await self._send("resources/read", {"uri": uri}, timeout=timeout)
        if not isinstance(result, dict) or not isinstance(result.get("contents"), list):
            raise McpError(INVALID_PARAMS, "the server's resources/read result has no contents list")
        return result  # type: ignore[return-value]

    async def subscribe(self, uri: str) -> None:
        """Hear of changes to ``uri`` (legacy era; the modern one uses :meth:`listen`)."""
        if self.modern:
            raise McpError(
                METHOD_NOT_FOUND, "revision 2026-07-28 subscribes with a listen stream: use listen(uris=...)"
            )
        await self._require("resources/subscribe").request("resources/subscribe", {"uri": uri})

    async def unsubscribe(self, uri: str) -> None:
        if self.modern:
            raise McpError(METHOD_NOT_FOUND, "revision 2026-07-28 has no unsubscribe: leave the listen block")
        await self._require("resources/unsubscribe").request("resources/unsubscribe", {"uri": uri})

    async def get_prompt(
        self, name: str, arguments: Mapping[str, str] | None = None, *, timeout: float | Any | None = DEFAULT
    ) -> GetPromptResult:
        params: dict[str, Any] = {"name": name}
        if arguments is not None:
            params["arguments"] = dict(arguments)
        result = await self._send("prompts/get", params, timeout=timeout)
        if not isinstance(result, dict) or not isinstance(result.get("messages"), list):
            raise McpError(INVALID_PARAMS, "the server's prompts/get result has no messages list")
        return result  # type: ignore[return-value]

    async def complete(
        self,
        ref: Mapping[str, Any],
        argument: str,
        value: str,
        *,
        context: Mapping[str, str] | None = None,
    ) -> Completion:
        """Completion values for ``argument`` of ``ref``: ``{"type": "ref/prompt", "name": ...}``
        or ``{"type": "ref/resource", "uri": template}``. ``context`` (the other arguments'
        values) is sent from 2025-06-18 on."""
        params: dict[str, Any] = {"ref": dict(ref), "argument": {"name": argument, "value": value}}
        if context and self.revision is not None and self.revision.has("completion_context"):
            params["context"] = {"arguments": dict(context)}
        result = await self._send("completion/complete", params)
        completion = result.get("completion") if isinstance(result, dict) else None
        if not isinstance(completion, dict) or not isinstance(completion.get("values"), list):
            raise McpError(INVALID_PARAMS, "the server's completion result is malformed", {"result": result})
        return completion  # type: ignore[return-value]

    async def set_logging_level(self, level: LoggingLevel | None) -> None:
        """The least severe log level the server should send. Legacy: ``logging/setLevel``;
        modern: every later request asks for it in its envelope (None: no logs at all)."""
        if level is not None and level not in LOGGING_LEVELS:
            raise ValueError(f"level must be one of {LOGGING_LEVELS}")
        if self.modern:
            self.log_level = level
            return
        if level is None:
            raise ValueError("a legacy session cannot turn logging off; set the most severe level instead")
        await self._require("logging/setLevel").request("logging/setLevel", {"level": level})

    async def set_roots(self, roots: Iterable[str | Mapping[str, Any]]) -> None:
        """Replace the roots offered to the server, and tell it they changed."""
        if self._roots is None:
            raise RuntimeError("this client declared no roots capability: give roots= when creating it")
        self._roots = _roots(roots)
        if self.state is SessionState.READY and self._dispatcher is not None and not self.modern:
            await self._dispatcher.notify("notifications/roots/list_changed")


def _roots(roots: Iterable[str | Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for root in roots:
        entry = {"uri": root} if isinstance(root, str) else dict(root)
        uri = entry.get("uri")
        if not isinstance(uri, str) or not uri.startswith("file://"):
            raise ValueError(f"a root must be a file:// URI: {uri!r}")
        out.append(entry)
    return out


class Subscription:
    """One open ``subscriptions/listen`` stream: iterate it for its notifications."""

    def __init__(self, request_id: RequestId, max_queued: int) -> None:
        self.id = request_id
        self.acknowledged: dict[str, Any] | None = None  # the filter the server agreed to
        self.result: Any = None  # the final result, when the server ended it gracefully
        self.error: McpError | None = None
        self.ready = anyio.Event()
        self._send, self._receive = anyio.create_memory_object_stream[Notification](max_queued)

    def push(self, note: Notification) -> None:
        try:
            self._send.send_nowait(note)
        except anyio.WouldBlock:
            _log.warning(
                "subscription %r: %s dropped, %d notifications unread",
                self.id,
                note.method,
                self._send.statistics().current_buffer_used,
            )
        except anyio.ClosedResourceError:
            pass

    def close(self) -> None:
        self.ready.set()
        self._send.close()

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Notification:
        try:
            return await self._receive.receive()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None


def _complete(result: Any, method: str) -> dict[str, Any]:
    """A modern result checked for its type: a missing ``resultType`` counts as complete."""
    if not isinstance(result, dict):
        raise McpError(INVALID_PARAMS, f"the server's {method} result is not an object", {"result": result})
    kind = result.get("resultType", "complete")
    if kind not in ("complete", "input_required"):
        raise McpError(INVALID_PARAMS, f"the server's {method} result has an unknown resultType {kind!r}")
    return result


def _cache_key(method: str, params: Mapping[str, Any] | None) -> tuple[str, str] | None:
    """What identifies a cacheable request (its method and the one parameter that matters)."""
    if method in ("tools/list", "prompts/list", "resources/list", "resources/templates/list"):
        cursor = params.get("cursor") if params else None
        return (method, cursor if isinstance(cursor, str) else "")
    if method == "resources/read" and params and isinstance(params.get("uri"), str):
        return (method, params["uri"])
    return None
