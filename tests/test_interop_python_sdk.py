"""Interoperability with the official Python MCP SDK (PyPI ``mcp`` 2.3.0) over stdio, both ways.

Our client talking to our server proves little about the wire: both sides share one reading
of the spec. The official SDK is the second reading, so each direction is tried here:

* **The SDK's client against our demo server** (``examples/everything_server.py``). The
  script ``tests/interop/sdk_client_driver.py`` runs under the SDK's interpreter, starts our
  server with the SDK's stdio transport, goes through every feature and prints what it saw as
  one JSON document, which these tests judge. It runs once per handshake revision, pinned
  by sending ``initialize`` with that version (the SDK has no option for it; see the
  driver), and once more in the SDK's stock ``auto`` mode, which first probes
  ``server/discover`` (2026-07-28) and must fall back to ``initialize`` at 2025-11-25. The
  SDK checks every result against the schema of the negotiated revision, so a field we send
  that the revision lacks fails there.
* **Our client against the SDK's server** (``tests/interop/sdk_server.py``, an ``MCPServer``
  with the same features), through :class:`~transports.stdio.StdioClientTransport`, per
  revision (our client offers only the one given), on asyncio and trio.

The SDK lives in its own environment, built once by :func:`benchmarks.official.ensure_peer_env`;
a registry that cannot be reached fails the set-up instead of skipping it. Every subprocess
and every wait is bounded.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import pytest

from benchmarks import official
from mcpcore.client import Client
from mcpcore.errors import McpError, RequestTimeout
from mcpcore.server import CapabilityError
from transports.stdio import StdioClientTransport

# Building the SDK's environment from the registry on a first run takes minutes, far past the
# suite's default limit; every wait inside the tests is bounded on its own.
pytestmark = pytest.mark.timeout(900)

REPO = Path(__file__).resolve().parent.parent
DRIVER = REPO / "tests" / "interop" / "sdk_client_driver.py"
SDK_SERVER = REPO / "tests" / "interop" / "sdk_server.py"

HANDSHAKE_REVISIONS = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")
DRIVER_TIMEOUT = 120.0  # seconds for one whole driver run; the driver bounds itself at 90
SESSION_TIMEOUT = 60.0  # seconds for one session with the SDK's server
POLLS = 100  # bounded polls for an effect that trails a result (a cancellation), 50 ms apart

# Constants shared with the scripts under tests/interop (which cannot be imported here: they
# import the SDK, which our environment does not hold).
RED_PIXEL = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
ROOT_URI = "file:///tmp/interop-root"
SAMPLED_TEXT = "Forty-two."
SAMPLED_MODEL = "sdk-test-model"
ELICITED = {"name": "Ada", "age": 36, "newsletter": True}


@pytest.fixture(scope="session")
def peer_python() -> str:
    official.ensure_peer_env()
    return str(official.peer_python())


def our_server_command(*, page_size: int | None = None, legacy_only: bool = False) -> list[str]:
    """The command that serves our demo server on stdio: ``mcpcore serve``, as a host runs it.

    With ``page_size`` the server is started by a snippet that shrinks its pages first (the
    demo keeps the default of 100, which leaves no second page to follow). ``legacy_only``
    switches its 2026-07-28 support off (``tests/interop/legacy_demo.py``), so that a probing
    client has to fall back to ``initialize``.
    """
    if legacy_only:
        return [sys.executable, "-m", "tests.interop.legacy_demo"]
    if page_size is None:
        return [sys.executable, "-m", "mcpcore", "serve", "examples/everything_server.py:server"]
    code = (
        "import anyio; from transports.stdio import serve_stdio; "
        "from examples.everything_server import server; "
        f"server.page_size = {page_size}; anyio.run(serve_stdio, server)"
    )
    return [sys.executable, "-c", code]


def run_driver(peer: str, revision: str, command: list[str]) -> dict[str, Any]:
    """Run the SDK client driver against ``command``; its report."""
    argv = [peer, "-I", str(DRIVER), revision, "--cwd", str(REPO), "--timeout", "90", "--", *command]
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=DRIVER_TIMEOUT, check=False, cwd=REPO
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"the SDK client driver ran past {DRIVER_TIMEOUT:g} s; stderr: {exc.stderr!r}")
    if done.returncode != 0:
        pytest.fail(f"the SDK client driver failed (exit {done.returncode}):\n{done.stderr[-6000:]}")
    report: dict[str, Any] = json.loads(done.stdout)
    return report


# == the SDK's client against our server ======================================================


@dataclass(frozen=True)
class Run:
    requested: str  # "auto" or a handshake revision
    negotiated: str  # the revision the session must end up at
    report: dict[str, Any]

    def at_least(self, revision: str) -> bool:
        return self.negotiated >= revision  # revision strings are dates: they sort as they age


@pytest.fixture(scope="module", params=["auto", *HANDSHAKE_REVISIONS])
def run(request: pytest.FixtureRequest, peer_python: str) -> Run:
    requested: str = request.param
    negotiated = HANDSHAKE_REVISIONS[-1] if requested == "auto" else requested
    # In auto mode the SDK probes for 2026-07-28 first: against a legacy-only instance of the
    # demo server it must fall back to initialize (the modern era is tested on its own).
    command = our_server_command(legacy_only=requested == "auto")
    return Run(requested, negotiated, run_driver(peer_python, requested, command))


def text_block(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def test_sdk_client_initializes_at_the_revision_it_asked_for(run: Run) -> None:
    report = run.report
    assert report["protocol_version"] == run.negotiated
    server_info: dict[str, Any] = {"name": "everything", "version": "1.0.0"}
    if run.at_least("2025-06-18"):
        server_info["title"] = "Everything"
    if run.at_least("2025-11-25"):
        server_info["description"] = "Every MCP feature mcpcore offers, in one small server"
    capabilities: dict[str, Any] = {
        "logging": {},
        "prompts": {"listChanged": True},
        "resources": {"listChanged": True, "subscribe": True},
        "tools": {"listChanged": True},
    }
    if run.at_least("2025-03-26"):
        capabilities["completions"] = {}
    assert report["initialize"] == {
        "protocolVersion": run.negotiated,
        "capabilities": capabilities,
        "serverInfo": server_info,
        "instructions": "A demonstration server: try the tools, read the resources, get the prompt.",
    }
    assert report["ping"] == {"result": {}}


def test_sdk_client_lists_our_tools_with_output_schemas_from_2025_06_18(run: Run) -> None:
    tools = run.report["tools"]
    assert sorted(tools) == sorted(
        [
            "ask_model",
            "cancellations",
            "echo",
            "fail",
            "long_task",
            "red_pixel",
            "show_roots",
            "sign_up",
            "slow",
            "touch",
            "weather",
        ]
    )
    assert run.report["tool_pages"] == 1
    assert tools["echo"] == {
        "name": "echo",
        "description": "Say the text back.",
        "inputSchema": {
            "type": "object",
            "properties": {"text": {"type": "string", "title": "Text", "description": "What to say back"}},
            "required": ["text"],
        },
    }
    structured = {name for name, tool in tools.items() if "outputSchema" in tool}
    if run.at_least("2025-06-18"):
        assert structured == {"weather", "cancellations", "ask_model", "sign_up", "show_roots"}
        assert tools["weather"]["outputSchema"] == {
            "type": "object",
            "properties": {
                "city": {"title": "City", "type": "string"},
                "temperature_c": {"title": "Temperature C", "type": "number"},
                "conditions": {"title": "Conditions", "type": "string"},
            },
            "required": ["city", "temperature_c", "conditions"],
        }
    else:
        assert structured == set()


RED_PIXEL_RESULT: dict[str, Any] = {
    "result": {
        "content": [
            {"type": "text", "text": "a red pixel"},
            {"type": "image", "data": RED_PIXEL, "mimeType": "image/png"},
        ]
    }
}
FAILED_TOOL_RESULT: dict[str, Any] = {
    "result": {"content": [{"type": "text", "text": "Error in tool fail: on purpose"}], "isError": True}
}


def check_common_calls(calls: dict[str, Any], *, unknown_tool_message: str) -> None:
    """What every client's calls of our demo server's tools get, whatever the transport."""
    assert calls["red_pixel"] == RED_PIXEL_RESULT
    # A tool that raises is a result with isError, in every revision.
    assert calls["fail"] == FAILED_TOOL_RESULT
    assert calls["no_such_tool"] == {"error": {"code": -32602, "message": unknown_tool_message}}


def bad_arguments_answer(negotiated: str) -> dict[str, Any]:
    """Arguments that do not fit the input schema: a protocol error until 2025-11-25 made them
    a tool error the model can read (SEP-1303)."""
    message = "Invalid arguments for tool echo: text: Input should be a valid string"
    if negotiated >= "2025-11-25":
        return {"result": {"content": [text_block(message)], "isError": True}}
    return {"error": {"code": -32602, "message": message}}


def test_sdk_client_calls_our_tools(run: Run) -> None:
    calls = run.report["calls"]
    assert calls["echo"] == {"result": {"content": [text_block("hello from the SDK")]}}
    weather = {"city": "Lisbon", "temperature_c": 21.5, "conditions": "sunny"}
    expected_weather: dict[str, Any] = {"content": [text_block(json.dumps(weather, separators=(",", ":")))]}
    if run.at_least("2025-06-18"):
        expected_weather["structuredContent"] = weather
    assert calls["weather"] == {"result": expected_weather}
    check_common_calls(calls, unknown_tool_message="Unknown tool: no_such_tool")
    assert calls["echo_bad_arguments"] == bad_arguments_answer(run.negotiated)


def test_sdk_client_lists_and_reads_our_resources(run: Run) -> None:
    report = run.report
    assert report["resources"] == [
        {
            "uri": "demo://readme",
            "name": "readme",
            "description": "A static text resource.",
            "mimeType": "text/markdown",
        },
        {
            "uri": "demo://red-pixel.png",
            "name": "red_pixel_file",
            "description": "A binary resource: returning bytes makes a blob.",
            "mimeType": "image/png",
        },
    ]
    assert report["templates"] == [
        {
            "uriTemplate": "greeting://{name}",
            "name": "greeting",
            "description": "A resource template: each name is a resource of its own.",
            "mimeType": "text/plain",
        }
    ]
    reads = report["reads"]
    assert reads["demo://readme"] == {
        "result": {
            "contents": [
                {
                    "uri": "demo://readme",
                    "mimeType": "text/markdown",
                    "text": "# Everything\n\nA demonstration server.\n",
                }
            ]
        }
    }
    assert reads["demo://red-pixel.png"] == {
        "result": {"contents": [{"uri": "demo://red-pixel.png", "mimeType": "image/png", "blob": RED_PIXEL}]}
    }
    assert reads["greeting://Ada"] == {
        "result": {"contents": [{"uri": "greeting://Ada", "mimeType": "text/plain", "text": "Hello, Ada!"}]}
    }
    assert reads["demo://missing"] == {"error": {"code": -32002, "message": "Resource not found"}}


def test_sdk_client_lists_and_gets_our_prompt(run: Run) -> None:
    report = run.report
    assert report["prompts"] == [
        {
            "name": "review_code",
            "description": "Ask for a code review; the language is optional.",
            "arguments": [
                {"name": "code", "description": "The code to review", "required": True},
                {"name": "language", "description": "Its programming language", "required": False},
            ],
        }
    ]
    got = report["get_prompt"]

    def messages(language: str, code: str) -> dict[str, Any]:
        return {
            "result": {
                "description": "Ask for a code review; the language is optional.",
                "messages": [
                    {"role": "user", "content": text_block(f"Please review this {language} code:\n\n{code}")},
                    {"role": "assistant", "content": text_block("Happy to. Let me read it first.")},
                ],
            }
        }

    assert got["default"] == messages("python", "print(1)")
    assert got["rust"] == messages("rust", "fn main() {}")
    assert got["missing"] == {
        "error": {"code": -32602, "message": "Missing required arguments for prompt review_code: code"}
    }
    assert got["unknown"] == {"error": {"code": -32602, "message": "Unknown prompt: no_such_prompt"}}


def test_sdk_client_completes_a_prompt_argument_and_a_template_variable(run: Run) -> None:
    # 2024-11-05 had no completions capability, yet completion/complete: it works there too.
    complete = run.report["complete"]
    assert complete["language"] == {"result": {"completion": {"values": ["python"]}}}
    assert complete["language_all"] == {
        "result": {"completion": {"values": ["go", "haskell", "javascript", "python", "rust", "typescript"]}}
    }
    assert complete["name"] == {"result": {"completion": {"values": ["Ada", "Alan"]}}}


def test_sdk_client_sets_the_log_level_and_gets_logs_and_progress(run: Run) -> None:
    first, second = run.report["logging"]["runs"]

    def log(level: str, data: str) -> dict[str, Any]:
        return {"level": level, "logger": "everything", "data": data}

    def progress(step: int, total: int) -> list[Any]:
        # Progress messages arrived in 2025-03-26: to a 2024-11-05 client they are left out.
        return [step, total, f"step {step} of {total}" if run.at_least("2025-03-26") else None]

    assert first["set_level"] == {"result": {}}
    assert first["call"] == {"result": {"content": [text_block("done after 2 steps")]}}
    assert first["logs"] == [
        log("info", "finished step 1"),
        log("info", "finished step 2"),
        log("warning", "that was only a demonstration"),
    ]  # no debug message at level info
    assert first["progress"] == [progress(1, 2), progress(2, 2)]
    assert second["set_level"] == {"result": {}}
    assert second["logs"] == [
        log("debug", "starting 1 steps"),
        log("info", "finished step 1"),
        log("warning", "that was only a demonstration"),
    ]
    assert second["progress"] == [progress(1, 1)]


def test_sdk_client_cancels_a_slow_tool(run: Run) -> None:
    cancellation = run.report["cancellation"]
    assert cancellation["timeout"] == {"error": {"code": -32001, "message": "Request 'tools/call' timed out"}}
    assert cancellation["started"] is True  # the tool's first progress arrived before the cancel
    assert cancellation["finished"] == 0
    # Both of the SDK's notifications/cancelled reached the tool.
    assert len(cancellation["cancelled"]) == 2
    assert all(isinstance(rid, int) for rid in cancellation["cancelled"])  # the SDK numbers requests
    assert cancellation["after"] == {"result": {"content": [text_block("still here")]}}


def test_sdk_client_answers_sampling(run: Run) -> None:
    sampling = run.report["sampling"]
    assert sampling["requests"] == [
        {
            "messages": [{"role": "user", "content": text_block("What is 6 x 7?")}],
            "maxTokens": 100,
            "systemPrompt": "Answer in one sentence.",
        }
    ]
    answer = {"model": SAMPLED_MODEL, "role": "assistant", "text": SAMPLED_TEXT, "stopReason": "endTurn"}
    result = sampling["call"]["result"]
    assert json.loads(result["content"][0]["text"]) == answer
    assert result.get("structuredContent") == (answer if run.at_least("2025-06-18") else None)
    assert "isError" not in result


def test_sdk_client_answers_elicitation_from_2025_06_18(run: Run) -> None:
    elicitation = run.report["elicitation"]
    result = elicitation["call"]["result"]
    if not run.at_least("2025-06-18"):
        # Our server does not send a request the revision lacks: the tool fails instead.
        assert elicitation["requests"] == []
        assert result["isError"] is True
        assert result["content"] == [
            text_block(f"Error in tool sign_up: revision {run.negotiated} has no form-mode elicitation")
        ]
        return
    request: dict[str, Any] = {
        "message": "Please tell us about yourself",
        "requestedSchema": {
            "type": "object",
            "properties": {
                "name": {"type": "string", "description": "Your name"},
                "age": {"type": "integer", "minimum": 0, "description": "Your age in years"},
                "newsletter": {"type": "boolean", "default": False, "description": "Send me the newsletter"},
            },
            "required": ["name", "age"],
        },
    }
    if run.at_least("2025-11-25"):
        request["mode"] = "form"
    assert elicitation["requests"] == [request]
    answer = {"action": "accept", "contact": ELICITED}
    assert result["structuredContent"] == answer
    assert json.loads(result["content"][0]["text"]) == answer


def test_sdk_client_answers_roots_and_says_when_they_change(run: Run) -> None:
    roots = run.report["roots"]
    answer = {"roots": [{"uri": ROOT_URI, "name": "interop"}]}
    for result in (roots["call"]["result"], roots["after_change"]["result"]):
        assert json.loads(result["content"][0]["text"]) == answer
        assert result.get("structuredContent") == (answer if run.at_least("2025-06-18") else None)
    # The SDK declared roots.listChanged, so our server asked once for two calls, and again
    # only after notifications/roots/list_changed.
    assert roots["requests_before_change"] == 1
    assert roots["requests"] == 2


def test_sdk_client_subscribes_and_hears_of_an_update(run: Run) -> None:
    assert run.report["subscription"] == {
        "subscribe": {"result": {}},
        "touch": {"result": {"content": [text_block("told the subscribers of demo://readme")]}},
        "updated": ["demo://readme"],
        "unsubscribe": {"result": {}},
    }


def test_sdk_client_follows_our_pagination_cursors(peer_python: str) -> None:
    report = run_driver(peer_python, "2025-11-25", our_server_command(page_size=3))
    assert report["tool_pages"] == 4  # eleven tools, three a page
    assert len(report["tools"]) == 11
    assert report["resource_pages"] == 1
    assert report["prompt_pages"] == 1
    assert report["calls"]["echo"] == {"result": {"content": [text_block("hello from the SDK")]}}


# == our client against the SDK's server ======================================================

SDK_SERVER_INFO = {"name": "sdk-everything", "title": "SDK everything", "version": "2.3.0"}
SDK_TOOLS = [
    ["echo", "weather", "fail", "long_task"],
    ["slow", "cancellations", "ask_model", "sign_up"],
    ["show_roots", "red_pixel"],
]


class Recorder:
    """Our client's handlers for the SDK server's requests and notifications."""

    def __init__(self) -> None:
        self.sampling: list[dict[str, Any]] = []
        self.elicitation: list[dict[str, Any]] = []
        self.logs: list[dict[str, Any]] = []

    async def on_sampling(self, params: dict[str, Any]) -> dict[str, Any]:
        self.sampling.append(params)
        return {
            "role": "assistant",
            "content": {"type": "text", "text": SAMPLED_TEXT},
            "model": SAMPLED_MODEL,
            "stopReason": "endTurn",
        }

    async def on_elicitation(self, params: dict[str, Any]) -> dict[str, Any]:
        self.elicitation.append(params)
        return {"action": "accept", "content": dict(ELICITED)}


@asynccontextmanager
async def sdk_server(peer: str, revision: str, recorder: Recorder) -> AsyncIterator[Client]:
    transport = StdioClientTransport(peer, ["-I", str(SDK_SERVER)], cwd=REPO)
    with anyio.fail_after(SESSION_TIMEOUT):
        async with Client(
            transport,
            versions=[revision],
            sampling=recorder.on_sampling,
            elicitation=recorder.on_elicitation,
            roots=[{"uri": ROOT_URI, "name": "interop"}],
            on_log=recorder.logs.append,
            request_timeout=30.0,
        ) as client:
            yield client


revisions = pytest.mark.parametrize("revision", HANDSHAKE_REVISIONS)


def structured_text(result: Any) -> Any:
    """The JSON the SDK's server puts in the text of a structured result."""
    return json.loads(result["content"][0]["text"])


