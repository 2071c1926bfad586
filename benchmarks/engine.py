"""Workloads of the JSON-RPC engine: the dispatcher over the in-memory transport, and its floor.

The floor is what no JSON-RPC implementation in Python can beat: orjson encoding and decoding
the very request and response a round trip carries (``dumps`` + ``loads`` of each). The round
trips go between two :class:`~mcpcore.dispatcher.Dispatcher` objects over
:mod:`transports.memory` with the codec on, so every message is encoded to bytes and decoded
and checked again, as on a real wire. The handler is an ``async`` echo.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson

from benchmarks.harness import Measure, Workload, spread_over
from mcpcore.dispatcher import Dispatcher, RequestContext
from transports.memory import create_pair

PARAMS: dict[str, Any] = {"name": "echo", "arguments": {"text": "hello"}}
REQUEST: dict[str, Any] = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": PARAMS}
RESPONSE: dict[str, Any] = {"jsonrpc": "2.0", "id": 1, "result": PARAMS}

# The budget of the engine issue: a sequential in-memory round trip costs at most 6x the
# floor's encode/decode pair.
ROUND_TRIP_BUDGET = 6.0


@asynccontextmanager
async def _floor() -> AsyncIterator[Measure]:
    async def measure(n: int) -> float:
        dumps, loads = orjson.dumps, orjson.loads
        request, response = REQUEST, RESPONSE
        start = time.perf_counter()
        for _ in range(n):
            loads(dumps(request))
            loads(dumps(response))
        return time.perf_counter() - start

    yield measure


async def _echo(ctx: RequestContext) -> Any:
    return ctx.params


@asynccontextmanager
async def _dispatcher_pair() -> AsyncIterator[Dispatcher]:
    client_end, server_end = create_pair(codec=True)
    async with Dispatcher(client_end) as client, Dispatcher(server_end) as server:
        server.on_request("tools/call", _echo)
        yield client


@asynccontextmanager
async def _sequential() -> AsyncIterator[Measure]:
    async with _dispatcher_pair() as client:

        async def measure(n: int) -> float:
            request = client.request
            start = time.perf_counter()
            for _ in range(n):
                await request("tools/call", PARAMS)
            return time.perf_counter() - start

        yield measure


def _concurrent(in_flight: int) -> Any:
    @asynccontextmanager
    async def session() -> AsyncIterator[Measure]:
        async with _dispatcher_pair() as client:
            yield spread_over(in_flight, lambda: client.request("tools/call", PARAMS))

    return session


WORKLOADS = [
    Workload(
        key="floor",
        name="orjson dumps+loads of request and response",
        transport="-",
        implementation="floor",
        unit="pairs/s",
        ops=40_000,
        session=_floor,
    ),
    Workload(
        key="engine-seq",
        name="round trip, sequential",
        transport="memory+codec",
        implementation="mcpcore dispatcher",
        unit="calls/s",
        ops=8_000,
        session=_sequential,
        baseline="floor",
        budget=ROUND_TRIP_BUDGET,
    ),
    Workload(
        key="engine-32",
        name="round trip, 32 in flight",
        transport="memory+codec",
        implementation="mcpcore dispatcher",
        unit="calls/s",
        ops=16_000,
        session=_concurrent(32),
        baseline="floor",
    ),
]
