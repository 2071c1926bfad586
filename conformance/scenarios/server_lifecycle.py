"""Server scenarios: the handshake, version negotiation, the phases around it, and ping.

Every check cites the lifecycle page of the revision under test (or the page of the feature it
touches). Rules the spec states as obligations of the *client* are checked on the server only
at SHOULD level: no requests other than ping before ``initialize`` has been answered, only the
capabilities the server declared (a SHOULD for both sides in 2024-11-05 and 2025-03-26, a MUST
from 2025-06-18, but on the client's conduct either way). A server that answers such a request
anyway breaks nothing the spec requires of it; one that refuses it does what the rule is for.

What the server must do whatever the client sends comes from JSON-RPC, which every MCP message
follows: a request is answered. So a second ``initialize``, or a request sent between the
``initialize`` response and ``notifications/initialized``, must get *a* response; which one
(result or error) the spec leaves open.
"""

from __future__ import annotations

from typing import Any

from conformance._model import HANDSHAKE, JSONRPC_SPEC, server_scenario
from conformance._peer import PeerError, Reply, Session
from conformance._runner import ServerTest
from conformance.scenarios.server_jsonrpc import GRACE, is_response, messages_section, same_id

LIFECYCLE = "basic/lifecycle"
RESPONSE_OBJECT = f"{JSONRPC_SPEC}#response_object"
UNKNOWN_REVISION = "1999-01-01"

# A request of each server feature, with the capability that announces it; completion has a
# capability only from 2025-03-26 (before, it came with prompts and resources).
_GATED: list[tuple[str, str, str, dict[str, Any] | None]] = [
    ("undeclared-tools", "tools", "tools/list", None),
    ("undeclared-prompts", "prompts", "prompts/list", None),
    ("undeclared-resources", "resources", "resources/list", None),
    ("undeclared-logging", "logging", "logging/setLevel", {"level": "info"}),
    (
        "undeclared-completions",
        "completions",
        "completion/complete",
        {"ref": {"type": "ref/prompt", "name": "mcp-conformance"}, "argument": {"name": "a", "value": ""}},
    ),
]


def _listing(capabilities: dict[str, Any]) -> str | None:
    """A list request the server declared, to have something besides ping to ask."""
    for capability, method in (
        ("tools", "tools/list"),
        ("prompts", "prompts/list"),
        ("resources", "resources/list"),
    ):
        if capability in capabilities:
            return method
    return None


@server_scenario("lifecycle-initialize", "initialize echoes the revision and describes the server")
async def initialize(t: ServerTest) -> None:
    session = await t.session(initialize=False)
    reply: Reply | None = None
    with t.check("initialize-result", f"{LIFECYCLE}#initialization") as c:
        reply = await session.initialize(t.revision)
        c.expect(reply.result is not None, "initialize did not succeed", reply.message)
    result = (reply.result if reply is not None else None) or {}
    with t.check("version-echo", f"{LIFECYCLE}#version-negotiation") as c:
        c.equal(
            result.get("protocolVersion"), t.revision, "the server must answer with the requested revision"
        )
    with t.check("capabilities-object", f"{LIFECYCLE}#capability-negotiation") as c:
        c.expect(isinstance(result.get("capabilities"), dict), "capabilities must be an object", result)
    with t.check("server-info", f"{LIFECYCLE}#initialization") as c:
        info = result.get("serverInfo")
        c.expect(isinstance(info, dict), "serverInfo must be an object", result)
        details = info if isinstance(info, dict) else {}
        c.expect(isinstance(details.get("name"), str), "serverInfo.name must be a string", info)
        c.expect(isinstance(details.get("version"), str), "serverInfo.version must be a string", info)
    if "instructions" in result:
        with t.check("instructions", f"{LIFECYCLE}#initialization") as c:
            c.expect(isinstance(result["instructions"], str), "instructions must be a string", result)
    else:
        t.skip(
            "instructions",
            f"{LIFECYCLE}#initialization",
            "the server gives no instructions (they are optional)",
        )
    with t.check("ping-after-initialized", "basic/utilities/ping#behavior-requirements") as c:
        pong = await session.request("ping")
        c.expect(pong.result == {}, "ping must be answered with an empty result", pong.message)
    with t.check("initialized-not-answered", messages_section(t.revision, "notifications")) as c:
        # notifications/initialized went out between the two requests: nothing may answer it.
        await session.collect(GRACE)
        stray = [m for m in session.received if is_response(m) and not _answers_our_request(session, m)]
        c.expect(not stray, "the initialized notification was answered", stray[:2])


