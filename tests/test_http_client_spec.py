"""The client side of Streamable HTTP, rule by rule, against a fake server that records everything.

A second opinion written from the transport pages of 2024-11-05 to 2025-11-25, not from the
client's code. What a client does is seen best from the server's chair, so the server here is
a small fake on anyio's TCP listener and h11: it writes exactly the bytes a test wants (JSON
answers, SSE streams with comments, priming events and ``retry``, a connection cut in the
middle of a stream, the old HTTP+SSE ``endpoint`` event) and keeps every request it receives,
headers and body, for the assertions. The client is the real one: ``Client`` over
``StreamableHttpTransport``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
import anyio.abc
import h11
import orjson
import pytest

from tests.legacy import LegacyClient as Client
from transports.http import StreamableHttpTransport

pytestmark = pytest.mark.anyio

NEWEST = "2025-11-25"


# --- the fake server -----------------------------------------------------------------------------


@dataclass
class Seen:
    """One request as the fake server received it."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def message(self) -> Any:
        return orjson.loads(self.body) if self.body else None

    @property
    def rpc_method(self) -> str | None:
        message = self.message
        return message.get("method") if isinstance(message, dict) else None


class Reply:
    """The fake server's side of one exchange: a whole answer, or an SSE stream written bit by bit."""

    def __init__(self, stream: anyio.abc.ByteStream, connection: h11.Connection) -> None:
        self._stream = stream
        self._connection = connection
        self.cut_off = False

    async def _write(self, event: h11.Event) -> None:
        data = self._connection.send(event)
        if data:
            await self._stream.send(data)

    async def whole(self, status: int, body: Any = None, headers: Iterable[tuple[str, str]] = ()) -> None:
        data = b"" if body is None else body if isinstance(body, bytes) else orjson.dumps(body)
        head = [("content-length", str(len(data))), *headers]
        if body is not None and not any(name == "content-type" for name, _ in head):
            head.append(("content-type", "application/json"))
        await self._write(h11.Response(status_code=status, headers=head))
        if data:
            await self._write(h11.Data(data=data))
        await self._write(h11.EndOfMessage())

    async def start_sse(self, headers: Iterable[tuple[str, str]] = ()) -> None:
        head = [("content-type", "text/event-stream"), ("cache-control", "no-cache"), *headers]
        await self._write(h11.Response(status_code=200, headers=head))

    async def sse(self, raw: bytes) -> None:
        await self._write(h11.Data(data=raw))

    async def end(self) -> None:
        await self._write(h11.EndOfMessage())

    async def cut(self) -> None:
        """Close the connection in the middle of the answer, as a network failure or a polling server does."""
        self.cut_off = True
        await self._stream.aclose()


Handler = Callable[[Seen, Reply], Awaitable[None]]


def event(message: Any, *, id: str | None = None, retry: int | None = None, name: str | None = None) -> bytes:
    head = b""
    if name is not None:
        head += b"event: " + name.encode() + b"\n"
    if id is not None:
        head += b"id: " + id.encode() + b"\n"
    if retry is not None:
        head += b"retry: " + str(retry).encode() + b"\n"
    data = message if isinstance(message, bytes) else orjson.dumps(message)
    return head + b"data: " + data + b"\n\n"


def text_of(result: Mapping[str, Any]) -> str:
    return str(result["content"][0]["text"])


def log(data: Any) -> Any:
    return {"jsonrpc": "2.0", "method": "notifications/message", "params": {"level": "info", "data": data}}


def response(request: Seen, result: Any) -> Any:
    return {"jsonrpc": "2.0", "id": request.message["id"], "result": result}


