"""Workloads of MCP over stdio: a real server process, real pipes, our client and theirs.

Every workload here spawns a child process with the interpreter we run on (``sys.executable``)
and talks to it over its stdin and stdout, as a host talks to a configured MCP server:

* the floor (``stdio-floor-*``): ``_stdio_floor.py``, a child that answers each newline-JSON
  line with one line, driven by the least client that can do it (anyio process streams, orjson,
  ids matched to waiting callers through a dict of events when 32 calls are in flight). What
  an MCP client and server add on top of those pipes is what ``stdio-seq`` and ``stdio-32``
  are reported against;
* ours (``stdio-*``): ``Client(StdioClientTransport(...))`` with ``mcpcore serve
  examples/echo_server.py:server``, the command a host's configuration would name: the
  ``echo`` tool, called in sequence and 32 at a time; one ``flood`` call streaming 10,000
  progress notifications (the figure is notifications per second, counted at the client); the
  time from spawning the server to the first ``tools/list`` answered (as connects per second,
  ``1 / latency``, so that higher is better like every other rate); and the peak resident
  memory of the idle server (a value workload, in MiB, lower is better);
* the official SDK's (``official-stdio-*``, :mod:`benchmarks.official`): its own client
  spawning its own server, the same two tools, measured by its worker process.

Memory is the server's ``VmHWM`` (peak resident set) from ``/proc``, so these workloads need
Linux; read after the handshake and one ``tools/list``, once the server sits idle.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import orjson
from anyio.abc import ByteReceiveStream, ByteSendStream, Process

from benchmarks.harness import Measure, Workload, spread_over, stop_child
from mcpcore.client import Client
from mcpcore.content import text_of
from transports.stdio import StdioClientTransport

REPO_ROOT = Path(__file__).resolve().parent.parent
ECHO_SERVER = REPO_ROOT / "examples" / "echo_server.py"
SERVER_ARGS = ["-m", "mcpcore", "serve", f"{ECHO_SERVER}:server"]
FLOOR_CHILD = Path(__file__).resolve().parent / "_stdio_floor.py"

ARGUMENTS: dict[str, Any] = {"text": "hello"}
TOOLS_CALL: dict[str, Any] = {"name": "echo", "arguments": ARGUMENTS}

# The budgets of the stdio issue: a sequential call costs at most 1.5x the floor's round trip,
# the idle server holds at most 1.5x the floor child's memory, and against the official SDK
# over the same pipes: 10x the calls and notifications per second, 5x faster to connect.
SEQ_BUDGET = 1.5
RSS_BUDGET = 1.5
MIN_SPEEDUP = 10.0
MIN_CONNECT_SPEEDUP = 5.0

FLOOD = 10_000  # progress notifications in one flood call, at --scale 1
IDLE = 0.1  # seconds the server sits idle before its memory is read
_EXIT_TIMEOUT = 5.0
_READ_SIZE = 1 << 16

CONNECT_UNIT = "connects/s (1/latency)"
RSS_UNIT = "MiB peak RSS"


class BenchmarkError(RuntimeError):
    """A child process answered wrongly or not at all: the figure would be meaningless."""


def peak_rss_mib(pid: int | None) -> float:
    """The process's peak resident set size (``VmHWM``), in MiB."""
    if pid is None:
        raise BenchmarkError("the server process has no pid: it never started")
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    value, unit = line.split()[1:3]
                    if unit != "kB":
                        raise BenchmarkError(f"VmHWM of process {pid} is in {unit!r}, not kB")
                    return int(value) / 1024
    except FileNotFoundError:
        raise BenchmarkError(f"no /proc/{pid}/status: memory is read from /proc, on Linux only") from None
    raise BenchmarkError(f"/proc/{pid}/status has no VmHWM line")


# -- the floor --------------------------------------------------------------------------------


def _request(request_id: int, method: str = "tools/call", params: Any = TOOLS_CALL) -> bytes:
    return orjson.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}) + b"\n"


class _Lines:
    """Newline-split reading of a byte stream, as little as that takes."""

    def __init__(self, stream: ByteReceiveStream) -> None:
        self._stream = stream
        self._buffer = b""

    async def line(self) -> bytes:
        buffer = self._buffer
        while (end := buffer.find(b"\n")) < 0:
            try:
                buffer += await self._stream.receive(_READ_SIZE)
            except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError):
                raise BenchmarkError("the floor child closed its stdout") from None
        self._buffer = buffer[end + 1 :]
        return buffer[:end]


