"""One MCP session over Streamable HTTP, as the dispatcher's transport.

Over stdio a session is one pipe each way. Over Streamable HTTP it is a crowd of short HTTP
exchanges: every client message is a POST of its own, a POST that carries requests is answered
by a stream (SSE) or a JSON body that carries their answers, and the server may keep one more
stream open on a GET for what it sends of its own accord. :class:`HttpSession` turns that
back into the one ordered channel the dispatcher expects:

* what the client POSTs is fed to the dispatcher (by the ASGI app, through :meth:`feed`);
* what the dispatcher sends is routed by :meth:`send`: an answer to the stream of the POST
  that carried its request; a notification or request made while handling a request (the
  dispatcher names that request, ``related_request_id``) to that request's stream too; the
  rest to the standalone GET stream.

An :class:`SseStream` is a stream of the session, not an HTTP connection: a connection
*attaches* to it and writes out its events, and may break while the stream lives on. With an
event store each event gets an id (``<stream>/<seq>``) and is remembered, so a client that
lost the connection reattaches with ``GET`` + ``Last-Event-ID`` and gets what it missed,
answers included: an answer is never lost because a connection broke. Without a store a
broken stream cannot be resumed, so the requests it owes answers to are cancelled (nobody can
receive their answers), exactly as if the client had sent ``notifications/cancelled``.

The session knows nothing of HTTP: it hands encoded SSE bytes (or, for JSON-response POSTs,
the encoded answers) to whatever writes the connection, which is the app's business.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import anyio

from mcpcore.dispatcher import Incoming, Receiver
from mcpcore.errors import ConnectionClosed
from mcpcore.wire import (
    ErrorResponse,
    Message,
    Notification,
    Request,
    RequestId,
    Response,
    encode,
    is_request_id,
)

from ._events import EventStore, format_event_id

__all__ = ["GET_STREAM", "HttpSession", "SseStream", "pump", "sse_event"]

_log = logging.getLogger("mcpcore.http")

GET_STREAM = "0"
"""The id of a session's standalone (GET) stream; POST streams are numbered from 1."""


class SseStream:
    """One stream of a session: a POST's answer stream, or the session's GET stream.

    ``owed`` holds the ids of the requests whose answers it still carries; the stream is
    ``finished`` once they are all queued (the GET stream owes nothing and never finishes).
    ``json`` streams collect the encoded answers in ``replies`` for a JSON body instead.
    """

    __slots__ = (
        "_drained",
        "_wake",
        "aliases",
        "answers_only",
        "attached",
        "closed",
        "finished",
        "id",
        "json",
        "kicked",
        "outbox",
        "owed",
        "replies",
        "resumable",
        "seq",
    )

    def __init__(
        self, id: str, owed: Iterable[RequestId] = (), *, json: bool = False, resumable: bool = False
    ):
        self.id = id
        self.owed: set[RequestId] = set(owed)
        # The client's own ids of the requests, when the session renamed them (a session
        # shared by many stateless POSTs gives each request an id unique within it).
        self.aliases: dict[RequestId, RequestId] | None = None
        self.json = json
        self.resumable = resumable
        self.seq = 0  # the last event number given out
        self.outbox: list[tuple[int, bytes]] = []  # (seq, message) not yet written
        self.replies: list[bytes] = []  # JSON streams: the encoded answers, in order
        self.answers_only = True  # nothing but answers went into it (so far): JSON can carry it
        self.attached = False  # a connection writes this stream now
        self.finished = False  # everything it owes is queued
        self.closed = False  # it ends now, whatever it owes (session closed, or server kicked it)
        self.kicked: bytes | None = None  # set to end the current connection early (polling)
        self._wake: anyio.Event | None = None
        self._drained: anyio.Event | None = None

    def wake(self) -> None:
        if self._wake is not None:
            self._wake.set()

    async def wait(self, timeout: float) -> bool:
        """Wait until there is something to do; False when ``timeout`` passed with nothing."""
        if self.outbox or self.finished or self.closed or self.kicked is not None:
            return True
        self._wake = event = anyio.Event()
        with anyio.move_on_after(timeout):
            await event.wait()
        self._wake = None
        return event.is_set()

    async def wait_finished(self) -> None:
        """Wait until every answer this stream owes is in (or it was closed)."""
        while not (self.finished or self.closed):
            await self.wait(math.inf)

    def take(self) -> bytes:
        """Everything queued, as one chunk of SSE events to write."""
        with_id = self.resumable
        chunk = b"".join(sse_event(self.id, seq, data, with_id) for seq, data in self.outbox)
        self.outbox.clear()
        if self._drained is not None:
            self._drained.set()
            self._drained = None
        return chunk

    async def wait_drained(self) -> None:
        if self._drained is None:
            self._drained = anyio.Event()
        await self._drained.wait()

    def detach(self) -> None:
        self.attached = False
        self.kicked = None
        if self._drained is not None:  # senders waiting for room go on: what is queued is stored
            self._drained.set()
            self._drained = None


