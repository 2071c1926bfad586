"""The floor of the HTTP benchmarks: the least an HTTP/1.1 server and client can do per JSON request.

The server answers every POST with its own body, as ``application/json``, over keep-alive
connections: anyio's TCP listener, one ``h11.Connection`` per socket, nothing else. No JSON is
decoded, no session exists, no SSE stream is opened. The client keeps one connection alive and
POSTs the JSON-RPC ``tools/call`` request of the echo benchmarks (``benchmarks/stdio.py``
sends the same bytes, plus its newline), decoding each answer with orjson as any client must;
with ``in_flight`` calls at once it keeps as many connections, one caller each. What an MCP
client and server over Streamable HTTP add on top of these exchanges is what the HTTP
workloads are reported against.

The server runs in a process of its own, ``python -m benchmarks._http_floor serve --port 0``,
so that client and server share neither an event loop nor a GIL, as in the real benchmark. It
listens on 127.0.0.1 only, says ``ready <port>`` on stdout once it accepts connections, and
stops at the end of its stdin. Its imports are anyio, h11, orjson and the harness's module.
"""

from __future__ import annotations

import argparse
import itertools
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import anyio
import h11
import orjson
from anyio.abc import ByteStream, SocketAttribute
from anyio.streams.buffered import BufferedByteReceiveStream

from benchmarks.harness import Measure, stop_child

REPO_ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
PATH = "/mcp"
ARGUMENTS: dict[str, Any] = {"text": "hello"}
TOOLS_CALL: dict[str, Any] = {"name": "echo", "arguments": ARGUMENTS}

_READ_SIZE = 1 << 16
_READY_TIMEOUT = 30.0  # seconds for the server process to import and bind
_EXIT_TIMEOUT = 5.0
_JSON = b"application/json"


class FloorError(RuntimeError):
    """The floor server answered wrongly or not at all: the figure would be meaningless."""


def request_body(request_id: int) -> bytes:
    """The body of one POST: the echo benchmarks' ``tools/call`` request with this id."""
    return orjson.dumps({"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": TOOLS_CALL})


def check_echo(answer: Any, request_id: int) -> None:
    """Raise unless ``answer`` (a decoded response body) is the request with ``request_id``."""
    params = answer.get("params") if isinstance(answer, dict) else None
    arguments = params.get("arguments") if isinstance(params, dict) else None
    if not isinstance(arguments, dict) or answer.get("id") != request_id or arguments.get("text") != "hello":
        raise FloorError(f"the floor server answered {answer!r} to request {request_id}")


# -- the server -------------------------------------------------------------------------------


def _wire(
    connection: h11.Connection, *events: h11.Response | h11.Request | h11.Data | h11.EndOfMessage
) -> bytes:
    # One send per message: headers, body and end go out in a single write.
    return b"".join(connection.send(event) or b"" for event in events)


def _response(connection: h11.Connection, status: int, body: bytes) -> bytes:
    headers = [(b"content-type", _JSON), (b"content-length", b"%d" % len(body))]
    return _wire(
        connection, h11.Response(status_code=status, headers=headers), h11.Data(data=body), h11.EndOfMessage()
    )


async def _answer_connection(stream: ByteStream) -> None:
    connection = h11.Connection(h11.SERVER)
    chunks: list[bytes] = []
    method = b""
    # One loop turn per h11 event or read: it ends when the client closes or breaks the protocol.
    async with stream:
        while True:
            event = connection.next_event()
            if event is h11.NEED_DATA:
                try:
                    data = await stream.receive(_READ_SIZE)
                except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError):
                    data = b""  # tells h11 the peer is gone
                connection.receive_data(data)
            elif isinstance(event, h11.Request):
                method, chunks = event.method, []
            elif isinstance(event, h11.Data):
                chunks.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                if method == b"POST":
                    await stream.send(_response(connection, 200, b"".join(chunks)))
                else:
                    await stream.send(_response(connection, 405, b""))
                if connection.our_state is not h11.DONE or connection.their_state is not h11.DONE:
                    return  # the client asked to close
                connection.start_next_cycle()
            else:  # ConnectionClosed, or PAUSED by a client that spoke out of turn
                return


async def _answer_safely(stream: ByteStream) -> None:
    # One misbehaving client must not bring the listener (and every other connection) down.
    try:
        await _answer_connection(stream)
    except (h11.ProtocolError, OSError, anyio.BrokenResourceError, anyio.ClosedResourceError):
        pass


