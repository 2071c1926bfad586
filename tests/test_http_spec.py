"""The server side of Streamable HTTP (and of the old HTTP+SSE transport), rule by rule.

These tests were written as a second opinion, from the transport and lifecycle pages of the
revisions 2024-11-05 to 2025-11-25 and not from the implementation: each one takes a single
normative rule that can be observed from outside (status codes, headers, what travels on which
SSE stream) and checks it through plain HTTP. That is why the SSE parsing below is a small one
of its own rather than the project's decoder: the wire is what is under test.

The spec lets a server answer a request either with one JSON body or with an SSE stream. This
server picks JSON when the answer is ready quickly (``sse_after``), so the tests that are about
streams either set ``sse_after=0`` or call a tool that reports progress before answering, which
opens the stream at once.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
import orjson
import pytest

from mcpcore.server import Context, Server
from tests.http_util import ACCEPT_BOTH, Raw, eventually, http_app, raw_client
from transports.http._pool import HttpError, Response

pytestmark = pytest.mark.anyio

STREAMABLE = ("2025-03-26", "2025-06-18", "2025-11-25")
WITH_VERSION_HEADER = ("2025-06-18", "2025-11-25")
NEWEST = "2025-11-25"
EVIL_ORIGIN = "http://evil.example"


# --- the wire: SSE blocks as written -----------------------------------------------------------


@dataclass
class Block:
    """One SSE event block exactly as the server wrote it (comment lines left out)."""

    fields: list[tuple[str, str]]

    def last(self, name: str) -> str | None:
        values = [value for key, value in self.fields if key == name]
        return values[-1] if values else None

    @property
    def id(self) -> str | None:
        return self.last("id")

    @property
    def event(self) -> str | None:
        return self.last("event")

    @property
    def retry(self) -> int | None:
        value = self.last("retry")
        return int(value) if value is not None and value.isdigit() else None

    @property
    def data(self) -> str | None:
        """The data of the block, or None when it has no ``data`` field at all."""
        values = [value for key, value in self.fields if key == "data"]
        return "\n".join(values) if values else None

    @property
    def message(self) -> Any:
        return orjson.loads(self.data) if self.data else None


def take_blocks(buffer: bytearray) -> list[Block]:
    """The complete blocks at the front of ``buffer``, which keeps the incomplete rest."""
    hold_cr = buffer.endswith(b"\r")  # may be the first half of a CRLF still on its way
    text = bytes(buffer[:-1] if hold_cr else buffer).replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    parts = text.split(b"\n\n")
    rest = parts.pop()
    buffer[:] = rest + (b"\r" if hold_cr else b"")
    blocks = []
    for part in parts:
        fields: list[tuple[str, str]] = []
        for line in part.decode().split("\n"):
            if not line or line.startswith(":"):
                continue
            name, colon, value = line.partition(":")
            fields.append((name, value[1:] if value.startswith(" ") else value) if colon else (name, ""))
        if fields:
            blocks.append(Block(fields))
    return blocks


class Stream:
    """A response read block by block as it arrives; ``blocks`` keeps all read so far."""

    def __init__(self, response: Response) -> None:
        self.response = response
        self.status = response.status
        self.headers = dict(response.headers)
        self.blocks: list[Block] = []
        self.ended = False
        self._chunks = response.iter_bytes()
        self._buffer = bytearray()
        self._pending: list[Block] = []

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    async def next(self, timeout: float = 5.0) -> Block | None:
        """The next block, or None once the connection has ended."""
        while not self._pending:
            if self.ended:
                return None
            try:
                with anyio.fail_after(timeout):
                    chunk = await anext(self._chunks)
            except (StopAsyncIteration, HttpError):  # an end, clean or cut: either way no more
                self.ended = True
                continue
            self._buffer += chunk
            self._pending.extend(take_blocks(self._buffer))
        block = self._pending.pop(0)
        self.blocks.append(block)
        return block

    async def until(self, condition: Callable[[Block], bool], timeout: float = 5.0) -> Block:
        for _ in range(1000):
            block = await self.next(timeout)
            assert block is not None, f"the stream ended first; it carried {self.blocks}"
            if condition(block):
                return block
        raise AssertionError("no such block among the first thousand")

    async def to_end(self, timeout: float = 5.0) -> list[Block]:
        for _ in range(1000):
            if await self.next(timeout) is None:
                return self.blocks
        raise AssertionError("the stream did not end within a thousand blocks")

    def messages(self) -> list[Any]:
        return [block.message for block in self.blocks if block.data]


@asynccontextmanager
async def open_stream(
    raw: Raw,
    method: str,
    body: Any = None,
    *,
    headers: Mapping[str, str] | None = None,
    url: str | None = None,
    accept: str | None = ACCEPT_BOTH,
) -> AsyncIterator[Stream]:
    """A request whose answer is read as a stream (``Raw`` reads whole bodies only)."""
    all_headers: dict[str, str] = {}
    if accept is not None:
        all_headers["accept"] = accept
    if method == "POST":
        all_headers["content-type"] = "application/json"
    if raw.session is not None:
        all_headers["mcp-session-id"] = raw.session
    if raw.version is not None:
        all_headers["mcp-protocol-version"] = raw.version
    all_headers.update(headers or {})
    data = b"" if body is None else orjson.dumps(body)
    with anyio.fail_after(10):
        response = await raw.http.request(
            method, url or raw.url, headers=all_headers, body=data, read_timeout=None
        )
    try:
        yield Stream(response)
    finally:
        await response.aclose()


# --- messages ------------------------------------------------------------------------------------


def call(request_id: int, tool: str, arguments: Mapping[str, Any] | None = None, *, token: str = "") -> Any:
    params: dict[str, Any] = {"name": tool, "arguments": dict(arguments or {})}
    if token:
        params["_meta"] = {"progressToken": token}
    return {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": params}


def ping(request_id: int) -> Any:
    return {"jsonrpc": "2.0", "id": request_id, "method": "ping"}


def note(method: str) -> Any:
    return {"jsonrpc": "2.0", "method": method}


def is_response(message: Any, request_id: Any = None) -> bool:
    return (
        isinstance(message, dict)
        and "method" not in message
        and ("result" in message or "error" in message)
        and (request_id is None or message.get("id") == request_id)
    )


def is_progress(message: Any, token: str | None = None) -> bool:
    return (
        isinstance(message, dict)
        and message.get("method") == "notifications/progress"
        and (token is None or message["params"]["progressToken"] == token)
    )


def is_list_changed(message: Any) -> bool:
    return isinstance(message, dict) and message.get("method") == "notifications/tools/list_changed"


def text_of(response: Any) -> str:
    return str(response["result"]["content"][0]["text"])


def assert_error_without_id(body: bytes) -> None:
    """An error body, when there is one, is a JSON-RPC error response with no ``id``."""
    if not body:
        return
    message = orjson.loads(body)
    assert isinstance(message, dict) and message.get("jsonrpc") == "2.0", message
    assert isinstance(message["error"]["code"], int), message
    assert "id" not in message, message


# --- the server under test -------------------------------------------------------------------------


@dataclass
class Kit:
    """A server with tools that let a test hold a request open, and what its tools saw."""

    server: Server
    gates: dict[str, anyio.Event] = field(default_factory=dict)
    finished: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    sentinels: int = 0

    def gate(self, key: str) -> anyio.Event:
        return self.gates.setdefault(key, anyio.Event())

    def change_tools(self) -> None:
        """Make the server tell every session its tool list changed (a server-initiated message)."""
        self.sentinels += 1

        def sentinel() -> str:
            return "sentinel"

        self.server.add_tool(sentinel, name=f"sentinel-{self.sentinels}")


def build_kit() -> Kit:
    server = Server("http-spec", "1.0")
    kit = Kit(server)

    @server.tool(title="Echo")
    def echo(text: str) -> str:
        return text

    @server.tool()
    async def progress(ctx: Context, steps: int = 2) -> str:
        for step in range(steps):
            await ctx.report_progress(step + 1, steps)
        return "done"

    @server.tool()
    async def hold(ctx: Context, key: str) -> str:
        await ctx.report_progress(1, 2)
        try:
            await kit.gate(key).wait()
        except anyio.get_cancelled_exc_class():
            kit.cancelled.append(key)
            raise
        await ctx.report_progress(2, 2)
        kit.finished.append(key)
        return key

    @server.tool()
    async def ask_roots(ctx: Context) -> str:
        return repr(await ctx.list_roots())

    @server.tool()
    async def cut(ctx: Context, key: str) -> str:
        ctx.close_sse_stream()
        await ctx.report_progress(1, 1)  # tells the test the close was asked for already
        await kit.gate(key).wait()
        return f"after {key}"

    return kit


@asynccontextmanager
async def serve(**options: Any) -> AsyncIterator[tuple[Kit, Raw]]:
    """A fresh server over HTTP and a raw client for it (not yet initialized)."""
    kit = build_kit()
    async with http_app(kit.server, **options) as (url, _app), raw_client(url) as raw:
        yield kit, raw


def other(raw: Raw) -> Raw:
    """A second raw client on the same connection pool, for a second session."""
    return Raw(raw.url, raw.http)


# --- the endpoint ------------------------------------------------------------------------------


@pytest.mark.parametrize("version", STREAMABLE)
async def test_one_endpoint_takes_post_and_get(version: str) -> None:
    """All revisions, Streamable HTTP: the server offers one MCP endpoint path for both POST and GET."""
    async with serve() as (_kit, raw):
        await raw.initialize(version)
        posted = await raw.post(ping(1))
        assert posted.status == 200 and posted.messages() == [{"jsonrpc": "2.0", "id": 1, "result": {}}]
        async with open_stream(raw, "GET", accept="text/event-stream") as got:
            assert got.status == 200
            assert got.content_type.startswith("text/event-stream")


# --- POST: a request ---------------------------------------------------------------------------


@pytest.mark.parametrize("sse_after", [1.0, 0.0])
@pytest.mark.parametrize("version", STREAMABLE)
async def test_request_answered_with_json_or_sse(version: str, sse_after: float) -> None:
    """All revisions, Sending Messages 5: a POSTed request gets ``Content-Type: application/json``
    or ``text/event-stream``, and either way its response."""
    async with serve(sse_after=sse_after) as (_kit, raw):
        await raw.initialize(version)
        answer = await raw.post(call(1, "echo", {"text": "hi"}))
        assert answer.status == 200
        kind = answer.headers["content-type"].split(";")[0].strip()
        assert kind in ("application/json", "text/event-stream")
        responses = [m for m in answer.messages() if is_response(m)]
        assert len(responses) == 1 and responses[0]["id"] == 1 and text_of(responses[0]) == "hi"


@pytest.mark.parametrize("version", STREAMABLE)
async def test_json_answer_is_one_object(version: str) -> None:
    """All revisions, Sending Messages 5: a JSON answer to one request is one JSON object, the response."""
    async with serve() as (_kit, raw):
        await raw.initialize(version)
        answer = await raw.post(call(7, "echo", {"text": "one"}))
        assert answer.headers["content-type"].startswith("application/json")
        body = answer.json()
        assert isinstance(body, dict) and body["id"] == 7 and text_of(body) == "one"


async def test_json_only_server_sends_one_object_even_after_progress() -> None:
    """2025-11-25, Sending Messages 5: choosing ``application/json`` means one JSON object, so a server
    that never streams (``json_response``) answers with the response alone, not the progress before it."""
    async with serve(json_response=True) as (_kit, raw):
        await raw.initialize(NEWEST)
        answer = await raw.post(call(3, "progress", {"steps": 3}, token="p"))
        assert answer.status == 200
        assert answer.headers["content-type"].startswith("application/json")
        body = answer.json()
        assert isinstance(body, dict) and is_response(body, 3) and text_of(body) == "done"


@pytest.mark.parametrize("version", STREAMABLE)
async def test_sse_answer_ends_after_its_response(version: str) -> None:
    """All revisions, Sending Messages 6: the SSE stream of a POST includes the response to its request,
    and the server ends the stream once that response is sent (the read below reaches the end)."""
    async with serve(sse_after=0) as (_kit, raw):
        await raw.initialize(version)
        async with open_stream(raw, "POST", ping(5)) as stream:
            assert stream.content_type.startswith("text/event-stream")
            await stream.to_end()
        messages = stream.messages()
        assert [m for m in messages if is_response(m)] == [{"jsonrpc": "2.0", "id": 5, "result": {}}]
        assert is_response(messages[-1], 5)


@pytest.mark.parametrize("version", STREAMABLE)
async def test_messages_before_the_response_relate_to_the_request(version: str) -> None:
    """All revisions, Sending Messages 6: the server may send notifications before the response on the
    POST's stream, and they relate to that request (here: progress with the request's token)."""
    async with serve() as (_kit, raw):
        await raw.initialize(version)
        async with open_stream(raw, "POST", call(2, "progress", {"steps": 3}, token="mine")) as stream:
            assert stream.content_type.startswith("text/event-stream")
            await stream.to_end()
        messages = stream.messages()
        assert is_response(messages[-1], 2) and text_of(messages[-1]) == "done"
        before = messages[:-1]
        assert [m["params"]["progress"] for m in before] == [1, 2, 3]
        assert all(is_progress(m, "mine") for m in before)


@pytest.mark.parametrize("version", STREAMABLE)
async def test_server_request_on_post_stream_and_client_response_gets_202(version: str) -> None:
    """All revisions, Sending Messages 4 and 6: a server request may precede the response on the POST's
    stream; the client's JSON-RPC response to it, POSTed, gets 202 Accepted with no body."""
    async with serve() as (_kit, raw):
        await raw.initialize(version, {"roots": {"listChanged": True}})
        async with open_stream(raw, "POST", call(4, "ask_roots")) as stream:
            asked = await stream.until(lambda b: isinstance(b.message, dict) and "method" in b.message)
            request = asked.message
            assert request["method"] == "roots/list" and "id" in request
            reply = {"jsonrpc": "2.0", "id": request["id"], "result": {"roots": [{"uri": "file:///spec"}]}}
            accepted = await raw.post(reply)
            assert accepted.status == 202 and accepted.body == b""
            final = await stream.until(lambda b: is_response(b.message, 4))
        assert "file:///spec" in text_of(final.message)