@pytest.mark.anyio
@revisions
async def test_our_client_lists_pages_and_calls_sdk_tools(peer_python: str, revision: str) -> None:
    async with sdk_server(peer_python, revision, Recorder()) as client:
        assert client.protocol_version == revision
        # The SDK sends title, which 2024-11-05 and 2025-03-26 lack: our client takes it as it comes.
        assert client.server_info == SDK_SERVER_INFO
        assert client.server_capabilities == {
            "completions": {},
            "logging": {},
            "prompts": {"listChanged": False},
            "resources": {"listChanged": False, "subscribe": False},
            "tools": {"listChanged": False},
        }
        assert client.instructions == "The official SDK's counterpart of mcpcore's demo server."
        await client.ping()

        pages = [[tool["name"] for tool in page] async for page in client.list_tools().pages()]
        assert pages == SDK_TOOLS
        assert len(await client.list_tools()) == 10

        echo = await client.call_tool("echo", {"text": "hello from mcpcore"})
        assert echo["content"] == [text_block("hello from mcpcore")]
        assert echo.get("isError") is False

        pixel = await client.call_tool("red_pixel")
        assert pixel["content"] == [
            text_block("a red pixel"),
            {"type": "image", "data": RED_PIXEL, "mimeType": "image/png"},
        ]

        weather = await client.call_tool("weather", {"city": "Lisbon"})
        expected = {"city": "Lisbon", "temperature_c": 21.5, "conditions": "sunny"}
        # Checked against the tool's output schema by our client on the way in.
        assert weather["structuredContent"] == expected
        assert structured_text(weather) == expected

        failed = await client.call_tool("fail", {"reason": "on purpose"})
        assert failed["isError"] is True
        assert failed["content"] == [text_block("Error executing tool fail: on purpose")]


