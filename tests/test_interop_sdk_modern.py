"""The official Python SDK's client (PyPI ``mcp`` 2.3.0) against our server in the 2026-07-28 era.

The SDK's high-level ``Client`` runs ``tests/interop/sdk_modern_driver.py`` under the SDK's own
interpreter against ``examples/everything_server.py``, over stdio (``mcpcore serve``) and
Streamable HTTP (``mcpcore serve --transport http``), in its stock ``auto`` mode (it probes
``server/discover`` and must stay modern) and pinned to ``2026-07-28``. The SDK checks every
result it receives against the 2026-07-28 schema, runs the input-required rounds itself
(sampling, elicitation and roots answered by its callbacks), asks for logs per request, and
opens a ``subscriptions/listen`` stream; the report it prints is judged here.

The handshake era against the same SDK is in ``tests/test_interop_python_sdk.py`` and
``tests/test_interop_http.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from benchmarks import official
from tests.test_interop_http import our_server

pytestmark = pytest.mark.timeout(900)  # a first run builds the SDK's environment

REPO = Path(__file__).resolve().parent.parent
DRIVER = REPO / "tests" / "interop" / "sdk_modern_driver.py"
DRIVER_TIMEOUT = 120.0
MODERN = "2026-07-28"
SERVER_INFO = {
    "name": "everything",
    "version": "1.0.0",
    "title": "Everything",
    "description": "Every MCP feature mcpcore offers, in one small server",
}


@pytest.fixture(scope="session")
def peer_python() -> str:
    official.ensure_peer_env()
    return str(official.peer_python())


def run(argv: list[str]) -> dict[str, Any]:
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=DRIVER_TIMEOUT, check=False, cwd=REPO
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"the SDK's modern driver ran past {DRIVER_TIMEOUT:g} s; stderr: {exc.stderr!r}")
    if done.returncode != 0:
        pytest.fail(f"the SDK's modern driver failed (exit {done.returncode}):\n{done.stderr[-6000:]}")
    report: dict[str, Any] = json.loads(done.stdout)
    return report


@pytest.fixture(
    scope="module",
    params=[(transport, mode) for transport in ("stdio", "http") for mode in ("auto", MODERN)],
    ids=lambda param: "-".join(param),
)
def report(
    request: pytest.FixtureRequest, peer_python: str, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    transport, mode = request.param
    driver = [peer_python, "-I", str(DRIVER), mode]
    if transport == "stdio":
        serve = [sys.executable, "-m", "mcpcore", "serve", "examples/everything_server.py:server"]
        out = run([*driver, "--cwd", str(REPO), "--timeout", "90", "--", *serve])
    else:
        with our_server(tmp_path_factory.mktemp("ours") / "server.log", stateless=False) as server:
            out = run([*driver, server.url, "--timeout", "90"])
    out["mode"] = mode
    return out


def text_of(result: dict[str, Any]) -> str:
    assert "error" not in result, result
    return "".join(block["text"] for block in result["content"] if block["type"] == "text")


def test_the_sdk_speaks_2026_07_28_with_our_server(report: dict[str, Any]) -> None:
    assert report["protocol_version"] == MODERN
    if report["mode"] == "auto":
        # Learned from server/discover; pinned to a version, the SDK does not ask for it.
        assert report["server_info"] == SERVER_INFO
        assert report["instructions"]
        assert set(report["capabilities"]) >= {"tools", "resources", "prompts", "completions"}
    assert "echo" in report["tools"] and "ask_model" in report["tools"]


def test_every_result_says_it_is_complete_and_who_answered(report: dict[str, Any]) -> None:
    for key in (
        "echo",
        "weather",
        "sampling",
        "elicitation",
        "roots",
        "readme",
        "prompt",
        "complete",
        "long_task",
    ):
        result = report[key]
        assert result.get("resultType") == "complete", key
        assert result["_meta"]["io.modelcontextprotocol/serverInfo"] == SERVER_INFO, key


def test_tools_resources_prompts_and_completion(report: dict[str, Any]) -> None:
    assert text_of(report["echo"]) == "hello"
    assert report["weather"]["structuredContent"] == {
        "city": "Paris",
        "temperature_c": 21.5,
        "conditions": "sunny",
    }
    assert report["readme"]["contents"][0]["uri"] == "demo://readme"
    assert (report["readme"]["ttlMs"], report["readme"]["cacheScope"]) == (0, "private")
    assert report["greeting"]["contents"][0]["text"] == "Hello, Ada!"
    assert report["missing"] == {"error": {"code": -32602, "message": "Resource not found"}}
    assert [m["role"] for m in report["prompt"]["messages"]] == ["user", "assistant"]
    assert report["complete"]["completion"]["values"] == ["python"]


def test_input_required_rounds_reach_the_sdk_callbacks(report: dict[str, Any]) -> None:
    assert report["sampling"]["structuredContent"]["text"] == "Forty-two."
    assert report["sampling_requests"] == [
        {
            "maxTokens": 100,
            "messages": [{"content": {"text": "What is 6 x 7?", "type": "text"}, "role": "user"}],
            "systemPrompt": "Answer in one sentence.",
        }
    ]
    assert report["elicitation"]["structuredContent"] == {
        "action": "accept",
        "contact": {"name": "Ada", "age": 36, "newsletter": True},
    }
    assert report["elicitation_requests"][0]["mode"] == "form"
    assert report["roots"]["structuredContent"] == {
        "roots": [{"uri": "file:///tmp/interop-root", "name": "interop"}]
    }
    assert report["roots_requests"] == 1


def test_progress_and_logs_at_the_level_each_request_asks_for(report: dict[str, Any]) -> None:
    assert report["progress"] == [[1.0, 2.0, "step 1 of 2"], [2.0, 2.0, "step 2 of 2"]]
    # The driver asks for "info": the tool's debug line must not come.
    assert [(log["level"], log["data"]) for log in report["logs"]] == [
        ("info", "finished step 1"),
        ("info", "finished step 2"),
        ("warning", "that was only a demonstration"),
    ]


def test_a_listen_stream_hears_the_resource_it_asked_for(report: dict[str, Any]) -> None:
    assert report["honored"] == {"resourceSubscriptions": ["demo://readme"]}
    assert report["events"] == ["ResourceUpdated(uri='demo://readme')"]
    assert text_of(report["after_listen"]) == "still here"
