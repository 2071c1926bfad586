"""The stdio transport, both sides, with real processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import anyio
import pytest

from mcpcore.content import text_of
from mcpcore.errors import ConnectionClosed
from tests.legacy import LegacyClient as Client
from transports.stdio import StdioClientTransport

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parent.parent

SERVER = f"""
import os, sys, time
sys.path.insert(0, {str(ROOT)!r})
import anyio
from mcpcore.server import Context, Server
from transports.stdio import serve_stdio

server = Server("stdio-test")

@server.tool()
async def echo(text: str) -> str:
    print("a stray print that must not reach stdout")
    os.write(1, b"even a raw write to fd 1\\n")
    return text

@server.tool()
async def die(code: int) -> str:
    sys.stderr.write("about to die\\n")
    sys.stderr.flush()
    os._exit(code)

@server.tool()
async def chatty(kib: int) -> str:
    for _ in range(kib):
        sys.stderr.write("x" * 1023 + "\\n")
    sys.stderr.flush()
    return "done"

@server.tool()
async def hang(ctx: Context) -> str:
    with open(os.environ["MARK"], "w") as f:
        f.write("started")
    try:
        await anyio.sleep(60)
    finally:
        with open(os.environ["MARK"], "w") as f:
            f.write("cancelled")
    return "never"

@server.tool()
async def big(size: int) -> str:
    return "y" * size

@server.tool()
async def nap(seconds: float) -> str:
    await anyio.sleep(seconds)
    return "rested"

if os.environ.get("IGNORE_TERM"):
    import signal
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
if os.environ.get("GRANDCHILD"):
    import subprocess
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    with open(os.environ["GRANDCHILD"], "w") as f:
        f.write(str(child.pid))
