"""Our client in the stateless era (2026-07-28): era detection, the input-required loop, the
cache, listen streams, and the HTTP headers, against our own server in memory and over HTTP.

The server side is judged from the spec text in ``tests/test_modern_spec.py``; here the subject
is what the client sends and how it copes with each answer.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import anyio
import pydantic
import pytest

from mcpcore import client as client_module
from mcpcore.client import Client
from mcpcore.dispatcher import Receiver
from mcpcore.errors import METHOD_NOT_FOUND, MISSING_REQUIRED_CLIENT_CAPABILITY, McpError
from mcpcore.revisions import HANDSHAKE_VERSIONS, MODERN_VERSIONS
from mcpcore.server import Context, Server
from mcpcore.wire import Message, Request, RequestId
from tests.http_util import eventually, http_app
from transports.memory import MemoryTransport, create_pair

pytestmark = pytest.mark.anyio

MODERN = "2026-07-28"


async def sampled(params: dict[str, Any]) -> dict[str, Any]:
    text = params["messages"][-1]["content"]["text"]
    return {"role": "assistant", "content": {"type": "text", "text": f"answer to {text}"}, "model": "test"}


async def elicited(params: dict[str, Any]) -> dict[str, Any]:
    return {"action": "accept", "content": {"name": "Ada"}}


def make_server(**options: Any) -> Server:
    server = Server("modern-demo", "1.0.0", instructions="be brief", **options)

    @server.tool()
    async def interview(ctx: Context) -> str:
        answer = await ctx.sample("2+2?", max_tokens=5)
        roots = await ctx.list_roots()
        person = await ctx.elicit("Who?", {"type": "object", "properties": {"name": {"type": "string"}}})
        return f"{answer['content']['text']} / {len(roots)} roots / {person.action} {person.content}"

    @server.tool()
    async def endless(ctx: Context) -> str:
        for n in range(100):  # a handler that never has enough: each round asks something new
            await ctx.sample(f"question {n}", max_tokens=5)
        return "unreachable"

    @server.tool()
    async def region(
        where: Annotated[str, pydantic.Field(json_schema_extra={"x-mcp-header": "Region"})],
    ) -> str:
        return f"in {where}"

    reads = {"count": 0}
    server.reads = reads  # type: ignore[attr-defined]

    @server.resource("memo://counted", ttl_ms=60_000, cache_scope="public")
    def counted() -> str:
        reads["count"] += 1
        return f"read {reads['count']}"

    return server


def params_of(message: Any) -> dict[str, Any]:
    params = message.params
    assert isinstance(params, dict)
    return params


class Recording:
    """The client's end of a memory pair, recording what it sends (and dropping some)."""

    allow_batch = False

    def __init__(self, inner: MemoryTransport, drop: frozenset[str] = frozenset()) -> None:
        self.inner = inner
        self.sent: list[Message] = []
        self.drop = drop

    async def run(self, receiver: Receiver) -> None:
        await self.inner.run(receiver)

    async def aclose(self) -> None:
        await self.inner.aclose()

    async def send(
        self, message: Message | list[Message], related_request_id: RequestId | None = None
    ) -> None:
        assert not isinstance(message, list)
        self.sent.append(message)
        if isinstance(message, Request) and message.method in self.drop:
            return  # as a legacy server that ignores what it does not know would
        await self.inner.send(message, related_request_id)

    def methods(self) -> list[str]:
        return [m.method for m in self.sent if isinstance(m, Request)]


@asynccontextmanager
async def connected(
    server: Server, *, drop: frozenset[str] = frozenset(), era_key: str | None = None, **options: Any
) -> AsyncIterator[tuple[Client, Recording]]:
    ours, theirs = create_pair()
    recording = Recording(ours, drop)
    if era_key is not None:
        recording.era_key = era_key  # type: ignore[attr-defined]
    async with anyio.create_task_group() as group:
        group.start_soon(server.serve, theirs)
        async with Client(
            recording, sampling=sampled, elicitation=elicited, roots=["file:///work"], **options
        ) as client:
            yield client, recording
        group.cancel_scope.cancel()


# -- era detection ---------------------------------------------------------------------------


async def test_a_dual_era_server_is_spoken_to_in_the_modern_era() -> None:
    async with connected(make_server()) as (client, sent):
        assert (client.modern, client.protocol_version) == (True, MODERN)
        assert client.server_info == {"name": "modern-demo", "version": "1.0.0"}
        assert client.instructions == "be brief"
        assert "tools" in client.server_capabilities
        tools = await client.list_tools()
    assert sent.methods() == ["server/discover", "tools/list"]
    meta = params_of(sent.sent[1])["_meta"]
    assert meta["io.modelcontextprotocol/protocolVersion"] == MODERN
    assert meta["io.modelcontextprotocol/clientCapabilities"] == {
        "roots": {},
        "sampling": {},
        "elicitation": {"form": {}},
    }
    assert {t["name"] for t in tools} == {"interview", "endless", "region"}