@pytest.mark.parametrize("sse_after", [1.0, 0.0])
async def test_messages_are_utf8(sse_after: float) -> None:
    """All revisions, Transports: JSON-RPC messages are UTF-8, in a JSON body and in SSE data alike; text
    beyond ASCII goes both ways unharmed."""
    text = "h\u00e9llo \u2603 \U0001f600"
    async with serve(sse_after=sse_after) as (_kit, raw):
        await raw.initialize(NEWEST)
        answer = await raw.post(None, raw=orjson.dumps(call(1, "echo", {"text": text})))
        assert answer.status == 200
        answer.body.decode("utf-8")  # strict: a body that is not UTF-8 fails here
        assert text_of(answer.messages()[-1]) == text


# --- POST: notifications and responses -----------------------------------------------------------


@pytest.mark.parametrize("version", STREAMABLE)
async def test_notification_gets_202_without_body(version: str) -> None:
    """All revisions, Sending Messages 4: an accepted notification gets 202 Accepted and no body."""
    async with serve() as (_kit, raw):
        await raw.initialize(version)  # notifications/initialized is checked for 202 in there too
        answer = await raw.post(note("notifications/roots/list_changed"))
        assert answer.status == 202
        assert answer.body == b""


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b'"a string"',
        b'{"jsonrpc": "2.0"}',
        b'{"jsonrpc": "1.0", "method": "notifications/roots/list_changed"}',
        b'{"jsonrpc": "2.0", "method": 12}',
        b'{"jsonrpc": "2.0", "method": "notifications/roots/list_changed", "params": {"x": "\xff\xfe"}}',
    ],
)
async def test_input_not_accepted_gets_http_error(body: bytes) -> None:
    """2025-11-25, Sending Messages 4: input the server cannot accept gets an HTTP error status; a body,
    if any, is a JSON-RPC error response that has no ``id``."""
    async with serve() as (_kit, raw):
        await raw.initialize(NEWEST)
        answer = await raw.post(None, raw=body)
        assert 400 <= answer.status < 500
        assert_error_without_id(answer.body)


