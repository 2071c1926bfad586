"""``mcpcore serve`` and the inspector commands (``list``, ``call``, ``read``, ``prompt``).

The commands run for real, in subprocesses (``python -m mcpcore ...``), against a server file
written into the test's temporary directory: what is tested is what a person or a host runs.
Every subprocess is bounded by a timeout, and every read of a pipe too.
"""

from __future__ import annotations

import io
import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mcpcore import _inspector
from mcpcore._target import TargetError, parse_target

PYTHON = sys.executable
LIMIT = 60  # seconds any one subprocess may take before the test fails

SERVER = '''
"""A small server for the CLI tests."""

import os

import pydantic

import cli_helper  # a sibling module: the file's directory must be on sys.path
from mcpcore import content
from mcpcore.server import Context, Server

print("the server module is being imported")  # must not reach stdout

server = Server("cli-test", "1.2.3")


@server.tool()
def add(a: int, b: int) -> int:
    """Add two numbers.

    The second line of the description is not shown in listings.
    """
    print("adding", a, "and", b)  # a stray print() while serving: must not reach stdout either
    return a + b


@server.tool()
async def count(steps: int, ctx: Context) -> str:
    """Count up, reporting progress and logging each step."""
    for i in range(1, steps + 1):
        await ctx.info(f"reached step {i}")
        await ctx.report_progress(i, steps, f"step {i} of {steps}")
    await ctx.warning("counting is over")
    return f"counted to {steps}"


@server.tool()
def broken(reason: str = "no reason") -> str:
    """Always fails."""
    raise RuntimeError(f"it broke: {reason}")


@server.tool()
def picture() -> list:
    """Text and an image."""
    return [content.text("a tiny picture"), content.image(b"0123456789", "image/png")]


class Point(pydantic.BaseModel):
    x: int
    y: int


@server.tool()
def point() -> Point:
    """Structured output."""
    return Point(x=3, y=4)


@server.tool()
def where() -> dict:
    """The server's environment variable and working directory."""
    return {"var": os.environ.get("CLI_TEST_VAR"), "cwd": os.getcwd()}


@server.resource("memo://greeting", mime_type="text/plain", description="A greeting.")
def greeting() -> str:
    return cli_helper.GREETING


@server.resource("memo://notes/{name}", mime_type="text/plain")
def note(name: str) -> str:
    """A note by name."""
    return f"note {name}"


@server.prompt()
def ask(topic: str, tone: str = "plain") -> str:
    """Ask about a topic."""
    return f"Tell me about {topic}, in a {tone} tone."
'''


@pytest.fixture(scope="module")
def server_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("cli_server")
    (directory / "cli_server.py").write_text(SERVER)
    (directory / "cli_helper.py").write_text('GREETING = "hello from a sibling module"\n')
    (directory / "sub").mkdir()
    return directory


@pytest.fixture(scope="module")
def server_command(server_dir: Path) -> str:
    import shlex

    return shlex.join([PYTHON, "-m", "mcpcore", "serve", f"{server_dir / 'cli_server.py'}:server"])


def mcpcore(*args: str, cwd: Path | None = None, timeout: float = LIMIT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-m", "mcpcore", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=cwd,
    )


def inspect(server_command: str, *args: str) -> subprocess.CompletedProcess[str]:
    return mcpcore(*args, "--command", server_command)


# -- serve ------------------------------------------------------------------------------------


class Lines:
    """A subprocess's stdout, line by line, each wait bounded (a reader thread feeds a queue)."""

    def __init__(self, stream: IO[str]) -> None:
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self._queue.put(line)
        self._queue.put(None)

    def next(self, timeout: float = LIMIT) -> str | None:
        return self._queue.get(timeout=timeout)

    def rest(self, timeout: float = LIMIT) -> list[str]:
        lines: list[str] = []
        for _ in range(10_000):
            line = self.next(timeout)
            if line is None:
                return lines
            lines.append(line)
        raise AssertionError("more output than expected")


