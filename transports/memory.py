"""Two connected in-memory endpoints, for tests and for embedding a server in its client.

``a, b = create_pair()`` gives two transports wired to each other: what one sends, the other
receives. With ``codec=True`` (the default) every message is encoded to bytes and decoded
again on the way, exactly as on a real wire, so tests exercise the codec, its checks and its
errors; ``codec=False`` hands the message objects across untouched, for embedding where that
work is wasted.

Delivery is direct: ``send`` on one end calls ``feed`` of the receiver attached to the other
end, in the sending task, with no queue and no reader task in between. Order is therefore the
order of ``send`` calls, and backpressure is immediate: when the receiving dispatcher is at its
concurrency limit, the sender waits. A message sent before the other end has a receiver waits
for it to attach.
"""

from __future__ import annotations

import anyio

from mcpcore.dispatcher import Incoming, Receiver
from mcpcore.errors import ConnectionClosed
from mcpcore.wire import DecodeError, Message, RequestId, decode, encode

__all__ = ["MemoryTransport", "create_pair"]


class MemoryTransport:
    """One end of an in-memory connection. Make them with :func:`create_pair`.

    ``allow_batch`` says whether this end accepts JSON-RPC batches (the protocol layer turns
    it on when MCP 2025-03-26 is negotiated); with the codec on, a batch sent to an end that
    refuses them arrives as the decode error a real wire would give.
    """

    def __init__(self, *, codec: bool = True, allow_batch: bool = False) -> None:
        self.codec = codec
        self.allow_batch = allow_batch
        self._peer: MemoryTransport | None = None
        self._receiver: Receiver | None = None
        self._attached: anyio.Event | None = None
        self._closed: anyio.Event | None = None
        self._is_closed = False

    def _attached_event(self) -> anyio.Event:
        if self._attached is None:
            self._attached = anyio.Event()
        return self._attached

    def _closed_event(self) -> anyio.Event:
        if self._closed is None:
            self._closed = anyio.Event()
        return self._closed

    async def send(
        self, message: Message | list[Message], related_request_id: RequestId | None = None
    ) -> None:
        peer = self._peer
        if peer is None:
            raise RuntimeError("this transport is not connected; use create_pair()")
        if self._is_closed or peer._is_closed:
            raise ConnectionClosed("Connection closed")
        item: Incoming
        if self.codec:
            data = encode(message)  # EncodeError reaches the sender, as it would on any wire
            try:
                item = decode(data, allow_batch=peer.allow_batch)
            except DecodeError as exc:
                item = exc
        else:
            item = list(message) if isinstance(message, list) else message
        receiver = peer._receiver
        if receiver is None:
            await peer._attached_event().wait()
            receiver = peer._receiver
            if receiver is None:  # closed before it attached
                raise ConnectionClosed("Connection closed")
        await receiver.feed(item)

    async def run(self, receiver: Receiver) -> None:
        if self._receiver is not None:
            raise RuntimeError("this transport already has a receiver")
        if self._is_closed:
            return
        self._receiver = receiver
        self._attached_event().set()
        await self._closed_event().wait()

    async def aclose(self) -> None:
        """Close both ends: each side's ``run`` returns, as at the end of a real stream."""
        for end in (self, self._peer):
            if end is not None and not end._is_closed:
                end._is_closed = True
                end._closed_event().set()
                end._attached_event().set()  # release senders still waiting for a receiver


def create_pair(*, codec: bool = True, allow_batch: bool = False) -> tuple[MemoryTransport, MemoryTransport]:
    """Two connected transports: what one sends, the other receives."""
    a = MemoryTransport(codec=codec, allow_batch=allow_batch)
    b = MemoryTransport(codec=codec, allow_batch=allow_batch)
    a._peer = b
    b._peer = a
    return a, b