class HttpSession:
    """The dispatcher's transport for one MCP session over Streamable HTTP.

    * ``id``: the session id (None in stateless mode, where a session lives for one POST);
    * ``store``: where events are kept for resumption (None: streams cannot be resumed);
    * ``max_outbox``: the events an attached stream may hold unwritten before the sender waits
      (a client that reads slowly slows the server down instead of growing its memory); a
      stream nobody is attached to keeps at most this many (the oldest go; they are in the
      store when there is one);
    """

    allow_batch: bool  # set by the protocol layer: whether POST bodies may be batches

    def __init__(
        self,
        id: str | None,
        *,
        store: EventStore | None = None,
        max_outbox: int = 1000,
        retry_ms: int = 1000,
        standalone: bool = True,
    ) -> None:
        self.id = id
        self.retry_ms = retry_ms
        self.standalone = standalone  # False: no GET stream; what would go there is dropped
        self.allow_batch = False
        self.store = store if id is not None else None
        self.max_outbox = max_outbox
        self.principal: Any = None
        # Per request, for a session shared by requests of several clients (the modern era).
        self.principals: dict[RequestId, Any] = {}
        self.client_ids: dict[RequestId, RequestId] = {}  # our id of a request -> the client's
        self.routes: dict[RequestId, SseStream] = {}
        self.streams: dict[str, SseStream] = {}
        self.get_stream = SseStream(GET_STREAM, resumable=self.store is not None)
        self.streams[GET_STREAM] = self.get_stream
        self._next_stream = 1
        self._receiver: Receiver | None = None
        self._attached = anyio.Event()
        self._closed = anyio.Event()
        self.is_closed = False

    def principal_of(self, request_id: RequestId) -> Any:
        """Who sent request ``request_id``: its own principal when known, else the session's."""
        return self.principals.get(request_id, self.principal)

    def client_id_of(self, request_id: RequestId) -> RequestId:
        """The id the client gave request ``request_id`` (they differ in a shared session)."""
        return self.client_ids.get(request_id, request_id)

    # -- the dispatcher's side ------------------------------------------------------------------

    async def run(self, receiver: Receiver) -> None:
        self._receiver = receiver
        self._attached.set()
        await self._closed.wait()

    async def aclose(self) -> None:
        if self.is_closed:
            return
        self.is_closed = True
        self._closed.set()
        self._attached.set()
        for stream in {*self.streams.values(), *self.routes.values()}:  # JSON streams are only routed
            stream.closed = True
            stream.wake()
            stream.detach()
        if self.store is not None and self.id is not None:
            try:
                await self.store.forget(self.id)
            except Exception:
                _log.warning("the event store failed to forget a session", exc_info=True)

    async def send(
        self, message: Message | list[Message], related_request_id: RequestId | None = None
    ) -> None:
        if self.is_closed:
            raise ConnectionClosed("Connection closed: the HTTP session ended")
        if isinstance(message, list):
            await self._send_batch(message)
            return
        if isinstance(message, (Response, ErrorResponse)):
            stream = None if message.id is None else self.routes.pop(message.id, None)
            if stream is None:
                # Its stream is gone (a stateless POST that ended, or an id we never routed).
                _log.debug("dropping an answer to request %r: no stream owes it", message.id)
                return
            stream.owed.discard(message.id)
            await self._deliver(stream, _renamed(message, stream.aliases))
            if not stream.owed:
                self._finish(stream)
            return
        stream = None if related_request_id is None else self.routes.get(related_request_id)
        if stream is not None and not stream.json:
            await self._deliver(stream, message)
        elif isinstance(message, Request) or related_request_id is None:
            # A request must reach the client somehow; and what relates to no request goes to
            # the GET stream, where it waits (bounded) for a client that has not opened one.
            await self._deliver(self.get_stream, message)
        else:
            _log.debug("dropping %s: the stream of request %r is gone", message.method, related_request_id)

    async def _send_batch(self, messages: list[Message]) -> None:
        stream = None
        for message in messages:
            if isinstance(message, (Response, ErrorResponse)) and message.id is not None:
                owner = self.routes.pop(message.id, None)
                if owner is not None:
                    owner.owed.discard(message.id)
                    stream = stream or owner
        if stream is None:
            _log.debug("dropping a batch answer: no stream owes it")
            return
        await self._deliver(stream, [_renamed(m, stream.aliases) for m in messages])
        if not stream.owed:
            self._finish(stream)

    async def _deliver(self, stream: SseStream, message: Message | list[Message]) -> None:
        if stream is self.get_stream and not self.standalone:
            _log.debug("dropping a message for the GET stream: this session has none")
            return
        data = encode(message)
        if stream.json:
            stream.replies.append(data)
            return
        if stream.closed:
            return
        if not isinstance(message, (Response, ErrorResponse, list)):
            stream.answers_only = False
        stream.seq = seq = stream.seq + 1
        if stream.resumable and self.store is not None and self.id is not None:
            try:
                await self.store.append(self.id, stream.id, seq, data)
            except Exception:
                _log.warning("the event store failed to keep an event", exc_info=True)
        if stream.attached or (not stream.resumable and stream is not self.get_stream):
            # A stream that cannot be replayed waits for room rather than lose events (its POST
            # attaches a connection straight away); the wait ends with the connection or stream.
            while len(stream.outbox) >= self.max_outbox and not stream.closed:
                if not stream.attached and stream.resumable:
                    break
                await stream.wait_drained()
            if len(stream.outbox) >= self.max_outbox:
                del stream.outbox[0]
        elif len(stream.outbox) >= self.max_outbox:
            del stream.outbox[0]
            _log.warning("stream %s of a session has no reader: dropped its oldest unsent event", stream.id)
        stream.outbox.append((seq, data))
        stream.wake()

    def _finish(self, stream: SseStream) -> None:
        stream.finished = True
        stream.wake()
        if not stream.attached and stream.id != GET_STREAM:
            # Nobody is writing it: a connection that attaches later has the object already,
            # and a client resuming it is served from the event store.
            self.streams.pop(stream.id, None)

    # -- the app's side -------------------------------------------------------------------------

    def open_stream(
        self,
        ids: Iterable[RequestId],
        *,
        json: bool,
        resumable: bool,
        aliases: dict[RequestId, RequestId] | None = None,
    ) -> SseStream:
        """A stream that will carry the answers to ``ids`` (all new: check :meth:`owes` first).

        ``aliases`` maps ids given to the dispatcher to the client's own, for the answers.
        """
        stream = SseStream(
            str(self._next_stream), ids, json=json, resumable=resumable and self.store is not None
        )
        stream.aliases = aliases
        self._next_stream += 1
        for rid in stream.owed:
            self.routes[rid] = stream
        if not stream.json:
            self.streams[stream.id] = stream
        return stream

    def owes(self, rid: RequestId) -> bool:
        """Whether request ``rid`` is still waiting for its answer in this session."""
        return rid in self.routes

    def end_stream(self, stream: SseStream) -> None:
        """Forget a stream that needs no more writing (finished and written, or abandoned)."""
        if stream.id != GET_STREAM:
            self.streams.pop(stream.id, None)
        for rid in [rid for rid, s in self.routes.items() if s is stream]:
            del self.routes[rid]

    async def abandon(self, stream: SseStream, reason: str) -> None:
        """The connection of a stream that cannot be resumed broke: cancel what it owes.

        No one could ever receive those answers. The requests are cancelled the way a client's
        ``notifications/cancelled`` would cancel them, and the session goes on.
        """
        owed = list(stream.owed)
        self.end_stream(stream)
        stream.closed = True
        stream.detach()  # senders waiting for room in it go on
        receiver = self._receiver
        if receiver is None or self.is_closed:
            return
        for rid in owed:
            await receiver.feed(Notification("notifications/cancelled", {"requestId": rid, "reason": reason}))

    async def feed(self, item: Incoming) -> None:
        """Hand one decoded POST body to the dispatcher."""
        if self._receiver is None:
            await self._attached.wait()
        if self._receiver is None or self.is_closed:
            raise ConnectionClosed("Connection closed: the HTTP session ended")
        await self._receiver.feed(item)
        for message in item if isinstance(item, list) else (item,):
            if isinstance(message, Notification) and message.method == "notifications/cancelled":
                self._cancelled(message.params)

    def _cancelled(self, params: Any) -> None:
        """A cancelled request gets no answer: the stream that owed it owes it no more."""
        rid = params.get("requestId") if isinstance(params, dict) else None
        stream = self.routes.pop(rid, None) if is_request_id(rid) else None
        if stream is not None:
            stream.owed.discard(rid)
            if not stream.owed:
                self._finish(stream)

    def kick(self, related_request_id: RequestId, retry_ms: int | None = None) -> bool:
        """End the connection of the stream that carries ``related_request_id`` (SSE polling).

        The stream lives on: the client waits ``retry_ms`` and resumes it with ``GET`` and
        ``Last-Event-ID``. Only streams that can be resumed can be kicked; returns whether
        this one was.
        """
        stream = self.routes.get(related_request_id)
        if stream is None or stream.json or not stream.resumable:
            return False
        stream.kicked = b"retry: %d\n\n" % (self.retry_ms if retry_ms is None else retry_ms)
        stream.wake()
        return True


