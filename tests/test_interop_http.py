"""Interoperability over Streamable HTTP with the official SDKs, Python and TypeScript, both ways.

Our HTTP client against our HTTP server shares one reading of ``basic/transports.mdx``; the
official SDKs are the second readings. Every peer runs in a process of its own, on a free port
of 127.0.0.1, started afresh where its state would leak from one test into the next:

* **The Python SDK's client against our server.** ``mcpcore serve examples/everything_server.py
  --transport http --port 0`` (the port is read off its stderr line), in its default stateful
  mode and in ``--stateless --json-response``; ``tests/interop/sdk_http_client_driver.py``
  runs under the SDK's interpreter, goes through the demo server's features with the SDK's
  ``streamable_http_client`` (each handshake revision pinned as the stdio driver pins it, and
  the SDK's stock ``auto`` mode) and prints a report, with every HTTP exchange it made.
* **The TypeScript SDK's client against our server.** ``tests/interop/ts_http_client.mjs``
  does the same with ``StreamableHTTPClientTransport`` on Node.js.
* **Our client against the Python SDK's server** (``tests/interop/sdk_http_server.py``: the
  ``MCPServer`` of the stdio interop tests under uvicorn, stateful with SSE, and stateless with
  JSON) **and against the TypeScript reference server** (``@modelcontextprotocol/server-
  everything`` in its ``streamableHttp`` mode), on asyncio and trio.

The reference server listens on all interfaces on the port its ``PORT`` says, and prints the
port it was given (not the one bound); it is started with a small module preloaded by Node
(``--import``) that binds it to 127.0.0.1 instead and prints the bound port.

The peers are installed once (``benchmarks.official.ensure_peer_env``, ``tests/interop_npm.py``)
and a registry that cannot be reached fails the set-up instead of skipping it. Every wait is
bounded, every subprocess has a deadline and is stopped, and only 127.0.0.1 is used.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.parse
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import pytest

from benchmarks import official
from mcpcore.client import Client
from mcpcore.errors import McpError, RequestTimeout
from mcpcore.server import CapabilityError
from tests import interop_npm
from tests.test_interop_python_sdk import (
    ELICITED,
    HANDSHAKE_REVISIONS,
    RED_PIXEL,
    ROOT_URI,
    SAMPLED_MODEL,
    SAMPLED_TEXT,
    SDK_SERVER_INFO,
    SDK_TOOLS,
    Recorder,
    bad_arguments_answer,
    check_common_calls,
)
from tests.test_interop_ts_everything import BASE_TOOLS, SERVER_CAPABILITIES, SERVER_INFO
from transports.http import StreamableHttpTransport
from transports.http._pool import HttpClient

# Building the SDK's environment or installing the npm packages on a first run takes minutes,
# far past the suite's default limit; every wait inside the tests is bounded on its own.
pytestmark = pytest.mark.timeout(900)

REPO = Path(__file__).resolve().parent.parent
SDK_DRIVER = REPO / "tests" / "interop" / "sdk_http_client_driver.py"
SDK_HTTP_SERVER = REPO / "tests" / "interop" / "sdk_http_server.py"
TS_CLIENT = REPO / "tests" / "interop" / "ts_http_client.mjs"

DRIVER_TIMEOUT = 120.0  # seconds for one whole client run; the clients bound themselves at 90
LIMIT = 60.0  # seconds any one session of our client with a peer server may take
READY_POLLS = 600  # polls of a server's output for its address, 50 ms apart: 30 s at most
POLL_INTERVAL = 0.05
STOP_GRACE = 10.0  # seconds a server is given to exit at each step of stopping it
TS_SAMPLED_MODEL = "ts-sdk-test-model"  # what ts_http_client.mjs answers sampling with

# Loaded by Node before the reference server: it binds what the server binds to 127.0.0.1 and
# reports the bound port, since the server binds every interface and reports the port asked.
_LOOPBACK_PRELOAD = """
import net from "node:net";
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === "number" || typeof args[0] === "string") {
    const callback = args.find((arg) => typeof arg === "function");
    this.once("listening", () => {
      process.stderr.write(`mcpcore-interop: listening on 127.0.0.1:${this.address().port}\\n`);
    });
    return listen.call(this, Number(args[0]), "127.0.0.1", callback);
  }
  return listen.apply(this, args);
};
"""


def text_block(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def at_least(negotiated: str, revision: str) -> bool:
    return negotiated >= revision  # revision strings are dates: they sort as they age


# == processes ==================================================================================


@dataclass
class Peer:
    """A server in a process of its own, and where it is reached."""

    process: subprocess.Popen[bytes]
    log: Path
    url: str

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def _tail(text: str, limit: int = 6000) -> str:
    return text if len(text) <= limit else "..." + text[-limit:]


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.stdin is not None:
        process.stdin.close()  # the SDK's server stops at the end of its input
        try:
            process.wait(STOP_GRACE)
            return
        except subprocess.TimeoutExpired:
            pass
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(STOP_GRACE)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_GRACE)


@contextmanager
def spawn(
    argv: list[str],
    log: Path,
    ready: re.Pattern[str],
    url: Callable[[re.Match[str]], str],
    *,
    env: dict[str, str] | None = None,
    stop_by_stdin: bool = False,
) -> Iterator[Peer]:
    """Start a server, wait (bounded) for ``ready`` in its output, yield it, stop it."""
    with open(log, "wb") as out:
        process = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE if stop_by_stdin else subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=REPO,
            env=env,
        )
    try:
        match = None
        for _ in range(READY_POLLS):
            match = ready.search(log.read_text(encoding="utf-8", errors="replace"))
            if match is not None or process.poll() is not None:
                break
            time.sleep(POLL_INTERVAL)
        if match is None:
            status = process.poll()
            why = f"exited with {status}" if status is not None else "said nothing of it in time"
            pytest.fail(f"{argv[:4]} did not start ({why}); its output:\n{_tail(log.read_text())}")
        yield Peer(process, log, url(match))
    finally:
        _stop(process)


_OURS_READY = re.compile(r"mcpcore: serving MCP over Streamable HTTP at (http://127\.0\.0\.1:\d+/mcp)")


@contextmanager
def our_server(log: Path, *, stateless: bool, legacy_only: bool = False) -> Iterator[Peer]:
    """``mcpcore serve`` of the demo server over HTTP on a free port, as a host starts it
    (``legacy_only``: with its 2026-07-28 support off, see ``tests/interop/legacy_demo.py``)."""
    if legacy_only:
        argv = [sys.executable, "-m", "tests.interop.legacy_demo"]
    else:
        argv = [sys.executable, "-m", "mcpcore", "serve", "examples/everything_server.py:server"]
    argv += ["--transport", "http", "--host", "127.0.0.1", "--port", "0"]
    if stateless:
        argv += ["--stateless", "--json-response"]
    with spawn(argv, log, _OURS_READY, lambda m: m.group(1)) as peer:
        yield peer


@pytest.fixture(scope="session")
def peer_python() -> str:
    official.ensure_peer_env()
    return str(official.peer_python())


@pytest.fixture(scope="module")
def ts_sdk() -> Path:
    package = interop_npm.ensure_typescript_sdk()
    manifest = json.loads((package / "package.json").read_text(encoding="utf-8"))
    required = manifest.get("engines", {}).get("node", "")
    wanted = re.fullmatch(r">=\s*(\d+)(?:\.\d+)*", required)
    node = shutil.which("node")
    assert node is not None, "interop_npm installed the SDK, so node is on PATH"
    version = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30, check=True)
    have = int(version.stdout.strip().lstrip("v").split(".")[0])
    if wanted is not None and have < int(wanted.group(1)):
        pytest.skip(
            f"{interop_npm.SDK_REQUIREMENT} requires Node.js {required}; "
            f"this machine has {version.stdout.strip()}"
        )
    return package


# == the Python SDK's client against our server =================================================


@dataclass(frozen=True)
class Run:
    """One run of a peer's client against a fresh server of ours."""

    mode: str  # "stateful" or "stateless"
    requested: str  # "auto"/"latest" or a pinned handshake revision
    negotiated: str
    report: dict[str, Any]
    server_output: str

    def at_least(self, revision: str) -> bool:
        return at_least(self.negotiated, revision)

    @property
    def http(self) -> list[dict[str, Any]]:
        exchanges: list[dict[str, Any]] = self.report["http"]
        return exchanges