def _wait_for_end_of_input() -> None:
    for _ in iter(sys.stdin.buffer.readline, b""):
        pass


async def serve(port: int, announce: TextIO) -> None:
    """Answer on ``127.0.0.1:port`` (0: a free port) until stdin ends; say ``ready <port>`` first."""
    listener = await anyio.create_tcp_listener(local_host=HOST, local_port=port)
    async with listener, anyio.create_task_group() as group:
        announce.write(f"ready {listener.extra(SocketAttribute.local_port)}\n")
        announce.flush()
        group.start_soon(listener.serve, _answer_safely)
        await anyio.to_thread.run_sync(_wait_for_end_of_input, abandon_on_cancel=True)
        group.cancel_scope.cancel()


@dataclass(frozen=True)
class FloorServer:
    port: int
    pid: int


@asynccontextmanager
async def floor_server() -> AsyncIterator[FloorServer]:
    """The floor server in a process of its own, on a free port, until the block ends."""
    command = [sys.executable, "-m", "benchmarks._http_floor", "serve", "--port", "0"]
    # The repository as working directory: ``-m benchmarks`` imports from it even uninstalled.
    process = await anyio.open_process(
        command, cwd=REPO_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=None
    )
    assert process.stdin is not None
    assert process.stdout is not None
    try:
        try:
            with anyio.fail_after(_READY_TIMEOUT):
                line = await BufferedByteReceiveStream(process.stdout).receive_until(b"\n", 1024)
        except TimeoutError:
            raise FloorError(f"the floor server did not start within {_READY_TIMEOUT:g} s") from None
        except (anyio.IncompleteRead, anyio.EndOfStream, anyio.DelimiterNotFound):
            raise FloorError("the floor server exited before it said it was ready") from None
        words = line.decode("ascii", "replace").split()
        if len(words) != 2 or words[0] != "ready" or not words[1].isdigit():
            raise FloorError(f"the floor server said {line!r} instead of 'ready <port>'")
        yield FloorServer(int(words[1]), process.pid)
    finally:
        await stop_child(process, _EXIT_TIMEOUT)  # end of input: the server exits


# -- the client -------------------------------------------------------------------------------


def _client_headers(port: int) -> list[tuple[bytes, bytes]]:
    # What a Streamable HTTP client sends with each POST, so the bytes are of that size.
    return [
        (b"host", f"{HOST}:{port}".encode()),
        (b"content-type", _JSON),
        (b"accept", b"application/json, text/event-stream"),
    ]


class FloorConnection:
    """One kept-alive HTTP/1.1 connection that POSTs a body and returns the answer's body."""

    def __init__(self, stream: ByteStream, port: int) -> None:
        self.stream = stream
        self._connection = h11.Connection(h11.CLIENT)
        self._headers = _client_headers(port)

    @classmethod
    async def open(cls, port: int) -> FloorConnection:
        return cls(await anyio.connect_tcp(HOST, port), port)

    async def post(self, body: bytes) -> bytes:
        connection, stream = self._connection, self.stream
        headers = [*self._headers, (b"content-length", b"%d" % len(body))]
        request = h11.Request(method="POST", target=PATH, headers=headers)
        await stream.send(_wire(connection, request, h11.Data(data=body), h11.EndOfMessage()))
        status = 0
        chunks: list[bytes] = []
        # One turn per h11 event or read; the server's EndOfMessage (or a failure) ends it.
        while True:
            event = connection.next_event()
            if event is h11.NEED_DATA:
                try:
                    connection.receive_data(await stream.receive(_READ_SIZE))
                except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError):
                    raise FloorError("the floor server closed the connection") from None
            elif isinstance(event, h11.Response):
                status = event.status_code
            elif isinstance(event, h11.Data):
                chunks.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                break
            else:
                raise FloorError(f"the floor server sent {event!r}")
        if status != 200:
            raise FloorError(f"the floor server answered HTTP {status}")
        connection.start_next_cycle()
        return b"".join(chunks)

    async def aclose(self) -> None:
        await self.stream.aclose()