@dataclass
class Fake:
    """A scripted MCP server: default answers for the handshake, overridable per method."""

    version: str = NEWEST
    sessions: bool = True
    seen: list[Seen] = field(default_factory=list)
    on: dict[str, Handler] = field(default_factory=dict)
    get: Handler | None = None
    route: Handler | None = None  # when set, answers every request in place of the MCP defaults
    issued: list[str] = field(default_factory=list)
    expired: set[str] = field(default_factory=set)
    url: str = ""
    release: anyio.Event = field(default_factory=anyio.Event)

    def requests(self, method: str | None = None, rpc: str | None = None) -> list[Seen]:
        return [
            s
            for s in self.seen
            if (method is None or s.method == method) and (rpc is None or s.rpc_method == rpc)
        ]

    def after_initialize(self) -> list[Seen]:
        """Every request after the first initialize, in order."""
        first = next(i for i, s in enumerate(self.seen) if s.rpc_method == "initialize")
        return self.seen[first + 1 :]

    async def handle(self, request: Seen, reply: Reply) -> None:
        if self.route is not None:
            await self.route(request, reply)
            return
        session = request.headers.get("mcp-session-id")
        if session is not None and session in self.expired:
            await reply.whole(404, {"jsonrpc": "2.0", "error": {"code": -32001, "message": "no session"}})
            return
        if request.method == "DELETE":
            await reply.whole(200)
        elif request.method == "GET":
            if self.get is None:
                await reply.whole(405, headers=[("allow", "POST, DELETE")])
            else:
                await self.get(request, reply)
        elif request.method != "POST":
            await reply.whole(405)
        elif request.rpc_method is None or "id" not in request.message:
            await reply.whole(202)
        else:
            await self.on.get(request.rpc_method, self.default)(request, reply)

    async def default(self, request: Seen, reply: Reply) -> None:
        method = request.rpc_method
        if method == "initialize":
            headers = []
            if self.sessions:
                self.issued.append(f"session-{len(self.issued) + 1}")
                headers.append(("mcp-session-id", self.issued[-1]))
            result = {
                "protocolVersion": self.version,
                "capabilities": {"tools": {}, "logging": {}},
                "serverInfo": {"name": "fake", "version": "0"},
            }
            await reply.whole(200, response(request, result), headers)
        elif method == "tools/call":
            await reply.whole(200, response(request, {"content": [{"type": "text", "text": "ok"}]}))
        elif method == "tools/list":
            await reply.whole(200, response(request, {"tools": []}))
        else:
            await reply.whole(200, response(request, {}))

    async def connection(self, stream: anyio.abc.ByteStream) -> None:
        conn = h11.Connection(h11.SERVER)
        async with stream:
            for _ in range(10_000):
                head: h11.Request | None = None
                body = bytearray()
                while True:
                    item = conn.next_event()
                    if item is h11.NEED_DATA:
                        try:
                            conn.receive_data(await stream.receive())
                        except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError):
                            return
                    elif isinstance(item, h11.Request):
                        head = item
                    elif isinstance(item, h11.Data):
                        body += item.data
                    elif isinstance(item, h11.EndOfMessage):
                        break
                    else:
                        return
                assert head is not None
                request = Seen(
                    method=head.method.decode(),
                    target=head.target.decode(),
                    headers={k.decode().lower(): v.decode() for k, v in head.headers},
                    body=bytes(body),
                    at=anyio.current_time(),
                )
                self.seen.append(request)
                reply = Reply(stream, conn)
                try:
                    await self.handle(request, reply)
                except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                    return  # the client went away in the middle of the answer
                if reply.cut_off or conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
                    return
                conn.start_next_cycle()


@asynccontextmanager
async def fake_server(fake: Fake) -> AsyncIterator[Fake]:
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    fake.url = f"http://127.0.0.1:{port}/mcp"
    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, fake.connection)
        try:
            yield fake
        finally:
            fake.release.set()
            tg.cancel_scope.cancel()


def transport(fake: Fake, **options: Any) -> StreamableHttpTransport:
    options.setdefault("backoff", 0.05)
    options.setdefault("max_backoff", 0.2)
    return StreamableHttpTransport(fake.url, **options)


async def wait_for(condition: Callable[[], object], timeout: float = 5.0) -> None:
    with anyio.fail_after(timeout):
        while not condition():  # noqa: ASYNC110 - the fake server's records have no event to wait on
            await anyio.sleep(0.01)


# --- closing -----------------------------------------------------------------------------------------


async def test_leaving_the_client_returns_normally() -> None:
    """Not a spec rule, but what the checks below rely on: leaving ``async with Client(...)`` over HTTP
    returns normally on both backends, so the code after it runs (a cancellation escaping from the close
    would be swallowed by an enclosing task group and silently skip the rest of its block)."""
    fake = Fake()
    after_close: list[int] = []
    async with fake_server(fake):
        for turn in range(5):
            async with Client(transport(fake)) as client:
                await client.ping()
            after_close.append(turn)
    assert after_close == [0, 1, 2, 3, 4]
    assert len(fake.requests("DELETE")) == 5


