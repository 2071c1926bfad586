"""A second opinion on our server's 2026-07-28 (stateless) support, written from the spec text.

``tests/test_modern_server.py`` grew up beside the implementation, so it can share its blind
spots. Each test here states one server-side MUST or SHOULD of revision 2026-07-28, names the
spec page it comes from, and drives the server raw (in memory, over Streamable HTTP, and once
over stdio) so the exact wire is visible: the params sent are exactly those written below.
Every message the server sends is checked against the revision's official JSON schema (and
the legacy revision's for the legacy half of a dual-era connection) when those files are
present (see ``tests/spec.py``); without them each test still checks the behaviour, then skips
saying the wire went unvalidated.

Where the server disagrees with the spec the test keeps the spec's demand and is marked
``xfail(strict=True)`` with what the server does instead.
"""

from __future__ import annotations

import base64
import json
import sys
import urllib.parse
from collections import deque
from collections.abc import AsyncIterator, Callable, Collection, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import anyio
import orjson
import pydantic
import pytest

from mcpcore.dispatcher import Dispatcher, Incoming, Receiver
from mcpcore.errors import McpError
from mcpcore.framing import SSEDecoder, SSEEvent
from mcpcore.server import Context, Server
from mcpcore.types import LoggingLevel
from mcpcore.wire import DecodeError, Message, RequestId, encode
from tests.http_util import ACCEPT_BOTH, Answer, Raw, http_app, raw_client
from tests.spec import SPEC_DIR
from transports.http._pool import Response
from transports.memory import MemoryTransport, create_pair

pytestmark = pytest.mark.anyio

MODERN = "2026-07-28"
LEGACY = "2025-11-25"

# The reserved _meta keys of basic/index.mdx, spelled out rather than imported: a typo in the
# implementation's constants must not hide here.
PROTOCOL_VERSION = "io.modelcontextprotocol/protocolVersion"
CLIENT_CAPABILITIES = "io.modelcontextprotocol/clientCapabilities"
CLIENT_INFO = "io.modelcontextprotocol/clientInfo"
LOG_LEVEL = "io.modelcontextprotocol/logLevel"
SERVER_INFO = "io.modelcontextprotocol/serverInfo"
SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId"

# The error codes of basic/index.mdx §Error Codes.
INVALID_PARAMS = -32602
METHOD_NOT_FOUND = -32601
HEADER_MISMATCH = -32020
MISSING_CAPABILITY = -32021
UNSUPPORTED_VERSION = -32022

NAME = "second-opinion"
VERSION = "2.0.0"
INSTRUCTIONS = "Call echo to hear yourself."
CLIENT = {"name": "raw-client", "version": "0.1"}
NAME_FORM = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
LEVELS: tuple[LoggingLevel, ...] = (
    "debug",
    "info",
    "notice",
    "warning",
    "error",
    "critical",
    "alert",
    "emergency",
)

# caching.mdx §Cacheable Results
CACHEABLE = (
    "server/discover",
    "tools/list",
    "prompts/list",
    "resources/list",
    "resources/templates/list",
    "resources/read",
)
MRTR_METHODS = frozenset({"tools/call", "prompts/get", "resources/read"})
RESULTS = {
    "server/discover": "DiscoverResult",
    "tools/list": "ListToolsResult",
    "tools/call": "CallToolResult",
    "prompts/list": "ListPromptsResult",
    "prompts/get": "GetPromptResult",
    "resources/list": "ListResourcesResult",
    "resources/templates/list": "ListResourceTemplatesResult",
    "resources/read": "ReadResourceResult",
    "completion/complete": "CompleteResult",
    "subscriptions/listen": "SubscriptionsListenResult",
}
LEGACY_RESULTS = {
    "initialize": "InitializeResult",
    "ping": "EmptyResult",
    "tools/list": "ListToolsResult",
    "tools/call": "CallToolResult",
    "prompts/list": "ListPromptsResult",
    "prompts/get": "GetPromptResult",
    "resources/list": "ListResourcesResult",
    "resources/read": "ReadResourceResult",
}
ERROR_RESPONSES = {
    HEADER_MISMATCH: "HeaderMismatchError",
    MISSING_CAPABILITY: "MissingRequiredClientCapabilityError",
    UNSUPPORTED_VERSION: "UnsupportedProtocolVersionError",
}
ERROR_OBJECTS = {INVALID_PARAMS: "InvalidParamsError", METHOD_NOT_FOUND: "MethodNotFoundError"}

# What a well-behaved client answers to each kind of input request (mrtr.mdx §InputResponses).
ANSWERS: dict[str, dict[str, Any]] = {
    "elicitation/create": {"action": "accept", "content": {"name": "Ada"}},
    "sampling/createMessage": {
        "role": "assistant",
        "content": {"type": "text", "text": "Paris"},
        "model": "test-model",
        "stopReason": "endTurn",
    },
    "roots/list": {"roots": [{"uri": "file:///work/a", "name": "a"}, {"uri": "file:///work/b"}]},
}

# -- the official schema ----------------------------------------------------------------------

SCHEMA_FILE = SPEC_DIR / MODERN / "schema.json"
SCHEMA_AVAILABLE = SCHEMA_FILE.is_file() and (SPEC_DIR / LEGACY / "schema.json").is_file()
SCHEMA_MISSING = (
    f"the official schemas are not at {SPEC_DIR} (CI has them in ../shared/spec; set MCPCORE_SPEC_DIR "
    "to a copy of the spec repository's schema/ folder to validate the wire too)"
)


@cache
def _defs(revision: str) -> dict[str, Any]:
    schema = json.loads((SPEC_DIR / revision / "schema.json").read_text(encoding="utf-8"))
    defs: dict[str, Any] = schema["$defs"]
    return defs


@cache
def _validator(revision: str, definition: str) -> Any:
    from jsonschema import Draft202012Validator

    defs = _defs(revision)
    assert definition in defs, f"{revision} defines no {definition}"
    return Draft202012Validator({"$ref": f"#/$defs/{definition}", "$defs": defs})


def conforms(revision: str, definition: str, value: Any) -> None:
    """Assert that ``value`` is a ``definition`` of ``revision``'s schema."""
    errors = sorted(_validator(revision, definition).iter_errors(value), key=str)
    details = "; ".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:5])
    assert not errors, f"{definition} ({revision}) rejects {value!r}: {details}"


@cache
def _notifications(revision: str) -> dict[str, str]:
    """The definition of each notification method of ``revision``."""
    found: dict[str, str] = {}
    for name, node in _defs(revision).items():
        const = node.get("properties", {}).get("method", {}).get("const")
        if name.endswith("Notification") and isinstance(const, str):
            found[const] = name
    return found


def finish() -> None:
    """Called once a test's behaviour has been checked: skip if the wire could not be validated."""
    if not SCHEMA_AVAILABLE:
        pytest.skip(f"behaviour checked, but the messages were not validated: {SCHEMA_MISSING}")


def is_modern(request: Mapping[str, Any]) -> bool:
    params = request.get("params")
    meta = params.get("_meta") if isinstance(params, dict) else None
    return isinstance(meta, dict) and any(str(k).startswith("io.modelcontextprotocol/") for k in meta)


def check_server_message(
    message: Mapping[str, Any], request: Mapping[str, Any] | None, listens: Collection[Any] = ()
) -> None:
    """The rules every message the server sends must keep, and its schema.

    ``request`` is the client request a response answers (None for a notification, or for an
    error about a message whose id could not be read); ``listens`` the ids of the client's
    ``subscriptions/listen`` requests so far.
    """
    assert message.get("jsonrpc") == "2.0", message
    method = message.get("method")
    if method is not None:
        # mrtr.mdx: server-to-client requests are carried only in InputRequiredResult.
        assert "id" not in message, f"the server sent a request: {message}"
        params = message.get("params") or {}
        if method == "notifications/cancelled":
            # cancellation.mdx: a server sends it only to end a subscriptions/listen stream.
            assert params.get("requestId") in listens, f"notifications/cancelled for a non-listen: {message}"
        sub = (params.get("_meta") or {}).get(SUBSCRIPTION_ID)
        if sub is not None:
            assert sub in listens, f"a subscriptionId that names no listen request: {message}"
        if SCHEMA_AVAILABLE:
            revision = MODERN if method in _notifications(MODERN) else LEGACY
            assert method in _notifications(revision), f"{method} is no notification of {revision}"
            conforms(revision, _notifications(revision)[method], message)
        return
    if request is None:
        assert "error" in message and "id" not in message, f"an answer to no request: {message}"
        if SCHEMA_AVAILABLE:
            conforms(MODERN, "JSONRPCErrorResponse", message)
        return
    modern = is_modern(request)
    era = MODERN if modern else LEGACY
    asked = request["method"]
    if "error" in message:
        code = message["error"]["code"]
        if modern:
            # basic/index.mdx §Error Codes: retired codes, and undefined ones of the reserved range.
            assert code not in (-32002, -32042), f"2026-07-28 retired the code {code}"
            assert not -32099 <= code <= -32020 or code in ERROR_RESPONSES, f"{code} is reserved, undefined"
        if SCHEMA_AVAILABLE:
            conforms(era, "JSONRPCErrorResponse", message)
            if modern and code in ERROR_RESPONSES:
                conforms(MODERN, ERROR_RESPONSES[code], message)
            if modern and code in ERROR_OBJECTS:
                conforms(MODERN, ERROR_OBJECTS[code], message["error"])
        return
    result = message["result"]
    if not modern:
        if SCHEMA_AVAILABLE:
            conforms(LEGACY, "JSONRPCResultResponse", message)
            conforms(LEGACY, LEGACY_RESULTS.get(asked, "Result"), result)
        return
    kind = result.get("resultType")
    assert kind in ("complete", "input_required"), f"{asked}: resultType {kind!r}"  # basic/index.mdx
    if kind == "input_required":
        # mrtr.mdx §Supported Requests and server requirement 5; caching.mdx §Cacheable Results.
        assert asked in MRTR_METHODS, f"an InputRequiredResult on {asked}"
        assert "inputRequests" in result or "requestState" in result, result
        assert "ttlMs" not in result and "cacheScope" not in result, result
        definition = "InputRequiredResult"
    else:
        definition = RESULTS.get(asked, "Result")
        if asked in CACHEABLE:
            assert type(result.get("ttlMs")) is int and result["ttlMs"] >= 0, result
            assert result.get("cacheScope") in ("public", "private"), result
        if asked == "subscriptions/listen":
            assert result.get("_meta", {}).get(SUBSCRIPTION_ID) == request["id"], result
    if SCHEMA_AVAILABLE:
        conforms(MODERN, "JSONRPCResultResponse", message)
        conforms(MODERN, definition, result)


# -- requests ---------------------------------------------------------------------------------


def envelope(
    caps: Mapping[str, Any] | None = None,
    *,
    version: str = MODERN,
    log_level: str | None = None,
    token: RequestId | None = None,
    without: Collection[str] = (),
) -> dict[str, Any]:
    """A request's ``_meta``: the per-request protocol fields of basic/index.mdx."""
    meta: dict[str, Any] = {
        PROTOCOL_VERSION: version,
        CLIENT_CAPABILITIES: dict(caps or {}),
        CLIENT_INFO: CLIENT,
    }
    if log_level is not None:
        meta[LOG_LEVEL] = log_level
    if token is not None:
        meta["progressToken"] = token
    for key in without:
        del meta[key]
    return meta


def params(
    caps: Mapping[str, Any] | None = None,
    *,
    version: str = MODERN,
    log_level: str | None = None,
    token: RequestId | None = None,
    without: Collection[str] = (),
    **fields: Any,
) -> dict[str, Any]:
    meta = envelope(caps, version=version, log_level=log_level, token=token, without=without)
    return {"_meta": meta, **fields}