def _answers_our_request(session: Session, message: dict[str, Any]) -> bool:
    key = message.get("id")
    return any(
        traffic.sent
        and isinstance(traffic.message, dict)
        and "method" in traffic.message
        and "id" in traffic.message
        and same_id(traffic.message["id"], key)
        for traffic in session.capture
    )


@server_scenario(
    "lifecycle-version-negotiation", "an unknown requested revision gets a revision the server supports"
)
async def version_negotiation(t: ServerTest) -> None:
    session = await t.session(initialize=False)
    section = f"{LIFECYCLE}#version-negotiation"
    reply: Reply | None = None
    with t.check("unsupported-version", section) as c:
        # Answered either way (see counter-offer-not-error); a counter-offer must be another
        # revision than the one asked for, which does not exist.
        reply = await session.initialize(UNKNOWN_REVISION, initialized=False)
        if reply.result is not None:
            version = reply.result.get("protocolVersion")
            c.expect(
                isinstance(version, str),
                f"the counter-offer must be a revision string, not {version!r}",
                reply.message,
            )
            c.expect(
                version != UNKNOWN_REVISION,
                "the server claims to support a revision that does not exist",
                reply.message,
            )
    if reply is None:
        t.skip("counter-offer-not-error", section, "initialize with an unknown revision got no answer")
        t.skip("counter-offer-supported", section, "no counter-offer was made")
        return
    with t.should("counter-offer-not-error", section) as c:
        # The rule says the server answers with a revision it supports, yet the same page shows
        # an error (-32602, "Unsupported protocol version") as its example: a warning only.
        c.expect(
            reply.result is not None,
            "an unknown revision was refused instead of met with a counter-offer",
            reply.message,
        )
    version = (reply.result or {}).get("protocolVersion")
    if version not in HANDSHAKE:
        # Nothing can validate messages of a revision the suite does not know: the schema
        # check leaves this session out (the counter-offer itself was judged above).
        session.revision = None
    if not isinstance(version, str) or version == UNKNOWN_REVISION:
        t.skip("counter-offer-supported", section, "no usable counter-offer was made")
        return
    with t.check("counter-offer-supported", section) as c:
        # The counter-offer must be a revision the server supports: asking for it gets it.
        try:
            again = await t.session(protocol_version=version)
        except PeerError as exc:
            c.fail(f"the server offered {version} but does not accept it: {exc}")
        else:
            if version not in HANDSHAKE:
                again.revision = None  # no schema of that revision to check against


@server_scenario("ping", "ping gets an empty result, before and after the handshake")
async def ping(t: ServerTest) -> None:
    if t.transport == "stdio":
        session = await t.session(initialize=False)
        with t.should("ping-before-initialize", f"{LIFECYCLE}#initialization") as c:
            reply = await session.request("ping")
            c.expect(
                reply.result == {}, "ping is allowed before initialize and should be answered", reply.message
            )
    else:
        # Over HTTP there is no conversation before initialize: a request without a session
        # id may be refused with 400 (basic/transports#session-management).
        t.skip(
            "ping-before-initialize",
            f"{LIFECYCLE}#initialization",
            "no session exists before initialize over HTTP",
        )
    session = await t.session()
    with t.check("ping", "basic/utilities/ping#behavior-requirements") as c:
        reply = await session.request("ping")
        c.expect(
            reply.result == {}, "the receiver must answer ping promptly with an empty result", reply.message
        )
        c.expect("error" not in reply.message, "ping must not fail", reply.message)