@pytest.mark.anyio
@revisions
async def test_our_client_reads_sdk_resources_prompts_completions(peer_python: str, revision: str) -> None:
    async with sdk_server(peer_python, revision, Recorder()) as client:
        assert await client.list_resources() == [
            {
                "uri": "demo://readme",
                "name": "readme",
                "description": "A static text resource.",
                "mimeType": "text/markdown",
            },
            {
                "uri": "demo://red-pixel.png",
                "name": "red_pixel_file",
                "description": "A binary resource.",
                "mimeType": "image/png",
            },
        ]
        assert await client.list_resource_templates() == [
            {
                "uriTemplate": "greeting://{name}",
                "name": "greeting",
                "description": "A resource template.",
                "mimeType": "text/plain",
            }
        ]
        assert await client.read_resource("demo://readme") == {
            "contents": [{"uri": "demo://readme", "mimeType": "text/markdown", "text": "# SDK everything\n"}]
        }
        assert await client.read_resource("demo://red-pixel.png") == {
            "contents": [{"uri": "demo://red-pixel.png", "mimeType": "image/png", "blob": RED_PIXEL}]
        }
        assert await client.read_resource("greeting://Ada") == {
            "contents": [{"uri": "greeting://Ada", "mimeType": "text/plain", "text": "Hello, Ada!"}]
        }
        # The SDK's server declares no resources.subscribe: our client refuses without sending.
        with pytest.raises(CapabilityError):
            await client.subscribe("demo://readme")
        with pytest.raises(McpError) as missing:
            await client.read_resource("demo://missing")
        # The SDK answers an unknown resource with -32602, not the spec's -32002.
        assert missing.value.code == -32602

        assert await client.list_prompts() == [
            {
                "name": "review_code",
                "description": "Ask for a code review; the language is optional.",
                "arguments": [{"name": "code", "required": True}, {"name": "language", "required": False}],
            }
        ]
        prompt = await client.get_prompt("review_code", {"code": "fn main() {}", "language": "rust"})
        assert prompt["messages"] == [
            {"role": "user", "content": text_block("Please review this rust code:\n\nfn main() {}")}
        ]

        prompt_ref = {"type": "ref/prompt", "name": "review_code"}
        template_ref = {"type": "ref/resource", "uri": "greeting://{name}"}
        assert await client.complete(prompt_ref, "language", "py") == {
            "values": ["python"],
            "total": 1,
            "hasMore": False,
        }
        assert await client.complete(template_ref, "name", "a", context={"unused": "x"}) == {
            "values": ["Ada", "Alan"],
            "total": 2,
            "hasMore": False,
        }