def retry(original: Mapping[str, Any], result: Mapping[str, Any]) -> dict[str, Any]:
    """The retry of an input-required request, as mrtr.mdx's client requirements make it: the
    original params, an answer to each input request, and the requestState echoed exactly."""
    again = {k: v for k, v in original.items() if k not in ("inputResponses", "requestState")}
    asked = result.get("inputRequests") or {}
    if asked:
        again["inputResponses"] = {key: ANSWERS[request["method"]] for key, request in asked.items()}
    if "requestState" in result:
        again["requestState"] = result["requestState"]
    return again


def text(result: Mapping[str, Any]) -> str:
    return "\n".join(str(b["text"]) for b in result.get("content", ()) if b.get("type") == "text")


def header(name: str) -> Any:
    """Marks a tool parameter to be mirrored into the ``Mcp-Param-{name}`` header."""
    return pydantic.Field(json_schema_extra={"x-mcp-header": name})


# -- the server under test --------------------------------------------------------------------


@dataclass
class Signals:
    """What the ``hang`` tool tells the test: that it runs, and that it was cancelled."""

    started: anyio.Event = field(default_factory=anyio.Event)
    cancelled: anyio.Event = field(default_factory=anyio.Event)


def make_server(signals: Signals | None = None, **options: Any) -> Server:
    options.setdefault("instructions", INSTRUCTIONS)
    options.setdefault("cache_ttl_ms", 60_000)
    server = Server(NAME, VERSION, **options)

    @server.tool()
    def echo(text: str) -> str:
        return text

    @server.tool()
    async def ask_name(ctx: Context, greeting: str = "hello") -> str:
        answer = await ctx.elicit("What is your name?", NAME_FORM)
        name = answer.content["name"] if answer.action == "accept" and answer.content else "stranger"
        return f"{greeting} {name}"

    @server.tool()
    async def ask_model(ctx: Context) -> str:
        reply = await ctx.sample("What is the capital of France?", max_tokens=20)
        return f"model said {reply['content']['text']}"

    @server.tool()
    async def ask_roots(ctx: Context) -> str:
        return f"{len(await ctx.list_roots())} roots"

    @server.tool()
    async def ask_twice(ctx: Context) -> str:
        answer = await ctx.elicit("What is your name?", NAME_FORM)
        reply = await ctx.sample("Say something", max_tokens=20)
        name = answer.content["name"] if answer.content else "?"
        return f"{name} / {reply['content']['text']}"

    @server.tool()
    async def chatty(ctx: Context) -> str:
        for level in LEVELS:
            await ctx.log(level, f"a {level} line")
        return "logged"

    @server.tool()
    async def steps(ctx: Context) -> str:
        for done in (1, 2, 3):
            await ctx.report_progress(done, 3)
        return "stepped"

    @server.tool()
    def route(
        region: Annotated[str, header("Region")],
        count: Annotated[int, header("Count")] = 1,
        loud: Annotated[bool, header("Loud")] = False,
    ) -> str:
        return f"{region} x{count}{'!' if loud else ''}"

    if signals is not None:
        hung = signals

        @server.tool()
        async def hang(ctx: Context) -> str:
            await ctx.report_progress(0, 1)  # over HTTP this turns the answer into a stream at once
            hung.started.set()
            try:
                await anyio.sleep_forever()
            finally:
                hung.cancelled.set()
            return "never"

    @server.resource("mem://greeting")
    def greeting() -> str:
        return "hello"

    @server.resource("mem://private", ttl_ms=5_000, cache_scope="private")
    def private() -> str:
        return "secret"

    @server.resource("mem://ask")
    async def ask_resource(ctx: Context) -> str:
        answer = await ctx.elicit("Whose file?", NAME_FORM)
        return f"file of {answer.content['name'] if answer.content else '?'}"

    @server.resource("mem://items/{n}")
    def item(n: str) -> str:
        return f"item {n}"

    @server.prompt()
    def greet(name: str) -> str:
        return f"Greet {name}."

    @server.prompt()
    async def ask_prompt(ctx: Context) -> str:
        answer = await ctx.elicit("Topic?", NAME_FORM)
        return f"Talk about {answer.content['name'] if answer.content else '?'}."

    @server.completion(prompt="greet", argument="name")
    def names(value: str, arguments: Mapping[str, str]) -> list[str]:
        return [n for n in ("Ada", "Alan") if n.startswith(value)]

    return server


def modern_only(signals: Signals | None = None, **options: Any) -> Server:
    """A server that speaks 2026-07-28 alone (the spec's "server that supports only this revision")."""
    return make_server(signals, versions=[MODERN], **options)


# -- in memory --------------------------------------------------------------------------------


class Wire:
    """Both directions of a raw connection, as the JSON that travelled, in order."""

    def __init__(self) -> None:
        self.log: list[tuple[str, dict[str, Any]]] = []  # ("out" = to the server | "in", message)
        self._arrived = anyio.Event()

    def add(self, direction: str, message: Message | list[Message] | Incoming) -> None:
        items = message if isinstance(message, list) else [message]
        for item in items:
            if not isinstance(item, DecodeError):
                self.log.append((direction, orjson.loads(encode(item))))
        self._arrived.set()
        self._arrived = anyio.Event()

    def received(self, method: str | None = None) -> list[dict[str, Any]]:
        return [m for d, m in self.log if d == "in" and (method is None or m.get("method") == method)]

    def on_subscription(self, sub: RequestId) -> list[dict[str, Any]]:
        """The server's notifications that carry subscription id ``sub``."""
        return [
            m
            for m in self.received()
            if "method" in m and ((m.get("params") or {}).get("_meta") or {}).get(SUBSCRIPTION_ID) == sub
        ]

    def answers(self, rid: RequestId) -> list[dict[str, Any]]:
        return [m for m in self.received() if "method" not in m and m.get("id") == rid]

    def sent_ids(self, method: str) -> list[RequestId]:
        return [m["id"] for d, m in self.log if d == "out" and m.get("method") == method and "id" in m]

    async def until(self, condition: Callable[[], object], limit: float = 10.0) -> None:
        with anyio.fail_after(limit):
            while not condition():
                await self._arrived.wait()

    def check(self) -> None:
        asked: dict[Any, dict[str, Any]] = {}
        listens: set[Any] = set()
        for direction, message in self.log:
            if direction == "out":
                if "method" in message and "id" in message:
                    asked[message["id"]] = message
                    if message["method"] == "subscriptions/listen":
                        listens.add(message["id"])
                continue
            answered = asked.get(message["id"]) if "method" not in message and "id" in message else None
            check_server_message(message, answered, listens)


class _Tap:
    def __init__(self, inner: Receiver, wire: Wire) -> None:
        self._inner = inner
        self._wire = wire

    async def feed(self, item: Incoming) -> None:
        self._wire.add("in", item)
        await self._inner.feed(item)


class Tapped:
    """The client's end of an in-memory connection, recording what passes."""

    def __init__(self, inner: MemoryTransport, wire: Wire) -> None:
        self._inner = inner
        self._wire = wire

    async def send(
        self, message: Message | list[Message], related_request_id: RequestId | None = None
    ) -> None:
        self._wire.add("out", message)
        await self._inner.send(message, related_request_id)

    async def run(self, receiver: Receiver) -> None:
        await self._inner.run(_Tap(receiver, self._wire))

    async def aclose(self) -> None:
        await self._inner.aclose()


@asynccontextmanager
async def connected(server: Server) -> AsyncIterator[tuple[Dispatcher, Wire]]:
    """A raw client connected to ``server`` in memory; the wire is checked when the block ends."""
    ours, theirs = create_pair()
    wire = Wire()
    async with server.session(theirs), Dispatcher(Tapped(ours, wire), request_timeout=15) as client:
        yield client, wire
    wire.check()
    finish()


async def code_of(client: Dispatcher, method: str, request_params: Any) -> McpError:
    """The error ``method`` is answered with (failing the test if it succeeds)."""
    with pytest.raises(McpError) as caught:
        await client.request(method, request_params)
    return caught.value


def start_listen(
    group: anyio.abc.TaskGroup, client: Dispatcher, wanted: Mapping[str, Any], ended: dict[RequestId, Any]
) -> RequestId:
    """Open a ``subscriptions/listen`` stream in the background; its final result lands in ``ended``."""
    rid = client.reserve_id()

    async def listen() -> None:
        ended[rid] = await client.request(
            "subscriptions/listen",
            params(notifications=dict(wanted)),
            request_id=rid,
            timeout=None,
            announce_cancel=False,  # the tests send notifications/cancelled themselves
        )

    group.start_soon(listen)
    return rid


# -- over HTTP --------------------------------------------------------------------------------

NAMED = {"tools/call": "name", "prompts/get": "name", "resources/read": "uri"}


def header_value(value: str | int | bool) -> str:
    """A value as streamable-http.mdx §Value Encoding has a client put it in a header."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    plain = (
        all(c == "\t" or 0x20 <= ord(c) <= 0x7E for c in value)
        and value == value.strip(" \t")
        and not (value.startswith("=?base64?") and value.endswith("?="))
    )
    return value if plain else f"=?base64?{base64.b64encode(value.encode()).decode('ascii')}?="


def modern_headers(method: str, body_params: Mapping[str, Any]) -> dict[str, str]:
    """The standard request headers a conforming client sends (streamable-http.mdx §Request Metadata)."""
    headers = {"mcp-protocol-version": MODERN, "mcp-method": method}
    source = NAMED.get(method)
    if source is not None and source in body_params:
        headers["mcp-name"] = header_value(body_params[source])
    return headers


def check_http(answer: Answer, body: Any) -> None:
    if not answer.body:
        return
    kind = answer.headers.get("content-type", "")
    if not kind.startswith(("application/json", "text/event-stream")):
        # streamable-http.mdx: a request is answered with one of those two types; a refusal at
        # the HTTP level may say why in any form.
        assert answer.status >= 400, f"an answer with Content-Type {kind!r}: {answer}"
        return
    request = body if isinstance(body, dict) and "id" in body else None
    for message in answer.messages():
        check_server_message(message, request if "method" not in message else None)


async def post(
    raw: Raw,
    method: str,
    body_params: Any,
    *,
    rid: RequestId = 1,
    headers: Mapping[str, str | None] | None = None,
) -> Answer:
    """POST one request with the headers a conforming client sends, changed by ``headers``
    (a None value removes one); the answer's messages are checked."""
    body = {"jsonrpc": "2.0", "id": rid, "method": method, "params": body_params}
    sent: dict[str, str] = modern_headers(method, body_params if isinstance(body_params, dict) else {})
    for key, value in (headers or {}).items():
        if value is None:
            sent.pop(key.lower(), None)
        else:
            sent[key.lower()] = value
    answer = await raw.post(body, headers=sent)
    check_http(answer, body)
    return answer


def the_error(answer: Answer) -> dict[str, Any]:
    """The JSON-RPC error of an answer that must carry exactly one."""
    messages = answer.messages()
    assert len(messages) == 1 and "error" in messages[0], answer
    error: dict[str, Any] = messages[0]["error"]
    return error


def the_result(answer: Answer) -> dict[str, Any]:
    assert answer.status == 200, answer
    response = answer.messages()[-1]
    assert "result" in response, answer
    result: dict[str, Any] = response["result"]
    return result


@asynccontextmanager
async def over_http(server: Server, **options: Any) -> AsyncIterator[Raw]:
    async with http_app(server, **options) as (url, _app), raw_client(url) as raw:
        yield raw
    finish()