@asynccontextmanager
async def floor_sequential() -> AsyncIterator[Measure]:
    """Sequential POSTs of the echo request over one kept-alive connection."""
    async with floor_server() as server:
        connection = await FloorConnection.open(server.port)
        try:

            async def measure(n: int) -> float:
                post, loads, dumps = connection.post, orjson.loads, orjson.dumps
                answer: Any = None
                start = time.perf_counter()
                for request_id in range(n):
                    message = {
                        "jsonrpc": "2.0",
                        "id": request_id,
                        "method": "tools/call",
                        "params": TOOLS_CALL,
                    }
                    answer = loads(await post(dumps(message)))
                elapsed = time.perf_counter() - start
                check_echo(answer, n - 1)
                return elapsed

            yield measure
        finally:
            await connection.aclose()


def floor_concurrent(in_flight: int) -> Callable[[], AbstractAsyncContextManager[Measure]]:
    """``in_flight`` callers at once, each POSTing in sequence on a kept-alive connection of its own."""
    if in_flight < 1:
        raise ValueError(f"in_flight must be at least 1, not {in_flight}")

    @asynccontextmanager
    async def session() -> AsyncIterator[Measure]:
        async with floor_server() as server:
            connections: list[FloorConnection] = []
            try:
                for _ in range(in_flight):
                    connections.append(await FloorConnection.open(server.port))
                ids = itertools.count()

                async def caller(connection: FloorConnection, count: int) -> None:
                    post, loads = connection.post, orjson.loads
                    request_id, answer = -1, None
                    for _ in range(count):
                        request_id = next(ids)
                        answer = loads(await post(request_body(request_id)))
                    if count:
                        check_echo(answer, request_id)

                async def measure(n: int) -> float:
                    share, extra = divmod(n, in_flight)
                    start = time.perf_counter()
                    async with anyio.create_task_group() as group:
                        for i, connection in enumerate(connections):
                            group.start_soon(caller, connection, share + (1 if i < extra else 0))
                    return time.perf_counter() - start

                yield measure
            finally:
                with anyio.CancelScope(shield=True):
                    for connection in connections:
                        await connection.aclose()

    return session


@asynccontextmanager
async def floor_connect() -> AsyncIterator[Measure]:
    """TCP connect and one POST round trip, against a server kept running; closing is not timed."""
    async with floor_server() as server:

        async def measure(n: int) -> float:
            total = 0.0
            body = request_body(1)
            for _ in range(n):
                start = time.perf_counter()
                connection = await FloorConnection.open(server.port)
                try:
                    answer = await connection.post(body)
                    total += time.perf_counter() - start
                finally:
                    await connection.aclose()
                check_echo(orjson.loads(answer), 1)
            return total

        yield measure


@asynccontextmanager
async def h11_codec() -> AsyncIterator[Measure]:
    """h11's own share of the floor: a POST and its answer through an h11 client and server in
    one process, no sockets, no event loop turns. The same headers and bodies as the floor's
    exchanges; what the floor costs beyond this is the sockets, the two event loops and anyio."""
    client, server = h11.Connection(h11.CLIENT), h11.Connection(h11.SERVER)
    client_headers = _client_headers(1)  # the port is only spelled in the host header

    def body_of(connection: h11.Connection) -> bytes:
        chunks: list[bytes] = []
        while True:
            event = connection.next_event()
            if isinstance(event, h11.Data):
                chunks.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                return b"".join(chunks)
            elif event is h11.NEED_DATA or isinstance(event, h11.ConnectionClosed):
                raise FloorError(f"h11 stopped at {event!r} in the middle of a message")

    async def measure(n: int) -> float:
        answer = b""
        start = time.perf_counter()
        for request_id in range(n):
            body = request_body(request_id)
            headers = [*client_headers, (b"content-length", b"%d" % len(body))]
            request = h11.Request(method="POST", target=PATH, headers=headers)
            server.receive_data(_wire(client, request, h11.Data(data=body), h11.EndOfMessage()))
            client.receive_data(_response(server, 200, body_of(server)))
            answer = body_of(client)
            client.start_next_cycle()
            server.start_next_cycle()
        elapsed = time.perf_counter() - start
        if n:
            check_echo(orjson.loads(answer), n - 1)
        return elapsed

    yield measure


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks._http_floor", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serving = commands.add_parser("serve", help="answer POSTs on 127.0.0.1 until stdin ends")
    serving.add_argument("--port", type=int, required=True, help="the port to listen on; 0: a free one")
    serving.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65_535:
        parser.error(f"--port must be 0..65535, not {args.port}")
    anyio.run(serve, args.port, sys.stdout, backend=args.backend)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
