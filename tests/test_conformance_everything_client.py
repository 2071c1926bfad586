"""The reference client of the conformance suite (``python -m conformance.everything_client``).

It runs as a subprocess, the way both conformance suites run it, against our own servers: the
demo server ``examples/everything_server.py`` over stdio (TARGET is a command line) and over
Streamable HTTP (TARGET is a URL), and a small server written here for pagination and for a
stream the server cuts. What the server observed comes back in tool results (the sampled text,
the accepted form, the roots), in the demo server's record of cancelled calls, and in its HTTP
access log. The official npm suite is not run here.
"""

from __future__ import annotations

import json
import math
import os
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance import everything_client
from conformance.everything_client import form_answer, main, sample_value, tool_arguments
from mcpcore._jsonschema import Validator

ROOT = Path(__file__).resolve().parent.parent
DEMO = f"{ROOT / 'examples' / 'everything_server.py'}:server"
CLIENT_TIMEOUT = 60  # seconds a client run may take before the test gives up on it

SMALL_SERVER = '''
import anyio
from mcpcore.server import Context, Server

server = Server("everything-client-test", "1.0", page_size=2)
for index in range(5):
    server.add_tool(lambda index=index: f"tool {index}", name=f"tool_{index}", description="A tool.")
    server.add_resource(lambda index=index: f"item {index}", f"test://item/{index}", name=f"item-{index}")
    server.add_prompt(lambda index=index: f"prompt {index}", name=f"prompt_{index}", description="A prompt.")
for index in range(3):
    server.add_resource(
        lambda id, index=index: f"{index}/{id}", f"test://family/{index}/{{id}}", name=f"f{index}"
    )


@server.tool()
async def test_cut(ctx: Context) -> str:
    """Cut this call's SSE connection (HTTP, 2025-11-25), then answer on the resumed stream."""
    await ctx.info("before the cut")
    cut = ctx.close_sse_stream()
    await anyio.sleep(0.3)
    return "resumed after the cut" if cut else "not cut"


@server.tool()
async def test_roots(ctx: Context) -> str:
    """The roots the client offers."""
    return " ".join(root["uri"] for root in await ctx.list_roots())
'''


def _stdio(target: str) -> str:
    return shlex.join([sys.executable, "-m", "mcpcore", "serve", target])


def run_client(
    scenario: str,
    target: str,
    context: Mapping[str, Any] | None = None,
    *,
    backend: str = "asyncio",
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    environment = dict(os.environ)
    for key in ("MCP_CONFORMANCE_CONTEXT", "MCP_CONFORMANCE_PROTOCOL_VERSION"):
        environment.pop(key, None)
    environment["MCP_CONFORMANCE_SCENARIO"] = scenario
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    if context is not None:
        environment["MCP_CONFORMANCE_CONTEXT"] = json.dumps(context)
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "conformance.everything_client", "--backend", backend, target],
        env=environment,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=CLIENT_TIMEOUT,
        check=False,
    )


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""  # everything the client says goes to stderr
    return result.stderr


class HttpServer:
    """A server started with ``mcpcore serve ... --transport http --port 0``, its access log kept."""

    def __init__(self, target: str, folder: Path) -> None:
        self.log = folder / "server-stderr.txt"
        with self.log.open("wb") as sink:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "mcpcore", "serve", target, "--transport", "http", "--port", "0"],
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=sink,
            )
        self.url = ""
        for _ in range(600):  # up to a minute for the server to say where it listens
            match = re.search(r"at (http://\S+)", self.log.read_text(errors="replace"))
            if match is not None:
                self.url = match.group(1)
                break
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        if not self.url:
            self.stop()
            raise AssertionError(
                f"the HTTP server did not start: {self.log.read_text(errors='replace')[-800:]}"
            )

    def requests(self) -> list[dict[str, Any]]:
        """The access log's entries so far (each is written once its request has finished)."""
        lines = self.log.read_text(errors="replace").splitlines()
        entries = [json.loads(line) for line in lines if line.startswith("{")]
        return [e for e in entries if e.get("logger") == "mcpcore.http.access"]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture(scope="module")