class Stream:
    """The messages of one SSE response, read as they arrive; each is checked."""

    def __init__(self, response: Response, request: dict[str, Any]) -> None:
        self.response = response
        self.request = request
        self._decoder = SSEDecoder()
        self._body = response.iter_bytes()
        self._pending: deque[dict[str, Any]] = deque()
        self.seen: list[dict[str, Any]] = []

    async def next(self) -> dict[str, Any] | None:
        """The next message, or None at the end of the stream."""
        while not self._pending:
            try:
                chunk = await anext(self._body)
            except StopAsyncIteration:
                return None
            for event in self._decoder.feed(chunk):
                if isinstance(event, SSEEvent) and event.data:
                    self._pending.append(orjson.loads(event.data))
        message = self._pending.popleft()
        listens = [self.request["id"]] if self.request["method"] == "subscriptions/listen" else []
        check_server_message(message, self.request if "method" not in message else None, listens)
        self.seen.append(message)
        return message

    async def rest(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for _ in range(10_000):
            message = await self.next()
            if message is None:
                return out
            out.append(message)
        raise AssertionError("a stream that does not end")


@asynccontextmanager
async def streaming(
    raw: Raw, method: str, body_params: dict[str, Any], *, rid: RequestId = 1
) -> AsyncIterator[Stream]:
    """POST a request and read its answer as a stream; leaving the block closes the connection."""
    body = {"jsonrpc": "2.0", "id": rid, "method": method, "params": body_params}
    headers = {
        "accept": ACCEPT_BOTH,
        "content-type": "application/json",
        **modern_headers(method, body_params),
    }
    response = await raw.http.request(
        "POST", raw.url, headers=headers, body=orjson.dumps(body), read_timeout=None
    )
    async with response:
        yield Stream(response, body)


async def raw_exchange(
    url: str, method: str, headers: list[tuple[bytes, bytes]], body: bytes
) -> tuple[int, Any]:
    """One HTTP/1.1 exchange over a plain socket, for header bytes our HTTP client refuses to send.
    Returns the status and the JSON body (None when there is none)."""
    target = urllib.parse.urlsplit(url)
    assert target.hostname is not None and target.port is not None
    lines = [f"{method} {target.path} HTTP/1.1".encode(), f"host: {target.netloc}".encode()]
    lines += [name + b": " + value for name, value in headers]
    lines += [b"connection: close", f"content-length: {len(body)}".encode()]
    data = b""
    with anyio.fail_after(10):
        async with await anyio.connect_tcp(target.hostname, target.port) as sock:
            await sock.send(b"\r\n".join(lines) + b"\r\n\r\n" + body)
            for _ in range(10_000):
                try:
                    data += await sock.receive()
                except (anyio.EndOfStream, anyio.BrokenResourceError):
                    break
    head, _, payload = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    if b"transfer-encoding: chunked" in head.lower():
        payload = _dechunk(payload)
    return status, (orjson.loads(payload) if payload.strip() else None)


def _dechunk(data: bytes) -> bytes:
    out = b""
    for _ in range(10_000):
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            return out
        out, data = out + data[:size], data[size + 2 :]
    raise AssertionError("an endless chunked body")


# =============================================================================================
# server/discover (server/discover.mdx, basic/versioning.mdx, server/utilities/caching.mdx)
# =============================================================================================


async def test_discover_reports_versions_capabilities_identity_and_instructions() -> None:
    """discover.mdx: supportedVersions, capabilities, serverInfo in _meta (SHOULD), instructions."""
    async with connected(make_server()) as (client, _wire):
        result = await client.request("server/discover", params())
    assert result["resultType"] == "complete"
    assert MODERN in result["supportedVersions"]
    assert all(isinstance(v, str) for v in result["supportedVersions"])
    assert {"tools", "resources", "prompts"} <= set(result["capabilities"])
    assert result["instructions"] == INSTRUCTIONS
    assert result["_meta"][SERVER_INFO]["name"] == NAME
    assert result["_meta"][SERVER_INFO]["version"] == VERSION


@pytest.mark.parametrize(("ttl", "scope"), [(60_000, "public"), (0, "private")])
async def test_discover_carries_the_caching_hints(ttl: int, scope: str) -> None:
    """caching.mdx: server/discover is cacheable, so its complete result carries ttlMs (>= 0) and
    cacheScope."""
    async with connected(make_server(cache_ttl_ms=ttl, cache_scope=scope)) as (client, _wire):
        result = await client.request("server/discover", params())
    assert result["ttlMs"] == ttl
    assert result["cacheScope"] == scope


async def test_a_modern_only_server_lists_only_the_modern_version() -> None:
    """discover.mdx: supportedVersions are the versions the server supports, and no others."""
    async with connected(modern_only()) as (client, _wire):
        result = await client.request("server/discover", params())
    assert result["supportedVersions"] == [MODERN]


async def test_discover_and_the_version_error_agree_on_the_supported_versions() -> None:
    """versioning.mdx: the -32022 error lists "the versions it does support", which discover.mdx
    reports as supportedVersions: the two lists name the same versions."""
    async with connected(make_server()) as (client, _wire):
        discovered = await client.request("server/discover", params())
        error = await code_of(client, "server/discover", params(version="1900-01-01"))
    assert error.code == UNSUPPORTED_VERSION
    assert set(error.data["supported"]) == set(discovered["supportedVersions"])


# =============================================================================================
# The per-request envelope (basic/index.mdx §_meta and §Statelessness, basic/versioning.mdx)
# =============================================================================================


@pytest.mark.parametrize(
    "request_params",
    [
        pytest.param({}, id="no-_meta"),
        pytest.param(None, id="no-params"),
        pytest.param({"_meta": {}}, id="empty"),
    ],
)
async def test_a_request_without_the_envelope_is_invalid_params(request_params: Any) -> None:
    """basic/index.mdx: a request missing a required per-request field is malformed: -32602."""
    async with connected(modern_only()) as (client, _wire):
        error = await code_of(client, "tools/list", request_params)
    assert error.code == INVALID_PARAMS


@pytest.mark.parametrize("server_kind", ["modern-only", "dual-era"])
@pytest.mark.parametrize(
    "missing",
    [
        pytest.param(PROTOCOL_VERSION, id="protocolVersion"),
        pytest.param(CLIENT_CAPABILITIES, id="clientCapabilities"),
    ],
)
async def test_a_request_missing_a_required_meta_field_is_invalid_params(
    missing: str, server_kind: str
) -> None:
    """basic/index.mdx: protocolVersion and clientCapabilities are required on every request;
    without either the server MUST answer -32602 (a dual-era server too, since the request
    carries modern per-request _meta)."""
    server = modern_only() if server_kind == "modern-only" else make_server()
    async with connected(server) as (client, _wire):
        error = await code_of(client, "tools/list", params(without=[missing]))
    assert error.code == INVALID_PARAMS


async def test_client_info_is_optional() -> None:
    """basic/index.mdx: clientInfo is not required (a SHOULD for clients), so its absence is fine."""
    async with connected(make_server()) as (client, _wire):
        result = await client.request("tools/list", params(without=[CLIENT_INFO]))
    assert result["resultType"] == "complete"


@pytest.mark.parametrize("requested", ["1900-01-01", "2099-12-31", "not-a-version"])
async def test_an_unsupported_version_is_refused_with_the_supported_list(requested: str) -> None:
    """versioning.mdx: an unknown or unsupported version gets -32022 with data.supported and
    data.requested."""
    async with connected(make_server()) as (client, _wire):
        error = await code_of(client, "tools/list", params(version=requested))
    assert error.code == UNSUPPORTED_VERSION
    assert error.data["requested"] == requested
    assert MODERN in error.data["supported"]


async def test_a_known_version_the_server_does_not_serve_is_refused_too() -> None:
    """versioning.mdx: -32022 also when the version is known but one the server chose not to
    support (a modern-only server asked for 2025-11-25 in _meta)."""
    async with connected(modern_only()) as (client, _wire):
        error = await code_of(client, "tools/list", params(version=LEGACY))
    assert error.code == UNSUPPORTED_VERSION
    assert error.data == {"supported": [MODERN], "requested": LEGACY}


async def test_capabilities_declared_on_one_request_do_not_carry_to_the_next() -> None:
    """basic/index.mdx §Statelessness: servers MUST NOT rely on prior requests on the same
    connection for capabilities; a request that declares none cannot be sent an elicitation."""
    async with connected(make_server()) as (client, _wire):
        first = await client.request("tools/call", params({"elicitation": {}}, name="ask_name", arguments={}))
        assert first["resultType"] == "input_required"
        error = await code_of(client, "tools/call", params({}, name="ask_name", arguments={}))
    assert error.code == MISSING_CAPABILITY


@pytest.mark.parametrize("server_kind", ["modern-only", "dual-era"])
async def test_the_protocol_version_of_one_request_does_not_carry_to_the_next(server_kind: str) -> None:
    """basic/index.mdx §Statelessness: the version is not inferred from an earlier request, so a
    request without one is refused, not served. (Its error code is the envelope tests' business.)"""
    server = modern_only() if server_kind == "modern-only" else make_server()
    async with connected(server) as (client, wire):
        rid = client.reserve_id()
        await client.request("tools/list", params())
        with pytest.raises(McpError):
            await client.request("tools/list", params(without=[PROTOCOL_VERSION]), request_id=rid)
    assert wire.answers(rid) and "error" in wire.answers(rid)[0]


# =============================================================================================
# Result fields: resultType, serverInfo, caching hints (basic/index.mdx, caching.mdx)
# =============================================================================================

EVERY_RESULT = [
    ("server/discover", {}),
    ("tools/list", {}),
    ("tools/call", {"name": "echo", "arguments": {"text": "hi"}}),
    ("prompts/list", {}),
    ("prompts/get", {"name": "greet", "arguments": {"name": "Ada"}}),
    ("resources/list", {}),
    ("resources/templates/list", {}),
    ("resources/read", {"uri": "mem://greeting"}),
    (
        "completion/complete",
        {"ref": {"type": "ref/prompt", "name": "greet"}, "argument": {"name": "name", "value": "A"}},
    ),
]


@pytest.mark.parametrize(("method", "fields"), EVERY_RESULT, ids=[m for m, _ in EVERY_RESULT])
async def test_every_result_has_a_result_type(method: str, fields: dict[str, Any]) -> None:
    """basic/index.mdx: the result MUST include resultType; "complete" for a finished request."""
    async with connected(make_server()) as (client, _wire):
        result = await client.request(method, params(**fields))
    assert result["resultType"] == "complete"


@pytest.mark.parametrize(("method", "fields"), EVERY_RESULT, ids=[m for m, _ in EVERY_RESULT])
async def test_every_result_names_the_server(method: str, fields: dict[str, Any]) -> None:
    """basic/index.mdx §Per-response protocol fields: servers SHOULD put serverInfo in every
    result's _meta."""
    async with connected(make_server()) as (client, _wire):
        result = await client.request(method, params(**fields))
    assert result["_meta"][SERVER_INFO] == {"name": NAME, "version": VERSION}


CACHEABLE_CALLS = [(m, f) for m, f in EVERY_RESULT if m in CACHEABLE]
OTHER_CALLS = [(m, f) for m, f in EVERY_RESULT if m not in CACHEABLE]


@pytest.mark.parametrize(("method", "fields"), CACHEABLE_CALLS, ids=[m for m, _ in CACHEABLE_CALLS])
async def test_the_six_cacheable_results_carry_caching_hints(method: str, fields: dict[str, Any]) -> None:
    """caching.mdx §Cacheable Results: MUST include ttlMs (an integer >= 0) and cacheScope."""
    async with connected(make_server(cache_ttl_ms=1234, cache_scope="private")) as (client, _wire):
        result = await client.request(method, params(**fields))
    assert type(result["ttlMs"]) is int and result["ttlMs"] >= 0
    assert result["cacheScope"] in ("public", "private")
    if method != "resources/read":  # a resource may have hints of its own
        assert (result["ttlMs"], result["cacheScope"]) == (1234, "private")


@pytest.mark.parametrize(("method", "fields"), OTHER_CALLS, ids=[m for m, _ in OTHER_CALLS])
async def test_other_results_carry_no_caching_hints(method: str, fields: dict[str, Any]) -> None:
    """caching.mdx lists the cacheable operations; the schema gives the others no ttlMs or
    cacheScope, so they carry none."""
    async with connected(make_server()) as (client, _wire):
        result = await client.request(method, params(**fields))
    assert "ttlMs" not in result and "cacheScope" not in result


async def test_a_resource_can_carry_its_own_caching_hints() -> None:
    """caching.mdx §Choosing a Cache Scope: "private" suits a resources/read result that depends
    on the user; the hints the resource declares are the ones sent."""
    async with connected(make_server()) as (client, _wire):
        result = await client.request("resources/read", params(uri="mem://private"))
    assert (result["ttlMs"], result["cacheScope"]) == (5_000, "private")


async def test_every_page_of_a_list_has_the_same_cache_scope() -> None:
    """caching.mdx §Interaction with Pagination: servers MUST apply the same cacheScope to all
    pages of a list, and each page carries its own ttlMs."""
    server = make_server(page_size=2, cache_scope="private")
    async with connected(server) as (client, _wire):
        pages: list[dict[str, Any]] = []
        cursor: str | None = None
        for _ in range(20):
            fields: dict[str, Any] = {"cursor": cursor} if cursor else {}
            page = await client.request("tools/list", params(**fields))
            pages.append(page)
            cursor = page.get("nextCursor")
            if cursor is None:
                break
    assert len(pages) > 1
    assert {p["cacheScope"] for p in pages} == {"private"}
    assert all(type(p["ttlMs"]) is int for p in pages)


# =============================================================================================
# Resources: not found (server/resources.mdx §Error Handling)
# =============================================================================================


@pytest.mark.parametrize("uri", ["mem://nothing-here", "other://greeting", "mem://greeting/deeper"])
async def test_an_unknown_resource_is_invalid_params_never_32002(uri: str) -> None:
    """resources.mdx: a missing resource MUST get -32602 (-32002 is retired, basic/index.mdx),
    never an empty contents array."""
    async with connected(make_server()) as (client, wire):
        error = await code_of(client, "resources/read", params(uri=uri))
    assert error.code == INVALID_PARAMS
    assert not any("result" in m for m in wire.received())


# =============================================================================================
# Removed methods (CHECKLIST §1.1: initialize, ping, logging/setLevel, resources/subscribe...)
# =============================================================================================


@pytest.mark.parametrize(
    ("method", "fields"),
    [
        ("ping", {}),
        ("logging/setLevel", {"level": "debug"}),
        ("resources/subscribe", {"uri": "mem://greeting"}),
        ("resources/unsubscribe", {"uri": "mem://greeting"}),
        ("tasks/list", {}),
        ("no/such/method", {}),
    ],
)
async def test_a_method_2026_does_not_have_is_method_not_found(method: str, fields: dict[str, Any]) -> None:
    """The 2026-07-28 ClientRequest union has no ping, logging/setLevel or resources/subscribe:
    a modern request for one is an unknown method, -32601."""
    async with connected(make_server()) as (client, _wire):
        error = await code_of(client, method, params(**fields))
    assert error.code == METHOD_NOT_FOUND


async def test_a_modern_only_server_refuses_initialize_naming_its_versions() -> None:
    """versioning.mdx: a modern-only server rejects initialize with a JSON-RPC error, and SHOULD
    name the protocol versions it supports in it."""
    async with connected(modern_only()) as (client, _wire):
        error = await code_of(
            client,
            "initialize",
            {"protocolVersion": LEGACY, "capabilities": {}, "clientInfo": CLIENT},
        )
    assert MODERN in error.message + json.dumps(error.data)


# =============================================================================================
# Logging (server/utilities/logging.mdx)
# =============================================================================================


async def test_no_log_messages_without_a_log_level() -> None:
    """logging.mdx: the server MUST NOT emit notifications/message for a request without logLevel."""
    async with connected(make_server()) as (client, wire):
        result = await client.request("tools/call", params(name="chatty", arguments={}))
    assert text(result) == "logged"
    assert wire.received("notifications/message") == []


@pytest.mark.parametrize("level", ["debug", "warning", "emergency"])
async def test_log_messages_only_at_or_above_the_level(level: LoggingLevel) -> None:
    """logging.mdx: with logLevel, messages at or above it (never below), before the response."""
    async with connected(make_server()) as (client, wire):
        rid = client.reserve_id()
        await client.request(
            "tools/call", params(log_level=level, name="chatty", arguments={}), request_id=rid
        )
    lines = wire.received("notifications/message")
    sent = [m["params"]["level"] for m in lines]
    assert sent == list(LEVELS[LEVELS.index(level) :])
    answer_at = wire.received().index(wire.answers(rid)[0])
    assert all(wire.received().index(m) < answer_at for m in lines)


async def test_the_log_level_applies_to_its_own_request_only() -> None:
    """logging.mdx: the level is per request; the next request, without one, gets no messages."""
    async with connected(make_server()) as (client, wire):
        await client.request("tools/call", params(log_level="debug", name="chatty", arguments={}))
        before = len(wire.received("notifications/message"))
        await client.request("tools/call", params(name="chatty", arguments={}))
    assert before == len(LEVELS)
    assert len(wire.received("notifications/message")) == before


async def test_an_unknown_log_level_is_invalid_params() -> None:
    """logging.mdx §Error Handling: an unrecognized logLevel SHOULD be rejected with -32602."""
    async with connected(make_server()) as (client, _wire):
        error = await code_of(
            client, "tools/call", params(log_level="loud", name="echo", arguments={"text": "x"})
        )
    assert error.code == INVALID_PARAMS


async def test_a_server_that_logs_declares_logging() -> None:
    """logging.mdx §Capabilities: servers that emit notifications/message MUST declare logging."""
    async with connected(make_server()) as (client, wire):
        await client.request("tools/call", params(log_level="info", name="chatty", arguments={}))
        assert wire.received("notifications/message")
        result = await client.request("server/discover", params())
    assert "logging" in result["capabilities"]


async def test_log_messages_never_go_to_a_listen_stream() -> None:
    """logging.mdx: notifications/message is request-scoped and MUST NOT be delivered on a
    subscriptions/listen stream (on a shared channel: never with a subscriptionId)."""
    ended: dict[RequestId, Any] = {}
    async with connected(make_server()) as (client, wire), anyio.create_task_group() as group:
        sub = start_listen(group, client, {"toolsListChanged": True}, ended)
        await wire.until(lambda: wire.on_subscription(sub))
        await client.request("tools/call", params(log_level="debug", name="chatty", arguments={}))
        group.cancel_scope.cancel()
    lines = wire.received("notifications/message")
    assert len(lines) == len(LEVELS)
    assert all(SUBSCRIPTION_ID not in (m["params"].get("_meta") or {}) for m in lines)


# =============================================================================================
# Progress (basic/patterns/progress.mdx)
# =============================================================================================


@pytest.mark.parametrize("token", ["tok-1", 99])
async def test_progress_references_the_token_and_increases(token: RequestId) -> None:
    """progress.mdx: notifications carry the request's token, progress increases, and they stop
    once the request completes."""
    async with connected(make_server()) as (client, wire):
        rid = client.reserve_id()
        result = await client.request(
            "tools/call", params(token=token, name="steps", arguments={}), request_id=rid
        )
        await client.request("server/discover", params())  # anything late would be here by now
    assert text(result) == "stepped"
    notes = wire.received("notifications/progress")
    assert [n["params"]["progressToken"] for n in notes] == [token] * 3
    values = [n["params"]["progress"] for n in notes]
    assert values == sorted(values) and len(set(values)) == len(values)
    answer_at = wire.received().index(wire.answers(rid)[0])
    assert all(wire.received().index(n) < answer_at for n in notes)


async def test_no_progress_without_a_token() -> None:
    """progress.mdx: progress notifications only reference tokens provided in a request."""
    async with connected(make_server()) as (client, wire):
        await client.request("tools/call", params(name="steps", arguments={}))
    assert wire.received("notifications/progress") == []


# =============================================================================================
# Multi round-trip requests (basic/patterns/mrtr.mdx)
# =============================================================================================

KINDS = [
    pytest.param("ask_name", "elicitation", "elicitation/create", "hello Ada", id="elicitation"),
    pytest.param("ask_model", "sampling", "sampling/createMessage", "model said Paris", id="sampling"),
    pytest.param("ask_roots", "roots", "roots/list", "2 roots", id="roots"),
]


@pytest.mark.parametrize(("tool", "capability", "method", "final"), KINDS)
async def test_an_undeclared_capability_is_refused_with_32021(
    tool: str, capability: str, method: str, final: str
) -> None:
    """basic/index.mdx: a request needing a capability the client did not declare gets -32021
    with data.requiredCapabilities naming it; mrtr.mdx: no input request of that kind is sent."""
    others: dict[str, Any] = {c: {} for c in ("elicitation", "sampling", "roots") if c != capability}
    async with connected(make_server()) as (client, wire):
        error = await code_of(client, "tools/call", params(others, name=tool, arguments={}))
    assert error.code == MISSING_CAPABILITY
    assert capability in error.data["requiredCapabilities"]
    assert not any("result" in m for m in wire.received())


async def test_form_elicitation_is_not_sent_to_a_url_only_client() -> None:
    """client/elicitation.mdx: servers MUST NOT send elicitation requests with modes the client
    does not support; a client declaring only url mode cannot be sent a form."""
    async with connected(make_server()) as (client, _wire):
        error = await code_of(
            client, "tools/call", params({"elicitation": {"url": {}}}, name="ask_name", arguments={})
        )
    assert error.code == MISSING_CAPABILITY
    assert "elicitation" in error.data["requiredCapabilities"]


@pytest.mark.parametrize(("tool", "capability", "method", "final"), KINDS)
async def test_a_declared_capability_gets_an_input_request_and_the_retry_completes(
    tool: str, capability: str, method: str, final: str
) -> None:
    """mrtr.mdx: the server answers input_required with an inputRequests entry of the declared
    kind (a bare {method, params}, no JSON-RPC id), sends no request of its own, and completes
    the retry, an independent request with a new id carrying the answers and the state."""
    caps: dict[str, Any] = {capability: {}}
    original = params(caps, name=tool, arguments={})
    async with connected(make_server()) as (client, wire):
        first = await client.request("tools/call", original)
        assert first["resultType"] == "input_required"
        ((key, asked),) = first["inputRequests"].items()
        assert isinstance(key, str) and asked["method"] == method
        assert "id" not in asked and "jsonrpc" not in asked
        second = await client.request("tools/call", retry(original, first))
    assert second["resultType"] == "complete"
    assert text(second) == final
    ids = wire.sent_ids("tools/call")
    assert len(ids) == 2 and ids[0] != ids[1]
    assert not [m for m in wire.received() if "method" in m and "id" in m]


@pytest.mark.parametrize(
    ("method", "fields"),
    [
        ("tools/call", {"name": "ask_name", "arguments": {}}),
        ("prompts/get", {"name": "ask_prompt"}),
        ("resources/read", {"uri": "mem://ask"}),
    ],
)
async def test_the_three_mrtr_methods_can_ask_for_input(method: str, fields: dict[str, Any]) -> None:
    """mrtr.mdx §Supported Requests: tools/call, prompts/get and resources/read may answer
    input_required, which carries inputRequests or requestState (at least one), and no caching
    hints (caching.mdx); the retry completes."""
    original = params({"elicitation": {}}, **fields)
    async with connected(make_server()) as (client, _wire):
        first = await client.request(method, original)
        assert first["resultType"] == "input_required"
        assert "inputRequests" in first or "requestState" in first
        assert "ttlMs" not in first and "cacheScope" not in first
        second = await client.request(method, retry(original, first))
    assert second["resultType"] == "complete"
    assert "Ada" in json.dumps(second)


async def test_request_state_carries_earlier_rounds() -> None:
    """mrtr.mdx: each retry stands alone: the client answers only the latest inputRequests and
    echoes requestState; the server rebuilds what it needs from that and completes."""
    original = params({"elicitation": {}, "sampling": {}}, name="ask_twice", arguments={})
    async with connected(make_server()) as (client, _wire):
        result = await client.request("tools/call", original)
        methods: list[str] = []
        for _ in range(6):
            if result["resultType"] == "complete":
                break
            methods += [r["method"] for r in (result.get("inputRequests") or {}).values()]
            result = await client.request("tools/call", retry(original, result))
    assert result["resultType"] == "complete"
    assert text(result) == "Ada / Paris"
    assert {"elicitation/create", "sampling/createMessage"} <= set(methods)


async def test_a_retry_may_come_on_another_connection() -> None:
    """basic/index.mdx §Statelessness: servers SHOULD NOT require related operations on the same
    connection; mrtr.mdx: the retry carries everything the server needs."""
    original = params({"elicitation": {}}, name="ask_name", arguments={})
    server = make_server()
    async with connected(server) as (client, _wire):
        first = await client.request("tools/call", original)
    async with connected(server) as (client, _wire):
        second = await client.request("tools/call", retry(original, first))
    assert text(second) == "hello Ada"


async def test_a_retry_may_reach_another_instance_of_the_server() -> None:
    """mrtr.mdx: MRTR works "without requiring a shared storage layer across server instances":
    a second instance sharing only the state key completes the retry."""
    key = b"k" * 32
    original = params({"elicitation": {}}, name="ask_name", arguments={})
    async with connected(make_server(state_key=key)) as (client, _wire):
        first = await client.request("tools/call", original)
    async with connected(make_server(state_key=key)) as (client, _wire):
        second = await client.request("tools/call", retry(original, first))
    assert text(second) == "hello Ada"


def _flip(state: str) -> str:
    middle = len(state) // 2
    return state[:middle] + ("A" if state[middle] != "A" else "B") + state[middle + 1 :]


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(_flip, id="one-character-changed"),
        pytest.param(lambda s: s[:-4], id="truncated"),
        pytest.param(lambda s: "not-a-state", id="foreign"),
        pytest.param(lambda s: s + s, id="doubled"),
    ],
)
async def test_a_tampered_request_state_is_rejected(tamper: Callable[[str], str]) -> None:
    """mrtr.mdx: requestState is attacker-controlled; state that fails verification MUST be
    rejected (the request does not complete)."""
    original = params({"elicitation": {}}, name="ask_name", arguments={})
    async with connected(make_server()) as (client, _wire):
        first = await client.request("tools/call", original)
        assert "requestState" in first
        again = retry(original, first)
        again["requestState"] = tamper(first["requestState"])
        await code_of(client, "tools/call", again)