async def test_disconnection_is_not_cancellation() -> None:
    """2025-11-25, Sending Messages 6: a dropped connection is not the client cancelling its request:
    the tool keeps running to its end after the client went away."""
    async with serve() as (kit, raw):
        await raw.initialize(NEWEST)
        async with open_stream(raw, "POST", call(1, "hold", {"key": "k"}, token="t")) as stream:
            await stream.until(lambda b: is_progress(b.message))
        kit.gate("k").set()
        await eventually(lambda: kit.finished == ["k"])
        assert kit.cancelled == []


async def test_cancelled_notification_cancels() -> None:
    """2025-11-25, Sending Messages 6: to cancel, the client sends ``notifications/cancelled``, which the
    server accepts (202) and which stops the request."""
    async with serve() as (kit, raw):
        await raw.initialize(NEWEST)
        async with open_stream(raw, "POST", call(9, "hold", {"key": "c"}, token="t")) as stream:
            await stream.until(lambda b: is_progress(b.message))
            cancel = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 9}}
            answer = await raw.post(cancel)
            assert answer.status == 202 and answer.body == b""
            await eventually(lambda: kit.cancelled == ["c"])
        assert kit.finished == []


# --- Accept ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "accept",
    [
        "application/json, text/event-stream",
        "text/event-stream, application/json",
        "Application/JSON, Text/Event-Stream",
        "application/json;q=0.9,text/event-stream;q=1.0",
        "application/json; charset=utf-8, text/event-stream",
    ],
)
async def test_accept_listing_both_types_is_served(accept: str) -> None:
    """All revisions, Sending Messages 2: the client lists both ``application/json`` and
    ``text/event-stream`` in Accept; any such header, whatever its order, case or parameters, is served."""
    async with serve() as (_kit, raw):
        await raw.initialize(NEWEST)
        answer = await raw.post(call(1, "echo", {"text": "a"}), accept=accept)
        assert answer.status == 200 and text_of(answer.messages()[0]) == "a"


