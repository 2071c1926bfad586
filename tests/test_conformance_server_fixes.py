"""Server changes made while bringing the conformance reference server through the official suite.

``Server.add_tool(input_schema=...)``: a tool's ``inputSchema`` is a JSON Schema (2020-12 unless
it says otherwise, from 2025-11-25 on), and the official suite's ``json-schema-2020-12``
scenario asks a server to advertise one with ``$schema``, ``$defs`` holding an ``$anchor``,
``allOf``/``anyOf``, ``if``/``then``/``else`` and ``additionalProperties: false`` intact. A
schema derived from a function's parameters cannot say most of that, so a tool may now give
its own: it is advertised as given, and arguments must satisfy it before the function's
parameters take them.
"""

from __future__ import annotations

import copy
from typing import Any

import anyio
import pytest

from mcpcore.client import Client
from mcpcore.content import text_of
from mcpcore.dispatcher import Dispatcher
from mcpcore.errors import INVALID_PARAMS, McpError
from mcpcore.revisions import HANDSHAKE_VERSIONS
from mcpcore.server import Server
from transports.memory import create_pair

pytestmark = pytest.mark.anyio

CONTACT: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "$defs": {"who": {"$anchor": "who", "type": "string", "minLength": 1}},
    "properties": {
        "name": {"$ref": "#who"},
        "via": {"enum": ["phone", "email"]},
        "phone": {"type": "string"},
        "email": {"type": "string"},
    },
    "required": ["name"],
    "if": {"properties": {"via": {"const": "phone"}}, "required": ["via"]},
    "then": {"required": ["phone"]},
    "else": {"required": ["email"]},
}


def contact_server(schema: dict[str, Any]) -> tuple[Server, list[dict[str, Any]]]:
    server = Server("fixes")
    calls: list[dict[str, Any]] = []

    @server.tool(input_schema=schema)
    def contact(name: str, via: str = "email", phone: str | None = None, email: str | None = None) -> str:
        """Record how to reach someone."""
        calls.append({"name": name, "via": via, "phone": phone, "email": email})
        return f"{name} via {via}"

    return server, calls


@pytest.mark.parametrize("rev", HANDSHAKE_VERSIONS)
async def test_a_given_input_schema_is_advertised_as_given(rev: str) -> None:
    schema = copy.deepcopy(CONTACT)
    server, _ = contact_server(schema)
    schema["properties"]["extra"] = {"type": "number"}  # a later change to the caller's dict...
    async with Client(server, versions=[rev]) as client:
        (tool,) = await client.list_tools()
    assert tool["inputSchema"] == CONTACT  # ...is not the server's: it took a copy


@pytest.mark.parametrize("rev", HANDSHAKE_VERSIONS)
async def test_arguments_must_satisfy_the_given_schema(rev: str) -> None:
    server, calls = contact_server(CONTACT)
    async with Client(server, versions=[rev]) as client:
        ok = await client.call_tool("contact", {"name": "Ada", "via": "phone", "phone": "123"})
        assert text_of(ok) == "Ada via phone"
        # The if/then the signature knows nothing of: phone contact without a phone number.
        bad = {"name": "Ada", "via": "phone", "email": "ada@example.com"}
        if rev >= "2025-11-25":  # bad arguments became an isError result in 2025-11-25 (SEP-1303)
            result = await client.call_tool("contact", bad)
            assert result.get("isError") is True
            assert "Invalid arguments for tool contact" in text_of(result)
        else:
            with pytest.raises(McpError) as info:
                await client.call_tool("contact", bad)
            assert info.value.code == INVALID_PARAMS
            assert "Invalid arguments for tool contact" in info.value.message
    assert calls == [{"name": "Ada", "via": "phone", "phone": "123", "email": None}]


async def test_the_parameters_take_only_what_they_name() -> None:
    open_schema = {**CONTACT, "else": {}}  # extra properties allowed, email no longer required
    server, calls = contact_server(open_schema)
    async with Client(server) as client:
        result = await client.call_tool("contact", {"name": "Grace", "nickname": "amazing"})
    assert text_of(result) == "Grace via email"
    assert calls == [{"name": "Grace", "via": "email", "phone": None, "email": None}]


@pytest.mark.parametrize(
    ("schema", "reason"),
    [
        ({"type": "array"}, '"type": "object"'),
        ({"properties": {}}, '"type": "object"'),
        ({"type": "object", "properties": {"a": {"$ref": "#/$defs/missing"}}}, "not a usable JSON Schema"),
        ({"type": "object", "$schema": "https://example.com/unknown-dialect"}, "not a usable JSON Schema"),
        ({"type": "object", "default": object()}, "not JSON"),
    ],
)
def test_a_schema_that_cannot_be_an_input_schema_is_refused(schema: dict[str, Any], reason: str) -> None:
    server = Server("fixes")
    with pytest.raises(ValueError, match="tool 'broken'") as info:
        server.add_tool(lambda: "never", name="broken", input_schema=schema)
    assert reason in str(info.value)
    assert not server._tools  # nothing half-registered


# -- ping with params that are not an object ---------------------------------------------------
#
# Every revision's JSON-RPC request has ``params?: {...}``, an object (basic/messages in
# 2024-11-05, basic#requests later): MCP allows only by-name params. ping was answered whatever
# its params were; our own suite's jsonrpc-invalid-request scenario flagged ``[1, 2]`` getting {}.


@pytest.mark.parametrize("rev", HANDSHAKE_VERSIONS)
async def test_ping_refuses_params_that_are_not_an_object(rev: str) -> None:
    server = Server("fixes")
    client_end, server_end = create_pair(codec=True)
    async with anyio.create_task_group() as group:
        group.start_soon(server.serve, server_end)
        async with Dispatcher(client_end) as peer:
            # Before the handshake, ping is answered too, and checked the same.
            with pytest.raises(McpError) as early:
                await peer.request("ping", [1, 2])
            hello = {"protocolVersion": rev, "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}
            assert (await peer.request("initialize", hello))["protocolVersion"] == rev
            await peer.notify("notifications/initialized")
            with pytest.raises(McpError) as late:
                await peer.request("ping", [1, 2])
            assert await peer.request("ping") == {}
            assert await peer.request("ping", {}) == {}
        group.cancel_scope.cancel()
    assert early.value.code == late.value.code == INVALID_PARAMS
    assert "params must be an object" in late.value.message
