"""The ASGI server on h11, seen from the wire: raw loopback sockets with h11 on the client side.

Each test runs an :class:`HttpServer` on a free port with a small ASGI app written for it, so
that what the server does (keep-alive, limits, timeouts, streaming, disconnects, lifespan,
shutdown) is observed exactly as a client would observe it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping, Sequence
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote, quote_from_bytes

import anyio
import h11
import pytest
from anyio.abc import SocketStream
from hypothesis import given, settings
from hypothesis import strategies as st

from transports.http._server import ClientDisconnected, HttpServer

LIMIT = 10  # seconds any one test may take, at most

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


# -- a tiny client ---------------------------------------------------------------------------


class Client:
    """One loopback connection, with h11 keeping the client side of the protocol honest."""

    def __init__(self, stream: SocketStream) -> None:
        self.stream = stream
        self.conn = h11.Connection(h11.CLIENT)

    @classmethod
    async def open(cls, server: HttpServer) -> Client:
        return cls(await anyio.connect_tcp("127.0.0.1", server.port))

    async def aclose(self) -> None:
        await self.stream.aclose()

    async def raw(self, data: bytes) -> None:
        await self.stream.send(data)

    async def send(self, *events: h11.Event) -> None:
        for event in events:
            data = self.conn.send(event)
            if data:
                await self.stream.send(data)

    async def _read(self) -> bytes:
        try:
            return await self.stream.receive()
        except (anyio.EndOfStream, anyio.BrokenResourceError):
            return b""

    async def event(self) -> Any:
        for _ in range(10_000):
            event = self.conn.next_event()
            if event is h11.NEED_DATA:
                self.conn.receive_data(await self._read())
                continue
            return event
        raise AssertionError("no event after 10000 reads")

    async def response(self) -> tuple[h11.Response, bytes]:
        """The next final response and its whole body."""
        response: h11.Response | None = None
        body = b""
        for _ in range(10_000):
            event = await self.event()
            if isinstance(event, h11.Response):
                response = event
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                assert response is not None
                return response, body
            elif isinstance(event, h11.ConnectionClosed):
                raise AssertionError("the server closed the connection without a response")
        raise AssertionError("no response after 10000 events")

    async def request(
        self,
        method: str = "GET",
        target: str = "/",
        headers: Sequence[tuple[str, str]] = (),
        body: bytes = b"",
    ) -> tuple[h11.Response, bytes]:
        all_headers = [("host", "test"), *headers]
        if body or method in ("POST", "PUT"):
            all_headers.append(("content-length", str(len(body))))
        await self.send(h11.Request(method=method, target=target, headers=all_headers))
        if body:
            await self.send(h11.Data(data=body))
        await self.send(h11.EndOfMessage())
        result = await self.response()
        if self.conn.our_state is h11.DONE and self.conn.their_state is h11.DONE:
            self.conn.start_next_cycle()
        return result

    async def closed(self) -> bool:
        """Read raw bytes until the server closes; whether it did (rather than send a response)."""
        for _ in range(1000):
            if not await self._read():
                return True
        return False


def header(response: h11.Response, name: bytes) -> bytes | None:
    for key, value in response.headers:
        if key == name:
            return value
    return None


async def read_until_closed(stream: SocketStream) -> bytes:
    data = b""
    for _ in range(1000):
        try:
            chunk = await stream.receive()
        except (anyio.EndOfStream, anyio.BrokenResourceError):
            return data
        data += chunk
    raise AssertionError("the server kept sending")


async def served(port: int) -> bool:
    """Whether a new connection to ``port`` gets any HTTP response at all."""
    try:
        stream = await anyio.connect_tcp("127.0.0.1", port)
    except OSError:
        return False
    async with stream:
        try:
            await stream.send(b"GET / HTTP/1.1\r\nhost: test\r\n\r\n")
            return bool(await stream.receive())
        except (anyio.EndOfStream, anyio.BrokenResourceError, OSError):
            return False


@asynccontextmanager
async def serving(
    app: Callable[[Scope, Receive, Send], Awaitable[None]], **options: Any
) -> AsyncIterator[HttpServer]:
    options.setdefault("lifespan", False)
    options.setdefault("shutdown_timeout", 5.0)
    server = HttpServer(app, **options)
    async with anyio.create_task_group() as tg:
        await tg.start(server.serve)
        try:
            yield server
        finally:
            server.shutdown()


async def respond(send: Send, status: int, body: bytes, headers: Sequence[tuple[bytes, bytes]] = ()) -> None:
    start_headers = [(b"content-type", b"text/plain"), (b"content-length", b"%d" % len(body)), *headers]
    await send({"type": "http.response.start", "status": status, "headers": start_headers})
    await send({"type": "http.response.body", "body": body})


async def echo(scope: Scope, receive: Receive, send: Send) -> None:
    """Answers with the method, the path and the request body."""
    assert scope["type"] == "http"
    message = await receive()
    await respond(send, 200, f"{scope['method']} {scope['path']} ".encode() + message["body"])


async def wait_for(condition: Callable[[], bool]) -> None:
    for _ in range(1000):
        if condition():
            return
        await anyio.sleep(0.01)
    raise AssertionError("the condition never held")


# -- requests and responses ------------------------------------------------------------------


@pytest.mark.anyio
async def test_one_connection_serves_many_requests() -> None:
    clients: list[Any] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        clients.append(scope["client"])
        await echo(scope, receive, send)

    with anyio.fail_after(LIMIT):
        async with serving(app) as server:
            client = await Client.open(server)
            for i in range(5):
                response, body = await client.request("POST", f"/n/{i}", body=b"payload %d" % i)
                assert response.status_code == 200
                assert body == b"POST /n/%d payload %d" % (i, i)
                assert header(response, b"server") == b"mcpcore"
                assert header(response, b"date") is not None
                assert server.active_connections == 1
            await client.aclose()
    assert len(clients) == 5 and len(set(clients)) == 1


@pytest.mark.anyio
async def test_scope_carries_the_request() -> None:
    scopes: list[Scope] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        scopes.append(scope)
        await echo(scope, receive, send)

    with anyio.fail_after(LIMIT):
        async with serving(app) as server:
            client = await Client.open(server)
            response, body = await client.request(
                "GET", "/a%20b/%E2%9C%93/c%2Fd?x=1&y=%20", headers=[("X-Custom-Thing", "Some Value")]
            )
            await client.aclose()
    assert response.status_code == 200 and body == "GET /a b/✓/c/d ".encode()
    (scope,) = scopes
    assert scope["type"] == "http"
    assert scope["asgi"] == {"version": "3.0", "spec_version": "2.4"}
    assert scope["http_version"] == "1.1"
    assert scope["method"] == "GET"
    assert scope["scheme"] == "http"
    assert scope["path"] == "/a b/✓/c/d"
    assert scope["raw_path"] == b"/a%20b/%E2%9C%93/c%2Fd"
    assert scope["query_string"] == b"x=1&y=%20"
    assert scope["root_path"] == ""
    assert (b"x-custom-thing", b"Some Value") in [tuple(item) for item in scope["headers"]]
    assert all(name == name.lower() for name, _ in scope["headers"])
    assert scope["client"][0] == "127.0.0.1" and isinstance(scope["client"][1], int)
    assert tuple(scope["server"]) == ("127.0.0.1", server.port)
    assert scope["state"] == {}


@given(
    segments=st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=4),
    query=st.binary(max_size=24),
)
@settings(max_examples=25)
@pytest.mark.anyio
async def test_paths_are_percent_decoded_and_queries_kept_raw(segments: list[str], query: bytes) -> None:
    path = "/" + "/".join(segments)
    encoded_query = quote_from_bytes(query, safe="=&")
    target = quote(path, safe="/") + ("?" + encoded_query if query else "")
    scopes: list[Scope] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        scopes.append(scope)
        await respond(send, 204, b"")

    with anyio.fail_after(LIMIT):
        async with serving(app) as server:
            client = await Client.open(server)
            response, _ = await client.request("GET", target)
            await client.aclose()
    assert response.status_code == 204
    assert scopes[0]["path"] == path
    assert scopes[0]["raw_path"] == quote(path, safe="/").encode()
    assert scopes[0]["query_string"] == (encoded_query.encode() if query else b"")


@pytest.mark.anyio
async def test_http_1_0_is_answered_and_closed() -> None:
    versions: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        versions.append(scope["http_version"])
        await echo(scope, receive, send)

    with anyio.fail_after(LIMIT):
        async with serving(app) as server:
            stream = await anyio.connect_tcp("127.0.0.1", server.port)
            await stream.send(b"GET /old HTTP/1.0\r\n\r\n")
            data = await read_until_closed(stream)
            await stream.aclose()
    assert versions == ["1.0"]
    assert data.startswith(b"HTTP/1.1 200 ")
    assert data.endswith(b"\r\n\r\nGET /old ")


@pytest.mark.anyio
async def test_pipelined_requests_are_answered_in_order() -> None:
    with anyio.fail_after(LIMIT):
        async with serving(echo) as server:
            client = await Client.open(server)
            await client.raw(
                b"POST /1 HTTP/1.1\r\nhost: t\r\ncontent-length: 1\r\n\r\nA"
                b"POST /2 HTTP/1.1\r\nhost: t\r\ncontent-length: 1\r\n\r\nB"
            )
            data = b""
            for _ in range(100):
                data += await client.stream.receive()
                if data.endswith(b"POST /2 B"):
                    break
            await client.aclose()
    assert data.count(b"HTTP/1.1 200 ") == 2
    assert data.index(b"POST /1 A") < data.index(b"POST /2 B")


@pytest.mark.anyio
async def test_bytes_pipelined_while_the_app_listens_are_kept() -> None:
    heard: list[str] = []
    listening = anyio.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        if scope["path"] == "/first":
            listening.set()
            with anyio.move_on_after(0.5):
                heard.append((await receive())["type"])
        await respond(send, 200, scope["path"].encode())

    with anyio.fail_after(LIMIT):
        async with serving(app) as server:
            client = await Client.open(server)
            await client.raw(b"GET /first HTTP/1.1\r\nhost: t\r\n\r\n")
            await listening.wait()
            await client.raw(b"GET /second HTTP/1.1\r\nhost: t\r\n\r\n")
            data = b""
            for _ in range(100):
                data += await client.stream.receive()
                if data.count(b"HTTP/1.1 200") == 2 and data.endswith(b"/second"):
                    break
            await client.aclose()
    assert heard == []  # the next request is not a disconnect
    assert data.index(b"/first") < data.index(b"/second")


@pytest.mark.anyio
async def test_expect_100_continue() -> None:
    with anyio.fail_after(LIMIT):
        async with serving(echo) as server:
            client = await Client.open(server)
            await client.send(
                h11.Request(
                    method="POST",
                    target="/up",
                    headers=[("host", "t"), ("expect", "100-continue"), ("content-length", "4")],
                )
            )
            interim = await client.event()
            assert isinstance(interim, h11.InformationalResponse) and interim.status_code == 100
            await client.send(h11.Data(data=b"data"), h11.EndOfMessage())
            response, body = await client.response()
            await client.aclose()
    assert response.status_code == 200 and body == b"POST /up data"


@pytest.mark.anyio
async def test_head_gets_headers_without_a_body_and_keeps_the_connection() -> None:
    with anyio.fail_after(LIMIT):
        async with serving(echo) as server:
            client = await Client.open(server)
            response, body = await client.request("HEAD", "/x")
            assert response.status_code == 200 and body == b""
            assert header(response, b"content-length") == b"8"  # the length of "HEAD /x ", not sent
            response, body = await client.request("GET", "/y")
            await client.aclose()
    assert body == b"GET /y "


@pytest.mark.anyio
async def test_connection_close_from_the_client_is_honoured() -> None:
    with anyio.fail_after(LIMIT):
        async with serving(echo) as server:
            client = await Client.open(server)
            response, _ = await client.request("GET", "/", headers=[("connection", "close")])
            assert response.status_code == 200
            assert header(response, b"connection") == b"close"
            assert await client.closed()
            await client.aclose()


@pytest.mark.anyio
async def test_connection_close_from_the_app_is_honoured() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await respond(send, 200, b"bye", [(b"connection", b"close")])

    with anyio.fail_after(LIMIT):
        async with serving(app) as server:
            client = await Client.open(server)
            _, body = await client.request()
            assert body == b"bye"
            assert await client.closed()
            await client.aclose()


@pytest.mark.anyio
async def test_receive_after_the_response_reports_a_disconnect() -> None:
    after: list[MutableMapping[str, Any]] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await respond(send, 200, b"ok")
        after.append(await receive())

    with anyio.fail_after(LIMIT):
        async with serving(app) as server:
            client = await Client.open(server)
            response, _ = await client.request()
            await client.aclose()
    assert response.status_code == 200
    assert after == [{"type": "http.disconnect"}]


# -- limits and protocol errors ----------------------------------------------------------------


class Recorder:
    """An app that records that it ran; the limit tests check it never did."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.calls += 1
        await echo(scope, receive, send)


