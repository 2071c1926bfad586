"""A second opinion on the client and the server, written from the specification's own pages.

``test_mcp.py`` exercises our features one by one; this module instead walks the spec pages of
each handshake revision (2024-11-05, 2025-03-26, 2025-06-18, 2025-11-25) and turns the MUSTs and
SHOULDs that fall on our server or our client into checks. Each test's docstring names the page
and the revisions it comes from and quotes the sentence, so a failure points at what was broken.

Two styles are used. Most tests put a hand-driven JSON-RPC peer (``tests.peers``) on the other end
of our server or of our client, because a requirement on the wire is best checked on the wire: the
exact id that comes back, a response that must never come, a token that must keep its JSON type.
The rest run our Client against our Server through a recording transport and check every message
that travelled against the official schema of the negotiated revision (``tests.schema_check``);
those need the schema files and skip without them.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
import jsonschema
import orjson
import pydantic
import pytest

from mcpcore import content
from mcpcore.errors import (
    INVALID_PARAMS,
    METHOD_NOT_FOUND,
    RESOURCE_NOT_FOUND,
    McpError,
    RequestTimeout,
)
from mcpcore.revisions import HANDSHAKE_VERSIONS
from mcpcore.server import Context, Server
from mcpcore.types import LOGGING_LEVELS
from mcpcore.wire import ErrorResponse, Notification, Request, RequestId, Response, encode
from tests.legacy import LegacyClient as Client
from tests.peers import RawPeer
from tests.schema_check import Capture, served
from tests.spec import needs_spec
from transports.memory import create_pair

pytestmark = pytest.mark.anyio

REV_2024, REV_2025_03, REV_2025_06, REV_2025_11 = HANDSHAKE_VERSIONS
CLIENT_INFO = {"name": "raw-client", "version": "0"}
SERVER_INFO = {"name": "raw-server", "version": "0"}
MAX_MESSAGES = 200  # bound on any loop that reads messages until one of a kind arrives


@pytest.fixture(params=HANDSHAKE_VERSIONS)
def rev(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def params_of(message: Request | Notification) -> dict[str, Any]:
    """The params of a message, which must be an object."""
    assert isinstance(message.params, dict), message
    return message.params


def as_json(message: Any) -> dict[str, Any]:
    """The message exactly as it travels."""
    decoded: dict[str, Any] = orjson.loads(encode(message))
    return decoded


# -- a server with a bit of everything --------------------------------------------------------


class Weather(pydantic.BaseModel):
    city: str
    celsius: float


@dataclass
class Probe:
    """What the tools of ``spec_server`` saw, for tests that look inside the server."""

    started: anyio.Event = field(default_factory=anyio.Event)
    stopped: anyio.Event = field(default_factory=anyio.Event)
    contexts: list[Context] = field(default_factory=list)
    outcomes: list[str] = field(default_factory=list)
    arguments: list[dict[str, str]] = field(default_factory=list)


def spec_server(probe: Probe | None = None, **options: Any) -> Server:
    probe = probe or Probe()
    server = Server("spec-server", "1.0", **options)

    @server.tool()
    async def echo(text: str) -> str:
        """Repeat the text."""
        return text

    @server.tool()
    async def nothing() -> str:
        """Takes no arguments."""
        return "nothing"

    @server.tool()
    async def fail() -> str:
        raise RuntimeError("the disk is on fire")

    @server.tool()
    async def weather(city: str) -> Weather:
        return Weather(city=city, celsius=21.5)

    @server.tool()
    async def block(ctx: Context) -> str:
        probe.started.set()
        try:
            await anyio.sleep_forever()
        finally:
            probe.stopped.set()
        return "unreachable"

    @server.tool()
    async def steps(ctx: Context, count: int = 3) -> str:
        for i in range(1, count + 1):
            await ctx.report_progress(i, count, f"step {i}")
        return "done"

    @server.tool()
    async def flat(ctx: Context) -> str:
        # The same value twice, then a smaller one: neither may be sent as progress.
        for value in (1.0, 1.0, 0.5, 2.0):
            try:
                await ctx.report_progress(value)
            except ValueError:
                probe.outcomes.append(f"refused {value}")
        return "flat"

    @server.tool()
    async def remember(ctx: Context) -> str:
        probe.contexts.append(ctx)
        await ctx.report_progress(1)
        return "remembered"

    @server.tool()
    async def late() -> str:
        # Progress for a request that has already been answered.
        try:
            await probe.contexts[-1].report_progress(5)
        except Exception as exc:
            probe.outcomes.append(f"refused: {exc}")
        return "late"

    @server.tool()
    async def noisy(ctx: Context) -> str:
        for level in LOGGING_LEVELS:
            await ctx.log(level, {"at": level}, logger="noisy")
        return "noisy"

    @server.resource("file:///readme.txt", mime_type="text/plain")
    def readme() -> str:
        return "hello"

    @server.resource("file:///logo.png", mime_type="image/png")
    def logo() -> bytes:
        return b"\x89PNG\r\n\x1a\n\x00\xff"

    @server.resource("users://{user}/profile", mime_type="application/json")
    def profile(user: str) -> str:
        return json.dumps({"user": user})

    @server.prompt()
    def greet(name: str, style: str = "plain") -> str:
        """Say hello."""
        return f"Hello {name} ({style})"

    @server.prompt()
    def picture() -> list[Any]:
        return [{"role": "user", "content": content.image(b"\x89PNG\r\n", "image/png")}]

    @server.completion(prompt="greet", argument="style")
    def styles(value: str, arguments: dict[str, str]) -> list[str]:
        probe.arguments.append(dict(arguments))
        return [f"{value}{i}" for i in range(150)]

    return server


# -- a raw client speaking to our server ------------------------------------------------------


@asynccontextmanager
async def raw_client(server: Server) -> AsyncIterator[RawPeer]:
    """A hand-driven client connected to ``server``."""
    ours, theirs = create_pair(codec=True, allow_batch=True)
    peer = RawPeer(ours)
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(ours.run, peer)
            tg.start_soon(server.serve, theirs)
            yield peer
            tg.cancel_scope.cancel()
    finally:
        peer.close()


def init_params(version: str, capabilities: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"protocolVersion": version, "capabilities": capabilities or {}, "clientInfo": CLIENT_INFO}


async def open_session(
    peer: RawPeer, version: str, capabilities: dict[str, Any] | None = None
) -> dict[str, Any]:
    """initialize, then notifications/initialized; returns the initialize result."""
    reply = await peer.request(0, "initialize", init_params(version, capabilities))
    assert isinstance(reply, Response), reply
    await peer.notify("notifications/initialized")
    return dict(reply.result)


async def until_reply(peer: RawPeer, rid: RequestId) -> tuple[list[Notification], Response | ErrorResponse]:
    """The notifications that arrive before the answer to ``rid``, and that answer."""
    notes: list[Notification] = []
    for _ in range(MAX_MESSAGES):
        item = await peer.receive()
        if isinstance(item, Notification):
            notes.append(item)
        elif isinstance(item, (Response, ErrorResponse)) and item.id == rid:
            return notes, item
        else:
            raise AssertionError(f"unexpected while waiting for the answer to {rid!r}: {item!r}")
    raise AssertionError(f"no answer to {rid!r} within {MAX_MESSAGES} messages")


async def result_of(peer: RawPeer, rid: RequestId, method: str, params: Any = None) -> dict[str, Any]:
    await peer.send(Request(rid, method, params))
    _, reply = await until_reply(peer, rid)
    assert isinstance(reply, Response), reply
    return dict(reply.result)


async def error_of(peer: RawPeer, rid: RequestId, method: str, params: Any = None) -> ErrorResponse:
    await peer.send(Request(rid, method, params))
    _, reply = await until_reply(peer, rid)
    assert isinstance(reply, ErrorResponse), reply
    return reply


def progress_of(notes: list[Notification]) -> list[dict[str, Any]]:
    return [dict(n.params or {}) for n in notes if n.method == "notifications/progress"]


# -- our client speaking to a raw server ------------------------------------------------------


@dataclass
class RawServer:
    client: Client
    peer: RawPeer
    initialize: Request  # the client's initialize request, as the raw server received it


@asynccontextmanager
async def raw_server(
    negotiated: str,
    capabilities: dict[str, Any] | None = None,
    *,
    quiet_check: bool = False,
    **options: Any,
) -> AsyncIterator[RawServer]:
    """Our Client, initialized against a hand-driven server that negotiates ``negotiated``.

    With ``quiet_check`` the raw server first makes sure the client sends nothing more while
    its initialize request is still unanswered.
    """
    ours, theirs = create_pair(codec=True)
    peer = RawPeer(theirs)
    seen: list[Request] = []

    async def handshake() -> None:
        request = await peer.receive_a(Request)
        assert request.method == "initialize"
        seen.append(request)
        if quiet_check:
            await peer.expect_nothing()
        result = {
            "protocolVersion": negotiated,
            "capabilities": capabilities or {},
            "serverInfo": SERVER_INFO,
        }
        await peer.answer(request.id, result)

    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(theirs.run, peer)
            tg.start_soon(handshake)
            async with Client(ours, versions=[negotiated], **options) as client:
                note = await peer.receive_a(Notification)
                assert note.method == "notifications/initialized"
                yield RawServer(client, peer, seen[0])
            tg.cancel_scope.cancel()
    finally:
        peer.close()


async def serve_one(peer: RawPeer, answer: Callable[[Request], Awaitable[None]]) -> Request:
    """Receive the next request the client sends and answer it with ``answer``."""
    request = await peer.receive_a(Request)
    await answer(request)
    return request


@asynccontextmanager
async def connect(server: Server, rev: str, **options: Any) -> AsyncIterator[tuple[Client, Capture]]:
    """Our Client and our Server, every message checked against the schema of ``rev`` at the end."""
    async with served(server) as (transport, capture), Client(transport, versions=[rev], **options) as client:
        yield client, capture
    capture.validate(rev)


# ============================================================================================
# basic/lifecycle.mdx
# ============================================================================================


async def test_server_echoes_a_version_it_supports(rev: str) -> None:
    """basic/lifecycle.mdx, all revisions: "If the server supports the requested protocol version,
    it MUST respond with the same version", and "The server MUST respond with its own capabilities
    and information"."""
    async with raw_client(spec_server()) as peer:
        result = await open_session(peer, rev)
    assert result["protocolVersion"] == rev
    assert isinstance(result["capabilities"], dict)
    info = result["serverInfo"]
    assert info["name"] == "spec-server"
    assert info["version"] == "1.0"