async def test_client_accepting_only_json_gets_no_stream() -> None:
    """All revisions, Sending Messages 5: of the two answer types the server picks one the client can
    take; a client that accepts only JSON does not get a stream (or is refused with 406)."""
    async with serve(sse_after=0) as (_kit, raw):
        await raw.initialize(NEWEST)
        answer = await raw.post(call(1, "progress", token="p"), accept="application/json")
        assert answer.status in (200, 406)
        if answer.status == 200:
            assert answer.headers["content-type"].startswith("application/json")
            assert is_response(answer.json(), 1)


async def test_post_accepting_neither_type_is_refused() -> None:
    """All revisions, Sending Messages 2 and 5: a POST whose Accept names neither answer type cannot be
    answered in a type it takes, so it is refused (406)."""
    async with serve() as (_kit, raw):
        await raw.initialize(NEWEST)
        answer = await raw.post(ping(1), accept="text/html")
        assert answer.status == 406


@pytest.mark.parametrize("accept", ["application/json", "text/html"])
async def test_get_without_event_stream_in_accept_is_refused(accept: str) -> None:
    """All revisions, Listening 2: a GET lists ``text/event-stream`` in Accept; one that does not is not
    given a stream."""
    async with serve() as (_kit, raw):
        await raw.initialize(NEWEST)
        answer = await raw.request("GET", accept=accept)
        assert 400 <= answer.status < 500
        assert not answer.headers.get("content-type", "").startswith("text/event-stream")


# --- GET -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", STREAMABLE)
async def test_get_opens_stream_of_server_messages(version: str) -> None:
    """All revisions, Listening 3 and 4: a GET gets ``text/event-stream``, and the stream carries what
    the server sends of its own accord (here a tool list change)."""
    async with serve() as (kit, raw):
        await raw.initialize(version)
        async with open_stream(raw, "GET", accept="text/event-stream") as stream:
            assert stream.status == 200 and stream.content_type.startswith("text/event-stream")
            kit.change_tools()
            await stream.until(lambda b: is_list_changed(b.message))


async def test_get_without_stream_offered_is_405() -> None:
    """All revisions, Listening 3: a server that offers no GET stream (stateless here) answers 405 Method
    Not Allowed, with the ``Allow`` header HTTP requires of a 405."""
    async with serve(stateless=True) as (_kit, raw):
        answer = await raw.request("GET", accept="text/event-stream")
        assert answer.status == 405
        assert "POST" in answer.headers.get("allow", "")
        assert not answer.headers.get("content-type", "").startswith("text/event-stream")


@pytest.mark.parametrize("version", STREAMABLE)
async def test_get_stream_carries_no_responses(version: str) -> None:
    """All revisions, Listening 4: the server does not send a JSON-RPC response on the GET stream (it is
    not resuming anything here); responses go back on their POSTs."""
    async with serve() as (kit, raw):
        await raw.initialize(version)
        async with open_stream(raw, "GET", accept="text/event-stream") as listening:
            assert (await raw.post(ping(1))).messages() == [{"jsonrpc": "2.0", "id": 1, "result": {}}]
            streamed = await raw.post(call(2, "progress", token="p"))
            assert streamed.headers["content-type"].startswith("text/event-stream")
            assert is_response(streamed.messages()[-1], 2)
            # The GET stream is ordered: once this change arrives, anything sent on it before is in.
            kit.change_tools()
            await listening.until(lambda b: is_list_changed(b.message))
            assert not any(is_response(m) for m in listening.messages())