@pytest.mark.anyio
@revisions
async def test_our_client_gets_sdk_logs_progress_and_cancels(peer_python: str, revision: str) -> None:
    recorder = Recorder()
    async with sdk_server(peer_python, revision, recorder) as client:
        await client.set_logging_level("info")
        progress: list[tuple[float, float | None, str | None]] = []
        result = await client.call_tool(
            "long_task", {"steps": 2}, progress=lambda p, t, m: progress.append((p, t, m))
        )
        assert result["content"] == [text_block("done after 2 steps")]
        # The SDK sends progress messages in every revision; ours passes them on as they come.
        assert progress == [(1, 2, "step 1 of 2"), (2, 2, "step 2 of 2")]
        # Logs travel before the result on the same stream, and our client handles them in order.
        assert recorder.logs == [
            {"level": "info", "logger": "sdk-everything", "data": "finished step 1"},
            {"level": "info", "logger": "sdk-everything", "data": "finished step 2"},
            {"level": "warning", "logger": "sdk-everything", "data": "that was only a demonstration"},
        ]

        # A timeout on our side sends notifications/cancelled, which interrupts the SDK's tool.
        with pytest.raises(RequestTimeout) as timed_out:
            await client.call_tool("slow", timeout=1.0)
        request_id = timed_out.value.data["id"]
        # So does cancelling the caller, here once the tool said it started sleeping.
        started = anyio.Event()
        async with anyio.create_task_group() as group:
            group.start_soon(
                functools.partial(client.call_tool, "slow", progress=lambda p, t, m: started.set())
            )
            with anyio.fail_after(30):
                await started.wait()
            group.cancel_scope.cancel()

        cancelled: list[Any] = []
        for _ in range(POLLS):
            cancelled = structured_text(await client.call_tool("cancellations"))["cancelled"]
            if len(cancelled) >= 2:
                break
            await anyio.sleep(0.05)
        assert len(cancelled) == 2
        assert cancelled[0] == str(request_id)  # the SDK records ids as text
        echo = await client.call_tool("echo", {"text": "still here"})
        assert echo["content"] == [text_block("still here")]