@asynccontextmanager
async def _floor_child() -> AsyncIterator[tuple[Process, ByteSendStream, _Lines]]:
    process = await anyio.open_process(
        [sys.executable, str(FLOOR_CHILD)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=None
    )
    assert process.stdin is not None
    assert process.stdout is not None
    try:
        yield process, process.stdin, _Lines(process.stdout)
    finally:
        await stop_child(process, _EXIT_TIMEOUT)  # end of input: the child exits


async def _floor_call(stdin: ByteSendStream, lines: _Lines, request_id: int, method: str) -> Any:
    await stdin.send(_request(request_id, method, TOOLS_CALL if method == "tools/call" else {}))
    response = orjson.loads(await lines.line())
    if response.get("id") != request_id:
        raise BenchmarkError(f"the floor child answered {response!r} to request {request_id}")
    return response["result"]


@asynccontextmanager
async def _floor_sequential() -> AsyncIterator[Measure]:
    async with _floor_child() as (_, stdin, lines):

        async def measure(n: int) -> float:
            send, line, loads, dumps = stdin.send, lines.line, orjson.loads, orjson.dumps
            response: Any = None
            start = time.perf_counter()
            for request_id in range(n):
                message = {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": TOOLS_CALL}
                await send(dumps(message) + b"\n")
                response = loads(await line())
            elapsed = time.perf_counter() - start
            if response["id"] != n - 1 or text_of(response["result"]) != "hello":
                raise BenchmarkError(f"the floor child answered {response!r}")
            return elapsed

        yield measure


class _FloorClient:
    """Calls with many in flight: each caller waits on an event filed under its request id."""

    def __init__(self, stdin: ByteSendStream, lines: _Lines) -> None:
        self._stdin = stdin
        self._lines = lines
        self._lock = anyio.Lock()  # one writer at a time: trio refuses concurrent sends on a stream
        self._waiting: dict[int, anyio.Event] = {}
        self._results: dict[int, Any] = {}
        self._next_id = 0

    async def call(self) -> Any:
        request_id = self._next_id = self._next_id + 1
        done = self._waiting[request_id] = anyio.Event()
        line = _request(request_id)
        async with self._lock:
            await self._stdin.send(line)
        await done.wait()
        return self._results.pop(request_id)

    async def read(self) -> None:
        loads, line = orjson.loads, self._lines.line
        while True:
            response = loads(await line())
            request_id = response["id"]
            self._results[request_id] = response["result"]
            self._waiting.pop(request_id).set()


def _floor_concurrent(in_flight: int) -> Callable[[], AbstractAsyncContextManager[Measure]]:
    @asynccontextmanager
    async def session() -> AsyncIterator[Measure]:
        async with _floor_child() as (_, stdin, lines), anyio.create_task_group() as group:
            client = _FloorClient(stdin, lines)
            group.start_soon(client.read)
            yield spread_over(in_flight, client.call)
            group.cancel_scope.cancel()

    return session


@asynccontextmanager
async def _floor_connect() -> AsyncIterator[Measure]:
    async def measure(n: int) -> float:
        total = 0.0
        for _ in range(n):
            start = time.perf_counter()
            async with _floor_child() as (_, stdin, lines):
                # The exchanges of an MCP connect, as bare round trips: handshake, then a listing.
                await _floor_call(stdin, lines, 1, "initialize")
                await _floor_call(stdin, lines, 2, "tools/list")
                total += time.perf_counter() - start
        return total

    yield measure


@asynccontextmanager
async def _floor_idle_rss() -> AsyncIterator[Measure]:
    async def measure(n: int) -> float:
        samples = []
        for _ in range(n):
            async with _floor_child() as (process, stdin, lines):
                await _floor_call(stdin, lines, 1, "initialize")
                await _floor_call(stdin, lines, 2, "tools/list")
                await anyio.sleep(IDLE)
                samples.append(peak_rss_mib(process.pid))
        return statistics.median(samples)

    yield measure


# -- ours -------------------------------------------------------------------------------------


def server_transport() -> StdioClientTransport:
    """The echo server, started as a host would: ``mcpcore serve examples/echo_server.py:server``."""
    # The repository as working directory: `-m mcpcore` and the `transports` package import from
    # it even where mcpcore is not installed.
    return StdioClientTransport(sys.executable, SERVER_ARGS, cwd=REPO_ROOT)


def _check_echo(result: Any) -> None:
    # A call that fails fast would flatter us: every timed batch must have echoed.
    if result.get("isError") or text_of(result) != "hello":
        raise BenchmarkError(f"the echo tool answered {result!r}")


@asynccontextmanager
async def _sequential() -> AsyncIterator[Measure]:
    async with Client(server_transport()) as client:

        async def measure(n: int) -> float:
            call = client.call_tool
            result: Any = None
            start = time.perf_counter()
            for _ in range(n):
                result = await call("echo", ARGUMENTS)
            elapsed = time.perf_counter() - start
            _check_echo(result)
            return elapsed

        yield measure


def _concurrent(in_flight: int) -> Callable[[], AbstractAsyncContextManager[Measure]]:
    @asynccontextmanager
    async def session() -> AsyncIterator[Measure]:
        async with Client(server_transport()) as client:

            async def call() -> None:
                _check_echo(await client.call_tool("echo", ARGUMENTS))

            yield spread_over(in_flight, call)

    return session


@asynccontextmanager
async def _flood() -> AsyncIterator[Measure]:
    async with Client(server_transport()) as client:

        async def measure(n: int) -> float:
            received = 0

            def on_progress(progress: float, total: float | None, message: str | None) -> None:
                nonlocal received
                received += 1

            start = time.perf_counter()
            result = await client.call_tool("flood", {"count": n}, progress=on_progress)
            elapsed = time.perf_counter() - start
            if received != n or text_of(result) != f"sent {n}":
                raise BenchmarkError(f"flood({n}) brought {received} notifications and answered {result!r}")
            return elapsed

        yield measure


@asynccontextmanager
async def _connect() -> AsyncIterator[Measure]:
    async def measure(n: int) -> float:
        total = 0.0
        for _ in range(n):
            start = time.perf_counter()
            async with Client(server_transport()) as client:
                tools = await client.list_tools()
                total += time.perf_counter() - start  # the shutdown is not part of connecting
            if [tool["name"] for tool in tools] != ["echo", "flood"]:
                raise BenchmarkError(f"the echo server lists {tools!r}")
        return total

    yield measure


@asynccontextmanager
async def _idle_rss() -> AsyncIterator[Measure]:
    async def measure(n: int) -> float:
        samples = []
        for _ in range(n):
            transport = server_transport()
            async with Client(transport) as client:
                await client.list_tools()
                await anyio.sleep(IDLE)
                samples.append(peak_rss_mib(transport.pid))
        return statistics.median(samples)

    yield measure


_FLOOR = "floor: bare orjson echo child"
_OURS = "mcpcore Client+Server"

WORKLOADS = [
    Workload(
        key="stdio-floor-seq",
        name="newline-JSON round trip, sequential",
        transport="stdio",
        implementation=_FLOOR,
        unit="calls/s",
        ops=6_000,
        session=_floor_sequential,
    ),
    Workload(
        key="stdio-floor-32",
        name="newline-JSON round trip, 32 in flight",
        transport="stdio",
        implementation=_FLOOR,
        unit="calls/s",
        ops=12_000,
        session=_floor_concurrent(32),
    ),
    Workload(
        key="stdio-floor-connect",
        name="spawn to 2nd answer (connect)",
        transport="stdio",
        implementation=_FLOOR,
        unit=CONNECT_UNIT,
        ops=10,
        session=_floor_connect,
    ),
    Workload(
        key="stdio-floor-idle-rss",
        name="idle server memory",
        transport="stdio",
        implementation=_FLOOR,
        unit=RSS_UNIT,
        ops=1,
        session=_floor_idle_rss,
        kind="value",
    ),
    Workload(
        key="stdio-seq",
        name="tools/call, sequential",
        transport="stdio",
        implementation=_OURS,
        unit="calls/s",
        ops=4_000,
        session=_sequential,
        baseline="stdio-floor-seq",
        budget=SEQ_BUDGET,
        peer="official-stdio-seq",
        min_speedup=MIN_SPEEDUP,
    ),
    Workload(
        key="stdio-32",
        name="tools/call, 32 in flight",
        transport="stdio",
        implementation=_OURS,
        unit="calls/s",
        ops=8_000,
        session=_concurrent(32),
        baseline="stdio-floor-32",
        peer="official-stdio-32",
        min_speedup=MIN_SPEEDUP,
    ),
    Workload(
        key="stdio-flood",
        name="progress notifications of one call",
        transport="stdio",
        implementation=_OURS,
        unit="notifications/s",
        ops=FLOOD,
        session=_flood,
        peer="official-stdio-flood",
        min_speedup=MIN_SPEEDUP,
    ),
    Workload(
        key="stdio-connect",
        name="spawn to first tools/list answered",
        transport="stdio",
        implementation=_OURS,
        unit=CONNECT_UNIT,
        ops=10,
        session=_connect,
        baseline="stdio-floor-connect",
        peer="official-stdio-connect",
        min_speedup=MIN_CONNECT_SPEEDUP,
    ),
    Workload(
        key="stdio-idle-rss",
        name="idle server memory",
        transport="stdio",
        implementation=_OURS,
        unit=RSS_UNIT,
        ops=1,
        session=_idle_rss,
        kind="value",
        baseline="stdio-floor-idle-rss",
        budget=RSS_BUDGET,
        peer="official-stdio-idle-rss",
    ),
]