@pytest.mark.parametrize("version", STREAMABLE)
async def test_each_message_goes_on_one_stream_only(version: str) -> None:
    """All revisions, Multiple Connections 2: with a GET stream and POST streams open at once, every
    message is sent on exactly one of them, never broadcast."""
    async with serve() as (kit, raw):
        await raw.initialize(version)
        async with (
            open_stream(raw, "GET", accept="text/event-stream") as listening,
            open_stream(raw, "POST", call(1, "hold", {"key": "a"}, token="a")) as first,
            open_stream(raw, "POST", call(2, "hold", {"key": "b"}, token="b")) as second,
        ):
            await first.until(lambda b: is_progress(b.message))
            await second.until(lambda b: is_progress(b.message))
            kit.change_tools()
            await listening.until(lambda b: is_list_changed(b.message))
            kit.gate("a").set()
            kit.gate("b").set()
            await first.to_end()
            await second.to_end()
            kit.change_tools()  # a second marker: the first request's traffic is all before it
            await listening.until(lambda b: is_list_changed(b.message))
            changes = [m for m in listening.messages() if is_list_changed(m)]
        assert len(changes) == 2
        assert all(is_progress(m, "a") or is_response(m, 1) for m in first.messages())
        assert all(is_progress(m, "b") or is_response(m, 2) for m in second.messages())
        assert len([m for m in first.messages() if is_progress(m)]) == 2
        assert len([m for m in second.messages() if is_progress(m)]) == 2
        assert all(is_list_changed(m) for m in listening.messages())


# --- resumption ---------------------------------------------------------------------------------


@pytest.mark.parametrize("version", STREAMABLE)
async def test_event_ids_are_unique_across_the_session(version: str) -> None:
    """All revisions, Resumability 1: event ids, when present, are unique across all streams of the
    session."""
    async with serve(sse_after=0) as (kit, raw):
        await raw.initialize(version)
        ids: list[str] = []
        async with open_stream(raw, "GET", accept="text/event-stream") as listening:
            for n in range(3):
                async with open_stream(raw, "POST", call(n, "progress", token=f"t{n}")) as stream:
                    await stream.to_end()
                ids += [b.id for b in stream.blocks if b.id is not None]
                kit.change_tools()
                await listening.until(lambda b: is_list_changed(b.message))
            ids += [b.id for b in listening.blocks if b.id is not None]
        assert len(ids) >= 9
        assert len(ids) == len(set(ids)), ids


@pytest.mark.parametrize("version", STREAMABLE)
async def test_resuming_a_post_stream_replays_that_stream_only(version: str) -> None:
    """All revisions, Resumability 2: after a break the client resumes with GET and ``Last-Event-ID``; what
    the server replays is what that stream would have carried after the id, never messages of another
    stream (2025-11-25: resumption is always by GET, whatever opened the stream)."""
    async with serve() as (kit, raw):
        await raw.initialize(version)
        async with open_stream(raw, "POST", call(1, "hold", {"key": "a"}, token="a")) as first:
            seen = await first.until(lambda b: is_progress(b.message))
            assert seen.id, "the events of a resumable stream carry ids"
        async with (
            open_stream(raw, "GET", accept="text/event-stream") as listening,
            open_stream(raw, "POST", call(2, "hold", {"key": "b"}, token="b")) as second,
        ):
            await second.until(lambda b: is_progress(b.message))
            kit.change_tools()  # traffic on the GET stream while the first one is away
            await listening.until(lambda b: is_list_changed(b.message))
            kit.gate("a").set()
            kit.gate("b").set()
            await second.to_end()
        async with open_stream(
            raw, "GET", headers={"last-event-id": seen.id}, accept="text/event-stream"
        ) as resumed:
            assert resumed.status == 200 and resumed.content_type.startswith("text/event-stream")
            final = await resumed.until(lambda b: is_response(b.message))
        assert final.message["id"] == 1 and text_of(final.message) == "a"
        replayed = resumed.messages()
        assert [m["params"]["progress"] for m in replayed if is_progress(m)] == [2]  # not step 1 again
        assert all(is_progress(m, "a") or is_response(m, 1) for m in replayed), replayed


async def test_resuming_a_get_stream() -> None:
    """2025-11-25, Resumability 2: resumption by GET + ``Last-Event-ID`` applies to a stream a GET opened,
    too: what was sent on it while the client was away comes on the new GET, and nothing of the POST
    streams of the meantime."""
    async with serve() as (kit, raw):
        await raw.initialize(NEWEST)
        async with open_stream(raw, "GET", accept="text/event-stream") as listening:
            kit.change_tools()
            seen = await listening.until(lambda b: is_list_changed(b.message))
            assert seen.id
        meanwhile = await raw.post(call(5, "progress", token="p"))
        assert is_response(meanwhile.messages()[-1], 5)
        kit.change_tools()
        async with open_stream(
            raw, "GET", headers={"last-event-id": seen.id}, accept="text/event-stream"
        ) as resumed:
            missed = await resumed.until(lambda b: is_list_changed(b.message))
        assert missed.id != seen.id
        assert not any(is_response(m) or is_progress(m) for m in resumed.messages())


# --- 2025-11-25: polling -------------------------------------------------------------------------


async def test_post_stream_starts_with_priming_event() -> None:
    """2025-11-25, Sending Messages 6: a POST's SSE stream starts at once with an event that has an id
    and an empty ``data`` field, so the client can reconnect from it."""
    async with serve(sse_after=0) as (_kit, raw):
        await raw.initialize(NEWEST)
        async with open_stream(raw, "POST", call(1, "echo", {"text": "x"})) as stream:
            first = await stream.next()
            await stream.to_end()
        assert first is not None
        assert first.id
        assert first.data == ""