# --- headers on every request ------------------------------------------------------------------


@pytest.mark.parametrize("version", ["2025-03-26", "2025-06-18", NEWEST])
async def test_posts_accept_both_types_and_are_json(version: str) -> None:
    """All revisions, Sending Messages 1 to 3: every client message is its own POST to the MCP endpoint,
    with ``Accept`` listing ``application/json`` and ``text/event-stream``, and a JSON body; from
    2025-06-18 that body is a single message, never a batch."""
    fake = Fake(version=version)
    async with fake_server(fake), Client(transport(fake)) as client:
        await client.ping()
        await client.call_tool("anything", {})
    posts = fake.requests("POST")
    assert [s.rpc_method for s in posts][:2] == ["initialize", "notifications/initialized"]
    assert {"ping", "tools/call"} <= {s.rpc_method for s in posts}
    for post in posts:
        kinds = {part.split(";")[0].strip().lower() for part in post.headers["accept"].split(",")}
        assert {"application/json", "text/event-stream"} <= kinds, post.headers
        assert post.headers["content-type"].split(";")[0].strip() == "application/json"
        assert post.target == "/mcp"
        if version != "2025-03-26":
            assert isinstance(post.message, dict), post.body


@pytest.mark.parametrize("version", ["2025-03-26", "2025-06-18", NEWEST])
async def test_session_id_on_every_request_after_initialize(version: str) -> None:
    """All revisions, Session Management 2: once initialize's answer carried ``Mcp-Session-Id``, the client
    puts it on all of its later requests (POST, GET and DELETE), and not on initialize itself."""
    fake = Fake(version=version)
    async with fake_server(fake), Client(transport(fake)) as client:
        await client.ping()
    initialize = fake.requests(rpc="initialize")
    assert len(initialize) == 1 and "mcp-session-id" not in initialize[0].headers
    later = fake.after_initialize()
    assert {s.method for s in later} >= {"POST", "DELETE"}
    assert all(s.headers.get("mcp-session-id") == "session-1" for s in later), [s.headers for s in later]


@pytest.mark.parametrize("version", ["2025-06-18", NEWEST])
async def test_protocol_version_header_on_every_request_after_initialize(version: str) -> None:
    """2025-06-18 and 2025-11-25, Protocol Version Header: every request after initialize carries
    ``MCP-Protocol-Version`` with the version negotiated at initialize."""
    fake = Fake(version=version)
    async with fake_server(fake), Client(transport(fake)) as client:
        await client.ping()
        await client.call_tool("anything", {})
    later = fake.after_initialize()
    assert {s.method for s in later} >= {"POST", "GET", "DELETE"}
    assert all(s.headers.get("mcp-protocol-version") == version for s in later), [s.headers for s in later]


async def test_no_session_id_when_none_was_issued() -> None:
    """All revisions, Session Management 1 and 2: the session id is the server's to assign; when
    initialize's answer carries none, no request carries one."""
    fake = Fake(sessions=False)
    async with fake_server(fake), Client(transport(fake)) as client:
        await client.ping()
    assert len(fake.seen) >= 3
    assert all("mcp-session-id" not in s.headers for s in fake.seen)


async def test_get_stream_accepts_event_stream() -> None:
    """All revisions, Listening 2: the client's GET lists ``text/event-stream`` in Accept; a 405 answer
    (no stream offered) leaves the session working."""
    fake = Fake()
    async with fake_server(fake), Client(transport(fake)) as client:
        await wait_for(lambda: fake.requests("GET"))
        await client.ping()
    for get in fake.requests("GET"):
        assert "text/event-stream" in get.headers["accept"].lower()


async def test_delete_with_session_id_on_close() -> None:
    """All revisions, Session Management 5: a client done with its session sends DELETE to the MCP endpoint
    with the session id."""
    fake = Fake()
    async with fake_server(fake), Client(transport(fake)) as client:
        await client.ping()
    deletes = fake.requests("DELETE")
    assert len(deletes) == 1
    assert deletes[0].target == "/mcp" and deletes[0].headers["mcp-session-id"] == "session-1"


