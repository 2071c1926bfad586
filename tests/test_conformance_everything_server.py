"""The conformance suite's reference server behaves as the official suite's scenarios expect.

``conformance.everything_server`` must pass the official npm suite with no failure and no
warning; these tests pin down, in memory and on every handshake revision where it matters, each
behaviour those scenarios check (the ``test_*`` tools, the ``test://`` resources, the ``test_*``
prompts, completion, logging, subscriptions) and the features the server adds beyond them.
Every message of every session is also checked against the official schema of the negotiated
revision when the schemas are at hand (``tests.schema_check``), so what the server sends to an
older client is checked to fit that revision.
"""

from __future__ import annotations

import base64
import json
import re
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest

from conformance import everything_server as es
from mcpcore.client import Client
from mcpcore.content import text_of
from mcpcore.errors import INVALID_PARAMS, RESOURCE_NOT_FOUND, McpError
from mcpcore.revisions import HANDSHAKE_VERSIONS, REVISIONS
from mcpcore.types import CallToolResult
from tests.schema_check import Capture, served
from tests.spec import SPEC_DIR

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parent.parent

# What the official suite calls by name (0.1.16 and 0.2.0), in the first page of each list.
OFFICIAL_TOOLS = (
    "test_simple_text",
    "test_image_content",
    "test_audio_content",
    "test_embedded_resource",
    "test_multiple_content_types",
    "test_tool_with_logging",
    "test_tool_with_progress",
    "test_error_handling",
    "test_reconnection",
    "test_sampling",
    "test_elicitation",
    "test_elicitation_sep1034_defaults",
    "test_elicitation_sep1330_enums",
    "json_schema_2020_12_tool",
)
OFFICIAL_PROMPTS = (
    "test_simple_prompt",
    "test_prompt_with_arguments",
    "test_prompt_with_embedded_resource",
    "test_prompt_with_image",
)
OFFICIAL_RESOURCES = ("test://static-text", "test://static-binary", "test://watched-resource")
TOOL_NAME = re.compile(r"[A-Za-z0-9_./-]{1,64}")  # SEP-986, which the 0.2.0 suite checks


