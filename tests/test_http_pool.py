"""The keep-alive HTTP client, against a tiny h11 server written here on raw anyio sockets.

The server counts the sockets it accepts, so connection reuse is seen from the outside; its
handlers are plain coroutines per test, which lets a test close, stall or stream at will.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager

import anyio
import h11
import pytest
from anyio.abc import SocketAttribute, SocketStream
from hypothesis import given
from hypothesis import strategies as st

from transports.http._pool import (
    DEFAULT,
    ConnectError,
    HttpClient,
    HttpError,
    ProtocolError,
    ResponseTooLarge,
    Timeout,
    _Connection,
    _parse_url,
)

LIMIT = 10  # seconds any one test may take, at most


class Exchange:
    """One request as the server received it, and the means to answer it."""

    def __init__(
        self, server: Server, conn: h11.Connection, stream: SocketStream, request: h11.Request, body: bytes
    ) -> None:
        self.server = server
        self.conn = conn
        self.stream = stream
        self.request = request
        self.body = body
        self.socket = server.accepted
        self.closed = False

    @property
    def method(self) -> str:
        return self.request.method.decode()

    def header(self, name: str) -> str | None:
        wanted = name.lower().encode()
        for key, value in self.request.headers:
            if key == wanted:
                return value.decode()
        return None

    async def send(self, event: h11.Event) -> None:
        data = self.conn.send(event)
        if data:
            await self.stream.send(data)

    async def start(self, status: int = 200, headers: Sequence[tuple[str, str]] = ()) -> None:
        await self.send(h11.Response(status_code=status, headers=list(headers)))

    async def respond(
        self, status: int = 200, body: bytes = b"", headers: Sequence[tuple[str, str]] = ()
    ) -> None:
        head = h11.Response(status_code=status, headers=[*headers, ("content-length", str(len(body)))])
        data = [self.conn.send(head), self.conn.send(h11.Data(data=body)) if body else b""]
        data.append(self.conn.send(h11.EndOfMessage()))
        await self.stream.send(b"".join(d for d in data if d))

    async def wait_closed(self) -> None:
        """Stall, answering nothing more, until the client closes the connection."""
        for _ in range(1000):
            try:
                await self.stream.receive()
            except (anyio.EndOfStream, anyio.BrokenResourceError):
                return

    async def close(self) -> None:
        self.closed = True
        await self.stream.aclose()


Handler = Callable[[Exchange], Awaitable[None]]


async def echo(ex: Exchange) -> None:
    """Answers with the request body, and says which socket carried the request."""
    await ex.respond(200, ex.body, [("x-socket", str(ex.socket)), ("X-Method", ex.method)])


class Server:
    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.port = 0
        self.accepted = 0  # sockets accepted
        self.ended = 0  # sockets finished, by either side
        self.exchanges: list[Exchange] = []
        self.inflight = 0
        self.max_inflight = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def connection(self, stream: SocketStream) -> None:
        self.accepted += 1
        conn = h11.Connection(h11.SERVER)
        try:
            async with stream:
                for _ in range(1000):
                    got = await self._read_request(conn, stream)
                    if got is None:
                        return
                    exchange = Exchange(self, conn, stream, *got)
                    self.exchanges.append(exchange)
                    self.inflight += 1
                    self.max_inflight = max(self.max_inflight, self.inflight)
                    try:
                        await self.handler(exchange)
                    finally:
                        self.inflight -= 1
                    if exchange.closed or conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
                        return
                    conn.start_next_cycle()
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, h11.ProtocolError):
            pass
        finally:
            self.ended += 1

    @staticmethod
    async def _read_request(conn: h11.Connection, stream: SocketStream) -> tuple[h11.Request, bytes] | None:
        request: h11.Request | None = None
        body: list[bytes] = []
        for _ in range(100_000):
            event = conn.next_event()
            if event is h11.NEED_DATA:
                try:
                    conn.receive_data(await stream.receive())
                except anyio.EndOfStream:
                    conn.receive_data(b"")
            elif isinstance(event, h11.Request):
                request = event
            elif isinstance(event, h11.Data):
                body.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                assert request is not None
                return request, b"".join(body)
            else:
                return None
        raise AssertionError("the request never ended")


@asynccontextmanager
async def serve(handler: Handler = echo, host: str = "127.0.0.1") -> AsyncIterator[Server]:
    server = Server(handler)
    listener = await anyio.create_tcp_listener(local_host=host, local_port=0)
    server.port = listener.extra(SocketAttribute.local_port)
    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, server.connection)
        try:
            yield server
        finally:
            tg.cancel_scope.cancel()


async def until(predicate: Callable[[], bool]) -> None:
    with anyio.fail_after(5):
        for _ in range(1000):
            if predicate():
                return
            await anyio.sleep(0.005)
    raise AssertionError("the condition never came true")


pytestmark = pytest.mark.anyio


# -- round trips --------------------------------------------------------------------------------


async def test_get_and_post_round_trip() -> None:
    with anyio.fail_after(LIMIT):
        async with serve() as server, HttpClient() as client:
            async with await client.request(
                "POST",
                f"{server.url}/rpc?x=1",
                headers={"Content-Type": "application/json"},
                body=b'{"a": 1}',
            ) as response:
                assert response.status == 200
                assert response.reason == ""
                assert response.http_version == "1.1"
                assert response.header("X-METHOD") == "POST"
                assert ("x-method", "POST") in response.headers
                assert response.header("missing") is None
                assert await response.read() == b'{"a": 1}'
            posted = server.exchanges[0]
            assert posted.request.target == b"/rpc?x=1"
            assert posted.header("host") == f"127.0.0.1:{server.port}"
            assert posted.header("content-type") == "application/json"
            assert posted.header("content-length") == "8"

            response = await client.request(
                "GET", server.url, headers=[("Accept", "text/plain"), ("X-A", "1")]
            )
            assert await response.read() == b""
            got = server.exchanges[1]
            assert got.request.target == b"/"
            assert got.header("accept") == "text/plain"
            assert got.header("content-length") is None  # a GET without a body says nothing of length

            response = await client.request("POST", server.url)
            assert await response.read() == b""
            assert server.exchanges[2].header("content-length") == "0"

            response = await client.request("DELETE", server.url, headers={"Host": "example.test"})
            await response.aclose()
            assert server.exchanges[3].header("host") == "example.test"
            assert server.exchanges[3].header("content-length") is None


async def test_large_body_both_ways() -> None:
    body = bytes(range(256)) * 1024  # 256 KiB: written apart from the head, read in many pieces
    with anyio.fail_after(LIMIT):
        async with serve() as server, HttpClient() as client:
            response = await client.request("PUT", server.url, body=body)
            assert await response.read() == body
            pieces = []
            response = await client.request("PUT", server.url, body=body)
            async for piece in response.iter_bytes():
                assert isinstance(piece, bytes)
                pieces.append(piece)
            assert b"".join(pieces) == body
            assert server.accepted == 1


async def test_informational_responses_are_skipped() -> None:
    async def handler(ex: Exchange) -> None:
        await ex.send(h11.InformationalResponse(status_code=100, headers=[]))
        await ex.send(h11.InformationalResponse(status_code=103, headers=[("link", "</a>")]))
        await ex.respond(201, b"made")

    with anyio.fail_after(LIMIT):
        async with serve(handler) as server, HttpClient() as client:
            response = await client.request("POST", server.url, body=b"x")
            assert response.status == 201
            assert await response.read() == b"made"


# -- the pool -----------------------------------------------------------------------------------


async def test_sequential_requests_share_one_socket() -> None:
    with anyio.fail_after(LIMIT):
        async with serve() as server, HttpClient() as client:
            for i in range(5):
                response = await client.request("POST", server.url, body=b"%d" % i)
                assert await response.read() == b"%d" % i
                assert response.header("x-socket") == "1"
            # A response closed unread frees its connection too when the head says there is no
            # body (as for a 202 with Content-Length: 0).
            for _ in range(3):
                response = await client.request("POST", server.url)
                await response.aclose()
            assert server.accepted == 1
            assert len(server.exchanges) == 8


async def test_concurrent_requests_open_connections_up_to_the_bound() -> None:
    gate = anyio.Event()

    async def handler(ex: Exchange) -> None:
        await gate.wait()
        await echo(ex)

    results: list[bytes] = []

    async def one(client: HttpClient, url: str, i: int) -> None:
        response = await client.request("POST", url, body=b"%d" % i)
        results.append(await response.read())

    with anyio.fail_after(LIMIT):
        async with serve(handler) as server, HttpClient(max_connections=2) as client:
            async with anyio.create_task_group() as tg:
                for i in range(4):
                    tg.start_soon(one, client, server.url, i)
                await until(lambda: server.inflight == 2)
                await anyio.sleep(0.05)  # room for a third connection, were the bound not kept
                assert server.accepted == 2
                assert len(server.exchanges) == 2
                gate.set()
            assert sorted(results) == [b"0", b"1", b"2", b"3"]
            assert server.accepted == 2  # the waiting two reused the first two connections
            assert server.max_inflight == 2


async def test_pool_timeout_when_every_connection_is_taken() -> None:
    with anyio.fail_after(LIMIT):
        async with serve() as server, HttpClient(max_connections=1, pool_timeout=0.1) as client:
            held = await client.request("GET", server.url)
            with pytest.raises(Timeout, match="no free connection") as caught:
                await client.request("GET", server.url)
            assert isinstance(caught.value, TimeoutError)
            await held.aclose()
            response = await client.request("GET", server.url)
            assert response.status == 200
            await response.aclose()
            assert server.accepted == 1


async def test_keep_alive_expiry_retires_idle_connections() -> None:
    with anyio.fail_after(LIMIT):
        async with serve() as server, HttpClient(keep_alive_expiry=0) as client:
            for _ in range(3):
                response = await client.request("GET", server.url)
                await response.read()
            assert server.accepted == 3
            await until(lambda: server.ended == 2)  # the expired ones were closed, not left open


async def test_connection_close_answer_is_not_pooled() -> None:
    async def handler(ex: Exchange) -> None:
        await ex.respond(200, b"bye", [("connection", "close")])

    with anyio.fail_after(LIMIT):
        async with serve(handler) as server, HttpClient() as client:
            for _ in range(2):
                response = await client.request("GET", server.url)
                assert await response.read() == b"bye"
            assert server.accepted == 2


async def test_request_asking_to_close_is_not_pooled() -> None:
    with anyio.fail_after(LIMIT):
        async with serve() as server, HttpClient() as client:
            for _ in range(2):
                response = await client.request("GET", server.url, headers={"connection": "close"})
                await response.read()
            assert server.accepted == 2


# -- stale connections and broken answers -------------------------------------------------------


async def _idle_close_handler(ex: Exchange) -> None:
    await echo(ex)
    await ex.close()  # as a server's idle timer would, but at once


async def test_connection_closed_while_idle_is_replaced() -> None:
    with anyio.fail_after(LIMIT):
        async with serve(_idle_close_handler) as server, HttpClient() as client:
            response = await client.request("POST", server.url, body=b"one")
            assert await response.read() == b"one"
            await until(lambda: server.ended == 1)
            response = await client.request("POST", server.url, body=b"two")
            assert await response.read() == b"two"
            assert response.header("x-socket") == "2"
            assert [ex.body for ex in server.exchanges] == [b"one", b"two"]


async def test_stale_connection_is_retried_once_on_a_new_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    # Without the idle check the request is written into the closed socket; the EOF (or reset)
    # before any byte of an answer sends it again on a fresh connection.
    monkeypatch.setattr(_Connection, "looks_closed", lambda self: False)
    with anyio.fail_after(LIMIT):
        async with serve(_idle_close_handler) as server, HttpClient() as client:
            for i in range(3):
                response = await client.request("POST", server.url, body=b"%d" % i)
                assert await response.read() == b"%d" % i
                assert response.header("x-socket") == str(i + 1)
                await until(lambda: server.ended == server.accepted)
            assert [ex.body for ex in server.exchanges] == [b"0", b"1", b"2"]


async def test_retry_happens_once_only() -> None:
    async def handler(ex: Exchange) -> None:
        if len(ex.server.exchanges) == 1:
            await echo(ex)
        else:
            await ex.close()  # read the request, answer nothing

    with anyio.fail_after(LIMIT):
        async with serve(handler) as server, HttpClient() as client:
            response = await client.request("GET", server.url)
            await response.read()
            with pytest.raises(ProtocolError, match="without answering"):
                await client.request("GET", server.url)
            # Once on the reused socket, once more on a fresh one, and no further.
            assert len(server.exchanges) == 3
            assert server.accepted == 2


async def test_fresh_connection_closed_without_answer_is_not_retried() -> None:
    async def handler(ex: Exchange) -> None:
        await ex.close()

    with anyio.fail_after(LIMIT):
        async with serve(handler) as server, HttpClient() as client:
            with pytest.raises(ProtocolError):
                await client.request("POST", server.url, body=b"x")
            assert len(server.exchanges) == 1


async def test_server_closing_mid_response_is_a_protocol_error() -> None:
    async def handler(ex: Exchange) -> None:
        if len(ex.server.exchanges) == 1:
            await echo(ex)
            return
        await ex.start(200, [("content-length", "100")])
        await ex.send(h11.Data(data=b"0123456789"))
        await ex.close()

    with anyio.fail_after(LIMIT):
        async with serve(handler) as server, HttpClient() as client:
            response = await client.request("GET", server.url)
            await response.read()
            # The head came back on the reused connection, so the request is not sent again.
            response = await client.request("GET", server.url)
            assert response.status == 200
            with pytest.raises(ProtocolError):
                await response.read()
            assert len(server.exchanges) == 2
            with pytest.raises(HttpError, match="closed before"):
                await response.read()
            await response.aclose()

            response = await client.request("GET", server.url)
            chunks = response.iter_bytes()
            assert await chunks.__anext__() == b"0123456789"
            with pytest.raises(ProtocolError):
                await chunks.__anext__()


async def test_server_closing_mid_head_is_a_protocol_error() -> None:
    async def handler(ex: Exchange) -> None:
        await ex.stream.send(b"HTTP/1.1 200 OK\r\ncontent-le")
        await ex.close()

    with anyio.fail_after(LIMIT):
        async with serve(handler) as server, HttpClient() as client:
            with pytest.raises(ProtocolError):
                await client.request("GET", server.url)
            assert len(server.exchanges) == 1


async def test_garbage_answer_is_a_protocol_error() -> None:
    async def handler(ex: Exchange) -> None:
        await ex.stream.send(b"SSH-2.0-nope\r\n\r\n")
        await ex.close()

    with anyio.fail_after(LIMIT):
        async with serve(handler) as server, HttpClient() as client:
            with pytest.raises(ProtocolError, match="invalid response"):
                await client.request("GET", server.url)


async def test_oversized_head_is_a_protocol_error() -> None:
    async def handler(ex: Exchange) -> None:
        await ex.respond(200, b"", [("x-big", "a" * 4000)])

    with anyio.fail_after(LIMIT):
        async with serve(handler) as server, HttpClient(max_header_size=1024) as client:
            with pytest.raises(ProtocolError):
                await client.request("GET", server.url)


# -- bodies -------------------------------------------------------------------------------------


async def test_body_streams_before_the_server_finishes() -> None:
    got_first = anyio.Event()

    async def handler(ex: Exchange) -> None:
        await ex.start(200, [("content-type", "text/event-stream")])  # chunked: no length given
        await ex.send(h11.Data(data=b"first"))
        await got_first.wait()
        await ex.send(h11.Data(data=b"second"))
        await ex.send(h11.EndOfMessage())

    with anyio.fail_after(LIMIT):
        async with serve(handler) as server, HttpClient() as client:
            response = await client.request("GET", server.url)
            assert response.header("transfer-encoding") == "chunked"
            chunks = response.iter_bytes()
            assert await chunks.__anext__() == b"first"
            got_first.set()
            assert await chunks.__anext__() == b"second"
            with pytest.raises(StopAsyncIteration):
                await chunks.__anext__()
            assert await response.read() == b""  # nothing left, and no error
            response = await client.request("GET", server.url)
            got = []
            async for chunk in response.iter_bytes():
                got.append(chunk)
            assert got == [b"first", b"second"]
            assert server.accepted == 1


async def test_read_refuses_bodies_over_max_size() -> None:
    async def handler(ex: Exchange) -> None:
        if ex.request.target == b"/chunked":
            await ex.start(200)
            for _ in range(10):
                await ex.send(h11.Data(data=b"x" * 100))
            await ex.send(h11.EndOfMessage())
        else:
            await ex.respond(200, b"x" * 1000)

    with anyio.fail_after(LIMIT):
        async with serve(handler) as server, HttpClient() as client:
            response = await client.request("GET", server.url)
            assert await response.read(max_size=1000) == b"x" * 1000
            for path in ("/", "/chunked"):
                response = await client.request("GET", server.url + path)
                with pytest.raises(ResponseTooLarge, match="larger than 999 bytes"):
                    await response.read(max_size=999)
            # Both refused bodies cost their connections: the next request needs a new one.
            response = await client.request("GET", server.url)
            await response.read()
            assert server.accepted == 3


@pytest.mark.parametrize("status", [204, 304])
async def test_answers_without_body(status: int) -> None:
    async def handler(ex: Exchange) -> None:
        await ex.start(status)
        await ex.send(h11.EndOfMessage())

    with anyio.fail_after(LIMIT):
        async with serve(handler) as server, HttpClient() as client:
            response = await client.request("GET", server.url)
            assert response.status == status
            assert await response.read() == b""
            response = await client.request("GET", server.url)
            await response.aclose()  # unread, yet complete: the connection is kept
            response = await client.request("GET", server.url)
            assert response.status == status
            await response.aclose()
            assert server.accepted == 1


async def test_head_request() -> None:
    async def handler(ex: Exchange) -> None:
        body = b"hello"
        await ex.start(200, [("content-length", str(len(body)))])
        if ex.method != "HEAD":
            await ex.send(h11.Data(data=body))
        await ex.send(h11.EndOfMessage())

    with anyio.fail_after(LIMIT):
        async with serve(handler) as server, HttpClient() as client:
            response = await client.request("HEAD", server.url)
            assert response.header("content-length") == "5"
            assert await response.read() == b""
            # No body was owed, so the next answer on the same socket is read intact.
            response = await client.request("GET", server.url)
            assert await response.read() == b"hello"
            assert server.accepted == 1


# -- timeouts and cancellation ------------------------------------------------------------------


async def test_read_timeout_for_the_head() -> None:
    async def handler(ex: Exchange) -> None:
        await ex.wait_closed()

    with anyio.fail_after(LIMIT):
        async with serve(handler) as server, HttpClient() as client:
            with pytest.raises(Timeout, match="no response") as caught:
                await client.request("GET", server.url, read_timeout=0.1)
            assert isinstance(caught.value, TimeoutError)
            await until(lambda: server.ended == 1)  # the timed-out connection was closed


async def test_read_timeout_for_the_body() -> None:
    async def handler(ex: Exchange) -> None:
        await ex.start(200)
        await ex.send(h11.Data(data=b"some"))
        await ex.wait_closed()

    with anyio.fail_after(LIMIT):
        async with serve(handler) as server, HttpClient(read_timeout=0.1) as client:
            response = await client.request("GET", server.url)
            assert response.read_timeout == 0.1
            with pytest.raises(Timeout, match="no data"):
                await response.read()
            # The request's own value wins over the client's, for the body as for the head.
            response = await client.request("GET", server.url, read_timeout=0.2)
            assert response.read_timeout == 0.2
            response.read_timeout = 0.05
            chunks = response.iter_bytes()
            assert await chunks.__anext__() == b"some"
            with pytest.raises(Timeout):
                await chunks.__anext__()
            response = await client.request("GET", server.url, read_timeout=DEFAULT)
            assert response.read_timeout == 0.1
            await response.aclose()
            assert server.accepted == 3


async def test_cancelled_body_read_closes_the_connection() -> None:
    async def handler(ex: Exchange) -> None:
        if ex.request.target == b"/slow":
            await ex.start(200)
            await ex.send(h11.Data(data=b"part"))
            await ex.wait_closed()
        await echo(ex)

    with anyio.fail_after(LIMIT):
        async with serve(handler) as server, HttpClient(read_timeout=None) as client:
            response = await client.request("GET", server.url + "/slow")
            chunks = response.iter_bytes()
            assert await chunks.__anext__() == b"part"
            with anyio.move_on_after(0.1) as scope:
                await chunks.__anext__()
            assert scope.cancelled_caught
            await until(lambda: server.ended == 1)
            with pytest.raises(HttpError):
                await response.read()
            await response.aclose()
            response = await client.request("GET", server.url)
            await response.read()
            assert response.header("x-socket") == "2"


async def test_cancelled_request_closes_the_connection() -> None:
    async def handler(ex: Exchange) -> None:
        if ex.request.target == b"/slow":
            await ex.wait_closed()
        await echo(ex)

    with anyio.fail_after(LIMIT):
        async with serve(handler) as server, HttpClient(max_connections=1) as client:
            with anyio.move_on_after(0.1) as scope:
                await client.request("GET", server.url + "/slow")
            assert scope.cancelled_caught
            await until(lambda: server.ended == 1)
            # The one slot was given back, and a new socket carries the next request.
            response = await client.request("GET", server.url)
            await response.read()
            assert response.header("x-socket") == "2"


async def test_connect_refused() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))  # bound, never listening: the port refuses connections
        port = unused.getsockname()[1]
        with anyio.fail_after(LIMIT):
            async with HttpClient() as client:
                with pytest.raises(ConnectError, match="could not connect") as caught:
                    await client.request("GET", f"http://127.0.0.1:{port}/")
                assert isinstance(caught.value, OSError)


# -- closing ------------------------------------------------------------------------------------


async def test_aclose_closes_every_connection() -> None:
    async def handler(ex: Exchange) -> None:
        if ex.request.target == b"/stream":
            await ex.start(200)
            await ex.send(h11.Data(data=b"part"))
            await ex.wait_closed()
        await echo(ex)

    with anyio.fail_after(LIMIT):
        async with serve(handler) as server:
            client = HttpClient()
            streaming = await client.request("GET", server.url + "/stream")
            idle = await client.request("GET", server.url)
            await idle.read()
            assert server.accepted == 2
            await client.aclose()
            await until(lambda: server.ended == 2)
            with pytest.raises(HttpError):
                await streaming.read()
            await streaming.aclose()
            await streaming.aclose()  # idempotent
            with pytest.raises(HttpError, match="closed"):
                await client.request("GET", server.url)
            await client.aclose()
            assert server.accepted == 2


async def test_aclose_ends_a_read_in_progress() -> None:
    async def handler(ex: Exchange) -> None:
        await ex.start(200)
        await ex.wait_closed()

    failures: list[BaseException] = []

    async def reader(response_read: Callable[[], Awaitable[bytes]]) -> None:
        try:
            await response_read()
        except HttpError as exc:
            failures.append(exc)

    with anyio.fail_after(LIMIT):
        async with serve(handler) as server:
            client = HttpClient(read_timeout=None)
            response = await client.request("GET", server.url)
            async with anyio.create_task_group() as tg:
                tg.start_soon(reader, response.read)
                await anyio.sleep(0.05)  # let the reader block on the socket
                await client.aclose()
            assert len(failures) == 1
            await until(lambda: server.ended == 1)


# -- URLs and bad input -------------------------------------------------------------------------


async def test_ipv6_literal() -> None:
    try:
        probe = socket.socket(socket.AF_INET6)
        probe.bind(("::1", 0))
        probe.close()
    except OSError:
        pytest.skip("no IPv6 loopback here")
    with anyio.fail_after(LIMIT):
        async with serve(host="::1") as server, HttpClient() as client:
            response = await client.request("GET", f"http://[::1]:{server.port}/six")
            assert response.status == 200
            await response.aclose()
            assert server.exchanges[0].header("host") == f"[::1]:{server.port}"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://127.0.0.1/", "not an http or https URL"),
        ("http:///path", "no host"),
        ("http://127.0.0.1:99999/", "not a valid URL"),
        ("http://127.0.0.1/caf\u00e9", "must be ASCII"),
        ("http://127.0.0.1/a b", "invalid HTTP request"),
    ],
)
async def test_bad_urls(url: str, message: str) -> None:
    with anyio.fail_after(LIMIT):
        async with HttpClient() as client:
            with pytest.raises(ValueError, match=message):
                await client.request("GET", url)


async def test_bad_headers_fail_before_connecting() -> None:
    with anyio.fail_after(LIMIT):
        async with serve() as server, HttpClient() as client:
            with pytest.raises(ValueError, match="invalid HTTP request"):
                await client.request("GET", server.url, headers={"bad name": "x"})
            with pytest.raises(ValueError, match="invalid HTTP request"):
                await client.request("GET", server.url, headers={"x-a": "line\r\nbreak"})
            with pytest.raises(ValueError, match="invalid HTTP request"):
                await client.request("GE T", server.url)
            assert server.accepted == 0


def test_bad_settings() -> None:
    with pytest.raises(ValueError, match="max_connections"):
        HttpClient(max_connections=0)
    with pytest.raises(ValueError, match="read_timeout"):
        HttpClient(read_timeout=0)
    with pytest.raises(ValueError, match="keep_alive_expiry"):
        HttpClient(keep_alive_expiry=-1)


_label = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=10)
_segment = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABC0123456789-._~%", max_size=8)


@given(
    scheme=st.sampled_from(["http", "https", "HTTP"]),
    labels=st.lists(_label, min_size=1, max_size=3),
    port=st.none() | st.integers(min_value=1, max_value=65535),
    segments=st.lists(_segment, max_size=4),
    query=st.none() | st.text(alphabet="abc=&%1", max_size=10),
)
def test_url_parts(
    scheme: str, labels: list[str], port: int | None, segments: list[str], query: str | None
) -> None:
    host = ".".join(labels)
    authority = host if port is None else f"{host}:{port}"
    path = "".join("/" + segment for segment in segments)
    url = f"{scheme}://{authority}{path}" + ("" if query is None else f"?{query}")
    parsed = _parse_url(url)
    default = 80 if scheme.lower() == "http" else 443
    assert parsed.origin == (scheme.lower(), host, default if port is None else port)
    assert parsed.host == authority
    expected = (path or "/") + (f"?{query}" if query else "")
    assert parsed.target == expected.encode()
