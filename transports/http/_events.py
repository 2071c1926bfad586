"""Where SSE events wait for a client that lost its stream and comes back for them.

Streamable HTTP (2025-03-26 to 2025-11-25) lets a client resume a broken SSE stream: it
reconnects with ``GET`` and the id of the last event it saw in ``Last-Event-ID``, and the
server replays what came after, on that stream only. So the server must remember what it sent,
per stream, for a while. The :class:`EventStore` protocol is that memory; the session layer
appends every event it sends and asks for the tail when a client resumes.

Event ids are made by the session layer, not the store: ``<stream>/<seq>``, with a stream id
unique within its session and a sequence number that counts the events of that stream from 1.
So an id names its stream (2025-11-25 asks for that), and a store only keeps, per session and
stream, a list of ``(seq, data)``. The methods are async so that a store in Redis or a database
fits the same interface.

:class:`MemoryEventStore` is the default: bounded per stream and per session, so a client that
never comes back costs a fixed amount, and forgotten as soon as the session ends. A bound that
is reached drops the oldest events; a client that resumes from before them gets what is left,
and the gap is logged.
"""

from __future__ import annotations

import logging
from collections import OrderedDict, deque
from typing import Protocol

__all__ = ["EventStore", "MemoryEventStore", "format_event_id", "parse_event_id"]

_log = logging.getLogger("mcpcore.http")


def format_event_id(stream: str, seq: int) -> str:
    return f"{stream}/{seq}"


def parse_event_id(event_id: str) -> tuple[str, int] | None:
    """``(stream, seq)`` of an id made by :func:`format_event_id`, or None for anything else."""
    stream, sep, seq = event_id.rpartition("/")
    if not sep or not stream or not seq.isdigit() or len(seq) > 18:
        return None
    return stream, int(seq)


class EventStore(Protocol):
    """Remembers the events of each SSE stream of each session, for replay."""

    async def append(self, session: str, stream: str, seq: int, data: bytes) -> None:
        """Keep event ``seq`` of ``stream`` (``data`` is the JSON-RPC message it carried)."""
        ...

    async def replay(self, session: str, stream: str, after: int) -> list[tuple[int, bytes]] | None:
        """The events of ``stream`` after ``after``, oldest first; None if the stream is unknown."""
        ...

    async def forget(self, session: str, stream: str | None = None) -> None:
        """Drop one stream of a session, or (``stream=None``) the whole session."""
        ...


class MemoryEventStore:
    """An in-process :class:`EventStore`, bounded.

    * ``max_events_per_stream``: the events kept per stream (the oldest go first);
    * ``max_streams_per_session``: streams kept per session (the least recently written go first);
    * ``max_sessions``: sessions kept (the least recently written go first).
    """

    def __init__(
        self,
        *,
        max_events_per_stream: int = 1000,
        max_streams_per_session: int = 256,
        max_sessions: int = 10_000,
    ) -> None:
        for name, value in (
            ("max_events_per_stream", max_events_per_stream),
            ("max_streams_per_session", max_streams_per_session),
            ("max_sessions", max_sessions),
        ):
            if value < 1:
                raise ValueError(f"{name} must be at least 1, not {value}")
        self.max_events_per_stream = max_events_per_stream
        self.max_streams_per_session = max_streams_per_session
        self.max_sessions = max_sessions
        self._sessions: OrderedDict[str, OrderedDict[str, deque[tuple[int, bytes]]]] = OrderedDict()

    async def append(self, session: str, stream: str, seq: int, data: bytes) -> None:
        streams = self._sessions.get(session)
        if streams is None:
            streams = self._sessions[session] = OrderedDict()
            if len(self._sessions) > self.max_sessions:
                self._sessions.popitem(last=False)
        else:
            self._sessions.move_to_end(session)
        events = streams.get(stream)
        if events is None:
            events = streams[stream] = deque(maxlen=self.max_events_per_stream)
            if len(streams) > self.max_streams_per_session:
                streams.popitem(last=False)
        else:
            streams.move_to_end(stream)
        events.append((seq, data))

    async def replay(self, session: str, stream: str, after: int) -> list[tuple[int, bytes]] | None:
        streams = self._sessions.get(session)
        events = None if streams is None else streams.get(stream)
        if events is None:
            return None
        tail = [event for event in events if event[0] > after]
        if tail and tail[0][0] != after + 1:
            _log.warning(
                "replaying stream %s of a session from event %d: events %d to %d were dropped (store bound)",
                stream,
                after,
                after + 1,
                tail[0][0] - 1,
            )
        return tail

    async def forget(self, session: str, stream: str | None = None) -> None:
        if stream is None:
            self._sessions.pop(session, None)
            return
        streams = self._sessions.get(session)
        if streams is not None:
            streams.pop(stream, None)
