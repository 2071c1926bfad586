"""Worker process of the official-SDK benchmark peer: runs under the peer's own environment.

It lives in a separate process because the official SDK and its pinned dependencies are not
installed beside mcpcore (see ``benchmarks/official.py``); for the same reason it imports
neither ``mcpcore`` nor ``benchmarks``, only the SDK, anyio (the SDK's own dependency) and the
standard library.

Usage: ``python _official_worker.py <calls> <backend> [<connect> [<transport>]]`` where
``<calls>`` is ``seq`` or how many calls to keep in flight, ``<backend>`` the anyio backend to
run on, ``<connect>`` the SDK client's ``mode`` (``auto``, its default, or ``legacy``) and
``<transport>`` how the client reaches the server: ``memory`` (the default: ``Client(server)``
in this process) or ``stdio`` (the SDK's stdio client spawning ``_official_stdio_server.py``
with this interpreter). Over stdio ``<calls>`` may also be ``flood`` (each ``run <n>`` is one
``flood`` call bringing ``n`` progress notifications), ``connect`` (``n`` times: spawn a
server, connect, list its tools; only that is timed, not the shutdown) or ``rss`` (``n``
times: connect, list the tools, then read the idle server's peak resident memory).

Protocol, one line each way: once the client and server are paired and one call has been
checked, the worker prints ``ready`` (for ``connect`` and ``rss``, once the SDK is imported);
then for each ``run <n>`` on stdin it runs and prints ``{"seconds": <float>}`` (time of the
calls alone), for ``rss`` ``{"value": <MiB>}`` (the median of the ``n`` servers), or
``{"error": "<message>"}``. End of stdin ends it. Anything else the process prints goes to
stderr, so stdout carries the protocol only.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
import traceback
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TextIO

import anyio
from mcp import Client, StdioServerParameters  # type: ignore[import-not-found,unused-ignore]
from mcp.server.mcpserver import MCPServer  # type: ignore[import-not-found,unused-ignore]

ARGUMENTS: dict[str, Any] = {"text": "hello"}
MAX_IN_FLIGHT = 1_000
MAX_CALLS = 10_000_000  # one "run" is bounded even if the harness asks for nonsense
TRANSPORTS = ("memory", "stdio")
STDIO_ONLY = ("flood", "connect", "rss")  # modes that need a server process
STDIO_SERVER = Path(__file__).resolve().parent / "_official_stdio_server.py"
IDLE = 0.1  # seconds the server sits idle before its memory is read (as benchmarks/stdio.py)

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


def connect_latency(connect: str) -> Run:
    async def run(n: int) -> float:
        total = 0.0
        for _ in range(n):
            start = time.perf_counter()
            async with Client(stdio_server(), mode=connect) as client:
                listed = await client.list_tools()
                total += time.perf_counter() - start  # the shutdown is not part of connecting
            if sorted(tool.name for tool in listed.tools) != ["echo", "flood"]:
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


def peak_rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    raise RuntimeError(f"/proc/{pid}/status has no VmHWM line")


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
    # Each connect and each memory sample starts its own server: there is no session to hold.
    if calls == "connect":
        await answer(connect_latency(connect), "seconds", out)
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
        if calls in STDIO_ONLY:
            if transport != "stdio":
                raise UsageError(f"{calls!r} needs a server process: use the stdio transport")
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