# --- answers: JSON or SSE ----------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8"])
async def test_json_answer(content_type: str) -> None:
    """All revisions, Sending Messages 5: the client supports an answer given as one JSON object."""

    async def answer(request: Seen, reply: Reply) -> None:
        body = response(request, {"content": [{"type": "text", "text": "json ünïcode"}]})
        await reply.whole(200, body, [("content-type", content_type)])

    fake = Fake(on={"tools/call": answer})
    async with fake_server(fake), Client(transport(fake)) as client:
        result = await client.call_tool("t", {})
    assert text_of(result) == "json ünïcode"


async def test_sse_answer_with_notifications_before_the_response() -> None:
    """All revisions, Sending Messages 5 and 6: the client supports an SSE answer, taking the server's
    notifications on it before the response (log messages here), then the response."""

    async def answer(request: Seen, reply: Reply) -> None:
        await reply.start_sse()
        for n in range(3):
            await reply.sse(event(log(n)))
        await reply.sse(event(response(request, {"content": [{"type": "text", "text": "streamed"}]})))
        await reply.end()

    logs: list[Any] = []
    fake = Fake(on={"tools/call": answer})
    async with fake_server(fake), Client(transport(fake), on_log=logs.append) as client:
        result = await client.call_tool("t", {})
        await wait_for(lambda: len(logs) == 3)
    assert text_of(result) == "streamed"
    assert [entry["data"] for entry in logs] == [0, 1, 2]


async def test_batched_messages_on_a_2025_03_26_stream() -> None:
    """2025-03-26, Sending Messages 6: the server's notifications and responses on an SSE stream may come
    batched, several in one JSON array; the client takes each of them."""

    async def answer(request: Seen, reply: Reply) -> None:
        await reply.start_sse()
        await reply.sse(event([log("a"), log("b")]))
        final = response(request, {"content": [{"type": "text", "text": "batched"}]})
        await reply.sse(event([log("c"), final]))
        await reply.end()

    logs: list[Any] = []
    fake = Fake(version="2025-03-26", on={"tools/call": answer})
    async with fake_server(fake), Client(transport(fake), on_log=logs.append) as client:
        result = await client.call_tool("t", {})
        await wait_for(lambda: len(logs) == 3)
    assert text_of(result) == "batched"
    assert [entry["data"] for entry in logs] == ["a", "b", "c"]


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"])
async def test_sse_comments_and_priming_events_are_ignored(newline: bytes) -> None:
    """2025-11-25, Sending Messages 6: the client copes with an SSE stream that starts with a priming event
    (an id and empty data) and carries comment lines; neither is a message. Any of the three SSE line
    endings may be used."""

    async def answer(request: Seen, reply: Reply) -> None:
        await reply.start_sse()
        parts = [
            b": opening comment\n\n",
            b"id: prime-0\nretry: 500\ndata:\n\n",
            b": keep-alive\n",
            b"id: prime-1\ndata: \n\n",
            event(response(request, {"content": [{"type": "text", "text": "after priming"}]}), id="r-1"),
        ]
        await reply.sse(b"".join(parts).replace(b"\n", newline))
        await reply.end()

    fake = Fake(on={"tools/call": answer})
    async with fake_server(fake), Client(transport(fake)) as client:
        result = await client.call_tool("t", {})
        await client.ping()
    assert text_of(result) == "after priming"


# --- broken streams and resumption ------------------------------------------------------------------


