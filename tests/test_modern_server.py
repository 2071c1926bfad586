"""Our server in the stateless era (2026-07-28), driven raw: input keys and rounds, the sealed
``requestState``, the envelope, and the HTTP header rules. (The client's side is in
``tests/test_modern_client.py``; the schema in ``tests/test_modern_schema.py``.)
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

import anyio
import pydantic
import pytest

from mcpcore import modern
from mcpcore.dispatcher import Dispatcher
from mcpcore.errors import INVALID_PARAMS, METHOD_NOT_FOUND, McpError
from mcpcore.revisions import HANDSHAKE_VERSIONS
from mcpcore.server import Context, Server
from tests.http_util import http_app, raw_client
from transports.memory import create_pair

MODERN = "2026-07-28"


def envelope(**capabilities: Any) -> dict[str, Any]:
    return {
        modern.PROTOCOL_VERSION: MODERN,
        modern.CLIENT_CAPABILITIES: capabilities,
        modern.CLIENT_INFO: {"name": "raw", "version": "0"},
    }


def make_server(**options: Any) -> Server:
    server = Server("modern", "1.0.0", **options)

    @server.tool()
    async def named(ctx: Context) -> str:
        person = await ctx.elicit(
            "Name?", {"type": "object", "properties": {"name": {"type": "string"}}}, key="who"
        )
        return f"hi {person.content['name'] if person.content else None}"

    @server.tool()
    async def together(ctx: Context) -> str:
        person, roots = await ctx.ask_all(
            ctx.elicit("Name?", {"type": "object", "properties": {"name": {"type": "string"}}}, key="who"),
            ctx.list_roots(key="where"),
        )
        return f"{person.action} {len(roots)}"

    @server.tool()
    async def twice(ctx: Context) -> str:
        await ctx.list_roots(key="same")
        await ctx.list_roots(key="same")
        return "unreachable"

    @server.tool()
    def region(
        where: Annotated[str, pydantic.Field(json_schema_extra={"x-mcp-header": "Region"})],
        count: Annotated[int, pydantic.Field(json_schema_extra={"x-mcp-header": "Count"})] = 1,
    ) -> str:
        return f"{where} x{count}"

    return server


@asynccontextmanager
async def raw(server: Server) -> AsyncIterator[Dispatcher]:
    ours, theirs = create_pair()
    async with anyio.create_task_group() as group:
        group.start_soon(server.serve, theirs)
        async with Dispatcher(ours) as client:
            yield client
        group.cancel_scope.cancel()


ACCEPT = {"action": "accept", "content": {"name": "Ada"}}
ROOTS = {"roots": [{"uri": "file:///work"}]}


# -- input keys, rounds and answers ---------------------------------------------------------------


@pytest.mark.anyio
async def test_a_handler_names_its_input_requests() -> None:
    async with raw(make_server()) as client:
        first = await client.request("tools/call", {"_meta": envelope(elicitation={}), "name": "named"})
        assert first["resultType"] == "input_required"
        assert list(first["inputRequests"]) == ["who"]
        done = await client.request(
            "tools/call",
            {
                "_meta": envelope(elicitation={}),
                "name": "named",
                "inputResponses": {"who": ACCEPT},
                "requestState": first["requestState"],
            },
        )
    assert done["content"] == [{"type": "text", "text": "hi Ada"}]


@pytest.mark.anyio
async def test_ask_all_asks_everything_in_one_round() -> None:
    async with raw(make_server()) as client:
        params = {"_meta": envelope(elicitation={}, roots={}), "name": "together"}
        first = await client.request("tools/call", params)
        assert set(first["inputRequests"]) == {"who", "where"}
        assert first["inputRequests"]["where"] == {"method": "roots/list"}
        done = await client.request(
            "tools/call",
            {
                **params,
                "inputResponses": {"who": ACCEPT, "where": ROOTS},
                "requestState": first["requestState"],
            },
        )
    assert done["content"][0]["text"] == "accept 1"


@pytest.mark.anyio
async def test_ask_all_in_a_legacy_session_asks_one_after_the_other() -> None:
    from mcpcore.client import Client

    async def elicited(params: dict[str, Any]) -> dict[str, Any]:
        return ACCEPT

    async with Client(
        make_server(), versions=HANDSHAKE_VERSIONS, elicitation=elicited, roots=["file:///w"]
    ) as client:
        result = await client.call_tool("together", {})
    assert result["content"][0]["text"] == "accept 1"  # type: ignore[typeddict-item]


@pytest.mark.anyio
async def test_answers_sent_before_being_asked_are_taken() -> None:
    async with raw(make_server()) as client:
        done = await client.request(
            "tools/call",
            {
                "_meta": envelope(elicitation={}),
                "name": "named",
                "inputResponses": {"who": ACCEPT, "extra": 1},
            },
        )
    assert done["content"][0]["text"] == "hi Ada"


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("responses", "field"),
    [
        ({"who": 12345}, "inputResponses.who"),
        ({"who": {"action": "maybe"}}, "inputResponses.who"),
        (None, "inputResponses"),
    ],
)
async def test_malformed_answers_are_protocol_errors(responses: Any, field: str) -> None:
    async with raw(make_server()) as client:
        with pytest.raises(McpError) as caught:
            await client.request(
                "tools/call",
                {"_meta": envelope(elicitation={}), "name": "named", "inputResponses": responses},
            )
    assert (caught.value.code, caught.value.data) == (INVALID_PARAMS, {"field": field})


@pytest.mark.anyio
async def test_a_key_asked_twice_in_one_request_is_a_bug_reported_as_such() -> None:
    async with raw(make_server()) as client:
        first = await client.request("tools/call", {"_meta": envelope(roots={}), "name": "twice"})
        again = await client.request(
            "tools/call",
            {
                "_meta": envelope(roots={}),
                "name": "twice",
                "inputResponses": {"same": ROOTS},
                "requestState": first["requestState"],
            },
        )
    assert again["isError"] is True
    assert "used twice" in again["content"][0]["text"]


# -- the sealed requestState ----------------------------------------------------------------------


def test_a_sealed_state_opens_only_for_its_own_request_principal_and_time() -> None:
    sealer = modern.StateSealer(b"k" * 32, ttl=60)
    params = {"name": "named", "arguments": {"a": 1}, "_meta": {"x": 1}}
    state = sealer.seal("tools/call", params, {"who": ACCEPT}, ["where"], "alice", rounds=2)
    opened = sealer.open(
        state, "tools/call", {**params, "_meta": {"other": 2}, "inputResponses": {}}, "alice"
    )
    assert (opened.answers, opened.pending, opened.rounds) == ({"who": ACCEPT}, ("where",), 2)
    failures: dict[str, Callable[[], object]] = {
        "altered": lambda: sealer.open(state[:-2] + "AA", "tools/call", params, "alice"),
        "tampered suffix": lambda: sealer.open(state + "-TAMPERED", "tools/call", params, "alice"),
        "other method": lambda: sealer.open(state, "prompts/get", params, "alice"),
        "other arguments": lambda: sealer.open(
            state, "tools/call", {**params, "arguments": {"a": 2}}, "alice"
        ),
        "other principal": lambda: sealer.open(state, "tools/call", params, "mallory"),
        "other key": lambda: modern.StateSealer(b"x" * 32).open(state, "tools/call", params, "alice"),
        "not a string": lambda: sealer.open(42, "tools/call", params, "alice"),
    }
    refused = []
    for what, attempt in failures.items():
        try:
            attempt()
        except modern.RequestStateError as exc:
            refused.append((what, exc.code))
    assert refused == [(what, INVALID_PARAMS) for what in failures]


def test_an_expired_state_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    sealer = modern.StateSealer(b"k" * 32, ttl=1)
    state = sealer.seal("tools/call", {"name": "t"}, {}, ["a"])
    later = time.time() + 5
    monkeypatch.setattr(time, "time", lambda: later)  # the module reads the clock through time.time
    with pytest.raises(modern.RequestStateError, match="expired"):
        sealer.open(state, "tools/call", {"name": "t"})


def test_state_options_are_checked() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        modern.StateSealer(b"short")
    with pytest.raises(ValueError, match="ttl"):
        modern.StateSealer(ttl=0)


# -- the envelope and the eras --------------------------------------------------------------------


@pytest.mark.anyio
async def test_discover_and_the_version_error_list_the_same_versions() -> None:
    async with raw(make_server()) as client:
        found = await client.request("server/discover", {"_meta": envelope()})
        with pytest.raises(McpError) as caught:
            await client.request(
                "tools/list", {"_meta": {**envelope(), modern.PROTOCOL_VERSION: "2099-01-01"}}
            )
    assert found["supportedVersions"][0] == MODERN
    assert caught.value.data == {"supported": found["supportedVersions"], "requested": "2099-01-01"}


@pytest.mark.anyio
async def test_a_modern_only_server_refuses_initialize_naming_its_versions() -> None:
    async with raw(make_server(versions=[MODERN])) as client:
        with pytest.raises(McpError) as caught:
            await client.request(
                "initialize",
                {
                    "protocolVersion": "2025-11-25",
                    "capabilities": {},
                    "clientInfo": {"name": "c", "version": "1"},
                },
            )
    assert caught.value.code == INVALID_PARAMS
    assert caught.value.data["supported"] == [MODERN]


@pytest.mark.anyio
async def test_a_legacy_only_server_does_not_know_discover() -> None:
    async with raw(make_server(versions=HANDSHAKE_VERSIONS)) as client:
        with pytest.raises(McpError) as caught:
            await client.request("server/discover", {"_meta": envelope()})
    assert caught.value.code == METHOD_NOT_FOUND


# -- Streamable HTTP ------------------------------------------------------------------------------


def post(method: str, rid: int = 1, **params: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": rid, "method": method, "params": {"_meta": envelope(), **params}}


HEADERS = {"mcp-protocol-version": MODERN}


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({"mcp-param-region": "us", "mcp-param-count": "2"}, 200, None),
        ({"mcp-param-region": "us", "mcp-param-count": "002"}, 200, None),  # integers compare as numbers
        ({"mcp-param-region": "=?base64?dXM=?=", "mcp-param-count": "2"}, 200, None),
        ({"mcp-param-region": "eu", "mcp-param-count": "2"}, 400, -32020),
        ({"mcp-param-count": "2"}, 400, -32020),
        ({"mcp-param-region": "=?base64?!!!?=", "mcp-param-count": "2"}, 400, -32020),
        ({"mcp-param-region": "us"}, 400, -32020),  # count is in the body, so its header is required
    ],
)
async def test_tool_arguments_must_be_mirrored_in_their_headers(
    headers: dict[str, str], status: int, code: int | None
) -> None:
    async with http_app(make_server()) as (url, _), raw_client(url) as client:
        body = post("tools/call", name="region", arguments={"where": "us", "count": 2})
        answer = await client.post(
            body, headers={**HEADERS, "mcp-method": "tools/call", "mcp-name": "region", **headers}
        )
    assert answer.status == status, answer
    if code is not None:
        assert answer.json()["error"]["code"] == code
    else:
        assert answer.json()["result"]["content"][0]["text"] == "us x2"


@pytest.mark.anyio
async def test_a_name_a_header_cannot_carry_goes_base64() -> None:
    server = make_server()
    server.add_tool(lambda: "ok", name="café")
    async with http_app(server) as (url, _), raw_client(url) as client:
        encoded = modern.encode_header_value("café")
        good = await client.post(
            post("tools/call", name="café"),
            headers={**HEADERS, "mcp-method": "tools/call", "mcp-name": encoded},
        )
        bad = await client.post(
            post("tools/call", name="café"),
            headers={**HEADERS, "mcp-method": "tools/call", "mcp-name": "cafe"},
        )
    assert encoded.startswith("=?base64?")
    assert good.status == 200 and bad.status == 400


@pytest.mark.anyio
async def test_get_and_delete_are_not_allowed_in_2026_07_28() -> None:
    async with http_app(make_server()) as (url, _), raw_client(url) as client:
        get = await client.request("GET", headers=HEADERS, accept="text/event-stream")
        delete = await client.request("DELETE", headers=HEADERS)
    assert (get.status, get.headers.get("allow")) == (405, "POST")
    assert (delete.status, delete.headers.get("allow")) == (405, "POST")


@pytest.mark.anyio
async def test_an_unknown_method_is_404_and_an_envelope_error_400() -> None:
    async with http_app(make_server()) as (url, _), raw_client(url) as client:
        unknown = await client.post(post("nope/never"), headers={**HEADERS, "mcp-method": "nope/never"})
        body = post("tools/list")
        del body["params"]["_meta"][modern.CLIENT_CAPABILITIES]
        malformed = await client.post(body, headers={**HEADERS, "mcp-method": "tools/list"})
    assert (unknown.status, unknown.json()["error"]["code"]) == (404, METHOD_NOT_FOUND)
    assert (malformed.status, malformed.json()["error"]["code"]) == (400, INVALID_PARAMS)


def test_header_value_encoding_round_trips() -> None:
    for value in ("us-west1", "Hello, 世界", " padded ", "line1\nline2", "=?base64?literal?="):
        encoded = modern.encode_header_value(value)
        assert modern.decode_header_value(encoded) == value
        assert all(" " <= c <= "~" for c in encoded)
    assert modern.encode_header_value(True) == "true"
    assert modern.encode_header_value(-7) == "-7"
    assert modern.encode_header_value("us-west1") == "us-west1"