anyio.run(serve_stdio, server)
"""


@pytest.fixture
def server_file(tmp_path: Path) -> Path:
    path = tmp_path / "server.py"
    path.write_text(SERVER, encoding="utf-8")
    return path


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting for a reaper that is not us counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def raw_server(server_file: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(server_file)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )


INIT = {
    "jsonrpc": "2.0",
    "id": 0,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "raw", "version": "0"},
    },
}
INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}


def lines(*messages: Any) -> bytes:
    return b"".join(m if isinstance(m, bytes) else json.dumps(m).encode() + b"\n" for m in messages)


def test_bad_lines_get_errors_and_the_server_goes_on(server_file: Path) -> None:
    proc = raw_server(server_file)
    call = {
        "jsonrpc": "2.0",
        "id": 5,
        "method": "tools/call",
        "params": {"name": "echo", "arguments": {"text": "ok"}},
    }
    stdout, stderr = proc.communicate(
        lines(
            INIT,
            INITIALIZED,
            b"this is not json\n",
            b'{"jsonrpc": "2.0", "id": 1}\n',  # neither request nor response
            b'{"jsonrpc": "2.0", "id": 2, "method": "ping", "params": "\xff\xfe"}\n',  # invalid UTF-8
            b"\n",  # blank lines are skipped
            call,
        ),
        timeout=30,
    )
    replies = [json.loads(line) for line in stdout.splitlines()]  # every stdout line is JSON
    # Answers may come in any order (each request runs in its own task); errors keep theirs.
    assert [r["error"]["code"] for r in replies if "error" in r] == [-32700, -32600, -32700]
    assert all("id" not in r for r in replies if "error" in r)  # 2025-11-25: unknown ids are left out
    results = {r["id"]: r["result"] for r in replies if "result" in r}
    assert results[0]["protocolVersion"] == "2025-11-25"
    assert results[5]["content"] == [{"type": "text", "text": "ok"}]
    assert b"a stray print" in stderr
    assert b"raw write to fd 1" in stderr
    assert proc.returncode == 0  # stdin EOF: a clean exit


def test_an_over_long_line_is_refused_and_the_next_line_is_read(server_file: Path, tmp_path: Path) -> None:
    limited = tmp_path / "limited.py"
    limited.write_text(
        SERVER.replace(
            "anyio.run(serve_stdio, server)", "anyio.run(lambda: serve_stdio(server, max_line_size=4096))"
        ),
        encoding="utf-8",
    )
    proc = raw_server(limited)
    huge = {"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {"pad": "z" * 10_000}}
    stdout, _ = proc.communicate(
        lines(INIT, INITIALIZED, huge, {"jsonrpc": "2.0", "id": 2, "method": "ping"}), timeout=30
    )
    replies = [json.loads(line) for line in stdout.splitlines()]
    (error,) = [r["error"] for r in replies if "error" in r]
    assert error["code"] == -32600
    assert "too large" in error["data"]
    assert {"jsonrpc": "2.0", "id": 2, "result": {}} in replies


def test_sigterm_cancels_in_flight_work_and_exits(server_file: Path, tmp_path: Path) -> None:
    mark = tmp_path / "mark"
    with raw_server(server_file, {"MARK": str(mark)}) as proc:
        assert proc.stdin is not None
        assert proc.stdout is not None
        hang = {
            "jsonrpc": "2.0",
            "id": 7,
            "method": "tools/call",
            "params": {"name": "hang", "arguments": {}},
        }
        proc.stdin.write(lines(INIT, INITIALIZED, hang))
        proc.stdin.flush()
        assert json.loads(proc.stdout.readline())["id"] == 0
        for _ in range(500):  # until the tool runs (bounded: 10 s)
            if mark.exists() and mark.read_text() == "started":
                break
            anyio_sleep_sync(0.02)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
        rest = proc.stdout.read()
    assert mark.read_text() == "cancelled"
    assert all(json.loads(line) for line in rest.splitlines())  # nothing half-written


def test_sigterm_ends_a_listen_stream_with_its_final_result(server_file: Path) -> None:
    # 2026-07-28 over stdio: a server that stops ends each open subscriptions/listen stream by
    # telling the client (notifications/cancelled for the listen request), then answering it.
    listen = {
        "jsonrpc": "2.0",
        "id": "sub-1",
        "method": "subscriptions/listen",
        "params": {
            "notifications": {"toolsListChanged": True},
            "_meta": {
                "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                "io.modelcontextprotocol/clientCapabilities": {},
            },
        },
    }
    with raw_server(server_file) as proc:
        assert proc.stdin is not None
        assert proc.stdout is not None
        proc.stdin.write(lines(listen))
        proc.stdin.flush()
        ack = json.loads(proc.stdout.readline())
        assert ack["method"] == "notifications/subscriptions/acknowledged"
        assert ack["params"]["notifications"] == {"toolsListChanged": True}
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
        rest = [json.loads(line) for line in proc.stdout.read().splitlines()]
    assert [m.get("method", "result" if "result" in m else "error") for m in rest] == [
        "notifications/cancelled",
        "result",
    ]
    assert rest[0]["params"]["requestId"] == "sub-1"
    assert rest[1]["id"] == "sub-1"
    assert rest[1]["result"]["_meta"]["io.modelcontextprotocol/subscriptionId"] == "sub-1"


def anyio_sleep_sync(seconds: float) -> None:
    import time

    time.sleep(seconds)


async def test_client_round_trip_and_a_large_message(server_file: Path) -> None:
    async with Client(StdioClientTransport(sys.executable, [str(server_file)])) as client:
        assert text_of(await client.call_tool("echo", {"text": "hello"})) == "hello"
        result = await client.call_tool("big", {"size": 3_000_000})  # far beyond a 64 KiB pipe
        assert len(text_of(result)) == 3_000_000
        async with anyio.create_task_group() as tg:  # many in flight: coalesced writes both ways
            for i in range(50):
                tg.start_soon(client.call_tool, "echo", {"text": str(i)})


async def test_a_chatty_stderr_never_blocks_the_server(server_file: Path) -> None:
    seen: list[str] = []
    transport = StdioClientTransport(sys.executable, [str(server_file)], on_stderr=seen.append)
    async with Client(transport) as client:
        with anyio.fail_after(30):
            assert text_of(await client.call_tool("chatty", {"kib": 4096})) == "done"  # 4 MiB of stderr
    assert sum(1 for line in seen if line.startswith("xxx")) == 4096
    assert len(transport.stderr_tail) <= 9000


async def test_when_the_server_dies_pending_requests_fail_with_its_status(server_file: Path) -> None:
    async with Client(StdioClientTransport(sys.executable, [str(server_file)])) as client:
        with anyio.fail_after(20), pytest.raises(ConnectionClosed) as info:
            await client.call_tool("die", {"code": 3})
        assert "exit status 3" in info.value.message
        assert "about to die" in info.value.message
        with pytest.raises(ConnectionClosed, match="exit status 3"):
            await client.ping()


async def test_a_server_that_ignores_sigterm_is_killed(server_file: Path) -> None:
    transport = StdioClientTransport(
        sys.executable,
        [
            "-c",
            "import signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
            "sys.stdin.read(); time.sleep(60)",
        ],
        close_timeout=0.3,
        terminate_timeout=0.3,
    )
    with anyio.fail_after(20):
        async with transport:
            pass
    assert transport.returncode == -signal.SIGKILL
    assert transport.pid is not None
    assert not alive(transport.pid)


async def test_a_shell_wrapper_and_its_grandchildren_are_stopped(server_file: Path, tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    command = f"GRANDCHILD={pid_file} {sys.executable} {server_file}; echo wrapper-exits >&2"
    transport = StdioClientTransport("/bin/sh", ["-c", command], close_timeout=2, terminate_timeout=1)
    with anyio.fail_after(30):
        async with Client(transport) as client:
            assert text_of(await client.call_tool("echo", {"text": "via sh"})) == "via sh"
    grandchild = int(pid_file.read_text())
    for _ in range(200):  # killed with its group; give the kernel a moment (bounded: 10 s)
        if not alive(grandchild):
            break
        await anyio.sleep(0.05)
    assert not alive(grandchild)
    assert transport.returncode is not None


async def test_a_command_that_does_not_exist() -> None:
    with pytest.raises(ConnectionClosed, match="cannot start"):
        async with Client(StdioClientTransport("/no/such/command-mcpcore")):
            pass


async def test_a_server_that_exits_at_once_reports_its_stderr() -> None:
    transport = StdioClientTransport(sys.executable, ["-c", "import sys; sys.exit('no config file found')"])
    with anyio.fail_after(20), pytest.raises(ConnectionClosed) as info:
        async with Client(transport):
            pass
    assert "no config file found" in info.value.message
    assert "exit status 1" in info.value.message


def test_serving_restores_stdout(tmp_path: Path) -> None:
    script = tmp_path / "restore.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import sys
            sys.path.insert(0, {str(ROOT)!r})
            import anyio
            from mcpcore.server import Server
            from transports.stdio import serve_stdio
            anyio.run(serve_stdio, Server("s"))
            print("stdout is back")
            """
        ),
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, str(script)], input=b"", capture_output=True, timeout=30, check=True
    )
    assert result.stdout == b"stdout is back\n"


