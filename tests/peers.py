"""Test helpers: a raw JSON-RPC peer, to speak to a Dispatcher message by message."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from mcpcore.dispatcher import Dispatcher, Incoming
from mcpcore.wire import Message, Notification, Request, Response
from transports.memory import MemoryTransport, create_pair

T = TypeVar("T")


class RawPeer:
    """The far end of a memory transport, driven by hand: send messages, await what arrives."""

    def __init__(self, transport: MemoryTransport) -> None:
        self.transport = transport
        self._send: MemoryObjectSendStream[Incoming]
        self._receive: MemoryObjectReceiveStream[Incoming]
        self._send, self._receive = anyio.create_memory_object_stream(math.inf)
        self.received: list[Incoming] = []

    def close(self) -> None:
        self._send.close()
        self._receive.close()

    async def feed(self, item: Incoming) -> None:
        self.received.append(item)
        await self._send.send(item)

    async def send(self, message: Message | list[Message]) -> None:
        await self.transport.send(message)

    async def receive(self, timeout: float = 5) -> Incoming:
        with anyio.fail_after(timeout):
            return await self._receive.receive()

    async def receive_a(self, kind: type[T], timeout: float = 5) -> T:
        """The next message, which must be a ``kind``."""
        item = await self.receive(timeout)
        assert isinstance(item, kind), f"expected a {kind.__name__}, got {item!r}"
        return item

    def pending(self) -> int:
        """Messages that arrived and were not yet taken with receive()."""
        return self._receive.statistics().current_buffer_used

    async def expect_nothing(self, wait: float = 0.1) -> None:
        """Let the loop run a little, then check that nothing more arrived."""
        await anyio.sleep(wait)
        assert self.pending() == 0, f"unexpected: {self.received[-self.pending() :]}"

    async def request(self, rid: Any, method: str, params: Any = None) -> Incoming:
        await self.send(Request(rid, method, params))
        return await self.receive()

    async def notify(self, method: str, params: Any = None) -> None:
        await self.send(Notification(method, params))

    async def answer(self, rid: Any, result: Any) -> None:
        await self.send(Response(rid, result))


@asynccontextmanager
async def dispatcher_and_raw_peer(
    *, codec: bool = True, allow_batch: bool = False, **options: Any
) -> AsyncIterator[tuple[Dispatcher, RawPeer]]:
    """A Dispatcher on one end of a memory pair, a RawPeer on the other."""
    ours, theirs = create_pair(codec=codec, allow_batch=allow_batch)
    peer = RawPeer(theirs)
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(theirs.run, peer)
            async with Dispatcher(ours, **options) as dispatcher:
                yield dispatcher, peer
            tg.cancel_scope.cancel()
    finally:
        peer.close()


@asynccontextmanager
async def dispatcher_pair(**options: Any) -> AsyncIterator[tuple[Dispatcher, Dispatcher]]:
    """Two Dispatchers on a memory pair with the codec on: (client, server)."""
    a, b = create_pair(codec=True)
    async with Dispatcher(a, **options) as client, Dispatcher(b, **options) as server:
        yield client, server