async def refusal(server: HttpServer, data: bytes) -> tuple[int, bytes, bool]:
    """Send raw bytes; the status and body of the answer, and whether the server then closed."""
    client = await Client.open(server)
    await client.raw(data)
    client.conn.send(h11.Request(method="GET", target="/", headers=[("host", "t")]))
    response, body = await client.response()
    closed = await client.closed()
    await client.aclose()
    assert header(response, b"connection") == b"close"
    assert b"Traceback" not in body
    return response.status_code, body, closed


@pytest.mark.anyio
async def test_content_length_over_the_limit_is_413_before_the_app() -> None:
    app = Recorder()
    with anyio.fail_after(LIMIT):
        async with serving(app, max_body_size=100) as server:
            status, body, closed = await refusal(
                server, b"POST / HTTP/1.1\r\nhost: t\r\ncontent-length: 1000\r\n\r\n" + b"x" * 50
            )
            client = await Client.open(server)
            ok, _ = await client.request("POST", "/", body=b"y" * 100)
            await client.aclose()
    assert (status, closed) == (413, True)
    assert body.endswith(b"Too Large\n")  # the phrase changed between Python versions
    assert ok.status_code == 200
    assert app.calls == 1  # only the request within the limit


@pytest.mark.anyio
async def test_chunked_body_over_the_limit_is_413() -> None:
    app = Recorder()
    chunks = b"".join(b"3c\r\n" + b"z" * 60 + b"\r\n" for _ in range(3)) + b"0\r\n\r\n"
    with anyio.fail_after(LIMIT):
        async with serving(app, max_body_size=100) as server:
            status, _, closed = await refusal(
                server, b"POST / HTTP/1.1\r\nhost: t\r\ntransfer-encoding: chunked\r\n\r\n" + chunks
            )
    assert (status, closed) == (413, True)
    assert app.calls == 0