def _renamed(message: Message, aliases: dict[RequestId, RequestId] | None) -> Message:
    """An answer under the id its client gave the request (see ``SseStream.aliases``)."""
    if aliases is None or not isinstance(message, (Response, ErrorResponse)) or message.id not in aliases:
        return message
    if isinstance(message, Response):
        return Response(aliases[message.id], message.result)
    return ErrorResponse(aliases[message.id], message.code, message.message, message.data)


def sse_event(stream: str, seq: int, data: bytes, with_id: bool) -> bytes:
    """One ``message`` event carrying ``data``; with its id when the stream can be resumed."""
    if with_id:
        return b"id: " + format_event_id(stream, seq).encode() + b"\nevent: message\ndata: " + data + b"\n\n"
    return b"event: message\ndata: " + data + b"\n\n"


async def pump(
    stream: SseStream,
    write: Callable[[bytes], Awaitable[None]],
    *,
    keepalive: float,
) -> str:
    """Write ``stream`` to one connection until it ends; says why: finished, closed or kicked.

    Every wait is bounded by ``keepalive``: after that long without an event a comment line
    goes out, which keeps proxies from cutting an idle stream and finds a dead client.
    """
    while True:
        if stream.outbox:
            await write(stream.take())
            continue
        if stream.kicked is not None:
            await write(stream.kicked)
            return "kicked"
        if stream.finished:
            return "finished"
        if stream.closed:
            return "closed"
        if not await stream.wait(keepalive):
            await write(b": keep-alive\n\n")
