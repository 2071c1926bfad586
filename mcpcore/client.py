"""The MCP client: one session with one server, over any transport or in memory.

``async with Client(target) as client`` opens the session: it offers its newest revision in
``initialize``, checks the server's answer (a revision it does not speak closes the session
with a clear :class:`~mcpcore.errors.McpError`), sends ``notifications/initialized``, and is
ready. ``target`` is a transport, or a :class:`~mcpcore.server.Server` to run in memory (through
the real JSON codec, so what is tested is what travels).

The client refuses, without sending anything, a request for a capability the server did not
declare (:class:`~mcpcore.server.CapabilityError`), and declares only the capabilities it has
handlers for: ``sampling`` with a sampling handler, ``elicitation`` with an elicitation
handler, ``roots`` when given roots.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
from collections.abc import Awaitable, Callable, Generator, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import anyio

from mcpcore import __version__, _shapes, revisions
from mcpcore._jsonschema import SchemaError, ValidationError, Validator
from mcpcore.dispatcher import DEFAULT, Dispatcher, ProgressCallback, RequestContext, Transport
from mcpcore.errors import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    UNSUPPORTED_PROTOCOL_VERSION,
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
from mcpcore.wire import Notification

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

    * ``versions``: the handshake revisions this client speaks; it offers the newest.
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
        versions: Sequence[str] = revisions.HANDSHAKE_VERSIONS,
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
    ) -> None:
        self._target = target
        self.info: dict[str, Any] = {"name": name, "version": version}
        if title is not None:
            self.info["title"] = title
        if icons:
            self.info["icons"] = list(icons)
        self.versions = revisions.handshake_versions(versions)
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

    # -- the session ----------------------------------------------------------------------------

    @property
    def protocol_version(self) -> str | None:
        return None if self.revision is None else self.revision.version

    def capabilities(self) -> dict[str, Any]:
        """What this client declares, from the handlers it has."""
        caps: dict[str, Any] = {}
        offered = revisions.REVISIONS[self.versions[-1]]  # the revision initialize offers
        if self._roots is not None:
            caps["roots"] = {"listChanged": True}
        if self.sampling is not None:
            caps["sampling"] = {"tools": {}} if self.sampling_tools and offered.has("sampling_tools") else {}
        if self.elicitation is not None and offered.has("elicitation"):
            # Before URL mode existed, an empty object was the only form.
            modes = self.elicitation_modes if offered.has("url_elicitation") else ()
            caps["elicitation"] = {m: {} for m in modes}
        if self.experimental:
            caps["experimental"] = self.experimental
        return caps

    async def __aenter__(self) -> Client:
        if self._stack is not None:
            raise RuntimeError("a Client can be entered only once")
        stack = contextlib.AsyncExitStack()
        await stack.__aenter__()
        try:
            transport = await self._connect(stack)
            dispatcher = Dispatcher(transport, request_timeout=self.request_timeout)
            self._register(dispatcher)
            await stack.enter_async_context(dispatcher)
            self._dispatcher = dispatcher
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
        uri = note.params.get("uri") if isinstance(note.params, dict) else None
        if isinstance(uri, str):
            await self._call(self.on_resource_updated, uri)

    async def _on_elicitation_complete(self, note: Notification) -> None:
        eid = note.params.get("elicitationId") if isinstance(note.params, dict) else None
        if isinstance(eid, str):
            await self._call(self.on_elicitation_complete, eid)

    async def _on_list_changed(self, note: Notification) -> None:
        kind = note.method.split("/")[1]
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
        dispatcher = self._require(method)
        if self.revision is not None and method not in self.revision.client_requests:
            raise McpError(METHOD_NOT_FOUND, f"{method} is not part of revision {self.revision}")
        return await dispatcher.request(method, dict(params) if params is not None else None, **options)

    async def ping(self, *, timeout: float | None = 10.0) -> None:
        await self._ready().request("ping", None, timeout=timeout)

    def _listing(self, method: str, key: str) -> Listing[Any]:
        async def fetch(cursor: str | None) -> tuple[list[Any], str | None]:
            dispatcher = self._require(method)
            result = await dispatcher.request(method, {"cursor": cursor} if cursor is not None else None)
            items = result.get(key) if isinstance(result, dict) else None
            if not isinstance(items, list):
                raise McpError(INVALID_PARAMS, f"the server's {method} result has no {key!r} list")
            next_cursor = result.get("nextCursor")
            if method == "tools/list":
                self._remember_schemas(items)
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

    def _remember_schemas(self, tools: list[Any]) -> None:
        for tool in tools:
            if isinstance(tool, dict) and isinstance(tool.get("name"), str):
                schema = tool.get("outputSchema")
                validator = None
                if isinstance(schema, dict):
                    try:
                        validator = Validator(schema)
                    except SchemaError as exc:
                        _log.warning("tool %s has an unusable output schema: %s", tool["name"], exc)
                self._output_schemas[tool["name"]] = validator

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
        dispatcher = self._require("tools/call")
        params: dict[str, Any] = {"name": name}
        if arguments is not None:
            params["arguments"] = dict(arguments)
        if meta is not None:
            params["_meta"] = dict(meta)
        result = await dispatcher.request("tools/call", params, timeout=timeout, on_progress=progress)
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
        dispatcher = self._require("resources/read")
        result = await dispatcher.request("resources/read", {"uri": uri}, timeout=timeout)
        if not isinstance(result, dict) or not isinstance(result.get("contents"), list):
            raise McpError(INVALID_PARAMS, "the server's resources/read result has no contents list")
        return result  # type: ignore[return-value]

    async def subscribe(self, uri: str) -> None:
        await self._require("resources/subscribe").request("resources/subscribe", {"uri": uri})

    async def unsubscribe(self, uri: str) -> None:
        await self._require("resources/unsubscribe").request("resources/unsubscribe", {"uri": uri})

    async def get_prompt(
        self, name: str, arguments: Mapping[str, str] | None = None, *, timeout: float | Any | None = DEFAULT
    ) -> GetPromptResult:
        params: dict[str, Any] = {"name": name}
        if arguments is not None:
            params["arguments"] = dict(arguments)
        dispatcher = self._require("prompts/get")
        result = await dispatcher.request("prompts/get", params, timeout=timeout)
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
        result = await self._require("completion/complete").request("completion/complete", params)
        completion = result.get("completion") if isinstance(result, dict) else None
        if not isinstance(completion, dict) or not isinstance(completion.get("values"), list):
            raise McpError(INVALID_PARAMS, "the server's completion result is malformed", {"result": result})
        return completion  # type: ignore[return-value]

    async def set_logging_level(self, level: LoggingLevel) -> None:
        if level not in LOGGING_LEVELS:
            raise ValueError(f"level must be one of {LOGGING_LEVELS}")
        await self._require("logging/setLevel").request("logging/setLevel", {"level": level})

    async def set_roots(self, roots: Iterable[str | Mapping[str, Any]]) -> None:
        """Replace the roots offered to the server, and tell it they changed."""
        if self._roots is None:
            raise RuntimeError("this client declared no roots capability: give roots= when creating it")
        self._roots = _roots(roots)
        if self.state is SessionState.READY and self._dispatcher is not None:
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