def send(process: subprocess.Popen[str], message: dict[str, Any]) -> None:
    assert process.stdin is not None
    process.stdin.write(json.dumps(message) + "\n")
    process.stdin.flush()


def answer(lines: Lines, request_id: int, seen: list[dict[str, Any]]) -> dict[str, Any]:
    """Read messages until the response to ``request_id``; every line must be JSON-RPC."""
    for _ in range(1_000):
        line = lines.next()
        assert line is not None, "the server closed stdout before answering"
        message = json.loads(line)  # a line that is not JSON fails here
        assert isinstance(message, dict) and message.get("jsonrpc") == "2.0", line
        seen.append(message)
        if message.get("id") == request_id:
            return message
    raise AssertionError("no answer")


INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "cli-test", "version": "0"},
    },
}


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_serve_writes_only_json_rpc_to_stdout(server_dir: Path, backend: str) -> None:
    target = f"{server_dir / 'cli_server.py'}:server"
    process = subprocess.Popen(
        [PYTHON, "-m", "mcpcore", "serve", target, "--backend", backend],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None and process.stderr is not None
        lines = Lines(process.stdout)
        seen: list[dict[str, Any]] = []
        send(process, INITIALIZE)
        init = answer(lines, 1, seen)["result"]
        assert init["serverInfo"]["name"] == "cli-test" and init["protocolVersion"] == "2025-06-18"
        send(process, {"jsonrpc": "2.0", "method": "notifications/initialized"})
        add = {"name": "add", "arguments": {"a": 2, "b": 3}}
        send(process, {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": add})
        assert answer(lines, 2, seen)["result"]["content"] == [{"type": "text", "text": "5"}]
        call = {"name": "count", "arguments": {"steps": 2}, "_meta": {"progressToken": "p"}}
        send(process, {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": call})
        assert answer(lines, 3, seen)["result"]["content"][0]["text"] == "counted to 2"
        methods = [m.get("method") for m in seen]
        assert methods.count("notifications/progress") == 2
        assert "notifications/message" in methods
        process.stdin.close()  # type: ignore[union-attr]
        assert lines.rest() == []  # EOF on stdin ends the session, and nothing else was written
        assert process.wait(timeout=LIMIT) == 0
        stderr = process.stderr.read()
        assert "the server module is being imported" in stderr
        assert "adding 2 and 3" in stderr
    finally:
        process.kill()
        process.wait(timeout=LIMIT)
        for stream in (process.stdin, process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def initialize_only(args: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``mcpcore serve ...`` with just an initialize request on stdin."""
    return subprocess.run(
        [PYTHON, "-m", "mcpcore", "serve", *args],
        input=json.dumps(INITIALIZE) + "\n",
        capture_output=True,
        text=True,
        timeout=LIMIT,
        check=False,
        cwd=cwd,
    )


def test_serve_finds_the_server_of_a_file_without_an_attribute(server_dir: Path) -> None:
    result = initialize_only([str(server_dir / "cli_server.py")])
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines and all(json.loads(line)["jsonrpc"] == "2.0" for line in lines)
    assert json.loads(lines[0])["result"]["serverInfo"]["version"] == "1.2.3"


def test_serve_imports_a_module_from_the_working_directory(server_dir: Path) -> None:
    result = initialize_only(["cli_server:server"], cwd=server_dir)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[0])["result"]["serverInfo"]["name"] == "cli-test"


@pytest.mark.parametrize(
    ("target", "files", "message"),
    [
        ("missing.py:server", {}, "no such file: missing.py"),
        (
            "app.py:nope",
            {"app.py": "from mcpcore.server import Server\nserver = Server('a')\n"},
            "has no attribute 'nope'; its servers: server",
        ),
        ("app.py:thing", {"app.py": "thing = 42\n"}, "names an object of type int, not an mcpcore Server"),
        ("app.py", {"app.py": "x = 1\n"}, "defines no mcpcore Server at module level: pass app.py:ATTRIBUTE"),
        (
            "app.py",
            {"app.py": "from mcpcore.server import Server\na = Server('a')\nb = Server('b')\n"},
            "defines several servers (a, b): pass one, e.g. app.py:a",
        ),
        (
            "app.py:server",
            {"app.py": "import os\n\n\ndef f():\n    return 1 / 0\n\n\nf()\n"},
            "cannot import app.py: ZeroDivisionError: division by zero",
        ),
        ("no_such_module:server", {}, "no module named 'no_such_module'"),
        ("app.py:", {}, "nothing after ':'"),
    ],
)
def test_serve_refuses_bad_targets_clearly(
    tmp_path: Path, target: str, files: dict[str, str], message: str
) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    result = initialize_only([target], cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("mcpcore serve: error: ")
    assert message in result.stderr


def test_serve_shows_where_an_import_failed(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("import helper\n")
    (tmp_path / "helper.py").write_text("def boom():\n    raise KeyError('setting')\n\n\nboom()\n")
    result = initialize_only(["app.py:server"], cwd=tmp_path)
    assert result.returncode == 1 and result.stdout == ""
    assert "cannot import app.py: KeyError: 'setting'" in result.stderr
    assert 'helper.py", line 5' in result.stderr and 'helper.py", line 2, in boom' in result.stderr
    assert "importlib" not in result.stderr  # the import machinery's frames are left out


def test_serve_refuses_an_unknown_transport(server_dir: Path) -> None:
    result = initialize_only([str(server_dir / "cli_server.py"), "--transport", "pigeon"])
    assert result.returncode == 2 and result.stdout == ""
    assert "argument --transport: invalid choice: 'pigeon'" in result.stderr


def test_serve_over_http_and_inspect_with_url(server_dir: Path) -> None:
    command = [PYTHON, "-m", "mcpcore", "serve", str(server_dir / "cli_server.py"), "--transport", "http"]
    options = ["--port", "0", "--no-access-log"]
    with subprocess.Popen(
        [*command, *options], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
    ) as server:
        try:
            assert server.stderr is not None
            lines = Lines(server.stderr)
            announced = ""
            for _ in range(20):  # the server module prints a line of its own while it is imported
                announced = lines.next(LIMIT) or ""
                if announced.startswith("mcpcore: "):
                    break
            assert announced.startswith("mcpcore: serving MCP over Streamable HTTP at http://127.0.0.1:")
            url = announced.rsplit(" ", 1)[1].strip()
            assert url.endswith("/mcp")
            listed = mcpcore("list", "tools", "--url", url)
            assert listed.returncode == 0, listed.stderr
            assert "add(a, b)" in listed.stdout
            called = mcpcore(
                "call", "add", "--args", '{"a": 2, "b": 3}', "--url", url, "--header", "X-Trace: 1"
            )
            assert called.returncode == 0, called.stderr
            assert called.stdout.strip() == "5"
        finally:
            server.terminate()
            server.wait(LIMIT)


def test_url_that_nobody_answers() -> None:
    result = mcpcore("list", "tools", "--url", "http://127.0.0.1:9/mcp", "--timeout", "2")
    assert result.returncode == 1
    assert result.stderr.startswith("mcpcore list: error: initialize failed: could not reach the MCP server")


# -- list -------------------------------------------------------------------------------------


def test_list_tools_for_people(server_command: str) -> None:
    result = inspect(server_command, "list", "tools")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["TOOL", "DESCRIPTION"]
    rows = {line.split("  ", 1)[0]: line for line in lines[1:]}
    assert set(rows) == {"add(a, b)", "count(steps)", "broken(reason?)", "picture()", "point()", "where()"}
    assert rows["add(a, b)"].endswith("Add two numbers.")  # the first line only
    assert "second line" not in result.stdout


def test_list_tools_as_json(server_command: str) -> None:
    result = inspect(server_command, "list", "tools", "--json")
    assert result.returncode == 0, result.stderr
    tools = json.loads(result.stdout)
    assert isinstance(tools, list) and len(tools) == 6
    add = next(t for t in tools if t["name"] == "add")
    assert add["inputSchema"]["required"] == ["a", "b"]
    assert "outputSchema" in next(t for t in tools if t["name"] == "point")


def test_list_resources_templates_and_prompts(server_command: str) -> None:
    resources = inspect(server_command, "list", "resources")
    assert resources.returncode == 0, resources.stderr
    assert resources.stdout.splitlines()[0].split() == ["URI", "NAME", "MIME", "TYPE", "DESCRIPTION"]
    row = resources.stdout.splitlines()[1].split()
    assert row == ["memo://greeting", "greeting", "text/plain", "A", "greeting."]

    templates = inspect(server_command, "list", "templates", "--json")
    assert templates.returncode == 0, templates.stderr
    assert [t["uriTemplate"] for t in json.loads(templates.stdout)] == ["memo://notes/{name}"]

    prompts = inspect(server_command, "list", "prompts")
    assert prompts.returncode == 0, prompts.stderr
    assert prompts.stdout.splitlines()[1].split() == ["ask(topic,", "tone?)", "Ask", "about", "a", "topic."]


def test_what_the_server_does_not_offer(tmp_path: Path) -> None:
    (tmp_path / "bare.py").write_text(
        "from mcpcore.server import Server\nserver = Server('bare')\n\n\n@server.tool()\ndef t() -> str:\n"
        "    return 'x'\n"
    )
    command = f"{PYTHON} -m mcpcore serve {tmp_path / 'bare.py'}"
    result = inspect(command, "list", "prompts", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []
    assert "does not declare 'prompts'" in result.stderr
    # Getting a prompt from it is an error, refused before anything is sent.
    got = inspect(command, "prompt", "anything")
    assert got.returncode == 1 and got.stdout == ""
    assert got.stderr.startswith("mcpcore prompt: error: the server does not offer this: ")
    assert "'prompts'" in got.stderr


# -- call -------------------------------------------------------------------------------------


def test_call_prints_the_text_content(server_command: str) -> None:
    result = inspect(server_command, "call", "add", "--args", '{"a": 20, "b": 22}')
    assert result.returncode == 0, result.stderr
    assert result.stdout == "42\n"


def test_call_as_json_prints_the_raw_result(server_command: str) -> None:
    result = inspect(server_command, "call", "add", "--args", '{"a": 1, "b": 1}', "--json")
    assert result.returncode == 0, result.stderr
    raw = json.loads(result.stdout)
    # The server speaks 2026-07-28, whose results also say their type and who answered.
    assert raw.pop("resultType") == "complete"
    assert raw.pop("_meta")["io.modelcontextprotocol/serverInfo"]["name"] == "cli-test"
    assert raw == {"content": [{"type": "text", "text": "2"}]}


def test_call_summarizes_images_and_pretty_prints_structured_content(server_command: str) -> None:
    picture = inspect(server_command, "call", "picture")
    assert picture.returncode == 0, picture.stderr
    assert picture.stdout == "a tiny picture\n[image image/png, 10 bytes]\n"

    point = inspect(server_command, "call", "point")
    assert point.returncode == 0, point.stderr
    assert json.loads(point.stdout) == {"x": 3, "y": 4}
    assert point.stdout.startswith("{\n  ")  # pretty-printed, and the JSON text not repeated


def test_call_shows_progress_and_logs_on_stderr(server_command: str) -> None:
    result = inspect(server_command, "call", "count", "--args", '{"steps": 3}')
    assert result.returncode == 0, result.stderr
    assert result.stdout == "counted to 3\n"
    err = result.stderr.splitlines()
    assert [line for line in err if line.startswith("progress")] == [
        "progress 1/3 (33%): step 1 of 3",
        "progress 2/3 (67%): step 2 of 3",
        "progress 3/3 (100%): step 3 of 3",
    ]
    assert "[info] reached step 2" in err and "[warning] counting is over" in err


def test_call_with_a_log_level_filters_the_server_logs(server_command: str) -> None:
    result = inspect(server_command, "call", "count", "--args", '{"steps": 2}', "--log-level", "warning")
    assert result.returncode == 0, result.stderr
    assert "[warning] counting is over" in result.stderr
    assert "[info]" not in result.stderr


def test_a_failing_tool_exits_with_an_error(server_command: str) -> None:
    result = inspect(server_command, "call", "broken", "--args", '{"reason": "on purpose"}')
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("mcpcore call: error: tool 'broken' reported an error: ")
    assert "on purpose" in result.stderr

    as_json = inspect(server_command, "call", "broken", "--json")
    assert as_json.returncode == 1
    assert json.loads(as_json.stdout)["isError"] is True


def test_an_unknown_tool_is_an_mcp_error(server_command: str) -> None:
    result = inspect(server_command, "call", "nope")
    assert result.returncode == 1 and result.stdout == ""
    assert "tools/call nope failed: " in result.stderr and "(MCP error -32602)" in result.stderr
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ("{nope", "--args is not valid JSON: "),
        ("[1, 2]", "--args must be a JSON object, not an array"),
        ('"text"', "--args must be a JSON object, not a string"),
    ],
)
def test_bad_args_are_refused_before_starting_anything(args: str, message: str) -> None:
    # The command would fail if it were started: the arguments are checked first.
    result = mcpcore("call", "add", "--args", args, "--command", "no-such-command-anywhere")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("mcpcore call: error: ")
    assert message in result.stderr and len(result.stderr.splitlines()) == 1


def test_env_and_cwd_reach_the_server(server_command: str, server_dir: Path) -> None:
    result = mcpcore(
        "call",
        "where",
        "--json",
        "--env",
        "CLI_TEST_VAR=hello there",
        "--cwd",
        str(server_dir / "sub"),
        "--command",
        server_command,
    )
    assert result.returncode == 0, result.stderr
    structured = json.loads(result.stdout)["structuredContent"]
    assert structured == {"var": "hello there", "cwd": str((server_dir / "sub").resolve())}


# -- read and prompt --------------------------------------------------------------------------


def test_read_prints_the_text(server_command: str) -> None:
    result = inspect(server_command, "read", "memo://greeting")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "hello from a sibling module\n"

    templated = inspect(server_command, "read", "memo://notes/shopping", "--json")
    assert templated.returncode == 0, templated.stderr
    assert json.loads(templated.stdout)["contents"] == [
        {"uri": "memo://notes/shopping", "mimeType": "text/plain", "text": "note shopping"}
    ]


def test_reading_an_unknown_resource_fails(server_command: str) -> None:
    result = inspect(server_command, "read", "memo://nowhere")
    assert result.returncode == 1 and result.stdout == ""
    # 2026-07-28 retired -32002: an unknown resource is invalid params there.
    assert "resources/read memo://nowhere failed: " in result.stderr and "-32602" in result.stderr


def test_prompt_prints_the_messages(server_command: str) -> None:
    result = inspect(server_command, "prompt", "ask", "--args", '{"topic": "owls"}')
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Ask about a topic.\n\n[user]\nTell me about owls, in a plain tone.\n"

    as_json = inspect(server_command, "prompt", "ask", "--args", '{"topic": "owls", "tone": "dry"}', "--json")
    assert as_json.returncode == 0, as_json.stderr
    message = json.loads(as_json.stdout)["messages"][0]
    assert message == {
        "role": "user",
        "content": {"type": "text", "text": "Tell me about owls, in a dry tone."},
    }


def test_prompt_arguments_must_be_strings() -> None:
    result = mcpcore("prompt", "ask", "--args", '{"topic": 3}', "--command", "no-such-command-anywhere")
    assert result.returncode == 1
    assert "prompt arguments are strings: --args 'topic' is a number" in result.stderr


# -- failures of the server itself ------------------------------------------------------------


def test_a_server_that_exits_at_once_is_reported_with_its_stderr(tmp_path: Path) -> None:
    script = tmp_path / "dies.py"
    script.write_text("import sys\nprint('missing API_KEY', file=sys.stderr)\nsys.exit(3)\n")
    result = mcpcore("list", "tools", "--command", f"{PYTHON} {script}")
    assert result.returncode == 1 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == "mcpcore list: error: the server exited with status 3 while starting up"
    assert "  | missing API_KEY" in lines


def test_a_command_that_does_not_exist(tmp_path: Path) -> None:
    result = mcpcore("list", "tools", "--command", str(tmp_path / "not-a-program"))
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("mcpcore list: error: cannot start the server ")
    assert "No such file or directory" in result.stderr


def test_a_server_that_never_answers_times_out(tmp_path: Path) -> None:
    script = tmp_path / "mute.py"
    script.write_text("import sys\nfor line in sys.stdin:\n    pass\n")  # reads, never answers
    result = mcpcore("list", "tools", "--timeout", "0.5", "--command", f"{PYTHON} {script}")
    assert result.returncode == 1 and result.stdout == ""
    assert "no answer from the server to initialize within 0.5 s" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--url", "ftp://127.0.0.1/mcp"], "--url must be an http:// or https:// URL"),
        (["--url", "http://127.0.0.1:9/mcp", "--command", "x"], "give either --command or --url, not both"),
        (["--url", "http://127.0.0.1:9/mcp", "--env", "A=1"], "--env and --cwd start a stdio server"),
        (["--url", "http://127.0.0.1:9/mcp", "--header", "nocolon"], "--header wants NAME:VALUE"),
        (["--command", "x", "--header", "A: b"], "--header goes with --url"),
    ],
)
def test_bad_url_options(args: list[str], message: str) -> None:
    result = mcpcore("list", "tools", *args)
    assert result.returncode == 1
    assert result.stderr.startswith("mcpcore list: error: ") and message in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], 'give the server to inspect with --command "CMD ARGS..."'),
        (["--command", 'python "unclosed'], "--command cannot be split into words"),
        (["--command", "x", "--env", "NOEQUALS"], "--env wants KEY=VALUE, got 'NOEQUALS'"),
        (["--command", "x", "--timeout", "0"], "--timeout must be a positive number"),
        (["--command", "x", "--cwd", "/no/such/dir/anywhere"], "is not a directory"),
    ],
)
def test_bad_connection_options(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    from mcpcore.cli import main

    assert main(["list", "tools", *args]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("mcpcore list: error: ") and message in captured.err


# -- the command line itself ------------------------------------------------------------------


def test_help_names_every_command_without_loading_the_engine() -> None:
    code = (
        "import sys\n"
        "from mcpcore.cli import build_parser\n"
        "text = build_parser().format_help()\n"
        "heavy = [m for m in ('pydantic', 'anyio', 'mcpcore.client', 'mcpcore.server') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "print(text)\n"
    )
    result = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, timeout=LIMIT, check=False)
    assert result.returncode == 0, result.stderr
    for command in ("serve", "list", "call", "read", "prompt", "bench"):
        assert f"    {command}" in result.stdout


@given(
    module=st.from_regex(r"[a-z_][a-z0-9_]{0,8}(\.[a-z_][a-z0-9_]{0,8}){0,3}", fullmatch=True),
    attribute=st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}(\.[A-Za-z_][A-Za-z0-9_]{0,8}){0,2}", fullmatch=True),
    folder=st.sampled_from(["", "./", "a/b/", "C:\\servers\\", "/tmp/x:y/"]),
)
def test_targets_split_at_the_last_colon_before_a_name(module: str, attribute: str, folder: str) -> None:
    path = f"{folder}{module}.py"
    assert parse_target(f"{module}:{attribute}") == (module, attribute)
    assert parse_target(f"{path}:{attribute}") == (path, attribute)
    assert parse_target(path) == (path, None)  # a drive letter or a colon in a folder is no attribute


@pytest.mark.parametrize("bad", ["", "   ", "app.py:"])
def test_empty_targets_are_refused(bad: str) -> None:
    with pytest.raises(TargetError, match=r"pass package\.module:server or path/to/file\.py:server"):
        parse_target(bad)


def test_the_progress_bar_redraws_in_place_on_a_terminal() -> None:
    stream = io.StringIO()
    feedback = _inspector._Feedback(stream, tty=True)
    feedback.progress(1, 4, "first")
    feedback.log({"level": "info", "logger": "work", "data": {"step": 1}})
    feedback.progress(4, 4, None)
    feedback.finish()
    text = stream.getvalue()
    frames = text.split("\r\x1b[2K")
    assert frames[1] == "[######..................] 1/4 (25%) first"
    # A log line is printed above the bar, which is then drawn again.
    assert frames[2] == '[info] work: {"step": 1}\n[######..................] 1/4 (25%) first'
    assert frames[3] == "[########################] 4/4 (100%)\n"


def test_progress_without_a_total_and_off_a_terminal() -> None:
    stream = io.StringIO()
    feedback = _inspector._Feedback(stream, tty=False)
    feedback.progress(2.5, None, "bytes so far")
    feedback.progress(3, 0, None)
    feedback.finish()
    assert stream.getvalue() == "progress 2.5: bytes so far\nprogress 3\n"


def test_rendering_of_content_blocks() -> None:
    blocks = [
        {"type": "audio", "data": "AAAA", "mimeType": "audio/wav"},
        {"type": "resource_link", "uri": "file:///a.txt", "name": "a", "mimeType": "text/plain"},
        {"type": "resource", "resource": {"uri": "memo://x", "text": "inside"}},
        {"type": "resource", "resource": {"uri": "memo://y", "blob": "AAECAw==", "mimeType": "image/gif"}},
    ]
    assert _inspector._call_text({"content": blocks}).splitlines() == [
        "[audio audio/wav, 3 bytes]",
        "[resource link file:///a.txt (a), text/plain]",
        "[resource memo://x]",
        "inside",
        "[resource memo://y image/gif, 4 bytes]",
    ]
    # Structured content that differs from the text is shown under its own heading.
    mixed = {"content": [{"type": "text", "text": "summary"}], "structuredContent": {"n": 1}}
    assert _inspector._call_text(mixed) == 'summary\nstructured content:\n{\n  "n": 1\n}'


def test_long_descriptions_are_cut_to_the_terminal_width() -> None:
    tools = [{"name": "t", "description": "word " * 50, "inputSchema": {"type": "object"}}]
    lines = _inspector._listing("tools", tools, 40).splitlines()
    assert len(lines[1]) == 39 and lines[1].endswith("…")
    assert _inspector._listing("templates", [], None) == "(no resource templates)"


def test_env_options_add_to_the_inherited_environment() -> None:
    # Without --env the server inherits the environment as it is (None, not a copy).
    import argparse

    args = argparse.Namespace(
        command="list",
        url=None,
        header=[],
        server_command="python -m x",
        env=[],
        cwd=None,
        timeout=5.0,
        json=False,
        log_level=None,
        verbose=False,
        backend="asyncio",
    )
    plan = _inspector._plan(args)
    assert plan.env is None and plan.argv == ["python", "-m", "x"]
    args.env = ["A=1", "B=x=y"]
    plan = _inspector._plan(args)
    assert plan.env is not None and plan.env["A"] == "1" and plan.env["B"] == "x=y"
    assert plan.env.get("PATH") == os.environ.get("PATH")


def test_serve_help_explains_targets() -> None:
    result = mcpcore("serve", "--help")
    assert result.returncode == 0
    assert "path/to/file.py:attribute" in result.stdout and "--transport" in result.stdout
