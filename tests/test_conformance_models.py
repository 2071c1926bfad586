"""The suite's own message models (``conformance._models``) against the official schemas.

Four checks, on the four handshake revisions and on the stateless 2026-07-28: the models have
the fields, required fields and union members of each revision's schema, definition by
definition; every message of a real session between our client and server, on every revision,
passes them; hand-written messages (valid, invalid, and names of another revision) get the
verdict the official schema gives, plus the stricter rules on top; and random or mutated
messages never crash them and, again, get the schema's verdict. (The official example messages
of 2026-07-28 are run through them in ``tests/test_spec_examples_2026.py``.)
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from functools import cache
from typing import Annotated, Any

import anyio
import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance import _models
from conformance._models import Problem, RevisionError, check_message, validate_message
from mcpcore import content
from mcpcore.client import Client
from mcpcore.errors import McpError
from mcpcore.revisions import HANDSHAKE_VERSIONS, REVISIONS, VERSIONS
from mcpcore.server import Context, Server
from mcpcore.types import LoggingLevel
from tests.schema_check import RESULTS, Capture, _by_method, _payload, _validator, served
from tests.spec import SPEC_DIR, definitions, needs_spec, union_methods

Sender = _models.Sender
Sent = tuple[Sender, Any, str | None]  # who sent it, the message, the method a response answers

PNG = "iVBORw0KGgo="  # base64 of the PNG signature
ICON = {"src": "https://example.com/icon.png", "mimeType": "image/png", "sizes": ["48x48"]}
LATEST = HANDSHAKE_VERSIONS[-1]
MODERN = "2026-07-28"


# -- the official verdict -------------------------------------------------------------------------

_TASK_RESULTS = {
    "tasks/get": "GetTaskResult",
    "tasks/result": "GetTaskPayloadResult",
    "tasks/cancel": "CancelTaskResult",
    "tasks/list": "ListTasksResult",
}
_AUGMENTED = {"tools/call", "sampling/createMessage", "elicitation/create"}


@cache
def _official(revision: str, definition: str) -> Any:
    """The official validator of ``definition``, with one correction for 2026-07-28: its
    schema.json types a JSONValue as an object, array, string, integer or boolean, where
    schema.ts (the source of truth, which the JSON is generated from) allows any number and null
    too. Our models follow schema.ts, so the verdict they are held to does as well."""
    if revision != MODERN:
        return _validator(revision, definition, False)
    import jsonschema

    schema = json.loads((SPEC_DIR / revision / "schema.json").read_text(encoding="utf-8"))
    schema["$defs"]["JSONValue"] = {}  # any JSON value
    return jsonschema.Draft202012Validator({**schema, "$ref": f"#/$defs/{definition}"})


@cache
def _removed_methods(revision: str) -> frozenset[str]:
    """Methods that a handshake revision's message unions hold and ``revision``'s do not (bar
    the tasks, which 2026-07-28 leaves to an extension): the revision's schema refuses them."""
    unions = ("ClientRequest", "ServerRequest", "ClientNotification", "ServerNotification")
    own = {name for union in unions for name in union_methods(revision, union)}
    older = {
        name for rev in HANDSHAKE_VERSIONS if rev < revision for u in unions for name in union_methods(rev, u)
    }
    return frozenset(name for name in older - own if "tasks/" not in name)


def _result_definitions(revision: str, method: str) -> list[str]:
    """The definitions a result of ``method`` may match: from 2026-07-28 the schema says so in
    the method's own response definition (``CallToolResultResponse``: an input-required result
    or a CallToolResult); before, the method's result, or a task where one may be asked for."""
    defs = definitions(revision)
    wanted = {**RESULTS, **_TASK_RESULTS}.get(method, "Result")
    response = defs.get(f"{wanted}Response")
    if response is not None:
        node = response["properties"]["result"]
        return [member["$ref"].rsplit("/", 1)[-1] for member in node.get("anyOf", [node])]
    names = [wanted if wanted in defs else "Result"]
    if method in _AUGMENTED and "CreateTaskResult" in defs:
        names.append("CreateTaskResult")
    return names


def official_valid(revision: str, message: Any, method: str | None = None) -> bool:
    """Whether the official schema accepts ``message``, checked as the suite's schema check does:
    the envelope against JSONRPCMessage, then the payload against the definition of its method
    (a result against the result of ``method``, or a task where the request could ask for one);
    in 2026-07-28 a method that only the handshake revisions have is refused too."""
    if not _official(revision, "JSONRPCMessage").is_valid(message):
        return False
    items = message if isinstance(message, list) else [message]
    for item in items:
        name = item.get("method")
        if isinstance(name, str):
            if name in _removed_methods(revision):
                return False
            definition = _by_method(revision, name)
            if definition is not None:
                payload = _payload(revision, definition, item)
                if not _official(revision, definition).is_valid(payload):
                    return False
        elif "result" in item and method is not None and not isinstance(message, list):
            names = _result_definitions(revision, method)
            if not any(_official(revision, name).is_valid(item["result"]) for name in names):
                return False
    return True


def assert_agrees(revision: str, sender: Sender, message: Any, method: str | None = None) -> list[Problem]:
    """Our problems of kind "schema" exist exactly when the official schema refuses the message."""
    problems = check_message(revision, message, sender=sender, method=method)
    ours = [p for p in problems if p.kind == "schema"]
    valid = official_valid(revision, message, method)
    assert bool(ours) != valid, (
        f"{revision}: the official schema finds the message {'valid' if valid else 'invalid'}, "
        f"we report {[str(p) for p in problems]}: {message!r} (method {method})"
    )
    return problems


# -- a real session -------------------------------------------------------------------------------


class Weather(pydantic.BaseModel):
    city: str
    celsius: float


def corpus_server() -> Server:
    """A server that makes every kind of message it can, on any revision."""
    server = Server(
        "corpus",
        "1.0",
        title="Corpus",
        description="Sends every kind of message",
        website_url="https://example.com",
        icons=[ICON],  # type: ignore[list-item]
        instructions="Try everything.",
        page_size=4,
    )

    @server.tool(title="Echo", annotations={"readOnlyHint": True}, icons=[ICON], meta={"example.com/k": 1})  # type: ignore[list-item]
    async def echo(text: str) -> str:
        """Repeat the text."""
        return text

    @server.tool()
    async def weather(city: str = "Oslo") -> Weather:
        return Weather(city=city, celsius=21.5)

    @server.tool()
    async def media() -> list[Any]:
        return [
            content.text("t", annotations={"audience": ["user"], "priority": 0.5}),
            content.image(b"\x89PNG", "image/png"),
            content.audio(b"RIFF", "audio/wav"),
            content.resource_link("file:///a.txt", "a", title="A file", mime_type="text/plain", size=3),
            content.embedded("file:///b.txt", text="bee", mime_type="text/plain"),
            content.embedded("file:///c.bin", blob=b"\x00\x01", mime_type="application/octet-stream"),
        ]

    @server.tool()
    async def slow(ctx: Context, steps: int = 2) -> str:
        for i in range(1, steps + 1):
            await ctx.report_progress(i, steps, f"step {i}")
        return "done"

    @server.tool()
    async def chatty(ctx: Context) -> str:
        levels: tuple[LoggingLevel, ...] = ("debug", "info", "warning", "error")
        for level in levels:
            await ctx.log(level, {"level": level}, logger="chatty")
        return "ok"

    @server.tool()
    async def fail() -> str:
        raise RuntimeError("on purpose")

    @server.tool()
    async def ask_model(ctx: Context) -> str:
        result = await ctx.sample(
            "What is 2+2?",
            max_tokens=10,
            system_prompt="terse",
            temperature=0.5,
            stop_sequences=["\n"],
            model_preferences={"hints": [{"name": "small"}], "speedPriority": 1},
            include_context="none",
            metadata={"k": "v"},
        )
        return str(result["model"])

    @server.tool()
    async def ask_model_tools(ctx: Context) -> str:
        calc = {"name": "calc", "inputSchema": {"type": "object"}}
        first = await ctx.sample("2+2?", max_tokens=10, tools=[calc], tool_choice={"mode": "auto"})
        use = first["content"][0]
        messages: list[dict[str, Any]] = [
            {"role": "user", "content": {"type": "text", "text": "2+2?"}},
            {"role": "assistant", "content": [use]},
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "toolUseId": use["id"],
                        "content": [{"type": "text", "text": "4"}],
                    }
                ],
            },
        ]
        second = await ctx.sample(messages, max_tokens=10, tools=[calc])
        return str(second["model"])

    @server.tool()
    async def ask_user(ctx: Context) -> str:
        class Form(pydantic.BaseModel):
            name: str
            age: int = 30
            size: Annotated[float, pydantic.Field(ge=0)] = 1.0
            happy: bool = True

        answer = await ctx.elicit("Who are you?", Form)
        return answer.action

    @server.tool()
    async def ask_url(ctx: Context) -> str:
        action = await ctx.elicit_url("Sign in", "https://example.com/login", "e-1")
        await ctx.complete_elicitation("e-1")
        return action

    @server.tool()
    async def roots(ctx: Context) -> list[str]:
        return [r["uri"] for r in await ctx.list_roots()]

    @server.tool()
    async def wait() -> str:
        await anyio.sleep_forever()
        return "never"

    @server.resource(
        "file:///readme.txt",
        mime_type="text/plain",
        title="Readme",
        size=5,
        annotations={
            "audience": ["user", "assistant"],
            "priority": 1,
            "lastModified": "2025-01-01T00:00:00Z",
        },
        icons=[ICON],  # type: ignore[list-item]
        meta={"example.com/k": True},
    )
    def readme() -> str:
        return "hello"

    @server.resource("file:///logo.png", mime_type="image/png")
    def logo() -> bytes:
        return b"\x89PNG\r\n"

    @server.resource("users://{user}/profile", mime_type="application/json", title="Profile")
    def profile(user: str) -> str:
        return f'{{"user": "{user}"}}'

    @server.prompt(title="Greeting", icons=[ICON])  # type: ignore[list-item]
    def greet(name: Annotated[str, pydantic.Field(description="who")], style: str = "plain") -> str:
        """Say hello."""
        return f"Hello {name} ({style})"

    @server.prompt()
    def show() -> list[Any]:
        return [
            {"role": "user", "content": content.image(b"\x89PNG", "image/png")},
            {"role": "assistant", "content": content.embedded("file:///b.txt", text="bee")},
        ]

    @server.completion(prompt="greet", argument="style")
    def styles(value: str, arguments: dict[str, str]) -> list[str]:
        return [s for s in ("plain", "pirate", "poem") if s.startswith(value)]

    @server.completion(template="users://{user}/profile", argument="user")
    def users(value: str, arguments: dict[str, str]) -> list[str]:
        return [f"user{i}" for i in range(150) if f"user{i}".startswith(value)]

    return server