@pytest.mark.parametrize("how", ["tool", "sse_poll_after"])
async def test_server_may_close_connection_then_client_resumes(how: str) -> None:
    """2025-11-25, Sending Messages 6: after an event with an id the server may close the connection
    without ending the stream; before that it sends a ``retry`` field, and the client's GET with
    ``Last-Event-ID`` gets the rest, the response included."""
    options: dict[str, Any] = {"sse_poll_after": 0.05} if how == "sse_poll_after" else {}
    options["sse_after"] = 0
    tool = "cut" if how == "tool" else "hold"
    async with serve(**options) as (kit, raw):
        await raw.initialize(NEWEST)
        async with open_stream(raw, "POST", call(1, tool, {"key": "k"}, token="t")) as stream:
            assert stream.content_type.startswith("text/event-stream")
            await stream.to_end()
        assert not any(is_response(m) for m in stream.messages())
        assert any(b.retry is not None for b in stream.blocks), stream.blocks
        last = [b.id for b in stream.blocks if b.id][-1]
        kit.gate("k").set()
        final = await resume_until_response(raw, last)
        assert final["id"] == 1 and text_of(final).endswith("k")


async def resume_until_response(raw: Raw, last_id: str) -> Any:
    """Resume a stream (GET + ``Last-Event-ID``) as often as the server closes it, up to its response."""
    for _ in range(20):
        async with open_stream(
            raw, "GET", headers={"last-event-id": last_id}, accept="text/event-stream"
        ) as resumed:
            assert resumed.status == 200, resumed.status
            await resumed.to_end()
        for block in resumed.blocks:
            if is_response(block.message):
                return block.message
        last_id = next((b.id for b in reversed(resumed.blocks) if b.id), last_id)
    raise AssertionError("no response after twenty resumptions")


OLDER_STREAMABLE = ("2025-03-26", "2025-06-18")


@pytest.mark.parametrize("version", OLDER_STREAMABLE)
async def test_older_revisions_are_not_polled(version: str) -> None:
    """2025-03-26 and 2025-06-18, Sending Messages 6: the server does not close the POST's stream before
    it sent the response (unless the session ended); closing it to make the client poll is 2025-11-25's
    rule, so a server set to poll leaves the streams of older sessions alone."""
    async with serve(sse_after=0, sse_poll_after=0.05) as (kit, raw):
        await raw.initialize(version)
        async with open_stream(raw, "POST", call(2, "hold", {"key": "h"}, token="t")) as stream:
            await stream.until(lambda b: is_progress(b.message))
            await anyio.sleep(0.2)  # past sse_poll_after, which must not apply to this revision
            kit.gate("h").set()
            await stream.to_end()
        assert is_response(stream.messages()[-1], 2)


@pytest.mark.parametrize("version", OLDER_STREAMABLE)
async def test_older_revisions_stream_is_not_cut_before_its_response(version: str) -> None:
    """2025-03-26 and 2025-06-18, Sending Messages 6: the server does not close the POST's stream before
    it sent the response, so a tool asking for the connection to be closed does not cut an older
    client's stream (it has no priming event to resume from)."""
    async with serve(sse_after=0) as (kit, raw):
        await raw.initialize(version)
        async with open_stream(raw, "POST", call(1, "cut", {"key": "c"}, token="t")) as stream:
            # Either the progress sent after the close was asked for, or the end of the connection.
            for _ in range(10):
                block = await stream.next()
                if block is None or is_progress(block.message):
                    break
            kit.gate("c").set()
            await stream.to_end()
        assert any(is_response(m, 1) for m in stream.messages()), stream.blocks


# --- sessions ----------------------------------------------------------------------------------


@pytest.mark.parametrize("version", STREAMABLE)
async def test_session_id_given_at_initialize_is_visible_ascii(version: str) -> None:
    """All revisions, Session Management 1: the session id comes in ``Mcp-Session-Id`` on the response
    carrying the InitializeResult, made of visible ASCII (0x21 to 0x7E) only; two sessions get two ids."""
    async with serve() as (_kit, raw):
        await raw.initialize(version)
        second = other(raw)
        await second.initialize(version)
        for session in (raw.session, second.session):
            assert session, "this server runs sessions"
            assert all(0x21 <= ord(c) <= 0x7E for c in session), session
            assert len(session) >= 16  # a loose floor: a secure id needs ~128 bits, 20 visible chars
        assert raw.session != second.session


@pytest.mark.parametrize("method", ["POST", "GET", "DELETE"])
@pytest.mark.parametrize("version", STREAMABLE)
async def test_request_without_session_id_is_400(version: str, method: str) -> None:
    """All revisions, Session Management 2: a server that requires a session answers a request without
    ``Mcp-Session-Id`` (other than initialize) with 400 Bad Request."""
    async with serve() as (_kit, raw):
        await raw.initialize(version)
        raw.session = None
        answer = await raw.request(method, ping(1) if method == "POST" else None)
        assert answer.status == 400


@pytest.mark.parametrize("method", ["POST", "GET", "DELETE"])
async def test_unknown_session_id_is_404(method: str) -> None:
    """All revisions, Session Management 3: a session id the server does not have (never issued, or
    ended) gets 404 Not Found."""
    async with serve() as (_kit, raw):
        await raw.initialize(NEWEST)
        raw.session = "no-such-session"
        answer = await raw.request(method, ping(1) if method == "POST" else None)
        assert answer.status == 404


@pytest.mark.parametrize("version", STREAMABLE)
async def test_delete_ends_the_session(version: str) -> None:
    """All revisions, Session Management 3 and 5: DELETE with the session id ends the session (or is
    refused with 405); once ended, the id gets 404 on every method."""
    async with serve() as (_kit, raw):
        await raw.initialize(version)
        ended = await raw.request("DELETE")
        assert 200 <= ended.status < 300
        assert (await raw.post(ping(2))).status == 404
        assert (await raw.request("GET", accept="text/event-stream")).status == 404
        assert (await raw.request("DELETE")).status == 404


