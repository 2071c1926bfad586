"""Our client against the official TypeScript reference server, over stdio, on Node.js.

``@modelcontextprotocol/server-everything`` is the MCP project's own "exercise everything"
server, built on the official TypeScript SDK; ``tests/interop_npm.py`` installs one pinned
release of it. Each test spawns a fresh server process (the server keeps state per process:
subscriptions, roots, timers), drives it with :class:`~mcpcore.client.Client` over
:class:`~transports.stdio.StdioClientTransport`, and asserts on what that release answers,
read from its source: exact texts, exact shapes, exact error codes. Where the answer depends
on what our client declared (the server registers some tools only for clients that offer
sampling, elicitation or roots), the tests say which declaration produced which tool.

The transport is wrapped to record what goes each way, so that a test can check the wire
itself (the revision offered, the ``notifications/cancelled`` sent, the answer that must not
come) rather than infer it. Nothing here measures time; the waits that exist bound a test,
and the one sleep-like wait (a long-running tool) is the server's own pacing.

The first run installs the package with npm, which needs the registry: when it cannot be
reached the tests fail, quoting npm, by the project's rule that a peer never goes missing
silently. That install may take longer than the suite's default limit, hence the module's own.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import re
import signal
import struct
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Generic, TypeVar

import anyio
import pytest

from mcpcore.client import Client
from mcpcore.dispatcher import Incoming, Receiver
from mcpcore.errors import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    URL_ELICITATION_REQUIRED,
    ConnectionClosed,
    McpError,
    RequestTimeout,
)
from mcpcore.types import CallToolResult
from mcpcore.wire import Message, Notification, Request, RequestId, Response
from tests import interop_npm
from transports.stdio import StdioClientTransport

# The npm install on a first run may take minutes; every test body has its own tighter bound.
pytestmark = [pytest.mark.anyio, pytest.mark.timeout(900)]

LIMIT = 30.0  # seconds any one test may take once the package is installed
T = TypeVar("T")

SERVER_INFO = {"name": "mcp-servers/everything", "title": "Everything Reference Server", "version": "2.0.0"}
SERVER_CAPABILITIES = {
    "tools": {"listChanged": True},
    "prompts": {"listChanged": True},
    "resources": {"subscribe": True, "listChanged": True},
    "logging": {},
    "tasks": {"list": {}, "cancel": {}, "requests": {"tools": {"call": {}}}},
    "completions": {},
}
# Registered for every client, in this order.
BASE_TOOLS = [
    "echo",
    "get-annotated-message",
    "get-env",
    "get-resource-links",
    "get-resource-reference",
    "get-structured-content",
    "get-sum",
    "get-tiny-image",
    "gzip-file-as-resource",
    "toggle-simulated-logging",
    "toggle-subscriber-updates",
    "trigger-long-running-operation",
]
READ_ONLY = {"readOnlyHint": True, "destructiveHint": False, "idempotentHint": True, "openWorldHint": False}
DRAFT_07 = "http://json-schema.org/draft-07/schema#"
LONG = "trigger-long-running-operation"
SESSION = "undefined"  # how the server prints the session id of a stdio connection, which has none


@pytest.fixture(scope="module")
def entry() -> Path:
    return interop_npm.ensure_server_everything()


# -- plumbing -------------------------------------------------------------------------------------


class Inbox(Generic[T]):
    """Collects what a callback receives; a test waits until what it expects is there."""

    def __init__(self) -> None:
        self.items: list[T] = []
        self._changed = anyio.Event()

    def __call__(self, item: T) -> None:
        self.items.append(item)
        self._changed.set()
        self._changed = anyio.Event()

    async def wait_for(self, done: Callable[[list[T]], bool]) -> list[T]:
        # Bounded by the test's fail_after: each turn waits for one more item.
        while not done(self.items):
            await self._changed.wait()
        return self.items

    async def wait_len(self, n: int) -> list[T]:
        return await self.wait_for(lambda items: len(items) >= n)


class _Tap:
    def __init__(self, inner: Receiver, log: list[Incoming]) -> None:
        self._inner = inner
        self._log = log

    async def feed(self, item: Incoming) -> None:
        self._log.append(item)
        await self._inner.feed(item)


class RecordingStdio(StdioClientTransport):
    """The stdio transport, keeping every message sent and received, in order."""

    def __init__(self, command: str, args: Sequence[str], **options: Any) -> None:
        super().__init__(command, args, **options)
        self.outbox: Inbox[Message | list[Message]] = Inbox()
        self.received: list[Incoming] = []

    @property
    def sent(self) -> list[Message | list[Message]]:
        return self.outbox.items

    async def send(
        self, message: Message | list[Message], related_request_id: RequestId | None = None
    ) -> None:
        self.outbox(message)
        await super().send(message, related_request_id)

    async def run(self, receiver: Receiver) -> None:
        await super().run(_Tap(receiver, self.received))


def everything(entry: Path, **options: Any) -> tuple[Client, RecordingStdio]:
    transport = RecordingStdio(
        "node", interop_npm.server_args(entry), on_stderr=options.pop("on_stderr", None)
    )
    return Client(transport, **options), transport


def text_of(result: CallToolResult) -> list[str]:
    texts = []
    for block in result["content"]:
        assert block["type"] == "text", block
        texts.append(block["text"])
    return texts


def raw_result(text: str) -> Any:
    """The JSON the server quotes after "Raw result: " (its key order is its own, not ours)."""
    prefix = "\nRaw result: "
    assert text.startswith(prefix), text
    return json.loads(text[len(prefix) :])


def params_of(message: Request | Notification) -> dict[str, Any]:
    assert isinstance(message.params, dict), message
    return message.params


def sent_requests(transport: RecordingStdio, method: str) -> list[Request]:
    return [m for m in transport.sent if isinstance(m, Request) and m.method == method]


def sent_calls(sent: list[Message | list[Message]]) -> list[Request]:
    return [m for m in sent if isinstance(m, Request) and m.method == "tools/call"]


# -- installation -------------------------------------------------------------------------------


def test_the_pinned_release_is_installed_once(entry: Path) -> None:
    manifest = json.loads((entry.parent.parent / "package.json").read_text(encoding="utf-8"))
    assert manifest["name"] == interop_npm.PACKAGE
    assert manifest["version"] == interop_npm.VERSION
    before = entry.stat().st_mtime_ns
    assert interop_npm.ensure_server_everything() == entry
    assert entry.stat().st_mtime_ns == before


def test_an_unreachable_registry_fails_loudly_with_npms_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Port 9 on loopback (discard) has no listener here: the connection is refused at once.
    monkeypatch.setenv("npm_config_registry", "http://127.0.0.1:9/")
    monkeypatch.setenv("npm_config_cache", str(tmp_path / "npm-cache"))  # nothing cached to fall back on
    monkeypatch.setenv("npm_config_fetch_retries", "0")
    prefix = tmp_path / "prefix"
    with pytest.raises(interop_npm.NpmInstallError) as caught:
        interop_npm.ensure_server_everything(prefix)
    message = str(caught.value)
    assert interop_npm.REQUIREMENT in message
    assert "ECONNREFUSED" in message  # npm's own diagnosis is quoted
    assert not (prefix / ".mcpcore-server-everything-ready").exists()


# -- the handshake --------------------------------------------------------------------------------


async def test_handshake_negotiates_the_newest_revision(entry: Path) -> None:
    stderr: Inbox[str] = Inbox()
    client, transport = everything(entry, on_stderr=stderr)
    with anyio.fail_after(LIMIT):
        async with client:
            assert client.protocol_version == "2025-11-25"
            assert client.server_info == SERVER_INFO
            assert client.server_capabilities == SERVER_CAPABILITIES
            instructions = (interop_npm.DOCS_DIR / "instructions.md").read_text(encoding="utf-8")
            assert client.instructions == instructions
            await client.ping()
            await stderr.wait_for(lambda lines: "Starting default (STDIO) server..." in lines)
        (initialize,) = sent_requests(transport, "initialize")
        assert params_of(initialize)["protocolVersion"] == "2025-11-25"
        assert params_of(initialize)["capabilities"] == {}
        # Closing its stdin is how a stdio server is told to stop; this one exits cleanly.
        assert transport.returncode == 0


@pytest.mark.parametrize(
    ("version", "conditional_tools"),
    [
        ("2025-11-25", ["get-roots-list", "trigger-elicitation-request", "trigger-sampling-request"]),
        ("2025-06-18", ["get-roots-list", "trigger-elicitation-request", "trigger-sampling-request"]),
        # Elicitation came in 2025-06-18: our client does not declare it before, so the
        # server does not offer the tool that would need it.
        ("2025-03-26", ["get-roots-list", "trigger-sampling-request"]),
        ("2024-11-05", ["get-roots-list", "trigger-sampling-request"]),
    ],
)
async def test_each_revision_we_offer_is_accepted_as_offered(
    entry: Path, version: str, conditional_tools: list[str]
) -> None:
    answer = {"role": "assistant", "content": {"type": "text", "text": "ok"}, "model": "m"}

    async def sampling(params: dict[str, Any]) -> dict[str, Any]:
        return answer

    async def elicitation(params: dict[str, Any]) -> dict[str, Any]:
        return {"action": "decline"}

    logs: Inbox[dict[str, Any]] = Inbox()
    client, transport = everything(
        entry,
        versions=[version],
        sampling=sampling,
        elicitation=elicitation,
        roots=["file:///srv"],
        on_log=logs,
    )
    with anyio.fail_after(LIMIT):
        async with client:
            assert client.protocol_version == version
            assert client.server_info == SERVER_INFO
            names = [tool["name"] for tool in await client.list_tools()]
            assert names == [*BASE_TOOLS, *conditional_tools, "simulate-research-query"]
            result = await client.call_tool("echo", {"message": version})
            assert result == {"content": [{"type": "text", "text": f"Echo: {version}"}]}
            sampled = await client.call_tool("trigger-sampling-request", {"prompt": version})
            assert json.loads(text_of(sampled)[0].removeprefix("LLM sampling result: \n")) == answer
            # The server asks for our roots by itself after the handshake; waiting for it to
            # say it got them also lets it exit at once when we leave, nothing pending.
            await logs.wait_len(1)
            assert logs.items[0]["data"] == "Roots updated: 1 root(s) received from client"
        (initialize,) = sent_requests(transport, "initialize")
        assert params_of(initialize)["protocolVersion"] == version
        assert transport.returncode == 0


# -- tools ----------------------------------------------------------------------------------------


async def test_tools_come_in_one_page_and_follow_the_declared_capabilities(entry: Path) -> None:
    changed: Inbox[str] = Inbox()

    async def elicitation(params: dict[str, Any]) -> dict[str, Any]:
        return {"action": "cancel"}

    with anyio.fail_after(LIMIT):
        bare, _ = everything(entry, on_list_changed=changed)
        async with bare:
            pages = [page async for page in bare.list_tools().pages()]
            assert len(pages) == 1  # this server does not paginate
            tools = {tool["name"]: tool for tool in pages[0]}
            assert list(tools) == [*BASE_TOOLS, "simulate-research-query"]
            assert tools["echo"] == {
                "name": "echo",
                "title": "Echo Tool",
                "description": "Echoes back the input string",
                "inputSchema": {
                    "$schema": DRAFT_07,
                    "type": "object",
                    "properties": {"message": {"type": "string", "description": "Message to echo"}},
                    "required": ["message"],
                },
                "annotations": READ_ONLY,
                "execution": {"taskSupport": "forbidden"},
            }
            assert tools["simulate-research-query"].get("execution") == {"taskSupport": "required"}
            # The one tool registered after the handshake is announced.
            assert await changed.wait_len(1) == ["tools"]

        # URL-mode elicitation (2025-11-25) adds the tool that needs it.
        full, _ = everything(entry, elicitation=elicitation, elicitation_modes=("form", "url"))
        async with full:
            names = [tool["name"] async for tool in full.list_tools()]
            assert names == [
                *BASE_TOOLS,
                "trigger-elicitation-request",
                "trigger-url-elicitation",
                "simulate-research-query",
            ]


async def test_echo_and_sum(entry: Path) -> None:
    client, _ = everything(entry)
    with anyio.fail_after(LIMIT):
        async with client:
            message = 'héllo, 世界 🌍 "quoted" \\ back\nslash'
            assert await client.call_tool("echo", {"message": message}) == {
                "content": [{"type": "text", "text": f"Echo: {message}"}]
            }
            assert text_of(await client.call_tool("get-sum", {"a": 2, "b": 3.5})) == [
                "The sum of 2 and 3.5 is 5.5."
            ]
            assert text_of(await client.call_tool("get-sum", {"a": -7, "b": 7})) == [
                "The sum of -7 and 7 is 0."
            ]


async def test_many_concurrent_calls_each_get_their_own_answer(entry: Path) -> None:
    client, _ = everything(entry)
    answers: dict[int, list[str]] = {}

    async def call(i: int) -> None:
        answers[i] = text_of(await client.call_tool("echo", {"message": f"call {i}"}))

    with anyio.fail_after(LIMIT):
        async with client, anyio.create_task_group() as group:
            for i in range(32):
                group.start_soon(call, i)
    assert answers == {i: [f"Echo: call {i}"] for i in range(32)}


async def test_a_megabyte_message_crosses_both_ways(entry: Path) -> None:
    client, _ = everything(entry)
    message = "ü" * (512 * 1024)  # 1 MiB of UTF-8, one line each way
    with anyio.fail_after(LIMIT):
        async with client:
            assert text_of(await client.call_tool("echo", {"message": message})) == [f"Echo: {message}"]


async def test_the_tiny_image_is_a_20_pixel_png(entry: Path) -> None:
    client, _ = everything(entry)
    with anyio.fail_after(LIMIT):
        async with client:
            result = await client.call_tool("get-tiny-image", {})
    before, image, after = result["content"]
    assert before == {"type": "text", "text": "Here's the image you requested:"}
    assert after == {"type": "text", "text": "The image above is the MCP logo."}
    assert image["type"] == "image"
    assert image["mimeType"] == "image/png"
    png = base64.b64decode(image["data"], validate=True)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert png[12:16] == b"IHDR"
    assert struct.unpack(">II", png[16:24]) == (20, 20)
    assert "isError" not in result


async def test_annotations_on_text_and_image(entry: Path) -> None:
    client, _ = everything(entry)
    with anyio.fail_after(LIMIT):
        async with client:
            error = await client.call_tool(
                "get-annotated-message", {"messageType": "error", "includeImage": True}
            )
            debug = await client.call_tool("get-annotated-message", {"messageType": "debug"})
            tiny = await client.call_tool("get-tiny-image", {})
    text, image = error["content"]
    assert text == {
        "type": "text",
        "text": "Error: Operation failed",
        "annotations": {"priority": 1, "audience": ["user", "assistant"]},
    }
    assert image["type"] == "image"
    assert image["annotations"] == {"priority": 0.5, "audience": ["user"]}
    assert image["data"] == tiny["content"][1]["data"]  # type: ignore[typeddict-item]
    assert debug["content"] == [
        {
            "type": "text",
            "text": "Debug: Cache hit ratio 0.95, latency 150ms",
            "annotations": {"priority": 0.3, "audience": ["assistant"]},
        }
    ]


@pytest.mark.parametrize(
    ("city", "weather"),
    [
        ("New York", {"temperature": 33, "conditions": "Cloudy", "humidity": 82}),
        ("Chicago", {"temperature": 36, "conditions": "Light rain / drizzle", "humidity": 82}),
        ("Los Angeles", {"temperature": 73, "conditions": "Sunny / Clear", "humidity": 48}),
    ],
)
async def test_structured_content_passes_our_check_against_its_output_schema(
    entry: Path, city: str, weather: dict[str, Any]
) -> None:
    client, transport = everything(entry)
    with anyio.fail_after(LIMIT):
        async with client:
            # No tools/list first: the client fetches the output schema itself to check the result.
            result = await client.call_tool("get-structured-content", {"location": city})
            assert len(sent_requests(transport, "tools/list")) == 1
            tools = {tool["name"]: tool for tool in await client.list_tools()}
    assert result["structuredContent"] == weather
    (block,) = text_of(result)
    assert json.loads(block) == weather  # the copy for clients that predate structured content
    assert tools["get-structured-content"]["outputSchema"] == {
        "$schema": DRAFT_07,
        "type": "object",
        "properties": {
            "temperature": {"type": "number", "description": "Temperature in celsius"},
            "conditions": {"type": "string", "description": "Weather conditions description"},
            "humidity": {"type": "number", "description": "Humidity percentage"},
        },
        "required": ["temperature", "conditions", "humidity"],
        "additionalProperties": False,
    }


async def test_resource_links_and_embedded_references(entry: Path) -> None:
    client, _ = everything(entry)
    with anyio.fail_after(LIMIT):
        async with client:
            links = await client.call_tool("get-resource-links", {"count": 3})
            reference = await client.call_tool(
                "get-resource-reference", {"resourceType": "Blob", "resourceId": 2}
            )
    intro, *rest = links["content"]
    assert intro == {
        "type": "text",
        "text": "Here are 3 resource links to resources available in this server:",
    }
    # Odd ids link blobs, even ids texts; all are described as plaintext and typed text/plain.
    assert rest == [
        {
            "type": "resource_link",
            "uri": f"demo://resource/dynamic/{kind.lower()}/{i}",
            "name": f"{kind} Resource {i}",
            "description": f"Resource {i}: plaintext resource",
            "mimeType": "text/plain",
        }
        for i, kind in [(1, "Blob"), (2, "Text"), (3, "Blob")]
    ]
    first, embedded, last = reference["content"]
    assert first == {"type": "text", "text": "Returning resource reference for Resource 2:"}
    assert last == {
        "type": "text",
        "text": "You can access this resource using the URI: demo://resource/dynamic/blob/2",
    }
    assert embedded["type"] == "resource"
    resource = embedded["resource"]
    assert resource["uri"] == "demo://resource/dynamic/blob/2"
    assert resource["mimeType"] == "text/plain"
    decoded = base64.b64decode(resource["blob"], validate=True).decode()  # type: ignore[typeddict-item]
    assert re.fullmatch(r"Resource 2: This is a base64 blob created at .+", decoded)


async def test_failing_tools_answer_with_is_error_results(entry: Path) -> None:
    client, _ = everything(entry)
    with anyio.fail_after(LIMIT):
        async with client:
            unknown = await client.call_tool("no-such-tool", {})
            bad_type = await client.call_tool("get-sum", {"a": "one", "b": 2})
            bad_id = await client.call_tool(
                "get-resource-reference", {"resourceType": "Text", "resourceId": 0}
            )
            needs_task = await client.call_tool("simulate-research-query", {"topic": "tides"})
            # The session is none the worse for it.
            assert text_of(await client.call_tool("echo", {"message": "after"})) == ["Echo: after"]
    assert unknown == {
        "content": [{"type": "text", "text": "MCP error -32602: Tool no-such-tool not found"}],
        "isError": True,
    }
    assert bad_type == {
        "content": [
            {
                "type": "text",
                "text": "MCP error -32602: Input validation error: Invalid arguments for tool get-sum: "
                "Invalid input: expected number, received string at a",
            }
        ],
        "isError": True,
    }
    assert bad_id == {
        "content": [{"type": "text", "text": "Invalid resourceId: 0. Must be a finite positive integer."}],
        "isError": True,
    }
    # Our client does not do tasks; a tool that requires one refuses a plain call.
    assert needs_task == {
        "content": [
            {
                "type": "text",
                "text": "MCP error -32601: Tool simulate-research-query requires task augmentation "
                "(taskSupport: 'required')",
            }
        ],
        "isError": True,
    }


async def test_protocol_errors_arrive_as_mcp_errors(entry: Path) -> None:
    client, _ = everything(entry)
    with anyio.fail_after(LIMIT):
        async with client:
            with pytest.raises(McpError) as missing_resource:
                await client.read_resource("demo://nowhere")
            with pytest.raises(McpError) as bad_template_value:
                await client.read_resource("demo://resource/dynamic/text/0")
            with pytest.raises(McpError) as missing_prompt:
                await client.get_prompt("no-such-prompt")
            with pytest.raises(McpError) as missing_argument:
                await client.get_prompt("args-prompt", {})
            await client.ping()
    # The TypeScript SDK answers an unknown resource with -32602, not the spec's -32002.
    assert (missing_resource.value.code, missing_resource.value.message) == (
        INVALID_PARAMS,
        "MCP error -32602: Resource demo://nowhere not found",
    )
    assert (bad_template_value.value.code, bad_template_value.value.message) == (
        INTERNAL_ERROR,
        "Unknown resource: demo://resource/dynamic/text/0",
    )
    assert (missing_prompt.value.code, missing_prompt.value.message) == (
        INVALID_PARAMS,
        "MCP error -32602: Prompt no-such-prompt not found",
    )
    assert (missing_argument.value.code, missing_argument.value.message) == (
        INVALID_PARAMS,
        "MCP error -32602: Invalid arguments for prompt args-prompt: "
        "Invalid input: expected string, received undefined at city",
    )


# -- progress and cancellation -------------------------------------------------------------------


async def test_progress_reaches_our_callback_in_order(entry: Path) -> None:
    client, transport = everything(entry)
    progress: list[tuple[float, float | None, str | None]] = []

    def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append((done, total, message))

    with anyio.fail_after(LIMIT):
        async with client:
            result = await client.call_tool(LONG, {"duration": 0.2, "steps": 4}, progress=on_progress)
    assert text_of(result) == ["Long running operation completed. Duration: 0.2 seconds, Steps: 4."]
    assert progress == [(1, 4, None), (2, 4, None), (3, 4, None), (4, 4, None)]
    (call,) = sent_requests(transport, "tools/call")
    assert params_of(call)["_meta"] == {"progressToken": call.id}


@pytest.mark.parametrize("how", ["timeout", "cancel scope"])
async def test_giving_up_on_a_call_cancels_it_and_the_session_goes_on(entry: Path, how: str) -> None:
    client, transport = everything(entry)
    progress: list[float] = []

    def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append(done)

    # Two steps of a second each: our 0.3 s patience runs out before the first progress
    # notification could restart its clock.
    arguments = {"duration": 2, "steps": 2}
    with anyio.fail_after(LIMIT):
        async with client:
            if how == "timeout":
                with pytest.raises(RequestTimeout):
                    await client.call_tool(LONG, arguments, progress=on_progress, timeout=0.3)
            else:
                with anyio.move_on_after(0.3) as scope:
                    await client.call_tool(LONG, arguments, progress=on_progress)
                assert scope.cancelled_caught
            (abandoned,) = sent_requests(transport, "tools/call")
            cancels = [
                m for m in transport.sent if isinstance(m, Notification) and m.method.endswith("cancelled")
            ]
            assert len(cancels) == 1
            assert cancels[0].method == "notifications/cancelled"
            assert params_of(cancels[0])["requestId"] == abandoned.id

            assert text_of(await client.call_tool("echo", {"message": "still here"})) == ["Echo: still here"]
            # Started later and as long as the abandoned call, this one ends after it would
            # have: once it has, any answer to the abandoned call would have been read.
            later = await client.call_tool(LONG, {"duration": 2, "steps": 1})
            assert text_of(later) == ["Long running operation completed. Duration: 2 seconds, Steps: 1."]
    # The server kept running the tool (this one ignores the abort) but, told of the
    # cancellation, never answered it; and its late progress did not reach our callback.
    late_progress = [
        params_of(m)["progress"]
        for m in transport.received
        if isinstance(m, Notification)
        and m.method == "notifications/progress"
        and params_of(m)["progressToken"] == abandoned.id
    ]
    assert late_progress == [1, 2]
    assert not [m for m in transport.received if isinstance(m, Response) and m.id == abandoned.id]
    assert progress == []


async def test_the_server_runs_in_the_environment_we_give_it(entry: Path) -> None:
    env = {"PATH": os.environ.get("PATH", os.defpath), "MCPCORE_INTEROP_MARK": "stdio ✓"}
    transport = RecordingStdio("node", interop_npm.server_args(entry), env=env)
    with anyio.fail_after(LIMIT):
        async with Client(transport) as client:
            (text,) = text_of(await client.call_tool("get-env", {}))
    assert json.loads(text) == env  # exactly what we gave: nothing inherited


async def test_a_killed_server_fails_the_pending_call_with_its_exit_status(entry: Path) -> None:
    stderr: Inbox[str] = Inbox()
    client, transport = everything(entry, on_stderr=stderr)
    failures: list[ConnectionClosed] = []

    async def kill_when_called() -> None:
        await transport.outbox.wait_for(lambda sent: bool(sent_calls(sent)))
        assert transport.pid is not None
        os.kill(transport.pid, signal.SIGKILL)

    async def call() -> None:
        try:
            await client.call_tool(LONG, {"duration": 20, "steps": 1})
        except ConnectionClosed as exc:
            failures.append(exc)

    with anyio.fail_after(LIMIT):
        async with client:
            await stderr.wait_for(lambda lines: "Starting default (STDIO) server..." in lines)
            async with anyio.create_task_group() as group:
                group.start_soon(kill_when_called)
                await call()
    assert transport.returncode == -signal.SIGKILL
    (closed,) = failures
    assert "SIGKILL" in closed.message
    assert "Starting default (STDIO) server..." in closed.message  # its last words


# -- resources ------------------------------------------------------------------------------------


async def test_resources_list_templates_and_reads(entry: Path) -> None:
    client, _ = everything(entry)
    documents = sorted(p.name for p in interop_npm.DOCS_DIR.iterdir() if p.is_file())
    with anyio.fail_after(LIMIT):
        async with client:
            pages = [page async for page in client.list_resources().pages()]
            templates = await client.list_resource_templates()
            features = await client.read_resource("demo://resource/static/document/features.md")
            text = await client.read_resource("demo://resource/dynamic/text/5")
            blob = await client.read_resource("demo://resource/dynamic/blob/3")
    assert len(pages) == 1
    assert sorted(pages[0], key=lambda r: r["uri"]) == [
        {
            "uri": f"demo://resource/static/document/{name}",
            "name": name,
            "mimeType": "text/markdown",
            "description": f"Static document file exposed from /docs: {name}",
        }
        for name in documents
    ]
    assert "features.md" in documents
    assert templates == [
        {
            "name": "Dynamic Text Resource",
            "uriTemplate": "demo://resource/dynamic/text/{resourceId}",
            "mimeType": "text/plain",
            "description": "Plaintext dynamic resource fabricated from the {resourceId} variable, "
            "which must be an integer.",
        },
        {
            "name": "Dynamic Blob Resource",
            "uriTemplate": "demo://resource/dynamic/blob/{resourceId}",
            "mimeType": "application/octet-stream",
            "description": "Binary (base64) dynamic resource fabricated from the {resourceId} variable, "
            "which must be an integer.",
        },
    ]
    assert features == {
        "contents": [
            {
                "uri": "demo://resource/static/document/features.md",
                "mimeType": "text/markdown",
                "text": (interop_npm.DOCS_DIR / "features.md").read_text(encoding="utf-8"),
            }
        ]
    }
    (text_contents,) = text["contents"]
    assert text_contents["uri"] == "demo://resource/dynamic/text/5"
    assert text_contents["mimeType"] == "text/plain"
    assert re.fullmatch(
        r"Resource 5: This is a plaintext resource created at .+",
        text_contents["text"],  # type: ignore[typeddict-item]
    )
    (blob_contents,) = blob["contents"]
    assert blob_contents["uri"] == "demo://resource/dynamic/blob/3"
    assert blob_contents["mimeType"] == "text/plain"  # the template says octet-stream; the read says this
    decoded = base64.b64decode(blob_contents["blob"], validate=True).decode()  # type: ignore[typeddict-item]
    assert re.fullmatch(r"Resource 3: This is a base64 blob created at .+", decoded)


async def test_a_tool_made_resource_is_announced_listed_and_readable(entry: Path) -> None:
    changed: Inbox[str] = Inbox()
    client, _ = everything(entry, on_list_changed=changed)
    payload = "mcpcore was here\n" * 100
    data_uri = "data:text/plain;base64," + base64.b64encode(payload.encode()).decode()
    with anyio.fail_after(LIMIT):
        async with client:
            link = await client.call_tool("gzip-file-as-resource", {"name": "notes.txt.gz", "data": data_uri})
            assert link == {
                "content": [
                    {
                        "type": "resource_link",
                        "uri": "demo://resource/session/notes.txt.gz",
                        "name": "notes.txt.gz",
                        "mimeType": "application/gzip",
                    }
                ]
            }
            await changed.wait_for(lambda kinds: "resources" in kinds)
            listed = {r["uri"]: r for r in await client.list_resources()}
            assert listed["demo://resource/session/notes.txt.gz"] == {
                "uri": "demo://resource/session/notes.txt.gz",
                "name": "notes.txt.gz",
                "mimeType": "application/gzip",
            }
            read = await client.read_resource("demo://resource/session/notes.txt.gz")
            inline = await client.call_tool(
                "gzip-file-as-resource", {"name": "again.gz", "data": data_uri, "outputType": "resource"}
            )
    (contents,) = read["contents"]
    assert contents["mimeType"] == "application/gzip"
    assert gzip.decompress(base64.b64decode(contents["blob"])).decode() == payload  # type: ignore[typeddict-item]
    (block,) = inline["content"]
    assert block["type"] == "resource"
    assert block["resource"]["uri"] == "demo://resource/session/again.gz"
    assert gzip.decompress(base64.b64decode(block["resource"]["blob"])).decode() == payload  # type: ignore[typeddict-item]


async def test_subscribe_updates_and_unsubscribe(entry: Path) -> None:
    logs: Inbox[dict[str, Any]] = Inbox()
    updates: Inbox[str] = Inbox()
    client, _ = everything(entry, on_log=logs, on_resource_updated=updates)
    uri = "demo://resource/dynamic/text/1"
    with anyio.fail_after(LIMIT):
        async with client:
            await client.subscribe(uri)
            # The server acknowledges at info level, without a session id on stdio.
            await logs.wait_len(1)
            assert logs.items[0] == {
                "level": "info",
                "data": f"Received Subscribe Resource request for URI: {uri} ",
            }
            started = await client.call_tool("toggle-subscriber-updates", {})
            assert text_of(started) == [
                f"Started simulated resource updated notifications for session {SESSION} at a 5 second pace. "
                "Client will receive updates for any resources the it is subscribed to."
            ]
            await updates.wait_len(1)  # the first update is sent at once, the next after 5 s
            await client.unsubscribe(uri)
            await logs.wait_len(2)
            assert logs.items[1] == {
                "level": "info",
                "data": f"Received Unsubscribe Resource request: {uri} ",
            }
            stopped = await client.call_tool("toggle-subscriber-updates", {})
            assert text_of(stopped) == [f"Stopped simulated resource updates for session {SESSION}"]
    assert set(updates.items) == {uri}


# -- prompts and completion ----------------------------------------------------------------------


async def test_prompts_list_and_get_with_arguments(entry: Path) -> None:
    client, _ = everything(entry)
    with anyio.fail_after(LIMIT):
        async with client:
            prompts = await client.list_prompts()
            simple = await client.get_prompt("simple-prompt")
            both = await client.get_prompt("args-prompt", {"city": "Portland", "state": "Oregon"})
            city_only = await client.get_prompt("args-prompt", {"city": "Portland"})
            team = await client.get_prompt("completable-prompt", {"department": "Sales", "name": "Eve"})
            embedded = await client.get_prompt("resource-prompt", {"resourceType": "Text", "resourceId": "4"})
    assert prompts == [
        {"name": "simple-prompt", "title": "Simple Prompt", "description": "A prompt with no arguments"},
        {
            "name": "args-prompt",
            "title": "Arguments Prompt",
            "description": "A prompt with two arguments, one required and one optional",
            "arguments": [
                {"name": "city", "description": "Name of the city", "required": True},
                # zod drops the description of an optional() wrapped after describe().
                {"name": "state", "required": False},
            ],
        },
        {
            "name": "completable-prompt",
            "title": "Team Management",
            "description": "First argument choice narrows values for second argument.",
            "arguments": [
                {"name": "department", "description": "Choose the department.", "required": True},
                {
                    "name": "name",
                    "description": "Choose a team member to lead the selected department.",
                    "required": True,
                },
            ],
        },
        {
            "name": "resource-prompt",
            "title": "Resource Prompt",
            "description": "A prompt that includes an embedded resource reference",
            "arguments": [
                {"name": "resourceType", "description": "Type of resource to fetch", "required": True},
                {"name": "resourceId", "description": "ID of the text resource to fetch", "required": True},
            ],
        },
    ]

    def user_text(text: str) -> dict[str, Any]:
        return {"role": "user", "content": {"type": "text", "text": text}}

    assert simple == {"messages": [user_text("This is a simple prompt without arguments.")]}
    assert both == {"messages": [user_text("What's weather in Portland, Oregon?")]}
    assert city_only == {"messages": [user_text("What's weather in Portland?")]}
    assert team == {"messages": [user_text("Please promote Eve to the head of the Sales team.")]}
    intro, resource = embedded["messages"]
    assert intro == user_text(
        "This prompt includes the Text resource with id: 4. Please analyze the following resource:"
    )
    assert resource["role"] == "user"
    assert resource["content"]["type"] == "resource"
    assert resource["content"]["resource"]["uri"] == "demo://resource/dynamic/text/4"


@pytest.mark.parametrize(("version", "context_sent"), [("2025-11-25", True), ("2025-03-26", False)])
async def test_completion_of_prompt_arguments_and_template_variables(
    entry: Path, version: str, context_sent: bool
) -> None:
    client, transport = everything(entry, versions=[version])
    prompt = {"type": "ref/prompt", "name": "completable-prompt"}
    template = {"type": "ref/resource", "uri": "demo://resource/dynamic/text/{resourceId}"}
    with anyio.fail_after(LIMIT):
        async with client:
            departments = await client.complete(prompt, "department", "")
            s_departments = await client.complete(prompt, "department", "S")
            names = await client.complete(prompt, "name", "", context={"department": "Sales"})
            resource_types = await client.complete(
                {"type": "ref/prompt", "name": "resource-prompt"}, "resourceType", "B"
            )
            good_id = await client.complete(template, "resourceId", "7")
            bad_id = await client.complete(template, "resourceId", "seven")
    assert departments == {
        "values": ["Engineering", "Sales", "Marketing", "Support"],
        "total": 4,
        "hasMore": False,
    }
    assert s_departments == {"values": ["Sales", "Support"], "total": 2, "hasMore": False}
    assert resource_types == {"values": ["Blob"], "total": 1, "hasMore": False}
    assert good_id == {"values": ["7"], "total": 1, "hasMore": False}
    assert bad_id == {"values": [], "total": 0, "hasMore": False}
    # The context of other arguments exists from 2025-06-18 on; before, the server cannot
    # know the department, and offers nobody.
    if context_sent:
        assert names == {"values": ["David", "Eve", "Frank"], "total": 3, "hasMore": False}
    else:
        assert names == {"values": [], "total": 0, "hasMore": False}
    with_context = [
        r for r in sent_requests(transport, "completion/complete") if r.params and "context" in r.params
    ]
    assert len(with_context) == (1 if context_sent else 0)


# -- logging --------------------------------------------------------------------------------------


async def test_logging_level_filters_what_the_server_sends(entry: Path) -> None:
    logs: Inbox[dict[str, Any]] = Inbox()
    client, _ = everything(entry, on_log=logs)
    with anyio.fail_after(LIMIT):
        async with client:
            await client.set_logging_level("warning")
            await client.subscribe("demo://resource/dynamic/text/1")  # acknowledged at info: filtered
            await client.set_logging_level("info")
            await client.subscribe("demo://resource/dynamic/text/2")  # now let through
            # Notifications reach us in the order sent: had the first acknowledgement been
            # sent, it would be here before the second.
            await logs.wait_len(1)
    assert logs.items == [
        {
            "level": "info",
            "data": "Received Subscribe Resource request for URI: demo://resource/dynamic/text/2 ",
        }
    ]


async def test_simulated_logging_sends_a_message_of_a_known_level(entry: Path) -> None:
    logs: Inbox[dict[str, Any]] = Inbox()
    client, _ = everything(entry, on_log=logs)
    # What the server picks from, at random.
    known = {
        "debug": "Debug-level message",
        "info": "Info-level message",
        "notice": "Notice-level message",
        "warning": "Warning-level message",
        "error": "Error-level message",
        "critical": "Critical-level message",
        "alert": "Alert level-message",
        "emergency": "Emergency-level message",
    }
    with anyio.fail_after(LIMIT):
        async with client:
            await client.set_logging_level("debug")
            started = await client.call_tool("toggle-simulated-logging", {})
            assert text_of(started)[0].startswith(
                f"Started simulated, random-leveled logging for session {SESSION} at a 5 second pace."
            )
            await logs.wait_len(1)  # the first is sent at once, the next after 5 s
            stopped = await client.call_tool("toggle-simulated-logging", {})
            assert text_of(stopped) == [f"Stopped simulated logging for session {SESSION}"]
    for entry_ in logs.items:
        assert set(entry_) == {"level", "data"}
        assert known[entry_["level"]] == entry_["data"]


# -- requests from the server ---------------------------------------------------------------------


async def test_sampling_request_reaches_our_handler_and_its_answer_returns(entry: Path) -> None:
    seen: list[dict[str, Any]] = []
    answer = {
        "role": "assistant",
        "content": {"type": "text", "text": "Because."},
        "model": "mcpcore-test-model",
        "stopReason": "endTurn",
    }

    async def sampling(params: dict[str, Any]) -> dict[str, Any]:
        seen.append(params)
        return answer

    client, _ = everything(entry, sampling=sampling)
    with anyio.fail_after(LIMIT):
        async with client:
            assert client.capabilities() == {"sampling": {}}
            result = await client.call_tool("trigger-sampling-request", {"prompt": "Why?", "maxTokens": 20})
    assert seen == [
        {
            "messages": [
                {
                    "role": "user",
                    "content": {"type": "text", "text": "Resource trigger-sampling-request context: Why?"},
                }
            ],
            "systemPrompt": "You are a helpful test server.",
            "maxTokens": 20,
            "temperature": 0.7,
        }
    ]
    (text,) = text_of(result)
    prefix = "LLM sampling result: \n"
    assert text.startswith(prefix)
    assert json.loads(text[len(prefix) :]) == answer


async def test_the_session_serves_us_while_our_sampling_handler_is_busy(entry: Path) -> None:
    entered = anyio.Event()
    release = anyio.Event()
    results: list[CallToolResult] = []

    async def sampling(params: dict[str, Any]) -> dict[str, Any]:
        entered.set()
        await release.wait()
        return {"role": "assistant", "content": {"type": "text", "text": "late"}, "model": "m"}

    async def sample() -> None:
        results.append(await client.call_tool("trigger-sampling-request", {"prompt": "slow"}))

    client, _ = everything(entry, sampling=sampling)
    with anyio.fail_after(LIMIT):
        async with client, anyio.create_task_group() as group:
            group.start_soon(sample)
            await entered.wait()
            # The server's request is pending in our handler; our own calls still go through.
            assert text_of(await client.call_tool("echo", {"message": "meanwhile"})) == ["Echo: meanwhile"]
            assert results == []
            release.set()
    (result,) = results
    (text,) = text_of(result)
    assert json.loads(text.removeprefix("LLM sampling result: \n"))["content"] == {
        "type": "text",
        "text": "late",
    }


async def test_a_sampling_handler_error_becomes_the_tools_error(entry: Path) -> None:
    async def sampling(params: dict[str, Any]) -> dict[str, Any]:
        raise McpError(-1, "the user refused")

    client, _ = everything(entry, sampling=sampling)
    with anyio.fail_after(LIMIT):
        async with client:
            result = await client.call_tool("trigger-sampling-request", {"prompt": "Why?"})
    assert result == {
        "content": [{"type": "text", "text": "MCP error -1: the user refused"}],
        "isError": True,
    }


@pytest.mark.parametrize(
    ("answer", "first_line"),
    [
        ({"action": "decline"}, "❌ User declined to provide the requested information."),
        ({"action": "cancel"}, "⚠️ User cancelled the elicitation dialog."),
    ],
)
async def test_form_elicitation_declined_or_cancelled(
    entry: Path, answer: dict[str, Any], first_line: str
) -> None:
    async def elicitation(params: dict[str, Any]) -> dict[str, Any]:
        return answer

    client, _ = everything(entry, elicitation=elicitation)
    with anyio.fail_after(LIMIT):
        async with client:
            result = await client.call_tool("trigger-elicitation-request", {})
    first, raw = text_of(result)
    assert first == first_line
    assert raw_result(raw) == answer


async def test_form_elicitation_accepted(entry: Path) -> None:
    seen: list[dict[str, Any]] = []
    content = {
        "name": "Ada Lovelace",
        "check": True,
        "email": "ada@example.org",
        "integer": 7,
        "number": 2.5,
        "untitledMultipleSelectEnum": ["Piano", "Bass"],
    }

    async def elicitation(params: dict[str, Any]) -> dict[str, Any]:
        seen.append(params)
        return {"action": "accept", "content": content}

    client, _ = everything(entry, elicitation=elicitation)
    with anyio.fail_after(LIMIT):
        async with client:
            assert client.capabilities() == {"elicitation": {"form": {}}}
            result = await client.call_tool("trigger-elicitation-request", {})
    (params,) = seen
    assert set(params) == {"message", "requestedSchema"}  # form mode, left implicit
    assert params["message"] == "Please provide inputs for the following fields:"
    schema = params["requestedSchema"]
    assert schema["type"] == "object"
    assert schema["required"] == ["name"]
    assert list(schema["properties"]) == [
        "name",
        "check",
        "firstLine",
        "email",
        "homepage",
        "birthdate",
        "integer",
        "number",
        "untitledSingleSelectEnum",
        "untitledMultipleSelectEnum",
        "titledSingleSelectEnum",
        "titledMultipleSelectEnum",
        "legacyTitledEnum",
    ]
    assert schema["properties"]["legacyTitledEnum"]["enumNames"] == [
        "Cats",
        "Dogs",
        "Birds",
        "Fish",
        "Reptiles",
    ]
    thanks, inputs, raw = text_of(result)
    assert thanks == "✅ User provided the requested information!"
    assert inputs == (
        "User inputs:\n"
        "- Name: Ada Lovelace\n"
        "- Agreed to terms: true\n"
        "- Email: ada@example.org\n"
        "- Favorite Integer: 7\n"
        "- Favorite Number: 2.5"
    )
    assert raw_result(raw) == {"action": "accept", "content": content}


async def test_url_elicitation_error_path_then_retry(entry: Path) -> None:
    seen: list[dict[str, Any]] = []

    async def elicitation(params: dict[str, Any]) -> dict[str, Any]:
        seen.append(params)
        return {"action": "accept"}

    client, _ = everything(entry, elicitation=elicitation, elicitation_modes=("form", "url"))
    arguments = {"url": "https://example.com/authorize", "elicitationId": "e-1", "errorPath": True}
    with anyio.fail_after(LIMIT):
        async with client:
            assert client.capabilities() == {"elicitation": {"form": {}, "url": {}}}
            with pytest.raises(McpError) as required:
                await client.call_tool("trigger-url-elicitation", arguments)
            assert seen == []  # the error path asks nothing of us itself
            # The same call again is taken as the retry after the prerequisite was met.
            result = await client.call_tool("trigger-url-elicitation", arguments)
    assert required.value.code == URL_ELICITATION_REQUIRED
    assert required.value.message == "MCP error -32042: This request requires browser-based authorization."
    (prerequisite,) = required.value.data["elicitations"]
    assert prerequisite["mode"] == "url"
    assert prerequisite["url"] == "https://modelcontextprotocol.io"
    assert prerequisite["message"] == "Open this link to satisfy the prerequisite, then retry the request."
    assert re.fullmatch(r"[0-9a-f-]{36}", prerequisite["elicitationId"])
    assert seen == [
        {
            "mode": "url",
            "url": "https://example.com/authorize",
            "message": "Please open the link to complete this action.",
            "elicitationId": "e-1",
        }
    ]
    done, raw = text_of(result)
    assert (
        done
        == "✅ User completed the URL elicitation flow.\nElicitation ID: e-1\nURL: https://example.com/authorize"
    )
    assert raw_result(raw) == {"action": "accept"}


async def test_roots_are_fetched_after_the_handshake_and_again_when_changed(entry: Path) -> None:
    logs: Inbox[dict[str, Any]] = Inbox()
    client, transport = everything(entry, roots=[{"uri": "file:///srv/alpha", "name": "Alpha"}], on_log=logs)
    note = (
        "Note: This server demonstrates the roots protocol capability but doesn't actually access files. "
        "The roots are provided by the MCP client and can be used by servers that need file system access."
    )

    def updated(n: int) -> dict[str, Any]:
        return {
            "level": "info",
            "logger": "everything-server",
            "data": f"Roots updated: {n} root(s) received from client",
        }

    with anyio.fail_after(LIMIT):
        async with client:
            assert client.capabilities() == {"roots": {"listChanged": True}}
            # The server asks for the roots on its own, shortly after the handshake.
            await logs.wait_len(1)
            assert logs.items == [updated(1)]
            first = await client.call_tool("get-roots-list", {})
            await client.set_roots(["file:///srv/alpha", {"uri": "file:///srv/beta", "name": "Beta"}])
            await logs.wait_len(2)
            assert logs.items == [updated(1), updated(2)]
            second = await client.call_tool("get-roots-list", {})
    assert text_of(first) == [
        f"Current MCP Roots (1 total):\n\n1. Alpha\n   URI: file:///srv/alpha\n\n{note}"
    ]
    assert text_of(second) == [
        "Current MCP Roots (2 total):\n\n"
        "1. Unnamed Root\n   URI: file:///srv/alpha\n\n"
        f"2. Beta\n   URI: file:///srv/beta\n\n{note}"
    ]
    assert Notification("notifications/roots/list_changed") in transport.sent


async def test_an_empty_roots_list_is_reported_as_such(entry: Path) -> None:
    logs: Inbox[dict[str, Any]] = Inbox()
    client, _ = everything(entry, roots=[], on_log=logs)
    with anyio.fail_after(LIMIT):
        async with client:
            await logs.wait_len(1)
            result = await client.call_tool("get-roots-list", {})
    assert logs.items == [
        {
            "level": "info",
            "logger": "everything-server",
            "data": "Roots updated: 0 root(s) received from client",
        }
    ]
    assert text_of(result) == [
        "The client supports roots but no roots are currently configured.\n\n"
        "This could mean:\n"
        "1. The client hasn't provided any roots yet\n"
        "2. The client provided an empty roots list\n"
        "3. The roots configuration is still being loaded"
    ]
