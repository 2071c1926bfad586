"""The server's lifecycle and its answers to bad input, message by message from a raw peer."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest

from mcpcore.errors import INVALID_PARAMS, INVALID_REQUEST, METHOD_NOT_FOUND
from mcpcore.server import Server, SessionState
from mcpcore.wire import DecodeError, ErrorResponse, Notification, Request, Response, encode
from tests.peers import RawPeer
from transports.memory import create_pair

pytestmark = pytest.mark.anyio

CLIENT_INFO = {"name": "raw", "version": "0"}


def tool_server() -> Server:
    server = Server("s")

    @server.tool()
    async def echo(text: str) -> str:
        return text

    @server.tool()
    async def wait(ctx: Any = None) -> str:
        await anyio.sleep(30)
        return "late"

    @server.resource("file:///x")
    def x() -> str:
        return "x"

    return server


@asynccontextmanager
async def raw_session(server: Server | None = None) -> AsyncIterator[RawPeer]:
    ours, theirs = create_pair(codec=True, allow_batch=True)
    peer = RawPeer(ours)
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(ours.run, peer)
            tg.start_soon((server or tool_server()).serve, theirs)
            yield peer
            tg.cancel_scope.cancel()
    finally:
        peer.close()


def init_params(version: str = "2025-11-25") -> dict[str, Any]:
    return {"protocolVersion": version, "capabilities": {}, "clientInfo": CLIENT_INFO}


async def initialize(peer: RawPeer, version: str = "2025-11-25") -> dict[str, Any]:
    reply = await peer.request(1, "initialize", init_params(version))
    assert isinstance(reply, Response), reply
    await peer.notify("notifications/initialized")
    return dict(reply.result)


async def error_of(peer: RawPeer, rid: Any, method: str, params: Any = None) -> ErrorResponse:
    reply = await peer.request(rid, method, params)
    assert isinstance(reply, ErrorResponse), reply
    return reply


async def test_requests_before_initialize_are_refused_but_ping_works() -> None:
    async with raw_session() as peer:
        error = await error_of(peer, 1, "tools/list")
        assert error.code == INVALID_REQUEST
        assert "initialize" in error.message
        pong = await peer.request(2, "ping")
        assert pong == Response(2, {})
        await initialize(peer)
        listed = await peer.request(3, "tools/list")
        assert isinstance(listed, Response)


async def test_requests_between_initialize_and_initialized_are_refused() -> None:
    async with raw_session() as peer:
        reply = await peer.request(1, "initialize", init_params())
        assert isinstance(reply, Response)
        error = await error_of(peer, 2, "tools/list")
        assert error.code == INVALID_REQUEST
        assert "notifications/initialized" in error.message
        assert await peer.request(3, "ping") == Response(3, {})
        await peer.notify("notifications/initialized")
        assert isinstance(await peer.request(4, "tools/list"), Response)


async def test_a_second_initialize_is_refused() -> None:
    async with raw_session() as peer:
        await initialize(peer)
        error = await error_of(peer, 2, "initialize", init_params())
        assert error.code == INVALID_REQUEST
        assert "already" in error.message


@pytest.mark.parametrize(
    "params",
    [
        None,
        {"capabilities": {}, "clientInfo": CLIENT_INFO},
        {"protocolVersion": 2025, "capabilities": {}, "clientInfo": CLIENT_INFO},
        {"protocolVersion": "2025-11-25", "clientInfo": CLIENT_INFO},
        {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "x"}},
        [1, 2],
    ],
)
async def test_malformed_initialize_is_invalid_params_and_the_session_survives(params: Any) -> None:
    async with raw_session() as peer:
        error = await error_of(peer, 1, "initialize", params)
        assert error.code == INVALID_PARAMS
        result = await initialize(peer)
        assert result["protocolVersion"] == "2025-11-25"


async def test_unknown_version_gets_the_newest() -> None:
    async with raw_session() as peer:
        result = await initialize(peer, "1999-01-01")
        assert result["protocolVersion"] == "2025-11-25"


async def test_unknown_method_and_method_of_another_revision() -> None:
    async with raw_session() as peer:
        await initialize(peer, "2025-06-18")
        assert (await error_of(peer, 2, "no/such/method")).code == METHOD_NOT_FOUND
        # Not part of 2025-06-18 (it arrives with 2025-11-25), and not offered by this server.
        assert (await error_of(peer, 3, "tasks/list")).code == METHOD_NOT_FOUND
        # A capability this server did not declare.
        error = await error_of(peer, 4, "prompts/list")
        assert error.code == METHOD_NOT_FOUND
        assert error.data == {"method": "prompts/list", "capability": "prompts"}


async def test_wrong_parameter_types() -> None:
    async with raw_session() as peer:
        await initialize(peer)
        bad: list[Any] = [None, {"name": 5}, {"name": "echo", "arguments": [1]}, {"arguments": {}}, [1]]
        for rid, params in enumerate(bad, start=10):
            error = await error_of(peer, rid, "tools/call", params)
            assert error.code == INVALID_PARAMS, params
        error = await error_of(peer, 20, "logging/setLevel", {"level": "loud"})
        assert error.code == INVALID_PARAMS
        error = await error_of(peer, 21, "resources/read", {"uri": None})
        assert error.code == INVALID_PARAMS
        reply = await peer.request(22, "tools/call", {"name": "echo", "arguments": {"text": "still here"}})
        assert isinstance(reply, Response)


async def test_duplicate_id_of_an_in_flight_request() -> None:
    async with raw_session() as peer:
        await initialize(peer)
        await peer.send(Request(7, "tools/call", {"name": "wait"}))
        error = await error_of(peer, 7, "ping")
        assert error.code == INVALID_REQUEST
        assert "in use" in str(error.data)
        await peer.notify("notifications/cancelled", {"requestId": 7})
        await peer.expect_nothing()  # the cancelled call is never answered
        assert await peer.request(7, "ping") == Response(7, {})  # the id is free again


async def test_responses_to_unknown_ids_are_logged_and_dropped(caplog: pytest.LogCaptureFixture) -> None:
    async with raw_session() as peer:
        await initialize(peer)
        with caplog.at_level(logging.WARNING, "mcpcore"):
            await peer.answer(999, {"surprise": True})
            assert await peer.request(2, "ping") == Response(2, {})
        assert any("999" in record.getMessage() for record in caplog.records)


async def test_a_notification_sent_with_an_id_is_an_unknown_request() -> None:
    async with raw_session() as peer:
        reply = await peer.request(1, "initialize", init_params())
        assert isinstance(reply, Response)
        error = await error_of(peer, 2, "notifications/initialized")
        assert error.code == METHOD_NOT_FOUND
        # It did not count as the notification: the session is still waiting for that.
        assert (await error_of(peer, 3, "tools/list")).code == INVALID_REQUEST
        await peer.notify("notifications/initialized")
        assert isinstance(await peer.request(4, "tools/list"), Response)


async def test_unknown_notifications_are_ignored() -> None:
    async with raw_session() as peer:
        await initialize(peer)
        await peer.notify("notifications/whatever", {"x": 1})
        await peer.notify("notifications/initialized")  # a second one: ignored
        assert await peer.request(2, "ping") == Response(2, {})


@pytest.mark.parametrize(
    ("version", "batches"), [("2025-03-26", True), ("2025-06-18", False), ("2024-11-05", False)]
)
async def test_batches_only_under_2025_03_26(version: str, batches: bool) -> None:
    async with raw_session() as peer:
        await initialize(peer, version)
        await peer.send([Request(10, "ping"), Request(11, "tools/list")])
        reply = await peer.receive()
        if batches:
            assert isinstance(reply, list)
            assert sorted(r.id for r in reply if isinstance(r, Response)) == [10, 11]
        else:
            assert isinstance(reply, ErrorResponse)
            assert reply.code == INVALID_REQUEST
        assert await peer.request(12, "ping") == Response(12, {})


async def test_initialize_in_a_batch_is_refused() -> None:
    async with raw_session() as peer:
        assert await peer.request(0, "ping") == Response(0, {})  # the server is up
        await peer.send([Request(1, "initialize", init_params("2025-03-26"))])
        reply = await peer.receive()
        assert isinstance(reply, (ErrorResponse, DecodeError))
        result = await initialize(peer, "2025-03-26")
        assert result["protocolVersion"] == "2025-03-26"


async def test_server_waits_for_initialized_before_sending_requests() -> None:
    server = Server("s")
    seen: list[str] = []

    @server.tool()
    async def ask(ctx: Any = None) -> str:
        return "x"

    async with raw_session(server) as peer:
        reply = await peer.request(1, "initialize", {**init_params(), "capabilities": {"roots": {}}})
        assert isinstance(reply, Response)
        (session,) = server.sessions
        assert session.state is SessionState.INITIALIZING
        with pytest.raises(Exception, match="initialized"):
            session.require_client("roots", "list roots")
        await peer.notify("notifications/initialized")
        assert await peer.request(2, "ping") == Response(2, {})
        assert session.state.value == "ready"
        session.require_client("roots", "list roots")
        seen.append("ok")
    assert seen == ["ok"]


async def test_log_notifications_before_initialized_are_allowed() -> None:
    server = Server("s")
    async with raw_session(server) as peer:
        reply = await peer.request(1, "initialize", init_params())
        assert isinstance(reply, Response)
        (session,) = server.sessions
        await session.send_log("info", "warming up")
        note = await peer.receive_a(Notification)
        assert note.method == "notifications/message"
        assert note.params == {"level": "info", "data": "warming up"}


@pytest.mark.parametrize(("version", "has_id"), [("2025-06-18", True), ("2025-11-25", False)])
async def test_error_for_an_unreadable_message_and_its_id(version: str, has_id: bool) -> None:
    """2025-11-25 makes the id of an error response optional and forbids null: it is left out.
    Before, JSON-RPC's "id": null is all there is."""
    ours, theirs = create_pair(codec=False)
    server = tool_server()
    raw: list[bytes] = []
    arrived = [anyio.Event(), anyio.Event()]

    class Capturing:
        async def feed(self, item: Any) -> None:
            raw.append(encode(item))
            arrived[len(raw) - 1].set()

    async with anyio.create_task_group() as tg:
        tg.start_soon(ours.run, Capturing())
        tg.start_soon(server.serve, theirs)
        await ours.send(Request(1, "initialize", init_params(version)))
        with anyio.fail_after(5):
            await arrived[0].wait()
        await ours.send(Notification("notifications/initialized"))
        # What a transport hands over for bytes it could not parse:
        (session,) = server.sessions
        await session.dispatcher.feed(DecodeError(-32700, "Parse error", "bad bytes"))
        with anyio.fail_after(5):
            await arrived[1].wait()
        tg.cancel_scope.cancel()
    assert b'"result"' in raw[0]
    assert b'"error"' in raw[1]
    assert (b'"id":null' in raw[1]) == has_id
    assert (b'"id"' in raw[1]) == has_id