# --- MCP-Protocol-Version ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method",
    [
        "POST",
        "GET",
        "DELETE",
    ],
)
@pytest.mark.parametrize("value", ["bogus", "2025-13-45", "2099-01-01"])
@pytest.mark.parametrize("version", WITH_VERSION_HEADER)
async def test_bad_protocol_version_header_is_400(version: str, value: str, method: str) -> None:
    """2025-06-18 and 2025-11-25, Protocol Version Header: a request (any method) with an invalid or
    unsupported ``MCP-Protocol-Version`` gets 400 Bad Request."""
    async with serve() as (_kit, raw):
        await raw.initialize(version)
        raw.version = value
        body = ping(1) if method == "POST" else None
        async with open_stream(
            raw, method, body, accept="text/event-stream" if method == "GET" else ACCEPT_BOTH
        ) as answer:
            assert answer.status == 400


@pytest.mark.parametrize("version", WITH_VERSION_HEADER)
async def test_missing_protocol_version_header_is_accepted(version: str) -> None:
    """2025-06-18 and 2025-11-25, Protocol Version Header: without the header the server still answers,
    from what it knows of the session (the version negotiated at initialize)."""
    async with serve() as (_kit, raw):
        await raw.initialize(version)
        raw.version = None
        answer = await raw.post({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
        assert answer.status == 200
        tools = {t["name"]: t for t in answer.messages()[0]["result"]["tools"]}
        assert tools["echo"]["title"] == "Echo"  # shaped for the negotiated revision, which has titles


async def test_stateless_server_without_header_assumes_2025_03_26() -> None:
    """2025-06-18 and 2025-11-25, Protocol Version Header: with no header and no other way to know, the
    server assumes 2025-03-26 (here: no tool ``title``, which came in 2025-06-18); a header is honoured."""
    async with serve(stateless=True) as (_kit, raw):
        listing = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
        assumed = await raw.post(listing)
        assert assumed.status == 200
        assert "title" not in assumed.messages()[0]["result"]["tools"][0]
        told = await raw.post(listing, headers={"mcp-protocol-version": "2025-06-18"})
        assert told.messages()[0]["result"]["tools"][0]["title"] == "Echo"


# --- Origin --------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "GET", "DELETE"])
async def test_bad_origin_is_403(method: str) -> None:
    """2025-11-25, Security Warning 1: a present but invalid ``Origin`` gets 403 Forbidden; the body may
    be a JSON-RPC error response without ``id``. The session is left as it was."""
    async with serve() as (_kit, raw):
        await raw.initialize(NEWEST)
        answer = await raw.request(
            method, ping(1) if method == "POST" else None, headers={"origin": EVIL_ORIGIN}
        )
        assert answer.status == 403
        assert_error_without_id(answer.body)
        assert (await raw.post(ping(2))).status == 200


async def test_bad_origin_cannot_initialize() -> None:
    """2025-11-25, Security Warning 1 (all revisions: the Origin is validated on every connection): an
    initialize from a foreign Origin is refused with 403 and opens no session."""
    async with serve() as (_kit, raw):
        request = {
            "jsonrpc": "2.0",
            "id": 0,
            "method": "initialize",
            "params": {
                "protocolVersion": NEWEST,
                "capabilities": {},
                "clientInfo": {"name": "x", "version": "0"},
            },
        }
        answer = await raw.post(request, headers={"origin": EVIL_ORIGIN})
        assert answer.status == 403
        assert "mcp-session-id" not in answer.headers
        assert_error_without_id(answer.body)


async def test_allowed_origins_are_served() -> None:
    """2025-11-25, Security Warning 1: validating Origin lets the valid ones through: the server's own
    loopback origin and one configured as allowed; an invalid one still gets 403."""
    async with serve(allowed_origins=["https://app.example"]) as (_kit, raw):
        await raw.initialize(NEWEST)
        assert (await raw.post(ping(1), headers={"origin": "https://app.example"})).status == 200
        assert (await raw.post(ping(2), headers={"origin": EVIL_ORIGIN})).status == 403
    async with serve() as (_kit, raw):
        await raw.initialize(NEWEST)
        port = urllib.parse.urlsplit(raw.url).port
        for origin in (f"http://127.0.0.1:{port}", f"http://localhost:{port}"):
            assert (await raw.post(ping(3), headers={"origin": origin})).status == 200, origin


# --- batches -------------------------------------------------------------------------------------


async def test_batch_of_notifications_gets_202() -> None:
    """2025-03-26, Sending Messages 3 and 4: a POST may carry a batch; one of notifications only gets 202
    Accepted with no body."""
    async with serve() as (_kit, raw):
        await raw.initialize("2025-03-26")
        batch = [note("notifications/roots/list_changed"), note("notifications/roots/list_changed")]
        answer = await raw.post(batch)
        assert answer.status == 202 and answer.body == b""


@pytest.mark.parametrize("sse_after", [1.0, 0.0])
async def test_batch_with_requests_gets_every_response(sse_after: float) -> None:
    """2025-03-26, Sending Messages 5 and 6: a batch holding requests gets JSON or SSE, with one response
    per request (and none for its notification)."""
    async with serve(sse_after=sse_after) as (_kit, raw):
        await raw.initialize("2025-03-26")
        batch = [ping(1), note("notifications/roots/list_changed"), call(2, "echo", {"text": "b"})]
        answer = await raw.post(batch)
        assert answer.status == 200
        kind = answer.headers["content-type"].split(";")[0]
        assert kind in ("application/json", "text/event-stream")
        flat: list[Any] = []
        for message in answer.messages():
            flat += message if isinstance(message, list) else [message]
        responses = {m["id"]: m for m in flat if is_response(m)}
        assert set(responses) == {1, 2}
        assert responses[1]["result"] == {} and text_of(responses[2]) == "b"


async def test_batch_of_responses_gets_202() -> None:
    """2025-03-26, Sending Messages 3 and 4: a batch of responses (here the answer to the server's
    ``roots/list``) gets 202 Accepted with no body, and is acted upon."""
    async with serve() as (_kit, raw):
        await raw.initialize("2025-03-26", {"roots": {}})
        async with open_stream(raw, "POST", call(4, "ask_roots")) as stream:
            asked = await stream.until(lambda b: isinstance(b.message, dict) and "method" in b.message)
            reply = {"jsonrpc": "2.0", "id": asked.message["id"], "result": {"roots": [{"uri": "file:///b"}]}}
            accepted = await raw.post([reply])
            assert accepted.status == 202 and accepted.body == b""
            final = await stream.until(lambda b: is_response(b.message, 4))
        assert "file:///b" in text_of(final.message)


@pytest.mark.parametrize("version", WITH_VERSION_HEADER)
async def test_batch_refused_after_2025_03_26(version: str) -> None:
    """2025-06-18 and 2025-11-25, Sending Messages 3: the body is a single message; a batch cannot be
    accepted, so it gets an HTTP error, and its requests are not run."""
    async with serve() as (_kit, raw):
        await raw.initialize(version)
        answer = await raw.post([call(1, "echo", {"text": "x"})])
        assert 400 <= answer.status < 500
        assert b"result" not in answer.body
        assert_error_without_id(answer.body)


async def test_initialize_in_a_batch_is_refused() -> None:
    """2025-03-26, Lifecycle (Initialization): initialize is never part of a batch, so a batched one opens
    no session and gets no InitializeResult."""
    async with serve() as (_kit, raw):
        initialize = {
            "jsonrpc": "2.0",
            "id": 0,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-03-26",
                "capabilities": {},
                "clientInfo": {"name": "batch", "version": "0"},
            },
        }
        answer = await raw.post([initialize], headers={"mcp-protocol-version": "2025-03-26"})
        assert "mcp-session-id" not in answer.headers
        if answer.status == 200:
            assert all("error" in m for m in answer.messages()), answer.messages()
        else:
            assert 400 <= answer.status < 500


# --- 2024-11-05 HTTP+SSE -------------------------------------------------------------------------


def base_of(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


async def test_legacy_sse_sends_endpoint_event_first() -> None:
    """2024-11-05, HTTP with SSE: on connecting to the SSE endpoint the client first gets an ``endpoint``
    event whose data is the URI to POST to."""
    async with serve(legacy_sse=True) as (_kit, raw):
        async with open_stream(
            raw, "GET", url=base_of(raw.url) + "/sse", accept="text/event-stream"
        ) as stream:
            assert stream.status == 200 and stream.content_type.startswith("text/event-stream")
            first = await stream.next()
        assert first is not None and first.event == "endpoint"
        assert first.data
        target = urllib.parse.urlsplit(urllib.parse.urljoin(raw.url, first.data))
        assert target.scheme == "http" and target.path


async def test_legacy_sse_answers_posts_on_the_stream() -> None:
    """2024-11-05, HTTP with SSE: every client message is POSTed to the endpoint URI, and the server's
    messages come on the SSE stream as ``message`` events with the JSON in their data."""
    async with serve(legacy_sse=True) as (_kit, raw):
        async with open_stream(
            raw, "GET", url=base_of(raw.url) + "/sse", accept="text/event-stream"
        ) as stream:
            endpoint = await stream.next()
            assert endpoint is not None and endpoint.data
            target = urllib.parse.urljoin(raw.url, endpoint.data)
            initialize = {
                "jsonrpc": "2.0",
                "id": 0,
                "method": "initialize",
                "params": {
                    "protocolVersion": "2024-11-05",
                    "capabilities": {},
                    "clientInfo": {"name": "legacy", "version": "0"},
                },
            }
            posted = await raw.post(initialize, url=target)
            assert 200 <= posted.status < 300
            result = await stream.until(lambda b: is_response(b.message, 0))
            assert result.message["result"]["protocolVersion"] == "2024-11-05"
            assert (await raw.post(note("notifications/initialized"), url=target)).status < 300
            assert (await raw.post(call(1, "echo", {"text": "old"}), url=target)).status < 300
            echoed = await stream.until(lambda b: is_response(b.message, 1))
        assert text_of(echoed.message) == "old"
        assert all(b.event in (None, "message") for b in stream.blocks[1:] if b.data)


async def test_legacy_sse_validates_origin() -> None:
    """2024-11-05, HTTP with SSE, Security Warning 1: the server validates Origin on every connection, the
    SSE endpoint's and the POST endpoint's."""
    async with serve(legacy_sse=True) as (_kit, raw):
        sse = base_of(raw.url) + "/sse"
        refused = await raw.request(
            "GET", url=sse, accept="text/event-stream", headers={"origin": EVIL_ORIGIN}
        )
        assert refused.status == 403
        async with open_stream(raw, "GET", url=sse, accept="text/event-stream") as stream:
            endpoint = await stream.next()
            assert endpoint is not None and endpoint.data
            target = urllib.parse.urljoin(raw.url, endpoint.data)
            posted = await raw.post(ping(1), url=target, headers={"origin": EVIL_ORIGIN})
            assert posted.status == 403