@pytest.mark.parametrize("end", [b"\r\n\r\n", b""], ids=["whole-head", "head-still-arriving"])
@pytest.mark.anyio
async def test_huge_headers_are_431(end: bytes) -> None:
    app = Recorder()
    with anyio.fail_after(LIMIT):
        async with serving(app, max_header_size=2048) as server:
            status, _, closed = await refusal(
                server, b"GET / HTTP/1.1\r\nhost: t\r\nx-big: " + b"a" * 8000 + end
            )
    assert (status, closed) == (431, True)
    assert app.calls == 0


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"\x00\x01\x02 not http at all\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nbad header line\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nhost: t\r\ntransfer-encoding: gzip\r\n\r\n", 501),
        (b"POST / HTTP/1.1\r\nhost: t\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n\r\n", 400),
    ],
    ids=["garbage", "bad-header", "unknown-transfer-encoding", "two-framings"],
)
@pytest.mark.anyio
async def test_malformed_requests_get_a_short_error(data: bytes, status: int) -> None:
    app = Recorder()
    with anyio.fail_after(LIMIT):
        async with serving(app) as server:
            answer, body, closed = await refusal(server, data)
    assert (answer, closed) == (status, True)
    assert len(body) < 100
    assert app.calls == 0


@pytest.mark.parametrize(
    "partial",
    [b"GET / HTTP/1.1\r\nhost: t\r\n", b"POST / HTTP/1.1\r\nhost: t\r\ncontent-length: 10\r\n\r\nabc"],
    ids=["half-a-head", "half-a-body"],
)
@pytest.mark.anyio
async def test_a_slow_request_is_cut_off(partial: bytes) -> None:
    app = Recorder()
    with anyio.fail_after(LIMIT):
        async with serving(app, header_timeout=0.3) as server:
            stream = await anyio.connect_tcp("127.0.0.1", server.port)
            await stream.send(partial)
            data = await read_until_closed(stream)  # returns only once the server closes
            await stream.aclose()
    assert data.startswith(b"HTTP/1.1 408 ")
    assert app.calls == 0