async def test_an_expired_request_state_is_rejected() -> None:
    """mrtr.mdx: servers SHOULD put a short expiry in requestState and reject it once lapsed."""
    original = params({"elicitation": {}}, name="ask_name", arguments={})
    async with connected(make_server(state_ttl=0.05)) as (client, _wire):
        first = await client.request("tools/call", original)
        await anyio.sleep(0.5)  # well past the state's lifetime; no assertion depends on speed
        await code_of(client, "tools/call", retry(original, first))


@pytest.mark.parametrize(
    ("method", "fields"),
    [
        pytest.param(
            "tools/call", {"name": "ask_name", "arguments": {"greeting": "bye"}}, id="other-arguments"
        ),
        pytest.param("tools/call", {"name": "ask_model", "arguments": {}}, id="other-tool"),
        pytest.param("prompts/get", {"name": "ask_prompt"}, id="other-method"),
    ],
)
async def test_a_request_state_for_another_request_is_rejected(method: str, fields: dict[str, Any]) -> None:
    """mrtr.mdx: requestState SHOULD identify its originating request (method and a digest of
    its parameters) and be rejected on a request that does not match."""
    caps: dict[str, Any] = {"elicitation": {}, "sampling": {}}
    original = params(caps, name="ask_name", arguments={"greeting": "hi"})
    async with connected(make_server()) as (client, _wire):
        first = await client.request("tools/call", original)
        other = params(caps, **fields, inputResponses={}, requestState=first["requestState"])
        other["inputResponses"] = {k: ANSWERS[r["method"]] for k, r in first["inputRequests"].items()}
        await code_of(client, method, other)