async def sampler(params: dict[str, Any]) -> dict[str, Any]:
    if "tools" in params and len(params["messages"]) == 1:
        use = {"type": "tool_use", "id": "u1", "name": "calc", "input": {"expression": "2+2"}}
        return {"role": "assistant", "content": [use], "model": "m", "stopReason": "toolUse"}
    return {
        "role": "assistant",
        "content": {"type": "text", "text": "4"},
        "model": "m",
        "stopReason": "endTurn",
    }


async def elicitor(params: dict[str, Any]) -> dict[str, Any]:
    if params.get("mode") == "url":
        return {"action": "accept"}
    return {"action": "accept", "content": {"name": "Ada", "age": 36, "size": 2, "happy": False}}


async def run_session(rev: str) -> list[Sent]:
    """Every message of a session that uses every feature of ``rev``, as (sender, message, method)."""
    server = corpus_server()
    changed: list[str] = []
    all_changed = anyio.Event()

    def on_changed(kind: str) -> None:
        changed.append(kind)
        if set(changed) >= {"tools", "prompts", "resources"}:
            all_changed.set()

    async with (
        served(server) as (transport, capture),
        Client(
            transport,
            versions=[rev],
            title="Corpus client",
            icons=[ICON],  # type: ignore[list-item]
            sampling=sampler,
            sampling_tools=True,
            elicitation=elicitor,
            elicitation_modes=("form", "url"),
            roots=["file:///work", {"uri": "file:///home", "name": "home"}],
            on_list_changed=on_changed,
        ) as client,
    ):
        await client.ping()
        (session,) = server.sessions
        await session.ping()
        tools = [tool["name"] async for tool in client.list_tools()]  # several pages
        await client.set_logging_level("debug")
        for name in tools:
            if name not in ("wait", "echo", "slow"):
                await client.call_tool(name)
        await client.call_tool("echo", {"text": "hi"}, meta={"example.com/trace": "x"})
        await client.call_tool("slow", {"steps": 2}, progress=lambda progress, total, message: None)
        with pytest.raises(McpError):
            await client.call_tool("nope")  # an error response
        with pytest.raises(McpError):
            await client.request("tools/call", {"name": "wait"}, timeout=0.2)  # then cancelled
        await client.set_logging_level("error")
        [_ async for _ in client.list_resources()]
        [_ async for _ in client.list_resource_templates()]
        for uri in ("file:///readme.txt", "file:///logo.png", "users://ada/profile"):
            await client.read_resource(uri)
        with pytest.raises(McpError):
            await client.read_resource("file:///missing")
        await client.subscribe("file:///readme.txt")
        await server.notify_resource_updated("file:///readme.txt")
        await client.unsubscribe("file:///readme.txt")
        [_ async for _ in client.list_prompts()]
        await client.get_prompt("greet", {"name": "Ada"})
        await client.get_prompt("show")
        with pytest.raises(McpError):
            await client.get_prompt("nope")
        await client.complete({"type": "ref/prompt", "name": "greet"}, "style", "p", context={"name": "Ada"})
        await client.complete({"type": "ref/resource", "uri": "users://{user}/profile"}, "user", "u")
        await client.set_roots(["file:///elsewhere"])
        await client.call_tool("roots")
        with pytest.raises(McpError):
            await client._ready().request("custom/method", {"x": 1})  # a method of nobody's
        server.add_tool(lambda: "late", name="late")
        server.remove_prompt("show")
        server.add_resource(lambda: "new", "file:///new.txt")
        with anyio.fail_after(10):
            await all_changed.wait()
    return sent_by(capture)


async def run_modern_session(rev: str) -> list[Sent]:
    """Every message of a stateless session (no handshake, an envelope per request) that uses
    every feature of ``rev``: discovery, input-required rounds for sampling, elicitation and
    roots, logs asked for per request, progress, cancellation and a listen stream."""
    server = corpus_server()
    async with (
        served(server) as (transport, capture),
        Client(
            transport,
            versions=[rev],
            title="Corpus client",
            icons=[ICON],  # type: ignore[list-item]
            sampling=sampler,
            sampling_tools=True,
            elicitation=elicitor,
            elicitation_modes=("form", "url"),
            roots=["file:///work", {"uri": "file:///home", "name": "home"}],
        ) as client,
    ):
        assert client.modern
        tools = [tool["name"] async for tool in client.list_tools()]  # several pages
        await client.set_logging_level("debug")  # from now on in each request's _meta
        for name in tools:
            if name not in ("wait", "echo", "slow", "ask_url"):  # ask_url: 2025-11-25's URL ids
                await client.call_tool(name)
        await client.call_tool("echo", {"text": "hi"}, meta={"example.com/trace": "x"})
        await client.call_tool("slow", {"steps": 2}, progress=lambda progress, total, message: None)
        with pytest.raises(McpError):
            await client.call_tool("nope")  # an error response
        with pytest.raises(McpError):
            await client.request("tools/call", {"name": "wait"}, timeout=0.2)  # then cancelled
        [_ async for _ in client.list_resources()]
        [_ async for _ in client.list_resource_templates()]
        for uri in ("file:///readme.txt", "file:///logo.png", "users://ada/profile"):
            await client.read_resource(uri)
        with pytest.raises(McpError):
            await client.read_resource("file:///missing")
        [_ async for _ in client.list_prompts()]
        await client.get_prompt("greet", {"name": "Ada"})
        await client.get_prompt("show")
        with pytest.raises(McpError):
            await client.get_prompt("nope")
        await client.complete({"type": "ref/prompt", "name": "greet"}, "style", "p", context={"name": "Ada"})
        await client.complete({"type": "ref/resource", "uri": "users://{user}/profile"}, "user", "u")
        async with client.listen(
            tools=True, prompts=True, resources=True, uris=["file:///readme.txt"]
        ) as sub:
            await server.notify_resource_updated("file:///readme.txt")
            server.add_tool(lambda: "late", name="late")
            server.remove_prompt("show")
            server.add_resource(lambda: "new", "file:///new.txt")
            heard: list[str] = []
            with anyio.fail_after(10):
                async for note in sub:
                    heard.append(note.method)
                    if len(heard) == 4:
                        break
            server.end_subscriptions()  # the stream ends with the listen request's result
            with anyio.fail_after(10):
                assert [note async for note in sub] == []
        assert len(heard) == 4
    return sent_by(capture)


def sent_by(capture: Capture) -> list[Sent]:
    pending: dict[tuple[str, Any], str] = {}
    out: list[Sent] = []
    for direction, message in capture.messages:
        sender: Sender = "client" if direction == "out" else "server"
        method = None
        if "method" in message and "id" in message:
            pending[sender, message["id"]] = message["method"]
        elif "id" in message:
            method = pending.pop(("server" if sender == "client" else "client", message["id"]), None)
        out.append((sender, message, method))
    return out


@cache
def session(rev: str) -> tuple[Sent, ...]:
    run = run_session if REVISIONS[rev].era == "handshake" else run_modern_session
    return tuple(anyio.run(run, rev))


def methods_of(sent: tuple[Sent, ...]) -> set[str]:
    return {m["method"] for _, m, _ in sent if "method" in m} | {f"{m}:result" for _, _, m in sent if m}


@pytest.mark.parametrize("rev", HANDSHAKE_VERSIONS)
def test_every_message_of_a_real_session_is_valid(rev: str) -> None:
    sent = session(rev)
    for sender, message, method in sent:
        assert check_message(rev, message, sender=sender, method=method) == [], (sender, message, method)
    seen = methods_of(sent)
    expected = {
        "initialize",
        "notifications/initialized",
        "ping",
        "tools/list",
        "tools/call",
        "notifications/progress",
        "notifications/message",
        "notifications/cancelled",
        "logging/setLevel",
        "resources/list",
        "resources/templates/list",
        "resources/read",
        "resources/subscribe",
        "resources/unsubscribe",
        "notifications/resources/updated",
        "prompts/list",
        "prompts/get",
        "completion/complete",
        "sampling/createMessage",
        "roots/list",
        "notifications/roots/list_changed",
        "notifications/tools/list_changed",
        "notifications/prompts/list_changed",
        "notifications/resources/list_changed",
        "custom/method",
        "initialize:result",
        "tools/call:result",
        "sampling/createMessage:result",
        "roots/list:result",
    }
    if REVISIONS[rev].has("elicitation"):
        expected |= {"elicitation/create", "elicitation/create:result"}
    if REVISIONS[rev].has("url_elicitation"):
        expected.add("notifications/elicitation/complete")
    assert expected <= seen, expected - seen
    assert any("error" in m for _, m, _ in sent)  # error responses are part of the corpus


def test_every_message_of_a_real_stateless_session_is_valid() -> None:
    sent = session(MODERN)
    for sender, message, method in sent:
        assert check_message(MODERN, message, sender=sender, method=method) == [], (sender, message, method)
    assert methods_of(sent) >= {
        "server/discover",
        "tools/list",
        "tools/call",
        "notifications/progress",
        "notifications/message",
        "notifications/cancelled",
        "resources/list",
        "resources/templates/list",
        "resources/read",
        "prompts/list",
        "prompts/get",
        "completion/complete",
        "subscriptions/listen",
        "notifications/subscriptions/acknowledged",
        "notifications/tools/list_changed",
        "notifications/prompts/list_changed",
        "notifications/resources/list_changed",
        "notifications/resources/updated",
        "server/discover:result",
        "tools/call:result",
        "subscriptions/listen:result",
    }
    results = [m["result"] for _, m, _ in sent if isinstance(m.get("result"), dict)]
    asked = {
        entry["method"]
        for result in results
        if result.get("resultType") == "input_required"
        for entry in result.get("inputRequests", {}).values()
    }
    assert asked == {"sampling/createMessage", "elicitation/create", "roots/list"}
    retried = [m for _, m, _ in sent if "inputResponses" in (m.get("params") or {})]
    assert retried and all(m["method"] == "tools/call" for m in retried)
    assert all("resultType" in result for result in results)
    assert any("error" in m for _, m, _ in sent)


@needs_spec
@pytest.mark.parametrize("rev", VERSIONS)
def test_a_real_session_agrees_with_the_official_schema(rev: str) -> None:
    for sender, message, method in session(rev):
        assert official_valid(rev, message, method), message
        assert_agrees(rev, sender, message, method)


# -- hand-written messages ------------------------------------------------------------------------


def request(method: str, params: Any = None, id: Any = 1) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": id, "method": method}
    if params is not None:
        message["params"] = params
    return message