def test_requests_read_before_eof_are_still_answered(server_file: Path) -> None:
    nap = {
        "jsonrpc": "2.0",
        "id": 9,
        "method": "tools/call",
        "params": {"name": "nap", "arguments": {"seconds": 0.3}},
    }
    proc = raw_server(server_file)
    stdout, _ = proc.communicate(lines(INIT, INITIALIZED, nap), timeout=30)  # then EOF at once
    replies = {json.loads(line)["id"]: json.loads(line) for line in stdout.splitlines()}
    assert replies[9]["result"]["content"] == [{"type": "text", "text": "rested"}]


def test_a_cancelled_writer_leaves_no_half_line(server_file: Path) -> None:
    """A 3 MB reply is being written to a slow reader when its request is cancelled: the reply
    is finished anyway, and what follows arrives intact."""
    with raw_server(server_file) as proc:
        assert proc.stdin is not None
        assert proc.stdout is not None
        big = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "tools/call",
            "params": {"name": "big", "arguments": {"size": 3_000_000}},
        }
        proc.stdin.write(lines(INIT, INITIALIZED, big))
        proc.stdin.flush()
        assert json.loads(proc.stdout.readline())["id"] == 0
        anyio_sleep_sync(0.3)  # the reply fills the pipe; the writer waits for us
        cancel = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 1}}
        proc.stdin.write(lines(cancel, {"jsonrpc": "2.0", "id": 2, "method": "ping"}))
        proc.stdin.close()
        rest = proc.stdout.read()
        proc.wait(timeout=20)
    replies = [json.loads(line) for line in rest.splitlines()]  # every line whole
    assert {"jsonrpc": "2.0", "id": 2, "result": {}} in replies


async def test_client_sessions_leave_no_file_descriptors(server_file: Path) -> None:
    def open_fds() -> int:
        return len(os.listdir("/proc/self/fd"))

    async def session() -> None:
        async with Client(StdioClientTransport(sys.executable, [str(server_file)])) as client:
            await client.ping()

    await session()  # warm up whatever the loop keeps open once
    before = open_fds()
    for _ in range(5):
        await session()
    assert open_fds() <= before + 1


async def test_a_dead_server_whose_grandchild_keeps_stdout_still_fails_pending_requests(
    tmp_path: Path,
) -> None:
    script = tmp_path / "leaky.py"
    script.write_text(
        "import subprocess, sys, time\n"
        "subprocess.Popen(['sleep', '5'], start_new_session=True)  # outside our group, holds stdout\n"
        "sys.stdin.readline()\n"
        "sys.exit(3)\n",
        encoding="utf-8",
    )
    transport = StdioClientTransport(sys.executable, [str(script)], close_timeout=0.5, terminate_timeout=0.5)
    with anyio.fail_after(15), pytest.raises(ConnectionClosed, match="exit status 3"):
        async with Client(transport):
            pass