@pytest.mark.anyio
async def test_an_idle_kept_alive_connection_is_closed() -> None:
    with anyio.fail_after(LIMIT):
        async with serving(echo, keep_alive_timeout=0.3) as server:
            client = await Client.open(server)
            response, _ = await client.request()
            assert response.status_code == 200
            assert await client.closed()
            await client.aclose()
            await wait_for(lambda: server.active_connections == 0)


@pytest.mark.anyio
async def test_connections_beyond_the_limit_get_503(caplog: pytest.LogCaptureFixture) -> None:
    with anyio.fail_after(LIMIT):
        async with serving(echo, max_connections=1) as server:
            first = await Client.open(server)
            response, _ = await first.request()
            assert response.status_code == 200
            extra = await anyio.connect_tcp("127.0.0.1", server.port)
            turned_away = await read_until_closed(extra)
            await extra.aclose()
            assert server.active_connections == 1
            response, _ = await first.request()  # the admitted connection is unaffected
            assert response.status_code == 200
            await first.aclose()
            await wait_for(lambda: server.active_connections == 0)
            again = await Client.open(server)
            response, _ = await again.request()
            await again.aclose()
    assert turned_away.startswith(b"HTTP/1.1 503 ")
    assert response.status_code == 200
    assert any("connection limit" in record.getMessage() for record in caplog.records)