@pytest.mark.parametrize("asked", ["2025-06-18", "2025-11-25", "1999-01-01", "2099-12-31"])
async def test_server_offers_its_latest_version_for_one_it_lacks(asked: str) -> None:
    """basic/lifecycle.mdx, all revisions: "Otherwise, the server MUST respond with another protocol
    version it supports. This SHOULD be the latest version supported by the server"."""
    server = spec_server(versions=[REV_2024, REV_2025_03])
    async with raw_client(server) as peer:
        result = await open_session(peer, asked)
        assert result["protocolVersion"] == REV_2025_03
        # The session then speaks the version the server chose.
        assert await peer.request(1, "ping") == Response(1, {})


@pytest.mark.parametrize("asked", ["2026-07-28", "2025-11-26", "draft"])
async def test_default_server_answers_a_version_without_handshake_with_its_latest(asked: str) -> None:
    """basic/lifecycle.mdx, 2025-11-25: a requested version the server does not speak in a handshake
    (such as the session-less 2026-07-28) gets "another protocol version it supports", which "SHOULD
    be the latest"."""
    async with raw_client(spec_server()) as peer:
        assert (await open_session(peer, asked))["protocolVersion"] == REV_2025_11


async def test_client_offers_its_latest_version_and_sends_initialized(rev: str) -> None:
    """basic/lifecycle.mdx, all revisions: the client "MUST initiate this phase by sending an
    initialize request containing: Protocol version supported, Client capabilities, Client
    implementation information"; "This SHOULD be the latest version supported by the client";
    "The client SHOULD NOT send requests other than pings before the server has responded to the
    initialize request"; "After successful initialization, the client MUST send an initialized
    notification"."""
    async with raw_server(rev, quiet_check=True, name="our-client", version="9") as raw:
        params = raw.initialize.params
        assert isinstance(params, dict)
        assert params["protocolVersion"] == rev
        assert isinstance(params["capabilities"], dict)
        assert params["clientInfo"]["name"] == "our-client"
        assert params["clientInfo"]["version"] == "9"
        # Only now, after initialized, may other requests follow.
        async with anyio.create_task_group() as tg:
            tg.start_soon(serve_one, raw.peer, lambda r: raw.peer.answer(r.id, {}))
            await raw.client.ping()


async def test_client_offering_several_versions_offers_the_latest() -> None:
    """basic/lifecycle.mdx, all revisions: the version the client sends "SHOULD be the latest
    version supported by the client"."""
    ours, theirs = create_pair(codec=True)
    peer = RawPeer(theirs)
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(theirs.run, peer)
            client = Client(ours, versions=[REV_2024, REV_2025_06, REV_2025_03])

            async def answer() -> None:
                request = await peer.receive_a(Request)
                assert isinstance(request.params, dict)
                assert request.params["protocolVersion"] == REV_2025_06
                # An older revision the client also speaks is accepted.
                result = {"protocolVersion": REV_2025_03, "capabilities": {}, "serverInfo": SERVER_INFO}
                await peer.answer(request.id, result)

            tg.start_soon(answer)
            async with client:
                assert client.protocol_version == REV_2025_03
                assert (await peer.receive_a(Notification)).method == "notifications/initialized"
            tg.cancel_scope.cancel()
    finally:
        peer.close()


async def test_client_does_not_go_on_with_a_version_it_does_not_speak() -> None:
    """basic/lifecycle.mdx, all revisions: "If the client does not support the version in the
    server's response, it SHOULD disconnect": no initialized notification, no session."""
    ours, theirs = create_pair(codec=True)
    peer = RawPeer(theirs)
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(theirs.run, peer)
            client = Client(ours, versions=[REV_2025_06, REV_2025_11])

            async def answer() -> None:
                request = await peer.receive_a(Request)
                result = {"protocolVersion": "1999-01-01", "capabilities": {}, "serverInfo": SERVER_INFO}
                await peer.answer(request.id, result)

            tg.start_soon(answer)
            with pytest.raises(McpError, match="1999-01-01"):
                await client.__aenter__()
            await peer.expect_nothing()
            assert not [m for m in peer.received if isinstance(m, Notification)]
            tg.cancel_scope.cancel()
    finally:
        peer.close()


async def test_server_capabilities_follow_what_it_offers(rev: str) -> None:
    """basic/lifecycle.mdx (capability negotiation) with server/tools.mdx, server/resources.mdx,
    server/prompts.mdx, server/utilities/logging.mdx, all revisions: servers that support a
    feature "MUST declare" its capability; and (Operation) both parties must "Only use
    capabilities that were successfully negotiated", so nothing is declared that is not there."""
    tools_only = Server("tools-only")
    tools_only.add_tool(lambda: "x", name="x")
    async with raw_client(tools_only) as peer:
        caps = (await open_session(peer, rev))["capabilities"]
    assert "tools" in caps
    assert isinstance(caps["tools"], dict)
    assert not {"resources", "prompts", "completions"} & set(caps)

    async with raw_client(spec_server()) as peer:
        caps = (await open_session(peer, rev))["capabilities"]
    assert {"tools", "resources", "prompts", "logging"} <= set(caps)
    for name in ("tools", "prompts"):
        assert set(caps[name]) <= {"listChanged"}
        assert all(isinstance(v, bool) for v in caps[name].values())
    assert set(caps["resources"]) <= {"subscribe", "listChanged"}
    assert all(isinstance(v, bool) for v in caps["resources"].values())
    assert caps["logging"] == {}
    if rev >= REV_2025_03:
        # server/utilities/completion.mdx (2025-03-26 on): "Servers that support completions MUST
        # declare the completions capability".
        assert caps["completions"] == {}
    else:
        assert "completions" not in caps  # the capability does not exist in 2024-11-05


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("prompts/list", None),
        ("prompts/get", {"name": "x"}),
        ("resources/list", None),
        ("resources/templates/list", None),
        ("resources/read", {"uri": "file:///x"}),
        ("resources/subscribe", {"uri": "file:///x"}),
    ],
)
async def test_server_refuses_what_it_did_not_declare(rev: str, method: str, params: Any) -> None:
    """basic/lifecycle.mdx, all revisions (Operation): both parties must "Only use capabilities that
    were successfully negotiated"; server/utilities/completion.mdx names the code for this case:
    "Method not found: -32601 (Capability not supported)"."""
    server = Server("tools-only")
    server.add_tool(lambda: "x", name="x")
    async with raw_client(server) as peer:
        await open_session(peer, rev)
        error = await error_of(peer, 1, method, params)
        assert error.code == METHOD_NOT_FOUND
        assert await peer.request(2, "ping") == Response(2, {})


async def test_completion_without_the_capability_is_method_not_found() -> None:
    """server/utilities/completion.mdx, 2025-03-26 to 2025-11-25, Error Handling: "Method not found:
    -32601 (Capability not supported)"."""
    server = Server("no-completions")
    server.add_tool(lambda: "x", name="x")
    for version in (REV_2025_03, REV_2025_06, REV_2025_11):
        async with raw_client(server) as peer:
            caps = (await open_session(peer, version))["capabilities"]
            assert "completions" not in caps
            params = {"ref": {"type": "ref/prompt", "name": "x"}, "argument": {"name": "a", "value": ""}}
            assert (await error_of(peer, 1, "completion/complete", params)).code == METHOD_NOT_FOUND


async def test_client_timeout_cancels_the_request() -> None:
    """basic/lifecycle.mdx, 2025-11-25 (Timeouts): "When the request has not received a success or
    error response within the timeout period, the sender SHOULD issue a cancellation notification
    for that request and stop waiting for a response"; "SDKs and other middleware SHOULD allow these
    timeouts to be configured on a per-request basis"."""
    async with raw_server(REV_2025_11, {"tools": {}}) as raw:
        with pytest.raises(RequestTimeout):
            await raw.client.call_tool("slow", timeout=0.2)
        request = await raw.peer.receive_a(Request)
        assert request.method == "tools/call"
        note = await raw.peer.receive_a(Notification)
        assert note.method == "notifications/cancelled"
        assert isinstance(note.params, dict)
        assert note.params["requestId"] == request.id
        # A late answer is ignored, and the session goes on.
        await raw.peer.answer(request.id, {"content": []})
        async with anyio.create_task_group() as tg:
            tg.start_soon(serve_one, raw.peer, lambda r: raw.peer.answer(r.id, {}))
            await raw.client.ping()


async def test_server_timeout_cancels_its_request() -> None:
    """basic/lifecycle.mdx, 2025-11-25 (Timeouts): the sender of a request that timed out "SHOULD
    issue a cancellation notification for that request and stop waiting"; this holds for requests
    the server sends too (here a ping the client never answers)."""
    server = spec_server()
    async with raw_client(server) as peer:
        await open_session(peer, REV_2025_11)
        (session,) = server.sessions
        with pytest.raises(RequestTimeout):
            await session.ping(timeout=0.2)
        ping = await peer.receive_a(Request)
        assert ping.method == "ping"
        note = await peer.receive_a(Notification)
        assert note.method == "notifications/cancelled"
        assert isinstance(note.params, dict)
        assert note.params["requestId"] == ping.id


@pytest.mark.parametrize("how", ["timeout", "caller"])
async def test_client_never_cancels_initialize(how: str) -> None:
    """basic/utilities/cancellation.mdx, all revisions: "The initialize request MUST NOT be
    cancelled by clients", not even when it times out (which for other requests calls for a
    cancellation, lifecycle.mdx 2025-11-25) or when the caller stops waiting."""
    ours, theirs = create_pair(codec=True)
    peer = RawPeer(theirs)
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(theirs.run, peer)
            client = Client(ours, initialize_timeout=0.2 if how == "timeout" else 30.0)
            if how == "timeout":
                with pytest.raises(RequestTimeout):
                    await client.__aenter__()
            else:
                with anyio.move_on_after(0.2) as scope:
                    await client.__aenter__()
                assert scope.cancelled_caught
            await anyio.sleep(0.1)  # room for a cancellation to arrive, if one were sent
            assert [m.method for m in peer.received if isinstance(m, (Request, Notification))] == [
                "initialize"
            ]
            tg.cancel_scope.cancel()
    finally:
        peer.close()


