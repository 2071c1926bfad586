"""Client and server against each other, feature by feature, on every handshake revision.

Every message of every test here is captured at the client's end of the connection and checked
against the official schema of the negotiated revision, strictly (a field the revision lacks
fails): see ``tests.schema_check``.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import anyio
import pydantic
import pytest

from mcpcore import client as client_module
from mcpcore import content
from mcpcore import server as server_module
from mcpcore.content import text_of
from mcpcore.errors import INVALID_PARAMS, METHOD_NOT_FOUND, RESOURCE_NOT_FOUND, McpError
from mcpcore.revisions import HANDSHAKE_VERSIONS, LATEST_HANDSHAKE
from mcpcore.server import CapabilityError, Completion, Context, Server, ToolResult
from mcpcore.types import LoggingLevel
from tests.legacy import LegacyClient as Client
from tests.schema_check import Capture, served
from tests.spec import needs_spec

pytestmark = [pytest.mark.anyio, needs_spec]


@pytest.fixture(params=HANDSHAKE_VERSIONS)
def rev(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class Weather(pydantic.BaseModel):
    city: str
    celsius: float


def make_server(**options: Any) -> Server:
    server = Server("test-server", "1.0", title="Test Server", instructions="Be nice.", **options)

    @server.tool(title="Echo", annotations={"readOnlyHint": True})
    async def echo(text: str) -> str:
        """Repeat the text."""
        return text

    @server.tool()
    def add(a: int, b: int = 2) -> int:
        """Add two numbers."""
        return a + b

    @server.tool()
    async def weather(city: str) -> Weather:
        """Current weather."""
        return Weather(city=city, celsius=21.5)

    @server.tool()
    async def fail(reason: str) -> str:
        raise RuntimeError(reason)

    @server.tool()
    async def media() -> list[Any]:
        return [
            content.text("t"),
            content.image(b"\x89PNG", "image/png"),
            content.audio(b"RIFF", "audio/wav"),
            content.resource_link("file:///a.txt", "a", title="A file"),
            content.embedded("file:///b.txt", text="bee", mime_type="text/plain"),
        ]

    @server.tool()
    async def slow(ctx: Context, steps: int = 3) -> str:
        for i in range(1, steps + 1):
            await ctx.report_progress(i, steps, f"step {i}")
        return "done"

    @server.tool()
    async def chatty(ctx: Context) -> str:
        levels: tuple[LoggingLevel, ...] = ("debug", "info", "warning", "error")
        for level in levels:
            await ctx.log(level, {"level": level}, logger="chatty")
        return "ok"

    @server.resource("file:///readme.txt", mime_type="text/plain", title="Readme", size=5)
    def readme() -> str:
        return "hello"

    @server.resource("file:///logo.png", mime_type="image/png")
    def logo() -> bytes:
        return b"\x89PNG\r\n"

    @server.resource("users://{user}/profile", mime_type="application/json", title="Profile")
    def profile(user: str) -> str:
        return f'{{"user": "{user}"}}'

    @server.prompt(title="Greeting")
    def greet(name: Annotated[str, pydantic.Field(description="who")], style: str = "plain") -> str:
        """Say hello."""
        return f"Hello {name} ({style})"

    @server.completion(prompt="greet", argument="style")
    def styles(value: str, arguments: dict[str, str]) -> list[str]:
        return [s for s in ("plain", "pirate", "poem") if s.startswith(value)]

    @server.completion(template="users://{user}/profile", argument="user")
    def users(value: str, arguments: dict[str, str]) -> list[str]:
        return [f"user{i}" for i in range(150) if f"user{i}".startswith(value)]

    return server


@asynccontextmanager
async def connect(server: Server, rev: str, **options: Any) -> AsyncIterator[tuple[Client, Capture]]:
    async with served(server) as (transport, capture), Client(transport, versions=[rev], **options) as client:
        yield client, capture
    capture.validate(rev)


# -- lifecycle --------------------------------------------------------------------------------


async def test_initialize_negotiates_the_offered_revision(rev: str) -> None:
    async with connect(make_server(), rev) as (client, capture):
        assert client.protocol_version == rev
        assert client.server_info["name"] == "test-server"
        assert ("title" in client.server_info) == (rev >= "2025-06-18")
        assert client.instructions == "Be nice."
        assert set(client.server_capabilities) >= {"tools", "resources", "prompts", "logging"}
        assert ("completions" in client.server_capabilities) == (rev >= "2025-03-26")
        assert [m["method"] for d, m in capture.messages if d == "out"] == [
            "initialize",
            "notifications/initialized",
        ]
        await client.ping()


async def test_server_answers_its_newest_revision_for_an_unknown_one() -> None:
    server = make_server(versions=["2025-03-26", "2025-06-18"])
    async with served(server) as (transport, capture), Client(transport) as client:
        assert client.protocol_version == "2025-06-18"
        await client.ping()
    capture.validate()


async def test_the_era_probe_is_checked_as_modern_traffic_and_the_session_as_legacy() -> None:
    # A client of both eras asks server/discover first; a legacy-only server refuses it, and the
    # session that follows is a handshake one. The probe and its refusal are 2026-07-28 messages.
    server = make_server(versions=HANDSHAKE_VERSIONS)
    async with served(server) as (transport, capture), client_module.Client(transport) as client:
        assert not client.modern and client.protocol_version == HANDSHAKE_VERSIONS[-1]
        await client.ping()
    (probe,) = capture.sent("server/discover")
    methods = [m.get("method") for d, m in capture.messages if d == "out"]
    assert methods[:3] == ["server/discover", "initialize", "notifications/initialized"]
    refusal = next(m for d, m in capture.messages if d == "in" and m.get("id") == probe["id"])
    assert refusal["error"]["code"] == METHOD_NOT_FOUND
    assert capture.validate() == len(capture.messages)

    # The probe is held to the 2026-07-28 schema, strictly: a field it lacks fails.
    probe["params"]["unknown"] = True
    with pytest.raises(AssertionError, match=r"DiscoverRequest \(2026-07-28\) rejects"):
        capture.validate()
    del probe["params"]["unknown"]
    # Once initialize has travelled, the session's revision alone applies: a late probe fails.
    capture.messages.append(("out", {**probe, "id": 999}))
    wrong_era = f"server/discover does not exist in revision {LATEST_HANDSHAKE}"
    with pytest.raises(AssertionError, match=wrong_era):
        capture.validate()


async def test_client_refuses_a_revision_it_does_not_speak() -> None:
    server = make_server(versions=["2024-11-05"])
    async with served(server) as (transport, _):
        client = Client(transport, versions=["2025-06-18", "2025-11-25"])
        with pytest.raises(McpError, match="2024-11-05") as info:
            await client.__aenter__()
        assert info.value.data["supported"] == ["2025-06-18", "2025-11-25"]
        with pytest.raises(RuntimeError, match="closed"):
            await client.ping()


async def test_ping_from_the_server(rev: str) -> None:
    server = make_server()
    async with connect(server, rev) as (_, capture):
        (session,) = server.sessions
        await session.ping()
    assert len(capture.received("ping")) == 1


# -- tools ------------------------------------------------------------------------------------


async def test_list_tools_fits_the_revision(rev: str) -> None:
    async with connect(make_server(), rev) as (client, _):
        tools = {t["name"]: t for t in await client.list_tools()}
    assert set(tools) == {"echo", "add", "weather", "fail", "media", "slow", "chatty"}
    echo = tools["echo"]
    assert echo["description"] == "Repeat the text."
    assert echo["inputSchema"]["properties"]["text"]["type"] == "string"
    assert echo["inputSchema"]["required"] == ["text"]
    assert ("title" in echo) == (rev >= "2025-06-18")
    assert ("annotations" in echo) == (rev >= "2025-03-26")
    assert ("outputSchema" in tools["weather"]) == (rev >= "2025-06-18")
    assert "ctx" not in tools["slow"]["inputSchema"]["properties"]


async def test_call_tool_text_and_coercion(rev: str) -> None:
    async with connect(make_server(), rev) as (client, _):
        result = await client.call_tool("echo", {"text": "hi"})
        assert result["content"] == [{"type": "text", "text": "hi"}]
        assert not result.get("isError")
        result = await client.call_tool("add", {"a": 40})
        assert result["content"] == [{"type": "text", "text": "42"}]


async def test_structured_output(rev: str) -> None:
    async with connect(make_server(), rev) as (client, _):
        result = await client.call_tool("weather", {"city": "Oslo"})
    assert result["content"][0]["type"] == "text"
    assert '"celsius":21.5' in text_of(result)
    if rev >= "2025-06-18":
        assert result["structuredContent"] == {"city": "Oslo", "celsius": 21.5}
    else:
        assert "structuredContent" not in result


async def test_server_checks_a_tool_results_structured_content() -> None:
    server = Server("s")

    @server.tool()
    async def weather(city: str) -> Weather:
        return ToolResult(content=[content.text("?")], structured={"city": city})  # type: ignore[return-value]

    @server.tool()
    async def vague(city: str) -> Weather:
        return ToolResult(content=[content.text("?")])  # type: ignore[return-value]

    async with connect(server, "2025-11-25") as (client, _):
        result = await client.call_tool("weather", {"city": "Oslo"})
        assert result["isError"] is True
        assert "output schema" in text_of(result)
        result = await client.call_tool("vague", {"city": "Oslo"})
        assert result["isError"] is True
        assert "no structured content" in text_of(result)


async def test_client_checks_structured_content_against_the_output_schema(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A server that lies about its output: its own check is switched off.
    monkeypatch.setattr(server_module._Tool, "check_structured", lambda self, structured: None)
    server = Server("s")

    @server.tool(structured_output=False)
    async def liar() -> ToolResult:
        return ToolResult(content=[content.text("x")], structured={"celsius": "warm"})

    # The tool lies about its output: declare a schema the result will not meet.
    server._tools["liar"].definition["outputSchema"] = {
        "type": "object",
        "properties": {"celsius": {"type": "number"}},
    }
    async with connect(server, "2025-11-25") as (client, _):
        with pytest.raises(McpError, match="output schema"):
            await client.call_tool("liar")


async def test_tool_exception_is_an_error_result(rev: str) -> None:
    async with connect(make_server(), rev) as (client, _):
        result = await client.call_tool("fail", {"reason": "disk on fire"})
    assert result["isError"] is True
    assert "disk on fire" in text_of(result)


async def test_invalid_arguments(rev: str) -> None:
    async with connect(make_server(), rev) as (client, _):
        if rev >= "2025-11-25":
            result = await client.call_tool("add", {"a": "not a number"})
            assert result["isError"] is True
            assert "a" in text_of(result)
        else:
            with pytest.raises(McpError) as info:
                await client.call_tool("add", {"a": "not a number"})
            assert info.value.code == INVALID_PARAMS


async def test_unknown_tool_is_invalid_params(rev: str) -> None:
    async with connect(make_server(), rev) as (client, _):
        with pytest.raises(McpError) as info:
            await client.call_tool("nope")
        assert info.value.code == INVALID_PARAMS
        assert "nope" in info.value.message


async def test_content_kinds_fit_the_revision(rev: str) -> None:
    async with connect(make_server(), rev) as (client, _):
        result = await client.call_tool("media")
    kinds = [block["type"] for block in result["content"]]
    expected = ["text", "image"]
    if rev >= "2025-03-26":
        expected.append("audio")
    if rev >= "2025-06-18":
        expected.append("resource_link")
    expected.append("resource")
    assert kinds == expected
    assert base64.b64decode(str(dict(result["content"][1])["data"])) == b"\x89PNG"


async def test_progress(rev: str) -> None:
    seen: list[tuple[float, float | None, str | None]] = []
    async with connect(make_server(), rev) as (client, capture):
        result = await client.call_tool("slow", {"steps": 3}, progress=lambda p, t, m: seen.append((p, t, m)))
        assert text_of(result) == "done"
    message = (lambda i: f"step {i}") if rev >= "2025-03-26" else (lambda i: None)
    assert seen == [(i, 3, message(i)) for i in (1, 2, 3)]
    assert len(capture.received("notifications/progress")) == 3


async def test_progress_must_increase() -> None:
    server = Server("s")

    @server.tool()
    async def backwards(ctx: Context) -> str:
        await ctx.report_progress(2)
        try:
            await ctx.report_progress(1)
        except ValueError as exc:
            return f"refused: {exc}"
        return "accepted"

    async with connect(server, "2025-11-25") as (client, _):
        result = await client.call_tool("backwards", progress=lambda p, t, m: None)
    assert text_of(result).startswith("refused")


async def test_logging_honours_set_level(rev: str) -> None:
    logs: list[dict[str, Any]] = []
    async with connect(make_server(), rev, on_log=logs.append) as (client, _):
        await client.call_tool("chatty")
        await client.set_logging_level("warning")
        await client.call_tool("chatty")
        await client.ping()  # the log notifications were sent before the answer
        with pytest.raises(ValueError, match="level"):
            await client.set_logging_level("loud")  # type: ignore[arg-type]
    levels = [entry["level"] for entry in logs]
    assert levels == ["debug", "info", "warning", "error", "warning", "error"]
    assert logs[0] == {"level": "debug", "logger": "chatty", "data": {"level": "debug"}}


# -- resources --------------------------------------------------------------------------------


async def test_resources(rev: str) -> None:
    async with connect(make_server(), rev) as (client, _):
        resources = {r["uri"]: r for r in await client.list_resources()}
        assert set(resources) == {"file:///readme.txt", "file:///logo.png"}
        assert resources["file:///readme.txt"]["size"] == 5
        assert ("title" in resources["file:///readme.txt"]) == (rev >= "2025-06-18")
        templates = await client.list_resource_templates()
        assert [t["uriTemplate"] for t in templates] == ["users://{user}/profile"]
        text = await client.read_resource("file:///readme.txt")
        assert text["contents"] == [{"uri": "file:///readme.txt", "mimeType": "text/plain", "text": "hello"}]
        blob = await client.read_resource("file:///logo.png")
        assert base64.b64decode(str(dict(blob["contents"][0])["blob"])) == b"\x89PNG\r\n"
        profile = await client.read_resource("users://ada/profile")
        assert dict(profile["contents"][0])["text"] == '{"user": "ada"}'
        with pytest.raises(McpError) as info:
            await client.read_resource("file:///missing")
        assert info.value.code == RESOURCE_NOT_FOUND
        assert info.value.data == {"uri": "file:///missing"}


async def test_subscriptions_and_list_changed(rev: str) -> None:
    updated: list[str] = []
    changed: list[str] = []
    both = anyio.Event()

    def on_changed(kind: str) -> None:
        changed.append(kind)
        if len(changed) == 2:
            both.set()

    server = make_server()
    async with connect(server, rev, on_resource_updated=updated.append, on_list_changed=on_changed) as (
        client,
        _,
    ):
        await client.subscribe("file:///readme.txt")
        await server.notify_resource_updated("file:///readme.txt")
        await server.notify_resource_updated("file:///logo.png")  # not subscribed
        await client.unsubscribe("file:///readme.txt")
        await server.notify_resource_updated("file:///readme.txt")

        server.add_tool(lambda: "new", name="late")
        server.remove_prompt("greet")
        with anyio.fail_after(5):
            await both.wait()
        assert "late" in [t["name"] for t in await client.list_tools()]
    assert updated == ["file:///readme.txt"]
    assert sorted(changed) == ["prompts", "tools"]


# -- prompts and completion -------------------------------------------------------------------


async def test_prompts(rev: str) -> None:
    async with connect(make_server(), rev) as (client, _):
        (prompt,) = await client.list_prompts()
        assert prompt["name"] == "greet"
        assert prompt["arguments"] == [
            {"name": "name", "required": True, "description": "who"},
            {"name": "style", "required": False},
        ]
        result = await client.get_prompt("greet", {"name": "Ada"})
        assert result["messages"] == [
            {"role": "user", "content": {"type": "text", "text": "Hello Ada (plain)"}}
        ]
        assert result["description"] == "Say hello."
        with pytest.raises(McpError, match="name") as info:
            await client.get_prompt("greet", {})
        assert info.value.code == INVALID_PARAMS
        with pytest.raises(McpError) as info:
            await client.get_prompt("nope")
        assert info.value.code == INVALID_PARAMS


async def test_completion(rev: str) -> None:
    async with connect(make_server(), rev) as (client, _):
        ref = {"type": "ref/prompt", "name": "greet"}
        got = await client.complete(ref, "style", "p", context={"name": "Ada"})
        assert got == {"values": ["plain", "pirate", "poem"]}
        many = await client.complete({"type": "ref/resource", "uri": "users://{user}/profile"}, "user", "u")
        assert len(many["values"]) == 100
        assert many["total"] == 150
        assert many["hasMore"] is True
        with pytest.raises(McpError) as info:
            await client.complete({"type": "ref/prompt", "name": "nope"}, "x", "")
        assert info.value.code == INVALID_PARAMS


async def test_completion_returning_a_completion_object() -> None:
    server = Server("s")

    @server.prompt()
    def p(x: str) -> str:
        return x

    @server.completion()
    async def anything(
        ref: dict[str, Any], argument: str, value: str, arguments: dict[str, str]
    ) -> Completion:
        return Completion([value + "!"], total=7, has_more=False)

    async with connect(server, "2025-06-18") as (client, _):
        got = await client.complete({"type": "ref/prompt", "name": "p"}, "x", "hey")
    assert got == {"values": ["hey!"], "total": 7, "hasMore": False}


# -- pagination -------------------------------------------------------------------------------


async def test_pagination(rev: str) -> None:
    server = Server("s", page_size=2)
    for i in range(5):
        server.add_tool(lambda: "x", name=f"t{i}")
    async with connect(server, rev) as (client, capture):
        pages = [[t["name"] for t in page] async for page in client.list_tools().pages()]
        assert pages == [["t0", "t1"], ["t2", "t3"], ["t4"]]
        first = await client.request("tools/list")
        cursor = first["nextCursor"]
        for bad in (cursor[:-2] + "AA", "garbage", "", 7):
            with pytest.raises(McpError) as info:
                await client.request("tools/list", {"cursor": bad})
            assert info.value.code == INVALID_PARAMS
        # A non-string cursor breaks the schema on purpose: leave it out of the check.
        capture.exempt += [m for m in capture.sent("tools/list") if m.get("params") == {"cursor": 7}]
    assert len(capture.sent("tools/list")) == 3 + 1 + 4


async def test_cursor_of_one_list_is_refused_by_another() -> None:
    server = Server("s", page_size=1, declare=["prompts"])
    server.add_tool(lambda: "x", name="a")
    server.add_tool(lambda: "x", name="b")
    async with connect(server, "2025-11-25") as (client, _):
        cursor = (await client.request("tools/list"))["nextCursor"]
        with pytest.raises(McpError) as info:
            await client.request("prompts/list", {"cursor": cursor})
        assert info.value.code == INVALID_PARAMS


# -- requests to the client -------------------------------------------------------------------


def ask_server() -> Server:
    server = Server("asker")

    @server.tool()
    async def ask_model(ctx: Context) -> str:
        result = await ctx.sample("What is 2+2?", max_tokens=10, system_prompt="terse")
        return str(result["content"]["text"])

    @server.tool()
    async def ask_user(ctx: Context) -> str:
        class Form(pydantic.BaseModel):
            name: str
            age: int = 30

        answer = await ctx.elicit("Who are you?", Form)
        if answer.action != "accept":
            return answer.action
        assert answer.content is not None
        return f"{answer.content.name} {answer.content.age}"

    @server.tool()
    async def roots(ctx: Context) -> list[str]:
        return [r["uri"] for r in await ctx.list_roots()]

    return server


async def sampler(params: dict[str, Any]) -> dict[str, Any]:
    assert params["systemPrompt"] == "terse"
    return {
        "role": "assistant",
        "content": {"type": "text", "text": "4"},
        "model": "m",
        "stopReason": "endTurn",
    }


async def elicitor(params: dict[str, Any]) -> dict[str, Any]:
    assert params["requestedSchema"]["required"] == ["name"]
    return {"action": "accept", "content": {"name": "Ada", "age": 36}}


async def test_sampling_elicitation_and_roots(rev: str) -> None:
    options: dict[str, Any] = {"sampling": sampler, "elicitation": elicitor, "roots": ["file:///work"]}
    async with connect(ask_server(), rev, **options) as (client, _):
        assert text_of(await client.call_tool("ask_model")) == "4"
        asked = await client.call_tool("ask_user")
        if rev >= "2025-06-18":
            assert text_of(asked) == "Ada 36"
        else:
            assert asked["isError"] is True  # no elicitation before 2025-06-18
        got = await client.call_tool("roots")
        assert text_of(got) == '["file:///work"]'
        await client.set_roots(["file:///elsewhere"])
        await client.ping()
        got = await client.call_tool("roots")
        assert text_of(got) == '["file:///elsewhere"]'


async def test_server_api_refuses_what_the_client_cannot_take(rev: str) -> None:
    async with connect(ask_server(), rev) as (client, capture):
        for tool in ("ask_model", "ask_user", "roots"):
            result = await client.call_tool(tool)
            assert result["isError"] is True
            assert "capability" in text_of(result) or "revision" in text_of(result)
    assert not [m for d, m in capture.messages if d == "in" and "id" in m and "method" in m]


async def test_client_refuses_what_the_server_did_not_declare() -> None:
    server = Server("bare")

    @server.tool()
    def t() -> str:
        return ""

    async with connect(server, "2025-11-25") as (client, capture):
        with pytest.raises(CapabilityError, match="prompts"):
            await client.list_prompts()
        with pytest.raises(CapabilityError, match="resources"):
            await client.read_resource("file:///x")
    assert not capture.sent("prompts/list")


async def test_undeclared_capability_is_method_not_found_at_the_server() -> None:
    server = Server("bare")
    server.add_tool(lambda: "", name="t")
    async with connect(server, "2025-11-25") as (client, _):
        # Past the client's own check, to see the server's answer.
        assert client._dispatcher is not None
        with pytest.raises(McpError) as info:
            await client._dispatcher.request("prompts/list")
        assert info.value.code == METHOD_NOT_FOUND


async def test_lifespan_is_shared_and_closed() -> None:
    events: list[str] = []

    @asynccontextmanager
    async def lifespan(server: Server) -> AsyncIterator[dict[str, int]]:
        events.append("start")
        yield {"answer": 42}
        events.append("stop")

    server = Server("s", lifespan=lifespan)

    @server.tool()
    async def answer(ctx: Context) -> int:
        return int(ctx.lifespan["answer"])

    async with connect(server, "2025-11-25") as (one, _), connect(server, "2025-06-18") as (two, _):
        assert text_of(await one.call_tool("answer")) == "42"
        assert text_of(await two.call_tool("answer")) == "42"
        assert events == ["start"]
    assert events == ["start", "stop"]


async def test_in_memory_client_of_a_server_object() -> None:
    async with Client(make_server()) as client:
        assert client.protocol_version == HANDSHAKE_VERSIONS[-1]
        assert text_of(await client.call_tool("echo", {"text": "x"})) == "x"


async def test_url_elicitation() -> None:
    server = Server("s")

    @server.tool()
    async def login(ctx: Context) -> str:
        action = await ctx.elicit_url("Please sign in", "https://example.com/login", "e-1")
        await ctx.complete_elicitation("e-1")
        return action

    asked: list[dict[str, Any]] = []
    completed: list[str] = []

    async def elicitor(params: dict[str, Any]) -> dict[str, Any]:
        asked.append(params)
        return {"action": "accept"}

    options: dict[str, Any] = {
        "elicitation": elicitor,
        "elicitation_modes": ("form", "url"),
        "on_elicitation_complete": completed.append,
    }
    async with connect(server, "2025-11-25", **options) as (client, capture):
        assert text_of(await client.call_tool("login")) == "accept"
        await client.ping()
    assert asked == [
        {
            "mode": "url",
            "message": "Please sign in",
            "url": "https://example.com/login",
            "elicitationId": "e-1",
        }
    ]
    assert completed == ["e-1"]
    assert capture.sent("initialize")[0]["params"]["capabilities"]["elicitation"] == {"form": {}, "url": {}}


async def test_url_elicitation_needs_the_clients_url_mode() -> None:
    server = Server("s")

    @server.tool()
    async def login(ctx: Context) -> str:
        return await ctx.elicit_url("Please sign in", "https://example.com/login", "e-1")

    async def elicitor(params: dict[str, Any]) -> dict[str, Any]:
        raise AssertionError("not to be called")

    async with connect(server, "2025-11-25", elicitation=elicitor) as (client, _):
        result = await client.call_tool("login")
    assert result["isError"] is True
    assert "url mode" in text_of(result)


async def test_non_finite_numbers_in_structured_output_are_a_tool_error() -> None:
    server = Server("s")

    @server.tool()
    async def weather(city: str) -> Weather:
        return Weather(city=city, celsius=float("nan"))

    async with connect(server, "2025-11-25") as (client, _):
        result = await client.call_tool("weather", {"city": "Oslo"})
    assert result["isError"] is True
    assert "nan" in text_of(result)