def notification(method: str, params: Any = None) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        message["params"] = params
    return message


def response(result: Any, id: Any = 1) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": id, "result": result}


TASK = {
    "taskId": "t1",
    "status": "working",
    "statusMessage": "busy",
    "createdAt": "2025-11-25T00:00:00Z",
    "lastUpdatedAt": "2025-11-25T00:00:01Z",
    "ttl": None,
    "pollInterval": 500,
}
TOOL_FULL = {
    "name": "t",
    "title": "T",
    "description": "d",
    "inputSchema": {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
    "outputSchema": {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object"},
    "annotations": {"title": "T", "readOnlyHint": True, "destructiveHint": False, "openWorldHint": False},
    "execution": {"taskSupport": "optional"},
    "icons": [ICON],
    "_meta": {"k": 1},
}
BLOCKS = [
    {"type": "text", "text": "t", "annotations": {"audience": ["user"], "priority": 0}},
    {"type": "image", "data": PNG, "mimeType": "image/png"},
    {"type": "audio", "data": "UklGRg==", "mimeType": "audio/wav"},
    {"type": "resource_link", "uri": "file:///a", "name": "a", "size": 1},
    {"type": "resource", "resource": {"uri": "file:///b", "text": "b"}},
    {"type": "resource", "resource": {"uri": "file:///c", "blob": "AA==", "mimeType": "x/y"}},
]
OLD_FORM = {
    "type": "object",
    "properties": {
        "s": {"type": "string", "title": "S", "minLength": 1, "maxLength": 9, "format": "email"},
        "n": {"type": "integer", "minimum": 0, "maximum": 9},
        "b": {"type": "boolean", "default": True},
        "e": {"type": "string", "enum": ["a", "b"], "enumNames": ["A", "B"]},
    },
    "required": ["s"],
}
NEW_FORM = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "s": {"type": "string", "default": "x"},
        "n": {"type": "number", "default": 1.5},
        "one": {"type": "string", "enum": ["a", "b"], "default": "a"},
        "titled": {"type": "string", "oneOf": [{"const": "a", "title": "A"}]},
        "many": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}, "minItems": 1},
        "titledMany": {"type": "array", "items": {"anyOf": [{"const": "a", "title": "A"}]}, "default": ["a"]},
        "legacy": {"type": "string", "enum": ["a"], "enumNames": ["A"], "default": "a"},
    },
}
CLIENT_CAPS_FULL = {
    "experimental": {"x": {}},
    "roots": {"listChanged": True},
    "sampling": {"context": {}, "tools": {}},
    "elicitation": {"form": {}, "url": {}},
    "tasks": {
        "list": {},
        "cancel": {},
        "requests": {"sampling": {"createMessage": {}}, "elicitation": {"create": {}}},
    },
}
SERVER_CAPS_FULL = {
    "experimental": {},
    "logging": {},
    "completions": {},
    "prompts": {"listChanged": True},
    "resources": {"subscribe": True, "listChanged": False},
    "tools": {"listChanged": True},
    "tasks": {"list": {}, "cancel": {}, "requests": {"tools": {"call": {}}}},
}
IMPLEMENTATION_FULL = {
    "name": "n",
    "version": "1",
    "title": "N",
    "description": "d",
    "websiteUrl": "https://example.com",
    "icons": [ICON],
}

# (sender, message, method of the request a response answers): valid in the newest revision at
# least; checked on every revision for agreement with that revision's schema.
HANDWRITTEN: list[Sent] = [
    (
        "client",
        request(
            "initialize",
            {"protocolVersion": "x", "capabilities": {}, "clientInfo": {"name": "c", "version": "1"}},
        ),
        None,
    ),
    (
        "client",
        request(
            "initialize",
            {
                "protocolVersion": "x",
                "capabilities": CLIENT_CAPS_FULL,
                "clientInfo": IMPLEMENTATION_FULL,
                "_meta": {"progressToken": 1},
            },
        ),
        None,
    ),
    ("client", notification("notifications/initialized"), None),
    ("client", request("ping"), None),
    ("server", request("ping", {"_meta": {"progressToken": "p"}}, id="s-1"), None),
    ("client", request("tools/list", {"cursor": "c"}), None),
    (
        "client",
        request("tools/call", {"name": "t", "arguments": {"a": [1]}, "_meta": {"progressToken": 7}}),
        None,
    ),
    ("client", request("tools/call", {"name": "t", "task": {"ttl": 60000}}), None),
    ("client", request("resources/list"), None),
    ("client", request("resources/templates/list", {}), None),
    ("client", request("resources/read", {"uri": "file:///a"}), None),
    ("client", request("resources/subscribe", {"uri": "file:///a"}), None),
    ("client", request("resources/unsubscribe", {"uri": "file:///a"}), None),
    ("client", request("prompts/list"), None),
    ("client", request("prompts/get", {"name": "p", "arguments": {"a": "b"}}), None),
    (
        "client",
        request(
            "completion/complete",
            {"ref": {"type": "ref/prompt", "name": "p"}, "argument": {"name": "a", "value": ""}},
        ),
        None,
    ),
    (
        "client",
        request(
            "completion/complete",
            {
                "ref": {"type": "ref/resource", "uri": "u://{x}"},
                "argument": {"name": "x", "value": "1"},
                "context": {"arguments": {"y": "2"}},
            },
        ),
        None,
    ),
    ("client", request("logging/setLevel", {"level": "emergency"}), None),
    ("client", request("tasks/get", {"taskId": "t1"}), None),
    ("client", request("tasks/result", {"taskId": "t1"}), None),
    ("client", request("tasks/cancel", {"taskId": "t1"}), None),
    ("client", request("tasks/list", {"cursor": "c"}), None),
    ("client", notification("notifications/cancelled", {"requestId": "r", "reason": "bored"}), None),
    (
        "client",
        notification(
            "notifications/progress", {"progressToken": 1, "progress": 0.5, "total": 1, "message": "half"}
        ),
        None,
    ),
    ("client", notification("notifications/roots/list_changed", {"_meta": {}}), None),
    ("client", notification("notifications/tasks/status", {**TASK, "status": "input_required"}), None),
    (
        "server",
        request(
            "sampling/createMessage",
            {"messages": [{"role": "user", "content": {"type": "text", "text": "hi"}}], "maxTokens": 10},
        ),
        None,
    ),
    (
        "server",
        request(
            "sampling/createMessage",
            {
                "messages": [
                    {"role": "user", "content": {"type": "image", "data": PNG, "mimeType": "image/png"}}
                ],
                "maxTokens": 10.0,
                "modelPreferences": {
                    "hints": [{"name": "m"}],
                    "costPriority": 0,
                    "speedPriority": 1,
                    "intelligencePriority": 0.3,
                },
                "systemPrompt": "s",
                "includeContext": "thisServer",
                "temperature": 1,
                "stopSequences": ["x"],
                "metadata": {"a": 1},
            },
        ),
        None,
    ),
    (
        "server",
        request(
            "sampling/createMessage",
            {
                "messages": [
                    {"role": "user", "content": [{"type": "text", "text": "2+2"}]},
                    {
                        "role": "assistant",
                        "content": [{"type": "tool_use", "id": "u", "name": "calc", "input": {}}],
                    },
                    {
                        "role": "user",
                        "content": [
                            {
                                "type": "tool_result",
                                "toolUseId": "u",
                                "content": [{"type": "text", "text": "4"}],
                                "isError": False,
                                "structuredContent": {"v": 4},
                            }
                        ],
                        "_meta": {},
                    },
                ],
                "maxTokens": 5,
                "tools": [TOOL_FULL],
                "toolChoice": {"mode": "required"},
                "task": {},
            },
        ),
        None,
    ),
    ("server", request("elicitation/create", {"message": "m", "requestedSchema": OLD_FORM}), None),
    (
        "server",
        request(
            "elicitation/create",
            {"mode": "form", "message": "m", "requestedSchema": NEW_FORM, "task": {"ttl": 1}},
        ),
        None,
    ),
    (
        "server",
        request(
            "elicitation/create",
            {"mode": "url", "message": "m", "url": "https://example.com", "elicitationId": "e"},
        ),
        None,
    ),
    ("server", request("roots/list"), None),
    ("server", notification("notifications/message", {"level": "info", "logger": "l", "data": None}), None),
    ("server", notification("notifications/message", {"level": "alert", "data": {"any": ["thing"]}}), None),
    ("server", notification("notifications/resources/updated", {"uri": "file:///a"}), None),
    ("server", notification("notifications/resources/list_changed"), None),
    ("server", notification("notifications/tools/list_changed"), None),
    ("server", notification("notifications/prompts/list_changed"), None),
    ("server", notification("notifications/progress", {"progressToken": "p", "progress": 3}), None),
    ("server", notification("notifications/cancelled", {"requestId": 4}), None),
    ("server", notification("notifications/elicitation/complete", {"elicitationId": "e"}), None),
    ("server", notification("notifications/tasks/status", TASK), None),
    (
        "server",
        response({"protocolVersion": "x", "capabilities": {}, "serverInfo": {"name": "s", "version": "1"}}),
        "initialize",
    ),
    (
        "server",
        response(
            {
                "protocolVersion": "x",
                "capabilities": SERVER_CAPS_FULL,
                "serverInfo": IMPLEMENTATION_FULL,
                "instructions": "i",
                "_meta": {},
            }
        ),
        "initialize",
    ),
    ("server", response({}), "ping"),
    ("client", response({"_meta": {"k": 1}}, id="s-1"), "ping"),
    (
        "server",
        response({"tools": [{"name": "t", "inputSchema": {"type": "object"}}], "nextCursor": "n"}),
        "tools/list",
    ),
    ("server", response({"tools": [TOOL_FULL]}), "tools/list"),
    ("server", response({"content": [{"type": "text", "text": "t"}], "isError": True}), "tools/call"),
    ("server", response({"content": [BLOCKS[0], BLOCKS[1], BLOCKS[4], BLOCKS[5]]}), "tools/call"),
    ("server", response({"content": BLOCKS, "structuredContent": {"a": 1}}), "tools/call"),
    ("server", response({"task": TASK}), "tools/call"),
    (
        "server",
        response(
            {
                "resources": [
                    {
                        "uri": "file:///a",
                        "name": "a",
                        "title": "A",
                        "size": 3,
                        "mimeType": "text/plain",
                        "annotations": {"lastModified": "2025-01-01", "priority": 1},
                        "icons": [ICON],
                        "_meta": {},
                    }
                ]
            }
        ),
        "resources/list",
    ),
    (
        "server",
        response(
            {
                "resourceTemplates": [{"uriTemplate": "u://{x}", "name": "x", "description": "d"}],
                "nextCursor": "n",
            }
        ),
        "resources/templates/list",
    ),
    (
        "server",
        response(
            {
                "contents": [
                    {"uri": "file:///a", "text": "a", "_meta": {}},
                    {"uri": "file:///b", "blob": PNG, "mimeType": "image/png"},
                ]
            }
        ),
        "resources/read",
    ),
    ("server", response({}), "resources/subscribe"),
    (
        "server",
        response(
            {
                "prompts": [
                    {
                        "name": "p",
                        "title": "P",
                        "arguments": [{"name": "a", "title": "A", "required": True}],
                        "icons": [ICON],
                    }
                ]
            }
        ),
        "prompts/list",
    ),
    (
        "server",
        response(
            {
                "description": "d",
                "messages": [
                    {"role": "user", "content": BLOCKS[0]},
                    {"role": "assistant", "content": BLOCKS[4]},
                ],
            }
        ),
        "prompts/get",
    ),
    ("server", response({"messages": [{"role": "user", "content": BLOCKS[3]}]}), "prompts/get"),
    (
        "server",
        response({"completion": {"values": ["a"], "total": 1, "hasMore": False}}),
        "completion/complete",
    ),
    ("server", response({}), "logging/setLevel"),
    ("server", response(TASK), "tasks/get"),
    ("server", response({"anything": "the original result"}), "tasks/result"),
    ("server", response({**TASK, "status": "cancelled"}), "tasks/cancel"),
    ("server", response({"tasks": [TASK], "nextCursor": "n"}), "tasks/list"),
    (
        "client",
        response(
            {
                "role": "assistant",
                "content": {"type": "text", "text": "4"},
                "model": "m",
                "stopReason": "endTurn",
            }
        ),
        "sampling/createMessage",
    ),
    (
        "client",
        response(
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "u", "name": "calc", "input": {"x": 1}}],
                "model": "m",
            }
        ),
        "sampling/createMessage",
    ),
    (
        "client",
        response({"action": "accept", "content": {"s": "x", "n": 1, "b": True}}),
        "elicitation/create",
    ),
    ("client", response({"action": "accept", "content": {"many": ["a", "b"]}}), "elicitation/create"),
    ("client", response({"action": "decline"}), "elicitation/create"),
    ("client", response({"roots": [{"uri": "file:///a", "name": "a", "_meta": {}}]}), "roots/list"),
    ("server", {"jsonrpc": "2.0", "id": 1, "error": {"code": -32601, "message": "Method not found"}}, None),
    ("server", {"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error", "data": [1]}}, None),
    (
        "server",
        {
            "jsonrpc": "2.0",
            "id": 2,
            "error": {
                "code": -32042,
                "message": "URL elicitation required",
                "data": {
                    "elicitations": [
                        {"mode": "url", "message": "m", "url": "https://x", "elicitationId": "e"}
                    ]
                },
            },
        },
        "tools/call",
    ),
    ("client", request("custom/method", {"anything": [1, 2]}), None),
    ("server", notification("custom/notification"), None),
    ("client", [request("ping"), notification("notifications/initialized")], None),
    ("server", [response({}), {"jsonrpc": "2.0", "id": 2, "error": {"code": 1, "message": "m"}}], None),
]