async def test_client_enforces_a_maximum_timeout_despite_progress() -> None:
    """basic/lifecycle.mdx, 2025-11-25 (Timeouts): implementations "MAY choose to reset the timeout
    clock when receiving a progress notification ... However, implementations SHOULD always enforce
    a maximum timeout, regardless of progress notifications"."""
    sent = 0

    async with raw_server(REV_2025_11, {"tools": {}}) as raw:

        async def keep_alive() -> None:
            nonlocal sent
            request = await raw.peer.receive_a(Request)
            assert isinstance(request.params, dict)
            token = request.params["_meta"]["progressToken"]
            for i in range(400):  # 20 s of progress at most: far beyond the maximum below
                await raw.peer.notify("notifications/progress", {"progressToken": token, "progress": i})
                sent += 1
                with anyio.move_on_after(0.05):
                    item = await raw.peer.receive()
                    if isinstance(item, Notification) and item.method == "notifications/cancelled":
                        return

        async with anyio.create_task_group() as tg:
            tg.start_soon(keep_alive)
            with pytest.raises(RequestTimeout):
                await raw.client.request(
                    "tools/call",
                    {"name": "x"},
                    timeout=0.5,
                    max_timeout=1.5,
                    on_progress=lambda p, t, m: None,
                )
    assert 0 < sent < 400


# ============================================================================================
# basic/utilities/ping.mdx
# ============================================================================================


@pytest.mark.parametrize("rid", ["123", 123, "", 0, -7])
async def test_server_answers_ping_with_an_empty_result(rev: str, rid: RequestId) -> None:
    """basic/utilities/ping.mdx, all revisions: "The receiver MUST respond promptly with an empty
    response", with the request's id (basic/index: responses carry the id of the request, of the
    same type)."""
    async with raw_client(spec_server()) as peer:
        await open_session(peer, rev)
        reply = await peer.request(rid, "ping")
        assert as_json(reply) == {"jsonrpc": "2.0", "id": rid, "result": {}}


async def test_client_answers_the_servers_ping(rev: str) -> None:
    """basic/utilities/ping.mdx, all revisions: "Either the client or server can initiate a ping",
    and "The receiver MUST respond promptly with an empty response"."""
    async with raw_server(rev) as raw:
        for rid in ("123", 5):
            reply = await raw.peer.request(rid, "ping")
            assert as_json(reply) == {"jsonrpc": "2.0", "id": rid, "result": {}}


# ============================================================================================
# basic/utilities/cancellation.mdx
# ============================================================================================


@pytest.mark.parametrize("rid", ["call-1", 41])
async def test_cancelled_request_is_stopped_and_not_answered(rev: str, rid: RequestId) -> None:
    """basic/utilities/cancellation.mdx, all revisions: receivers of a cancellation "SHOULD: Stop
    processing the cancelled request; Free associated resources; Not send a response for the
    cancelled request"."""
    probe = Probe()
    async with raw_client(spec_server(probe)) as peer:
        await open_session(peer, rev)
        await peer.send(Request(rid, "tools/call", {"name": "block", "arguments": {}}))
        with anyio.fail_after(5):
            await probe.started.wait()
        await peer.notify("notifications/cancelled", {"requestId": rid, "reason": "changed my mind"})
        with anyio.fail_after(5):
            await probe.stopped.wait()
        await peer.expect_nothing()
        assert await peer.request(1, "ping") == Response(1, {})
        assert not [m for m in peer.received if isinstance(m, (Response, ErrorResponse)) and m.id == rid]


@pytest.mark.parametrize(
    "params",
    [
        {"requestId": "never-sent"},
        {"requestId": 999},
        {"requestId": "done"},  # a request that was already answered
        {"requestId": None},
        {"reason": "no id at all"},
        {},
        None,
    ],
)
async def test_invalid_cancellations_are_ignored(rev: str, params: Any) -> None:
    """basic/utilities/cancellation.mdx, all revisions: "Invalid cancellation notifications SHOULD
    be ignored: Unknown request IDs; Already completed requests; Malformed notifications"; and
    "Both parties MUST handle these race conditions gracefully"."""
    async with raw_client(spec_server()) as peer:
        await open_session(peer, rev)
        assert await peer.request("done", "ping") == Response("done", {})
        await peer.notify("notifications/cancelled", params)
        await peer.expect_nothing()
        reply = await result_of(peer, 2, "tools/call", {"name": "echo", "arguments": {"text": "alive"}})
        assert reply["content"] == [{"type": "text", "text": "alive"}]


async def test_client_does_not_answer_a_cancelled_server_request(rev: str) -> None:
    """basic/utilities/cancellation.mdx, all revisions: the receiver "SHOULD: Stop processing the
    cancelled request ... Not send a response", here with our client as the receiver of a
    sampling request."""
    started = anyio.Event()
    stopped = anyio.Event()

    async def sampler(params: dict[str, Any]) -> dict[str, Any]:
        started.set()
        try:
            await anyio.sleep_forever()
        finally:
            stopped.set()
        return {}

    async with raw_server(rev, sampling=sampler) as raw:
        messages = [{"role": "user", "content": {"type": "text", "text": "hi"}}]
        await raw.peer.send(Request("s1", "sampling/createMessage", {"messages": messages, "maxTokens": 5}))
        with anyio.fail_after(5):
            await started.wait()
        await raw.peer.notify("notifications/cancelled", {"requestId": "s1"})
        with anyio.fail_after(5):
            await stopped.wait()
        await raw.peer.expect_nothing()
        assert await raw.peer.request("p", "ping") == Response("p", {})


async def test_client_ignores_an_answer_after_it_cancelled() -> None:
    """basic/utilities/cancellation.mdx, all revisions: "The sender of the cancellation notification
    SHOULD ignore any response to the request that arrives afterward"."""
    async with raw_server(REV_2025_11, {"tools": {}}) as raw:
        outcome: list[str] = []
        async with anyio.create_task_group() as tg:
            scope = anyio.CancelScope()

            async def call() -> None:
                with scope:
                    await raw.client.call_tool("slow")
                    outcome.append("answered")
                outcome.append("cancelled" if scope.cancelled_caught else "left")

            tg.start_soon(call)
            request = await raw.peer.receive_a(Request)
            scope.cancel()
        assert outcome == ["cancelled"]
        await raw.peer.answer(request.id, {"content": [{"type": "text", "text": "too late"}]})

        async def answer_ping() -> None:
            for _ in range(MAX_MESSAGES):
                item = await raw.peer.receive()
                if isinstance(item, Request) and item.method == "ping":
                    await raw.peer.answer(item.id, {})
                    return

        async with anyio.create_task_group() as tg:
            tg.start_soon(answer_ping)
            await raw.client.ping()


# ============================================================================================
# basic/utilities/progress.mdx
# ============================================================================================


@pytest.mark.parametrize("token", ["abc123", 7, 0, "7"])
async def test_progress_echoes_the_callers_token(rev: str, token: str | int) -> None:
    """basic/utilities/progress.mdx, all revisions: progress notifications carry "The original
    progress token" (a string or an integer, which must keep its type: 7 and "7" differ); "The
    progress value MUST increase with each notification"; the message field exists from
    2025-03-26 on."""
    async with raw_client(spec_server()) as peer:
        await open_session(peer, rev)
        params = {"name": "steps", "arguments": {"count": 3}, "_meta": {"progressToken": token}}
        await peer.send(Request(1, "tools/call", params))
        notes, reply = await until_reply(peer, 1)
    assert isinstance(reply, Response)
    progress = progress_of(notes)
    assert len(progress) == 3
    for i, entry in enumerate(progress, start=1):
        assert entry["progressToken"] == token
        assert type(entry["progressToken"]) is type(token)
        assert entry["progress"] == i
        assert entry["total"] == 3
        if rev >= REV_2025_03:
            assert entry["message"] == f"step {i}"
        else:
            assert "message" not in entry


async def test_no_progress_without_a_token(rev: str) -> None:
    """basic/utilities/progress.mdx, all revisions: "Progress notifications MUST only reference
    tokens that: Were provided in an active request"; a request without one gets none."""
    async with raw_client(spec_server()) as peer:
        await open_session(peer, rev)
        await peer.send(Request(1, "tools/call", {"name": "steps", "arguments": {"count": 3}}))
        notes, reply = await until_reply(peer, 1)
    assert isinstance(reply, Response)
    assert progress_of(notes) == []


async def test_progress_never_repeats_or_goes_back() -> None:
    """basic/utilities/progress.mdx, all revisions: "The progress value MUST increase with each
    notification, even if the total is unknown": a repeated value is not an increase either."""
    probe = Probe()
    async with raw_client(spec_server(probe)) as peer:
        await open_session(peer, REV_2025_11)
        await peer.send(Request(1, "tools/call", {"name": "flat", "_meta": {"progressToken": "t"}}))
        notes, reply = await until_reply(peer, 1)
    assert isinstance(reply, Response)
    values = [entry["progress"] for entry in progress_of(notes)]
    assert values == sorted(set(values)), values
    assert values == [1.0, 2.0]


async def test_progress_stops_when_the_request_is_answered() -> None:
    """basic/utilities/progress.mdx, all revisions: "Progress notifications MUST stop after
    completion", and they "MUST only reference tokens that ... Are associated with an in-progress
    operation"."""
    probe = Probe()
    async with raw_client(spec_server(probe)) as peer:
        await open_session(peer, REV_2025_11)
        await peer.send(Request(1, "tools/call", {"name": "remember", "_meta": {"progressToken": "old"}}))
        notes, reply = await until_reply(peer, 1)
        assert isinstance(reply, Response)
        assert [entry["progressToken"] for entry in progress_of(notes)] == ["old"]
        answered = len(peer.received)
        await peer.send(Request(2, "tools/call", {"name": "late"}))
        _, reply = await until_reply(peer, 2)
        assert isinstance(reply, Response)
        await peer.expect_nothing()
    later = [m for m in peer.received[answered:] if isinstance(m, Notification)]
    assert progress_of(later) == []