@pytest.mark.parametrize("retry_ms", [400, None])
async def test_broken_post_stream_resumed_after_retry_with_last_event_id(retry_ms: int | None) -> None:
    """2025-11-25, Sending Messages 6 and Resumability 2: when the connection of a POST's stream ends before
    the response, the client "polls": it waits the ``retry`` milliseconds the server set (if it set any),
    then resumes with a GET carrying ``Last-Event-ID`` (the last id received), and does not send the
    request again."""
    cut_at: list[float] = []

    async def answer(request: Seen, reply: Reply) -> None:
        await reply.start_sse()
        retry = b"" if retry_ms is None else f"retry: {retry_ms}\n".encode()
        await reply.sse(b"id: s1-0\n" + retry + b"data:\n\n")
        await reply.sse(event(log("p"), id="s1-1"))
        cut_at.append(anyio.current_time())
        await reply.cut()

    async def resume(request: Seen, reply: Reply) -> None:
        if "last-event-id" not in request.headers:
            await reply.whole(405)
            return
        call = fake.requests(rpc="tools/call")[0]
        await reply.start_sse()
        await reply.sse(event(response(call, {"content": [{"type": "text", "text": "resumed"}]}), id="s1-2"))
        await reply.end()

    fake = Fake(on={"tools/call": answer}, get=resume)
    async with fake_server(fake), Client(transport(fake)) as client:
        result = await client.call_tool("t", {})
    assert text_of(result) == "resumed"
    resumptions = [s for s in fake.requests("GET") if "last-event-id" in s.headers]
    assert len(resumptions) == 1
    assert resumptions[0].headers["last-event-id"] == "s1-1"
    assert resumptions[0].headers["mcp-session-id"] == "session-1"
    assert "text/event-stream" in resumptions[0].headers["accept"]
    assert len(fake.requests(rpc="tools/call")) == 1
    if retry_ms is not None:
        # ``retry`` is a floor on the wait: a reconnection sooner than it would be the bug.
        assert resumptions[0].at - cut_at[0] >= retry_ms / 1000 - 0.02


async def test_broken_get_stream_resumed_with_last_event_id() -> None:
    """2025-11-25, Listening 4 and Resumability 2: a GET stream whose connection ends is resumed the same
    way, with a GET carrying the last ``Last-Event-ID`` received on it."""
    changes: list[str] = []

    async def listen(request: Seen, reply: Reply) -> None:
        await reply.start_sse()
        if "last-event-id" not in request.headers:
            await reply.sse(b"id: g-0\nretry: 50\ndata:\n\n")
            changed = {"jsonrpc": "2.0", "method": "notifications/tools/list_changed"}
            await reply.sse(event(changed, id="g-1"))
            await reply.cut()
        else:
            with anyio.move_on_after(10):
                await fake.release.wait()
            await reply.end()

    fake = Fake(get=listen)
    async with fake_server(fake), Client(transport(fake), on_list_changed=changes.append):
        await wait_for(lambda: any("last-event-id" in s.headers for s in fake.requests("GET")))
        await wait_for(lambda: changes == ["tools"])
        fake.release.set()
    resumed = [s for s in fake.requests("GET") if "last-event-id" in s.headers]
    assert resumed[0].headers["last-event-id"] == "g-1"


async def test_cancelling_sends_cancelled_notification() -> None:
    """All revisions, Sending Messages 6: to cancel a request the client sends ``notifications/cancelled``
    for it (a dropped connection alone does not say so)."""

    async def never(request: Seen, reply: Reply) -> None:
        await reply.start_sse()
        await reply.sse(b"id: n-0\ndata:\n\n")
        with anyio.move_on_after(10):
            await fake.release.wait()
        await reply.end()

    fake = Fake(on={"tools/call": never})
    async with fake_server(fake), Client(transport(fake)) as client:
        with pytest.raises(Exception):  # noqa: B017,PT011 - the kind of timeout error is not the point
            await client.call_tool("slow", {}, timeout=0.3)
        await wait_for(lambda: fake.requests(rpc="notifications/cancelled"))
        fake.release.set()
    call = fake.requests(rpc="tools/call")[0].message
    cancelled = fake.requests(rpc="notifications/cancelled")[0]
    assert cancelled.message["params"]["requestId"] == call["id"]
    assert cancelled.headers["mcp-session-id"] == "session-1"


# --- sessions the server forgot ------------------------------------------------------------------------


