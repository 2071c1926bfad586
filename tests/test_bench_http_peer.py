"""The HTTP benchmarks' floor and the official SDK's HTTP workloads: they run, and they echo.

The floor (``benchmarks/_http_floor.py``) runs in our environment: its server process must
give back every POST body byte for byte over kept-alive connections, and its workloads must
check what they measure. The official SDK's HTTP workloads run under the peer's environment,
built by ``ensure_peer_env`` on first use; as in ``test_bench_official.py`` a registry that
cannot be reached fails the set-up rather than skipping. Figures are asserted positive, never
fast.
"""

from __future__ import annotations

import selectors
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import anyio
import orjson
import pytest
from anyio.abc import SocketAttribute, SocketStream
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks import _http_floor as floor
from benchmarks import harness, official, stdio
from benchmarks.harness import Settings

_STARTUP = 30.0  # seconds for a server process to say it is ready
_IO_TIMEOUT = 10.0


def _ready_port(process: subprocess.Popen[bytes]) -> int:
    """The port of a ``ready <port>`` line, waiting at most ``_STARTUP`` seconds for it."""
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(_STARTUP):
            raise AssertionError(f"no ready line within {_STARTUP:g} s")
    words = process.stdout.readline().split()
    assert len(words) == 2 and words[0] == b"ready", words
    return int(words[1])


def _stop(process: subprocess.Popen[bytes]) -> int:
    """End the server's input, which stops it; its exit status."""
    assert process.stdin is not None
    assert process.stdout is not None
    process.stdin.close()
    try:
        return process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
        raise
    finally:
        process.stdout.close()


@pytest.fixture(scope="module")
def floor_port() -> Iterator[int]:
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks._http_floor", "serve", "--port", "0"],
        cwd=floor.REPO_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        yield _ready_port(process)
    finally:
        assert _stop(process) == 0  # end of its input is a clean exit


def _raw_exchange(port: int, data: bytes) -> bytes:
    """Send ``data`` on a new connection and read until the server closes or sends a full head."""
    with socket.create_connection((floor.HOST, port), timeout=_IO_TIMEOUT) as sock:
        sock.sendall(data)
        received = b""
        deadline = time.monotonic() + _IO_TIMEOUT
        while b"\r\n\r\n" not in received and time.monotonic() < deadline:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
        return received


# -- the floor --------------------------------------------------------------------------------


def test_the_floor_posts_the_request_of_the_stdio_benchmarks() -> None:
    assert floor.request_body(7) + b"\n" == stdio._request(7)


@settings(max_examples=60)
@given(bodies=st.lists(st.binary(max_size=3 * (1 << 16)), min_size=1, max_size=4))
def test_the_floor_server_echoes_every_body_on_one_kept_alive_connection(
    floor_port: int, bodies: list[bytes]
) -> None:
    async def exchange() -> list[bytes]:
        connection = await floor.FloorConnection.open(floor_port)
        try:
            with anyio.fail_after(_IO_TIMEOUT):
                return [await connection.post(body) for body in bodies]
        finally:
            await connection.aclose()

    assert anyio.run(exchange) == bodies


def test_the_floor_server_refuses_other_methods(floor_port: int) -> None:
    head = _raw_exchange(floor_port, b"GET /mcp HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 405 ")


def test_a_client_speaking_garbage_is_dropped_and_the_server_serves_on(floor_port: int) -> None:
    assert _raw_exchange(floor_port, b"NOT HTTP AT ALL\r\n\r\n") == b""

    async def echo() -> bytes:
        connection = await floor.FloorConnection.open(floor_port)
        try:
            with anyio.fail_after(_IO_TIMEOUT):
                return await connection.post(b'{"still": "here"}')
        finally:
            await connection.aclose()

    assert anyio.run(echo) == b'{"still": "here"}'


@pytest.mark.anyio
async def test_floor_sequential_measures_checked_echoes() -> None:
    async with floor.floor_sequential() as measure:
        assert await measure(1) >= 0
        assert await measure(20) >= 0


@pytest.mark.anyio
@pytest.mark.parametrize("n", [2, 9, 40])  # fewer calls than callers, an uneven split, several rounds each
async def test_floor_concurrent_measures_checked_echoes(n: int) -> None:
    async with floor.floor_concurrent(4)() as measure:
        assert await measure(n) >= 0


@pytest.mark.anyio
async def test_h11_codec_measures_checked_echoes_over_many_cycles() -> None:
    async with floor.h11_codec() as measure:
        assert await measure(0) >= 0
        assert await measure(1) >= 0
        assert await measure(25) >= 0  # the same two connections, cycle after cycle


@pytest.mark.anyio
async def test_h11_codec_refuses_a_wrong_echo(monkeypatch: pytest.MonkeyPatch) -> None:
    real = floor.request_body
    calls = iter(range(10**6))
    # Every other body carries another id: the last answer names the wrong request.
    monkeypatch.setattr(floor, "request_body", lambda rid: real(rid + next(calls) % 2))
    async with floor.h11_codec() as measure:
        with pytest.raises(floor.FloorError, match="answered"):
            await measure(2)


@pytest.mark.anyio
async def test_floor_connect_measures_new_connections() -> None:
    async with floor.floor_connect() as measure:
        assert await measure(3) >= 0


def test_floor_concurrent_needs_a_caller() -> None:
    with pytest.raises(ValueError, match="in_flight must be at least 1"):
        floor.floor_concurrent(0)