def run_client(argv: list[str], what: str) -> dict[str, Any]:
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=DRIVER_TIMEOUT, check=False, cwd=REPO
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{what} ran past {DRIVER_TIMEOUT:g} s; stderr: {exc.stderr!r}")
    if done.returncode != 0:
        pytest.fail(f"{what} failed (exit {done.returncode}):\n{_tail(done.stderr)}")
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def sdk_run(peer: str, tmp: Path, mode: str, requested: str) -> Run:
    # In auto mode the SDK probes for 2026-07-28 first: against a legacy-only instance of the
    # demo server it must fall back to initialize (the modern era is tested on its own).
    legacy_only = requested == "auto"
    with our_server(tmp / "server.log", stateless=mode == "stateless", legacy_only=legacy_only) as server:
        argv = [peer, "-I", str(SDK_DRIVER), requested, server.url, "--mode", mode, "--timeout", "90"]
        report = run_client(argv, "the SDK's HTTP client driver")
        output = server.output()
    negotiated = HANDSHAKE_REVISIONS[-1] if requested == "auto" else requested
    return Run(mode, requested, negotiated, report, output)


@pytest.fixture(scope="module", params=["auto", *HANDSHAKE_REVISIONS])
def stateful_run(
    request: pytest.FixtureRequest, peer_python: str, tmp_path_factory: pytest.TempPathFactory
) -> Run:
    return sdk_run(peer_python, tmp_path_factory.mktemp("ours"), "stateful", request.param)


@pytest.fixture(scope="module", params=["auto", *HANDSHAKE_REVISIONS])
def stateless_run(
    request: pytest.FixtureRequest, peer_python: str, tmp_path_factory: pytest.TempPathFactory
) -> Run:
    return sdk_run(peer_python, tmp_path_factory.mktemp("ours"), "stateless", request.param)


def expected_initialize(negotiated: str, mode: str = "stateful") -> dict[str, Any]:
    """What our demo server answers initialize with, at each revision; a stateless server
    promises no list changes or subscriptions, since nothing can reach its clients later."""
    server_info: dict[str, Any] = {"name": "everything", "version": "1.0.0"}
    if at_least(negotiated, "2025-06-18"):
        server_info["title"] = "Everything"
    if at_least(negotiated, "2025-11-25"):
        server_info["description"] = "Every MCP feature mcpcore offers, in one small server"
    capabilities: dict[str, Any] = {
        "logging": {},
        "prompts": {"listChanged": True},
        "resources": {"listChanged": True, "subscribe": True},
        "tools": {"listChanged": True},
    }
    if mode == "stateless":
        capabilities.update(prompts={}, resources={}, tools={})
    if at_least(negotiated, "2025-03-26"):
        capabilities["completions"] = {}
    return {
        "protocolVersion": negotiated,
        "capabilities": capabilities,
        "serverInfo": server_info,
        "instructions": "A demonstration server: try the tools, read the resources, get the prompt.",
    }