def demo_http(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpServer]:
    server = HttpServer(DEMO, tmp_path_factory.mktemp("demo-http"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def small_server(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("small") / "small_server.py"
    path.write_text(SMALL_SERVER)
    return f"{path}:server"


@pytest.fixture(params=["stdio", "http"])
def demo(request: pytest.FixtureRequest) -> str:
    """The demo server as a TARGET: a command line (stdio) or a URL (HTTP)."""
    if request.param == "stdio":
        return _stdio(DEMO)
    server: HttpServer = request.getfixturevalue("demo_http")
    return server.url


# -- the scenarios, over both transports --------------------------------------------------------


def test_initialize_lists_the_tools(demo: str) -> None:
    log = _ok(run_client("initialize", demo))
    assert "connected to everything 1.0.0 (protocol 2025-11-25)" in log
    assert re.search(r"the server lists \d+ tools: echo, ", log)
    assert log.rstrip().endswith("scenario initialize done")


def test_ping(demo: str) -> None:
    assert "ping answered" in _ok(run_client("ping", demo))


def test_tools_call_uses_the_context(demo: str) -> None:
    log = _ok(run_client("tools_call", demo, {"tool": "echo", "arguments": {"text": "over the wire"}}))
    assert 'calling echo with {"text":"over the wire"}' in log
    assert "echo answered: over the wire" in log


def test_tools_call_without_context_calls_the_first_tool_with_arguments_from_its_schema(demo: str) -> None:
    log = _ok(run_client("tools_call", demo))
    assert "echo answered: everything-client" in log  # `text` is required: a sample string


def test_sampling_answer_reaches_the_tool(demo: str) -> None:
    log = _ok(run_client("sampling", demo, {"tool": "ask_model"}))
    answered = next(line for line in log.splitlines() if "ask_model answered:" in line)
    assert everything_client.SAMPLED_TEXT in answered and "everything-client" in answered


def test_elicitation_is_accepted_with_a_valid_form(demo: str) -> None:
    log = _ok(run_client("elicitation", demo, {"tool": "sign_up"}))
    answered = json.loads(log.split("sign_up answered: ", 1)[1].splitlines()[0])
    # The server validated the content against its form before returning it.
    assert answered == {
        "action": "accept",
        "contact": {"name": "everything-client", "age": 0, "newsletter": False},
    }


def test_roots_are_offered(demo: str) -> None:
    log = _ok(run_client("roots", demo, {"tool": "show_roots"}))
    answered = json.loads(log.split("show_roots answered: ", 1)[1].splitlines()[0])
    assert answered == {"roots": [{"uri": "file:///tmp/conformance-root", "name": "conformance"}]}


def test_cancel_after_the_first_progress(demo: str) -> None:
    log = _ok(run_client("cancel", demo, {"tool": "slow", "arguments": {"seconds": 30}}))
    assert "cancelled the call of slow (after progress)" in log
    assert "the session still answers ping after the cancellation" in log


def test_a_tool_error_fails_the_run(demo: str) -> None:
    result = run_client("tools_call", demo, {"tool": "fail", "arguments": {"reason": "on purpose"}})
    assert result.returncode == 1
    last = result.stderr.splitlines()[-1]
    assert last.startswith("everything-client: error: tool fail returned an error: ") and "on purpose" in last


# -- what only one transport shows --------------------------------------------------------------


def test_over_http_the_server_sees_the_cancellation_and_the_session_ends(demo_http: HttpServer) -> None:
    _ok(run_client("cancel", demo_http.url, {"tool": "slow"}, backend="trio"))
    log = _ok(run_client("tools_call", demo_http.url, {"tool": "cancellations"}))
    recorded = json.loads(log.split("cancellations answered: ", 1)[1].splitlines()[0])
    assert recorded["cancelled"], "the server never saw notifications/cancelled"

    def sessions(method: str) -> set[Any]:
        return {e.get("session") for e in demo_http.requests() if e.get("method") == method} - {None}

    for _ in range(100):  # the last DELETE's log line may trail the client's exit a little
        if sessions("POST") <= sessions("DELETE"):
            break
        time.sleep(0.1)
    assert sessions("POST") and sessions("POST") <= sessions("DELETE")  # each session opened was ended


def test_list_all_follows_every_cursor(small_server: str) -> None:
    log = _ok(run_client("list-all", _stdio(small_server)))
    assert "listed 7 tools in 4 pages" in log
    assert "listed 5 resources in 3 pages" in log
    assert "listed 3 resource templates in 2 pages" in log
    assert "listed 5 prompts in 3 pages" in log


def test_interactive_scenario_without_context_calls_every_test_tool(small_server: str) -> None:
    log = _ok(run_client("roots", _stdio(small_server), backend="trio"))
    assert "test_cut answered: not cut" in log  # stdio has no stream to cut
    assert "test_roots answered: file:///tmp/conformance-root" in log


def test_sse_retry_resumes_a_cut_stream(small_server: str, tmp_path: Path) -> None:
    server = HttpServer(small_server, tmp_path)
    try:
        log = _ok(run_client("sse-retry", server.url, {"tool": "test_cut"}))
    finally:
        server.stop()
    gets = [e for e in server.requests() if e.get("method") == "GET"]
    assert "test_cut answered: resumed after the cut" in log
    # One GET is the standalone stream, the other resumes the cut one (with Last-Event-ID).
    assert len(gets) >= 2


def test_the_offered_revision_follows_the_official_runner(demo: str) -> None:
    log = _ok(run_client("initialize", demo, env={"MCP_CONFORMANCE_PROTOCOL_VERSION": "2025-06-18"}))
    assert "offering 2025-06-18" in log and "(protocol 2025-06-18)" in log


# -- the command line ---------------------------------------------------------------------------


def _main(
    monkeypatch: pytest.MonkeyPatch, scenario: str | None, *argv: str, context: str | None = None
) -> int:
    for key in ("MCP_CONFORMANCE_SCENARIO", "MCP_CONFORMANCE_CONTEXT", "MCP_CONFORMANCE_PROTOCOL_VERSION"):
        monkeypatch.delenv(key, raising=False)
    if scenario is not None:
        monkeypatch.setenv("MCP_CONFORMANCE_SCENARIO", scenario)
    if context is not None:
        monkeypatch.setenv("MCP_CONFORMANCE_CONTEXT", context)
    return main(list(argv))


def test_unknown_scenario_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _main(monkeypatch, "no-such-scenario", "http://127.0.0.1:1/mcp") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown scenario 'no-such-scenario'" in err


def test_missing_scenario_and_bad_context_are_usage_errors(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _main(monkeypatch, None, "http://127.0.0.1:1/mcp") == 2
    assert "MCP_CONFORMANCE_SCENARIO is not set" in capsys.readouterr().err
    assert _main(monkeypatch, "ping", "http://127.0.0.1:1/mcp", context="[1, 2]") == 2
    assert "must be a JSON object" in capsys.readouterr().err
    assert _main(monkeypatch, "ping", "http://127.0.0.1:1/mcp", context="{nope") == 2
    assert "is not JSON" in capsys.readouterr().err


@pytest.mark.parametrize("scenario", ["auth/metadata-default", "sep-2640-skills-manifest"])
def test_scenarios_not_supported_yet_fail_clearly(
    scenario: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _main(monkeypatch, scenario, "http://127.0.0.1:1/mcp") == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"scenario {scenario!r} is not supported yet" in err


def test_an_unsupported_protocol_version_fails_clearly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MCP_CONFORMANCE_PROTOCOL_VERSION", "1999-01-01")
    monkeypatch.setenv("MCP_CONFORMANCE_SCENARIO", "tools_call")
    assert main(["http://127.0.0.1:1/mcp"]) == 1
    assert "protocol version 1999-01-01 is not supported" in capsys.readouterr().err


def test_a_server_that_cannot_start_fails_the_run_with_one_line() -> None:
    result = run_client("initialize", "/nonexistent/mcp-server --flag")
    assert result.returncode == 1
    last = result.stderr.splitlines()[-1]
    assert last.startswith("everything-client: error: ") and "/nonexistent/mcp-server" in last


def test_a_server_that_exits_at_once_fails_the_run() -> None:
    result = run_client("ping", shlex.join([sys.executable, "-c", "import sys; sys.exit(3)"]))
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1].startswith("everything-client: error: ")


# -- values built from schemas ------------------------------------------------------------------


def test_the_official_defaults_form_gets_every_default() -> None:
    requested = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "default": "John Doe"},
            "age": {"type": "integer", "default": 30},
            "score": {"type": "number", "default": 95.5},
            "status": {"type": "string", "enum": ["active", "inactive", "pending"], "default": "active"},
            "verified": {"type": "boolean", "default": True},
            "note": {"type": "string"},  # optional, no default: left out
        },
        "required": [],
    }
    assert form_answer(requested) == {
        "name": "John Doe",
        "age": 30,
        "score": 95.5,
        "status": "active",
        "verified": True,
    }


def test_tool_arguments_fill_the_required_properties() -> None:
    tool = {
        "name": "add_numbers",
        "inputSchema": {
            "type": "object",
            "properties": {"a": {"type": "number"}, "b": {"type": "number"}, "c": {"type": "string"}},
            "required": ["a", "b"],
        },
    }
    assert tool_arguments(tool) == {"a": 0, "b": 0}
    assert tool_arguments({"name": "bare"}) == {}


def test_sample_values_of_enumerations() -> None:
    assert sample_value({"type": "string", "oneOf": [{"const": "x", "title": "X"}, {"const": "y"}]}) == "x"
    assert sample_value({"type": "array", "items": {"anyOf": [{"const": "a"}, {"const": "b"}]}}) == ["a"]
    assert sample_value({"type": "array", "minItems": 2, "items": {"enum": ["a", "b", "c"]}}) == ["a", "b"]
    assert sample_value({"type": ["null", "boolean"]}) is False
    assert sample_value({"description": "anything"}) is None


_numbers = st.integers(min_value=-1000, max_value=1000)


@st.composite
def _number_schemas(draw: st.DrawFn) -> dict[str, Any]:
    integer = draw(st.booleans())
    schema: dict[str, Any] = {"type": "integer" if integer else "number"}
    low = draw(st.none() | _numbers)
    if low is not None:
        schema["minimum"] = low if integer else low / 4
    if draw(st.booleans()):
        floor = math.ceil(schema.get("minimum", -1000))
        schema["maximum"] = draw(st.integers(min_value=floor, max_value=1000))
    elif draw(st.booleans()) and low is None:
        schema["exclusiveMinimum"] = draw(_numbers)
    return schema


@st.composite
def _string_schemas(draw: st.DrawFn) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if draw(st.booleans()):
        schema["format"] = draw(st.sampled_from(["email", "uri", "date", "date-time"]))
        return schema
    least = draw(st.none() | st.integers(min_value=0, max_value=40))
    if least is not None:
        schema["minLength"] = least
    if draw(st.booleans()):
        schema["maxLength"] = draw(st.integers(min_value=least or 0, max_value=60))
    return schema


_words = st.lists(st.text("abcdefghij", min_size=1, max_size=6), min_size=1, max_size=5, unique=True)
_property_schemas = st.one_of(
    _number_schemas(),
    _string_schemas(),
    st.just({"type": "boolean"}),
    _words.map(lambda words: {"type": "string", "enum": words}),
    _words.map(lambda words: {"type": "string", "oneOf": [{"const": w, "title": w.upper()} for w in words]}),
    _words.flatmap(
        lambda words: st.integers(min_value=0, max_value=len(words)).map(
            lambda least: {
                "type": "array",
                "items": {"enum": words},
                "minItems": least,
                "maxItems": len(words),
            }
        )
    ),
)


@given(
    properties=st.dictionaries(st.text("xyz", min_size=1, max_size=4), _property_schemas, max_size=6),
    data=st.data(),
)
def test_form_answers_fit_the_requested_schema(properties: dict[str, Any], data: st.DataObject) -> None:
    required = data.draw(
        st.lists(st.sampled_from(sorted(properties)), unique=True) if properties else st.just([])
    )
    requested = {"type": "object", "properties": properties, "required": required}
    answer = form_answer(requested)
    Validator(requested, check_formats=True).validate(answer)
    assert set(required) <= set(answer)  # every required field is filled, nothing else without a default
    assert set(answer) <= set(required) | {name for name, prop in properties.items() if "default" in prop}