async def test_404_starts_a_new_session_without_session_id() -> None:
    """All revisions, Session Management 4: a 404 to a request carrying a session id makes the client start
    a new session with an InitializeRequest that has no session id; later requests carry the new id."""
    fake = Fake()
    async with fake_server(fake), Client(transport(fake)) as client:
        await client.ping()
        fake.expired.add("session-1")
        with contextlib.suppress(Exception):  # the rule is about what is sent next, not this outcome
            await client.ping()
        await wait_for(lambda: len(fake.requests(rpc="initialize")) == 2)
        await client.ping()
    second = fake.requests(rpc="initialize")[1]
    assert "mcp-session-id" not in second.headers
    after = fake.seen[fake.seen.index(second) + 1 :]
    assert fake.issued == ["session-1", "session-2"]
    assert any(s.rpc_method == "ping" for s in after)
    assert all(s.headers.get("mcp-session-id") == "session-2" for s in after), [s.headers for s in after]


# --- falling back to HTTP+SSE ------------------------------------------------------------------------


class Legacy:
    """The old transport's server side: a GET stream opened with ``endpoint``, and a POST endpoint whose
    messages are answered on that stream."""

    def __init__(self) -> None:
        self.send, self.receive = anyio.create_memory_object_stream[bytes](16)

    async def aclose(self) -> None:
        self.send.close()
        self.receive.close()

    async def stream(self, request: Seen, reply: Reply) -> None:
        await reply.start_sse()
        await reply.sse(b"event: endpoint\ndata: /messages?session=legacy-1\n\n")
        with anyio.move_on_after(10):
            async for chunk in self.receive:
                await reply.sse(chunk)
        await reply.end()

    async def post(self, request: Seen, reply: Reply) -> None:
        await reply.whole(202)
        message = request.message
        if "id" not in message or "method" not in message:
            return
        if message["method"] == "initialize":
            result: Any = {
                "protocolVersion": "2024-11-05",
                "capabilities": {"tools": {}},
                "serverInfo": {"name": "old", "version": "0"},
            }
        elif message["method"] == "tools/call":
            result = {"content": [{"type": "text", "text": "old transport"}]}
        else:
            result = {}
        await self.send.send(event(response(request, result), name="message"))


@pytest.mark.parametrize("status", [400, 404, 405])
async def test_falls_back_to_http_sse_on_initialize_refused(status: int) -> None:
    """2025-03-26 to 2025-11-25, Backwards Compatibility: when the POSTed initialize gets 400, 404 or 405,
    the client GETs the URL, expects an ``endpoint`` event first, and then POSTs its messages to that
    endpoint (2024-11-05 HTTP with SSE), reading the answers from the stream."""
    fake = Fake()
    legacy = Legacy()

    async def refuse_or_post(request: Seen, reply: Reply) -> None:
        if request.target.startswith("/messages"):
            await legacy.post(request, reply)
        else:
            await reply.whole(status)

    async def handle(request: Seen, reply: Reply) -> None:
        if request.method == "GET":
            await legacy.stream(request, reply)
        elif request.method == "POST":
            await refuse_or_post(request, reply)
        else:
            await reply.whole(405)

    fake.route = handle
    async with fake_server(fake), contextlib.aclosing(legacy), Client(transport(fake)) as client:
        assert client.protocol_version == "2024-11-05"
        result = await client.call_tool("t", {})
    assert text_of(result) == "old transport"
    first, get = fake.seen[0], fake.seen[1]
    assert first.method == "POST" and first.rpc_method == "initialize" and first.target == "/mcp"
    assert get.method == "GET" and get.target == "/mcp"
    assert "text/event-stream" in get.headers["accept"]
    posts = [s for s in fake.seen[2:] if s.method == "POST"]
    assert [s.rpc_method for s in posts][:2] == ["initialize", "notifications/initialized"]
    assert all(s.target == "/messages?session=legacy-1" for s in posts)


@pytest.mark.parametrize("status", [401, 403, 500])
async def test_no_fallback_on_other_statuses(status: int) -> None:
    """2025-11-25, Backwards Compatibility: the fallback is for 400, 404 and 405 only; any other refusal of
    initialize fails the connection without a GET for an old-transport stream."""

    async def refuse(request: Seen, reply: Reply) -> None:
        await reply.whole(status, {"jsonrpc": "2.0", "error": {"code": -32000, "message": "no"}})

    fake = Fake(on={"initialize": refuse})
    async with fake_server(fake):
        with anyio.fail_after(10), pytest.raises(Exception):  # noqa: B017,PT011 - any error will do
            async with Client(transport(fake, max_reconnects=1)):
                pass
    assert fake.requests("GET") == []