@pytest.fixture(params=HANDSHAKE_VERSIONS)
def rev(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def since(rev: str, first: str) -> bool:
    return HANDSHAKE_VERSIONS.index(rev) >= HANDSHAKE_VERSIONS.index(first)


@asynccontextmanager
async def connect(rev: str = "2025-11-25", **options: Any) -> AsyncIterator[tuple[Client, Capture]]:
    """A client at ``rev`` talking to the reference server in memory, every message recorded.

    When the official schemas are present, everything recorded is checked against them on the
    way out: whatever the test asked, the server's messages must fit the negotiated revision.
    """
    async with (
        served(es.server) as (transport, capture),
        Client(transport, versions=[rev], **options) as client,
    ):
        assert client.protocol_version == rev
        yield client, capture
    if SPEC_DIR.is_dir():
        assert capture.validate(rev) > 0


def only_text(result: CallToolResult) -> str:
    assert not result.get("isError"), result
    return text_of(result)


def failure(result: CallToolResult) -> str:
    assert result.get("isError") is True, result
    return text_of(result)


class Recorder:
    """A sampling or elicitation handler that records what it was asked and answers ``reply``."""

    def __init__(self, reply: dict[str, Any]) -> None:
        self.reply = reply
        self.asked: list[dict[str, Any]] = []

    async def __call__(self, params: dict[str, Any]) -> dict[str, Any]:
        self.asked.append(params)
        return self.reply


class Notified:
    """A notification handler that records its argument and lets a test wait for the first one."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.event = anyio.Event()

    def __call__(self, value: str) -> None:
        self.seen.append(value)
        self.event.set()

    async def first(self) -> str:
        # Notification handlers run apart from the answers: wait for this one, boundedly.
        with anyio.fail_after(10):
            await self.event.wait()
        return self.seen[0]


SAMPLED = {
    "role": "assistant",
    "content": {"type": "text", "text": "a reply from the model"},
    "model": "test-model",
    "stopReason": "endTurn",
}


# -- lists ------------------------------------------------------------------------------------


async def test_the_first_pages_hold_everything_the_official_suite_looks_for(rev: str) -> None:
    async with connect(rev) as (client, _):
        tools = await client.request("tools/list", {})
        assert "nextCursor" not in tools  # the official suite reads one page only
        names = [tool["name"] for tool in tools["tools"]]
        assert set(OFFICIAL_TOOLS) <= set(names)
        for tool in tools["tools"]:
            assert TOOL_NAME.fullmatch(tool["name"]), tool["name"]
            assert tool["description"], tool["name"]
            assert tool["inputSchema"]["type"] == "object"

        prompts = await client.request("prompts/list", {})
        assert "nextCursor" not in prompts
        assert {p["name"] for p in prompts["prompts"]} >= set(OFFICIAL_PROMPTS)
        assert all(p["description"] for p in prompts["prompts"])
        by_name = {p["name"]: p for p in prompts["prompts"]}
        assert [(a["name"], a["required"]) for a in by_name["test_prompt_with_arguments"]["arguments"]] == [
            ("arg1", True),
            ("arg2", True),
        ]

        first = await client.request("resources/list", {})
        assert all(r["uri"] and r["name"] for r in first["resources"])
        assert {r["uri"] for r in first["resources"]} >= set(OFFICIAL_RESOURCES)

        templates = await client.list_resource_templates()
        assert [t["uriTemplate"] for t in templates] == ["test://template/{id}/data"]


async def test_resources_come_in_pages() -> None:
    async with connect() as (client, _):
        first = await client.request("resources/list", {})
        assert len(first["resources"]) == es.PAGE_SIZE
        assert isinstance(first["nextCursor"], str)
        everything = await client.list_resources()
    uris = [r["uri"] for r in everything]
    assert len(uris) == len(set(uris)) == len(OFFICIAL_RESOURCES) + es.PAGED_RESOURCES
    assert uris[-1] == f"test://paged/{es.PAGED_RESOURCES:02d}"


def test_every_tool_fits_in_one_page_even_with_the_dynamic_one() -> None:
    tools = len(es.server._tools) + (0 if "tools" in es._dynamic else 1)
    assert tools <= es.PAGE_SIZE
    assert len(es.server._prompts) + 1 <= es.PAGE_SIZE


async def test_capabilities_and_identity(rev: str) -> None:
    async with connect(rev) as (client, _):
        caps = client.server_capabilities
        info = client.server_info
    assert caps["tools"] == {"listChanged": True}
    assert caps["resources"] == {"subscribe": True, "listChanged": True}
    assert caps["prompts"] == {"listChanged": True}
    assert caps["logging"] == {}
    assert ("completions" in caps) == since(rev, "2025-03-26")  # 2024-11-05 had no such capability
    assert info["name"] == "mcpcore-conformance-everything"
    assert ("title" in info) == since(rev, "2025-06-18")
    assert ("icons" in info) == since(rev, "2025-11-25")


# -- the official suite's tools ---------------------------------------------------------------


async def test_content_tools(rev: str) -> None:
    async with connect(rev) as (client, _):
        simple = await client.call_tool("test_simple_text")
        image = await client.call_tool("test_image_content", {})
        audio = await client.call_tool("test_audio_content", {})
        embedded = await client.call_tool("test_embedded_resource", {})
        mixed = await client.call_tool("test_multiple_content_types", {})
    assert simple == {"content": [{"type": "text", "text": "This is a simple text response for testing."}]}
    assert image["content"] == [{"type": "image", "data": es.PNG_BASE64, "mimeType": "image/png"}]
    assert base64.b64decode(es.PNG_BASE64).startswith(b"\x89PNG")
    if since(rev, "2025-03-26"):
        assert audio["content"] == [{"type": "audio", "data": es.WAV_BASE64, "mimeType": "audio/wav"}]
        assert base64.b64decode(es.WAV_BASE64).startswith(b"RIFF")
    else:
        assert "2025-03-26" in only_text(audio)  # said, rather than an empty result
    assert embedded["content"] == [
        {
            "type": "resource",
            "resource": {
                "uri": "test://embedded-resource",
                "mimeType": "text/plain",
                "text": "This is an embedded resource content.",
            },
        }
    ]
    assert [block["type"] for block in mixed["content"]] == ["text", "image", "resource"]
    resource: dict[str, Any] = dict(mixed["content"][2]["resource"])  # type: ignore[typeddict-item]
    assert resource["uri"] == "test://mixed-content-resource"
    assert resource["mimeType"] == "application/json"
    assert json.loads(resource["text"]) == {"test": "data", "value": 123}


async def test_logging_tool_sends_three_info_messages_the_level_allows(rev: str) -> None:
    logs: list[dict[str, Any]] = []
    async with connect(rev, on_log=logs.append) as (client, capture):
        await client.set_logging_level("debug")
        assert only_text(await client.call_tool("test_tool_with_logging", {}))
        # The messages precede the answer on the wire: they are all here once the call returns.
        sent = [m["params"] for m in capture.received("notifications/message")]
        assert sent == [
            {"level": "info", "logger": es.LOGGER, "data": "Tool execution started"},
            {"level": "info", "logger": es.LOGGER, "data": "Tool processing data"},
            {"level": "info", "logger": es.LOGGER, "data": "Tool execution completed"},
        ]
        await client.set_logging_level("warning")
        await client.call_tool("test_tool_with_logging", {})
        assert len(capture.received("notifications/message")) == 3  # info is below warning now


async def test_progress_tool_reports_0_50_100_of_100(rev: str) -> None:
    seen: list[tuple[float, float | None, str | None]] = []

    def progress(done: float, total: float | None, message: str | None) -> None:
        seen.append((done, total, message))

    async with connect(rev) as (client, capture):
        result = await client.call_tool("test_tool_with_progress", {}, progress=progress)
        assert "token" in only_text(result)
        messages = since(rev, "2025-03-26")  # progress messages arrived in 2025-03-26
        assert seen == [
            (step, 100, f"Completed step {step} of 100" if messages else None) for step in (0, 50, 100)
        ]
        quiet = await client.call_tool("test_tool_with_progress", {})
        assert only_text(quiet) == "No progress token was given"
        assert len(capture.received("notifications/progress")) == 3


async def test_error_tool_is_an_is_error_result(rev: str) -> None:
    async with connect(rev) as (client, _):
        result = await client.call_tool("test_error_handling", {})
    assert result["content"][0]["type"] == "text"
    assert "This tool intentionally returns an error for testing" in failure(result)


async def test_reconnection_tool_simply_answers_where_there_is_no_sse_stream() -> None:
    async with connect() as (client, _):
        result = await client.call_tool("test_reconnection", {})
    assert only_text(result) == "test_reconnection answered on an unbroken connection (no SSE polling here)"


async def test_sampling_tool_asks_the_clients_model(rev: str) -> None:
    model = Recorder(SAMPLED)
    async with connect(rev, sampling=model) as (client, _):
        result = await client.call_tool("test_sampling", {"prompt": "Test prompt for sampling"})
    assert only_text(result) == "LLM response: a reply from the model"
    assert model.asked == [
        {
            "messages": [{"role": "user", "content": {"type": "text", "text": "Test prompt for sampling"}}],
            "maxTokens": 100,
        }
    ]


async def test_sampling_tool_fails_without_the_sampling_capability(rev: str) -> None:
    async with connect(rev) as (client, capture):
        result = await client.call_tool("test_sampling", {"prompt": "anything"})
    assert "sampling" in failure(result)
    assert not capture.received("sampling/createMessage")  # refused before anything was sent


async def test_elicitation_tool(rev: str) -> None:
    user = Recorder({"action": "accept", "content": {"username": "testuser", "email": "test@example.com"}})
    async with connect(rev, elicitation=user) as (client, _):
        result = await client.call_tool("test_elicitation", {"message": "Please provide your information"})
        if not since(rev, "2025-06-18"):
            assert "elicitation" in failure(result)  # the revision has no elicitation at all
            assert not user.asked
            return
        assert (
            only_text(result)
            == 'User response: action=accept, content={"username":"testuser","email":"test@example.com"}'
        )
        (asked,) = user.asked
        assert asked["message"] == "Please provide your information"
        schema = asked["requestedSchema"]
        assert set(schema["properties"]) == {"username", "email"}
        assert schema["required"] == ["username", "email"]
        assert asked.get("mode") == ("form" if since(rev, "2025-11-25") else None)
        user.reply = {"action": "decline"}
        declined = await client.call_tool("test_elicitation", {"message": "Again?"})
        assert only_text(declined) == "User response: action=decline, content={}"


async def test_elicitation_defaults_tool() -> None:
    answer = {"name": "Jane Smith", "age": 25, "score": 88.0, "status": "inactive", "verified": False}
    user = Recorder({"action": "accept", "content": answer})
    async with connect("2025-11-25", elicitation=user) as (client, _):
        result = await client.call_tool("test_elicitation_sep1034_defaults", {})
    properties = user.asked[0]["requestedSchema"]["properties"]
    assert {name: (p["type"], p["default"]) for name, p in properties.items()} == {
        "name": ("string", "John Doe"),
        "age": ("integer", 30),
        "score": ("number", 95.5),
        "status": ("string", "active"),
        "verified": ("boolean", True),
    }
    assert properties["status"]["enum"] == ["active", "inactive", "pending"]
    assert only_text(result).startswith("Elicitation completed: action=accept, content=")
    assert json.loads(only_text(result).split("content=", 1)[1]) == answer


async def test_elicitation_defaults_under_2025_06_18_keep_only_the_boolean_default() -> None:
    user = Recorder({"action": "cancel"})
    async with connect("2025-06-18", elicitation=user) as (client, _):
        result = await client.call_tool("test_elicitation_sep1034_defaults", {})
    properties = user.asked[0]["requestedSchema"]["properties"]
    assert {name for name, p in properties.items() if "default" in p} == {"verified"}
    assert only_text(result) == "Elicitation completed: action=cancel, content={}"


async def test_elicitation_enums_tool_sends_all_five_shapes() -> None:
    answer = {
        "untitledSingle": "option1",
        "titledSingle": "value1",
        "legacyEnum": "opt1",
        "untitledMulti": ["option1", "option2"],
        "titledMulti": ["value1", "value2"],
    }
    user = Recorder({"action": "accept", "content": answer})
    async with connect("2025-11-25", elicitation=user) as (client, _):
        result = await client.call_tool("test_elicitation_sep1330_enums", {})
    properties = user.asked[0]["requestedSchema"]["properties"]
    assert properties == es.ENUMS_SCHEMA["properties"]
    assert "oneOf" not in properties["untitledSingle"] and "enumNames" not in properties["untitledSingle"]
    assert "enum" not in properties["titledSingle"]
    assert "enum" not in properties["titledMulti"]["items"]
    assert json.loads(only_text(result).split("content=", 1)[1]) == answer


async def test_elicitation_enums_tool_says_2025_06_18_has_no_multi_select() -> None:
    user = Recorder({"action": "cancel"})
    async with connect("2025-06-18", elicitation=user) as (client, _):
        result = await client.call_tool("test_elicitation_sep1330_enums", {})
    assert "multi-select" in failure(result)
    assert not user.asked


async def test_json_schema_2020_12_tool_is_listed_whole(rev: str) -> None:
    async with connect(rev) as (client, _):
        tools = {tool["name"]: tool for tool in await client.list_tools()}
        ok = await client.call_tool("json_schema_2020_12_tool", {"name": "Ada", "email": "ada@example.com"})
        assert only_text(ok) == 'json_schema_2020_12_tool got {"name":"Ada","email":"ada@example.com"}'
        # The schema is enforced: neither phone nor email, or a property it does not list.
        for bad in ({"name": "Ada"}, {"email": "ada@example.com", "nickname": "A"}):
            if since(rev, "2025-11-25"):
                assert "Invalid arguments" in failure(await client.call_tool("json_schema_2020_12_tool", bad))
            else:
                with pytest.raises(McpError) as info:
                    await client.call_tool("json_schema_2020_12_tool", bad)
                assert info.value.code == INVALID_PARAMS
    schema = tools["json_schema_2020_12_tool"]["inputSchema"]
    assert schema == es.JSON_SCHEMA_2020_12
    assert schema["$defs"]["address"]["$anchor"] == "addressDef"
    assert {"$schema", "allOf", "if", "then", "else", "additionalProperties"} <= set(schema)


# -- the official suite's resources and prompts -----------------------------------------------


async def test_resources(rev: str) -> None:
    async with connect(rev) as (client, _):
        text = await client.read_resource("test://static-text")
        binary = await client.read_resource("test://static-binary")
        watched = await client.read_resource("test://watched-resource")
        templated = await client.read_resource("test://template/123/data")
        with pytest.raises(McpError) as info:
            await client.read_resource("test://nonexistent-resource-for-conformance-testing")
    assert text["contents"] == [
        {
            "uri": "test://static-text",
            "mimeType": "text/plain",
            "text": "This is the content of the static text resource.",
        }
    ]
    (blob,) = binary["contents"]
    assert blob["mimeType"] == "image/png"
    assert base64.b64decode(blob["blob"]) == es.PNG  # type: ignore[typeddict-item]
    assert watched["contents"][0]["text"] == "Watched resource content"  # type: ignore[typeddict-item]
    (data,) = templated["contents"]
    assert data["uri"] == "test://template/123/data"
    assert data["mimeType"] == "application/json"
    assert json.loads(data["text"]) == {  # type: ignore[typeddict-item]
        "id": "123",
        "templateTest": True,
        "data": "Data for ID: 123",
    }
    assert info.value.code == RESOURCE_NOT_FOUND == REVISIONS[rev].resource_not_found


async def test_subscribe_then_unsubscribe(rev: str) -> None:
    updated = Notified()
    async with connect(rev, on_resource_updated=updated) as (client, capture):
        await client.subscribe("test://watched-resource")
        await client.call_tool("test_notify_resource_updated", {})
        # The notification is sent before the tool answers: it is recorded by now.
        assert [m["params"] for m in capture.received("notifications/resources/updated")] == [
            {"uri": "test://watched-resource"}
        ]
        assert await updated.first() == "test://watched-resource"
        await client.unsubscribe("test://watched-resource")
        await client.call_tool("test_notify_resource_updated", {})
        await client.call_tool("test_notify_resource_updated", {"uri": "test://static-text"})
        assert len(capture.received("notifications/resources/updated")) == 1
    assert updated.seen == ["test://watched-resource"]


async def test_prompts(rev: str) -> None:
    async with connect(rev) as (client, _):
        simple = await client.get_prompt("test_simple_prompt")
        with_args = await client.get_prompt("test_prompt_with_arguments", {"arg1": "hello", "arg2": "world"})
        embedded = await client.get_prompt("test_prompt_with_embedded_resource", {"resourceUri": "test://x"})
        image = await client.get_prompt("test_prompt_with_image")
        with pytest.raises(McpError) as info:
            await client.get_prompt("test_prompt_with_arguments", {"arg1": "only one"})
    assert simple["messages"] == [
        {"role": "user", "content": {"type": "text", "text": "This is a simple prompt for testing."}}
    ]
    assert with_args["messages"] == [
        {
            "role": "user",
            "content": {"type": "text", "text": "Prompt with arguments: arg1='hello', arg2='world'"},
        }
    ]
    first, second = embedded["messages"]
    assert first["content"] == {
        "type": "resource",
        "resource": {
            "uri": "test://x",
            "mimeType": "text/plain",
            "text": "Embedded resource content for testing.",
        },
    }
    assert second["content"]["type"] == "text"
    assert image["messages"][0]["content"] == {
        "type": "image",
        "data": es.PNG_BASE64,
        "mimeType": "image/png",
    }
    assert image["messages"][1]["content"]["type"] == "text"
    assert info.value.code == INVALID_PARAMS
    assert "arg2" in info.value.message


async def test_completion(rev: str) -> None:
    prompt = {"type": "ref/prompt", "name": "test_prompt_with_arguments"}
    template = {"type": "ref/resource", "uri": "test://template/{id}/data"}
    async with connect(rev) as (client, _):
        arg1 = await client.complete(prompt, "arg1", "pa")
        nothing = await client.complete(prompt, "arg1", "zzz")
        arg2 = await client.complete(prompt, "arg2", "", context={"arg1": "park"})
        uris = await client.complete(
            {"type": "ref/prompt", "name": "test_prompt_with_embedded_resource"},
            "resourceUri",
            "test://static",
        )
        every_id = await client.complete(template, "id", "")
        some_ids = await client.complete(template, "id", "24")
    assert arg1 == {"values": ["paris", "park", "party"]}
    assert nothing == {"values": []}
    # Context (the arguments already chosen) travels from 2025-06-18 on.
    base = "park" if since(rev, "2025-06-18") else "value"
    assert arg2["values"] == [f"{base}-one", f"{base}-two"]
    assert uris["values"] == ["test://static-text", "test://static-binary"]
    assert len(every_id["values"]) == 100  # the most one answer may carry
    assert every_id["total"] == es.TEMPLATE_IDS
    assert every_id["hasMore"] is True
    assert some_ids == {"values": ["24", *(f"24{d}" for d in range(10))], "total": 11}


async def test_logging_set_level_answers_empty(rev: str) -> None:
    async with connect(rev) as (client, _):
        assert await client.request("logging/setLevel", {"level": "info"}) == {}
        assert await client.request("ping") == {}


# -- features beyond the official suite -------------------------------------------------------


async def test_structured_output(rev: str) -> None:
    async with connect(rev) as (client, _):
        tool = {t["name"]: t for t in await client.list_tools()}["test_structured_output"]
        result = await client.call_tool("test_structured_output", {"city": "Oslo"})
    expected = {"city": "Oslo", "temperature_c": 21.5, "conditions": "sunny"}
    assert json.loads(only_text(result)) == expected  # every revision gets the JSON as text
    if since(rev, "2025-06-18"):
        assert tool["outputSchema"]["required"] == ["city", "temperature_c", "conditions"]
        assert result["structuredContent"] == expected
    else:
        assert "outputSchema" not in tool
        assert "structuredContent" not in result
    assert ("annotations" in tool) == since(rev, "2025-03-26")


async def test_resource_links(rev: str) -> None:
    async with connect(rev) as (client, _):
        result = await client.call_tool("test_resource_link", {})
    if not since(rev, "2025-06-18"):
        assert "2025-06-18" in only_text(result)
        return
    links = [dict(block) for block in result["content"] if block["type"] == "resource_link"]
    assert [(link["uri"], link["name"]) for link in links] == [
        ("test://static-text", "static-text"),
        ("test://static-binary", "static-binary"),
    ]


async def test_roots() -> None:
    async with connect(roots=["file:///tmp/project"]) as (client, _):
        result = await client.call_tool("test_list_roots", {})
    assert json.loads(only_text(result)) == {"roots": [{"uri": "file:///tmp/project"}]}
    async with connect() as (client, _):
        assert "roots" in failure(await client.call_tool("test_list_roots", {}))


async def test_url_elicitation() -> None:
    completed = Notified()
    user = Recorder({"action": "accept"})
    options: dict[str, Any] = {"elicitation": user, "on_elicitation_complete": completed}
    async with connect(elicitation_modes=("form", "url"), **options) as (client, capture):
        result = await client.call_tool("test_url_elicitation", {"url": "https://example.com/sign-in"})
        assert only_text(result) == "URL elicitation finished: action=accept"
        (asked,) = user.asked
        assert asked["mode"] == "url"
        assert asked["url"] == "https://example.com/sign-in"
        assert [m["params"] for m in capture.received("notifications/elicitation/complete")] == [
            {"elicitationId": asked["elicitationId"]}
        ]
        assert await completed.first() == asked["elicitationId"]
    async with connect(elicitation=Recorder({"action": "accept"})) as (client, _):
        assert "url" in failure(await client.call_tool("test_url_elicitation", {}))  # form-only client
    async with connect("2025-06-18", elicitation=Recorder({"action": "accept"})) as (client, _):
        assert "url" in failure(await client.call_tool("test_url_elicitation", {}))


async def test_sampling_with_tools() -> None:
    model = Recorder(SAMPLED)
    async with connect(sampling=model, sampling_tools=True) as (client, _):
        result = await client.call_tool("test_sampling_with_tools", {"prompt": "Weather in Oslo?"})
    assert only_text(result) == "Sampling with tools answered (text), stopReason=endTurn"
    (asked,) = model.asked
    assert asked["tools"] == [es.WEATHER_TOOL]
    assert asked["toolChoice"] == {"mode": "auto"}
    async with connect(sampling=Recorder(SAMPLED)) as (client, _):  # no sampling.tools capability
        assert "tools" in failure(await client.call_tool("test_sampling_with_tools", {"prompt": "x"}))


@pytest.fixture
def restore_dynamic_items() -> Iterator[None]:
    """Leave the shared server as the test found it, even if the test fails half-way."""
    before = set(es._dynamic)
    yield
    for kind in set(es._dynamic) ^ before:
        es.list_changed(kind)  # type: ignore[arg-type]


@pytest.mark.usefixtures("restore_dynamic_items")
@pytest.mark.parametrize(
    ("kind", "key", "item"),
    [
        ("tools", "name", es.DYNAMIC_TOOL),
        ("resources", "uri", es.DYNAMIC_RESOURCE),
        ("prompts", "name", es.DYNAMIC_PROMPT),
    ],
)
async def test_list_changed(kind: str, key: str, item: str) -> None:
    told: list[str] = []
    changed = anyio.Event()

    def on_list_changed(what: str) -> None:
        told.append(what)
        changed.set()

    async def listed() -> list[str]:
        listing = getattr(client, f"list_{kind}")
        return [entry[key] for entry in await listing()]

    async with connect(on_list_changed=on_list_changed) as (client, _):
        assert item not in await listed()
        assert only_text(await client.call_tool("test_list_changed", {"kind": kind})).startswith("added")
        with anyio.fail_after(10):  # the notification is sent on its own: wait for it, boundedly
            await changed.wait()
        assert item in await listed()
        changed = anyio.Event()
        assert only_text(await client.call_tool("test_list_changed", {"kind": kind})).startswith("removed")
        with anyio.fail_after(10):
            await changed.wait()
        assert item not in await listed()
    assert told == [kind, kind]


@pytest.mark.usefixtures("restore_dynamic_items")
async def test_the_dynamic_tool_can_be_called() -> None:
    async with connect() as (client, _):
        await client.call_tool("test_list_changed", {"kind": "tools"})
        assert only_text(await client.call_tool(es.DYNAMIC_TOOL, {})) == "The dynamic tool is here."
        await client.call_tool("test_list_changed", {"kind": "tools"})
        with pytest.raises(McpError) as info:
            await client.call_tool(es.DYNAMIC_TOOL, {})
    assert info.value.code == INVALID_PARAMS


async def test_a_slow_call_can_be_cancelled() -> None:
    async with connect() as (client, capture):
        started = anyio.Event()

        def progress(done: float, total: float | None, message: str | None) -> None:
            started.set()

        async with anyio.create_task_group() as group:

            async def call() -> None:
                await client.call_tool("test_slow", {"seconds": 300}, progress=progress)

            group.start_soon(call)
            with anyio.fail_after(10):
                await started.wait()  # the tool is sleeping now
            group.cancel_scope.cancel()
        assert group.cancel_scope.cancel_called
        # The session is still good, and the server was told to stop the call.
        assert only_text(await client.call_tool("test_simple_text", {}))
        assert len(capture.sent("notifications/cancelled")) == 1


# -- over stdio ---------------------------------------------------------------------------------


async def test_it_runs_over_stdio() -> None:
    from transports.stdio import StdioClientTransport

    transport = StdioClientTransport(
        sys.executable,
        ["-m", "mcpcore.cli", "serve", "conformance.everything_server:server", "--transport", "stdio"],
        cwd=str(ROOT),
        on_stderr=lambda line: None,
    )
    with anyio.fail_after(60):
        async with Client(transport) as client:
            names = {tool["name"] for tool in await client.list_tools()}
            result = await client.call_tool("test_simple_text", {})
    assert set(OFFICIAL_TOOLS) <= names
    assert only_text(result) == "This is a simple text response for testing."