@pytest.mark.anyio
@revisions
async def test_our_client_answers_sdk_sampling_elicitation_and_roots(peer_python: str, revision: str) -> None:
    recorder = Recorder()
    async with sdk_server(peer_python, revision, recorder) as client:
        sampled = await client.call_tool("ask_model", {"question": "What is 6 x 7?"})
        answer = {"model": SAMPLED_MODEL, "role": "assistant", "text": SAMPLED_TEXT, "stopReason": "endTurn"}
        assert sampled["structuredContent"] == answer
        assert recorder.sampling == [
            {
                "messages": [{"role": "user", "content": text_block("What is 6 x 7?")}],
                "maxTokens": 100,
                "systemPrompt": "Answer in one sentence.",
            }
        ]

        roots = await client.call_tool("show_roots")
        assert roots["structuredContent"] == {"roots": [{"uri": ROOT_URI, "name": "interop"}]}
        await client.set_roots(["file:///tmp/elsewhere"])  # and tells the server they changed
        roots = await client.call_tool("show_roots")
        assert roots["structuredContent"] == {"roots": [{"uri": "file:///tmp/elsewhere"}]}

        if revision < "2025-06-18":
            # The SDK's server sends elicitation/create whatever the revision; our client
            # refuses it as a method the revision lacks, and the SDK fails the call with that.
            with pytest.raises(McpError) as refused:
                await client.call_tool("sign_up")
            assert refused.value.code == -32601
            assert refused.value.data == {"method": "elicitation/create"}
            assert recorder.elicitation == []
            return
        signed_up = await client.call_tool("sign_up")
        assert signed_up["structuredContent"] == {"action": "accept", "contact": ELICITED}
        [request] = recorder.elicitation
        assert request["message"] == "Please tell us about yourself"
        schema = request["requestedSchema"]
        assert schema["type"] == "object"
        assert schema["required"] == ["name", "age"]
        assert {name: prop["type"] for name, prop in schema["properties"].items()} == {
            "name": "string",
            "age": "integer",
            "newsletter": "boolean",
        }


