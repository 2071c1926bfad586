"""The MCP server: tools, resources, prompts and completions from plain functions.

A :class:`Server` holds what is offered; each connection to it is a :class:`ServerSession`,
which runs the lifecycle of the handshake revisions (2024-11-05 to 2025-11-25) on its own
:class:`~mcpcore.dispatcher.Dispatcher`::

    awaiting ──initialize──► initializing ──notifications/initialized──► ready ──► closed

Before ``ready`` only ``initialize`` (once) and ``ping`` are answered; anything else is refused
with -32600 and says why. Once a revision is negotiated, a method that revision lacks, or whose
capability this server did not declare, is -32601. Everything sent is fitted to the negotiated
revision (``mcpcore._shapes``).

A function's parameters become the input schema, its docstring the description, and a
parameter annotated :class:`Context` receives the request's context (logging, progress,
sampling, elicitation, roots, resources). Sync functions run in the event loop's thread, like
async ones: a function that blocks should be async, or hand its work to a thread itself.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import inspect
import logging
import threading
import types
import typing
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Final, TypedDict, TypeVar, Unpack, overload

import anyio
import orjson
import pydantic
import pydantic_core

from mcpcore import _shapes, revisions
from mcpcore._jsonschema import SchemaError, ValidationError, Validator
from mcpcore._pagination import Cursors
from mcpcore._signature import Signature, read_signature
from mcpcore.dispatcher import DEFAULT, Dispatcher, RequestContext, Transport
from mcpcore.errors import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    MISSING_REQUIRED_CLIENT_CAPABILITY,
    ConnectionClosed,
    McpError,
)
from mcpcore.modern import (
    CACHEABLE,
    INPUT_METHODS,
    MODERN_ONLY,
    SERVER_INFO,
    SUBSCRIPTION_ID,
    CacheScope,
    Envelope,
    HeaderParameter,
    StateSealer,
    header_parameters,
    is_modern,
    read_envelope,
)
from mcpcore.revisions import Revision
from mcpcore.types import (
    LOGGING_LEVELS,
    Annotations,
    Icon,
    LoggingLevel,
    ToolAnnotations,
)
from mcpcore.uritemplate import UriTemplate, UriTemplateError, is_template
from mcpcore.wire import Notification, Request, RequestId

if TYPE_CHECKING:
    from mcpcore.elicitation import ElicitationResult
    from transports.http._app import StreamableHttpApp

__all__ = [
    "CapabilityError",
    "Completion",
    "Context",
    "Server",
    "ServerSession",
    "SessionState",
    "ToolResult",
]

_log = logging.getLogger("mcpcore.server")

F = TypeVar("F", bound=Callable[..., Any])
M = TypeVar("M", bound=pydantic.BaseModel)

MAX_COMPLETION_VALUES: Final = 100  # the spec's limit per completion result
_LEVEL_RANK: Final = {level: rank for rank, level in enumerate(LOGGING_LEVELS)}


class CapabilityError(McpError):
    """The peer did not declare a capability that this operation needs; nothing was sent."""

    def __init__(self, capability: str, message: str) -> None:
        super().__init__(METHOD_NOT_FOUND, message, {"capability": capability})
        self.capability = capability


class SessionState(enum.Enum):
    AWAITING_INITIALIZE = "awaiting initialize"
    INITIALIZING = "initializing"  # initialize answered, notifications/initialized not yet seen
    READY = "ready"
    CLOSED = "closed"


@dataclass(slots=True)
class ToolResult:
    """A tool result spelled out: return it from a tool for full control over the answer."""

    content: list[Any] = field(default_factory=list)
    structured: dict[str, Any] | None = None
    is_error: bool = False
    meta: dict[str, Any] | None = None


@dataclass(slots=True)
class Completion:
    """Completion values, when a completion handler knows more than a plain list says."""

    values: list[str]
    total: int | None = None
    has_more: bool | None = None


# -- registry entries -------------------------------------------------------------------------


@dataclass(slots=True)
class _Tool:
    name: str
    sig: Signature
    definition: dict[str, Any]
    _validator: Validator | None = None
    # The advertised input schema's validator, when it was given rather than derived.
    input_validator: Validator | None = None
    # Arguments mirrored into Mcp-Param-* headers (x-mcp-header), checked over HTTP (2026-07-28).
    headers: tuple[HeaderParameter, ...] = ()

    def check_structured(self, structured: Any) -> None:
        """Raise ValueError unless ``structured`` meets the tool's declared output schema."""
        schema = self.definition.get("outputSchema")
        if schema is None:
            return
        if self._validator is None:
            self._validator = Validator(schema)
        try:
            self._validator.validate(structured)
        except ValidationError as exc:
            raise ValueError(f"its structured content does not match its output schema: {exc}") from None


@dataclass(slots=True)
class _Resource:
    uri: str
    sig: Signature
    definition: dict[str, Any]
    cache: tuple[int | None, CacheScope | None] = (None, None)  # ttlMs, cacheScope of reads


@dataclass(slots=True)
class _Template:
    template: UriTemplate
    sig: Signature
    definition: dict[str, Any]
    cache: tuple[int | None, CacheScope | None] = (None, None)


@dataclass(slots=True)
class _Prompt:
    name: str
    sig: Signature
    definition: dict[str, Any]


CompletionHandler = Callable[..., Any]


class ToolOptions(TypedDict, total=False):
    title: str | None
    description: str | None
    annotations: ToolAnnotations | None
    icons: Sequence[Icon] | None
    meta: Mapping[str, Any] | None
    structured_output: bool | None
    input_schema: Mapping[str, Any] | None


class ResourceOptions(TypedDict, total=False):
    name: str | None
    title: str | None
    description: str | None
    mime_type: str | None
    annotations: Annotations | None
    size: int | None
    icons: Sequence[Icon] | None
    meta: Mapping[str, Any] | None
    ttl_ms: int | None
    cache_scope: CacheScope | None


class PromptOptions(TypedDict, total=False):
    title: str | None
    description: str | None
    icons: Sequence[Icon] | None
    meta: Mapping[str, Any] | None


def _given_input_schema(tool: str, schema: Mapping[str, Any]) -> tuple[dict[str, Any], Validator]:
    """A copy of a tool's own input schema, and its validator; ValueError if it cannot be one."""
    try:
        copy = orjson.loads(orjson.dumps(schema))
    except TypeError as exc:
        raise ValueError(f"tool {tool!r}: input_schema is not JSON: {exc}") from None
    if not isinstance(copy, dict) or copy.get("type") != "object":
        # Every revision's Tool.inputSchema is an object schema whose root type is "object".
        raise ValueError(f'tool {tool!r}: input_schema must be a JSON Schema with "type": "object"')
    try:
        validator = Validator(copy)
    except SchemaError as exc:
        raise ValueError(f"tool {tool!r}: input_schema is not a usable JSON Schema: {exc}") from None
    return copy, validator