async def test_client_progress_tokens_are_unique_among_active_requests() -> None:
    """basic/utilities/progress.mdx, all revisions: "Progress tokens MUST be a string or integer
    value" and "MUST be unique across all active requests"; each notification reaches the
    callback of the request whose token it carries."""
    seen: dict[str, list[float]] = {"a": [], "b": []}
    async with raw_server(REV_2025_11, {"tools": {}}) as raw:
        results: dict[str, str] = {}

        async def call(name: str) -> None:
            result = await raw.client.call_tool(name, progress=lambda p, t, m: seen[name].append(p))
            results[name] = str(dict(result["content"][0])["text"])

        async with anyio.create_task_group() as tg:
            tg.start_soon(call, "a")
            tg.start_soon(call, "b")
            first = await raw.peer.receive_a(Request)
            second = await raw.peer.receive_a(Request)
            requests = {}
            for request in (first, second):
                assert isinstance(request.params, dict)
                requests[request.params["name"]] = request
            tokens = {name: params_of(r)["_meta"]["progressToken"] for name, r in requests.items()}
            assert all(isinstance(t, (str, int)) and not isinstance(t, bool) for t in tokens.values())
            assert tokens["a"] != tokens["b"]
            for name, value in (("a", 1), ("b", 10), ("a", 2)):
                await raw.peer.notify(
                    "notifications/progress", {"progressToken": tokens[name], "progress": value}
                )
            for name, request in requests.items():
                await raw.peer.answer(request.id, {"content": [{"type": "text", "text": name}]})
    assert results == {"a": "a", "b": "b"}
    assert seen == {"a": [1, 2], "b": [10]}


# ============================================================================================
# server/tools.mdx
# ============================================================================================


async def test_tools_list_shape(rev: str) -> None:
    """server/tools.mdx, all revisions: a tools/list result holds "tools", each with a name and an
    inputSchema; 2025-06-18 on: inputSchema "MUST be a valid JSON Schema object (not null)", of type
    object even for a tool with no parameters. server/utilities/pagination.mdx: nextCursor only "if
    more results exist"."""
    async with raw_client(spec_server()) as peer:
        await open_session(peer, rev)
        result = await result_of(peer, 1, "tools/list")
    assert "nextCursor" not in result
    tools = {tool["name"]: tool for tool in result["tools"]}
    assert {"echo", "nothing", "weather"} <= set(tools)
    for tool in tools.values():
        schema = tool["inputSchema"]
        assert isinstance(schema, dict)
        assert schema["type"] == "object"
        jsonschema.validators.validator_for(schema).check_schema(schema)
    assert jsonschema.validators.validator_for(tools["nothing"]["inputSchema"])(
        tools["nothing"]["inputSchema"]
    ).is_valid({})
    assert tools["echo"]["inputSchema"]["required"] == ["text"]


async def test_arguments_may_be_left_out_for_a_tool_without_parameters(rev: str) -> None:
    """server/tools.mdx, all revisions: the arguments of tools/call are optional (the schema's
    CallToolRequest does not require them); a tool without parameters is called without any."""
    async with raw_client(spec_server()) as peer:
        await open_session(peer, rev)
        result = await result_of(peer, 1, "tools/call", {"name": "nothing"})
    assert result["content"] == [{"type": "text", "text": "nothing"}]
    assert not result.get("isError")


async def test_an_empty_tool_list_is_still_a_list(rev: str) -> None:
    """server/tools.mdx, all revisions: the tools/list result holds a "tools" array, empty or not."""
    async with raw_client(Server("empty", declare=["tools"])) as peer:
        await open_session(peer, rev)
        assert await result_of(peer, 1, "tools/list") == {"tools": []}


@pytest.mark.parametrize("name", ["no_such_tool", "ECHO", "echo "])
async def test_unknown_tool_is_a_protocol_error(rev: str, name: str) -> None:
    """server/tools.mdx, all revisions, Error Handling: "Protocol Errors: Standard JSON-RPC errors
    for issues like: Unknown tools", with the example code -32602; 2025-11-25: names are
    "case-sensitive"."""
    async with raw_client(spec_server()) as peer:
        await open_session(peer, rev)
        error = await error_of(peer, 1, "tools/call", {"name": name, "arguments": {}})
        assert error.code == INVALID_PARAMS


@pytest.mark.parametrize("params", [{}, {"name": 5}, {"name": "echo", "arguments": "text"}])
async def test_malformed_tool_call_is_a_protocol_error(rev: str, params: Any) -> None:
    """server/tools.mdx, Error Handling: protocol errors for "Malformed requests (requests that fail
    to satisfy CallToolRequest schema)" (2025-11-25; "Invalid arguments" before), as -32602."""
    async with raw_client(spec_server()) as peer:
        await open_session(peer, rev)
        assert (await error_of(peer, 1, "tools/call", params)).code == INVALID_PARAMS


async def test_input_validation_error_is_a_tool_execution_error() -> None:
    """server/tools.mdx, 2025-11-25, Error Handling: "Tool Execution Errors: Reported in tool
    results with isError: true: ... Input validation errors (e.g., date in wrong format, value out
    of range)"; and "Servers MUST: Validate all tool inputs"."""
    async with raw_client(spec_server()) as peer:
        await open_session(peer, REV_2025_11)
        result = await result_of(peer, 1, "tools/call", {"name": "echo", "arguments": {"text": 12}})
        assert result["isError"] is True
        assert result["content"][0]["type"] == "text"
        result = await result_of(peer, 2, "tools/call", {"name": "echo", "arguments": {}})
        assert result["isError"] is True


async def test_tool_failure_is_a_result_not_a_protocol_error(rev: str) -> None:
    """server/tools.mdx, all revisions: "Tool Execution Errors: Reported in tool results with
    isError: true" (API failures, business logic errors)."""
    async with raw_client(spec_server()) as peer:
        await open_session(peer, rev)
        result = await result_of(peer, 1, "tools/call", {"name": "fail", "arguments": {}})
    assert result["isError"] is True
    assert any("disk is on fire" in block.get("text", "") for block in result["content"])


async def test_structured_content_only_for_peers_that_have_it(rev: str) -> None:
    """server/tools.mdx, 2025-06-18 on: "Structured content is returned as a JSON object in the
    structuredContent field"; "a tool that returns structured content SHOULD also return the
    serialized JSON in a TextContent block"; with an output schema "Servers MUST provide structured
    results that conform to this schema". Before 2025-06-18 neither outputSchema nor
    structuredContent exists, so neither may be sent."""
    async with raw_client(spec_server()) as peer:
        await open_session(peer, rev)
        tools = {t["name"]: t for t in (await result_of(peer, 1, "tools/list"))["tools"]}
        result = await result_of(peer, 2, "tools/call", {"name": "weather", "arguments": {"city": "Oslo"}})
    if rev < REV_2025_06:
        assert not any("outputSchema" in tool for tool in tools.values())
        assert set(result) <= {"content", "isError", "_meta"}
        assert "Oslo" in result["content"][0]["text"]
        return
    schema = tools["weather"]["outputSchema"]
    assert schema["type"] == "object"
    structured = result["structuredContent"]
    assert structured == {"city": "Oslo", "celsius": 21.5}
    jsonschema.validators.validator_for(schema)(schema).validate(structured)
    texts = [block["text"] for block in result["content"] if block["type"] == "text"]
    assert any(json.loads(text) == structured for text in texts)


async def test_every_output_schema_is_honoured() -> None:
    """server/tools.mdx, 2025-06-18 on: "If an output schema is provided: Servers MUST provide
    structured results that conform to this schema", for every tool that declares one."""
    server = Server("outputs")

    @server.tool()
    def number() -> int:
        return 42

    @server.tool()
    def words() -> list[str]:
        return ["a", "b"]

    @server.tool()
    def mapping() -> dict[str, int]:
        return {"a": 1}

    @server.tool()
    def model() -> Weather:
        return Weather(city="Rome", celsius=30)

    async with raw_client(server) as peer:
        await open_session(peer, REV_2025_11)
        tools = (await result_of(peer, 1, "tools/list"))["tools"]
        checked = 0
        for rid, tool in enumerate(tools, start=2):
            result = await result_of(peer, rid, "tools/call", {"name": tool["name"], "arguments": {}})
            assert not result.get("isError"), result
            if "outputSchema" in tool:
                schema = tool["outputSchema"]
                assert schema["type"] == "object"
                jsonschema.validators.validator_for(schema)(schema).validate(result["structuredContent"])
                checked += 1
    assert checked >= 1


async def test_tools_list_changed_is_sent(rev: str) -> None:
    """server/tools.mdx, all revisions: "When the list of available tools changes, servers that
    declared the listChanged capability SHOULD send a notification"."""
    server = spec_server()
    async with raw_client(server) as peer:
        caps = (await open_session(peer, rev))["capabilities"]
        assert caps["tools"].get("listChanged") is True
        assert await peer.request(1, "ping") == Response(1, {})
        server.add_tool(lambda: "new", name="fresh")
        note = await peer.receive_a(Notification)
        assert as_json(note)["method"] == "notifications/tools/list_changed"
        assert as_json(note).get("params", {}) == {}
        names = [t["name"] for t in (await result_of(peer, 2, "tools/list"))["tools"]]
        assert "fresh" in names


# ============================================================================================
# server/resources.mdx
# ============================================================================================