@needs_spec
@pytest.mark.parametrize("rev", HANDSHAKE_VERSIONS)
def test_handwritten_messages_agree_with_the_official_schema(rev: str) -> None:
    verdicts = [assert_agrees(rev, sender, message, method) == [] for sender, message, method in HANDWRITTEN]
    batches = [isinstance(message, list) for _, message, _ in HANDWRITTEN]
    # Batches are valid in 2025-03-26 alone; all else is valid in the newest revision, and older
    # revisions lack some of it.
    assert [v for v, b in zip(verdicts, batches, strict=True) if b] == [rev == "2025-03-26"] * sum(batches)
    assert all(v for v, b in zip(verdicts, batches, strict=True) if not b) == (rev == LATEST)


def test_every_handwritten_message_is_valid_in_the_newest_revision() -> None:
    for sender, message, method in HANDWRITTEN:
        if isinstance(message, list):
            continue  # batches: 2025-03-26 only
        assert validate_message(LATEST, message, sender=sender, method=method) == [], message


# -- hand-written messages of the stateless revision ----------------------------------------------

ENVELOPE = {
    "io.modelcontextprotocol/protocolVersion": MODERN,
    "io.modelcontextprotocol/clientCapabilities": {},
}
CLIENT_CAPS_2026 = {
    "experimental": {"x": {"rate": 0.5, "off": None}},  # numbers and null: JSON values (schema.ts)
    "roots": {},
    "sampling": {"context": {}, "tools": {}},
    "elicitation": {"form": {}, "url": {}},
    "extensions": {"io.modelcontextprotocol/ui": {"mimeTypes": ["text/html;profile=mcp-app"]}},
}
ENVELOPE_FULL = {
    "io.modelcontextprotocol/protocolVersion": MODERN,
    "io.modelcontextprotocol/clientCapabilities": CLIENT_CAPS_2026,
    "io.modelcontextprotocol/clientInfo": IMPLEMENTATION_FULL,
    "io.modelcontextprotocol/logLevel": "notice",
    "progressToken": 3,
    "example.com/trace": "t",
}
SERVER_CAPS_2026 = {
    "experimental": {},
    "logging": {},
    "completions": {},
    "prompts": {"listChanged": True},
    "resources": {"subscribe": True, "listChanged": True},
    "tools": {"listChanged": True},
    "extensions": {"io.modelcontextprotocol/tasks": {}},
}
SERVED_BY = {"io.modelcontextprotocol/serverInfo": IMPLEMENTATION_FULL}
CACHE = {"ttlMs": 60000, "cacheScope": "private"}
SUBSCRIBED = {"io.modelcontextprotocol/subscriptionId": 7}
TOOL_2026 = {
    **{k: v for k, v in TOOL_FULL.items() if k != "execution"},
    "inputSchema": {"type": "object", "oneOf": [{"required": ["a"]}, {"required": ["b"]}]},
    "outputSchema": {"type": "array", "items": {"type": "string"}},
}
INPUT_REQUESTS = {
    "login": {"method": "elicitation/create", "params": {"message": "m", "requestedSchema": NEW_FORM}},
    "link": {"method": "elicitation/create", "params": {"mode": "url", "message": "m", "url": "https://x"}},
    "ask": {
        "method": "sampling/createMessage",
        "params": {
            "messages": [{"role": "user", "content": [{"type": "text", "text": "2+2"}], "_meta": {}}],
            "maxTokens": 5,
            "tools": [TOOL_2026],
            "toolChoice": {"mode": "auto"},
            "includeContext": "none",
        },
    },
    "where": {"method": "roots/list"},
    "where2": {"method": "roots/list", "params": {"_meta": {"k": 1}}},
}
INPUT_RESPONSES = {
    "login": {"action": "accept", "content": {"s": "x", "many": ["a"], "n": 2, "b": True}},
    "link": {"action": "decline"},
    "ask": {"role": "assistant", "content": {"type": "text", "text": "4"}, "model": "m", "_meta": {}},
    "where": {"roots": [{"uri": "file:///a", "name": "a", "_meta": {}}]},
}


def modern_request(method: str, params: dict[str, Any] | None = None, id: Any = 1) -> dict[str, Any]:
    return request(method, {"_meta": ENVELOPE, **(params or {})}, id)


# (sender, message, method of the request a response answers): all valid in 2026-07-28.
HANDWRITTEN_2026: list[Sent] = [
    ("client", modern_request("server/discover"), None),
    ("client", request("tools/list", {"_meta": ENVELOPE_FULL, "cursor": "c"}), None),
    ("client", modern_request("tools/call", {"name": "t", "arguments": {"a": [1, None]}}), None),
    (
        "client",
        modern_request(
            "tools/call", {"name": "t", "inputResponses": INPUT_RESPONSES, "requestState": "opaque"}, id="r2"
        ),
        None,
    ),
    ("client", modern_request("resources/list", {"cursor": "c"}), None),
    ("client", modern_request("resources/templates/list"), None),
    ("client", modern_request("resources/read", {"uri": "file:///a", "requestState": "s"}), None),
    ("client", modern_request("prompts/list"), None),
    (
        "client",
        modern_request("prompts/get", {"name": "p", "arguments": {"a": "b"}, "inputResponses": {}}),
        None,
    ),
    (
        "client",
        modern_request(
            "completion/complete",
            {
                "ref": {"type": "ref/resource", "uri": "u://{x}"},
                "argument": {"name": "x", "value": "1"},
                "context": {"arguments": {"y": "2"}},
            },
        ),
        None,
    ),
    (
        "client",
        modern_request(
            "subscriptions/listen",
            {
                "notifications": {
                    "toolsListChanged": True,
                    "promptsListChanged": False,
                    "resourcesListChanged": True,
                    "resourceSubscriptions": ["file:///a"],
                }
            },
            id=7,
        ),
        None,
    ),
    ("client", notification("notifications/cancelled", {"requestId": 7, "reason": "done"}), None),
    ("client", request("custom/method", {"anything": [1, 2]}), None),
    ("client", request("tasks/get", {"taskId": "t1"}), None),  # the tasks extension's
    ("server", notification("notifications/cancelled", {"requestId": 7}), None),
    (
        "server",
        notification("notifications/message", {"level": "notice", "logger": "l", "data": 1.5, "_meta": {}}),
        None,
    ),
    (
        "server",
        notification(
            "notifications/progress", {"progressToken": "p", "progress": 1, "total": 2, "message": "m"}
        ),
        None,
    ),
    (
        "server",
        notification(
            "notifications/subscriptions/acknowledged",
            {"_meta": SUBSCRIBED, "notifications": {"toolsListChanged": True}},
        ),
        None,
    ),
    ("server", notification("notifications/tools/list_changed", {"_meta": SUBSCRIBED}), None),
    ("server", notification("notifications/prompts/list_changed"), None),
    ("server", notification("notifications/resources/list_changed", {"_meta": {}}), None),
    (
        "server",
        notification("notifications/resources/updated", {"uri": "file:///a", "_meta": SUBSCRIBED}),
        None,
    ),
    (
        "server",
        response(
            {
                "resultType": "complete",
                "supportedVersions": [MODERN],
                "capabilities": SERVER_CAPS_2026,
                "instructions": "i",
                "_meta": SERVED_BY,
                "ttlMs": 0,
                "cacheScope": "public",
            }
        ),
        "server/discover",
    ),
    (
        "server",
        response({"resultType": "complete", "tools": [TOOL_2026], "nextCursor": "n", **CACHE}),
        "tools/list",
    ),
    (
        "server",
        response(
            {
                "resultType": "complete",
                "content": BLOCKS,
                "structuredContent": [1, "two", None],
                "isError": False,
                "_meta": SERVED_BY,
            }
        ),
        "tools/call",
    ),
    (
        "server",
        response({"resultType": "complete", "content": [], "structuredContent": "text"}),
        "tools/call",
    ),
    (
        "server",
        response({"resultType": "input_required", "inputRequests": INPUT_REQUESTS, "requestState": "s"}),
        "tools/call",
    ),
    ("server", response({"resultType": "input_required", "requestState": "s"}), "tools/call"),
    ("server", response({"resultType": "task", "task": {"taskId": "t1"}}), "tools/call"),  # an extension's
    (
        "server",
        response(
            {
                "resultType": "complete",
                "resources": [{"uri": "file:///a", "name": "a", "icons": [ICON], "_meta": {}}],
                **CACHE,
            }
        ),
        "resources/list",
    ),
    (
        "server",
        response(
            {
                "resultType": "complete",
                "resourceTemplates": [{"uriTemplate": "u://{x}", "name": "x"}],
                **CACHE,
            }
        ),
        "resources/templates/list",
    ),
    (
        "server",
        response(
            {
                "resultType": "complete",
                "contents": [{"uri": "file:///a", "text": "a"}, {"uri": "file:///b", "blob": PNG}],
                **CACHE,
            }
        ),
        "resources/read",
    ),
    (
        "server",
        response({"resultType": "input_required", "inputRequests": {"where": {"method": "roots/list"}}}),
        "resources/read",
    ),
    (
        "server",
        response(
            {"resultType": "complete", "prompts": [{"name": "p", "arguments": [{"name": "a"}]}], **CACHE}
        ),
        "prompts/list",
    ),
    (
        "server",
        response({"resultType": "complete", "messages": [{"role": "user", "content": BLOCKS[3]}]}),
        "prompts/get",
    ),
    ("server", response({"resultType": "input_required", "requestState": "s"}), "prompts/get"),
    (
        "server",
        response({"resultType": "complete", "completion": {"values": ["a"], "total": 1, "hasMore": False}}),
        "completion/complete",
    ),
    (
        "server",
        response({"resultType": "complete", "_meta": {**SUBSCRIBED, **SERVED_BY}}, id=7),
        "subscriptions/listen",
    ),
    ("server", {"jsonrpc": "2.0", "id": 1, "error": {"code": -32020, "message": "Header mismatch"}}, None),
    (
        "server",
        {
            "jsonrpc": "2.0",
            "id": 1,
            "error": {"code": -32021, "message": "m", "data": {"requiredCapabilities": {"sampling": {}}}},
        },
        None,
    ),
    (
        "server",
        {
            "jsonrpc": "2.0",
            "id": 1,
            "error": {
                "code": -32022,
                "message": "m",
                "data": {"supported": [MODERN], "requested": "1999-01-01"},
            },
        },
        None,
    ),
    ("server", {"jsonrpc": "2.0", "error": {"code": -32602, "message": "Invalid params"}}, None),
    ("server", {"jsonrpc": "2.0", "id": 1, "error": {"code": -32601, "message": "m", "data": None}}, None),
]