@pytest.mark.parametrize(
    "answer",
    [
        {"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": floor.TOOLS_CALL},  # another id
        {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"arguments": {"text": "bye"}}},
        {"jsonrpc": "2.0", "id": 3, "result": {}},
        [],
    ],
)
def test_a_wrong_echo_is_an_error(answer: object) -> None:
    floor.check_echo(orjson.loads(floor.request_body(3)), 3)  # the right one passes
    with pytest.raises(floor.FloorError, match="answered"):
        floor.check_echo(answer, 3)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (b"", "closed the connection"),
        (b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\n\r\n", "HTTP 500"),
    ],
)
async def test_a_server_that_fails_the_floor_client_is_an_error(reply: bytes, error: str) -> None:
    async def handle(stream: SocketStream) -> None:
        async with stream:
            await stream.receive()
            if reply:
                await stream.send(reply)

    listener = await anyio.create_tcp_listener(local_host=floor.HOST, local_port=0)
    port = listener.extra(SocketAttribute.local_port)
    with anyio.fail_after(_IO_TIMEOUT):
        async with listener, anyio.create_task_group() as group:
            group.start_soon(listener.serve, handle)
            connection = await floor.FloorConnection.open(port)
            try:
                with pytest.raises(floor.FloorError, match=error):
                    await connection.post(floor.request_body(1))
            finally:
                await connection.aclose()
            group.cancel_scope.cancel()


def test_the_floor_server_refuses_a_bad_port() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks._http_floor", "serve", "--port", "70000"],
        cwd=floor.REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "--port must be 0..65535" in done.stderr


# -- the official SDK over HTTP ---------------------------------------------------------------

# Building the peer's environment from the registry takes tens of seconds, far past the suite's
# default limit; every wait inside the workloads is bounded on its own.
peer = pytest.mark.timeout(900)

TINY = Settings(rounds=1, scale=0.01)
HTTP_KEYS = [
    "official-http-modern-seq",
    "official-http-modern-32",
    "official-http-sse-seq",
    "official-http-sse-32",
    "official-http-json-seq",
    "official-http-json-32",
    "official-http-connect",
    "official-http-sessions-rss",
]


@pytest.fixture(scope="module")
def peer_env() -> None:
    official.ensure_peer_env()


def test_http_workloads_are_named_as_the_table_needs() -> None:
    workloads = official.HTTP_WORKLOADS
    assert [w.key for w in workloads] == HTTP_KEYS
    assert [w.transport for w in workloads] == [
        "http-modern",
        "http-modern",
        "http-sse",
        "http-sse",
        "http-json",
        "http-json",
        "http-sse",
        "http-sse",
    ]
    for w in workloads:
        assert w.implementation == "official SDK 2.3.0"
        assert "(asyncio)" in w.name  # the worker's loop, whatever the harness runs on
        assert w.baseline is None and w.peer is None  # ours point at these, not the other way
    assert [w.unit for w in workloads][:6] == ["calls/s"] * 6
    assert "2026-07-28" in workloads[0].name and "2026-07-28" in workloads[1].name
    assert workloads[6].unit == "connects/s (1/latency)"
    assert (workloads[7].kind, workloads[7].unit) == ("value", "KiB RSS per session")
    assert workloads[7].ops == 1_000  # a thousand sessions at --scale 1
    # The keys of the table are unique across every peer family.
    every = official.WORKLOADS + official.LEGACY_WORKLOADS + official.STDIO_WORKLOADS + workloads
    assert len({w.key for w in every}) == len(every)


@peer
def test_the_http_server_says_its_port_and_stops_at_the_end_of_its_input(peer_env: None) -> None:
    server = official.WORKER.parent / "_official_http_server.py"
    for mode in ("sse", "json"):
        process = subprocess.Popen(
            [str(official.peer_python()), "-I", str(server), "--mode", mode, "--port", "0"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        try:
            port = _ready_port(process)
            assert 0 < port < 65_536
            # Its endpoint answers there (the SDK refuses a GET without a session: any answer will do).
            assert _raw_exchange(port, b"GET /mcp HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n").startswith(
                b"HTTP/1.1 "
            )
        finally:
            assert _stop(process) == 0


@peer
def test_a_tiny_round_of_each_http_workload_measures(peer_env: None) -> None:
    results = harness.run(official.HTTP_WORKLOADS, TINY, ["asyncio"])
    assert [r.workload.key for r in results] == HTTP_KEYS
    for result in results:
        assert len(result.rates) == 1
        if result.workload.kind == "rate":
            assert result.rates[0] > 0
        else:
            assert result.rates[0] >= 0  # ten sessions may fit in memory the server already had


@peer
@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_open_sessions_cost_the_server_memory(peer_env: None) -> None:
    # Enough sessions that their growth cannot hide in memory the server already held.
    async with official.peer_session("sessions", "legacy", "http-sse")() as measure:
        assert await measure(40) > 0


@peer
def test_sessions_are_refused_over_stateless_json(peer_env: None) -> None:
    broken = harness.Workload(
        key="broken",
        name="broken",
        transport="http-json",
        implementation="official SDK",
        unit="KiB",
        ops=1,
        session=official.peer_session("sessions", "legacy", "http-json"),
        kind="value",
    )
    with pytest.raises(RuntimeError, match="closed its output") as info:
        harness.run([broken], TINY, ["asyncio"])
    assert "exited with 2" in str(info.value)
    assert "'sessions' runs over http-sse" in str(info.value)  # the worker's own words