def test_limits_are_checked() -> None:
    with pytest.raises(ValueError, match="max_connections"):
        HttpServer(echo, max_connections=0)
    with pytest.raises(ValueError, match="header_timeout"):
        HttpServer(echo, header_timeout=0)
    with pytest.raises(ValueError, match="port"):
        HttpServer(echo, port=70000)


# -- streaming and disconnects -----------------------------------------------------------------


@pytest.mark.anyio
async def test_streamed_chunks_arrive_one_by_one() -> None:
    go_on = anyio.Event()
    finished = anyio.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]}
        )
        await send({"type": "http.response.body", "body": b"one", "more_body": True})
        await go_on.wait()
        await send({"type": "http.response.body", "body": b"two", "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        finished.set()

    with anyio.fail_after(LIMIT):
        async with serving(app) as server:
            client = await Client.open(server)
            await client.send(
                h11.Request(method="GET", target="/", headers=[("host", "t")]), h11.EndOfMessage()
            )
            head = await client.event()
            assert isinstance(head, h11.Response)
            assert header(head, b"transfer-encoding") == b"chunked"
            first = await client.event()
            assert isinstance(first, h11.Data) and first.data == b"one"
            assert not finished.is_set()
            go_on.set()
            second = await client.event()
            assert isinstance(second, h11.Data) and second.data == b"two"
            assert isinstance(await client.event(), h11.EndOfMessage)
            await client.aclose()


@pytest.mark.anyio
async def test_a_client_leaving_mid_stream_is_noticed() -> None:
    heard: list[MutableMapping[str, Any]] = []
    raised: list[BaseException] = []
    done = anyio.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"one", "more_body": True})
        heard.append(await receive())
        try:
            await send({"type": "http.response.body", "body": b"two", "more_body": True})
        except ClientDisconnected as exc:
            raised.append(exc)
        done.set()

    with anyio.fail_after(LIMIT):
        async with serving(app) as server:
            client = await Client.open(server)
            await client.send(
                h11.Request(method="GET", target="/", headers=[("host", "t")]), h11.EndOfMessage()
            )
            assert isinstance(await client.event(), h11.Response)
            assert isinstance(await client.event(), h11.Data)
            await client.aclose()
            await done.wait()
            await wait_for(lambda: server.active_connections == 0)
    assert heard == [{"type": "http.disconnect"}]
    assert len(raised) == 1 and isinstance(raised[0], OSError)


