"""Worker process of the official-SDK benchmark peer: runs under the peer's own environment.

It lives in a separate process because the official SDK and its pinned dependencies are not
installed beside mcpcore (see ``benchmarks/official.py``); for the same reason it imports
neither ``mcpcore`` nor ``benchmarks``, only the SDK, anyio (the SDK's own dependency) and the
standard library.

Usage: ``python _official_worker.py <calls> <backend> [<connect> [<transport>]]`` where
``<calls>`` is ``seq`` or how many calls to keep in flight, ``<backend>`` the anyio backend to
run on, ``<connect>`` the SDK client's ``mode`` (``auto``, its default, or ``legacy``) and
``<transport>`` how the client reaches the server: ``memory`` (the default: ``Client(server)``
in this process), ``stdio`` (the SDK's stdio client spawning ``_official_stdio_server.py``
with this interpreter), or ``http-sse`` / ``http-json`` (the SDK's Streamable HTTP client,
``Client(url)``, against ``_official_http_server.py`` spawned with this interpreter in its
``sse`` or ``json`` mode on a free port of 127.0.0.1; one server per worker).

Over stdio ``<calls>`` may also be ``flood`` (each ``run <n>`` is one ``flood`` call bringing
``n`` progress notifications), ``connect`` (``n`` times: spawn a server, connect, list its
tools; only that is timed, not the shutdown) or ``rss`` (``n`` times: connect, list the tools,
then read the idle server's peak resident memory). Over HTTP ``<calls>`` may also be
``connect`` (``n`` times: a new client connects to the running server, initializes and lists
its tools; only that is timed) or, over ``http-sse`` only, ``sessions``: each ``run <n>``
spawns a fresh server, opens ``n`` client sessions against it at once (each initialized and
having made one call, all held open together), and answers the server's resident memory
growth (``VmRSS`` before and after) per session, in KiB.

Protocol, one line each way: once the client and server are paired and one call has been
checked, the worker prints ``ready`` (for ``connect``, ``rss`` and ``sessions``, once the SDK
is imported and any server it keeps is up); then for each ``run <n>`` on stdin it runs and
prints ``{"seconds": <float>}`` (time of the calls alone), for ``rss`` ``{"value": <MiB>}``
(the median of the ``n`` servers), for ``sessions`` ``{"value": <KiB per session>}``, or
``{"error": "<message>"}``. End of stdin ends it. Anything else the process prints goes to
stderr, so stdout carries the protocol only.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import anyio
from anyio.lowlevel import checkpoint
from anyio.streams.buffered import BufferedByteReceiveStream
from mcp import Client, StdioServerParameters  # type: ignore[import-not-found,unused-ignore]
from mcp.server.mcpserver import MCPServer  # type: ignore[import-not-found,unused-ignore]

ARGUMENTS: dict[str, Any] = {"text": "hello"}
MAX_IN_FLIGHT = 1_000
MAX_CALLS = 10_000_000  # one "run" is bounded even if the harness asks for nonsense
HTTP_TRANSPORTS = ("http-sse", "http-json")
TRANSPORTS = ("memory", "stdio", *HTTP_TRANSPORTS)
# Modes that need a server process, and the transports that have them.
SERVER_MODES = {
    "flood": ("stdio",),
    "connect": ("stdio", *HTTP_TRANSPORTS),
    "rss": ("stdio",),
    # Stateless JSON mode keeps nothing between requests: it has no sessions to weigh.
    "sessions": ("http-sse",),
}
STDIO_SERVER = Path(__file__).resolve().parent / "_official_stdio_server.py"
HTTP_SERVER = Path(__file__).resolve().parent / "_official_http_server.py"
IDLE = 0.1  # seconds the server sits idle before its memory is read (as benchmarks/stdio.py)

# The SDK's server refuses a session past its max_sessions (10,000 by default): no run asks
# for more, so every session asked for is one the server holds.
MAX_SESSIONS = 10_000
OPENING = 32  # sessions being opened at once: the rest wait, so the server is never stormed
SESSIONS_TIMEOUT = 300.0  # seconds to open a run's sessions, or to close them
SERVER_READY_TIMEOUT = 60.0  # seconds for the HTTP server to import the SDK and bind
SERVER_EXIT_TIMEOUT = 10.0

Run = Callable[[int], Awaitable[float]]


class UsageError(ValueError):
    """The command line or a command on stdin is malformed."""


def make_server() -> Any:
    server: Any = MCPServer("echo")

    # The registration a user of the SDK writes: a typed function, schema derived from it.
    @server.tool()  # type: ignore[untyped-decorator,unused-ignore]
    def echo(text: str) -> str:
        return text

    return server


def check(result: Any) -> None:
    # A call that fails fast would flatter the peer: every timed batch must have echoed.
    if getattr(result, "is_error", True) or [getattr(c, "text", None) for c in result.content] != ["hello"]:
        raise RuntimeError(f"the echo tool answered {result!r}")


def stdio_server() -> Any:
    # -I: the server imports what this environment holds and nothing from the caller's paths.
    return StdioServerParameters(command=sys.executable, args=["-I", str(STDIO_SERVER)])


def parse_calls(value: str) -> int:
    if value == "seq":
        return 1
    try:
        in_flight = int(value)
    except ValueError:
        raise UsageError(f"calls must be 'seq' or a count, not {value!r}") from None
    if not 1 <= in_flight <= MAX_IN_FLIGHT:
        raise UsageError(f"calls in flight must be 1..{MAX_IN_FLIGHT}, not {in_flight}")
    return in_flight


def parse_command(line: str) -> int:
    parts = line.split()
    if len(parts) != 2 or parts[0] != "run" or not parts[1].isdigit():
        raise UsageError(f"expected 'run <n>', got {line.strip()!r}")
    n = int(parts[1])
    if not 1 <= n <= MAX_CALLS:
        raise UsageError(f"n must be 1..{MAX_CALLS}, not {n}")
    return n


def sequential(client: Any) -> Run:
    async def run(n: int) -> float:
        call = client.call_tool
        result: Any = None
        start = time.perf_counter()
        for _ in range(n):
            result = await call("echo", ARGUMENTS)
        elapsed = time.perf_counter() - start
        check(result)
        return elapsed

    return run


def concurrent(client: Any, in_flight: int) -> Run:
    async def run(n: int) -> float:
        last: list[Any] = []

        async def caller(count: int) -> None:
            call = client.call_tool
            result: Any = None
            for _ in range(count):
                result = await call("echo", ARGUMENTS)
            if result is not None:
                last.append(result)

        share, extra = divmod(n, in_flight)
        start = time.perf_counter()
        async with anyio.create_task_group() as tg:
            for i in range(in_flight):
                tg.start_soon(caller, share + (1 if i < extra else 0))
        elapsed = time.perf_counter() - start
        for result in last:
            check(result)
        return elapsed

    return run


def flood(client: Any) -> Run:
    async def run(n: int) -> float:
        received = 0

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            nonlocal received
            received += 1

        start = time.perf_counter()
        result = await client.call_tool("flood", {"count": n}, progress_callback=on_progress)
        elapsed = time.perf_counter() - start
        texts = [getattr(c, "text", None) for c in result.content]
        if received != n or getattr(result, "is_error", True) or texts != [f"sent {n}"]:
            raise RuntimeError(f"flood({n}) brought {received} notifications and answered {result!r}")
        return elapsed

    return run


def connect_latency(connect: str, target: Callable[[], Any], tools: list[str]) -> Run:
    """Connect ``n`` new clients to ``target()`` one after another, each listing the tools."""

    async def run(n: int) -> float:
        total = 0.0
        for _ in range(n):
            start = time.perf_counter()
            async with Client(target(), mode=connect) as client:
                listed = await client.list_tools()
                total += time.perf_counter() - start  # the shutdown is not part of connecting
            if sorted(tool.name for tool in listed.tools) != tools:
                raise RuntimeError(f"the server lists {listed!r}")
        return total

    return run


def child_pids() -> list[int]:
    """The processes this one started (read from /proc: the SDK's client does not say)."""
    me, found = os.getpid(), []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as f:
                stat = f.read()
        except OSError:
            continue  # exited meanwhile
        # The command name (in parentheses) may hold spaces; the parent pid follows the state.
        if int(stat.rpartition(")")[2].split()[1]) == me:
            found.append(int(entry))
    return found


def status_kib(pid: int, field: str) -> int:
    """A memory line of ``/proc/<pid>/status`` (``VmHWM``, ``VmRSS``), in KiB."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                value, unit = line.split()[1:3]
                if unit != "kB":
                    raise RuntimeError(f"{field} of process {pid} is in {unit!r}, not kB")
                return int(value)
    raise RuntimeError(f"/proc/{pid}/status has no {field} line")


def peak_rss_mib(pid: int) -> float:
    return status_kib(pid, "VmHWM") / 1024


def idle_rss(connect: str) -> Run:
    async def run(n: int) -> float:
        samples = []
        for _ in range(n):
            async with Client(stdio_server(), mode=connect) as client:
                await client.list_tools()
                await anyio.sleep(IDLE)
                children = child_pids()
                if len(children) != 1:
                    raise RuntimeError(f"expected one server process, found {children}")
                samples.append(peak_rss_mib(children[0]))
        return statistics.median(samples)

    return run


# -- Streamable HTTP ---------------------------------------------------------------------------


@dataclass(frozen=True)
class HttpServer:
    url: str
    pid: int


def http_mode(transport: str) -> str:
    return transport.removeprefix("http-")


@asynccontextmanager
async def http_server(mode: str) -> AsyncIterator[HttpServer]:
    """``_official_http_server.py`` in ``mode`` on a free port, until the block ends.

    Its stderr is this worker's (the harness's file); its stdout carries one ``ready <port>``
    line; closing its stdin is what stops it.
    """
    command = [sys.executable, "-I", str(HTTP_SERVER), "--mode", mode, "--port", "0"]
    process = await anyio.open_process(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=None)
    assert process.stdin is not None
    assert process.stdout is not None
    try:
        try:
            with anyio.fail_after(SERVER_READY_TIMEOUT):
                line = await BufferedByteReceiveStream(process.stdout).receive_until(b"\n", 1024)
        except TimeoutError:
            raise RuntimeError(f"the HTTP server did not start within {SERVER_READY_TIMEOUT:g} s") from None
        except (anyio.IncompleteRead, anyio.EndOfStream, anyio.DelimiterNotFound):
            raise RuntimeError("the HTTP server exited before it said it was ready") from None
        words = line.decode("ascii", "replace").split()
        if len(words) != 2 or words[0] != "ready" or not words[1].isdigit():
            raise RuntimeError(f"the HTTP server said {line!r} instead of 'ready <port>'")
        yield HttpServer(f"http://127.0.0.1:{int(words[1])}/mcp", process.pid)
    finally:
        with anyio.CancelScope(shield=True):
            try:
                await process.stdin.aclose()  # end of input: the server shuts down
            except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
                pass
            with anyio.move_on_after(SERVER_EXIT_TIMEOUT):
                await process.wait()
            if process.returncode is None:
                process.kill()
                await process.wait()
            await process.aclose()


def rss_kib(pid: int) -> int:
    return status_kib(pid, "VmRSS")


def raise_file_limit() -> None:
    """A thousand sessions are a few thousand sockets here and in the server (which inherits it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def hold_sessions(url: str, connect: str, n: int, while_open: Callable[[], Awaitable[None]]) -> None:
    """Open ``n`` sessions on ``url`` (each initialized, with one echo made), all at once, and
    await ``while_open()`` while every one of them is held; then close them all."""
    opening = anyio.CapacityLimiter(OPENING)
    all_open, release = anyio.Event(), anyio.Event()
    opened = 0

    async def session() -> None:
        nonlocal opened
        await opening.acquire()
        held = True
        try:
            async with Client(url, mode=connect) as client:
                check(await client.call_tool("echo", ARGUMENTS))
                opening.release()
                held = False
                opened += 1
                if opened == n:
                    all_open.set()
                await release.wait()
        finally:
            if held:
                opening.release()

    async with anyio.create_task_group() as tg:
        for _ in range(n):
            tg.start_soon(session)
        try:
            with anyio.fail_after(SESSIONS_TIMEOUT):
                await all_open.wait()
        except TimeoutError:
            raise RuntimeError(f"{opened} of {n} sessions opened in {SESSIONS_TIMEOUT:g} s") from None
        try:
            await while_open()
        finally:
            release.set()
            # Closing is each client's DELETE; a server too slow to answer them all is cut off.
            tg.cancel_scope.deadline = anyio.current_time() + SESSIONS_TIMEOUT


def session_rss(connect: str) -> Run:
    """KiB of server memory per open session: ``VmRSS`` growth from ``n`` sessions, over ``n``."""

    async def run(n: int) -> float:
        if n > MAX_SESSIONS:
            raise UsageError(f"at most {MAX_SESSIONS} sessions: the SDK's server refuses more")
        # A fresh server each run: one that held sessions before keeps the memory they freed.
        async with http_server("sse") as server:
            # One session first, opened and closed: the first request's imports and caches are
            # the server's, not a session's.
            await hold_sessions(server.url, connect, 1, checkpoint)
            await anyio.sleep(IDLE)
            before = rss_kib(server.pid)
            after = before

            async def weigh() -> None:
                nonlocal after
                await anyio.sleep(IDLE)
                after = rss_kib(server.pid)

            await hold_sessions(server.url, connect, n, weigh)
        # Memory the allocator handed back meanwhile is noise on a tiny n, never a saving per
        # session: the figure does not go below zero.
        return max(0.0, (after - before) / n)

    return run


def say(out: TextIO, line: str) -> None:
    out.write(line + "\n")
    out.flush()


async def answer(run: Run, key: str, out: TextIO) -> None:
    say(out, "ready")
    while True:
        # In a thread so the event loop (and the SDK's tasks in it) is never blocked on a pipe.
        line = await anyio.to_thread.run_sync(sys.stdin.readline)
        if not line:
            return
        try:
            figure = await run(parse_command(line))
        except Exception as exc:
            traceback.print_exc(file=sys.stderr)
            say(out, json.dumps({"error": f"{type(exc).__name__}: {exc}"}))
        else:
            say(out, json.dumps({key: figure}))


async def serve(calls: str, connect: str, transport: str, out: TextIO) -> None:
    if transport in HTTP_TRANSPORTS:
        await serve_http(calls, connect, http_mode(transport), out)
        return
    # Each connect and each memory sample starts its own server: there is no session to hold.
    if calls == "connect":
        await answer(connect_latency(connect, stdio_server, ["echo", "flood"]), "seconds", out)
        return
    if calls == "rss":
        await answer(idle_rss(connect), "value", out)
        return
    target = make_server() if transport == "memory" else stdio_server()
    async with Client(target, mode=connect) as client:
        check(await client.call_tool("echo", ARGUMENTS))
        if calls == "flood":
            run = flood(client)
        else:
            in_flight = parse_calls(calls)
            run = sequential(client) if in_flight == 1 else concurrent(client, in_flight)
        await answer(run, "seconds", out)


async def serve_http(calls: str, connect: str, mode: str, out: TextIO) -> None:
    if calls == "sessions":
        raise_file_limit()
        await answer(session_rss(connect), "value", out)
        return
    # One server for the worker's life: connects and calls alike find it running.
    async with http_server(mode) as server:
        if calls == "connect":
            await answer(connect_latency(connect, lambda: server.url, ["echo"]), "seconds", out)
            return
        async with Client(server.url, mode=connect) as client:
            check(await client.call_tool("echo", ARGUMENTS))
            in_flight = parse_calls(calls)
            run = sequential(client) if in_flight == 1 else concurrent(client, in_flight)
            await answer(run, "seconds", out)


def main(argv: list[str]) -> int:
    if not 2 <= len(argv) <= 4:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        calls = argv[0]
        backend = argv[1]
        connect = argv[2] if len(argv) >= 3 else "auto"
        transport = argv[3] if len(argv) == 4 else "memory"
        if connect not in ("auto", "legacy"):
            raise UsageError(f"connect must be 'auto' or 'legacy', not {connect!r}")
        if transport not in TRANSPORTS:
            raise UsageError(f"transport must be one of {', '.join(TRANSPORTS)}, not {transport!r}")
        if calls in SERVER_MODES:
            if transport not in SERVER_MODES[calls]:
                raise UsageError(f"{calls!r} runs over {' or '.join(SERVER_MODES[calls])}, not {transport!r}")
        else:
            parse_calls(calls)
    except UsageError as exc:
        print(f"_official_worker: {exc}", file=sys.stderr)
        return 2
    out = sys.stdout
    sys.stdout = sys.stderr  # a stray print from anywhere must not corrupt the protocol
    anyio.run(serve, calls, connect, transport, out, backend=backend)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