async def test_resources_list_and_templates_shape(rev: str) -> None:
    """server/resources.mdx, all revisions: resources/list returns "resources" (each with uri and
    name), resources/templates/list returns "resourceTemplates" (each with uriTemplate and name);
    nextCursor only "if more results exist" (pagination.mdx)."""
    async with raw_client(spec_server()) as peer:
        await open_session(peer, rev)
        listed = await result_of(peer, 1, "resources/list")
        templates = await result_of(peer, 2, "resources/templates/list")
    assert "nextCursor" not in listed
    assert "nextCursor" not in templates
    assert {r["uri"] for r in listed["resources"]} == {"file:///readme.txt", "file:///logo.png"}
    assert all(isinstance(r["name"], str) for r in listed["resources"])
    (template,) = templates["resourceTemplates"]
    assert template["uriTemplate"] == "users://{user}/profile"
    assert isinstance(template["name"], str)


async def test_read_returns_text_or_properly_encoded_blob(rev: str) -> None:
    """server/resources.mdx, all revisions: "Resources can contain either text or binary data";
    Security: "Binary data MUST be properly encoded" (base64 in the blob field)."""
    async with raw_client(spec_server()) as peer:
        await open_session(peer, rev)
        text = await result_of(peer, 1, "resources/read", {"uri": "file:///readme.txt"})
        blob = await result_of(peer, 2, "resources/read", {"uri": "file:///logo.png"})
        templated = await result_of(peer, 3, "resources/read", {"uri": "users://ada/profile"})
    assert text == {"contents": [{"uri": "file:///readme.txt", "mimeType": "text/plain", "text": "hello"}]}
    (entry,) = blob["contents"]
    assert "text" not in entry
    assert entry["uri"] == "file:///logo.png"
    assert base64.b64decode(entry["blob"], validate=True) == b"\x89PNG\r\n\x1a\n\x00\xff"
    (entry,) = templated["contents"]
    assert json.loads(entry["text"]) == {"user": "ada"}


@pytest.mark.parametrize("uri", ["file:///nonexistent.txt", "users://", "nope://x/y"])
async def test_unknown_resource_is_minus_32002(rev: str, uri: str) -> None:
    """server/resources.mdx, all revisions, Error Handling: "Resource not found: -32002", the
    example carrying the uri in data."""
    async with raw_client(spec_server()) as peer:
        await open_session(peer, rev)
        error = await error_of(peer, 1, "resources/read", {"uri": uri})
    assert error.code == RESOURCE_NOT_FOUND
    assert error.data == {"uri": uri}


async def test_subscriptions_notify_only_subscribed_resources(rev: str) -> None:
    """server/resources.mdx, all revisions, Subscriptions: "Clients can subscribe to specific
    resources and receive notifications when they change", with params {"uri": ...}."""
    server = spec_server()
    async with raw_client(server) as peer:
        caps = (await open_session(peer, rev))["capabilities"]
        assert caps["resources"].get("subscribe") is True
        assert await result_of(peer, 1, "resources/subscribe", {"uri": "file:///readme.txt"}) == {}
        await server.notify_resource_updated("file:///logo.png")
        await server.notify_resource_updated("file:///readme.txt")
        note = await peer.receive_a(Notification)
        assert as_json(note) == {
            "jsonrpc": "2.0",
            "method": "notifications/resources/updated",
            "params": {"uri": "file:///readme.txt"},
        }
        assert await result_of(peer, 2, "resources/unsubscribe", {"uri": "file:///readme.txt"}) == {}
        await server.notify_resource_updated("file:///readme.txt")
        await peer.expect_nothing()


async def test_resources_list_changed_is_sent(rev: str) -> None:
    """server/resources.mdx, all revisions: "When the list of available resources changes, servers
    that declared the listChanged capability SHOULD send a notification"."""
    server = spec_server()
    async with raw_client(server) as peer:
        caps = (await open_session(peer, rev))["capabilities"]
        assert caps["resources"].get("listChanged") is True
        assert await peer.request(1, "ping") == Response(1, {})
        server.add_resource(lambda: "n", "file:///new.txt")
        note = await peer.receive_a(Notification)
        assert note.method == "notifications/resources/list_changed"


# ============================================================================================
# server/prompts.mdx
# ============================================================================================


async def test_prompts_list_and_get_shape(rev: str) -> None:
    """server/prompts.mdx, all revisions: prompts/list returns "prompts" with name and arguments
    ({name, required}); prompts/get returns messages with a role of "user" or "assistant" and one
    content block."""
    async with raw_client(spec_server()) as peer:
        await open_session(peer, rev)
        listed = await result_of(peer, 1, "prompts/list")
        got = await result_of(peer, 2, "prompts/get", {"name": "greet", "arguments": {"name": "Ada"}})
    assert "nextCursor" not in listed
    prompts = {p["name"]: p for p in listed["prompts"]}
    arguments = {a["name"]: a for a in prompts["greet"]["arguments"]}
    assert arguments["name"]["required"] is True
    assert not arguments["style"].get("required", False)
    assert got["messages"] == [{"role": "user", "content": {"type": "text", "text": "Hello Ada (plain)"}}]


async def test_prompt_image_is_base64_with_a_mime_type(rev: str) -> None:
    """server/prompts.mdx, all revisions, Image Content: "The image data MUST be base64-encoded and
    include a valid MIME type"."""
    async with raw_client(spec_server()) as peer:
        await open_session(peer, rev)
        got = await result_of(peer, 1, "prompts/get", {"name": "picture"})
    (message,) = got["messages"]
    assert message["role"] in ("user", "assistant")
    block = message["content"]
    assert block["type"] == "image"
    assert block["mimeType"] == "image/png"
    assert base64.b64decode(block["data"], validate=True) == b"\x89PNG\r\n"


@pytest.mark.parametrize(
    "params",
    [
        {"name": "no_such_prompt"},
        {"name": "greet"},  # the required argument "name" is missing
        {"name": "greet", "arguments": {"style": "pirate"}},
    ],
)
async def test_prompt_errors_are_invalid_params(rev: str, params: dict[str, Any]) -> None:
    """server/prompts.mdx, all revisions, Error Handling: "Invalid prompt name: -32602 (Invalid
    params)" and "Missing required arguments: -32602 (Invalid params)"."""
    async with raw_client(spec_server()) as peer:
        await open_session(peer, rev)
        assert (await error_of(peer, 1, "prompts/get", params)).code == INVALID_PARAMS


async def test_prompts_list_changed_is_sent(rev: str) -> None:
    """server/prompts.mdx, all revisions: "When the list of available prompts changes, servers that
    declared the listChanged capability SHOULD send a notification"."""
    server = spec_server()
    async with raw_client(server) as peer:
        caps = (await open_session(peer, rev))["capabilities"]
        assert caps["prompts"].get("listChanged") is True
        assert await peer.request(1, "ping") == Response(1, {})
        server.remove_prompt("picture")
        note = await peer.receive_a(Notification)
        assert note.method == "notifications/prompts/list_changed"


# ============================================================================================
# server/utilities/completion.mdx
# ============================================================================================