@server_scenario("lifecycle-before-initialized", "requests other than ping before the handshake are refused")
async def before_initialized(t: ServerTest) -> None:
    session = await t.session(initialize=False)
    with t.should("request-before-initialize", f"{LIFECYCLE}#initialization") as c:
        reply = await session.request("tools/list")
        c.expect(reply.refused, "a request before initialize should be refused", reply.message)

    # Between the initialize response and notifications/initialized. The client is only told
    # to send nothing but pings *before the response*, so the server may serve this request,
    # refuse it, or hold it until initialized: it must answer it in the end.
    session = await t.session(initialized=False)
    method = _listing(session.server_capabilities)
    if method is None:
        reason = "the server declares none of tools, prompts and resources"
        t.skip("answered-before-initialized", RESPONSE_OBJECT, reason)
        t.skip("request-after-initialized", f"{LIFECYCLE}#operation", reason)
        return
    with t.check("answered-before-initialized", RESPONSE_OBJECT) as c:
        mark = len(session.received)
        request_id = "before-initialized"
        info = await session.send({"jsonrpc": "2.0", "id": request_id, "method": method})
        await session.notify("notifications/initialized")
        if info is None or info.status < 400:
            await session.wait_for(
                lambda m: is_response(m) and m.get("id") == request_id,
                after=mark,
                what=f"response to {method} sent before notifications/initialized",
            )
    with t.check("request-after-initialized", f"{LIFECYCLE}#operation") as c:
        reply = await session.request(method)
        c.expect(reply.result is not None, f"{method} fails once the session is initialized", reply.message)


@server_scenario(
    "lifecycle-second-initialize", "a second initialize in a session is answered, and the session lives"
)
async def second_initialize(t: ServerTest) -> None:
    session = await t.session()
    params = {
        "protocolVersion": t.revision,
        "capabilities": {},
        "clientInfo": {"name": "mcpcore-conformance-again", "version": "1.0.0"},
    }
    # The spec does not say what a second initialize gets (a repeat of the handshake, or an
    # error): JSON-RPC only requires an answer.
    reply: Reply | None = None
    request_id = "second-initialize"
    with t.check("second-initialize-answered", RESPONSE_OBJECT) as c:
        reply = await session.request("initialize", params, id=request_id)
        c.expect(reply.message or reply.refused, "the second initialize got no answer", reply.http)
    if reply is not None and reply.message:
        with t.check("second-initialize-id", messages_section(t.revision, "responses")) as c:
            # The request is well formed, so even a refusal must name it.
            c.expect(
                same_id(reply.message.get("id"), request_id),
                f"the answer to the second initialize must carry its id {request_id!r}",
                reply.message,
            )
    else:
        t.skip(
            "second-initialize-id", messages_section(t.revision, "responses"), "no JSON-RPC answer to judge"
        )
    with t.should("usable-after-second-initialize", f"{LIFECYCLE}#operation") as c:
        pong = await session.request("ping")
        c.expect(
            pong.result == {}, "after a second initialize the session no longer answers ping", pong.message
        )


@server_scenario("lifecycle-capability-gating", "requests of undeclared capabilities are refused")
async def capability_gating(t: ServerTest) -> None:
    session = await t.session()
    declared = session.server_capabilities
    section = f"{LIFECYCLE}#operation"
    for name, capability, method, params in _GATED:
        if capability == "completions" and t.revision == "2024-11-05":
            t.skip(name, section, "2024-11-05 has no completions capability")
            continue
        if capability in declared:
            t.skip(name, section, f"the server declares {capability}")
            continue
        with t.should(name, section) as c:
            reply: Reply = await session.request(method, params)
            c.expect(
                reply.refused,
                f"{method} succeeded although the server did not declare {capability!r}: "
                "it should refuse it (-32601 Method not found)",
                reply.message,
            )


@server_scenario("lifecycle-logging-set-level", "a server declaring logging accepts logging/setLevel")
async def logging_set_level(t: ServerTest) -> None:
    session = await t.session()
    if "logging" not in session.server_capabilities:
        reason = "the server does not declare logging"
        t.skip("set-level", "server/utilities/logging#setting-log-level", reason)
        t.skip("set-level-invalid", "server/utilities/logging#error-handling", reason)
        return
    with t.check("set-level", "server/utilities/logging#setting-log-level") as c:
        reply = await session.request("logging/setLevel", {"level": "warning"})
        c.expect(
            reply.result is not None,
            "logging/setLevel failed on a server that declares logging",
            reply.message,
        )
    with t.should("set-level-invalid", "server/utilities/logging#error-handling") as c:
        reply = await session.request("logging/setLevel", {"level": "loudest"})
        c.expect(reply.refused, "an unknown log level should be refused", reply.message)
        if reply.error is not None:
            c.equal(
                reply.error_code,
                -32602,
                "the error code of an unknown log level (Invalid params)",
                reply.message,
            )