async def test_a_legacy_server_refusing_the_probe_gets_initialize() -> None:
    legacy = make_server(versions=HANDSHAKE_VERSIONS)
    async with connected(legacy) as (client, sent):
        assert (client.modern, client.protocol_version) == (False, HANDSHAKE_VERSIONS[-1])
        await client.ping()
    assert sent.methods()[:2] == ["server/discover", "initialize"]


async def test_a_silent_probe_times_out_into_initialize() -> None:
    legacy = make_server(versions=HANDSHAKE_VERSIONS)
    async with connected(legacy, drop=frozenset({"server/discover"}), discover_timeout=0.2) as (client, sent):
        assert client.protocol_version == HANDSHAKE_VERSIONS[-1]
    assert sent.methods()[:2] == ["server/discover", "initialize"]
    cancels = [m for m in sent.sent if getattr(m, "method", None) == "notifications/cancelled"]
    assert cancels == []  # a legacy server must hear nothing before initialize


async def test_a_pinned_legacy_client_never_probes() -> None:
    async with connected(make_server(), versions=HANDSHAKE_VERSIONS) as (client, sent):
        assert not client.modern
    assert sent.methods()[0] == "initialize"


async def test_a_modern_only_client_of_a_legacy_server_fails_clearly() -> None:
    legacy = make_server(versions=HANDSHAKE_VERSIONS)
    ours, theirs = create_pair()
    async with anyio.create_task_group() as group:
        group.start_soon(legacy.serve, theirs)
        with pytest.raises(McpError) as caught:
            async with Client(ours, versions=MODERN_VERSIONS):
                pass
        group.cancel_scope.cancel()
    assert caught.value.code == METHOD_NOT_FOUND  # what the legacy server said to the probe


async def test_the_era_of_a_server_is_remembered() -> None:
    key = "test:remembered-legacy-server"
    client_module._ERAS.pop(key, None)
    legacy = make_server(versions=HANDSHAKE_VERSIONS)
    async with connected(legacy, era_key=key) as (_, first):
        pass
    async with connected(legacy, era_key=key) as (client, second):
        assert not client.modern
    assert first.methods()[0] == "server/discover"
    assert second.methods()[0] == "initialize"
    assert client_module._ERAS.pop(key) == "legacy"


# -- input required ----------------------------------------------------------------------------


async def test_the_client_answers_input_requests_and_retries() -> None:
    async with connected(make_server()) as (client, sent):
        result = await client.call_tool("interview", {})
    assert result["content"] == [
        {"type": "text", "text": "answer to 2+2? / 1 roots / accept {'name': 'Ada'}"}
    ]
    calls = [m for m in sent.sent if isinstance(m, Request) and m.method == "tools/call"]
    assert len(calls) == 4  # the first try, then one retry per question
    assert len({c.id for c in calls}) == 4  # every retry is a new request
    assert "requestState" not in params_of(calls[0])
    for earlier, later in itertools.pairwise(calls):
        assert params_of(later)["requestState"]
        assert params_of(later)["inputResponses"]
        assert params_of(later)["name"] == params_of(earlier)["name"] == "interview"


async def test_a_client_that_cannot_sample_gets_the_missing_capability_error() -> None:
    ours, theirs = create_pair()
    server = make_server()
    async with anyio.create_task_group() as group:
        group.start_soon(server.serve, theirs)
        async with Client(ours) as client:  # no sampling handler: no sampling capability
            with pytest.raises(McpError) as caught:
                await client.call_tool("interview", {})
        group.cancel_scope.cancel()
    assert caught.value.code == MISSING_REQUIRED_CLIENT_CAPABILITY
    assert caught.value.data == {"requiredCapabilities": {"sampling": {}}}


async def test_input_rounds_are_bounded_on_the_client() -> None:
    async with connected(make_server(), max_input_rounds=3) as (client, sent):
        with pytest.raises(McpError, match="3 rounds"):
            await client.call_tool("endless", {})
    assert sent.methods().count("tools/call") == 4


async def test_input_rounds_are_bounded_on_the_server() -> None:
    async with connected(make_server(max_input_rounds=2), max_input_rounds=10) as (client, _):
        with pytest.raises(McpError, match="2 rounds"):
            await client.call_tool("endless", {})


# -- cache, logging, listen --------------------------------------------------------------------


async def test_reads_are_cached_for_their_ttl() -> None:
    server = make_server()
    async with connected(server) as (client, sent):
        first = await client.read_resource("memo://counted")
        again = await client.read_resource("memo://counted")
        client.clear_cache()
        third = await client.read_resource("memo://counted")
    assert [c["text"] for r in (first, again, third) for c in r["contents"]] == ["read 1", "read 1", "read 2"]  # type: ignore[typeddict-item]
    assert sent.methods().count("resources/read") == 2


async def test_a_client_without_cache_asks_every_time() -> None:
    async with connected(make_server(), cache=False) as (client, sent):
        await client.read_resource("memo://counted")
        await client.read_resource("memo://counted")
    assert sent.methods().count("resources/read") == 2


