"""Client scenarios of era detection: a client that speaks both eras finds out which one a server speaks.

Here the suite does not name the revision to the client (no ``MCP_CONFORMANCE_PROTOCOL_VERSION``):
finding it out is what is tested. The revision of the run is the modern revision the client is
expected to try first.

=================  ===========================================================================
scenario           the test server, and what the client is asked to do
=================  ===========================================================================
era-modern         speaks 2025-11-25 and the run's modern revision; the client calls
                   ``add_numbers`` (the context's tool and arguments)
era-fallback       speaks 2025-11-25 only, and refuses anything before ``initialize`` with
                   its own error (-32600, neither of the codes a client might wrongly wait
                   for); the client calls ``add_numbers``
=================  ===========================================================================

What is checked, following ``basic/transports/stdio#backward-compatibility``,
``basic/transports/streamable-http#backward-compatibility`` and ``basic/versioning``:

* over stdio the first request is a ``server/discover`` probe naming a modern version in its
  ``_meta`` (SHOULD); over HTTP trying a modern request first is only allowed (MAY), so it is
  not checked there;
* after a ``DiscoverResult`` the client goes on in the modern era at a version the server
  listed, with no ``initialize`` (as the revision prescribes);
* after a probe refused with an error that is not a modern one, the client falls back to
  ``initialize`` (MUST NOT be keyed to one error code) and goes on in the handshake era;
* either way the tool gets called and answered.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from conformance._client_runner import ClientTest
from conformance._model import client_scenario
from conformance.scenarios.client_modern import VERSION_KEY, _enveloped, _meta_of
from mcpcore.dispatcher import RequestContext, Transport
from mcpcore.errors import INVALID_REQUEST, McpError
from mcpcore.revisions import REVISIONS
from mcpcore.server import Server, ServerSession

MODERN = ("2026-07-28",)
LEGACY = "2025-11-25"
STDIO_COMPAT = "basic/transports/stdio#backward-compatibility"
HTTP_COMPAT = "basic/transports/streamable-http#backward-compatibility"
VERSIONING = "basic/versioning#backward-compatibility-with-initialization-based-versions"
CONTEXT = {"tool": "add_numbers", "arguments": {"a": 2, "b": 3}}


class _HandshakeOnly(Server):
    """A server of the handshake era that refuses ``server/discover`` before ``initialize`` as
    it refuses any known method then (-32600), rather than as an unknown one (-32601): a client
    keyed to "method not found" would never fall back from it."""

    @contextlib.asynccontextmanager
    async def session(self, transport: Transport) -> AsyncIterator[ServerSession]:
        async with super().session(transport) as session:
            session.dispatcher.on_request("server/discover", _not_served)
            yield session


async def _not_served(ctx: RequestContext) -> None:
    raise McpError(INVALID_REQUEST, "server/discover is not served by this handshake-only server")


def _server(versions: list[str]) -> Server:
    kind = _HandshakeOnly if all(REVISIONS[v].era != "modern" for v in versions) else Server
    server = kind("mcpcore-conformance-test-server", "1.0.0", versions=versions)

    @server.tool()
    def add_numbers(a: float, b: float) -> str:
        """Add two numbers together."""
        return f"The sum of {a:g} and {b:g} is {a + b:g}"

    return server


def _compat(t: ClientTest) -> str:
    return STDIO_COMPAT if t.transport == "stdio" else HTTP_COMPAT


def _probe_checks(t: ClientTest, requests: list[dict[str, Any]]) -> None:
    """Over stdio, the first request should be the probe, in a modern version."""
    if t.transport != "stdio":
        return
    with t.should("probe-first", STDIO_COMPAT) as c:
        first = requests[0] if requests else None
        c.expect(first is not None, "the client sent no request")
        c.expect(
            first is not None and first.get("method") == "server/discover" and _enveloped(first),
            "a client of both eras should first probe with server/discover, naming a modern version "
            f"in _meta; its first request was {first and first.get('method')!r}",
            first,
        )


def _called(t: ClientTest) -> None:
    calls = {
        repr(r.get("id"))
        for r in t.capture.client_requests("tools/call")
        if (r.get("params") or {}).get("name") == "add_numbers"
    }
    answered = [
        m
        for m in t.capture.server_messages
        if isinstance(m, dict) and repr(m.get("id")) in calls and isinstance(m.get("result"), dict)
    ]
    with t.check("tool-called", "server/tools#calling-tools") as c:
        c.expect(calls, "the client did not call add_numbers")
        c.expect(
            any("content" in m["result"] for m in answered),
            "no call of add_numbers was answered with a result: the client never got going in "
            "the server's era (see the trace)",
        )


def _result_of(t: ClientTest, request: dict[str, Any]) -> dict[str, Any] | None:
    for message in t.capture.server_messages:
        if (
            isinstance(message, dict)
            and "method" not in message
            and repr(message.get("id")) == repr(request.get("id"))
        ):
            return message
    return None


# -- era-modern ----------------------------------------------------------------------------------


@client_scenario(
    "era-modern",
    "detect a server of both eras as modern, and stay in the modern era",
    build=lambda revision: _server([LEGACY, revision]),
    context=CONTEXT,
    revisions=MODERN,
    names_revision=False,
)
async def era_modern(t: ClientTest) -> None:
    requests = t.capture.client_requests()
    _probe_checks(t, requests)
    with t.should("stays-modern", VERSIONING) as c:
        first = requests[0] if requests else None
        answer = _result_of(t, first) if first is not None and _enveloped(first) else None
        listed = (answer or {}).get("result", {}).get("supportedVersions") if answer else None
        if not isinstance(listed, list):
            c.expect(
                not requests or requests[0].get("method") == "initialize",
                "the client's first request was modern but found no DiscoverResult to go on with",
            )
        else:
            later = requests[1:]
            c.expect(
                not any(r.get("method") == "initialize" for r in later),
                "the server answered the probe with a DiscoverResult: the client must go on in "
                "the modern era, not fall back to initialize",
            )
            wrong = [r for r in later if not _enveloped(r) or _meta_of(r).get(VERSION_KEY) not in listed]
            c.expect(
                not wrong,
                f"every later request carries the envelope at a version the server listed ({listed})",
                wrong[:1],
            )
    _called(t)


# -- era-fallback --------------------------------------------------------------------------------


@client_scenario(
    "era-fallback",
    "detect a handshake-only server from its answer to a modern request, and fall back",
    build=lambda revision: _server([LEGACY]),
    context=CONTEXT,
    revisions=MODERN,
    names_revision=False,
)
async def era_fallback(t: ClientTest) -> None:
    requests = t.capture.client_requests()
    _probe_checks(t, requests)
    with t.check("fell-back", _compat(t)) as c:
        c.expect(requests, "the client sent no request")
        initialize = next((i for i, r in enumerate(requests) if r.get("method") == "initialize"), None)
        c.expect(
            initialize is not None,
            "the server refused the modern request with an error that is not a modern one: the "
            "client must fall back to initialize",
        )
    with t.should("legacy-after-fallback", VERSIONING) as c:
        index = next((i for i, r in enumerate(requests) if r.get("method") == "initialize"), len(requests))
        modern_after = [r for r in requests[index + 1 :] if VERSION_KEY in _meta_of(r)]
        c.expect(
            not modern_after,
            "after falling back the client goes on in the handshake era: its requests carry no "
            "modern protocol version",
            modern_after[:1],
        )
    _called(t)