async def test_a_retry_missing_its_answer_is_asked_again() -> None:
    """mrtr.mdx §Error Handling: when the client leaves out requested information, the server
    SHOULD answer with a new InputRequiredResult asking again, rather than an error."""
    original = params({"elicitation": {}}, name="ask_name", arguments={})
    async with connected(make_server()) as (client, _wire):
        first = await client.request("tools/call", original)
        again = {**original, "requestState": first["requestState"]} if "requestState" in first else original
        second = await client.request("tools/call", again)
    assert second["resultType"] == "input_required"
    assert [r["method"] for r in second["inputRequests"].values()] == ["elicitation/create"]


async def test_unexpected_input_responses_are_ignored() -> None:
    """mrtr.mdx §Error Handling: information the server did not ask for SHOULD be ignored."""
    original = params({"elicitation": {}}, name="ask_name", arguments={})
    async with connected(make_server()) as (client, _wire):
        first = await client.request("tools/call", original)
        again = retry(original, first)
        again["inputResponses"]["not-asked"] = {"action": "decline"}
        second = await client.request("tools/call", again)
    assert text(second) == "hello Ada"


async def test_a_malformed_input_response_is_a_protocol_error() -> None:
    """mrtr.mdx §Error Handling: servers SHOULD validate inputResponses; an invalid one gets a
    JSON-RPC error."""
    original = params({"elicitation": {}}, name="ask_name", arguments={})
    async with connected(make_server()) as (client, _wire):
        first = await client.request("tools/call", original)
        again = retry(original, first)
        ((key, _),) = first["inputRequests"].items()
        again["inputResponses"][key] = {"action": "maybe"}
        await code_of(client, "tools/call", again)


# =============================================================================================
# Cancellation on a shared channel (basic/patterns/cancellation.mdx, transports/stdio.mdx)
# =============================================================================================


async def test_notifications_cancelled_stops_the_request_and_it_gets_no_answer() -> None:
    """cancellation.mdx: on receiving notifications/cancelled the server SHOULD stop the request
    and not answer it; stdio.mdx: it MUST NOT send any further messages for it."""
    signals = Signals()
    async with connected(make_server(signals)) as (client, wire), anyio.create_task_group() as group:
        rid = client.reserve_id()

        async def call() -> None:
            await client.request(
                "tools/call",
                params(token="hang", name="hang", arguments={}),
                request_id=rid,
                timeout=None,
                announce_cancel=False,
            )

        group.start_soon(call)
        with anyio.fail_after(10):
            await signals.started.wait()
        await client.notify("notifications/cancelled", {"requestId": rid, "reason": "changed my mind"})
        with anyio.fail_after(10):
            await signals.cancelled.wait()
        heard = len([m for m in wire.received() if m.get("params", {}).get("progressToken") == "hang"])
        await client.request("server/discover", params())  # a late answer would have come first
        group.cancel_scope.cancel()
    assert wire.answers(rid) == []
    assert len([m for m in wire.received() if m.get("params", {}).get("progressToken") == "hang"]) == heard


# =============================================================================================
# subscriptions/listen (basic/patterns/subscriptions.mdx)
# =============================================================================================

EVERYTHING: dict[str, Any] = {
    "toolsListChanged": True,
    "promptsListChanged": True,
    "resourcesListChanged": True,
    "resourceSubscriptions": ["mem://greeting"],
}


async def test_listen_is_acknowledged_first_with_the_honored_filter() -> None:
    """subscriptions.mdx: the first message carrying the subscription's id is
    notifications/subscriptions/acknowledged, whose filter is the subset the server honors; this
    server declares listChanged and subscribe support, so it honors everything asked."""
    ended: dict[RequestId, Any] = {}
    async with connected(make_server()) as (client, wire), anyio.create_task_group() as group:
        sub = start_listen(group, client, EVERYTHING, ended)
        await wire.until(lambda: wire.on_subscription(sub))
        discovered = await client.request("server/discover", params())
        group.cancel_scope.cancel()
    first = wire.on_subscription(sub)[0]
    assert first["method"] == "notifications/subscriptions/acknowledged"
    assert first["params"]["_meta"][SUBSCRIPTION_ID] == sub
    honored = first["params"]["notifications"]
    for key, value in honored.items():
        assert key in EVERYTHING
        if isinstance(value, list):
            assert set(value) <= set(EVERYTHING[key])
        else:
            assert value == EVERYTHING[key]
    caps = discovered["capabilities"]
    assert caps["tools"]["listChanged"] and caps["prompts"]["listChanged"] and caps["resources"]["subscribe"]
    assert honored == EVERYTHING


async def test_listen_delivers_only_the_kinds_requested() -> None:
    """subscriptions.mdx: the server MUST NOT send notification types the client did not request;
    every notification on the stream carries the listen request's id as subscriptionId."""
    ended: dict[RequestId, Any] = {}
    server = make_server()
    async with connected(server) as (client, wire), anyio.create_task_group() as group:
        sub = start_listen(group, client, {"toolsListChanged": True}, ended)
        await wire.until(lambda: wire.on_subscription(sub))
        server.add_prompt(lambda: "later", name="late_prompt")
        server.add_resource(lambda: "later", "mem://late")
        await server.notify_resource_updated("mem://greeting")
        server.add_tool(lambda: "later", name="late_tool")
        await wire.until(lambda: len(wire.on_subscription(sub)) >= 2)
        server.remove_tool("late_tool")  # a second tools change: anything else sent would be here
        await wire.until(lambda: len(wire.on_subscription(sub)) >= 3)
        group.cancel_scope.cancel()
    notes = [m for m in wire.received() if "method" in m]
    assert [m["method"] for m in notes] == [
        "notifications/subscriptions/acknowledged",
        "notifications/tools/list_changed",
        "notifications/tools/list_changed",
    ]
    assert all(m["params"]["_meta"][SUBSCRIPTION_ID] == sub for m in notes)


def _add_tool(server: Server) -> None:
    server.add_tool(lambda: "later", name="late_tool")


def _add_prompt(server: Server) -> None:
    server.add_prompt(lambda: "later", name="late_prompt")


def _add_resource(server: Server) -> None:
    server.add_resource(lambda: "later", "mem://late")


@pytest.mark.parametrize(
    ("wanted", "change", "method"),
    [
        ({"toolsListChanged": True}, _add_tool, "notifications/tools/list_changed"),
        ({"promptsListChanged": True}, _add_prompt, "notifications/prompts/list_changed"),
        ({"resourcesListChanged": True}, _add_resource, "notifications/resources/list_changed"),
    ],
    ids=["tools", "prompts", "resources"],
)
async def test_each_kind_of_list_change_reaches_a_listener_that_asked(
    wanted: dict[str, Any], change: Callable[[Server], None], method: str
) -> None:
    """subscriptions.mdx §Notification Filter: each *ListChanged flag delivers its own
    notification, tagged with the subscription id."""
    ended: dict[RequestId, Any] = {}
    server = make_server()
    async with connected(server) as (client, wire), anyio.create_task_group() as group:
        sub = start_listen(group, client, wanted, ended)
        await wire.until(lambda: wire.on_subscription(sub))
        change(server)
        await wire.until(lambda: len(wire.on_subscription(sub)) >= 2)
        group.cancel_scope.cancel()
    assert [m["method"] for m in wire.on_subscription(sub)] == [
        "notifications/subscriptions/acknowledged",
        method,
    ]


