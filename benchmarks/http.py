"""Workloads of MCP over Streamable HTTP: a real server process on loopback, real sockets.

* the floor (``http-floor-*``, :mod:`benchmarks._http_floor`): a bare h11 echo server in a
  child process and the least h11 client that can drive it over one kept-alive connection (32
  connections for 32 in flight). HTTP/1.1 framing done by h11 on both ends, and nothing else;
* ours (``http-*``): ``Client(url)``, pinned to the handshake era as the SDK's HTTP client is
  here, against ``mcpcore serve examples/echo_server.py:server --transport http`` in a child
  process, the command a user would type. ``http-sse-*`` run
  the default stateful mode (a session, every answer an SSE stream); ``http-json-*`` run
  ``--stateless --json-response`` (each POST alone, answered with one JSON body). Then the
  time from a new client to its first ``tools/list`` answered, against a running server; and
  the server's memory per open session, with 1,000 sessions held at once (each initialized,
  with its GET stream open and one call made);
* the official SDK's (``official-http-*``, :mod:`benchmarks.official`): its own client and
  server (under uvicorn), the same tool, the same modes.

The server runs with its access log off, as the official server does with uvicorn's: a log
line per request is a cost that both would pay alike.
"""

from __future__ import annotations

import contextlib
import re
import resource
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, BinaryIO

import anyio
from anyio.abc import Process

from benchmarks._http_floor import floor_concurrent, floor_connect, floor_sequential, h11_codec
from benchmarks.harness import Measure, Workload, spread_over, stop_child
from benchmarks.stdio import ARGUMENTS, CONNECT_UNIT, ECHO_SERVER, REPO_ROOT, BenchmarkError, _check_echo
from mcpcore.client import Client
from mcpcore.revisions import HANDSHAKE_VERSIONS, MODERN_VERSIONS

__all__ = ["WORKLOADS", "our_server"]

MIN_SPEEDUP = 10.0  # the budget: at least 10x the official SDK's call rates
SESSIONS = 1_000
SESSION_RSS_UNIT = "KiB RSS per session"
_STARTUP_TIMEOUT = 30.0
_ANNOUNCED = re.compile(rb"serving MCP over Streamable HTTP at (http://\S+)")


def _raise_file_limit() -> None:
    # A thousand sessions are two thousand sockets at each end (the child inherits the limit).
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


@asynccontextmanager
async def our_server(*, stateless: bool = False) -> AsyncIterator[tuple[str, Process]]:
    """``mcpcore serve examples/echo_server.py:server --transport http`` on a free port."""
    _raise_file_limit()
    args = [sys.executable, "-m", "mcpcore", "serve", f"{ECHO_SERVER}:server", "--transport", "http"]
    args += ["--port", "0", "--no-access-log", "--max-connections", str(4 * SESSIONS)]
    if stateless:
        args += ["--stateless", "--json-response"]
    # stderr goes to a file, not a pipe: nobody reads a pipe once the URL is out, and a server
    # that logs (a warning per refused connection, say) would block on a full one.
    with tempfile.TemporaryFile() as log:
        process = await anyio.open_process(args, cwd=REPO_ROOT, stdin=None, stdout=None, stderr=log)
        try:
            with anyio.fail_after(_STARTUP_TIMEOUT):
                while (match := _ANNOUNCED.search(_read_all(log))) is None:
                    if process.returncode is not None:
                        raise BenchmarkError(f"the server exited first: {_read_all(log)[-2000:]!r}")
                    await anyio.sleep(0.02)
            yield match.group(1).decode(), process
        finally:
            await stop_child(process)


def _read_all(file: BinaryIO) -> bytes:
    file.seek(0)
    return file.read(1 << 20)


def _sequential(
    stateless: bool, versions: Sequence[str] = HANDSHAKE_VERSIONS
) -> Callable[[], AbstractAsyncContextManager[Measure]]:
    @asynccontextmanager
    async def session() -> AsyncIterator[Measure]:
        async with (
            our_server(stateless=stateless) as (url, _),
            Client(url, versions=versions) as client,
        ):

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

    return session


def _concurrent(
    stateless: bool, in_flight: int, versions: Sequence[str] = HANDSHAKE_VERSIONS
) -> Callable[[], AbstractAsyncContextManager[Measure]]:
    @asynccontextmanager
    async def session() -> AsyncIterator[Measure]:
        async with (
            our_server(stateless=stateless) as (url, _),
            Client(url, versions=versions) as client,
        ):

            async def call() -> None:
                _check_echo(await client.call_tool("echo", ARGUMENTS))

            yield spread_over(in_flight, call)

    return session


@asynccontextmanager
async def _connect() -> AsyncIterator[Measure]:
    async with our_server() as (url, _):

        async def measure(n: int) -> float:
            total = 0.0
            for _ in range(n):
                start = time.perf_counter()
                async with Client(url, versions=HANDSHAKE_VERSIONS) as client:
                    tools = await client.list_tools()
                    total += time.perf_counter() - start  # the shutdown is not part of connecting
                if [tool["name"] for tool in tools] != ["echo", "flood"]:
                    raise BenchmarkError(f"the echo server lists {tools!r}")
            return total

        yield measure