def test_every_stateless_handwritten_message_is_valid() -> None:
    for sender, message, method in HANDWRITTEN_2026:
        assert validate_message(MODERN, message, sender=sender, method=method) == [], message


@needs_spec
def test_stateless_handwritten_messages_agree_with_the_official_schema() -> None:
    for sender, message, method in HANDWRITTEN_2026:
        assert official_valid(MODERN, message, method), message
        assert_agrees(MODERN, sender, message, method)


@needs_spec
def test_handshake_messages_get_the_stateless_schemas_verdict() -> None:
    # Most are refused (no envelope, no resultType, removed methods); the verdicts agree anyway.
    verdicts = [not assert_agrees(MODERN, sender, message, method) for sender, message, method in HANDWRITTEN]
    assert 0 < sum(verdicts) < len(verdicts) / 2


def test_the_era_probe_is_no_later_name_in_a_handshake_revision() -> None:
    # A client that speaks both eras asks server/discover before any initialize.
    for rev in HANDSHAKE_VERSIONS:
        assert check_message(rev, modern_request("server/discover"), sender="client") == []


# (revision, sender, message, method, the problems expected as (kind, path, words of the text))
INVALID: list[tuple[str, Sender, Any, str | None, list[tuple[str, str, str]]]] = [
    # missing required fields
    (
        "2025-06-18",
        "server",
        response({"tools": [{"inputSchema": {"type": "object"}}]}),
        "tools/list",
        [("schema", "result.tools[0].name", "required")],
    ),
    ("2025-11-25", "client", request("tools/call", {}), None, [("schema", "params.name", "required")]),
    ("2024-11-05", "client", request("resources/read"), None, [("schema", "params", "required")]),
    (
        "2025-03-26",
        "server",
        response({"protocolVersion": "x", "capabilities": {}}),
        "initialize",
        [("schema", "result.serverInfo", "required")],
    ),
    (
        "2025-06-18",
        "client",
        response({"content": {"x": "y"}}),
        "elicitation/create",
        [("schema", "result.action", "required")],
    ),
    (
        "2025-03-26",
        "server",
        notification("notifications/cancelled", {"reason": "r"}),
        None,
        [("schema", "params.requestId", "required")],
    ),
    (
        "2025-06-18",
        "server",
        {"jsonrpc": "2.0", "error": {"code": 1, "message": "m"}},
        None,
        [("schema", "id", "required")],
    ),
    # wrong types
    (
        "2025-06-18",
        "client",
        notification("notifications/progress", {"progressToken": 1, "progress": "1"}),
        None,
        [("schema", "params.progress", "number")],
    ),
    (
        "2024-11-05",
        "server",
        request("sampling/createMessage", {"messages": [], "maxTokens": 1.5}),
        None,
        [("schema", "params.maxTokens", "integer")],
    ),
    (
        "2025-11-25",
        "server",
        response({"content": [{"type": "text", "text": 5}]}),
        "tools/call",
        [("schema", "result.content[0].text", "string")],
    ),
    (
        "2025-03-26",
        "server",
        response({"resources": [{"uri": "u", "name": "n", "annotations": {"priority": 2}}]}),
        "resources/list",
        [("schema", "result.resources[0].annotations.priority", "0 to 1")],
    ),
    (
        "2025-06-18",
        "server",
        response({"completion": {"values": "a"}}),
        "completion/complete",
        [("schema", "result.completion.values", "array")],
    ),
    # JSON-RPC forbids it; the 2024-11-05 schema lets it pass as a notification, 2025-11-25 does not.
    ("2024-11-05", "client", request("ping", id=True), None, [("stricter", "id", "string or an integer")]),
    ("2025-11-25", "client", request("ping", id=True), None, [("schema", "id", "string or an integer")]),
    (
        "2025-11-25",
        "server",
        {"jsonrpc": "1.0", "id": 1, "result": {}},
        None,
        [("schema", "jsonrpc", "'2.0'")],
    ),
    ("2025-11-25", "client", request("tools/call", ["t"]), None, [("schema", "params", "object")]),
    # bad enums
    (
        "2025-06-18",
        "client",
        request("logging/setLevel", {"level": "verbose"}),
        None,
        [("schema", "params.level", "'debug'")],
    ),
    (
        "2025-03-26",
        "server",
        response({"messages": [{"role": "system", "content": {"type": "text", "text": "t"}}]}),
        "prompts/get",
        [("schema", "result.messages[0].role", "'user' or 'assistant'")],
    ),
    (
        "2025-11-25",
        "client",
        response({"action": "ok"}),
        "elicitation/create",
        [("schema", "result.action", "'accept'")],
    ),
    (
        "2025-11-25",
        "server",
        response({"content": [{"type": "video", "data": "AA=="}]}),
        "tools/call",
        [("schema", "result.content[0]", "type should be one of")],
    ),
    (
        "2025-11-25",
        "server",
        request("elicitation/create", {"mode": "popup", "message": "m"}),
        None,
        [("schema", "params", "mode should be one of")],
    ),
    # names of a later revision
    (
        "2025-03-26",
        "server",
        response({"content": [], "structuredContent": {"a": 1}}),
        "tools/call",
        [("later", "result.structuredContent", "2025-06-18")],
    ),
    (
        "2025-03-26",
        "server",
        response({"tools": [{"name": "t", "title": "T", "inputSchema": {"type": "object"}}]}),
        "tools/list",
        [("later", "result.tools[0].title", "2025-06-18")],
    ),
    (
        "2024-11-05",
        "server",
        response({"tools": [{"name": "t", "inputSchema": {"type": "object"}, "annotations": {}}]}),
        "tools/list",
        [("later", "result.tools[0].annotations", "2025-03-26")],
    ),
    (
        "2024-11-05",
        "server",
        response({"content": [{"type": "audio", "data": "AA==", "mimeType": "a/b"}]}),
        "tools/call",
        [("schema", "result.content[0]", "comes with 2025-03-26")],
    ),
    (
        "2025-03-26",
        "server",
        response({"content": [{"type": "resource_link", "uri": "u", "name": "n"}]}),
        "tools/call",
        [("schema", "result.content[0]", "comes with 2025-06-18")],
    ),
    (
        "2025-06-18",
        "client",
        response(
            {
                "role": "assistant",
                "model": "m",
                "content": {"type": "tool_use", "id": "u", "name": "n", "input": {}},
            }
        ),
        "sampling/createMessage",
        [("schema", "result.content", "comes with 2025-11-25")],
    ),
    (
        "2024-11-05",
        "server",
        response(
            {
                "protocolVersion": "x",
                "capabilities": {"completions": {}},
                "serverInfo": {"name": "s", "version": "1", "title": "S"},
            }
        ),
        "initialize",
        [
            ("later", "result.capabilities.completions", "2025-03-26"),
            ("later", "result.serverInfo.title", "2025-06-18"),
        ],
    ),
    (
        "2024-11-05",
        "server",
        notification("notifications/progress", {"progressToken": 1, "progress": 1, "message": "m"}),
        None,
        [("later", "params.message", "2025-03-26")],
    ),
    (
        "2025-03-26",
        "server",
        request(
            "elicitation/create", {"message": "m", "requestedSchema": {"type": "object", "properties": {}}}
        ),
        None,
        [("later", "", "elicitation/create")],
    ),
    (
        "2025-06-18",
        "server",
        request(
            "elicitation/create",
            {
                "mode": "form",
                "message": "m",
                "requestedSchema": {
                    "type": "object",
                    "properties": {"a": {"type": "string", "default": "x"}},
                },
            },
        ),
        None,
        [
            ("later", "params.mode", "2025-11-25"),
            ("later", "params.requestedSchema.properties.a.default", "2025-11-25"),
        ],
    ),
    (
        "2025-06-18",
        "client",
        request("tools/call", {"name": "t", "task": {}}),
        None,
        [("later", "params.task", "2025-11-25")],
    ),
    (
        "2025-06-18",
        "client",
        request(
            "initialize",
            {
                "protocolVersion": "x",
                "capabilities": {"sampling": {"tools": {}}, "tasks": {}},
                "clientInfo": {"name": "c", "version": "1", "icons": []},
            },
        ),
        None,
        [
            ("later", "params.capabilities.sampling.tools", "2025-11-25"),
            ("later", "params.capabilities.tasks", "2025-11-25"),
            ("later", "params.clientInfo.icons", "2025-11-25"),
        ],
    ),
    (
        "2025-03-26",
        "server",
        response({"contents": [{"uri": "u", "text": "t", "_meta": {}}]}),
        "resources/read",
        [("later", "result.contents[0]._meta", "2025-06-18")],
    ),
    ("2025-06-18", "client", request("tasks/get", {"taskId": "t"}), None, [("later", "", "tasks/get")]),
    # base64
    (
        "2025-06-18",
        "server",
        response({"content": [{"type": "image", "data": "not base64!", "mimeType": "image/png"}]}),
        "tools/call",
        [("stricter", "result.content[0].data", "base64")],
    ),
    (
        "2025-11-25",
        "server",
        response({"contents": [{"uri": "u", "blob": "AAA"}]}),
        "resources/read",
        [("stricter", "result.contents[0].blob", "base64")],
    ),
    # direction and kind
    ("2025-06-18", "server", request("tools/list"), None, [("stricter", "", "only the client sends")]),
    (
        "2025-06-18",
        "client",
        notification("notifications/message", {"level": "info", "data": 1}),
        None,
        [("stricter", "", "only the server sends")],
    ),
    (
        "2025-06-18",
        "client",
        request("notifications/initialized"),
        None,
        [("stricter", "", "must not have an id")],
    ),
    ("2025-06-18", "client", notification("tools/list"), None, [("stricter", "", "needs an id")]),
    ("2025-11-25", "client", notification("tools/list"), None, [("schema", "", "needs an id")]),
    # JSON-RPC
    (
        "2025-06-18",
        "client",
        request("tools/list", id=None),
        None,
        [("stricter", "id", "string or an integer")],
    ),
    (
        "2025-11-25",
        "client",
        request("tools/list", id=None),
        None,
        [("schema", "id", "string or an integer")],
    ),
    (
        "2025-06-18",
        "server",
        {"jsonrpc": "2.0", "id": 1, "result": {}, "error": {"code": 1, "message": "m"}},
        None,
        [("stricter", "", "not both")],
    ),
    ("2025-06-18", "client", [request("ping")], None, [("schema", "", "batches")]),
    ("2025-03-26", "client", [], None, [("stricter", "", "empty batch")]),
    ("2025-03-26", "client", [request("ping"), response({})], None, [("schema", "", "either")]),
    (
        "2025-03-26",
        "client",
        [request("ping", id=None)],
        None,
        [("stricter", "[0].id", "string or an integer")],
    ),
    ("2025-11-25", "server", "hello", None, [("schema", "", "must be an object")]),
    ("2025-11-25", "server", {"jsonrpc": "2.0", "id": 1}, None, [("schema", "", "neither")]),
    (
        "2025-11-25",
        "server",
        {"jsonrpc": "2.0", "id": 1, "error": {"code": -32042, "message": "m", "data": {}}},
        None,
        [("stricter", "error.data.elicitations", "required")],
    ),
    # 2026-07-28: the envelope, resultType and the caching hints
    (MODERN, "client", request("tools/list"), None, [("schema", "params", "required")]),
    (MODERN, "client", request("tools/list", {}), None, [("schema", "params._meta", "required")]),
    (
        MODERN,
        "client",
        request("tools/call", {"name": "t", "_meta": {"io.modelcontextprotocol/clientCapabilities": {}}}),
        None,
        [("schema", "params._meta.io.modelcontextprotocol/protocolVersion", "required")],
    ),
    (
        MODERN,
        "client",
        modern_request(
            "tools/call", {"name": "t", "_meta": {**ENVELOPE, "io.modelcontextprotocol/logLevel": "loud"}}
        ),
        None,
        [("schema", "params._meta.io.modelcontextprotocol/logLevel", "'debug'")],
    ),
    (
        MODERN,
        "server",
        response({"tools": [], **CACHE}),
        "tools/list",
        [("schema", "result.resultType", "required")],
    ),
    (MODERN, "server", response({"content": []}), None, [("schema", "result.resultType", "required")]),
    (
        MODERN,
        "server",
        response({"resultType": "complete", "prompts": [], "cacheScope": "public"}),
        "prompts/list",
        [("schema", "result.ttlMs", "required")],
    ),
    (
        MODERN,
        "server",
        response({"resultType": "complete", "tools": [], "ttlMs": -1, "cacheScope": "shared"}),
        "tools/list",
        [
            ("schema", "result.ttlMs", "non-negative"),
            ("schema", "result.cacheScope", "'public' or 'private'"),
        ],
    ),
    # The schema lets these pass as input-required results (anyOf), the specification does not.
    (
        MODERN,
        "server",
        response({"resultType": "complete", "contents": [{"uri": "u", "text": "t"}], "ttlMs": 5}),
        "resources/read",
        [("stricter", "result.cacheScope", "required")],
    ),
    (
        MODERN,
        "server",
        response({"resultType": "complete"}),
        "tools/call",
        [("stricter", "result.content", "required")],
    ),
    (
        MODERN,
        "server",
        response({"resultType": "input_required"}),
        "prompts/get",
        [("stricter", "result", "inputRequests, requestState or both")],
    ),
    (
        MODERN,
        "server",
        response({"resultType": "input_required", "inputRequests": {"k": {"method": "ping"}}}),
        "tools/call",
        [("schema", "result.inputRequests.k", "method should be one of")],
    ),
    (
        MODERN,
        "server",
        response(
            {"resultType": "input_required", "inputRequests": {"k": {"method": "sampling/createMessage"}}}
        ),
        "tools/call",
        [("schema", "result.inputRequests.k.params", "required")],
    ),
    (
        MODERN,
        "server",
        response({"resultType": "complete"}, id=7),
        "subscriptions/listen",
        [("schema", "result._meta", "required")],
    ),
    (
        MODERN,
        "server",
        notification("notifications/subscriptions/acknowledged", {"_meta": SUBSCRIBED}),
        None,
        [("schema", "params.notifications", "required")],
    ),
    (
        MODERN,
        "server",
        notification(
            "notifications/tools/list_changed", {"_meta": {"io.modelcontextprotocol/subscriptionId": None}}
        ),
        None,
        [("schema", "params._meta.io.modelcontextprotocol/subscriptionId", "string or an integer")],
    ),
    # methods the revision removed
    (
        MODERN,
        "client",
        request(
            "initialize",
            {"protocolVersion": MODERN, "capabilities": {}, "clientInfo": {"name": "c", "version": "1"}},
        ),
        None,
        [("schema", "", "dropped after 2025-11-25")],
    ),
    (
        MODERN,
        "client",
        modern_request("ping"),
        None,
        [("schema", "", "'ping' is not part of revision 2026-07-28")],
    ),
    (
        MODERN,
        "client",
        modern_request("logging/setLevel", {"level": "info"}),
        None,
        [("schema", "", "setLevel")],
    ),
    (
        MODERN,
        "client",
        modern_request("resources/subscribe", {"uri": "u"}),
        None,
        [("schema", "", "subscribe")],
    ),
    (MODERN, "client", notification("notifications/initialized"), None, [("schema", "", "initialized")]),
    (
        MODERN,
        "client",
        notification("notifications/roots/list_changed"),
        None,
        [("schema", "", "list_changed")],
    ),
    (
        MODERN,
        "server",
        notification("notifications/elicitation/complete", {"elicitationId": "e"}),
        None,
        [("schema", "", "dropped after 2025-11-25")],
    ),
    (
        MODERN,
        "server",
        request("sampling/createMessage", {"messages": [], "maxTokens": 1}),
        None,
        [("schema", "", "entry of an input-required result")],
    ),
    (MODERN, "server", request("roots/list"), None, [("schema", "", "entry of an input-required result")]),
    (MODERN, "client", [modern_request("tools/list")], None, [("schema", "", "batches")]),
    # names that only earlier revisions define
    (
        MODERN,
        "client",
        modern_request("tools/call", {"name": "t", "task": {"ttl": 1}}),
        None,
        [("earlier", "params.task", "dropped after 2025-11-25")],
    ),
    (
        MODERN,
        "client",
        modern_request(
            "tools/list",
            {
                "_meta": {
                    **ENVELOPE,
                    "io.modelcontextprotocol/clientCapabilities": {
                        "roots": {"listChanged": True},
                        "tasks": {},
                    },
                }
            },
        ),
        None,
        [
            (
                "earlier",
                "params._meta.io.modelcontextprotocol/clientCapabilities.roots.listChanged",
                "2025-11-25",
            ),
            ("earlier", "params._meta.io.modelcontextprotocol/clientCapabilities.tasks", "2025-11-25"),
        ],
    ),
    (
        MODERN,
        "server",
        response({"resultType": "complete", "tools": [{**TOOL_2026, "execution": {}}], **CACHE}),
        "tools/list",
        [("earlier", "result.tools[0].execution", "2025-11-25")],
    ),
    (
        MODERN,
        "server",
        response(
            {
                "resultType": "input_required",
                "inputRequests": {
                    "k": {
                        "method": "elicitation/create",
                        "params": {"mode": "url", "message": "m", "url": "https://x", "elicitationId": "e"},
                    }
                },
            }
        ),
        "tools/call",
        [("earlier", "result.inputRequests.k.params.elicitationId", "2025-11-25")],
    ),
    (
        MODERN,
        "client",
        modern_request(
            "tools/call", {"name": "t", "inputResponses": {"k": {"action": "accept", "_meta": {}}}}
        ),
        None,
        [("earlier", "params.inputResponses.k._meta", "2025-11-25")],
    ),
    # the errors of the revision
    (
        MODERN,
        "server",
        {"jsonrpc": "2.0", "id": 1, "error": {"code": -32022, "message": "m"}},
        None,
        [("stricter", "error.data", "required")],
    ),
    (
        MODERN,
        "server",
        {"jsonrpc": "2.0", "id": 1, "error": {"code": -32022, "message": "m", "data": {"supported": MODERN}}},
        None,
        [("stricter", "error.data.supported", "array"), ("stricter", "error.data.requested", "required")],
    ),
    (
        MODERN,
        "server",
        {"jsonrpc": "2.0", "id": 1, "error": {"code": -32021, "message": "m", "data": {}}},
        None,
        [("stricter", "error.data.requiredCapabilities", "required")],
    ),
    (
        MODERN,
        "server",
        {"jsonrpc": "2.0", "id": 1, "error": {"code": -32002, "message": "Resource not found"}},
        None,
        [("stricter", "error.code", "retired")],
    ),
    (
        MODERN,
        "server",
        {"jsonrpc": "2.0", "id": 1, "error": {"code": -32042, "message": "m", "data": {}}},
        None,
        [("stricter", "error.code", "retired")],
    ),
    (
        MODERN,
        "server",
        {"jsonrpc": "2.0", "id": 1, "error": {"code": -32050, "message": "m"}},
        None,
        [("stricter", "error.code", "-32099..-32020")],
    ),
    # direction
    (
        MODERN,
        "client",
        notification("notifications/subscriptions/acknowledged", {"notifications": {}}),
        None,
        [("stricter", "", "only the server sends")],
    ),
    (MODERN, "server", modern_request("tools/list"), None, [("stricter", "", "only the client sends")]),
    # names of the stateless revision in a handshake one
    (
        "2025-11-25",
        "server",
        response({"resultType": "complete", "tools": [], **CACHE}),
        "tools/list",
        [
            ("later", "result.resultType", "2026-07-28"),
            ("later", "result.ttlMs", "2026-07-28"),
            ("later", "result.cacheScope", "2026-07-28"),
        ],
    ),
    (
        "2025-11-25",
        "client",
        request("tools/call", {"name": "t", "_meta": ENVELOPE, "requestState": "s"}),
        None,
        [
            ("later", "params._meta.io.modelcontextprotocol/protocolVersion", "2026-07-28"),
            ("later", "params._meta.io.modelcontextprotocol/clientCapabilities", "2026-07-28"),
            ("later", "params.requestState", "2026-07-28"),
        ],
    ),
    (
        "2025-06-18",
        "server",
        response({"content": [], "_meta": SERVED_BY}),
        "tools/call",
        [("later", "result._meta.io.modelcontextprotocol/serverInfo", "2026-07-28")],
    ),
    (
        "2025-11-25",
        "client",
        request(
            "initialize",
            {
                "protocolVersion": "x",
                "capabilities": {"extensions": {}},
                "clientInfo": {"name": "c", "version": "1"},
            },
        ),
        None,
        [("later", "params.capabilities.extensions", "2026-07-28")],
    ),
    (
        "2025-11-25",
        "server",
        notification("notifications/tools/list_changed", {"_meta": SUBSCRIBED}),
        None,
        [("later", "params._meta.io.modelcontextprotocol/subscriptionId", "2026-07-28")],
    ),
    (
        "2025-11-25",
        "client",
        modern_request("subscriptions/listen", {"notifications": {}}),
        None,
        [("later", "", "listen")],
    ),
    (
        "2025-11-25",
        "server",
        response({"content": [], "structuredContent": [1]}),
        "tools/call",
        [("schema", "result.structuredContent", "object")],
    ),
]