async def test_resource_updates_only_for_the_listed_uris() -> None:
    """subscriptions.mdx: resourceSubscriptions names the URIs whose updates the client gets."""
    ended: dict[RequestId, Any] = {}
    server = make_server()
    async with connected(server) as (client, wire), anyio.create_task_group() as group:
        sub = start_listen(group, client, {"resourceSubscriptions": ["mem://greeting"]}, ended)
        await wire.until(lambda: wire.on_subscription(sub))
        await server.notify_resource_updated("mem://private")
        await server.notify_resource_updated("mem://greeting")
        await wire.until(lambda: len(wire.on_subscription(sub)) >= 2)
        await server.notify_resource_updated("mem://items/1")
        await server.notify_resource_updated("mem://greeting")
        await wire.until(lambda: len(wire.on_subscription(sub)) >= 3)
        group.cancel_scope.cancel()
    updates = wire.received("notifications/resources/updated")
    assert [u["params"]["uri"] for u in updates] == ["mem://greeting", "mem://greeting"]
    assert all(u["params"]["_meta"][SUBSCRIPTION_ID] == sub for u in updates)


async def test_concurrent_subscriptions_are_kept_apart() -> None:
    """subscriptions.mdx §Multiple Concurrent Subscriptions: each subscription is identified by
    its own listen request id, and gets only what its own filter asked for."""
    ended: dict[RequestId, Any] = {}
    server = make_server()
    async with connected(server) as (client, wire), anyio.create_task_group() as group:
        tools = start_listen(group, client, {"toolsListChanged": True}, ended)
        files = start_listen(group, client, {"resourceSubscriptions": ["mem://greeting"]}, ended)
        await wire.until(lambda: wire.on_subscription(tools) and wire.on_subscription(files))
        server.add_tool(lambda: "later", name="late_tool")
        await server.notify_resource_updated("mem://greeting")
        await wire.until(
            lambda: len(wire.on_subscription(tools)) >= 2 and len(wire.on_subscription(files)) >= 2
        )
        group.cancel_scope.cancel()
    assert tools != files
    assert [m["method"] for m in wire.on_subscription(tools)] == [
        "notifications/subscriptions/acknowledged",
        "notifications/tools/list_changed",
    ]
    assert [m["method"] for m in wire.on_subscription(files)] == [
        "notifications/subscriptions/acknowledged",
        "notifications/resources/updated",
    ]


async def test_a_cancelled_subscription_goes_quiet() -> None:
    """subscriptions.mdx §Cancellation: on a shared channel the client ends a subscription with
    notifications/cancelled; nothing more is sent for it, not even a response (cancellation.mdx),
    while another subscription goes on."""
    ended: dict[RequestId, Any] = {}
    server = make_server()
    async with connected(server) as (client, wire), anyio.create_task_group() as group:
        dropped = start_listen(group, client, {"toolsListChanged": True}, ended)
        kept = start_listen(group, client, {"toolsListChanged": True}, ended)
        await wire.until(lambda: wire.on_subscription(dropped) and wire.on_subscription(kept))
        await client.notify("notifications/cancelled", {"requestId": dropped})
        await client.request("server/discover", params())
        server.add_tool(lambda: "later", name="late_tool")
        await wire.until(lambda: len(wire.on_subscription(kept)) >= 2)
        await client.request("server/discover", params())
        group.cancel_scope.cancel()
    assert [m["method"] for m in wire.on_subscription(dropped)] == [
        "notifications/subscriptions/acknowledged"
    ]
    assert wire.answers(dropped) == []
    assert dropped not in ended


async def test_the_server_ends_a_subscription_with_a_result() -> None:
    """subscriptions.mdx §Graceful Closure: ending a subscription on its own initiative, the
    server SHOULD answer the listen request with a complete result carrying subscriptionId."""
    ended: dict[RequestId, Any] = {}
    server = make_server()
    async with connected(server) as (client, wire), anyio.create_task_group() as group:
        sub = start_listen(group, client, {"toolsListChanged": True}, ended)
        await wire.until(lambda: wire.on_subscription(sub))
        server.end_subscriptions()
        await wire.until(lambda: wire.answers(sub))
        group.cancel_scope.cancel()
    (answer,) = wire.answers(sub)
    assert answer["result"]["resultType"] == "complete"
    assert answer["result"]["_meta"][SUBSCRIPTION_ID] == sub


# =============================================================================================
# One connection, both eras (basic/versioning.mdx §Backward Compatibility)
# =============================================================================================


async def test_one_connection_serves_a_legacy_session_and_modern_requests() -> None:
    """versioning.mdx: a dual-era server answers initialize and serves that client by the
    legacy revision, while a request carrying modern _meta is served statelessly; the capabilities
    of initialize are not those of a modern request."""
    async with connected(make_server()) as (client, _wire):
        init = await client.request(
            "initialize",
            {"protocolVersion": LEGACY, "capabilities": {"elicitation": {}}, "clientInfo": CLIENT},
        )
        await client.notify("notifications/initialized")
        legacy_tools = await client.request("tools/list")
        modern_tools = await client.request("tools/list", params())
        error = await code_of(client, "tools/call", params({}, name="ask_name", arguments={}))
        echoed = await client.request("tools/call", {"name": "echo", "arguments": {"text": "still legacy"}})
    assert init["protocolVersion"] == LEGACY
    assert {t["name"] for t in legacy_tools["tools"]} == {t["name"] for t in modern_tools["tools"]}
    assert modern_tools["resultType"] == "complete"
    assert error.code == MISSING_CAPABILITY
    assert text(echoed) == "still legacy"


# =============================================================================================
# stdio (basic/transports/stdio.mdx)
# =============================================================================================

ROOT = Path(__file__).resolve().parent.parent
STDIO_SERVER = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
import anyio
from mcpcore.server import Server
from transports.stdio import serve_stdio

server = Server("stdio-modern", "1.0.0")

@server.tool()
def grow(name: str) -> str:
    def extra() -> str:
        return name
    server.add_tool(extra, name=name)
    return "grown"

@server.tool()
def stop_listening() -> str:
    server.end_subscriptions()
    return "stopped"

anyio.run(serve_stdio, server)
"""


class StdioPeer:
    """A raw client on a server process's stdin and stdout, reading one message per line."""

    def __init__(self, process: anyio.abc.Process) -> None:
        assert process.stdin is not None and process.stdout is not None
        self.process = process
        self._stdin = process.stdin
        self._stdout = process.stdout
        self._buffer = b""
        self.sent: dict[Any, dict[str, Any]] = {}
        self.seen: list[dict[str, Any]] = []

    async def send(self, message: dict[str, Any]) -> None:
        if "id" in message:
            self.sent[message["id"]] = message
        await self._stdin.send(orjson.dumps(message) + b"\n")

    async def request(self, rid: Any, method: str, request_params: dict[str, Any]) -> None:
        await self.send({"jsonrpc": "2.0", "id": rid, "method": method, "params": request_params})

    async def read_until(self, condition: Callable[[], object]) -> None:
        for _ in range(10_000):
            if condition():
                return
            while b"\n" not in self._buffer:
                self._buffer += await self._stdout.receive()
            line, self._buffer = self._buffer.split(b"\n", 1)
            self.seen.append(orjson.loads(line))  # every line of stdout is one JSON message
        raise AssertionError("too many messages")

    def answered(self, rid: Any) -> bool:
        return any("method" not in m and m.get("id") == rid for m in self.seen)

    def tagged(self, sub: Any) -> list[dict[str, Any]]:
        return [
            m for m in self.seen if ((m.get("params") or {}).get("_meta") or {}).get(SUBSCRIPTION_ID) == sub
        ]

    async def close(self) -> int:
        """Close stdin (the graceful shutdown signal), read what is left, and wait for the exit."""
        await self._stdin.aclose()
        for _ in range(10_000):
            try:
                self._buffer += await self._stdout.receive()
            except anyio.EndOfStream:
                break
        self.seen.extend(orjson.loads(line) for line in self._buffer.splitlines() if line.strip())
        return await self.process.wait()

    def check(self, listens: Collection[Any]) -> None:
        for message in self.seen:
            answered_request = self.sent.get(message.get("id")) if "method" not in message else None
            check_server_message(message, answered_request, listens)


@asynccontextmanager
async def stdio_server(tmp_path: Path) -> AsyncIterator[StdioPeer]:
    script = tmp_path / "server.py"
    script.write_text(STDIO_SERVER, encoding="utf-8")
    with anyio.fail_after(30):
        async with await anyio.open_process([sys.executable, str(script)], stderr=None) as process:
            yield StdioPeer(process)