def _rss_kib(pid: int | None) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return float(line.split()[1])
    raise BenchmarkError(f"no VmRSS for process {pid}")


@asynccontextmanager
async def _sessions_rss() -> AsyncIterator[Measure]:
    async def measure(n: int) -> float:
        # A fresh server per round: memory once given back to a Python process stays counted.
        async with our_server() as (url, process):
            async with Client(url, versions=HANDSHAKE_VERSIONS) as warm:
                await warm.call_tool("echo", ARGUMENTS)
            await anyio.sleep(0.2)
            before = _rss_kib(process.pid)
            opened = 0
            ready = anyio.Event()
            done = anyio.Event()
            limiter = anyio.CapacityLimiter(32)

            async def hold() -> None:
                nonlocal opened
                async with contextlib.AsyncExitStack() as stack:
                    async with limiter:  # opening is throttled; holding is not
                        client = await stack.enter_async_context(Client(url, versions=HANDSHAKE_VERSIONS))
                        _check_echo(await client.call_tool("echo", ARGUMENTS))
                    opened += 1
                    if opened == n:
                        ready.set()
                    await done.wait()

            async with anyio.create_task_group() as tg:
                for _ in range(n):
                    tg.start_soon(hold)
                with anyio.fail_after(600):
                    await ready.wait()
                await anyio.sleep(0.5)  # let every GET stream attach
                after = _rss_kib(process.pid)
                done.set()
            return max(0.0, (after - before) / n)

    yield measure


_FLOOR = "floor: bare h11 echo (child process)"
_OURS = "mcpcore Client+Server"
_OURS_STATELESS = "mcpcore, stateless JSON"

WORKLOADS = [
    Workload(
        key="http-floor-seq",
        name="HTTP POST round trip, sequential",
        transport="http",
        implementation=_FLOOR,
        unit="calls/s",
        ops=2_000,
        session=floor_sequential,
    ),
    Workload(
        key="http-floor-32",
        name="HTTP POST round trip, 32 in flight",
        transport="http",
        implementation=_FLOOR,
        unit="calls/s",
        ops=4_000,
        session=floor_concurrent(32),
    ),
    Workload(
        key="http-h11-codec",
        name="h11 alone: a POST and its answer, one process, no sockets",
        transport="-",
        implementation="h11 client + h11 server",
        unit="exchanges/s",
        ops=2_000,
        session=h11_codec,
    ),
    Workload(
        key="http-floor-connect",
        name="TCP connect + one POST",
        transport="http",
        implementation=_FLOOR,
        unit=CONNECT_UNIT,
        ops=50,
        session=floor_connect,
    ),
    *(
        Workload(
            key=f"http-{mode}-{shape}",
            name=f"tools/call, {'sequential' if shape == 'seq' else '32 in flight'}",
            transport=f"http-{mode}",
            implementation=_OURS_STATELESS if mode == "json" else _OURS,
            unit="calls/s",
            ops=2_000 if shape == "seq" else 4_000,
            session=_sequential(mode == "json") if shape == "seq" else _concurrent(mode == "json", 32),
            baseline=f"http-floor-{shape}",
            peer=f"official-http-{mode}-{shape}",
            min_speedup=MIN_SPEEDUP,
        )
        for mode in ("sse", "json")
        for shape in ("seq", "32")
    ),
    # 2026-07-28: one POST per request, no session, the envelope in every request.
    *(
        Workload(
            key=f"http-modern-{shape}",
            name=f"tools/call, {'sequential' if shape == 'seq' else '32 in flight'}, 2026-07-28",
            transport="http-modern",
            implementation=_OURS,
            unit="calls/s",
            ops=2_000 if shape == "seq" else 4_000,
            session=_sequential(False, MODERN_VERSIONS)
            if shape == "seq"
            else _concurrent(False, 32, MODERN_VERSIONS),
            baseline=f"http-floor-{shape}",
            peer=f"official-http-modern-{shape}",
            min_speedup=MIN_SPEEDUP,
        )
        for shape in ("seq", "32")
    ),
    Workload(
        key="http-connect",
        name="connect to first tools/list answered",
        transport="http-sse",
        implementation=_OURS,
        unit=CONNECT_UNIT,
        ops=20,
        session=_connect,
        baseline="http-floor-connect",
        peer="official-http-connect",
        min_speedup=MIN_SPEEDUP,
    ),
    Workload(
        key="http-sessions-rss",
        name="server memory per open session",
        transport="http-sse",
        implementation=_OURS,
        unit=SESSION_RSS_UNIT,
        ops=SESSIONS,
        session=_sessions_rss,
        kind="value",
        peer="official-http-sessions-rss",
    ),
]