@pytest.mark.anyio
async def test_concurrent_receivers_all_hear_the_disconnect() -> None:
    heard: list[str] = []
    waiting = anyio.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()

        async def listen() -> None:
            heard.append((await receive())["type"])

        async with anyio.create_task_group() as tg:
            tg.start_soon(listen)
            tg.start_soon(listen)
            waiting.set()

    with anyio.fail_after(LIMIT):
        async with serving(app) as server:
            client = await Client.open(server)
            await client.raw(b"GET / HTTP/1.1\r\nhost: t\r\n\r\n")
            await waiting.wait()
            await client.aclose()
            await wait_for(lambda: len(heard) == 2)
    assert heard == ["http.disconnect", "http.disconnect"]


@pytest.mark.anyio
async def test_an_app_error_before_the_response_is_500(caplog: pytest.LogCaptureFixture) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise ValueError("secret detail")

    with anyio.fail_after(LIMIT):
        async with serving(app) as server:
            client = await Client.open(server)
            response, body = await client.request()
            assert await client.closed()
            await client.aclose()
    assert response.status_code == 500
    assert body == b"Internal Server Error\n"
    logged = [r for r in caplog.records if r.name == "mcpcore.http" and r.levelno >= logging.ERROR]
    assert logged and logged[0].exc_info is not None and logged[0].exc_info[0] is ValueError


@pytest.mark.anyio
async def test_an_app_that_sends_no_response_gets_500() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()

    with anyio.fail_after(LIMIT):
        async with serving(app) as server:
            client = await Client.open(server)
            response, _ = await client.request()
            await client.aclose()
    assert response.status_code == 500


@pytest.mark.anyio
async def test_an_app_error_mid_response_closes_the_connection() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"partial", "more_body": True})
        raise ValueError("midway")

    with anyio.fail_after(LIMIT):
        async with serving(app) as server:
            client = await Client.open(server)
            await client.send(
                h11.Request(method="GET", target="/", headers=[("host", "t")]), h11.EndOfMessage()
            )
            head = await client.event()
            assert isinstance(head, h11.Response) and head.status_code == 200
            data = await client.event()
            assert isinstance(data, h11.Data) and data.data == b"partial"
            with pytest.raises(h11.RemoteProtocolError):
                await client.event()  # the chunked body ends without its terminator
            await client.aclose()


# -- lifespan ---------------------------------------------------------------------------------


class LifespanApp:
    """Keeps a resource in the lifespan state and reports it from HTTP requests."""

    def __init__(self, fail: str | None = None) -> None:
        self.fail = fail
        self.events: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            message = await receive()
            self.events.append(message["type"])
            if self.fail is not None:
                await send({"type": "lifespan.startup.failed", "message": self.fail})
                return
            scope["state"]["resource"] = "ready"
            await send({"type": "lifespan.startup.complete"})
            message = await receive()
            self.events.append(message["type"])
            await send({"type": "lifespan.shutdown.complete"})
            return
        await receive()
        await respond(send, 200, scope["state"]["resource"].encode())