def complete_params(value: str, context: dict[str, str] | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {
        "ref": {"type": "ref/prompt", "name": "greet"},
        "argument": {"name": "style", "value": value},
    }
    if context is not None:
        params["context"] = {"arguments": context}
    return params


async def test_completion_values_at_most_100(rev: str) -> None:
    """server/utilities/completion.mdx, all revisions: "Maximum 100 items per response", with a
    "Boolean indicating if additional results exist" (hasMore) and an optional total."""
    async with raw_client(spec_server()) as peer:
        await open_session(peer, rev)
        result = await result_of(peer, 1, "completion/complete", complete_params("p"))
    completion = result["completion"]
    assert set(completion) <= {"values", "total", "hasMore"}
    assert len(completion["values"]) == 100
    assert completion["values"][:2] == ["p0", "p1"]
    assert completion["hasMore"] is True
    assert completion.get("total", 150) == 150


async def test_completion_receives_the_context_arguments() -> None:
    """server/utilities/completion.mdx, 2025-06-18 on: clients "include previous completions in the
    context.arguments object to provide context for subsequent requests"; the server's completion
    gets them."""
    probe = Probe()
    async with raw_client(spec_server(probe)) as peer:
        await open_session(peer, REV_2025_06)
        await result_of(peer, 1, "completion/complete", complete_params("p", {"name": "Ada"}))
    assert probe.arguments == [{"name": "Ada"}]


@pytest.mark.parametrize(
    "params",
    [
        {"ref": {"type": "ref/prompt", "name": "no_such_prompt"}, "argument": {"name": "x", "value": ""}},
        {"ref": {"type": "ref/prompt", "name": "greet"}},  # no argument
        {"argument": {"name": "style", "value": ""}},  # no ref
        {"ref": {"type": "ref/elsewhere", "name": "greet"}, "argument": {"name": "style", "value": ""}},
    ],
)
async def test_completion_errors_are_invalid_params(rev: str, params: dict[str, Any]) -> None:
    """server/utilities/completion.mdx, 2025-03-26 on, Error Handling: "Invalid prompt name: -32602
    (Invalid params)" and "Missing required arguments: -32602 (Invalid params)" (2024-11-05 names
    no codes; the same answers are checked there too)."""
    async with raw_client(spec_server()) as peer:
        await open_session(peer, rev)
        assert (await error_of(peer, 1, "completion/complete", params)).code == INVALID_PARAMS


# ============================================================================================
# server/utilities/logging.mdx
# ============================================================================================


async def test_every_log_level_is_accepted(rev: str) -> None:
    """server/utilities/logging.mdx, all revisions: the eight syslog levels debug, info, notice,
    warning, error, critical, alert, emergency; logging/setLevel answers an empty result."""
    async with raw_client(spec_server()) as peer:
        await open_session(peer, rev)
        for rid, level in enumerate(LOGGING_LEVELS, start=1):
            assert await result_of(peer, rid, "logging/setLevel", {"level": level}) == {}


@pytest.mark.parametrize("params", [{"level": "loud"}, {"level": "WARNING"}, {"level": 3}, {}])
async def test_invalid_log_level_is_invalid_params(rev: str, params: dict[str, Any]) -> None:
    """server/utilities/logging.mdx, all revisions, Error Handling: "Invalid log level: -32602
    (Invalid params)"."""
    async with raw_client(spec_server()) as peer:
        await open_session(peer, rev)
        assert (await error_of(peer, 1, "logging/setLevel", params)).code == INVALID_PARAMS


@pytest.mark.parametrize("minimum", ["error", "notice", "emergency"])
async def test_set_level_is_the_minimum_sent(rev: str, minimum: str) -> None:
    """server/utilities/logging.mdx, all revisions: clients set "minimum log levels"; after
    setLevel(error) the server "Only sends error level and above". Notifications carry level,
    optional logger, and data."""
    async with raw_client(spec_server()) as peer:
        await open_session(peer, rev)
        assert await result_of(peer, 1, "logging/setLevel", {"level": minimum}) == {}
        await peer.send(Request(2, "tools/call", {"name": "noisy"}))
        notes, reply = await until_reply(peer, 2)
    assert isinstance(reply, Response)
    logs = [as_json(n) for n in notes if n.method == "notifications/message"]
    expected = LOGGING_LEVELS[[str(level) for level in LOGGING_LEVELS].index(minimum) :]
    assert [log["params"]["level"] for log in logs] == list(expected)
    for log in logs:
        assert log["params"] == {
            "level": log["params"]["level"],
            "logger": "noisy",
            "data": {"at": log["params"]["level"]},
        }


# ============================================================================================
# server/utilities/pagination.mdx
# ============================================================================================


def paged_server() -> Server:
    server = Server("paged", page_size=2)
    for i in range(5):
        server.add_tool(lambda: "x", name=f"tool{i}")
        server.add_resource(lambda: "x", f"file:///r{i}.txt")
        server.add_resource(lambda user: user, f"t{i}://{{user}}")
        server.add_prompt(lambda: "x", name=f"prompt{i}")
    return server


LISTS = [
    ("tools/list", "tools", "name"),
    ("resources/list", "resources", "uri"),
    ("resources/templates/list", "resourceTemplates", "uriTemplate"),
    ("prompts/list", "prompts", "name"),
]


@pytest.mark.parametrize(("method", "key", "ident"), LISTS)
async def test_pages_end_without_a_next_cursor(rev: str, method: str, key: str, ident: str) -> None:
    """server/utilities/pagination.mdx, all revisions: a response includes "An optional nextCursor
    field if more results exist", so the last page has none; the cursor is "an opaque string
    token"; tools/list, resources/list, resources/templates/list and prompts/list paginate."""
    async with raw_client(paged_server()) as peer:
        await open_session(peer, rev)
        items: list[str] = []
        pages = 0
        cursor: str | None = None
        for rid in range(1, 20):
            result = await result_of(peer, rid, method, None if cursor is None else {"cursor": cursor})
            pages += 1
            items += [entry[ident] for entry in result[key]]
            if "nextCursor" not in result:
                break
            cursor = result["nextCursor"]
            assert isinstance(cursor, str)
    assert pages == 3
    assert len(items) == len(set(items)) == 5


@pytest.mark.parametrize(("method", "key", "ident"), LISTS)
async def test_cursors_are_stable(method: str, key: str, ident: str) -> None:
    """server/utilities/pagination.mdx, all revisions: "Servers SHOULD: Provide stable cursors": the
    same cursor gives the same page again."""
    async with raw_client(paged_server()) as peer:
        await open_session(peer, REV_2025_11)
        cursor = (await result_of(peer, 1, method))["nextCursor"]
        again = await result_of(peer, 2, method, {"cursor": cursor})
        once_more = await result_of(peer, 3, method, {"cursor": cursor})
    assert again == once_more


@pytest.mark.parametrize(("method", "key", "ident"), LISTS)
@pytest.mark.parametrize("cursor", ["not-a-cursor", "", "eyJwYWdlIjogM30="])
async def test_invalid_cursor_is_invalid_params(
    rev: str, method: str, key: str, ident: str, cursor: str
) -> None:
    """server/utilities/pagination.mdx, all revisions, Error Handling: "Invalid cursors SHOULD result
    in an error with code -32602 (Invalid params)"."""
    async with raw_client(paged_server()) as peer:
        await open_session(peer, rev)
        assert (await error_of(peer, 1, method, {"cursor": cursor})).code == INVALID_PARAMS


async def test_client_follows_opaque_cursors_of_any_page_size() -> None:
    """server/utilities/pagination.mdx, all revisions: "clients MUST NOT assume a fixed page size";
    "Clients MUST treat cursors as opaque tokens: ... Don't attempt to parse or modify cursors";
    "Treat a missing nextCursor as the end of results"."""
    pages = [
        (None, ["a", "b", "c"], "ä/ 🙂==?&cursor"),
        ("ä/ 🙂==?&cursor", ["d"], "2"),
        ("2", [], "{}"),
        ("{}", ["e", "f"], None),
    ]
    async with raw_server(REV_2025_11, {"tools": {}}) as raw:

        async def serve_pages() -> None:
            for expected, names, following in pages:
                request = await raw.peer.receive_a(Request)
                assert request.method == "tools/list"
                params = request.params or {}
                assert isinstance(params, dict)
                assert params.get("cursor") == expected
                result: dict[str, Any] = {
                    "tools": [{"name": n, "inputSchema": {"type": "object"}} for n in names]
                }
                if following is not None:
                    result["nextCursor"] = following
                await raw.peer.answer(request.id, result)

        async with anyio.create_task_group() as tg:
            tg.start_soon(serve_pages)
            tools = await raw.client.list_tools()
    assert [t["name"] for t in tools] == ["a", "b", "c", "d", "e", "f"]


# ============================================================================================
# client/roots.mdx
# ============================================================================================


async def test_client_with_roots_lists_them_and_announces_changes(rev: str) -> None:
    """client/roots.mdx, all revisions: "Clients that support roots MUST declare the roots
    capability"; roots/list returns {"roots": [{uri, name?}]}; "When roots change, clients that
    support listChanged MUST send a notification"."""
    roots = [{"uri": "file:///home/user/project", "name": "Project"}]
    async with raw_server(rev, roots=roots) as raw:
        caps = params_of(raw.initialize)["capabilities"]
        assert caps["roots"] == {"listChanged": True}
        listed = await raw.peer.request("r1", "roots/list")
        assert as_json(listed) == {"jsonrpc": "2.0", "id": "r1", "result": {"roots": roots}}
        await raw.client.set_roots(["file:///elsewhere"])
        note = await raw.peer.receive_a(Notification)
        assert as_json(note) == {"jsonrpc": "2.0", "method": "notifications/roots/list_changed"}
        listed = await raw.peer.request("r2", "roots/list")
        assert isinstance(listed, Response)
        assert [r["uri"] for r in listed.result["roots"]] == ["file:///elsewhere"]


async def test_client_without_roots_answers_method_not_found(rev: str) -> None:
    """client/roots.mdx, all revisions, Error Handling: "Client does not support roots: -32601
    (Method not found)"."""
    async with raw_server(rev) as raw:
        assert "roots" not in params_of(raw.initialize)["capabilities"]
        reply = await raw.peer.request(3, "roots/list")
        assert isinstance(reply, ErrorResponse)
        assert reply.id == 3
        assert reply.code == METHOD_NOT_FOUND


@pytest.mark.parametrize(
    "root", ["https://example.com/x", "/home/user", "File:/x", {"uri": "ftp://x"}, {"name": "no uri"}]
)
async def test_roots_must_be_file_uris(root: Any) -> None:
    """client/roots.mdx, all revisions: a root's uri "MUST be a file:// URI in the current
    specification": the client refuses to offer anything else."""
    with pytest.raises(ValueError, match="file://"):
        Client(Server("s"), roots=[root])
    async with raw_server(REV_2025_11, roots=["file:///ok"]) as raw:
        with pytest.raises(ValueError, match="file://"):
            await raw.client.set_roots(["file:///fine", root])
        listed = await raw.peer.request(1, "roots/list")
        assert isinstance(listed, Response)
        assert listed.result == {"roots": [{"uri": "file:///ok"}]}


# ============================================================================================
# client/sampling.mdx
# ============================================================================================


async def test_client_with_sampling_declares_and_answers(rev: str) -> None:
    """client/sampling.mdx, all revisions: "Clients that support sampling MUST declare the sampling
    capability"; the client answers sampling/createMessage with role, content and model."""
    asked: list[dict[str, Any]] = []

    async def sampler(params: dict[str, Any]) -> dict[str, Any]:
        asked.append(params)
        return {"role": "assistant", "content": {"type": "text", "text": "Paris"}, "model": "m"}

    async with raw_server(rev, sampling=sampler) as raw:
        assert "sampling" in params_of(raw.initialize)["capabilities"]
        params = {
            "messages": [{"role": "user", "content": {"type": "text", "text": "Capital of France?"}}],
            "systemPrompt": "Be brief.",
            "maxTokens": 100,
        }
        reply = await raw.peer.request("s", "sampling/createMessage", params)
    assert isinstance(reply, Response)
    assert reply.result == {"role": "assistant", "content": {"type": "text", "text": "Paris"}, "model": "m"}
    assert asked == [params]


async def test_client_without_sampling_refuses_it(rev: str) -> None:
    """client/sampling.mdx, all revisions: a client declares sampling only if it supports it, and
    "Clients SHOULD return errors" when they cannot sample."""
    async with raw_server(rev) as raw:
        assert "sampling" not in params_of(raw.initialize)["capabilities"]
        params = {"messages": [{"role": "user", "content": {"type": "text", "text": "x"}}], "maxTokens": 1}
        reply = await raw.peer.request(1, "sampling/createMessage", params)
        assert isinstance(reply, ErrorResponse)


def sampling_server() -> Server:
    server = Server("sampler")
    tool = {"name": "get_weather", "inputSchema": {"type": "object"}}

    @server.tool()
    async def with_tools(ctx: Context) -> str:
        result = await ctx.sample("Weather?", max_tokens=10, tools=[tool])
        return str(result["model"])

    @server.tool()
    async def with_context(ctx: Context) -> str:
        result = await ctx.sample("Hi", max_tokens=10, include_context="thisServer")
        return str(result["model"])

    return server


async def answer_sampling(peer: RawPeer, rid: RequestId, tool: str) -> tuple[list[Request], Response]:
    """Call ``tool``, answering any sampling request on the way; the requests seen and the result."""
    await peer.send(Request(rid, "tools/call", {"name": tool}))
    asked: list[Request] = []
    for _ in range(MAX_MESSAGES):
        item = await peer.receive()
        if isinstance(item, Request):
            asked.append(item)
            await peer.answer(
                item.id, {"role": "assistant", "content": {"type": "text", "text": "x"}, "model": "m"}
            )
        elif isinstance(item, Response) and item.id == rid:
            return asked, item
        elif not isinstance(item, Notification):
            raise AssertionError(f"unexpected: {item!r}")
    raise AssertionError("no answer")


async def test_server_sends_tools_in_sampling_only_to_clients_that_declared_them() -> None:
    """client/sampling.mdx, 2025-11-25: "Servers MUST NOT send tool-enabled sampling requests to
    Clients that have not declared support for tool use via the sampling.tools capability"."""
    async with raw_client(sampling_server()) as peer:
        await open_session(peer, REV_2025_11, {"sampling": {}})
        asked, reply = await answer_sampling(peer, 1, "with_tools")
        assert asked == []
        assert reply.result["isError"] is True
    async with raw_client(sampling_server()) as peer:
        await open_session(peer, REV_2025_11, {"sampling": {"tools": {}}})
        asked, reply = await answer_sampling(peer, 1, "with_tools")
        assert [r.method for r in asked] == ["sampling/createMessage"]
        assert params_of(asked[0])["tools"][0]["name"] == "get_weather"
        assert not reply.result.get("isError")


async def test_server_sends_include_context_only_to_clients_that_declared_it() -> None:
    """client/sampling.mdx, 2025-11-25: the includeContext values "thisServer" and "allServers" are
    soft-deprecated, and servers "SHOULD NOT use them unless the client declares sampling.context
    capability"."""
    async with raw_client(sampling_server()) as peer:
        await open_session(peer, REV_2025_11, {"sampling": {}})
        asked, reply = await answer_sampling(peer, 1, "with_context")
        assert asked == []
        assert reply.result["isError"] is True
    async with raw_client(sampling_server()) as peer:
        await open_session(peer, REV_2025_11, {"sampling": {"context": {}}})
        asked, reply = await answer_sampling(peer, 1, "with_context")
        assert params_of(asked[0])["includeContext"] == "thisServer"


TOOL: dict[str, Any] = {
    "name": "get_weather",
    "inputSchema": {"type": "object", "properties": {"city": {"type": "string"}}},
}
QUESTION: dict[str, Any] = {
    "role": "user",
    "content": {"type": "text", "text": "Weather in Paris and London?"},
}
TWO_USES: dict[str, Any] = {
    "role": "assistant",
    "content": [
        {"type": "tool_use", "id": "call_a", "name": "get_weather", "input": {"city": "Paris"}},
        {"type": "tool_use", "id": "call_b", "name": "get_weather", "input": {"city": "London"}},
    ],
}


def tool_result(use: str) -> dict[str, Any]:
    return {"type": "tool_result", "toolUseId": use, "content": [{"type": "text", "text": "mild"}]}


def tool_loop_server(messages: list[dict[str, Any]]) -> Server:
    server = Server("looper")

    @server.tool()
    async def loop(ctx: Context) -> str:
        result = await ctx.sample(messages, max_tokens=10, tools=[TOOL])
        return str(result["model"])

    return server


async def test_server_sends_a_well_formed_tool_loop() -> None:
    """client/sampling.mdx, 2025-11-25, Multi-turn Tool Loop: after the model's tool uses, the
    server sends the history with a user message of the matching tool results."""
    messages: list[dict[str, Any]] = [
        QUESTION,
        TWO_USES,
        {"role": "user", "content": [tool_result("call_a"), tool_result("call_b")]},
    ]
    async with raw_client(tool_loop_server(messages)) as peer:
        await open_session(peer, REV_2025_11, {"sampling": {"tools": {}}})
        asked, reply = await answer_sampling(peer, 1, "loop")
    (request,) = asked
    assert params_of(request)["messages"] == messages
    assert not reply.result.get("isError")


@pytest.mark.parametrize(
    "last",
    [
        # A tool result mixed with text in the same user message.
        {
            "role": "user",
            "content": [tool_result("call_a"), tool_result("call_b"), {"type": "text", "text": "so?"}],
        },
        # call_b is never answered.
        {"role": "user", "content": [tool_result("call_a")]},
        # Something else comes before the tool results.
        {"role": "user", "content": {"type": "text", "text": "never mind"}},
    ],
)
async def test_server_does_not_send_a_broken_tool_loop(last: dict[str, Any]) -> None:
    """client/sampling.mdx, 2025-11-25, Message Content Constraints: "When a user message contains
    tool results (type: "tool_result"), it MUST contain ONLY tool results"; "every assistant message
    containing ToolUseContent blocks MUST be followed by a user message that consists entirely of
    ToolResultContent blocks, with each tool use ... matched by a corresponding tool result";
    Security: "Servers MUST ensure" this. A broken history is refused, not sent."""
    async with raw_client(tool_loop_server([QUESTION, TWO_USES, last])) as peer:
        await open_session(peer, REV_2025_11, {"sampling": {"tools": {}}})
        asked, reply = await answer_sampling(peer, 1, "loop")
    assert asked == []
    assert reply.result["isError"] is True


# ============================================================================================
# client/elicitation.mdx
# ============================================================================================


class Contact(pydantic.BaseModel):
    name: str


def elicit_server(outcomes: list[str]) -> Server:
    server = Server("asker")

    @server.tool()
    async def ask_form(ctx: Context) -> str:
        answer = await ctx.elicit("Who are you?", Contact)
        outcomes.append(answer.action)
        return answer.action if answer.content is None else f"{answer.action}:{answer.content.name}"

    @server.tool()
    async def ask_url(ctx: Context) -> str:
        action = await ctx.elicit_url("Set your key", "https://example.com/key", "el-1")
        outcomes.append(action)
        return action

    return server


async def elicit_roundtrip(
    peer: RawPeer, rid: RequestId, tool: str, answer: dict[str, Any] | None
) -> tuple[list[Request], Response]:
    """Call ``tool``; answer each elicitation/create with ``answer``."""
    await peer.send(Request(rid, "tools/call", {"name": tool}))
    asked: list[Request] = []
    for _ in range(MAX_MESSAGES):
        item = await peer.receive()
        if isinstance(item, Request):
            asked.append(item)
            assert answer is not None, f"no elicitation was expected: {item!r}"
            await peer.answer(item.id, answer)
        elif isinstance(item, Response) and item.id == rid:
            return asked, item
        elif not isinstance(item, Notification):
            raise AssertionError(f"unexpected: {item!r}")
    raise AssertionError("no answer")


@pytest.mark.parametrize(
    ("answer", "text"),
    [
        ({"action": "accept", "content": {"name": "Ada"}}, "accept:Ada"),
        ({"action": "decline"}, "decline"),
        ({"action": "cancel"}, "cancel"),
    ],
)
async def test_elicitation_actions(answer: dict[str, Any], text: str) -> None:
    """client/elicitation.mdx, 2025-06-18 and 2025-11-25, Response Actions: "accept" with content,
    "decline" and "cancel" without; the request carries a message and a requestedSchema of type
    object (form mode, whose mode field may be omitted or "form")."""
    for version in (REV_2025_06, REV_2025_11):
        outcomes: list[str] = []
        async with raw_client(elicit_server(outcomes)) as peer:
            await open_session(peer, version, {"elicitation": {}})
            asked, reply = await elicit_roundtrip(peer, 1, "ask_form", answer)
        (request,) = asked
        assert request.method == "elicitation/create"
        params = request.params
        assert isinstance(params, dict)
        assert isinstance(params["message"], str)
        assert params["requestedSchema"]["type"] == "object"
        assert params["requestedSchema"]["properties"]["name"]["type"] == "string"
        assert params.get("mode", "form") == "form"
        if version < REV_2025_11:
            assert "mode" not in params
        assert reply.result["content"][0]["text"] == text
        assert outcomes == [answer["action"]]


@pytest.mark.parametrize("answer", [{"action": "maybe"}, {"action": "accept", "content": {"name": 5}}, {}])
async def test_server_rejects_an_invalid_elicitation_result(answer: dict[str, Any]) -> None:
    """client/elicitation.mdx: the action is one of "accept", "decline", "cancel"; 2025-11-25, Form
    Mode Security: "Servers SHOULD validate received data matches the requested schema"."""
    outcomes: list[str] = []
    async with raw_client(elicit_server(outcomes)) as peer:
        await open_session(peer, REV_2025_11, {"elicitation": {"form": {}}})
        asked, reply = await elicit_roundtrip(peer, 1, "ask_form", answer)
    assert len(asked) == 1
    assert reply.result["isError"] is True
    assert outcomes == []


@pytest.mark.parametrize(
    ("capability", "tool", "allowed"),
    [
        ({}, "ask_form", True),  # empty means form only
        ({}, "ask_url", False),
        ({"form": {}}, "ask_url", False),
        ({"url": {}}, "ask_form", False),
        ({"url": {}}, "ask_url", True),
        ({"form": {}, "url": {}}, "ask_url", True),
    ],
)
async def test_server_uses_only_the_modes_the_client_declared(
    capability: dict[str, Any], tool: str, allowed: bool
) -> None:
    """client/elicitation.mdx, 2025-11-25: "Servers MUST NOT send elicitation requests with modes
    that are not supported by the client"; "an empty capabilities object is equivalent to declaring
    support for form mode only"."""
    outcomes: list[str] = []
    async with raw_client(elicit_server(outcomes)) as peer:
        await open_session(peer, REV_2025_11, {"elicitation": capability})
        answer = (
            {"action": "accept", "content": {"name": "Ada"}} if tool == "ask_form" else {"action": "accept"}
        )
        asked, reply = await elicit_roundtrip(peer, 1, tool, answer if allowed else None)
    if allowed:
        (request,) = asked
        mode = "url" if tool == "ask_url" else "form"
        assert params_of(request).get("mode", "form") == mode
        if mode == "url":
            assert params_of(request)["url"] == "https://example.com/key"
            assert params_of(request)["elicitationId"] == "el-1"
        assert not reply.result.get("isError")
    else:
        assert asked == []
        assert reply.result["isError"] is True


@pytest.mark.parametrize("url", ["not a url", "", "example.com/set_key"])
async def test_url_elicitation_needs_a_valid_url(url: str) -> None:
    """client/elicitation.mdx, 2025-11-25, URL Mode Elicitation Requests: "The url parameter MUST
    contain a valid URL"; a server that is handed something else does not send it."""
    server = Server("asker")

    @server.tool()
    async def ask(ctx: Context) -> str:
        return await ctx.elicit_url("Set your key", url, "el-1")

    async with raw_client(server) as peer:
        await open_session(peer, REV_2025_11, {"elicitation": {"url": {}}})
        asked, reply = await elicit_roundtrip(peer, 1, "ask", {"action": "accept"})
    assert asked == []
    assert reply.result["isError"] is True


async def test_elicitation_complete_goes_only_to_the_client_that_was_asked() -> None:
    """client/elicitation.mdx, 2025-11-25: servers sending notifications/elicitation/complete "MUST
    only send the notification to the client that initiated the elicitation request" and "MUST
    include the elicitationId established in the original elicitation/create request"."""
    server = Server("asker")

    @server.tool()
    async def ask(ctx: Context) -> str:
        action = await ctx.elicit_url("Connect your account", "https://example.com/connect", "el-42")
        await ctx.complete_elicitation("el-42")
        return action

    async with raw_client(server) as one, raw_client(server) as other:
        await open_session(one, REV_2025_11, {"elicitation": {"url": {}}})
        await open_session(other, REV_2025_11, {"elicitation": {"url": {}}})
        await one.send(Request(1, "tools/call", {"name": "ask"}))
        request = await one.receive_a(Request)
        assert isinstance(request.params, dict)
        assert request.params["elicitationId"] == "el-42"
        await one.answer(request.id, {"action": "accept"})
        notes, reply = await until_reply(one, 1)
        assert isinstance(reply, Response)
        assert [as_json(n) for n in notes] == [
            {
                "jsonrpc": "2.0",
                "method": "notifications/elicitation/complete",
                "params": {"elicitationId": "el-42"},
            }
        ]
        await other.expect_nothing()
        assert not [m for m in other.received if isinstance(m, Notification)]


async def test_no_elicitation_for_a_client_that_did_not_declare_it(rev: str) -> None:
    """client/elicitation.mdx (2025-06-18 on) and basic/lifecycle.mdx: "Clients that support
    elicitation MUST declare the elicitation capability", and both parties "Only use capabilities
    that were successfully negotiated"; before 2025-06-18 elicitation does not exist at all."""
    outcomes: list[str] = []
    async with raw_client(elicit_server(outcomes)) as peer:
        await open_session(peer, rev, {"sampling": {}, "roots": {}})
        asked, reply = await elicit_roundtrip(peer, 1, "ask_form", None)
    assert asked == []
    assert reply.result["isError"] is True


async def test_client_declares_elicitation_and_takes_form_requests_without_a_mode() -> None:
    """client/elicitation.mdx: "Clients that support elicitation MUST declare the elicitation
    capability"; 2025-11-25: "Clients MUST treat requests without a mode field as form mode"."""
    seen: list[dict[str, Any]] = []

    async def elicitor(params: dict[str, Any]) -> dict[str, Any]:
        seen.append(params)
        return {"action": "accept", "content": {"name": "octocat"}}

    for version in (REV_2025_06, REV_2025_11):
        async with raw_server(version, elicitation=elicitor) as raw:
            assert "elicitation" in params_of(raw.initialize)["capabilities"]
            schema = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
            reply = await raw.peer.request(
                1, "elicitation/create", {"message": "GitHub username?", "requestedSchema": schema}
            )
            assert isinstance(reply, Response)
            assert reply.result == {"action": "accept", "content": {"name": "octocat"}}
    assert len(seen) == 2


async def test_client_refuses_an_undeclared_mode_with_invalid_params() -> None:
    """client/elicitation.mdx, 2025-11-25, Error Handling: clients "MUST return" -32602 (Invalid
    params) when the "Server sends an elicitation/create request with a mode not declared in client
    capabilities"."""

    async def elicitor(params: dict[str, Any]) -> dict[str, Any]:
        raise AssertionError("the handler must not see an undeclared mode")

    async with raw_server(REV_2025_11, elicitation=elicitor, elicitation_modes=("form",)) as raw:
        assert params_of(raw.initialize)["capabilities"]["elicitation"] == {"form": {}}
        params = {"mode": "url", "message": "Key?", "url": "https://example.com", "elicitationId": "e"}
        reply = await raw.peer.request(1, "elicitation/create", params)
        assert isinstance(reply, ErrorResponse)
        assert reply.code == INVALID_PARAMS


async def test_client_never_declares_elicitation_it_cannot_serve() -> None:
    """client/elicitation.mdx, 2025-11-25: "Clients declaring the elicitation capability MUST support
    at least one mode (form or url)", and "an empty capabilities object is equivalent to declaring
    support for form mode only". So a client either refuses to be built with no mode at all, or
    serves every mode its declaration implies."""

    async def elicitor(params: dict[str, Any]) -> dict[str, Any]:
        return {"action": "decline"}

    try:
        Client(Server("s"), elicitation=elicitor, elicitation_modes=())
    except ValueError:
        return
    async with raw_server(REV_2025_11, elicitation=elicitor, elicitation_modes=()) as raw:
        declared = params_of(raw.initialize)["capabilities"].get("elicitation")
        if declared is None:
            return
        modes = set(declared) or {"form"}
        assert modes, declared
        schema = {"type": "object", "properties": {"name": {"type": "string"}}}
        if "form" in modes:
            reply = await raw.peer.request(
                1, "elicitation/create", {"message": "?", "requestedSchema": schema}
            )
            assert isinstance(reply, Response), reply


async def test_client_ignores_completion_of_an_unknown_elicitation() -> None:
    """client/elicitation.mdx, 2025-11-25: clients "MUST ignore notifications referencing unknown or
    already-completed IDs" (notifications/elicitation/complete)."""

    async def elicitor(params: dict[str, Any]) -> dict[str, Any]:
        return {"action": "accept"}

    async with raw_server(REV_2025_11, elicitation=elicitor, elicitation_modes=("form", "url")) as raw:
        await raw.peer.notify("notifications/elicitation/complete", {"elicitationId": "never-seen"})
        await raw.peer.notify("notifications/elicitation/complete", {})
        await raw.peer.expect_nothing()
        assert await raw.peer.request(1, "ping") == Response(1, {})


# ============================================================================================
# Client against Server, every message checked against the revision's schema
# ============================================================================================


@needs_spec
async def test_full_session_fits_the_schema(rev: str) -> None:
    """Every page above, all revisions: a session that uses each feature our server offers sends
    and receives only messages that the revision's schema accepts (strictly: no field the
    revision lacks), and the requirements hold end to end."""
    progress: list[tuple[float, float | None, str | None]] = []
    logs: list[dict[str, Any]] = []
    async with connect(spec_server(page_size=2), rev, on_log=logs.append) as (client, capture):
        assert client.protocol_version == rev
        await client.ping()
        tools = await client.list_tools()
        assert len(tools) == len({t["name"] for t in tools})
        await client.call_tool("steps", {"count": 2}, progress=lambda p, t, m: progress.append((p, t, m)))
        await client.call_tool("weather", {"city": "Oslo"})
        await client.set_logging_level("critical")
        await client.call_tool("noisy")
        assert len(await client.list_resources()) == 2
        assert len(await client.list_resource_templates()) == 1
        await client.read_resource("file:///logo.png")
        await client.subscribe("file:///readme.txt")
        await client.unsubscribe("file:///readme.txt")
        assert {p["name"] for p in await client.list_prompts()} == {"greet", "picture"}
        await client.get_prompt("greet", {"name": "Ada"})
        got = await client.complete({"type": "ref/prompt", "name": "greet"}, "style", "x")
        assert len(got["values"]) == 100
    assert [p for p, _, _ in progress] == [1, 2]
    assert [entry["level"] for entry in logs] == ["critical", "alert", "emergency"]
    sent = capture.sent("tools/call")[0]
    token = sent["params"]["_meta"]["progressToken"]
    assert {n["params"]["progressToken"] for n in capture.received("notifications/progress")} == {token}
    lists = [m for d, m in capture.messages if d == "in" and "result" in m and "tools" in m["result"]]
    assert "nextCursor" not in lists[-1]["result"]
    assert all("nextCursor" in m["result"] for m in lists[:-1])


@needs_spec
async def test_server_requests_fit_the_schema(rev: str) -> None:
    """client/sampling.mdx, client/roots.mdx, client/elicitation.mdx, all revisions where each
    exists: the requests our server sends and our client's answers fit the revision's schema."""
    server = Server("asker")

    @server.tool()
    async def ask_all(ctx: Context) -> str:
        sampled = await ctx.sample("2+2?", max_tokens=5)
        roots = await ctx.list_roots()
        text = f"{sampled['content']['text']} {roots[0]['uri']}"
        if ctx.revision.has("elicitation"):
            answer = await ctx.elicit("Name?", Contact)
            text += f" {answer.action}"
        return text

    async def sampler(params: dict[str, Any]) -> dict[str, Any]:
        return {
            "role": "assistant",
            "content": {"type": "text", "text": "4"},
            "model": "m",
            "stopReason": "endTurn",
        }

    async def elicitor(params: dict[str, Any]) -> dict[str, Any]:
        return {"action": "decline"}

    options: dict[str, Any] = {"sampling": sampler, "elicitation": elicitor, "roots": ["file:///w"]}
    async with connect(server, rev, **options) as (client, capture):
        result = await client.call_tool("ask_all")
    expected = "4 file:///w" + (" decline" if rev >= REV_2025_06 else "")
    assert result["content"] == [{"type": "text", "text": expected}]
    assert len(capture.received("sampling/createMessage")) == 1
    assert len(capture.received("roots/list")) == 1
    assert len(capture.received("elicitation/create")) == (1 if rev >= REV_2025_06 else 0)