# == our client against the SDK's server, in the 2026-07-28 era ====================================


@pytest.mark.anyio
async def test_our_client_speaks_2026_07_28_with_the_sdk_server(peer_python: str) -> None:
    """Our client's default: probe server/discover, and stay modern with a server that answers it;
    every request then carries the envelope, and results their type and the server's identity.

    (The SDK server's sampling, roots and elicitation tools ask the client with requests of the
    legacy era, which the SDK itself refuses in 2026-07-28: they are not tried here. The
    input-required rounds are tried against the SDK's client instead, in
    ``tests/test_interop_sdk_modern.py``.)"""
    transport = StdioClientTransport(peer_python, ["-I", str(SDK_SERVER)], cwd=REPO)
    with anyio.fail_after(SESSION_TIMEOUT):
        async with Client(transport, request_timeout=30.0) as client:
            assert (client.protocol_version, client.modern) == ("2026-07-28", True)
            assert client.server_info["name"] == SDK_SERVER_INFO["name"]
            pages = [[tool["name"] for tool in page] async for page in client.list_tools().pages()]
            assert pages == SDK_TOOLS
            echo = await client.call_tool("echo", {"text": "hello, modern"})
            assert echo["content"] == [text_block("hello, modern")]
            weather = await client.call_tool("weather", {"city": "Lisbon"})
            assert weather["structuredContent"] == {
                "city": "Lisbon",
                "temperature_c": 21.5,
                "conditions": "sunny",
            }
            readme = await client.read_resource("demo://readme")
            assert readme["contents"][0]["uri"] == "demo://readme"
            prompt = await client.get_prompt("review_code", {"code": "print(1)"})
            assert prompt["messages"]
            with pytest.raises(McpError):
                await client.ping()  # no ping in 2026-07-28: refused before anything is sent