async def test_the_log_level_travels_in_each_request() -> None:
    server = make_server()

    @server.tool()
    async def chatty(ctx: Context) -> str:
        await ctx.debug("detail")
        await ctx.warning("careful")
        return "done"

    logs: list[dict[str, Any]] = []
    async with connected(server, on_log=logs.append) as (client, _):
        await client.call_tool("chatty", {})  # no level asked for: no log notifications at all
        await client.set_logging_level("warning")
        await client.call_tool("chatty", {})
        await eventually(lambda: logs)  # log handlers run after the answer; in order
    assert [entry["data"] for entry in logs] == ["careful"]


async def test_a_listen_stream_hears_what_it_asked_for_and_ends_gracefully() -> None:
    server = make_server()
    async with connected(server) as (client, _):
        async with client.listen(tools=True, uris=["memo://counted"]) as sub:
            assert sub.acknowledged == {"toolsListChanged": True, "resourceSubscriptions": ["memo://counted"]}
            server.add_prompt(lambda: "hi", name="unheard")  # prompts were not asked for
            await server.notify_resource_updated("memo://counted")
            server.add_tool(lambda: 1, name="late")
            heard = []
            with anyio.fail_after(5):
                async for note in sub:
                    heard.append(note.method)
                    if len(heard) == 2:
                        break
            server.end_subscriptions()
            with anyio.fail_after(5):
                rest = [note async for note in sub]
        assert heard == ["notifications/resources/updated", "notifications/tools/list_changed"]
        assert rest == []
        assert sub.result["resultType"] == "complete"
        assert not server.listeners


async def test_leaving_a_listen_block_ends_the_subscription_on_the_server() -> None:
    server = make_server()
    async with connected(server) as (client, sent):
        async with client.listen(tools=True):
            assert len(server.listeners) == 1
        await eventually(lambda: not server.listeners)
    assert any(getattr(m, "method", None) == "notifications/cancelled" for m in sent.sent)


# -- over HTTP ---------------------------------------------------------------------------------


async def test_over_http_the_client_mirrors_arguments_into_headers() -> None:
    server = make_server()
    async with http_app(server) as (url, _), Client(url) as client:
        assert client.modern
        # Never listed: the first call lacks the header, the server says so, the client lists
        # the tools and tries again with it.
        first = await client.call_tool("region", {"where": "us-west1"})
        unicode = await client.call_tool("region", {"where": " Zürich "})
    assert first["content"] == [{"type": "text", "text": "in us-west1"}]
    assert unicode["content"] == [{"type": "text", "text": "in  Zürich "}]


async def test_over_http_the_client_runs_input_rounds_and_listens() -> None:
    server = make_server()
    async with http_app(server) as (url, _):
        async with Client(url, sampling=sampled, elicitation=elicited, roots=["file:///work"]) as client:
            result = await client.call_tool("interview", {})
            async with client.listen(tools=True) as sub:
                server.add_tool(lambda: 1, name="later")
                with anyio.fail_after(5):
                    note = await sub.__anext__()
        assert note.method == "notifications/tools/list_changed"
        assert params_of(note)["_meta"]["io.modelcontextprotocol/subscriptionId"] == sub.id
        assert "accept" in result["content"][0]["text"]  # type: ignore[typeddict-item]
        await eventually(lambda: not server.listeners)


async def test_over_http_cancelling_a_call_closes_its_stream_and_stops_the_tool() -> None:
    server = make_server()
    started, stopped = anyio.Event(), anyio.Event()

    @server.tool()
    async def slow() -> str:
        started.set()
        try:
            await anyio.sleep(30)
        finally:
            stopped.set()
        return "never"

    async with http_app(server) as (url, _), Client(url) as client:
        with anyio.move_on_after(10) as scope:
            async with anyio.create_task_group() as group:
                group.start_soon(client.call_tool, "slow", {})
                await started.wait()
                group.cancel_scope.cancel()
        assert not scope.cancelled_caught
        with anyio.fail_after(5):
            await stopped.wait()


def test_tools_with_invalid_header_annotations_are_left_out_over_http() -> None:
    client = Client("http://127.0.0.1:9/mcp")
    client.modern = True
    client._dispatcher = type("D", (), {"transport": type("T", (), {"tool_headers": {}})()})()
    good = {
        "name": "good",
        "inputSchema": {"type": "object", "properties": {"a": {"type": "string", "x-mcp-header": "A"}}},
    }
    on_number = {
        "name": "bad",
        "inputSchema": {"type": "object", "properties": {"n": {"type": "number", "x-mcp-header": "N"}}},
    }
    in_items = {
        "name": "worse",
        "inputSchema": {
            "type": "object",
            "properties": {"l": {"type": "array", "items": {"type": "string", "x-mcp-header": "L"}}},
        },
    }
    assert client._remember_schemas([good, on_number, in_items]) == [good]


def test_a_server_refuses_a_tool_with_an_invalid_header_annotation() -> None:
    server = Server("s")
    with pytest.raises(ValueError, match="x-mcp-header"):
        server.add_tool(
            lambda n: n,
            name="bad",
            input_schema={"type": "object", "properties": {"n": {"type": "number", "x-mcp-header": "N"}}},
        )