async def test_stdio_probe_listen_and_cancel(tmp_path: Path) -> None:
    """stdio.mdx: a server/discover probe gets a DiscoverResult; stdout carries only MCP
    messages, one per line, never a request; a listen stream is acknowledged and tagged with
    its id, and after notifications/cancelled nothing more is sent for it; the server exits
    when its stdin closes."""
    async with stdio_server(tmp_path) as peer:
        await peer.request("probe", "server/discover", params())
        await peer.read_until(lambda: peer.answered("probe"))
        await peer.request("L", "subscriptions/listen", params(notifications={"toolsListChanged": True}))
        await peer.read_until(lambda: peer.tagged("L"))
        await peer.request(2, "tools/call", params(name="grow", arguments={"name": "one"}))
        await peer.read_until(lambda: peer.answered(2) and len(peer.tagged("L")) >= 2)
        await peer.send({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": "L"}})
        cancelled_at = len(peer.seen)
        await peer.request(3, "tools/call", params(name="grow", arguments={"name": "two"}))
        await peer.request(4, "server/discover", params())
        await peer.read_until(lambda: peer.answered(3) and peer.answered(4))
        code = await peer.close()
    assert code == 0
    peer.check(["L"])
    probe = next(m for m in peer.seen if m.get("id") == "probe")
    assert MODERN in probe["result"]["supportedVersions"]
    methods = [m["method"] for m in peer.tagged("L")]
    assert methods[:2] == ["notifications/subscriptions/acknowledged", "notifications/tools/list_changed"]
    assert [m for m in peer.tagged("L") if peer.seen.index(m) >= cancelled_at] == []
    assert not peer.answered("L")
    finish()


async def test_stdio_a_subscription_the_server_ends_gets_its_result_and_a_cancellation(
    tmp_path: Path,
) -> None:
    """subscriptions.mdx §Graceful Closure: the server SHOULD answer the listen request with a
    complete result; cancellation.mdx: on stdio it MUST also send notifications/cancelled naming
    the listen request when it tears the stream down."""
    async with stdio_server(tmp_path) as peer:
        await peer.request("S", "subscriptions/listen", params(notifications={"toolsListChanged": True}))
        await peer.read_until(lambda: peer.tagged("S"))
        await peer.request(2, "tools/call", params(name="stop_listening", arguments={}))
        await peer.read_until(lambda: peer.answered(2) and peer.answered("S"))
        await peer.request(3, "server/discover", params())
        await peer.read_until(lambda: peer.answered(3))
        code = await peer.close()
    assert code == 0
    peer.check(["S"])
    (result,) = [m["result"] for m in peer.seen if m.get("id") == "S" and "method" not in m]
    assert result["resultType"] == "complete" and result["_meta"][SUBSCRIPTION_ID] == "S"
    cancels = [m for m in peer.seen if m.get("method") == "notifications/cancelled"]
    assert [c["params"]["requestId"] for c in cancels] == ["S"]
    finish()


# =============================================================================================
# Streamable HTTP, 2026-07-28 (basic/transports/streamable-http.mdx)
# =============================================================================================


@pytest.mark.parametrize("method", ["GET", "DELETE"])
async def test_http_get_and_delete_are_405(method: str) -> None:
    """streamable-http.mdx §Earlier Streamable HTTP Revisions: a server supporting only this
    revision SHOULD answer GET and DELETE on the endpoint with 405."""
    async with over_http(modern_only()) as raw:
        answer = await raw.request(method, headers={"mcp-protocol-version": MODERN})
        ok = await post(raw, "tools/list", params())
    assert answer.status == 405
    assert ok.status == 200


async def test_http_a_modern_request_mints_and_echoes_no_session() -> None:
    """streamable-http.mdx: a modern-only server ignores Mcp-Session-Id, and neither mints nor
    echoes session ids."""
    async with over_http(modern_only()) as raw:
        fresh = await post(raw, "server/discover", params())
        stale = await post(raw, "server/discover", params(), headers={"mcp-session-id": "from-2025"})
    assert the_result(fresh)["resultType"] == "complete"
    assert the_result(stale)["resultType"] == "complete"
    assert "mcp-session-id" not in fresh.headers and "mcp-session-id" not in stale.headers


async def test_http_last_event_id_is_ignored() -> None:
    """streamable-http.mdx: streams are not resumable; a modern-only server ignores Last-Event-ID."""
    async with over_http(modern_only()) as raw:
        answer = await post(
            raw, "tools/call", params(name="echo", arguments={"text": "hi"}), headers={"last-event-id": "7"}
        )
    assert text(the_result(answer)) == "hi"


async def test_http_requests_without_the_version_header_are_header_mismatches() -> None:
    """streamable-http.mdx: a server that does not support pre-2025-06-18 clients MUST reject a
    POST without MCP-Protocol-Version per Server Validation: 400 and -32020."""
    async with over_http(modern_only()) as raw:
        answer = await post(raw, "tools/list", params(), headers={"mcp-protocol-version": None})
    assert answer.status == 400
    assert the_error(answer)["code"] == HEADER_MISMATCH


@pytest.mark.parametrize(
    ("server_kind", "header_version", "body_version"),
    [
        ("modern-only", MODERN, LEGACY),
        ("dual-era", MODERN, LEGACY),
        ("dual-era", LEGACY, MODERN),
    ],
)
async def test_http_version_header_and_body_must_match(
    server_kind: str, header_version: str, body_version: str
) -> None:
    """streamable-http.mdx §Protocol Version Header: the header MUST match _meta's protocolVersion;
    if not, 400 and HeaderMismatch (-32020)."""
    server = modern_only() if server_kind == "modern-only" else make_server()
    async with over_http(server) as raw:
        answer = await post(
            raw, "tools/list", params(version=body_version), headers={"mcp-protocol-version": header_version}
        )
    assert answer.status == 400
    assert the_error(answer)["code"] == HEADER_MISMATCH


@pytest.mark.parametrize("server_kind", ["modern-only", "dual-era"])
async def test_http_an_unsupported_version_is_400_with_the_supported_list(server_kind: str) -> None:
    """streamable-http.mdx: a version the server does not implement gets 400 and
    UnsupportedProtocolVersionError listing what it supports."""
    server = modern_only() if server_kind == "modern-only" else make_server()
    async with over_http(server) as raw:
        answer = await post(
            raw, "tools/list", params(version="1900-01-01"), headers={"mcp-protocol-version": "1900-01-01"}
        )
    assert answer.status == 400
    error = the_error(answer)
    assert error["code"] == UNSUPPORTED_VERSION
    assert error["data"]["requested"] == "1900-01-01"
    assert MODERN in error["data"]["supported"]


@pytest.mark.parametrize(
    "value", [pytest.param(None, id="missing"), "tools/call", pytest.param("TOOLS/LIST", id="case-differs")]
)
async def test_http_mcp_method_must_be_present_and_match(value: str | None) -> None:
    """streamable-http.mdx §Server Validation: Mcp-Method is required and MUST equal the body's
    method (header values are case-sensitive); otherwise 400 and -32020."""
    async with over_http(make_server()) as raw:
        answer = await post(raw, "tools/list", params(), headers={"mcp-method": value})
    assert answer.status == 400
    assert the_error(answer)["code"] == HEADER_MISMATCH


NAMED_CALLS = [
    ("tools/call", {"name": "echo", "arguments": {"text": "hi"}}),
    ("prompts/get", {"name": "greet", "arguments": {"name": "Ada"}}),
    ("resources/read", {"uri": "mem://greeting"}),
]


@pytest.mark.parametrize(("method", "fields"), NAMED_CALLS, ids=[m for m, _ in NAMED_CALLS])
@pytest.mark.parametrize(
    "value", [pytest.param(None, id="missing"), pytest.param("something-else", id="other")]
)
async def test_http_mcp_name_must_be_present_and_match(
    method: str, fields: dict[str, Any], value: str | None
) -> None:
    """streamable-http.mdx §Standard Request Headers: Mcp-Name (params.name or params.uri) is
    required on tools/call, resources/read and prompts/get, and MUST match: else 400, -32020."""
    async with over_http(make_server()) as raw:
        answer = await post(raw, method, params(**fields), headers={"mcp-name": value})
        good = await post(raw, method, params(**fields))
    assert answer.status == 400
    assert the_error(answer)["code"] == HEADER_MISMATCH
    assert the_result(good)["resultType"] == "complete"


async def test_http_a_base64_mcp_name_is_decoded_before_comparing() -> None:
    """streamable-http.mdx §Value Encoding: servers MUST decode a =?base64?...?= Mcp-Name before
    comparing it with the body; a name outside the header-safe set travels that way."""
    server = make_server()

    def shout(text: str) -> str:
        return text.upper()

    server.add_tool(shout, name="grüße")
    assert header_value("Hello, 世界") == "=?base64?SGVsbG8sIOS4lueVjA==?="  # the spec's own example
    encoded_echo = f"=?base64?{base64.b64encode(b'echo').decode()}?="
    encoded_other = f"=?base64?{base64.b64encode(b'other').decode()}?="
    async with over_http(server) as raw:
        unicode_name = await post(raw, "tools/call", params(name="grüße", arguments={"text": "hi"}))
        encoded = await post(
            raw,
            "tools/call",
            params(name="echo", arguments={"text": "hi"}),
            headers={"mcp-name": encoded_echo},
        )
        wrong = await post(
            raw,
            "tools/call",
            params(name="echo", arguments={"text": "hi"}),
            headers={"mcp-name": encoded_other},
        )
    assert text(the_result(unicode_name)) == "HI"
    assert text(the_result(encoded)) == "hi"
    assert wrong.status == 400 and the_error(wrong)["code"] == HEADER_MISMATCH


async def test_http_header_names_are_case_insensitive() -> None:
    """streamable-http.mdx §Case Sensitivity: header names MUST be compared case-insensitively."""
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": params(name="echo", arguments={"text": "hi"}),
    }
    async with over_http(make_server()) as raw:
        answer = await raw.post(
            body, headers={"MCP-PROTOCOL-VERSION": MODERN, "MCP-METHOD": "tools/call", "mCp-NaMe": "echo"}
        )
        check_http(answer, body)
    assert text(the_result(answer)) == "hi"


ROUTE_ARGUMENTS = {"region": "us-west1", "count": 42, "loud": True}
ROUTE_HEADERS = {"mcp-param-region": "us-west1", "mcp-param-count": "42", "mcp-param-loud": "true"}


async def test_http_mcp_param_headers_that_match_are_accepted() -> None:
    """streamable-http.mdx §Custom Headers: x-mcp-header parameters are mirrored as Mcp-Param-*
    (string as is, integer in decimal, boolean lowercase); matching headers pass."""
    async with over_http(make_server()) as raw:
        listed = the_result(await post(raw, "tools/list", params()))
        answer = await post(
            raw, "tools/call", params(name="route", arguments=ROUTE_ARGUMENTS), headers=ROUTE_HEADERS
        )
    (tool,) = [t for t in listed["tools"] if t["name"] == "route"]
    marks = {p: s.get("x-mcp-header") for p, s in tool["inputSchema"]["properties"].items()}
    assert marks == {"region": "Region", "count": "Count", "loud": "Loud"}
    assert text(the_result(answer)) == "us-west1 x42!"


@pytest.mark.parametrize("left_out", list(ROUTE_HEADERS))
async def test_http_a_missing_mcp_param_header_is_rejected(left_out: str) -> None:
    """streamable-http.mdx: a client that omits the header while the value is in the body is
    non-conforming, and the server MUST reject the request: 400 and -32020."""
    async with over_http(make_server()) as raw:
        answer = await post(
            raw,
            "tools/call",
            params(name="route", arguments=ROUTE_ARGUMENTS),
            headers={**ROUTE_HEADERS, left_out: None},
        )
    assert answer.status == 400
    assert the_error(answer)["code"] == HEADER_MISMATCH


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("mcp-param-region", "us-east1"),
        ("mcp-param-region", "US-WEST1"),
        ("mcp-param-count", "41"),
        ("mcp-param-loud", "false"),
        ("mcp-param-region", f"=?base64?{base64.b64encode(b'us-east1').decode()}?="),
    ],
)
async def test_http_a_mismatched_mcp_param_header_is_rejected(name: str, value: str) -> None:
    """streamable-http.mdx: the server MUST validate that (decoded) header values match the
    body; a mismatch is 400 and -32020."""
    async with over_http(make_server()) as raw:
        answer = await post(
            raw,
            "tools/call",
            params(name="route", arguments=ROUTE_ARGUMENTS),
            headers={**ROUTE_HEADERS, name: value},
        )
    assert answer.status == 400
    assert the_error(answer)["code"] == HEADER_MISMATCH


async def test_http_no_mcp_param_header_is_expected_for_an_absent_argument() -> None:
    """streamable-http.mdx: a parameter not in the arguments gets no header, and the server MUST
    NOT expect one."""
    async with over_http(make_server()) as raw:
        answer = await post(
            raw,
            "tools/call",
            params(name="route", arguments={"region": "eu"}),
            headers={"mcp-param-region": "eu"},
        )
    assert text(the_result(answer)) == "eu x1"


@pytest.mark.parametrize(
    "region", ["Hello, 世界", " padded ", "line1\nline2", "=?base64?literal?=", "us-west1"]
)
async def test_http_base64_mcp_param_values_are_decoded(region: str) -> None:
    """streamable-http.mdx §Value Encoding: values unsafe in a header (non-ASCII, control
    characters, edge whitespace, the sentinel itself) travel as =?base64?...?=, and servers MUST
    decode them before comparing; a safe value may be sent encoded too."""
    encoded = f"=?base64?{base64.b64encode(region.encode()).decode()}?="
    async with over_http(make_server()) as raw:
        answer = await post(
            raw,
            "tools/call",
            params(name="route", arguments={"region": region}),
            headers={"mcp-param-region": encoded},
        )
    assert text(the_result(answer)) == f"{region} x1"


async def test_http_integer_mcp_params_compare_numerically() -> None:
    """streamable-http.mdx §Server Validation: servers SHOULD compare integers numerically
    ("42.0" and 42 are equal)."""
    async with over_http(make_server()) as raw:
        answer = await post(
            raw,
            "tools/call",
            params(name="route", arguments={"region": "eu", "count": 42}),
            headers={"mcp-param-region": "eu", "mcp-param-count": "42.0"},
        )
    assert text(the_result(answer)) == "eu x42"