@pytest.mark.parametrize(
    ("rev", "sender", "message", "method", "expected"),
    INVALID,
    ids=[f"{i}-{case[0]}" for i, case in enumerate(INVALID)],
)
def test_invalid_messages_are_reported_where_and_how(
    rev: str, sender: Sender, message: Any, method: str | None, expected: list[tuple[str, str, str]]
) -> None:
    problems = check_message(rev, message, sender=sender, method=method)
    for kind, path, words in expected:
        assert any(p.kind == kind and p.path == path and words in p.text for p in problems), (
            f"expected a {kind} problem at {path!r} about {words!r}, got {problems}"
        )
    assert len(problems) == len(expected), problems


@needs_spec
@pytest.mark.parametrize(
    ("rev", "sender", "message", "method", "expected"),
    INVALID,
    ids=[f"{i}-{case[0]}" for i, case in enumerate(INVALID)],
)
def test_invalid_messages_agree_with_the_official_schema(
    rev: str, sender: Sender, message: Any, method: str | None, expected: list[tuple[str, str, str]]
) -> None:
    assert_agrees(rev, sender, message, method)
    # What we call stricter or a later name, the schema lets through; what it refuses, we do.
    assert official_valid(rev, message, method) == all(kind != "schema" for kind, _, _ in expected)


