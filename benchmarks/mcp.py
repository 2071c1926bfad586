"""Workloads of the full MCP path: ``Client.call_tool`` to a ``Server`` tool and back, in memory.

Everything a user's call goes through runs here: the client's capability check, the JSON codec
both ways (the memory transport encodes to bytes and decodes again), the dispatcher on both
sides, the server session's lifecycle guard, argument validation by the tool's pydantic model,
the echo tool itself, and the result's content blocks. The peer for the budget is the official
Python SDK's in-memory client and server (``--peer official``, see :mod:`benchmarks.official`).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from benchmarks.harness import Measure, Workload, spread_over
from mcpcore.client import Client
from mcpcore.content import text_of
from mcpcore.server import Server

# The budget of the MCP issue: at least 20x the official SDK's in-memory calls per second.
MIN_SPEEDUP = 20.0
ARGUMENTS = {"text": "hello"}


def echo_server() -> Server:
    server = Server("bench", "1.0")

    @server.tool()
    async def echo(text: str) -> str:
        """Return the text."""
        return text

    return server


@asynccontextmanager
async def _client() -> AsyncIterator[Client]:
    async with Client(echo_server()) as client:
        yield client


@asynccontextmanager
async def _sequential() -> AsyncIterator[Measure]:
    async with _client() as client:

        async def measure(n: int) -> float:
            call = client.call_tool
            start = time.perf_counter()
            for _ in range(n):
                result = await call("echo", ARGUMENTS)
            elapsed = time.perf_counter() - start
            if text_of(result) != "hello":
                raise RuntimeError(f"the echo tool answered {result!r}")
            return elapsed

        yield measure


def _concurrent(in_flight: int) -> Any:
    @asynccontextmanager
    async def session() -> AsyncIterator[Measure]:
        async with _client() as client:
            yield spread_over(in_flight, lambda: client.call_tool("echo", ARGUMENTS))

    return session


WORKLOADS = [
    Workload(
        key="mcp-seq",
        name="tools/call, sequential",
        transport="memory+codec",
        implementation="mcpcore Client+Server",
        unit="calls/s",
        ops=6_000,
        session=_sequential,
        baseline="floor",
        peer="official-seq",
        min_speedup=MIN_SPEEDUP,
    ),
    Workload(
        key="mcp-32",
        name="tools/call, 32 in flight",
        transport="memory+codec",
        implementation="mcpcore Client+Server",
        unit="calls/s",
        ops=12_000,
        session=_concurrent(32),
        baseline="floor",
        peer="official-32",
        min_speedup=MIN_SPEEDUP,
    ),
]