@pytest.mark.anyio
async def test_lifespan_runs_around_serving_and_shares_its_state() -> None:
    app = LifespanApp()
    with anyio.fail_after(LIMIT):
        async with serving(app, lifespan=True) as server:
            assert app.events == ["lifespan.startup"]
            client = await Client.open(server)
            _, body = await client.request()
            await client.aclose()
    assert body == b"ready"
    assert app.events == ["lifespan.startup", "lifespan.shutdown"]


@pytest.mark.anyio
async def test_a_failed_lifespan_startup_raises() -> None:
    server = HttpServer(LifespanApp(fail="no database"))
    with anyio.fail_after(LIMIT), pytest.raises(RuntimeError, match="no database"):
        await server.serve()


@pytest.mark.anyio
async def test_an_app_without_lifespan_is_served() -> None:
    with anyio.fail_after(LIMIT):
        async with serving(echo, lifespan=True) as server:  # echo asserts the scope is "http"
            client = await Client.open(server)
            response, body = await client.request("GET", "/fine")
            await client.aclose()
    assert response.status_code == 200 and body == b"GET /fine "


@pytest.mark.anyio
async def test_cancelling_serve_still_runs_the_lifespan_shutdown() -> None:
    app = LifespanApp()
    server = HttpServer(app)
    with anyio.fail_after(LIMIT):
        async with anyio.create_task_group() as tg:
            await tg.start(server.serve)
            tg.cancel_scope.cancel()
    assert app.events == ["lifespan.startup", "lifespan.shutdown"]


# -- shutdown ---------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_shutdown_lets_a_request_in_flight_finish_and_refuses_new_ones() -> None:
    entered = anyio.Event()
    release = anyio.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        entered.set()
        await release.wait()
        await respond(send, 200, b"finished")

    with anyio.fail_after(LIMIT):
        async with serving(app, shutdown_timeout=30) as server:
            client = await Client.open(server)
            await client.raw(b"GET / HTTP/1.1\r\nhost: t\r\n\r\n")
            await entered.wait()
            server.shutdown()
            assert not await served(server.port)
            release.set()
            client.conn.send(h11.Request(method="GET", target="/", headers=[("host", "t")]))
            response, body = await client.response()
            assert await client.closed()
            await client.aclose()
    assert response.status_code == 200 and body == b"finished"
    assert header(response, b"connection") == b"close"


@pytest.mark.anyio
async def test_shutdown_tells_a_streaming_response_to_end() -> None:
    heard: list[MutableMapping[str, Any]] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"event", "more_body": True})
        heard.append(await receive())  # an SSE app waits here for the client to leave
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    with anyio.fail_after(LIMIT):  # the app ends long before the shutdown deadline
        async with serving(app, shutdown_timeout=60) as server:
            client = await Client.open(server)
            await client.send(
                h11.Request(method="GET", target="/", headers=[("host", "t")]), h11.EndOfMessage()
            )
            assert isinstance(await client.event(), h11.Response)
            assert isinstance(await client.event(), h11.Data)
            server.shutdown()
            assert isinstance(await client.event(), h11.EndOfMessage)
            assert await client.closed()
            await client.aclose()
    assert heard == [{"type": "http.disconnect"}]


@pytest.mark.anyio
async def test_the_shutdown_deadline_cancels_a_stuck_app() -> None:
    entered = anyio.Event()
    cancelled: list[bool] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        entered.set()
        try:
            await anyio.sleep_forever()
        except anyio.get_cancelled_exc_class():
            cancelled.append(True)
            raise

    with anyio.fail_after(LIMIT):
        async with serving(app, shutdown_timeout=0.3) as server:
            client = await Client.open(server)
            await client.raw(b"GET / HTTP/1.1\r\nhost: t\r\n\r\n")
            await entered.wait()
            server.shutdown()
        # serve() has returned: the app was cancelled and the socket closed without an answer.
        assert await read_until_closed(client.stream) == b""
        await client.aclose()
    assert cancelled == [True]
    assert server.active_connections == 0


@pytest.mark.anyio
async def test_url_names_the_bound_port() -> None:
    with anyio.fail_after(LIMIT):
        async with serving(echo) as server:
            assert server.port != 0
            assert server.url == f"http://127.0.0.1:{server.port}"