def test_integral_floats_are_integers_as_in_json_schema() -> None:
    for rev in HANDSHAKE_VERSIONS:
        assert validate_message(rev, request("ping", id=3.0), sender="client") == []
        assert validate_message(rev, request("ping", id=3.5), sender="client") != []
        assert validate_message(rev, request("ping", id=True), sender="client") != []


# -- the API ------------------------------------------------------------------------------------


def test_problems_read_as_path_and_text() -> None:
    texts = validate_message(
        "2025-03-26",
        response({"content": [{"type": "text", "text": 1}], "isError": "no"}),
        sender="server",
        method="tools/call",
    )
    assert sorted(texts) == [
        "result.content[0].text: should be a string (got 1)",
        "result.isError: should be a boolean (got 'no')",
    ]
    assert str(Problem("", "bad")) == "message: bad"


def test_an_unknown_revision_or_sender_is_a_clear_error() -> None:
    with pytest.raises(RevisionError, match="1999-01-01") as caught:
        validate_message("1999-01-01", request("ping"), sender="client")
    assert "2026-07-28" in str(caught.value)  # the message names the revisions there are
    with pytest.raises(ValueError, match="sender"):
        validate_message(LATEST, request("ping"), sender="both")  # type: ignore[arg-type]
    with pytest.raises(RevisionError):
        _models.model_of("draft", "Tool")


def test_the_parts_of_a_message_have_models_by_their_official_names() -> None:
    tool = {"name": "t", "inputSchema": {"type": "object"}, "execution": {}}
    adapter = _models.model_of(MODERN, "Tool")
    assert adapter.dump_python(adapter.validate_python(tool), by_alias=True, exclude_unset=True) == tool
    assert [(p.path, p.kind) for p in _models.check_value(MODERN, "Tool", tool)] == [("execution", "earlier")]
    assert _models.check_value("2025-11-25", "Tool", tool) == []
    assert [p.path for p in _models.check_value(MODERN, "Tool", {"name": 1})] == ["name", "inputSchema"]
    # Official names that differ from ours, and those that mean a whole message here and a part there.
    entry = {"method": "roots/list", "id": "x"}
    assert _models.check_value(MODERN, "ListRootsRequest", entry) == []
    assert (
        _models.check_value(
            MODERN, "SamplingMessageContentBlock", {"type": "tool_use", "id": "u", "name": "n", "input": {}}
        )
        == []
    )
    with pytest.raises(_models.DefinitionError, match="check_message"):
        _models.model_of("2025-11-25", "ListRootsRequest")
    with pytest.raises(_models.DefinitionError, match="CallToolRequest"):
        _models.model_of(MODERN, "CallToolRequest")
    with pytest.raises(pydantic.ValidationError):
        _models.model_of(MODERN, "ParseError").validate_python({"code": -32601, "message": "m"})


def test_the_suites_checks_warn_of_other_revisions_names_and_fail_the_rest() -> None:
    from conformance._runner import own_problems

    dropped = modern_request("tools/call", {"name": "t", "task": {}})
    assert own_problems(MODERN, dropped, None, sender="client") == [
        ("params.task: is not defined in revision 2026-07-28 (it was dropped after 2025-11-25)", True)
    ]
    assert own_problems(MODERN, request("tools/list"), None, sender="client") == [
        ("params: is required", False)
    ]
    assert own_problems("1999-01-01", request("tools/list"), None, sender="client") == []


def test_a_response_without_its_method_is_checked_as_a_result_only() -> None:
    bad_tools = response({"tools": 5})
    assert validate_message(LATEST, bad_tools, sender="server") == []
    assert validate_message(LATEST, bad_tools, sender="server", method="tools/list") != []
    # An answer to a custom method, or to one of a later revision: the envelope alone.
    assert validate_message(LATEST, bad_tools, sender="server", method="custom/x") == []
    assert (
        validate_message("2025-03-26", response({"action": 5}), sender="client", method="elicitation/create")
        == []
    )
    assert validate_message(LATEST, response({"_meta": 5}), sender="server", method="custom/x") != []


def test_models_are_built_once_per_revision() -> None:
    first = _models._models(LATEST)
    assert _models._models(LATEST) is first
    assert first.adapter("Tool") is first.adapter("Tool")
    assert first.resolve("Tool")[0] is not _models._models("2025-06-18").resolve("Tool")[0]


# -- the models against the official definitions -------------------------------------------------


def _object(revision: str, node: dict[str, Any]) -> tuple[set[str], set[str]] | None:
    """The property names and required names of a schema node, through $ref and allOf."""
    defs = definitions(revision)
    if "$ref" in node:
        return _object(revision, defs[node["$ref"].rsplit("/", 1)[-1]])
    if "allOf" in node:
        parts = [_object(revision, part) for part in node["allOf"]]
        return (
            set().union(*(p[0] for p in parts if p)),
            set().union(*(p[1] for p in parts if p)),
        )
    if "properties" in node:
        return set(node["properties"]), set(node.get("required", []))
    return None


def _fields(revision: str, definition: str) -> tuple[set[str], set[str]]:
    model = _models._models(revision).resolve(definition)[0]
    assert isinstance(model, type) and issubclass(model, _models._Model), definition
    fields = model.model_fields.values()
    return {f.alias for f in fields if f.alias}, {f.alias for f in fields if f.alias and f.is_required()}


def _node(revision: str, node: dict[str, Any]) -> dict[str, Any]:
    defs = definitions(revision)
    while "$ref" in node:
        node = defs[node["$ref"].rsplit("/", 1)[-1]]
    return node


