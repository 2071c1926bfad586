"""Worker process of the official-SDK benchmark peer: runs under the peer's own environment.

It lives in a separate process because the official SDK and its pinned dependencies are not
installed beside mcpcore (see ``benchmarks/official.py``); for the same reason it imports
neither ``mcpcore`` nor ``benchmarks``, only the SDK, anyio (the SDK's own dependency) and the
standard library.

Usage: ``python _official_worker.py <calls> <backend> [<connect>]`` where ``<calls>`` is
``seq`` or how many calls to keep in flight, ``<backend>`` the anyio backend to run on and
``<connect>`` the SDK client's ``mode`` (``auto``, its default, or ``legacy``).

Protocol, one line each way: once the client and server are paired and one call has been
checked, the worker prints ``ready``; then for each ``run <n>`` on stdin it makes ``n``
``tools/call`` requests and prints ``{"seconds": <float>}`` (time of the calls alone) or
``{"error": "<message>"}``. End of stdin ends it. Anything else the process prints goes to
stderr, so stdout carries the protocol only.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from collections.abc import Awaitable, Callable
from typing import Any, TextIO

import anyio
from mcp import Client  # type: ignore[import-not-found,unused-ignore]
from mcp.server.mcpserver import MCPServer  # type: ignore[import-not-found,unused-ignore]

ARGUMENTS: dict[str, Any] = {"text": "hello"}
MAX_IN_FLIGHT = 1_000
MAX_CALLS = 10_000_000  # one "run" is bounded even if the harness asks for nonsense

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


def say(out: TextIO, line: str) -> None:
    out.write(line + "\n")
    out.flush()


async def serve(in_flight: int, connect: str, out: TextIO) -> None:
    async with Client(make_server(), mode=connect) as client:
        check(await client.call_tool("echo", ARGUMENTS))
        run = sequential(client) if in_flight == 1 else concurrent(client, in_flight)
        say(out, "ready")
        while True:
            # In a thread so the event loop (and the SDK's tasks in it) is never blocked on a pipe.
            line = await anyio.to_thread.run_sync(sys.stdin.readline)
            if not line:
                return
            try:
                seconds = await run(parse_command(line))
            except Exception as exc:
                traceback.print_exc(file=sys.stderr)
                say(out, json.dumps({"error": f"{type(exc).__name__}: {exc}"}))
            else:
                say(out, json.dumps({"seconds": seconds}))


def main(argv: list[str]) -> int:
    if not 2 <= len(argv) <= 3:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        in_flight = parse_calls(argv[0])
        backend = argv[1]
        connect = argv[2] if len(argv) == 3 else "auto"
        if connect not in ("auto", "legacy"):
            raise UsageError(f"connect must be 'auto' or 'legacy', not {connect!r}")
    except UsageError as exc:
        print(f"_official_worker: {exc}", file=sys.stderr)
        return 2
    out = sys.stdout
    sys.stdout = sys.stderr  # a stray print from anywhere must not corrupt the protocol
    anyio.run(serve, in_flight, connect, out, backend=backend)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