def _entity(
    base: dict[str, Any],
    *,
    title: str | None = None,
    description: str | None = None,
    icons: Sequence[Icon] | None = None,
    meta: Mapping[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    for key, value in (("title", title), ("description", description)):
        if value is not None:
            base[key] = value
    if icons:
        base["icons"] = list(icons)
    for key, value in extra.items():
        if value is not None:
            base[key] = value
    if meta:
        base["_meta"] = dict(meta)
    return base


class _Lifespan:
    """The state of one shared lifespan (see :meth:`Server.running`)."""

    def __init__(self) -> None:
        self.value: Any = None
        self.users = 0
        self.failed: BaseException | None = None
        self.closing = False
        self.ready = anyio.Event()
        self.idle = anyio.Event()
        self.closed = anyio.Event()


# -- the server -------------------------------------------------------------------------------


class Server:
    """What an MCP server offers, and the sessions that use it.

    * ``versions``: the revisions this server speaks (all by default). The handshake ones are
      negotiated by ``initialize`` (the newest is offered to a client that asks for an unknown
      one); with 2026-07-28 among them, a request carrying its ``_meta`` envelope is served
      statelessly by that revision's rules, on the same connection or endpoint.
    * ``page_size``: items per page of ``tools/list``, ``resources/list``... (default 100).
    * ``cursor_secret``: key of the pagination cursors (random per server by default; give
      every process of one server the same one).
    * ``lifespan``: ``lifespan(server)`` is an async context manager entered once while any
      session runs; what it yields is ``ctx.lifespan`` in every request.
    * ``declare``: capabilities to declare even while nothing of their kind is registered
      (``"tools"``, ``"resources"``, ``"prompts"``, ``"completions"``), for servers that add
      items at run time.
    * ``log_level``: the least severe level sent to a legacy client that never set one.
    * ``state_key`` / ``state_ttl``: key (random per server by default; give every process of
      one server the same one) and lifetime in seconds of the sealed ``requestState`` of
      input-required results (2026-07-28).
    * ``cache_ttl_ms`` / ``cache_scope``: the caching hints of the cacheable 2026-07-28 results
      (``server/discover`` and the lists; a resource may set its own). The default, 0 ms, tells
      clients to fetch again each time.
    * ``max_input_rounds``: how many input-required rounds one request may take before the
      server gives up with an error (a handler that keeps asking is a bug).
    * ``request_timeout`` / ``max_concurrency`` / ``debug``: passed to each session's
      dispatcher (requests this server sends, requests handled at once, tracebacks in errors).
    """

    def __init__(
        self,
        name: str,
        version: str = "0.0.0",
        *,
        title: str | None = None,
        description: str | None = None,
        website_url: str | None = None,
        icons: Sequence[Icon] | None = None,
        instructions: str | None = None,
        versions: Sequence[str] = revisions.VERSIONS,
        page_size: int = 100,
        cursor_secret: bytes | None = None,
        lifespan: Callable[[Server], contextlib.AbstractAsyncContextManager[Any]] | None = None,
        declare: Iterable[str] = (),
        experimental: Mapping[str, Any] | None = None,
        log_level: LoggingLevel = "debug",
        request_timeout: float | None = 60.0,
        max_concurrency: int = 64,
        debug: bool = False,
        state_key: bytes | None = None,
        state_ttl: float = 600.0,
        cache_ttl_ms: int = 0,
        cache_scope: CacheScope = "public",
        max_input_rounds: int = 16,
    ) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        if log_level not in _LEVEL_RANK:
            raise ValueError(f"log_level must be one of {LOGGING_LEVELS}")
        self.info: dict[str, Any] = _entity(
            {"name": name, "version": version},
            title=title,
            description=description,
            icons=icons,
            websiteUrl=website_url,
        )
        self.instructions = instructions
        self.versions, self.modern_versions = revisions.split_versions(versions)
        # What an unsupported-version error lists: modern first, as those need no handshake.
        self.supported_versions = tuple(reversed(self.modern_versions)) + tuple(reversed(self.versions))
        if cache_ttl_ms < 0:
            raise ValueError("cache_ttl_ms must be 0 or more")
        if cache_scope not in ("public", "private"):
            raise ValueError("cache_scope must be 'public' or 'private'")
        if max_input_rounds < 1:
            raise ValueError("max_input_rounds must be at least 1")
        self.cache_ttl_ms = cache_ttl_ms
        self.cache_scope: CacheScope = cache_scope
        self.max_input_rounds = max_input_rounds
        self._sealer = StateSealer(state_key, ttl=state_ttl)
        self.page_size = page_size
        self.lifespan = lifespan
        self.declared = frozenset(declare)
        self.experimental = dict(experimental) if experimental else None
        self.log_level: LoggingLevel = log_level
        self.request_timeout = request_timeout
        self.max_concurrency = max_concurrency
        self.debug = debug

        self._cursors = Cursors(cursor_secret)
        self._tools: dict[str, _Tool] = {}
        self._resources: dict[str, _Resource] = {}
        self._templates: dict[str, _Template] = {}
        self._prompts: dict[str, _Prompt] = {}
        self._completers: dict[tuple[str, str, str], CompletionHandler] = {}
        self._fallback_completer: CompletionHandler | None = None
        self.sessions: set[ServerSession] = set()
        self.listeners: set[_Listener] = set()  # open subscriptions/listen streams (2026-07-28)
        self._fitted_info: dict[str, dict[str, Any]] = {}

        self._lifespan: _Lifespan | None = None
        self._loop_thread: int | None = None  # the thread of the event loop sessions run on

    @property
    def name(self) -> str:
        return str(self.info["name"])

    # -- tools ----------------------------------------------------------------------------------

    def tool(self, name: str | None = None, **options: Unpack[ToolOptions]) -> Callable[[F], F]:
        """Register a function as a tool (a decorator; options as for :meth:`add_tool`).

        Its parameters are the input schema; a return annotation that serializes to an object
        (a pydantic model, dataclass, TypedDict or dict) gives an output schema, and results
        then carry ``structuredContent`` with its JSON text as content. ``structured_output``
        forces that on (wrapping other values as ``{"result": ...}``) or off.
        """

        def register(fn: F) -> F:
            self.add_tool(fn, name=name, **options)
            return fn

        return register

    def add_tool(
        self,
        fn: Callable[..., Any],
        *,
        name: str | None = None,
        title: str | None = None,
        description: str | None = None,
        annotations: ToolAnnotations | None = None,
        icons: Sequence[Icon] | None = None,
        meta: Mapping[str, Any] | None = None,
        structured_output: bool | None = None,
        input_schema: Mapping[str, Any] | None = None,
    ) -> None:
        """Register ``fn`` as a tool.

        ``input_schema`` advertises a JSON Schema of your own instead of the one derived from
        the parameters, for what a signature cannot say (``if``/``then``/``else``, ``$anchor``,
        ``additionalProperties: false``...). Arguments must then satisfy it, and the
        parameters still take what it admits (extra keys are not passed on).
        """
        sig = read_signature(fn, context_type=Context, structured_output=structured_output, what="tool")
        tool_name = name or sig.name
        if not tool_name or len(tool_name) > 128:
            raise ValueError(f"a tool name must have 1 to 128 characters: {tool_name!r}")
        input_validator: Validator | None = None
        if input_schema is None:
            advertised = sig.input_schema()
        else:
            advertised, input_validator = _given_input_schema(tool_name, input_schema)
        definition = _entity(
            {"name": tool_name, "inputSchema": advertised},
            title=title,
            description=description if description is not None else sig.doc,
            icons=icons,
            meta=meta,
            annotations=dict(annotations) if annotations else None,
            outputSchema=sig.output.schema if sig.output is not None else None,
        )
        try:
            headers = header_parameters(advertised)
        except ValueError as exc:
            raise ValueError(f"tool {tool_name!r}: {exc}") from None
        self._check_thread()
        self._tools[tool_name] = _Tool(
            tool_name, sig, definition, input_validator=input_validator, headers=headers
        )
        self._changed("tools")

    def remove_tool(self, name: str) -> None:
        """Remove a tool; connected clients are told the list changed. KeyError if unknown."""
        self._check_thread()
        del self._tools[name]
        self._changed("tools")

    # -- resources ------------------------------------------------------------------------------

    def resource(self, uri: str, **options: Unpack[ResourceOptions]) -> Callable[[F], F]:
        """Register a function as a resource, or (with ``{variables}`` in ``uri``) a template.

        The function returns the contents: ``str`` (text), ``bytes`` (binary), contents dicts
        (see :mod:`mcpcore.content`), or a list of them. A template's variables are passed as
        the parameters of the same names. Options as for :meth:`add_resource`.
        """

        def register(fn: F) -> F:
            self.add_resource(fn, uri, **options)
            return fn

        return register

    def add_resource(
        self,
        fn: Callable[..., Any],
        uri: str,
        *,
        name: str | None = None,
        title: str | None = None,
        description: str | None = None,
        mime_type: str | None = None,
        annotations: Annotations | None = None,
        size: int | None = None,
        icons: Sequence[Icon] | None = None,
        meta: Mapping[str, Any] | None = None,
        ttl_ms: int | None = None,
        cache_scope: CacheScope | None = None,
    ) -> None:
        """Register ``fn`` as the resource (or, with ``{variables}``, template) ``uri``.

        ``ttl_ms`` and ``cache_scope`` are the caching hints of its reads in 2026-07-28
        (defaults: the server's ``cache_ttl_ms``, and ``"private"``, since what a read returns
        may depend on who asks).
        """
        if ttl_ms is not None and ttl_ms < 0:
            raise ValueError("ttl_ms must be 0 or more")
        if cache_scope not in (None, "public", "private"):
            raise ValueError("cache_scope must be 'public' or 'private'")
        cache = (ttl_ms, cache_scope)
        sig = read_signature(fn, context_type=Context, structured_output=False, what="resource")
        common = {
            "title": title,
            "description": description if description is not None else sig.doc,
            "icons": icons,
            "meta": meta,
            "mimeType": mime_type,
            "annotations": dict(annotations) if annotations else None,
        }
        if is_template(uri):
            try:
                template = UriTemplate(uri)
            except UriTemplateError as exc:
                raise ValueError(f"resource template {uri!r}: {exc}") from None
            missing = sig.required - set(template.variables)
            if missing:
                raise TypeError(
                    f"resource template {uri!r}: parameters {sorted(missing)} of {sig.name} "
                    "are not variables of the template"
                )
            definition = _entity({"uriTemplate": uri, "name": name or sig.name}, **common)  # type: ignore[arg-type]
            self._check_thread()
            self._templates[uri] = _Template(template, sig, definition, cache)
        else:
            if sig.required:
                raise TypeError(f"resource {uri!r}: {sig.name} may take no arguments but a Context")
            definition = _entity({"uri": uri, "name": name or sig.name}, size=size, **common)  # type: ignore[arg-type]
            self._check_thread()
            self._resources[uri] = _Resource(uri, sig, definition, cache)
        self._changed("resources")

    def remove_resource(self, uri: str) -> None:
        """Remove a resource or template by its URI (template); KeyError if unknown."""
        self._check_thread()
        if uri in self._resources:
            del self._resources[uri]
        else:
            del self._templates[uri]
        self._changed("resources")

    async def notify_resource_updated(self, uri: str) -> None:
        """Tell every session subscribed to ``uri``, and every listen stream that asked for it,
        that it changed."""
        for listener in self.listeners:
            listener.updated(uri)
        targets = [s for s in self.sessions if uri in s.subscriptions and s.state is SessionState.READY]
        if not targets:
            return
        async with anyio.create_task_group() as group:
            for session in targets:
                group.start_soon(session.notify_quietly, "notifications/resources/updated", {"uri": uri})

    # -- prompts --------------------------------------------------------------------------------

    def prompt(self, name: str | None = None, **options: Unpack[PromptOptions]) -> Callable[[F], F]:
        """Register a function as a prompt; its parameters are the prompt's arguments.

        It returns a ``str`` (one user message), a message dict or a list of them, or a full
        result dict with ``messages``. Options as for :meth:`add_prompt`.
        """

        def register(fn: F) -> F:
            self.add_prompt(fn, name=name, **options)
            return fn

        return register

    def add_prompt(
        self,
        fn: Callable[..., Any],
        *,
        name: str | None = None,
        title: str | None = None,
        description: str | None = None,
        icons: Sequence[Icon] | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> None:
        sig = read_signature(fn, context_type=Context, structured_output=False, what="prompt")
        prompt_name = name or sig.name
        for param, info in sig.model.model_fields.items():
            if not _from_string(info.annotation):
                raise TypeError(
                    f"prompt {prompt_name!r}: argument {sig.renamed.get(param, param)!r} is a "
                    f"{info.annotation!r}, but prompt arguments arrive as strings"
                )
        arguments = []
        for param in sig.params:
            argument: dict[str, Any] = {"name": param, "required": param in sig.required}
            if param in sig.descriptions:
                argument["description"] = sig.descriptions[param]
            arguments.append(argument)
        definition = _entity(
            {"name": prompt_name},
            title=title,
            description=description if description is not None else sig.doc,
            icons=icons,
            meta=meta,
            arguments=arguments or None,
        )
        self._check_thread()
        self._prompts[prompt_name] = _Prompt(prompt_name, sig, definition)
        self._changed("prompts")

    def remove_prompt(self, name: str) -> None:
        self._check_thread()
        del self._prompts[name]
        self._changed("prompts")

    # -- completions ----------------------------------------------------------------------------

    def completion(
        self, *, prompt: str | None = None, template: str | None = None, argument: str | None = None
    ) -> Callable[[F], F]:
        """Register a completion handler (a decorator).

        With ``prompt=`` (or ``template=``) and ``argument=``, the handler completes that one
        argument (template variable) and is called as ``handler(value, arguments)``, where
        ``arguments`` holds the values of the other arguments the client already knows. With
        no keywords it handles every other request: ``handler(ref, argument, value,
        arguments)``. It returns a list of values or a :class:`Completion`; more than 100 values
        are cut to 100, with ``total`` and ``hasMore`` set.
        """
        if (prompt is None) != (argument is None) and template is None:
            raise TypeError("give prompt= or template= together with argument=, or neither")
        if prompt is not None and template is not None:
            raise TypeError("give prompt= or template=, not both")

        def register(fn: F) -> F:
            if prompt is not None:
                self._completers["ref/prompt", prompt, argument or ""] = fn
            elif template is not None:
                if argument is None:
                    raise TypeError("template= needs argument=")
                self._completers["ref/resource", template, argument] = fn
            else:
                self._fallback_completer = fn
            return fn

        return register

    # -- sessions -------------------------------------------------------------------------------

    def capabilities(self, revision: Revision) -> dict[str, Any]:
        """The capabilities this server declares to a client of ``revision``."""
        caps: dict[str, Any] = {"logging": {}}
        if self._tools or "tools" in self.declared:
            caps["tools"] = {"listChanged": True}
        if self._resources or self._templates or "resources" in self.declared:
            caps["resources"] = {"subscribe": True, "listChanged": True}
        if self._prompts or "prompts" in self.declared:
            caps["prompts"] = {"listChanged": True}
        if revision.has("completions_capability") and (
            self._completers or self._fallback_completer or "completions" in self.declared
        ):
            caps["completions"] = {}
        if self.experimental:
            caps["experimental"] = self.experimental
        return caps

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Any]:
        """Hold the server's lifespan open while the block runs; yields its value.

        Overlapping users share one lifespan. The first enters it, in its own task, and must
        exit it in that same task (a lifespan may hold task groups or cancel scopes), so when
        its block ends while others still use the lifespan, it waits for them, shielded from
        cancellation: the owner never leaves while what it owns is in use. Hosts that serve
        many connections (HTTP) enter it once around all of them.
        """
        if self.lifespan is None:
            yield None
            return
        while True:
            current = self._lifespan
            if current is None:
                break  # nobody holds it: become the owner
            if not current.ready.is_set():
                await current.ready.wait()
                if current.failed is not None:
                    raise RuntimeError("the server's lifespan failed to start") from current.failed
                continue  # look again: it may have closed meanwhile
            if current.closing:
                await current.closed.wait()  # the previous one is on its way out
                continue
            # No await between the checks above and this: the owner cannot close it in between.
            current.users += 1
            try:
                yield current.value
            finally:
                current.users -= 1
                if current.users == 0:
                    current.idle.set()
            return
        held = self._lifespan = _Lifespan()
        stack = contextlib.AsyncExitStack()
        try:
            held.value = await stack.enter_async_context(self.lifespan(self))
        except BaseException as exc:
            held.failed = exc
            held.closing = True
            self._lifespan = None
            held.ready.set()
            held.closed.set()
            raise
        held.users = 1
        held.ready.set()
        try:
            yield held.value
        finally:
            held.users -= 1
            with anyio.CancelScope(shield=True):
                while held.users > 0:
                    held.idle = anyio.Event()
                    await held.idle.wait()
            held.closing = True  # right after the last check: nobody joins from here on
            try:
                # Not inside the shield: the lifespan's own cancel scopes (a task group, say)
                # must be left in the order they were entered.
                await stack.aclose()
            finally:
                self._lifespan = None
                held.closed.set()

    @property
    def _lifespan_value(self) -> Any:
        return None if self._lifespan is None else self._lifespan.value

    async def serve(self, transport: Transport) -> None:
        """Serve one connection until it closes (the transport is closed on the way out)."""
        try:
            async with self.running(), self.session(transport) as session:
                await session.dispatcher.wait_closed()
        finally:
            with anyio.CancelScope(shield=True):
                try:
                    await transport.aclose()
                except Exception:
                    _log.debug("error while closing a transport", exc_info=True)

    def asgi_app(self, **options: Any) -> StreamableHttpApp:
        """This server as a Streamable HTTP endpoint, an ASGI application.

        Run it under any ASGI server (``uvicorn module:app``), or mount it in Starlette or
        FastAPI; a host that does not pass the ASGI lifespan on to mounted apps must enter
        ``app.running()`` in its own lifespan. The options are those of
        :class:`transports.http.StreamableHttpApp`.
        """
        from transports.http._app import StreamableHttpApp

        return StreamableHttpApp(self, **options)

    @contextlib.asynccontextmanager
    async def session(self, transport: Transport) -> AsyncIterator[ServerSession]:
        """A session over ``transport``, open for the ``async with`` block."""
        dispatcher = Dispatcher(
            transport,
            request_timeout=self.request_timeout,
            max_concurrency=self.max_concurrency,
            debug=self.debug,
        )
        session = ServerSession(self, dispatcher)
        async with dispatcher:
            self._loop_thread = threading.get_ident()
            self.sessions.add(session)
            try:
                yield session
            finally:
                session.state = SessionState.CLOSED
                self.sessions.discard(session)

    def _check_thread(self) -> None:
        """Refuse registry changes from a thread other than the sessions' event loop's.

        Telling the sessions means scheduling sends on their loop, which only its own thread
        may do; from a worker thread use ``anyio.from_thread.run_sync(server.add_tool, ...)``.
        """
        if (
            (self.sessions or self.listeners)
            and self._loop_thread is not None
            and threading.get_ident() != self._loop_thread
        ):
            raise RuntimeError(
                "change a running server's tools, resources and prompts from its event loop's thread "
                "(from a worker thread: anyio.from_thread.run_sync)"
            )

    def _changed(self, kind: str) -> None:
        for session in list(self.sessions):
            session.list_changed(kind)
        for listener in self.listeners:
            listener.changed(kind)

    def _info(self, revision: Revision) -> dict[str, Any]:
        """This server's Implementation object, fitted to ``revision`` (computed once each)."""
        fitted = self._fitted_info.get(revision.version)
        if fitted is None:
            fitted = self._fitted_info[revision.version] = _shapes.fit(revision, "Implementation", self.info)
        return fitted

    def end_subscriptions(self) -> None:
        """End every open ``subscriptions/listen`` stream gracefully, with its final result.

        Hosts call this when they shut down (the HTTP server does); a stream the client closes
        ends on its own.
        """
        for listener in list(self.listeners):
            listener.end()

    # -- request handling (called by sessions) --------------------------------------------------

    def _page(
        self,
        kind: str,
        items: Iterable[dict[str, Any]],
        params: Mapping[str, Any] | None,
        revision: Revision,
        definition: str,
    ) -> dict[str, Any]:
        """One page of ``items``, fitted to ``revision`` (only the page is fitted)."""
        offset = 0
        cursor = params.get("cursor") if params else None
        if cursor is not None:
            offset = self._cursors.decode(kind, cursor)
        everything = list(items)
        page = [
            _shapes.fit(revision, definition, item) for item in everything[offset : offset + self.page_size]
        ]
        result: dict[str, Any] = {kind: page}
        if offset + self.page_size < len(everything):
            result["nextCursor"] = self._cursors.encode(kind, offset + self.page_size)
        return result


# -- one connection ---------------------------------------------------------------------------

# Answered in every state of a session.
_ALWAYS: Final = frozenset({"ping"})
# A request handler: the scope (a legacy session or one modern request) and the request.
_Handler = Callable[["_Scope", RequestContext], Awaitable[Any]]


class _Scope:
    """Whom a request comes from and what it may use: a legacy session, or one modern request.

    Handlers and :class:`Context` see only this, so one handler serves both eras.
    """

    modern: ClassVar[bool] = False
    server: Server
    dispatcher: Dispatcher
    revision: Revision | None
    client_info: dict[str, Any]
    client_capabilities: dict[str, Any]

    def require_client(self, capability: str, what: str) -> None:
        raise NotImplementedError

    async def send_log(
        self, level: LoggingLevel, data: Any, logger: str | None = None, related: RequestId | None = None
    ) -> None:
        raise NotImplementedError


class ServerSession(_Scope):
    """One client's connection to a :class:`Server`: its lifecycle, and what was negotiated.

    With a revision of the modern era among the server's versions, the same connection also
    serves requests that carry the 2026-07-28 envelope, each on its own (:class:`ModernRequest`),
    whatever the session's own state.
    """

    def __init__(self, server: Server, dispatcher: Dispatcher) -> None:
        self.server = server
        self.dispatcher = dispatcher
        self.state = SessionState.AWAITING_INITIALIZE
        self.revision: Revision | None = None
        self.client_info: dict[str, Any] = {}
        self.client_capabilities: dict[str, Any] = {}
        self.log_level: LoggingLevel = server.log_level
        self.subscriptions: set[str] = set()
        # Set by transports that cannot carry anything but answers (stateless HTTP).
        self.without_notifications = False
        self._allowed: frozenset[str] = frozenset({"initialize", "ping"})
        self._after_ready: frozenset[str] = frozenset()  # what _allowed becomes at initialized
        self._initial_caps: dict[str, Any] = {}  # the capabilities declared at initialize
        self._roots: list[dict[str, Any]] | None = None
        if getattr(dispatcher.transport, "allow_batch", None) is not None:
            # No batches before a revision that has them is negotiated: initialize must come alone.
            dispatcher.transport.allow_batch = False  # type: ignore[attr-defined]
        self._roots_generation = 0  # bumped by each roots/list_changed: a stale answer is not cached
        self._init_answer: dict[RequestId, dict[str, Any] | McpError] = {}
        self._modern = bool(server.modern_versions)
        # A server of the modern era only has no legacy reading of anything: every request is
        # judged by its envelope (a missing one is -32602, not "before initialize").
        self._modern_only = self._modern and not server.versions
        for method, handler in _HANDLERS.items():
            dispatcher.on_request(
                method, self._route(handler) if self._modern else functools.partial(handler, self)
            )
        if self._modern:
            for method, handler in _MODERN_HANDLERS.items():
                dispatcher.on_request(method, functools.partial(_serve_modern, self, handler))
        dispatcher.admission = self._admit
        dispatcher.on_notification("notifications/initialized", self._initialized)
        dispatcher.on_notification("notifications/roots/list_changed", self._roots_changed)

    def _route(self, handler: _Handler) -> Callable[[RequestContext], Awaitable[Any]]:
        """``handler`` for both eras: a request with the modern envelope is served statelessly."""
        legacy = functools.partial(handler, self)

        def route(ctx: RequestContext) -> Awaitable[Any]:
            # Not a coroutine function itself: it hands the dispatcher the one to await.
            if self._modern_only or is_modern(ctx.request.params):
                return _serve_modern(self, handler, ctx)
            return legacy(ctx)

        return route

    def _admit(self, request: Request) -> None:
        """Judge a request in the state its arrival finds (called by the dispatcher, in order)."""
        method = request.method
        if self._modern and (self._modern_only or method in MODERN_ONLY or is_modern(request.params)):
            return  # no session state applies: its handler judges it by its envelope alone
        if method not in self._allowed:
            raise self._refusal(method)
        if method == "initialize":
            # Negotiated here, not in the handler's task, so that notifications/initialized
            # right behind it finds the session initializing, whatever the scheduling.
            try:
                self._init_answer[request.id] = _initialize_now(self, request.params)
            except McpError as exc:
                self._init_answer[request.id] = exc

    def _refusal(self, method: str) -> McpError:
        if self.state is SessionState.AWAITING_INITIALIZE:
            return McpError(
                INVALID_REQUEST,
                f"Received {method!r} before initialize: the session must be initialized first",
            )
        if method == "initialize":
            return McpError(INVALID_REQUEST, "initialize was already received on this session")
        if self.state is SessionState.INITIALIZING and method in self._after_ready:
            return McpError(
                INVALID_REQUEST, f"Received {method!r} before notifications/initialized: send that first"
            )
        revision = self.revision
        if revision is not None and method not in revision.client_requests:
            return McpError(
                METHOD_NOT_FOUND, "Method not found", {"method": method, "revision": str(revision)}
            )
        capability = revisions.server_capability_for(revision, method) if revision else None
        return McpError(
            METHOD_NOT_FOUND,
            f"Method not found: this server does not offer {capability!r}",
            {"method": method, "capability": capability},
        )

    # -- lifecycle ------------------------------------------------------------------------------

    def _negotiate(self, revision: Revision, capabilities: Mapping[str, Any]) -> None:
        allowed = set(_ALWAYS)
        for method in revision.client_requests:
            if method not in _HANDLERS or method == "initialize":
                continue
            need = revisions.server_capability_for(revision, method)
            if need is None or _has(capabilities, need):
                allowed.add(method)
        self._after_ready = frozenset(allowed)
        self._allowed = _ALWAYS
        self.revision = revision
        self.dispatcher.omit_unknown_error_id = revision.omits_unknown_error_id
        allow_batch = getattr(self.dispatcher.transport, "allow_batch", None)
        if allow_batch is not None:
            self.dispatcher.transport.allow_batch = revision.receives_batches  # type: ignore[attr-defined]

    def _capabilities(self, revision: Revision) -> dict[str, Any]:
        caps = self.server.capabilities(revision)
        if self.without_notifications:
            # Nothing can reach the client later: promise no list changes or subscriptions.
            for name in ("tools", "resources", "prompts"):
                if name in caps:
                    caps[name] = {
                        k: v for k, v in caps[name].items() if k not in ("listChanged", "subscribe")
                    }
        return caps

    def assume(self, version: str) -> None:
        """Start this session ready, at ``version``, as if a handshake had happened elsewhere.

        For stateless Streamable HTTP, where each POST is a session of its own: the client
        initialized once, on some other request, and only the protocol-version header says
        what it negotiated. The client's capabilities are unknown, so it is asked for nothing
        (sampling, elicitation and roots raise :class:`CapabilityError`).
        """
        if self.state is not SessionState.AWAITING_INITIALIZE:
            raise RuntimeError(f"cannot assume a revision in state {self.state.value}")
        revision = revisions.REVISIONS[version]
        caps = self._capabilities(revision)
        self._initial_caps = caps
        self._negotiate(revision, caps)
        self.state = SessionState.READY
        self._allowed = self._after_ready

    def _initialized(self, note: Notification) -> None:
        if self.state is SessionState.INITIALIZING:
            self.state = SessionState.READY
            self._allowed = self._after_ready
        else:
            _log.debug("ignoring notifications/initialized in state %s", self.state.value)

    def _roots_changed(self, note: Notification) -> None:
        self._roots = None
        self._roots_generation += 1

    # -- sending --------------------------------------------------------------------------------

    async def notify(self, method: str, params: dict[str, Any] | None = None) -> None:
        """Send a notification, unless the negotiated revision lacks it (then it is dropped)."""
        revision = self.revision
        if revision is None or not revision.server_may_send(method):
            _log.debug("not sending %s: not part of revision %s", method, revision)
            return
        await self.dispatcher.notify(method, params)

    async def notify_quietly(self, method: str, params: dict[str, Any] | None = None) -> None:
        """:meth:`notify`, for broadcasts: a session that is closing or broken is skipped, logged."""
        try:
            await self.notify(method, params)
        except ConnectionClosed:
            pass
        except Exception:
            _log.warning("could not send %s to a session", method, exc_info=True)

    def list_changed(self, kind: str) -> None:
        """Tell the client that the list of ``kind`` changed (if it was told it may)."""
        if self.state is not SessionState.READY or self.dispatcher.closed:
            return
        # What was declared at initialize counts, even if the last item of a kind is gone.
        if not self._initial_caps.get(kind, {}).get("listChanged"):
            return
        self.dispatcher.start_soon(self.notify, f"notifications/{kind}/list_changed")

    async def send_log(
        self, level: LoggingLevel, data: Any, logger: str | None = None, related: RequestId | None = None
    ) -> None:
        if level not in _LEVEL_RANK:
            raise ValueError(f"unknown logging level {level!r}; use one of {LOGGING_LEVELS}")
        if _LEVEL_RANK[level] < _LEVEL_RANK[self.log_level] or self.revision is None:
            return
        params: dict[str, Any] = {"level": level, "data": data}
        if logger is not None:
            params["logger"] = logger
        await self.dispatcher.notify("notifications/message", params, related_request_id=related)

    def require_client(self, capability: str, what: str) -> None:
        """Raise :class:`CapabilityError` unless the client declared ``capability`` (dotted)."""
        if self.state is not SessionState.READY:
            raise McpError(INVALID_REQUEST, f"cannot {what} before the client sent notifications/initialized")
        if not _has(self.client_capabilities, capability):
            raise CapabilityError(
                capability, f"cannot {what}: the client did not declare the {capability!r} capability"
            )

    async def ping(self, timeout: float | None = 10.0) -> None:
        await self.dispatcher.request("ping", None, timeout=timeout)


# -- one request of the modern era ------------------------------------------------------------


class MissingClientCapability(CapabilityError):
    """The request's envelope does not declare a client capability this operation needs (-32021).

    A :class:`CapabilityError`, so code that handles the legacy refusal handles this one too;
    left unhandled, it answers the request as the protocol error it is in 2026-07-28.
    """

    def __init__(self, capability: str, what: str) -> None:
        super().__init__(
            capability, f"cannot {what}: the request does not declare the client capability {capability!r}"
        )
        required: dict[str, Any] = {}
        inner = required
        for part in capability.split("."):
            inner[part] = {}
            inner = inner[part]
        self.code = MISSING_REQUIRED_CLIENT_CAPABILITY
        self.data = {"requiredCapabilities": required}


class InvalidInputResponse(McpError):
    """An answer in ``inputResponses`` that is not a result of the request it answers (-32602).

    A protocol error of the retry, not a failure of the tool: it answers the request as such.
    """

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(
            INVALID_PARAMS, f"inputResponses[{key!r}] {problem}", {"field": f"inputResponses.{key}"}
        )


def _answer_problem(method: str, answer: Any) -> str | None:
    """What is wrong with a client's answer to an input request of ``method`` (None: nothing)."""
    if type(answer) is not dict:
        return f"must be an object, not {type(answer).__name__}"
    if method == "elicitation/create":
        if answer.get("action") not in ("accept", "decline", "cancel"):
            return "must have an action: accept, decline or cancel"
        content = answer.get("content")
        if content is not None and type(content) is not dict:
            return "has a content that is not an object"
    elif method == "sampling/createMessage":
        if answer.get("role") not in ("user", "assistant") or "content" not in answer:
            return "must be a sampling result, with a role and content"
    elif method == "roots/list" and type(answer.get("roots")) is not list:
        return "must have a roots list"
    return None


class _InputNeeded(BaseException):
    """Raised by an ask of the client inside a modern request whose answer has not come yet.

    It unwinds the handler, which runs again from the start on the client's retry. It is a
    BaseException, like cancellation, so that a handler's ``except Exception`` does not turn
    it into a tool error.
    """

    def __init__(self, key: str, request: dict[str, Any]) -> None:
        super().__init__(key)
        self.requests = {key: request}

    @classmethod
    def of(cls, requests: dict[str, dict[str, Any]]) -> _InputNeeded:
        """Several asks ending one round together."""
        first = next(iter(requests))
        needed = cls(first, requests[first])
        needed.requests = dict(requests)
        return needed


class ModernRequest(_Scope):
    """One request of the stateless 2026-07-28 revision: its envelope is all the client state.

    Asking the client (sampling, elicitation, roots) does not send a request: the first ask
    whose answer the retry did not bring ends the handler with an input-required result, and
    on the retry the handler runs again, finding its earlier asks answered in the same order.
    """

    modern: ClassVar[bool] = True

    def __init__(self, session: ServerSession, envelope: Envelope, request: RequestContext) -> None:
        self.server = session.server
        self.dispatcher = session.dispatcher
        self.connection = session
        self.envelope = envelope
        self.revision = envelope.revision
        self.client_info = envelope.client_info
        self.client_capabilities = envelope.capabilities
        self.log_level = envelope.log_level
        self.request = request
        self.answers: dict[str, Any] = {}  # by input key: earlier rounds' and this retry's
        self.asked = 0  # asks made so far in this run of the handler
        self.keys: set[str] = set()  # the input keys asked so far in this run
        self.rounds = 0  # input-required rounds before this one
        self.retry = False  # whether this request carries inputResponses or requestState

    def require_client(self, capability: str, what: str) -> None:
        if not _has(self.client_capabilities, capability):
            raise MissingClientCapability(capability, what)

    async def send_log(
        self, level: LoggingLevel, data: Any, logger: str | None = None, related: RequestId | None = None
    ) -> None:
        if level not in _LEVEL_RANK:
            raise ValueError(f"unknown logging level {level!r}; use one of {LOGGING_LEVELS}")
        # Without a logLevel in the envelope the client wants no log notifications at all.
        if self.log_level is None or _LEVEL_RANK[level] < _LEVEL_RANK[self.log_level]:
            return
        params: dict[str, Any] = {"level": level, "data": data}
        if logger is not None:
            params["logger"] = logger
        await self.dispatcher.notify("notifications/message", params, related_request_id=related)

    def ask(self, method: str, params: dict[str, Any], key: str | None = None) -> Any:
        """The client's answer to this ask if the retry brought it; else end the round.

        ``key`` names the input request (default: its kind and its place among the asks).
        """
        if self.request.method not in INPUT_METHODS:
            raise McpError(
                INTERNAL_ERROR, f"{self.request.method} cannot ask the client for input in this revision"
            )
        self.asked += 1
        if key is None:
            key = f"{method.partition('/')[0]}-{self.asked}"
        if key in self.keys:
            raise ValueError(f"input key {key!r} was used twice in one request: keys must be unique")
        self.keys.add(key)
        if key in self.answers:
            answer = self.answers[key]
            problem = _answer_problem(method, answer)
            if problem is not None:
                raise InvalidInputResponse(key, problem)
            return answer
        entry: dict[str, Any] = {"method": method}
        if params:
            entry["params"] = params
        raise _InputNeeded(key, entry)

    @property
    def principal(self) -> str | None:
        """Who the transport authenticated, if it knows: requestState is bound to it."""
        transport = self.dispatcher.transport
        lookup = getattr(transport, "principal_of", None)
        principal = lookup(self.request.id) if lookup is not None else getattr(transport, "principal", None)
        return None if principal is None else str(principal)


async def _serve_modern(session: ServerSession, handler: _Handler, ctx: RequestContext) -> Any:
    """Serve one request of the modern era: envelope, gates, input rounds, result fields."""
    server = session.server
    if ctx.method == "initialize" and not is_modern(ctx.request.params):
        # Only a server of the modern era alone gets here with a handshake: say what it speaks,
        # as legacy clients have no other way to find out.
        return _initialize_now(session, ctx.request.params)  # raises, naming the versions
    envelope = read_envelope(ctx.request.params, server.supported_versions)
    revision = envelope.revision
    method = ctx.method
    if method not in revision.client_requests:
        raise McpError(METHOD_NOT_FOUND, "Method not found", {"method": method, "revision": str(revision)})
    need = revisions.server_capability_for(revision, method)
    if need is not None and not _has(server.capabilities(revision), need):
        raise McpError(
            METHOD_NOT_FOUND,
            f"Method not found: this server does not offer {need!r}",
            {"method": method, "capability": need},
        )
    scope = ModernRequest(session, envelope, ctx)
    params: dict[str, Any] = ctx.request.params  # type: ignore[assignment]  # read_envelope checked it
    if method in INPUT_METHODS:
        _take_inputs(scope, params)
    try:
        result = await handler(scope, ctx)
    except _InputNeeded as needed:
        if scope.rounds + 1 > server.max_input_rounds:
            raise McpError(
                INTERNAL_ERROR,
                f"{method} still needs input after {server.max_input_rounds} rounds; giving up",
            ) from None
        state = server._sealer.seal(
            method, params, scope.answers, list(needed.requests), scope.principal, rounds=scope.rounds + 1
        )
        return {
            "resultType": "input_required",
            "inputRequests": needed.requests,
            "requestState": state,
            "_meta": {SERVER_INFO: server._info(revision)},
        }
    return _finish(scope, method, result)


def _take_inputs(scope: ModernRequest, params: dict[str, Any]) -> None:
    """Load what a retry brings: the verified earlier answers, and the answers to the last asks."""
    responses = params.get("inputResponses", {})
    if type(responses) is not dict:
        raise McpError(INVALID_PARAMS, "params.inputResponses must be an object", {"field": "inputResponses"})
    raw = params.get("requestState")
    if raw is None:
        # Answers without a state: taken for first-round answers (a client may answer before
        # being asked; the answers are its own to give either way). Keys no ask names are
        # ignored, as the spec says of what a server does not recognize.
        scope.retry = "inputResponses" in params
        if responses:
            scope.answers = dict(responses)
        return
    opened = scope.server._sealer.open(raw, scope.request.method, params, scope.principal)
    scope.retry = True
    scope.rounds = opened.rounds
    scope.answers = dict(opened.answers)
    if responses:
        for key in opened.pending:
            if key in responses:
                scope.answers[key] = responses[key]


def _finish(scope: ModernRequest, method: str, result: Any) -> Any:
    """Add what every result of the modern era carries: resultType, serverInfo, cache hints."""
    if type(result) is not dict:
        return result
    server = scope.server
    result.setdefault("resultType", "complete")
    meta = result.get("_meta")
    info = server._info(scope.revision)  # type: ignore[arg-type]
    result["_meta"] = {**meta, SERVER_INFO: info} if type(meta) is dict else {SERVER_INFO: info}
    if method in CACHEABLE:
        # Required on these results. A retry's result depends on its inputs: never fresh.
        if scope.retry:
            result["ttlMs"] = 0
        else:
            result.setdefault("ttlMs", server.cache_ttl_ms)
        result.setdefault("cacheScope", server.cache_scope)
    return result


async def _discover(scope: _Scope, ctx: RequestContext) -> Any:
    server = scope.server
    revision = scope.revision
    assert revision is not None
    result: dict[str, Any] = {
        # Every version, modern first, as an unsupported-version error lists them: a client
        # takes the newest it speaks (a handshake one meaning initialize instead).
        "supportedVersions": list(server.supported_versions),
        "capabilities": server.capabilities(revision),
    }
    if server.instructions is not None:
        result["instructions"] = server.instructions
    return result


_FILTERS: Final = (
    ("toolsListChanged", "tools"),
    ("promptsListChanged", "prompts"),
    ("resourcesListChanged", "resources"),
)


class _Listener:
    """One open ``subscriptions/listen`` stream: what it asked for, and what is waiting to go.

    Changes are coalesced (a list that changed twice is one notification; an updated URI is
    told once per wake-up), so what waits is bounded by the filter, whatever the change rate.
    """

    __slots__ = ("ended", "honored", "kinds", "pending", "uris", "wake")

    def __init__(self, honored: dict[str, Any]) -> None:
        self.honored = honored
        self.kinds = frozenset(kind for key, kind in _FILTERS if honored.get(key))
        self.uris = frozenset(honored.get("resourceSubscriptions", ()))
        self.pending: dict[tuple[str, str], None] = {}  # (method, uri): an ordered set
        self.wake = anyio.Event()
        self.ended = False

    def changed(self, kind: str) -> None:
        if kind in self.kinds:
            self.pending[(f"notifications/{kind}/list_changed", "")] = None
            self.wake.set()

    def updated(self, uri: str) -> None:
        if uri in self.uris:
            self.pending[("notifications/resources/updated", uri)] = None
            self.wake.set()

    def end(self) -> None:
        self.ended = True
        self.wake.set()


async def _listen(scope: _Scope, ctx: RequestContext) -> Any:
    server = scope.server
    revision = scope.revision
    assert revision is not None
    wanted = _params(ctx).get("notifications")
    if type(wanted) is not dict:
        raise McpError(
            INVALID_PARAMS, "params.notifications must be an object (the filter)", {"field": "notifications"}
        )
    caps = server.capabilities(revision)
    honored: dict[str, Any] = {}
    for key, kind in _FILTERS:
        value = wanted.get(key)
        if value is not None and type(value) is not bool:
            raise McpError(INVALID_PARAMS, f"params.notifications.{key} must be a boolean", {"field": key})
        if value and caps.get(kind, {}).get("listChanged"):
            honored[key] = True
    uris = wanted.get("resourceSubscriptions")
    if uris is not None:
        if type(uris) is not list or not all(type(u) is str for u in uris):
            raise McpError(
                INVALID_PARAMS,
                "params.notifications.resourceSubscriptions must be a list of URIs",
                {"field": "resourceSubscriptions"},
            )
        if uris and caps.get("resources", {}).get("subscribe"):
            honored["resourceSubscriptions"] = list(dict.fromkeys(uris))
    # The client's own id of this request: a transport that shares one dispatcher among
    # clients (HTTP) gives requests ids of its own, and the tag must be the client's.
    lookup = getattr(scope.dispatcher.transport, "client_id_of", None)
    tag = {SUBSCRIPTION_ID: lookup(ctx.id) if lookup is not None else ctx.id}
    listener = _Listener(honored)
    server._check_thread()
    server.listeners.add(listener)
    try:
        await ctx.notify("notifications/subscriptions/acknowledged", {"_meta": tag, "notifications": honored})
        while not listener.ended:
            await listener.wake.wait()
            listener.wake = anyio.Event()
            due = list(listener.pending)
            listener.pending.clear()
            for method, uri in due:
                params: dict[str, Any] = {"_meta": tag}
                if uri:
                    params["uri"] = uri
                await ctx.notify(method, params)
    finally:
        server.listeners.discard(listener)
    # The server ended it (shutdown). Where requests share one channel (stdio, memory), it says
    # so with notifications/cancelled for the listen request, as the stdio binding asks; then,
    # everywhere, a result tells the client it ended gracefully.
    if lookup is None:
        await ctx.notify("notifications/cancelled", {"requestId": ctx.id, "reason": "the server ended it"})
    return {"_meta": dict(tag)}


def _from_string(annotation: Any) -> bool:
    """Whether pydantic can build a value of ``annotation`` from a string (prompt arguments)."""
    if annotation in (str, int, float, bool, Any, type(None)):
        return True
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return True
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return True
    if origin in (typing.Union, types.UnionType, typing.Annotated):
        args = typing.get_args(annotation)
        return all(_from_string(a) for a in (args[:1] if origin is typing.Annotated else args))
    return False


def _has(capabilities: Mapping[str, Any], dotted: str) -> bool:
    """Whether a capability (``"resources.subscribe"``) is declared: present, and not false."""
    if "." not in dotted:  # the common case, one level: no split
        found = capabilities.get(dotted) if isinstance(capabilities, Mapping) else None
        return found is not None and found is not False
    value: Any = capabilities
    for part in dotted.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return False
        value = value[part]
    return value is not None and value is not False


# -- the context given to user functions ------------------------------------------------------


class Context:
    """What a tool, prompt or resource function may do while it handles one request."""

    __slots__ = ("_request", "_scope")

    def __init__(self, scope: _Scope, request: RequestContext) -> None:
        self._scope = scope
        self._request = request

    @property
    def session(self) -> ServerSession:
        """The connection this request came on (in 2026-07-28 it holds no state of the client:
        what the request declared is in :attr:`client_capabilities` and :attr:`revision`)."""
        scope = self._scope
        return scope.connection if isinstance(scope, ModernRequest) else scope  # type: ignore[return-value]

    @property
    def server(self) -> Server:
        return self._scope.server

    @property
    def request_id(self) -> RequestId:
        return self._request.id

    @property
    def method(self) -> str:
        return self._request.method

    @property
    def revision(self) -> Revision:
        return self._scope.revision  # type: ignore[return-value]  # set before any request runs

    @property
    def client_info(self) -> dict[str, Any]:
        return self._scope.client_info

    @property
    def client_capabilities(self) -> dict[str, Any]:
        return self._scope.client_capabilities

    @property
    def lifespan(self) -> Any:
        """What the server's lifespan yielded (None without one)."""
        return self.server._lifespan_value

    @property
    def progress_token(self) -> RequestId | None:
        return self._request.progress_token

    def close_sse_stream(self) -> bool:
        """End the HTTP connection that carries this request's SSE stream, keeping the stream.

        Streamable HTTP with resumption, revision 2025-11-25 only (it calls this polling): the client waits
        the ``retry`` time, reconnects with ``Last-Event-ID`` and gets everything sent
        meanwhile, the answer included. Long work can so avoid holding a connection open.
        Returns False, doing nothing, on any other transport or stream.
        """
        if not self.revision.has("sse_polling"):
            return False  # before 2025-11-25 a stream must not end before its answer
        kick = getattr(self._scope.dispatcher.transport, "kick", None)
        return bool(kick(self._request.id)) if kick is not None else False

    # -- logging and progress -------------------------------------------------------------------

    async def log(self, level: LoggingLevel, data: Any, *, logger: str | None = None) -> None:
        """Send a log message to the client, if ``level`` is at or above the level it set."""
        await self._scope.send_log(level, data, logger, related=self._request.id)

    async def debug(self, data: Any, *, logger: str | None = None) -> None:
        await self.log("debug", data, logger=logger)

    async def info(self, data: Any, *, logger: str | None = None) -> None:
        await self.log("info", data, logger=logger)

    async def warning(self, data: Any, *, logger: str | None = None) -> None:
        await self.log("warning", data, logger=logger)

    async def error(self, data: Any, *, logger: str | None = None) -> None:
        await self.log("error", data, logger=logger)

    async def report_progress(
        self, progress: float, total: float | None = None, message: str | None = None
    ) -> None:
        """Report progress, if the client asked for it; ``progress`` must increase each time.

        Raises ValueError when it does not. The message is dropped for 2024-11-05 peers.
        """
        if message is not None and not self.revision.has("progress_message"):
            message = None
        await self._request.report_progress(progress, total, message)

    # -- requests to the client -----------------------------------------------------------------

    @property
    def modern(self) -> bool:
        """Whether this request is of the stateless era (2026-07-28), where asking the client
        for input ends the request with an input-required result and runs it again later."""
        return self._scope.modern

    async def _ask(
        self, method: str, params: dict[str, Any], timeout: float | Any | None, key: str | None = None
    ) -> Any:
        session = self._scope
        if isinstance(session, ModernRequest):
            return session.ask(method, params, key)
        return await self._request.send_request(method, params, timeout=timeout)

    async def ask_all(self, *asks: Awaitable[Any]) -> list[Any]:
        """Ask the client several things at once; their answers, in order.

        ``await ctx.ask_all(ctx.elicit(...), ctx.sample(...), ctx.list_roots())``: in 2026-07-28
        the unanswered ones go out together in one input-required result (one round instead
        of one per question); in the legacy era they are sent one after the other.
        """
        results: list[Any] = []
        needed: dict[str, dict[str, Any]] = {}
        for ask in asks:
            try:
                results.append(await ask)
            except _InputNeeded as more:
                needed.update(more.requests)
        if needed:
            raise _InputNeeded.of(needed)
        return results

    async def sample(
        self,
        messages: str | Sequence[Mapping[str, Any]],
        *,
        max_tokens: int,
        system_prompt: str | None = None,
        model_preferences: Mapping[str, Any] | None = None,
        temperature: float | None = None,
        stop_sequences: Sequence[str] | None = None,
        include_context: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        tools: Sequence[Mapping[str, Any]] | None = None,
        tool_choice: Mapping[str, Any] | None = None,
        timeout: float | Any | None = DEFAULT,
        key: str | None = None,
    ) -> dict[str, Any]:
        """Ask the client's model for a message (``sampling/createMessage``); returns its result.

        ``messages`` is a list of ``{"role", "content"}`` dicts, or a str for one user text
        message. ``tools``/``tool_choice`` need revision 2025-11-25 and the client's
        ``sampling.tools`` capability; an ``include_context`` other than ``"none"`` needs
        ``sampling.context`` there.
        """
        session = self._scope
        session.require_client("sampling", "sample")
        if isinstance(messages, str):
            messages = [{"role": "user", "content": {"type": "text", "text": messages}}]
        _check_tool_loop(messages)
        params: dict[str, Any] = {"messages": list(messages), "maxTokens": max_tokens}
        for wire_name, value in (
            ("systemPrompt", system_prompt),
            ("modelPreferences", model_preferences),
            ("temperature", temperature),
            ("metadata", metadata),
        ):
            if value is not None:
                params[wire_name] = value
        if stop_sequences is not None:
            params["stopSequences"] = list(stop_sequences)
        if include_context is not None:
            if include_context not in ("none", "thisServer", "allServers"):
                raise ValueError(
                    f"include_context must be none, thisServer or allServers: {include_context!r}"
                )
            if include_context != "none" and self.revision.has("sampling_tools"):
                session.require_client("sampling.context", f"sample with include_context={include_context!r}")
            params["includeContext"] = include_context
        if tools is not None or tool_choice is not None:
            if not self.revision.has("sampling_tools"):
                raise CapabilityError(
                    "sampling.tools", f"sampling with tools needs revision 2025-11-25, not {self.revision}"
                )
            session.require_client("sampling.tools", "sample with tools")
            if tools is not None:
                params["tools"] = list(tools)
            if tool_choice is not None:
                params["toolChoice"] = dict(tool_choice)
        result = await self._ask("sampling/createMessage", params, timeout, key)
        if not isinstance(result, dict) or "role" not in result or "content" not in result:
            raise McpError(INTERNAL_ERROR, "the client's sampling result is malformed", {"result": result})
        return result

    @overload
    async def elicit(
        self, message: str, schema: type[M], *, timeout: float | Any | None = DEFAULT, key: str | None = None
    ) -> ElicitationResult[M]: ...

    @overload
    async def elicit(
        self,
        message: str,
        schema: Mapping[str, Any],
        *,
        timeout: float | Any | None = DEFAULT,
        key: str | None = None,
    ) -> ElicitationResult[dict[str, Any]]: ...

    async def elicit(
        self,
        message: str,
        schema: type[pydantic.BaseModel] | Mapping[str, Any],
        *,
        timeout: float | Any | None = DEFAULT,
        key: str | None = None,
    ) -> ElicitationResult[Any]:
        """Ask the user for input through the client, in form mode (2025-06-18 and later).

        ``schema`` is a pydantic model or a flat JSON object schema of primitive fields. With
        a model, an accepted answer's ``content`` is an instance of it; with a dict, a checked
        dict. Raises :class:`CapabilityError` if the client cannot elicit.
        """
        from mcpcore import elicitation

        self._require_elicitation("form")
        requested = elicitation.requested_schema(schema, self.revision.version)
        params: dict[str, Any] = {"message": message, "requestedSchema": requested}
        if self.revision.has("url_elicitation"):
            params["mode"] = "form"
        result = await self._ask("elicitation/create", params, timeout, key)
        try:
            return elicitation.parse_result(result, schema, requested)
        except ValueError as exc:
            raise McpError(INVALID_PARAMS, f"the client's elicitation result is invalid: {exc}") from exc

    async def elicit_url(
        self,
        message: str,
        url: str,
        elicitation_id: str,
        *,
        timeout: float | Any | None = DEFAULT,
        key: str | None = None,
    ) -> str:
        """Send the user to ``url`` (URL mode, 2025-11-25); returns the action they took.

        Call :meth:`complete_elicitation` with the same id once the out-of-band work is done.
        """
        self._require_elicitation("url")
        parts = urllib.parse.urlsplit(url)
        if not parts.scheme or not parts.netloc or any(c.isspace() for c in url):
            raise ValueError(f"elicit_url needs an absolute URL, like https://example.com/path: {url!r}")
        params = {"mode": "url", "message": message, "url": url, "elicitationId": elicitation_id}
        if self._scope.modern:
            del params["elicitationId"]  # 2026-07-28 dropped it: the client retries when done
        result = await self._ask("elicitation/create", params, timeout, key)
        action = result.get("action") if isinstance(result, dict) else None
        if action not in ("accept", "decline", "cancel"):
            raise McpError(INVALID_PARAMS, "the client's elicitation result is invalid", {"result": result})
        return str(action)

    async def complete_elicitation(self, elicitation_id: str) -> None:
        """Tell the client a URL-mode elicitation finished (``notifications/elicitation/complete``).

        Does nothing in 2026-07-28, which has no such notification: there the client retries
        the request once the user is done, and the handler, running again, goes on.
        """
        if self._scope.modern:
            return
        self._require_elicitation("url")
        await self._request.notify("notifications/elicitation/complete", {"elicitationId": elicitation_id})

    def _require_elicitation(self, mode: str) -> None:
        revision = self.revision
        if not revision.has("elicitation") or (mode == "url" and not revision.has("url_elicitation")):
            raise CapabilityError("elicitation", f"revision {revision} has no {mode}-mode elicitation")
        self._scope.require_client("elicitation", "elicit")
        if revision.has("url_elicitation"):
            declared = self.client_capabilities.get("elicitation") or {}
            # An empty elicitation capability means form mode only.
            modes = {m for m in ("form", "url") if m in declared} or {"form"}
            if mode not in modes:
                if self._scope.modern:
                    raise MissingClientCapability(f"elicitation.{mode}", f"elicit in {mode} mode")
                raise CapabilityError(
                    f"elicitation.{mode}", f"cannot elicit: the client does not support {mode} mode"
                )

    async def list_roots(
        self, *, timeout: float | Any | None = DEFAULT, key: str | None = None
    ) -> list[dict[str, Any]]:
        """The client's roots (cached until it says they changed, in the legacy era)."""
        session = self._scope
        if not isinstance(session, ServerSession):
            session.require_client("roots", "list roots")
            return _roots_of(await self._ask("roots/list", {}, timeout, key))
        if session._roots is None:
            session.require_client("roots", "list roots")
            generation = session._roots_generation
            roots = _roots_of(await self._ask("roots/list", {}, timeout))
            if (
                _has(self.client_capabilities, "roots.listChanged")
                and generation == session._roots_generation
            ):
                # Cache only what we will hear about when it changes, and not an answer that
                # a change notice overtook while it was on its way.
                session._roots = roots
            return roots
        return session._roots

    async def check_path(self, path: str) -> str:
        """The real path of ``path`` if it lies inside the client's roots; PermissionError if not."""
        from mcpcore.roots import resolve_in_roots

        roots: list[Any] = await self.list_roots()
        return resolve_in_roots(path, roots)

    async def read_resource(self, uri: str) -> list[dict[str, Any]]:
        """Read one of this server's own resources; returns its contents list."""
        result = await _read(self._scope, self._request, uri)
        return list(result["contents"])


def _roots_of(result: Any) -> list[dict[str, Any]]:
    roots = result.get("roots") if isinstance(result, dict) else None
    if not isinstance(roots, list) or not all(isinstance(r, dict) and "uri" in r for r in roots):
        raise McpError(INVALID_PARAMS, "the client's roots/list result is malformed", {"result": result})
    return roots


def _blocks(message: Mapping[str, Any]) -> list[Any]:
    content = message.get("content")
    return list(content) if isinstance(content, list) else [content]


def _check_tool_loop(messages: Sequence[Mapping[str, Any]]) -> None:
    """Refuse a sampling history that breaks the tool-use rules of 2025-11-25.

    A user message with tool results holds nothing else, and each assistant message with tool
    uses is followed by a user message answering every one of them, by id.
    """
    for index, message in enumerate(messages):
        blocks = _blocks(message)
        kinds = [b.get("type") if isinstance(b, Mapping) else None for b in blocks]
        if "tool_result" in kinds and any(k != "tool_result" for k in kinds):
            raise ValueError(
                f"sampling message {index}: a message with tool results must hold only tool results"
            )
        uses = {b.get("id") for b in blocks if isinstance(b, Mapping) and b.get("type") == "tool_use"}
        if not uses:
            continue
        following = messages[index + 1] if index + 1 < len(messages) else None
        if following is None:
            continue  # the last message may open a tool loop: the model answers it
        answers = _blocks(following)
        if following.get("role") != "user" or not all(
            isinstance(b, Mapping) and b.get("type") == "tool_result" for b in answers
        ):
            raise ValueError(f"sampling message {index}: its tool uses must be answered by tool results next")
        answered = {b.get("toolUseId") for b in answers}
        if answered != uses:
            raise ValueError(
                f"sampling message {index}: tool uses {sorted(map(str, uses))} are answered by "
                f"{sorted(map(str, answered))}"
            )


# -- handlers ---------------------------------------------------------------------------------


def _params(ctx: RequestContext) -> dict[str, Any]:
    params = ctx.params
    if params is None:
        return {}
    if not isinstance(params, dict):
        raise McpError(INVALID_PARAMS, "params must be an object")
    return params


def _string(params: Mapping[str, Any], key: str) -> str:
    value = params.get(key)
    if not isinstance(value, str):
        raise McpError(INVALID_PARAMS, f"params.{key} must be a string", {"field": key})
    return value


def _initialize_now(session: ServerSession, params: Any) -> dict[str, Any]:
    if not isinstance(params, dict):
        raise McpError(INVALID_PARAMS, "params must be an object")
    requested = _string(params, "protocolVersion")
    capabilities = params.get("capabilities")
    info = params.get("clientInfo")
    if not isinstance(capabilities, dict):
        raise McpError(INVALID_PARAMS, "params.capabilities must be an object", {"field": "capabilities"})
    if (
        not isinstance(info, dict)
        or not isinstance(info.get("name"), str)
        or not isinstance(info.get("version"), str)
    ):
        raise McpError(
            INVALID_PARAMS, "params.clientInfo must have a name and a version", {"field": "clientInfo"}
        )
    server = session.server
    if not server.versions:
        raise McpError(
            INVALID_PARAMS,
            f"this server speaks only {', '.join(server.supported_versions)}, which have no initialize: "
            "send each request with its _meta envelope",
            {"supported": list(server.supported_versions), "requested": requested},
        )
    version = requested if requested in server.versions else server.versions[-1]
    revision = revisions.REVISIONS[version]
    session.client_info = info
    session.client_capabilities = capabilities
    caps = session._capabilities(revision)
    session._initial_caps = caps
    session._negotiate(revision, caps)
    session.state = SessionState.INITIALIZING
    result: dict[str, Any] = {
        "protocolVersion": version,
        "capabilities": caps,
        "serverInfo": _shapes.fit(revision, "Implementation", server.info),
    }
    if server.instructions is not None:
        result["instructions"] = server.instructions
    return result


async def _initialize(session: _Scope, ctx: RequestContext) -> Any:
    assert isinstance(session, ServerSession)  # the modern era has no initialize
    answer = session._init_answer.pop(ctx.id)  # worked out at admission
    if isinstance(answer, McpError):
        raise answer
    return answer


async def _ping(session: _Scope, ctx: RequestContext) -> Any:
    _params(ctx)  # MCP params are an object when present, here too: [1, 2] is -32602
    return {}


def _revision(session: _Scope) -> Revision:
    revision = session.revision
    assert revision is not None  # the lifecycle admits no other request before initialize
    return revision


async def _list_tools(session: _Scope, ctx: RequestContext) -> Any:
    items = (x.definition for x in session.server._tools.values())
    return session.server._page("tools", items, _params(ctx), _revision(session), "Tool")


async def _call_tool(session: _Scope, ctx: RequestContext) -> Any:
    params = ctx.params
    if not isinstance(params, dict):
        raise McpError(INVALID_PARAMS, "params must be an object")
    name = params.get("name")
    tool = session.server._tools.get(name) if isinstance(name, str) else None
    if tool is None:
        if not isinstance(name, str):
            raise McpError(INVALID_PARAMS, "params.name must be a string", {"field": "name"})
        raise McpError(INVALID_PARAMS, f"Unknown tool: {name}", {"tool": name})
    arguments = params.get("arguments")
    if arguments is None:
        arguments = {}
    elif not isinstance(arguments, dict):
        raise McpError(INVALID_PARAMS, "params.arguments must be an object", {"field": "arguments"})
    revision = _revision(session)
    sig = tool.sig
    try:
        if tool.input_validator is not None:
            tool.input_validator.validate(arguments)
        kwargs = sig.validate(arguments)
    except (pydantic.ValidationError, ValidationError) as exc:
        reason = _describe(exc) if isinstance(exc, pydantic.ValidationError) else str(exc)
        message = f"Invalid arguments for tool {name}: {reason}"
        if revision.has("tool_errors_in_result"):
            return {"content": [{"type": "text", "text": message}], "isError": True}
        raise McpError(INVALID_PARAMS, message, {"tool": name}) from None
    if sig.context_param is not None:
        kwargs[sig.context_param] = Context(session, ctx)
    try:
        value = sig.fn(**kwargs)
        if sig.is_async or inspect.isawaitable(value):
            value = await value
        return _tool_result(revision, tool, value)
    except (MissingClientCapability, InvalidInputResponse):
        raise  # modern requests only: protocol errors of the request, not tool errors
    except Exception as exc:
        if session.server.debug:
            _log.exception("tool %s failed", name)
        else:
            _log.debug("tool %s failed", name, exc_info=True)
        text = exc.message if isinstance(exc, McpError) else (str(exc) or type(exc).__name__)
        return {"content": [{"type": "text", "text": f"Error in tool {name}: {text}"}], "isError": True}


def _describe(exc: pydantic.ValidationError) -> str:
    parts = []
    for error in exc.errors(include_url=False)[:10]:
        where = ".".join(str(p) for p in error["loc"]) or "arguments"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)


def _tool_result(revision: Revision, tool: _Tool, value: Any) -> dict[str, Any]:
    if isinstance(value, ToolResult):
        if not value.is_error and "outputSchema" in tool.definition:
            # The spec: a tool with an output schema MUST return conforming structured content.
            if value.structured is None:
                raise ValueError("it declares an output schema but returned no structured content")
            tool.check_structured(value.structured)
        result: dict[str, Any] = {"content": _shapes.content_list(revision, list(value.content))}
        if value.structured is not None and revision.has("structured_output"):
            result["structuredContent"] = value.structured
        if value.is_error:
            result["isError"] = True
        if value.meta is not None:
            result["_meta"] = value.meta
        return result
    output = tool.sig.output
    if output is not None:
        structured = output.dump(value)
        text = orjson.dumps(structured).decode()
        result = {"content": [{"type": "text", "text": text}]}
        if revision.has("structured_output"):
            result["structuredContent"] = structured
        return result
    if type(value) is str:
        return {"content": [{"type": "text", "text": value}]}
    return {"content": _shapes.content_list(revision, _to_content(value))}


_BLOCK_TYPES: Final = frozenset({"text", "image", "audio", "resource_link", "resource"})


def _is_block(value: Any) -> bool:
    return isinstance(value, dict) and value.get("type") in _BLOCK_TYPES


def _to_content(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str):
        return [{"type": "text", "text": value}]
    if _is_block(value):
        return [value]
    if isinstance(value, (list, tuple)) and value and all(_is_block(v) for v in value):
        return list(value)
    if isinstance(value, (bytes, bytearray)):
        raise TypeError("a tool cannot return bytes: wrap them with mcpcore.content.image/audio/embedded")
    return [{"type": "text", "text": _json_text(value)}]


def _json_text(value: Any) -> str:
    # orjson takes dicts, lists, dataclasses, dates... natively; pydantic serializes the rest.
    return orjson.dumps(value, default=pydantic_core.to_jsonable_python).decode()


async def _list_resources(session: _Scope, ctx: RequestContext) -> Any:
    items = (x.definition for x in session.server._resources.values())
    return session.server._page("resources", items, _params(ctx), _revision(session), "Resource")


async def _list_templates(session: _Scope, ctx: RequestContext) -> Any:
    items = (x.definition for x in session.server._templates.values())
    return session.server._page(
        "resourceTemplates", items, _params(ctx), _revision(session), "ResourceTemplate"
    )


async def _read_resource(session: _Scope, ctx: RequestContext) -> Any:
    return await _read(session, ctx, _string(_params(ctx), "uri"))


async def _read(session: _Scope, ctx: RequestContext, uri: str) -> dict[str, Any]:
    server = session.server
    revision = _revision(session)
    resource = server._resources.get(uri)
    kwargs: dict[str, Any]
    if resource is not None:
        sig, definition, kwargs, cache = resource.sig, resource.definition, {}, resource.cache
    else:
        # The first template whose pattern matches and whose parameters accept the values.
        rejection: McpError | None = None
        for template in server._templates.values():
            values = template.template.match(uri)
            if values is None:
                continue
            sig, definition, cache = template.sig, template.definition, template.cache
            try:
                kwargs = sig.validate({k: v for k, v in values.items() if k in sig.params})
            except pydantic.ValidationError as exc:
                rejection = rejection or McpError(
                    INVALID_PARAMS, f"Invalid resource URI {uri}: {_describe(exc)}"
                )
                continue
            break
        else:
            if rejection is not None:
                raise rejection
            raise McpError(revision.resource_not_found, "Resource not found", {"uri": uri})
    if sig.context_param is not None:
        kwargs[sig.context_param] = Context(session, ctx)
    try:
        value = sig.fn(**kwargs)
        if sig.is_async or inspect.isawaitable(value):
            value = await value
        contents = _contents(uri, value, definition.get("mimeType"))
    except McpError:
        raise
    except (FileNotFoundError, LookupError) as exc:
        # The function looked and found nothing there: that is the protocol's "not found".
        raise McpError(
            revision.resource_not_found, "Resource not found", {"uri": uri, "reason": str(exc)}
        ) from exc
    except Exception as exc:
        raise _failed(session, f"resource {sig.name!r}", exc) from exc
    result: dict[str, Any] = {"contents": [_shapes.fit(revision, _contents_kind(c), c) for c in contents]}
    if session.modern:
        ttl, scope = cache
        if ttl is not None:
            result["ttlMs"] = ttl
        result["cacheScope"] = scope or "private"
    return result


def _failed(session: _Scope, what: str, exc: Exception) -> McpError:
    """-32603 naming the user function that failed, and its message (traceback in the log)."""
    _log.error("%s failed", what, exc_info=exc)
    return McpError(INTERNAL_ERROR, f"{what} failed: {type(exc).__name__}: {exc}")


def _contents_kind(contents: Mapping[str, Any]) -> str:
    return "BlobResourceContents" if "blob" in contents else "TextResourceContents"


def _contents(uri: str, value: Any, mime_type: str | None) -> list[dict[str, Any]]:
    from mcpcore.content import blob_contents, text_contents

    if isinstance(value, str):
        return [dict(text_contents(uri, value, mime_type=mime_type))]
    if isinstance(value, (bytes, bytearray, memoryview)):
        return [dict(blob_contents(uri, bytes(value), mime_type=mime_type))]
    items = value if isinstance(value, (list, tuple)) else [value]
    out = []
    for item in items:
        if not isinstance(item, dict) or "uri" not in item or ("text" in item) == ("blob" in item):
            raise TypeError(
                "a resource function returns str, bytes, or contents dicts with uri and text or blob; "
                f"got {type(item).__name__}"
            )
        out.append(item)
    return out


async def _subscribe(session: _Scope, ctx: RequestContext) -> Any:
    assert isinstance(session, ServerSession)  # the modern era subscribes with a listen stream
    session.subscriptions.add(_string(_params(ctx), "uri"))
    return {}


async def _unsubscribe(session: _Scope, ctx: RequestContext) -> Any:
    assert isinstance(session, ServerSession)
    session.subscriptions.discard(_string(_params(ctx), "uri"))
    return {}


async def _list_prompts(session: _Scope, ctx: RequestContext) -> Any:
    items = (x.definition for x in session.server._prompts.values())
    return session.server._page("prompts", items, _params(ctx), _revision(session), "Prompt")


async def _get_prompt(session: _Scope, ctx: RequestContext) -> Any:
    params = _params(ctx)
    name = _string(params, "name")
    prompt = session.server._prompts.get(name)
    if prompt is None:
        raise McpError(INVALID_PARAMS, f"Unknown prompt: {name}", {"prompt": name})
    arguments = params.get("arguments") or {}
    if not isinstance(arguments, dict):
        raise McpError(INVALID_PARAMS, "params.arguments must be an object", {"field": "arguments"})
    missing = sorted(prompt.sig.required - arguments.keys())
    if missing:
        raise McpError(INVALID_PARAMS, f"Missing required arguments for prompt {name}: {', '.join(missing)}")
    sig = prompt.sig
    try:
        kwargs = sig.validate(arguments)
    except pydantic.ValidationError as exc:
        raise McpError(INVALID_PARAMS, f"Invalid arguments for prompt {name}: {_describe(exc)}") from None
    if sig.context_param is not None:
        kwargs[sig.context_param] = Context(session, ctx)
    try:
        value = sig.fn(**kwargs)
        if sig.is_async or inspect.isawaitable(value):
            value = await value
        result = _prompt_result(value)
    except McpError:
        raise
    except Exception as exc:
        raise _failed(session, f"prompt {name!r}", exc) from exc
    revision = _revision(session)
    if "description" not in result and "description" in prompt.definition:
        result["description"] = prompt.definition["description"]
    messages = []
    for message in result["messages"]:
        content = _shapes.content_list(revision, [message["content"]])
        if content:
            messages.append({**message, "content": content[0]})
    result["messages"] = messages
    return result


def _prompt_result(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        return {"messages": [{"role": "user", "content": {"type": "text", "text": value}}]}
    if isinstance(value, dict) and "messages" in value:
        return dict(value)
    items = value if isinstance(value, (list, tuple)) else [value]
    messages = []
    for item in items:
        if isinstance(item, str):
            messages.append({"role": "user", "content": {"type": "text", "text": item}})
        elif (
            isinstance(item, dict)
            and item.get("role") in ("user", "assistant")
            and _is_block(item.get("content"))
        ):
            messages.append(item)
        else:
            raise TypeError(
                "a prompt returns a str, {'role', 'content'} message dicts, or a dict with 'messages'; "
                f"got {type(item).__name__}"
            )
    return {"messages": messages}


async def _complete(session: _Scope, ctx: RequestContext) -> Any:
    params = _params(ctx)
    ref, argument = params.get("ref"), params.get("argument")
    if not isinstance(ref, dict) or ref.get("type") not in ("ref/prompt", "ref/resource"):
        raise McpError(INVALID_PARAMS, "params.ref must be a ref/prompt or ref/resource reference")
    if not isinstance(argument, dict) or not isinstance(argument.get("name"), str):
        raise McpError(INVALID_PARAMS, "params.argument must have a name and a value")
    value = argument.get("value")
    if not isinstance(value, str):
        raise McpError(INVALID_PARAMS, "params.argument.value must be a string")
    context = params.get("context") or {}
    known = context.get("arguments") if isinstance(context, dict) else None
    known = dict(known) if isinstance(known, dict) else {}
    server = session.server
    kind = ref["type"]
    key = ref.get("name") if kind == "ref/prompt" else ref.get("uri")
    if not isinstance(key, str):
        raise McpError(INVALID_PARAMS, "params.ref needs a name (prompt) or uri (resource)")
    if kind == "ref/prompt" and key not in server._prompts:
        raise McpError(INVALID_PARAMS, f"Unknown prompt: {key}", {"prompt": key})
    if kind == "ref/resource" and key not in server._templates and key not in server._resources:
        raise McpError(INVALID_PARAMS, f"Unknown resource template: {key}", {"uri": key})
    handler = server._completers.get((kind, key, argument["name"]))
    try:
        if handler is not None:
            out = handler(value, known)
        elif server._fallback_completer is not None:
            out = server._fallback_completer(ref, argument["name"], value, known)
        else:
            out = []
        if inspect.isawaitable(out):
            out = await out
        return {"completion": _completion(out)}
    except McpError:
        raise
    except Exception as exc:
        raise _failed(session, f"completion of {argument['name']!r} for {key!r}", exc) from exc


def _completion(out: Any) -> dict[str, Any]:
    if isinstance(out, Completion):
        values, total, has_more = list(out.values), out.total, out.has_more
    else:
        values, total, has_more = list(out), None, None
    if not all(isinstance(v, str) for v in values):
        raise TypeError("completion values must be strings")
    if len(values) > MAX_COMPLETION_VALUES:
        total = total if total is not None else len(values)
        values, has_more = values[:MAX_COMPLETION_VALUES], True
    completion: dict[str, Any] = {"values": values}
    if total is not None:
        completion["total"] = total
    if has_more is not None:
        completion["hasMore"] = has_more
    return completion


async def _set_level(session: _Scope, ctx: RequestContext) -> Any:
    level = _params(ctx).get("level")
    if level not in _LEVEL_RANK:
        raise McpError(
            INVALID_PARAMS, f"params.level must be one of {', '.join(LOGGING_LEVELS)}", {"level": level}
        )
    assert isinstance(session, ServerSession)  # the modern era sets the level per request
    session.log_level = level
    return {}


_HANDLERS: Final[dict[str, _Handler]] = {
    "initialize": _initialize,
    "ping": _ping,
    "tools/list": _list_tools,
    "tools/call": _call_tool,
    "resources/list": _list_resources,
    "resources/templates/list": _list_templates,
    "resources/read": _read_resource,
    "resources/subscribe": _subscribe,
    "resources/unsubscribe": _unsubscribe,
    "prompts/list": _list_prompts,
    "prompts/get": _get_prompt,
    "completion/complete": _complete,
    "logging/setLevel": _set_level,
}

# Methods of the modern era only; the others above serve both eras.
_MODERN_HANDLERS: Final[dict[str, _Handler]] = {
    "server/discover": _discover,
    "subscriptions/listen": _listen,
}