def _compare(
    revision: str,
    mine: str,
    node: dict[str, Any],
    where: str,
    seen: set[str],
    envelope: set[str] | None = None,
) -> Iterator[str]:
    """Differences between one of our definitions and a schema node, and what they hold; the
    ``envelope`` adds the properties that the envelope's params give every method's params."""
    theirs = _object(revision, node)
    if theirs is None or mine not in _models._DEFS:
        return
    theirs[0].update(envelope or ())
    ours = _fields(revision, mine)
    if ours != theirs:
        yield (
            f"{revision} {where} ({mine}): ours {sorted(ours[0])} required {sorted(ours[1])},"
            f" official {sorted(theirs[0])} required {sorted(theirs[1])}"
        )
    if mine in seen:
        return
    seen.add(mine)
    properties = _node(revision, node).get("properties", {})
    for key, spec in _models._DEFS[mine].items():
        name = key.removesuffix("?")
        sub = properties.get(name)
        if sub is None:
            continue
        sub = _node(revision, sub)
        while spec.endswith("[]") or spec.startswith("{"):
            if spec.endswith("[]"):
                spec, sub = spec[:-2], _node(revision, sub.get("items", {}))
            else:
                spec, sub = spec[1:-1], _node(revision, sub.get("additionalProperties") or {})
        if spec in _models._DEFS:
            yield from _compare(revision, spec, sub, f"{where}.{name}", seen)


_RENAMED = {
    # our definition: its name in the official schema, by revision
    "LegacyTitledEnumSchema": {"2025-06-18": "EnumSchema"},
    "ResourceTemplateReference": {"2024-11-05": "ResourceReference", "2025-03-26": "ResourceReference"},
    "JSONRPCError": {"2025-11-25": "JSONRPCErrorResponse", MODERN: "JSONRPCErrorResponse"},
    "JSONRPCResponse": {"2025-11-25": "JSONRPCResultResponse", MODERN: "JSONRPCResultResponse"},
    "TaskResult": {"2025-11-25": "GetTaskResult"},
    # the reserved keys of "_meta", and the entries of an input-required result
    "RequestMeta": {MODERN: "RequestMetaObject"},
    "ResultMeta": {MODERN: "ResultMetaObject"},
    "NotificationMeta": {MODERN: "NotificationMetaObject"},
    "ListenResultMeta": {MODERN: "SubscriptionsListenResultMetaObject"},
    "CreateMessageInput": {MODERN: "CreateMessageRequest"},
    "ElicitInput": {MODERN: "ElicitRequest"},
    "ListRootsInput": {MODERN: "ListRootsRequest"},
}


@needs_spec
@pytest.mark.parametrize("rev", VERSIONS)
def test_models_have_the_fields_of_the_official_definitions(rev: str) -> None:
    defs = definitions(rev)
    revision = REVISIONS[rev]
    models = _models._models(rev)
    diffs: list[str] = []
    seen: set[str] = set()
    compared = 0
    for method in (
        revision.client_requests
        | revision.server_requests
        | revision.client_notifications
        | revision.server_notifications
    ):
        table = _models._REQUESTS if method in _models._REQUESTS else _models._NOTIFICATIONS
        definition = table[method][0]
        node = defs[_by_method(rev, method) or ""]
        assert ("params" in node.get("required", [])) == models.params_required(method), method
        params = _node(rev, node["properties"]["params"])
        if method == "elicitation/create" and "anyOf" in params:
            members = {_node(rev, m)["properties"]["mode"].get("const", "form"): m for m in params["anyOf"]}
            pairs = [("ElicitRequestFormParams", members["form"]), ("ElicitRequestURLParams", members["url"])]
        elif method == "elicitation/create":
            pairs = [("ElicitRequestFormParams", params)]
        else:
            pairs = [(definition, params)]
        for mine, schema_node in pairs:
            envelope: set[str] = set()
            if "jsonrpc" not in node["properties"]:
                # Before 2025-11-25 "_meta" of params is typed by the envelope, not the method.
                kind = defs["JSONRPCRequest" if method in _models._REQUESTS else "JSONRPCNotification"]
                envelope = set(_node(rev, kind["properties"]["params"])["properties"])
            diffs.extend(_compare(rev, mine, schema_node, f"{method} params", seen, envelope))
            compared += 1
        if method in revision.client_requests | revision.server_requests:
            result = _models.RESULTS[method]
            official = {**RESULTS, **_TASK_RESULTS}.get(method, "Result")
            official = _RENAMED.get(result, {}).get(rev, official)
            diffs.extend(_compare(rev, result, defs[official], f"{method} result", seen))
            compared += 1
    for mine in _models._DEFS:
        official = _RENAMED.get(mine, {}).get(rev, mine)
        if official in defs and _object(rev, defs[official]) is not None:
            diffs.extend(_compare(rev, mine, defs[official], official, seen))
            compared += 1
    assert not diffs, "\n".join(diffs)
    assert compared > 60


def _consts(revision: str, node: dict[str, Any]) -> set[str]:
    return {_node(revision, member)["properties"]["type"]["const"] for member in node["anyOf"]}


@needs_spec
@pytest.mark.parametrize("rev", VERSIONS)
def test_tagged_unions_have_the_members_of_the_official_unions(rev: str) -> None:
    defs = definitions(rev)
    models = _models._models(rev)
    models.resolve("ContentBlock")
    models.resolve("SamplingContent")
    blocks = _node(rev, defs["CallToolResult"]["properties"]["content"]["items"])
    assert set(models.tags["ContentBlock"][1]) == _consts(rev, blocks)
    sampling = _node(rev, defs["SamplingMessage"]["properties"]["content"])
    single = {"anyOf": [m for m in sampling["anyOf"] if m.get("type") != "array"]}
    assert set(models.tags["SamplingContent"][1]) == _consts(rev, single)
    if "InputRequest" in defs:
        models.resolve("InputRequest")
        methods = {_node(rev, m)["properties"]["method"]["const"] for m in defs["InputRequest"]["anyOf"]}
        assert set(models.tags["InputRequest"][1]) == methods
        responses = {m["$ref"].rsplit("/", 1)[-1] for m in defs["InputResponse"]["anyOf"]}
        assert set(_models._ALIASES["InputResponse"][0][0].split("|")) == responses


@pytest.mark.parametrize("rev", VERSIONS)
def test_names_of_other_revisions_are_exactly_what_those_revisions_have(rev: str) -> None:
    models = _models._models(rev)
    rank = VERSIONS.index(rev)
    for name in _models._DEFS:
        model = models.resolve(name)[0]
        fields, _ = _fields(rev, name)
        elsewhere = {version: _fields(version, name)[0] for version in VERSIONS}
        if name in _models._OPEN:
            assert model.mcp_absent == {}, name  # any keyword may appear in a JSON Schema
            continue
        assert set(model.mcp_absent) == set().union(*elsewhere.values()) - fields, name
        for key, (kind, version) in model.mcp_absent.items():
            other = VERSIONS.index(version)
            assert (kind == "later") == (other > rank), (name, key)
            # the nearest revision that has it: none between has it
            between = VERSIONS[rank + 1 : other] if other > rank else VERSIONS[other + 1 : rank]
            assert key in elsewhere[version] and not any(key in elsewhere[v] for v in between), (name, key)
    # The newest revision of each era lacks only what the other era has.
    assert _models._models(LATEST).resolve("Tool")[0].mcp_absent == {}
    assert _models._models(MODERN).resolve("Tool")[0].mcp_absent == {"execution": ("earlier", LATEST)}


def test_the_method_tables_cover_every_revision() -> None:
    for rev in VERSIONS:
        revision = REVISIONS[rev]
        assert revision.client_requests | revision.server_requests <= set(_models._REQUESTS) & set(
            _models.RESULTS
        )
        assert revision.client_notifications | revision.server_notifications <= set(_models._NOTIFICATIONS)


# -- property tests ---------------------------------------------------------------------------------

_WORDS = [
    "type",
    "text",
    "image",
    "audio",
    "resource",
    "resource_link",
    "tool_use",
    "tool_result",
    "data",
    "mimeType",
    "uri",
    "name",
    "title",
    "_meta",
    "content",
    "role",
    "user",
    "assistant",
    "2.0",
    "form",
    "url",
    "mode",
    "ref/prompt",
    "ref/resource",
    "task",
    "blob",
    "AA==",
    "properties",
    "object",
    "resultType",
    "complete",
    "input_required",
    "inputRequests",
    "requestState",
    "ttlMs",
    "method",
    "params",
    "roots/list",
    "io.modelcontextprotocol/protocolVersion",
]
_keys = st.sampled_from(_WORDS) | st.text(max_size=6)
_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(_WORDS)
    | st.text(max_size=8)
)
json_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=5),
    max_leaves=16,
)
_METHODS = sorted(set(_models._REQUESTS) | set(_models._NOTIFICATIONS) | {"custom/x"})
messages = st.one_of(
    json_values,
    st.builds(
        request, st.sampled_from(_METHODS), json_values, st.one_of(st.integers(), st.text(), json_values)
    ),
    st.builds(notification, st.sampled_from(_METHODS), json_values),
    st.builds(response, json_values, st.integers()),
    st.lists(json_values, max_size=3),
)


@settings(max_examples=300)
@given(
    rev=st.sampled_from(VERSIONS),
    sender=st.sampled_from(["client", "server"]),
    message=messages,
    method=st.none() | st.sampled_from(_METHODS),
)
def test_any_json_value_gives_a_list_of_problems(
    rev: str, sender: Sender, message: Any, method: str | None
) -> None:
    problems = validate_message(rev, message, sender=sender, method=method)
    assert isinstance(problems, list)
    assert all(isinstance(problem, str) and problem for problem in problems)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


@st.composite
def mutated(
    draw: st.DrawFn, corpus: list[Sent], revisions: tuple[str, ...]
) -> tuple[str, Sender, Any, str | None]:
    """A valid message of ``corpus`` with one value replaced, one key removed or one key added."""
    sender, message, method = draw(
        st.sampled_from([case for case in corpus if not isinstance(case[1], list)])
    )
    rev = draw(st.sampled_from(revisions))
    message = copy.deepcopy(message)
    path = draw(st.sampled_from(list(_paths(message))[1:]))
    parent = message
    for part in path[:-1]:
        parent = parent[part]
    action = draw(st.sampled_from(["replace", "remove", "add"]))
    if action == "remove" and isinstance(parent, dict):
        del parent[path[-1]]
    elif action == "add" and isinstance(parent[path[-1]], dict):
        parent[path[-1]][draw(_keys)] = draw(json_values)
    else:
        parent[path[-1]] = draw(json_values)
    return rev, sender, message, method


@needs_spec
@settings(max_examples=400)
@given(case=mutated(HANDWRITTEN, HANDSHAKE_VERSIONS))
def test_mutated_messages_get_the_official_verdict(case: tuple[str, Sender, Any, str | None]) -> None:
    rev, sender, message, method = case
    assert_agrees(rev, sender, message, method)


@needs_spec
@settings(max_examples=400)
@given(case=mutated(HANDWRITTEN_2026, (MODERN,)))
def test_mutated_stateless_messages_get_the_official_verdict(
    case: tuple[str, Sender, Any, str | None],
) -> None:
    rev, sender, message, method = case
    assert_agrees(rev, sender, message, method)