async def test_http_an_mcp_param_header_with_invalid_characters_is_rejected() -> None:
    """streamable-http.mdx: servers MUST reject a recognized Mcp-Param header containing
    invalid characters (a raw non-ASCII byte), even when its Latin-1 reading equals the body."""
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": params(name="route", arguments={"region": "café"}),
    }
    headers = [
        (b"accept", ACCEPT_BOTH.encode()),
        (b"content-type", b"application/json"),
        (b"mcp-protocol-version", MODERN.encode()),
        (b"mcp-method", b"tools/call"),
        (b"mcp-name", b"route"),
        (b"mcp-param-region", "café".encode("latin-1")),
    ]
    async with over_http(make_server()) as raw:
        status, reply = await raw_exchange(raw.url, "POST", headers, orjson.dumps(body))
    assert status == 400
    assert reply is not None and reply["error"]["code"] == HEADER_MISMATCH
    check_server_message(reply, body)


@pytest.mark.parametrize("method", ["no/such/method", "ping", "logging/setLevel", "resources/subscribe"])
async def test_http_an_unknown_method_is_404_with_32601(method: str) -> None:
    """streamable-http.mdx §Protocol Version Header: a method the server does not implement gets
    404 and a JSON-RPC -32601 body (which tells it from a legacy server's 404)."""
    fields: dict[str, Any] = {"uri": "mem://greeting"} if method == "resources/subscribe" else {}
    async with over_http(make_server()) as raw:
        answer = await post(raw, method, params(**fields))
    assert answer.status == 404
    assert the_error(answer)["code"] == METHOD_NOT_FOUND


async def test_http_a_batch_is_refused_with_400() -> None:
    """streamable-http.mdx §Sending Messages: the body MUST be a single request or notification;
    a batch is refused with 400 (a JSON-RPC error in the body, if any)."""
    one = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": params()}
    two = {**one, "id": 2}
    async with over_http(make_server()) as raw:
        answer = await raw.post(
            [one, two], headers={"mcp-protocol-version": MODERN, "mcp-method": "tools/list"}
        )
        check_http(answer, None)
    assert answer.status == 400
    if answer.body:
        assert all("error" in m for m in answer.messages())


async def test_http_a_request_without_the_envelope_is_400_invalid_params() -> None:
    """basic/index.mdx: a request missing a required _meta field gets -32602, and on HTTP status 400."""
    async with over_http(make_server()) as raw:
        answer = await post(raw, "tools/list", params(without=[CLIENT_CAPABILITIES]))
        bare = await post(raw, "tools/list", {})
    for refused in (answer, bare):
        assert refused.status == 400
        assert the_error(refused)["code"] == INVALID_PARAMS


async def test_http_a_missing_client_capability_is_400_with_32021() -> None:
    """basic/index.mdx: -32021 for an undeclared capability the request needs; on HTTP, 400."""
    async with over_http(make_server()) as raw:
        answer = await post(raw, "tools/call", params(name="ask_name", arguments={}))
    assert answer.status == 400
    error = the_error(answer)
    assert error["code"] == MISSING_CAPABILITY
    assert "elicitation" in error["data"]["requiredCapabilities"]


async def test_http_input_required_then_retry() -> None:
    """streamable-http.mdx §Message Flow (MRTR): input_required comes back as the result of the
    POST (no server request on any stream), and the retry, a new POST, completes."""
    original = params({"elicitation": {}}, name="ask_name", arguments={})
    async with over_http(make_server()) as raw:
        first = await post(raw, "tools/call", original, rid=1)
        result = the_result(first)
        assert result["resultType"] == "input_required"
        second = await post(raw, "tools/call", retry(original, result), rid=2)
    assert not [m for m in first.messages() if "method" in m]
    assert text(the_result(second)) == "hello Ada"


async def test_http_progress_flows_on_the_request_stream_before_its_answer() -> None:
    """streamable-http.mdx §Receiving Messages: notifications on a request's SSE stream relate to
    that request, and the final response ends the stream."""
    async with over_http(make_server()) as raw:
        answer = await post(raw, "tools/call", params(token="p1", name="steps", arguments={}))
    messages = answer.messages()
    assert answer.headers["content-type"].startswith("text/event-stream")
    assert [m.get("method") for m in messages[:-1]] == ["notifications/progress"] * 3
    assert all(m["params"]["progressToken"] == "p1" for m in messages[:-1])
    assert text(messages[-1]["result"]) == "stepped"


async def test_http_an_sse_answer_turns_off_proxy_buffering() -> None:
    """streamable-http.mdx: when initiating an SSE stream, servers SHOULD send X-Accel-Buffering: no."""
    async with over_http(make_server()) as raw:
        answer = await post(raw, "tools/call", params(token="p1", name="steps", arguments={}))
    assert answer.headers["content-type"].startswith("text/event-stream")
    assert answer.headers.get("x-accel-buffering") == "no"


async def test_http_closing_the_response_stream_cancels_the_request() -> None:
    """streamable-http.mdx §Cancellation: closing the SSE response stream MUST be treated as
    cancellation of that request."""
    signals = Signals()
    async with over_http(make_server(signals)) as raw:
        async with streaming(raw, "tools/call", params(token="h", name="hang", arguments={})) as stream:
            first = await stream.next()
            assert first is not None and first["method"] == "notifications/progress"
            with anyio.fail_after(10):
                await signals.started.wait()
        with anyio.fail_after(10):
            await signals.cancelled.wait()


async def test_http_listen_acknowledges_notifies_and_ends_with_a_result() -> None:
    """subscriptions.mdx over HTTP: the listen POST's answer is an SSE stream whose first message
    is the acknowledgment; changes follow, tagged with the listen id; when the server ends the
    subscription it sends the listen result, then closes the stream."""
    server = make_server()
    listen = params(notifications={"toolsListChanged": True})
    async with (
        over_http(server) as raw,
        streaming(raw, "subscriptions/listen", listen, rid="sub-1") as stream,
    ):
        assert (stream.response.header("content-type") or "").startswith("text/event-stream")
        with anyio.fail_after(10):
            ack = await stream.next()
            server.add_tool(lambda: "later", name="late_tool")
            change = await stream.next()
            server.end_subscriptions()
            rest = await stream.rest()
    assert ack is not None and ack["method"] == "notifications/subscriptions/acknowledged"
    assert ack["params"]["notifications"] == {"toolsListChanged": True}
    assert change is not None and change["method"] == "notifications/tools/list_changed"
    assert all(m["params"]["_meta"][SUBSCRIPTION_ID] == "sub-1" for m in (ack, change))
    assert len(rest) == 1 and rest[0]["id"] == "sub-1"
    assert rest[0]["result"]["_meta"][SUBSCRIPTION_ID] == "sub-1"


async def test_http_closing_a_listen_stream_ends_the_subscription() -> None:
    """subscriptions.mdx §Cancellation: on HTTP the client ends a subscription by closing its
    stream; the server holds it no longer (its registry of open listen streams empties)."""
    server = make_server()
    async with over_http(server) as raw:
        async with streaming(
            raw, "subscriptions/listen", params(notifications={"toolsListChanged": True})
        ) as stream:
            with anyio.fail_after(10):
                ack = await stream.next()
            assert server.listeners
        with anyio.fail_after(10):
            while server.listeners:  # noqa: ASYNC110 - the registry has no event to wait on
                await anyio.sleep(0.01)
    assert ack is not None and ack["method"] == "notifications/subscriptions/acknowledged"


async def test_http_logs_go_to_their_request_stream_never_to_a_listen_stream() -> None:
    """logging.mdx and streamable-http.mdx: notifications/message flows only on the response
    stream of the request that set the level; a listen stream never carries one."""
    server = make_server()
    listen = params(notifications=EVERYTHING)
    async with (
        over_http(server) as raw,
        streaming(raw, "subscriptions/listen", listen, rid="sub-2") as stream,
    ):
        with anyio.fail_after(10):
            ack = await stream.next()
            chatty = await post(
                raw, "tools/call", params(log_level="error", token="t", name="chatty", arguments={})
            )
            server.end_subscriptions()
            rest = await stream.rest()
    assert ack is not None and ack["method"] == "notifications/subscriptions/acknowledged"
    levels = [m["params"]["level"] for m in chatty.messages() if m.get("method") == "notifications/message"]
    assert levels == ["error", "critical", "alert", "emergency"]
    assert [m.get("method") for m in rest if "method" in m] == []


async def test_http_a_dual_era_endpoint_still_serves_a_legacy_client() -> None:
    """versioning.mdx §Compatibility Matrix (Legacy client, dual-era server): the server answers
    initialize and serves the session by the negotiated legacy revision, beside modern requests."""
    async with over_http(make_server()) as raw:
        modern_before = await post(raw, "tools/list", params())
        init = await raw.initialize(LEGACY)
        legacy = await raw.post({"jsonrpc": "2.0", "id": 5, "method": "tools/list"})
        session, raw.session, raw.version = raw.session, None, None
        modern_after = await post(raw, "tools/list", params())
    assert init.json()["result"]["protocolVersion"] == LEGACY
    assert session is not None
    assert {t["name"] for t in legacy.messages()[-1]["result"]["tools"]} >= {"echo", "route"}
    assert the_result(modern_before)["resultType"] == the_result(modern_after)["resultType"] == "complete"


async def test_http_a_legacy_initialize_to_a_modern_only_server_is_400_naming_versions() -> None:
    """versioning.mdx §Compatibility Matrix (Legacy client, modern server): initialize lacks the
    required headers and is rejected with 400; the error SHOULD name the supported versions."""
    body = {
        "jsonrpc": "2.0",
        "id": 0,
        "method": "initialize",
        "params": {"protocolVersion": LEGACY, "capabilities": {}, "clientInfo": CLIENT},
    }
    async with over_http(modern_only()) as raw:
        answer = await raw.post(body)
        check_http(answer, body)
    assert answer.status == 400
    assert MODERN in answer.body.decode()


async def test_http_an_origin_that_is_not_allowed_is_403() -> None:
    """streamable-http.mdx §Security: an invalid Origin header MUST get 403 Forbidden."""
    async with over_http(make_server()) as raw:
        answer = await post(raw, "tools/list", params(), headers={"origin": "http://evil.example"})
    assert answer.status == 403


async def test_http_a_request_state_is_bound_to_its_principal() -> None:
    """mrtr.mdx: servers SHOULD bind requestState to the authenticated principal and reject it
    from another."""

    def auth(token: str | None) -> str | None:
        return token if token in ("alice", "bob") else None

    original = params({"elicitation": {}}, name="ask_name", arguments={})
    async with over_http(make_server(), auth=auth) as raw:
        first = await post(raw, "tools/call", original, headers={"authorization": "Bearer alice"})
        state = the_result(first)
        stolen = await post(
            raw, "tools/call", retry(original, state), rid=2, headers={"authorization": "Bearer bob"}
        )
        own = await post(
            raw, "tools/call", retry(original, state), rid=3, headers={"authorization": "Bearer alice"}
        )
    assert state["resultType"] == "input_required"
    assert "error" in stolen.messages()[-1]
    assert text(the_result(own)) == "hello Ada"


async def test_http_an_accepted_notification_is_202_without_a_body() -> None:
    """streamable-http.mdx §Sending Messages: a notification POST the server accepts gets 202 and
    no body; one it cannot accept gets an HTTP error status."""
    note = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 77}}
    async with over_http(make_server()) as raw:
        answer = await raw.post(
            note, headers={"mcp-protocol-version": MODERN, "mcp-method": "notifications/cancelled"}
        )
    assert (answer.status == 202 and answer.body == b"") or 400 <= answer.status < 500