OUR_TOOLS = [
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
WEATHER = {"city": "Lisbon", "temperature_c": 21.5, "conditions": "sunny"}
README = "# Everything\n\nA demonstration server.\n"
REVIEW_DESCRIPTION = "Ask for a code review; the language is optional."


def expected_weather(negotiated: str) -> dict[str, Any]:
    result: dict[str, Any] = {"content": [text_block(json.dumps(WEATHER, separators=(",", ":")))]}
    if at_least(negotiated, "2025-06-18"):
        result["structuredContent"] = WEATHER
    return {"result": result}


def expected_reads() -> dict[str, Any]:
    return {
        "demo://readme": {
            "result": {"contents": [{"uri": "demo://readme", "mimeType": "text/markdown", "text": README}]}
        },
        "demo://red-pixel.png": {
            "result": {
                "contents": [{"uri": "demo://red-pixel.png", "mimeType": "image/png", "blob": RED_PIXEL}]
            }
        },
        "greeting://Ada": {
            "result": {
                "contents": [{"uri": "greeting://Ada", "mimeType": "text/plain", "text": "Hello, Ada!"}]
            }
        },
        "demo://missing": {"error": {"code": -32002, "message": "Resource not found"}},
    }


def rust_review() -> dict[str, Any]:
    return {
        "result": {
            "description": REVIEW_DESCRIPTION,
            "messages": [
                {"role": "user", "content": text_block("Please review this rust code:\n\nfn main() {}")},
                {"role": "assistant", "content": text_block("Happy to. Let me read it first.")},
            ],
        }
    }


def progress(step: int, total: int, negotiated: str) -> list[Any]:
    # Progress messages arrived in 2025-03-26: to a 2024-11-05 client they are left out.
    return [step, total, f"step {step} of {total}" if at_least(negotiated, "2025-03-26") else None]


def log(level: str, data: str) -> dict[str, Any]:
    return {"level": level, "logger": "everything", "data": data}


def posts(run_http: list[dict[str, Any]], rpc: str) -> list[dict[str, Any]]:
    return [x for x in run_http if x["method"] == "POST" and x.get("rpc") == rpc]


def test_sdk_client_initializes_over_http_at_the_revision_it_asked_for(stateful_run: Run) -> None:
    report = stateful_run.report
    assert report["protocol_version"] == stateful_run.negotiated
    assert report["initialize"] == expected_initialize(stateful_run.negotiated)
    assert report["ping"] == {"result": {}}


def test_sdk_client_lists_and_calls_our_tools_over_http(stateful_run: Run) -> None:
    report, negotiated = stateful_run.report, stateful_run.negotiated
    assert sorted(report["tools"]) == OUR_TOOLS
    assert report["tool_pages"] == 1
    structured = {name for name, tool in report["tools"].items() if "outputSchema" in tool}
    if stateful_run.at_least("2025-06-18"):
        assert structured == {"weather", "cancellations", "ask_model", "sign_up", "show_roots"}
    else:
        assert structured == set()
    calls = report["calls"]
    assert calls["echo"] == {"result": {"content": [text_block("hello from the SDK")]}}
    assert calls["weather"] == expected_weather(negotiated)
    check_common_calls(calls, unknown_tool_message="Unknown tool: no_such_tool")
    assert calls["echo_bad_arguments"] == bad_arguments_answer(negotiated)


def test_sdk_client_reads_resources_prompts_and_completions_over_http(stateful_run: Run) -> None:
    report = stateful_run.report
    assert [r["uri"] for r in report["resources"]] == ["demo://readme", "demo://red-pixel.png"]
    assert [t["uriTemplate"] for t in report["templates"]] == ["greeting://{name}"]
    assert report["reads"] == expected_reads()
    assert [p["name"] for p in report["prompts"]] == ["review_code"]
    assert report["get_prompt"]["rust"] == rust_review()
    assert report["get_prompt"]["missing"] == {
        "error": {"code": -32602, "message": "Missing required arguments for prompt review_code: code"}
    }
    complete = report["complete"]
    assert complete["language"] == {"result": {"completion": {"values": ["python"]}}}
    assert complete["name"] == {"result": {"completion": {"values": ["Ada", "Alan"]}}}


def test_sdk_client_gets_logs_and_progress_over_sse(stateful_run: Run) -> None:
    negotiated = stateful_run.negotiated
    first, second = stateful_run.report["logging"]["runs"]
    assert first["set_level"] == {"result": {}}
    assert first["call"] == {"result": {"content": [text_block("done after 2 steps")]}}
    assert first["logs"] == [
        log("info", "finished step 1"),
        log("info", "finished step 2"),
        log("warning", "that was only a demonstration"),
    ]
    assert first["progress"] == [progress(1, 2, negotiated), progress(2, 2, negotiated)]
    assert second["logs"] == [
        log("debug", "starting 1 steps"),
        log("info", "finished step 1"),
        log("warning", "that was only a demonstration"),
    ]
    assert second["progress"] == [progress(1, 1, negotiated)]
    # They came on the call's own stream: each long_task POST was answered with SSE.
    long_tasks = posts(stateful_run.http, "tools/call long_task")
    assert [(x["status"], x["content_type"]) for x in long_tasks] == [(200, "text/event-stream")] * 2


def test_sdk_client_cancels_a_call_over_http(stateful_run: Run) -> None:
    cancellation = stateful_run.report["cancellation"]
    assert cancellation["timeout"] == {"error": {"code": -32001, "message": "Request 'tools/call' timed out"}}
    assert cancellation["started"] is True
    assert cancellation["finished"] == 0
    assert len(cancellation["cancelled"]) == 2  # both notifications/cancelled reached the tool
    assert all(isinstance(rid, int) for rid in cancellation["cancelled"])
    assert cancellation["after"] == {"result": {"content": [text_block("still here")]}}
    cancels = posts(stateful_run.http, "notification:notifications/cancelled")
    assert [x["status"] for x in cancels] == [202, 202]


def test_sdk_client_answers_sampling_elicitation_and_roots_mid_call(stateful_run: Run) -> None:
    report = stateful_run.report
    sampling = report["sampling"]
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
    assert result.get("structuredContent") == (answer if stateful_run.at_least("2025-06-18") else None)

    elicitation = report["elicitation"]
    if stateful_run.at_least("2025-06-18"):
        [request] = elicitation["requests"]
        assert request["message"] == "Please tell us about yourself"
        assert request["requestedSchema"]["required"] == ["name", "age"]
        assert request.get("mode") == ("form" if stateful_run.at_least("2025-11-25") else None)
        assert elicitation["call"]["result"]["structuredContent"] == {"action": "accept", "contact": ELICITED}
    else:
        assert elicitation["requests"] == []
        assert elicitation["call"]["result"]["content"] == [
            text_block(
                f"Error in tool sign_up: revision {stateful_run.negotiated} has no form-mode elicitation"
            )
        ]

    roots = report["roots"]
    for call in (roots["call"], roots["after_change"]):
        assert json.loads(call["result"]["content"][0]["text"]) == {
            "roots": [{"uri": ROOT_URI, "name": "interop"}]
        }
    assert roots["requests_before_change"] == 1
    assert roots["requests"] == 2

    # On the wire: each of these calls was answered with a stream carrying the server's
    # request, and the SDK POSTed its answer (202) while the call was still open.
    http = stateful_run.http
    asking = ["tools/call ask_model", "tools/call show_roots"]
    if stateful_run.at_least("2025-06-18"):
        asking.append("tools/call sign_up")
    for rpc in asking:
        index = next(i for i, x in enumerate(http) if x.get("rpc") == rpc)
        assert http[index]["content_type"] == "text/event-stream", rpc
        assert {"method": "POST", "rpc": "response", "status": 202}.items() <= http[index + 1].items(), rpc


def test_sdk_client_subscribes_and_hears_of_an_update_over_http(stateful_run: Run) -> None:
    assert stateful_run.report["subscription"] == {
        "subscribe": {"result": {}},
        "touch": {"result": {"content": [text_block("told the subscribers of demo://readme")]}},
        "updated": ["demo://readme"],
        "unsubscribe": {"result": {}},
    }


def test_sdk_client_session_follows_the_transport_rules(stateful_run: Run) -> None:
    http = list(stateful_run.http)
    if stateful_run.requested == "auto":
        # The 2026-07-28 probe has no session and is not initialize: 400, and the SDK falls back.
        probe = http.pop(0)
        assert (probe["rpc"], probe["status"], probe["session"]) == ("server/discover", 400, False)
    initialize, *rest = http
    assert (initialize["rpc"], initialize["status"], initialize["session"]) == ("initialize", 200, False)
    # Every later exchange carries the session and the negotiated revision.
    assert {(x["session"], x["version"]) for x in rest} == {(True, stateful_run.negotiated)}
    for exchange in rest:
        if exchange["method"] == "POST" and not exchange["rpc"].startswith(("notification:", "response")):
            assert exchange["status"] == 200 and exchange["content_type"] in (
                "application/json",
                "text/event-stream",
            )
        elif exchange["method"] == "POST":
            assert (exchange["status"], exchange["content_type"]) == (202, ""), exchange
    gets = [x for x in rest if x["method"] == "GET"]
    assert [(x["status"], x["content_type"]) for x in gets] == [(200, "text/event-stream")]
    assert rest[-1]["method"] == "DELETE" and rest[-1]["status"] == 200
    # The server's access log saw the same session end.
    assert '"mcp_method":"DELETE"' in stateful_run.server_output


def test_sdk_client_against_our_stateless_json_server(stateless_run: Run) -> None:
    report, negotiated = stateless_run.report, stateless_run.negotiated
    assert report["protocol_version"] == negotiated
    assert report["initialize"] == expected_initialize(negotiated, "stateless")
    assert report["ping"] == {"result": {}}
    assert report["tools"] == OUR_TOOLS
    calls = report["calls"]
    assert calls["echo"] == {"result": {"content": [text_block("hello from the SDK")]}}
    # Each POST is a session of its own, told the revision by the header alone: the answers
    # are those of that revision.
    assert calls["weather"] == expected_weather(negotiated)
    assert calls["fail"] == {
        "result": {"content": [text_block("Error in tool fail: on purpose")], "isError": True}
    }
    assert calls["no_such_tool"] == {"error": {"code": -32602, "message": "Unknown tool: no_such_tool"}}
    assert report["resources"] == ["demo://readme", "demo://red-pixel.png"]
    assert report["templates"] == ["greeting://{name}"]
    assert report["reads"] == expected_reads()
    assert report["prompts"] == ["review_code"]
    assert report["get_prompt"] == rust_review()
    assert report["complete"] == {
        "language": {"result": {"completion": {"values": ["python"]}}},
        "name": {"result": {"completion": {"values": ["Ada", "Alan"]}}},
    }


def test_stateless_json_answers_carry_no_notifications_and_no_requests_back(stateless_run: Run) -> None:
    report, negotiated = stateless_run.report, stateless_run.negotiated
    long_task = report["long_task"]
    assert long_task["set_level"] == {"result": {}}
    assert long_task["call"] == {"result": {"content": [text_block("done after 2 steps")]}}
    assert long_task["logs"] == [] and long_task["progress"] == []  # a JSON body holds the answer alone
    # A server that keeps no session knows nothing of the client's capabilities: the tools that
    # would call back fail as tools, and the SDK's callbacks are never called.
    calls = report["calls"]

    def tool_error(text: str) -> dict[str, Any]:
        return {"result": {"content": [text_block(text)], "isError": True}}

    assert calls["ask_model"] == tool_error(
        "Error in tool ask_model: cannot sample: the client did not declare the 'sampling' capability"
    )
    assert calls["show_roots"] == tool_error(
        "Error in tool show_roots: cannot list roots: the client did not declare the 'roots' capability"
    )
    if at_least(negotiated, "2025-06-18"):
        expected = (
            "Error in tool sign_up: cannot elicit: the client did not declare the 'elicitation' capability"
        )
    else:
        expected = f"Error in tool sign_up: revision {negotiated} has no form-mode elicitation"
    assert calls["sign_up"] == tool_error(expected)
    assert report["callbacks"] == {"sampling": 0, "elicitation": 0, "roots": 0}


def test_stateless_json_exchanges_have_no_session_and_no_streams(stateless_run: Run) -> None:
    http = list(stateless_run.http)
    if stateless_run.requested == "auto":
        probe = http.pop(0)
        assert (probe["rpc"], probe["status"]) == ("server/discover", 400)
    assert http[0]["rpc"] == "initialize" and http[0]["status"] == 200
    assert all(x["method"] == "POST" for x in http)  # no GET stream, no DELETE: no session
    assert not any(x["session"] for x in http)
    assert {x["version"] for x in http[1:]} == {stateless_run.negotiated}
    answered = [
        (x["status"], x["content_type"]) for x in http if x["rpc"] != "notification:notifications/initialized"
    ]
    assert set(answered) == {(200, "application/json")}
    # The server's access log agrees: no request belonged to a session.
    assert '"session":null' in stateless_run.server_output
    assert '"session":"' not in stateless_run.server_output


# == the TypeScript SDK's client against our server =============================================


def ts_run(node_sdk: Path, tmp: Path, mode: str, revision: str) -> Run:
    requested = "latest" if revision == HANDSHAKE_REVISIONS[-1] else revision
    with our_server(tmp / "server.log", stateless=mode == "stateless") as server:
        argv = ["node", str(TS_CLIENT), "--sdk", str(node_sdk), "--url", server.url, "--mode", mode]
        argv += ["--revision", requested, "--timeout", "90"]
        report = run_client(argv, "the TypeScript SDK's client script")
        output = server.output()
    return Run(mode, requested, revision, report, output)


@pytest.fixture(
    scope="module",
    params=[(mode, revision) for mode in ("stateful", "stateless") for revision in HANDSHAKE_REVISIONS],
    ids=lambda param: "-".join(param),
)
def ts_client_run(
    request: pytest.FixtureRequest, ts_sdk: Path, tmp_path_factory: pytest.TempPathFactory
) -> Run:
    mode, revision = request.param
    return ts_run(ts_sdk, tmp_path_factory.mktemp("ours"), mode, revision)


def test_ts_client_initializes_with_our_server(ts_client_run: Run) -> None:
    report, negotiated = ts_client_run.report, ts_client_run.negotiated
    init = expected_initialize(negotiated, ts_client_run.mode)
    assert report["protocol_version"] == negotiated
    assert report["server_info"] == init["serverInfo"]
    assert report["server_capabilities"] == init["capabilities"]
    assert report["instructions"] == init["instructions"]
    assert report["session"] is (ts_client_run.mode == "stateful")
    assert report["ping"] == {"result": {}}
    assert report["errors"] == []  # the transport reported nothing amiss


def test_ts_client_lists_and_calls_our_tools(ts_client_run: Run) -> None:
    report, negotiated = ts_client_run.report, ts_client_run.negotiated
    assert sorted(report["tools"]) == OUR_TOOLS
    assert report["tools"]["echo"]["inputSchema"]["required"] == ["text"]
    structured = {name for name, tool in report["tools"].items() if "outputSchema" in tool}
    expected = {"weather", "cancellations", "ask_model", "sign_up", "show_roots"}
    assert structured == (expected if at_least(negotiated, "2025-06-18") else set())
    calls = report["calls"]
    assert calls["echo"] == {"result": {"content": [text_block("hello from the TypeScript SDK")]}}
    # The SDK checked structuredContent against the output schema it listed.
    assert calls["weather"] == expected_weather(negotiated)
    check_common_calls(calls, unknown_tool_message="MCP error -32602: Unknown tool: no_such_tool")


def test_ts_client_reads_resources_prompts_and_completions(ts_client_run: Run) -> None:
    report = ts_client_run.report
    assert [r["uri"] for r in report["resources"]] == ["demo://readme", "demo://red-pixel.png"]
    assert [t["uriTemplate"] for t in report["templates"]] == ["greeting://{name}"]
    reads = expected_reads()
    reads["demo://missing"] = {"error": {"code": -32002, "message": "MCP error -32002: Resource not found"}}
    assert report["reads"] == reads
    assert [p["name"] for p in report["prompts"]] == ["review_code"]
    assert report["get_prompt"] == rust_review()
    assert report["complete"] == {
        "language": {"result": {"completion": {"values": ["python"]}}},
        "name": {"result": {"completion": {"values": ["Ada", "Alan"]}}},
    }


def test_ts_client_gets_logs_and_progress_over_sse_when_stateful(ts_client_run: Run) -> None:
    report, negotiated = ts_client_run.report, ts_client_run.negotiated
    assert report["set_level"] == {"result": {}}
    long_task = report["long_task"]
    assert long_task["call"] == {"result": {"content": [text_block("done after 2 steps")]}}
    (call,) = posts(ts_client_run.http, "tools/call long_task")
    if ts_client_run.mode == "stateless":
        assert long_task["logs"] == [] and long_task["progress"] == []
        assert call["content_type"] == "application/json"
        return
    assert long_task["logs"] == [
        log("info", "finished step 1"),
        log("info", "finished step 2"),
        log("warning", "that was only a demonstration"),
    ]
    assert long_task["progress"] == [progress(1, 2, negotiated), progress(2, 2, negotiated)]
    assert call["content_type"] == "text/event-stream"


def test_ts_client_answers_sampling_elicitation_and_roots_mid_call(ts_client_run: Run) -> None:
    report, negotiated = ts_client_run.report, ts_client_run.negotiated
    seen = report["seen"]
    if ts_client_run.mode == "stateless":
        for tool in ("ask_model", "sign_up", "show_roots"):
            assert report[tool]["result"]["isError"] is True, tool
        assert (seen["sampling"], seen["elicitation"], seen["roots"]) == ([], [], 0)
        return
    answer = {"model": TS_SAMPLED_MODEL, "role": "assistant", "text": SAMPLED_TEXT, "stopReason": "endTurn"}
    sampled = report["ask_model"]["result"]
    assert json.loads(sampled["content"][0]["text"]) == answer
    assert sampled.get("structuredContent") == (answer if at_least(negotiated, "2025-06-18") else None)
    assert seen["sampling"] == [
        {
            "messages": [{"role": "user", "content": text_block("What is 6 x 7?")}],
            "systemPrompt": "Answer in one sentence.",
            "maxTokens": 100,
        }
    ]
    if at_least(negotiated, "2025-06-18"):
        assert report["sign_up"]["result"]["structuredContent"] == {"action": "accept", "contact": ELICITED}
        [request] = seen["elicitation"]
        assert request["message"] == "Please tell us about yourself"
        assert request["requestedSchema"]["required"] == ["name", "age"]
    else:
        assert seen["elicitation"] == []
        assert report["sign_up"]["result"]["content"] == [
            text_block(f"Error in tool sign_up: revision {negotiated} has no form-mode elicitation")
        ]
    roots = {"roots": [{"uri": ROOT_URI, "name": "interop"}]}
    for call in (report["show_roots"], report["show_roots_after_change"]):
        assert json.loads(call["result"]["content"][0]["text"]) == roots
    assert report["roots_requests_before_change"] == 1
    assert seen["roots"] == 2
    http = ts_client_run.http
    for rpc in ("tools/call ask_model", "tools/call show_roots"):
        index = next(i for i, x in enumerate(http) if x.get("rpc") == rpc)
        assert http[index]["content_type"] == "text/event-stream", rpc
        assert {"method": "POST", "rpc": "response", "status": 202}.items() <= http[index + 1].items(), rpc


@pytest.mark.parametrize(
    "ts_client_run",
    [("stateful", revision) for revision in HANDSHAKE_REVISIONS],
    indirect=True,
    ids=lambda param: "-".join(param),
)
def test_ts_client_cancels_and_subscribes_when_stateful(ts_client_run: Run) -> None:
    # Stateful only: a stateless server has no session to cancel in or subscribe from.
    report = ts_client_run.report
    cancel = report["cancel"]
    assert cancel["started"] is True
    assert cancel["call"]["error"]["code"] == -32001  # the SDK's own "request cancelled" error
    assert len(cancel["cancelled"]) == 1 and isinstance(cancel["cancelled"][0], int)
    assert cancel["after"] == {"result": {"content": [text_block("still here")]}}
    assert report["subscribe"] == {"result": {}}
    assert report["touch"] == {"result": {"content": [text_block("told the subscribers of demo://readme")]}}
    assert report["seen"]["updated"] == ["demo://readme"]
    assert report["unsubscribe"] == {"result": {}}


def test_ts_client_exchanges_follow_the_transport_rules(ts_client_run: Run) -> None:
    http = ts_client_run.http
    initialize, *rest = http
    assert (initialize["rpc"], initialize["status"], initialize["session"]) == ("initialize", 200, False)
    stateful = ts_client_run.mode == "stateful"
    assert {(x["session"], x["version"]) for x in rest} == {(stateful, ts_client_run.negotiated)}
    gets = [(x["status"], x["content_type"]) for x in rest if x["method"] == "GET"]
    # The SDK opens the GET stream after initialized; a stateless server offers none (405).
    assert gets == ([(200, "text/event-stream")] if stateful else [(405, "text/plain")])
    deletes = [x["status"] for x in rest if x["method"] == "DELETE"]
    assert deletes == ([200] if stateful else [])
    if not stateful:
        assert {x["content_type"] for x in rest if x["method"] == "POST" and x["status"] == 200} == {
            "application/json"
        }


# == our client against the Python SDK's server ================================================

SDK_READY = re.compile(r"^ready (\d+)$", re.MULTILINE)


def _loopback_url(match: re.Match[str]) -> str:
    return f"http://127.0.0.1:{match.group(1)}/mcp"


@pytest.fixture(scope="module", params=["stateful", "stateless"])
def sdk_http_server(
    request: pytest.FixtureRequest, peer_python: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """The SDK's server over HTTP, one per mode for the module: (mode, url)."""
    mode: str = request.param
    argv = [peer_python, "-I", str(SDK_HTTP_SERVER), "--mode", mode]
    log = tmp_path_factory.mktemp("sdk") / "server.log"
    with spawn(argv, log, SDK_READY, _loopback_url, stop_by_stdin=True) as peer:
        yield mode, peer.url


def sdk_client(url: str, revision: str, recorder: Recorder, **options: Any) -> Client:
    return Client(
        url,
        versions=[revision],
        sampling=recorder.on_sampling,
        elicitation=recorder.on_elicitation,
        roots=[{"uri": ROOT_URI, "name": "interop"}],
        on_log=recorder.logs.append,
        request_timeout=30.0,
        **options,
    )


revisions = pytest.mark.parametrize("revision", HANDSHAKE_REVISIONS)
stateful_only = pytest.mark.parametrize("sdk_http_server", ["stateful"], indirect=True)


@asynccontextmanager
async def connected(client: Client) -> AsyncIterator[Client]:
    """``async with client``, inside a scope that ends with it, as in a host application.

    On trio, leaving a :class:`Client` over HTTP lets the transport's cancellation escape as a
    group of ``trio.Cancelled`` (see :func:`test_leaving_an_http_client_on_trio_raises_nothing`,
    an expected failure until it is fixed). A host whose own scope is cancelled as the client
    goes absorbs it, as this task group does; so these tests judge the interop on both
    backends, and that one test judges the exit.
    """
    async with anyio.create_task_group() as group:
        try:
            async with client:
                yield client
        finally:
            group.cancel_scope.cancel()


@pytest.mark.anyio
@revisions
async def test_our_client_uses_the_sdk_http_server(sdk_http_server: tuple[str, str], revision: str) -> None:
    _, url = sdk_http_server
    with anyio.fail_after(LIMIT):
        async with connected(sdk_client(url, revision, Recorder())) as client:
            assert client.protocol_version == revision
            assert client.server_info == SDK_SERVER_INFO
            assert client.instructions == "The official SDK's counterpart of mcpcore's demo server."
            await client.ping()
            pages = [[tool["name"] for tool in page] async for page in client.list_tools().pages()]
            assert pages == SDK_TOOLS
            echo = await client.call_tool("echo", {"text": "héllo over HTTP \u2028"})
            assert echo["content"] == [text_block("héllo over HTTP \u2028")]
            pixel = await client.call_tool("red_pixel")
            assert pixel["content"][1] == {"type": "image", "data": RED_PIXEL, "mimeType": "image/png"}
            weather = await client.call_tool("weather", {"city": "Lisbon"})
            assert weather["structuredContent"] == WEATHER
            failed = await client.call_tool("fail", {"reason": "on purpose"})
            assert failed["isError"] is True
            assert failed["content"] == [text_block("Error executing tool fail: on purpose")]

            assert [r["uri"] for r in await client.list_resources()] == [
                "demo://readme",
                "demo://red-pixel.png",
            ]
            assert [t["uriTemplate"] for t in await client.list_resource_templates()] == ["greeting://{name}"]
            assert await client.read_resource("demo://red-pixel.png") == {
                "contents": [{"uri": "demo://red-pixel.png", "mimeType": "image/png", "blob": RED_PIXEL}]
            }
            assert await client.read_resource("greeting://Ada") == {
                "contents": [{"uri": "greeting://Ada", "mimeType": "text/plain", "text": "Hello, Ada!"}]
            }
            with pytest.raises(McpError) as missing:
                await client.read_resource("demo://missing")
            assert missing.value.code == -32602  # the SDK's code for it, not the spec's -32002
            with pytest.raises(CapabilityError):
                await client.subscribe("demo://readme")  # the SDK's server offers no subscriptions
            prompt = await client.get_prompt("review_code", {"code": "fn main() {}", "language": "rust"})
            assert prompt["messages"] == [
                {"role": "user", "content": text_block("Please review this rust code:\n\nfn main() {}")}
            ]
            completion = await client.complete(
                {"type": "ref/prompt", "name": "review_code"}, "language", "py"
            )
            assert completion == {"values": ["python"], "total": 1, "hasMore": False}


@pytest.mark.anyio
@revisions
async def test_our_client_gets_sdk_progress_and_logs_over_http(
    sdk_http_server: tuple[str, str], revision: str
) -> None:
    mode, url = sdk_http_server
    recorder = Recorder()
    seen: list[tuple[float, float | None, str | None]] = []
    with anyio.fail_after(LIMIT):
        async with connected(sdk_client(url, revision, recorder)) as client:
            await client.set_logging_level("info")
            result = await client.call_tool(
                "long_task", {"steps": 2}, progress=lambda p, t, m: seen.append((p, t, m))
            )
    assert result["content"] == [text_block("done after 2 steps")]
    if mode == "stateless":
        # Answered with one JSON body: the progress and logs sent before it had no way here.
        assert seen == [] and recorder.logs == []
        return
    assert seen == [(1, 2, "step 1 of 2"), (2, 2, "step 2 of 2")]
    assert recorder.logs == [
        {"level": "info", "logger": "sdk-everything", "data": "finished step 1"},
        {"level": "info", "logger": "sdk-everything", "data": "finished step 2"},
        {"level": "warning", "logger": "sdk-everything", "data": "that was only a demonstration"},
    ]


@pytest.mark.anyio
@revisions
async def test_our_client_answers_sdk_requests_mid_call_over_http(
    sdk_http_server: tuple[str, str], revision: str
) -> None:
    mode, url = sdk_http_server
    recorder = Recorder()
    with anyio.fail_after(LIMIT):
        async with connected(sdk_client(url, revision, recorder)) as client:
            if mode == "stateless":
                for tool, method in (("ask_model", "sampling/createMessage"), ("show_roots", "roots/list")):
                    with pytest.raises(McpError) as refused:
                        await client.call_tool(tool, {"question": "?"} if tool == "ask_model" else {})
                    assert refused.value.code == -32600
                    assert refused.value.message == (
                        f"Cannot send '{method}': this transport context has no back-channel "
                        "for server-initiated requests."
                    )
                assert recorder.sampling == []
                return
            sampled = await client.call_tool("ask_model", {"question": "What is 6 x 7?"})
            answer = {
                "model": SAMPLED_MODEL,
                "role": "assistant",
                "text": SAMPLED_TEXT,
                "stopReason": "endTurn",
            }
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
            await client.set_roots(["file:///tmp/elsewhere"])
            roots = await client.call_tool("show_roots")
            assert roots["structuredContent"] == {"roots": [{"uri": "file:///tmp/elsewhere"}]}
            if revision < "2025-06-18":
                with pytest.raises(McpError) as refused:
                    await client.call_tool("sign_up")
                assert (refused.value.code, refused.value.data) == (-32601, {"method": "elicitation/create"})
                return
            signed_up = await client.call_tool("sign_up")
            assert signed_up["structuredContent"] == {"action": "accept", "contact": ELICITED}
            [request] = recorder.elicitation
            assert request["message"] == "Please tell us about yourself"


@pytest.mark.anyio
@stateful_only
async def test_our_client_cancels_an_sdk_call_over_http(sdk_http_server: tuple[str, str]) -> None:
    # A stateless server cannot be told of a cancellation: it would come in a POST of its own.
    _, url = sdk_http_server
    with anyio.fail_after(LIMIT):
        async with connected(sdk_client(url, HANDSHAKE_REVISIONS[-1], Recorder())) as client:
            before = len((await client.call_tool("cancellations"))["structuredContent"]["cancelled"])
            with pytest.raises(RequestTimeout) as timed_out:
                await client.call_tool("slow", timeout=1.0)
            cancelled: list[Any] = []
            for _ in range(100):  # the cancellation trails the timeout: 100 polls, 50 ms apart
                cancelled = (await client.call_tool("cancellations"))["structuredContent"]["cancelled"]
                if len(cancelled) > before:
                    break
                await anyio.sleep(0.05)
            assert cancelled[before:] == [str(timed_out.value.data["id"])]  # the SDK records ids as text
            echo = await client.call_tool("echo", {"text": "still here"})
            assert echo["content"] == [text_block("still here")]


@pytest.mark.anyio
@stateful_only
async def test_our_client_renews_a_session_the_sdk_server_ended(sdk_http_server: tuple[str, str]) -> None:
    _, url = sdk_http_server
    renewed: list[bool] = []
    transport = StreamableHttpTransport(url, on_session_expired=lambda: renewed.append(True))
    with anyio.fail_after(LIMIT):
        async with (
            connected(Client(transport, versions=HANDSHAKE_REVISIONS, request_timeout=30.0)) as client,
            HttpClient() as http,
        ):
            first = transport.session_id
            assert first is not None
            # Someone else ends the session (an operator, a restart): the server forgets it.
            ended = await http.request("DELETE", url, headers={"mcp-session-id": first})
            async with ended:
                await ended.read()
            assert ended.status == 200
            echo = await client.call_tool("echo", {"text": "again"})
            assert echo["content"] == [text_block("again")]
            assert transport.session_id not in (None, first)
    assert renewed == [True]


# == our client against the TypeScript reference server =========================================

TS_READY = re.compile(r"mcpcore-interop: listening on 127\.0\.0\.1:(\d+)")


@pytest.fixture(scope="module")
def ts_everything(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Peer]:
    entry = interop_npm.ensure_server_everything()
    preload = "data:text/javascript," + urllib.parse.quote(_LOOPBACK_PRELOAD)
    argv = ["node", "--import", preload, str(entry), "streamableHttp"]
    env = {"PATH": os.environ.get("PATH", os.defpath), "PORT": "0"}
    log = tmp_path_factory.mktemp("everything") / "server.log"
    with spawn(argv, log, TS_READY, _loopback_url, env=env) as peer:
        yield peer


class Inbox:
    """What a handler of our client received; a test waits (bounded) for what it expects."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self._changed = anyio.Event()

    def __call__(self, item: Any) -> None:
        self.items.append(item)
        self._changed.set()
        self._changed = anyio.Event()

    async def wait_for(self, done: Callable[[list[Any]], bool]) -> list[Any]:
        # Bounded by the test's fail_after: each turn waits for one more item.
        while not done(self.items):
            await self._changed.wait()
        return self.items


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("revision", "conditional"),
    [
        ("2025-11-25", ["get-roots-list", "trigger-elicitation-request", "trigger-sampling-request"]),
        ("2025-06-18", ["get-roots-list", "trigger-elicitation-request", "trigger-sampling-request"]),
        ("2025-03-26", ["get-roots-list", "trigger-sampling-request"]),
        ("2024-11-05", ["get-roots-list", "trigger-sampling-request"]),
    ],
)
async def test_our_client_uses_the_reference_server_over_http(
    ts_everything: Peer, revision: str, conditional: list[str]
) -> None:
    sampled = {"role": "assistant", "content": text_block("Because."), "model": "m", "stopReason": "endTurn"}
    sampling_requests: list[dict[str, Any]] = []
    logs = Inbox()

    async def sampling(params: dict[str, Any]) -> dict[str, Any]:
        sampling_requests.append(params)
        return sampled

    async def elicitation(params: dict[str, Any]) -> dict[str, Any]:
        return {"action": "accept", "content": {"name": "Ada Lovelace"}}

    transport = StreamableHttpTransport(ts_everything.url)
    client = Client(
        transport,
        versions=[revision],
        sampling=sampling,
        elicitation=elicitation,
        roots=[{"uri": "file:///srv/alpha", "name": "Alpha"}],
        on_log=logs,
        request_timeout=30.0,
    )
    with anyio.fail_after(LIMIT):
        async with connected(client):
            session = transport.session_id
            assert client.protocol_version == revision
            assert client.server_info == SERVER_INFO
            assert client.server_capabilities == SERVER_CAPABILITIES
            names = [tool["name"] for tool in await client.list_tools()]
            assert names == [*BASE_TOOLS, *conditional, "simulate-research-query"]
            message = 'héllo, 世界 "quoted" \\ back\nslash'
            assert await client.call_tool("echo", {"message": message}) == {
                "content": [text_block(f"Echo: {message}")]
            }
            structured = await client.call_tool("get-structured-content", {"location": "New York"})
            assert structured["structuredContent"] == {
                "temperature": 33,
                "conditions": "Cloudy",
                "humidity": 82,
            }

            # The server asks for our roots on the GET stream shortly after the handshake.
            await logs.wait_for(lambda items: len(items) >= 1)
            assert logs.items[0] == {
                "level": "info",
                "logger": "everything-server",
                "data": "Roots updated: 1 root(s) received from client",
            }
            roots = await client.call_tool("get-roots-list", {})
            assert roots["content"][0]["text"].startswith(  # type: ignore[typeddict-item]
                "Current MCP Roots (1 total):\n\n1. Alpha\n   URI: file:///srv/alpha"
            )
            await client.set_roots(["file:///srv/alpha", "file:///srv/beta"])
            await logs.wait_for(lambda items: len(items) >= 2)
            assert logs.items[1]["data"] == "Roots updated: 2 root(s) received from client"

            result = await client.call_tool("trigger-sampling-request", {"prompt": "Why?", "maxTokens": 20})
            text = result["content"][0]["text"]  # type: ignore[typeddict-item]
            assert json.loads(text.removeprefix("LLM sampling result: \n")) == sampled
            assert sampling_requests[0]["messages"] == [
                {"role": "user", "content": text_block("Resource trigger-sampling-request context: Why?")}
            ]
            if "trigger-elicitation-request" in conditional:
                elicited = await client.call_tool("trigger-elicitation-request", {})
                assert elicited["content"][0] == text_block("✅ User provided the requested information!")

            # The subscription is acknowledged with a log naming the session we hold.
            await client.set_logging_level("info")
            await client.subscribe("demo://resource/dynamic/text/1")
            await logs.wait_for(lambda items: len(items) >= 3)
            assert logs.items[2] == {
                "level": "info",
                "data": f"Received Subscribe Resource request for URI: demo://resource/dynamic/text/1 "
                f"from session {session}",
            }
            await client.unsubscribe("demo://resource/dynamic/text/1")
    # Our client ended its session with DELETE on the way out.
    termination = f"Received session termination request for session {session}"
    for _ in range(READY_POLLS):
        if termination in ts_everything.output():
            break
        await anyio.sleep(POLL_INTERVAL)
    assert termination in ts_everything.output()


@pytest.mark.anyio
async def test_our_client_reads_reference_resources_prompts_and_completions(ts_everything: Peer) -> None:
    with anyio.fail_after(LIMIT):
        async with connected(Client(ts_everything.url, request_timeout=30.0)) as client:
            resources = await client.list_resources()
            documents = sorted(p.name for p in interop_npm.DOCS_DIR.iterdir() if p.is_file())
            assert sorted(r["name"] for r in resources) == documents
            features = await client.read_resource("demo://resource/static/document/features.md")
            assert features["contents"][0]["text"] == (  # type: ignore[typeddict-item]
                (interop_npm.DOCS_DIR / "features.md").read_text(encoding="utf-8")
            )
            templates = [t["uriTemplate"] for t in await client.list_resource_templates()]
            assert templates == [
                "demo://resource/dynamic/text/{resourceId}",
                "demo://resource/dynamic/blob/{resourceId}",
            ]
            dynamic = await client.read_resource("demo://resource/dynamic/text/5")
            assert re.fullmatch(
                r"Resource 5: This is a plaintext resource created at .+",
                dynamic["contents"][0]["text"],  # type: ignore[typeddict-item]
            )
            prompt = await client.get_prompt("args-prompt", {"city": "Portland", "state": "Oregon"})
            assert prompt == {
                "messages": [{"role": "user", "content": text_block("What's weather in Portland, Oregon?")}]
            }
            completion = await client.complete(
                {"type": "ref/prompt", "name": "completable-prompt"}, "department", "S"
            )
            assert completion == {"values": ["Sales", "Support"], "total": 2, "hasMore": False}


@pytest.mark.anyio
async def test_our_client_gets_reference_progress_and_cancels_over_http(ts_everything: Peer) -> None:
    long_op = "trigger-long-running-operation"
    seen: list[tuple[float, float | None, str | None]] = []
    with anyio.fail_after(LIMIT):
        async with connected(Client(ts_everything.url, request_timeout=30.0)) as client:
            result = await client.call_tool(
                long_op, {"duration": 0.2, "steps": 4}, progress=lambda p, t, m: seen.append((p, t, m))
            )
            assert result["content"] == [
                text_block("Long running operation completed. Duration: 0.2 seconds, Steps: 4.")
            ]
            assert seen == [(1, 4, None), (2, 4, None), (3, 4, None), (4, 4, None)]
            with pytest.raises(RequestTimeout):
                await client.call_tool(long_op, {"duration": 2, "steps": 2}, timeout=0.3)
            answers: dict[int, Any] = {}

            async def echo(i: int) -> None:
                answers[i] = (await client.call_tool("echo", {"message": f"call {i}"}))["content"]

            async with anyio.create_task_group() as group:
                for i in range(24):
                    group.start_soon(echo, i)
    assert answers == {i: [text_block(f"Echo: call {i}")] for i in range(24)}
