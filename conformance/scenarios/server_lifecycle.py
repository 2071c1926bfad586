"""Server scenarios: the handshake, version negotiation and ping.

Every check cites the lifecycle page of the revision under test. Rules the spec states as
obligations of the *client* (no requests before ``initialized``, say) are checked on the server
only at SHOULD level: a server that answers such a request anyway breaks nothing the spec
requires of it.
"""

from __future__ import annotations

from conformance._model import server_scenario
from conformance._runner import ServerTest
from mcpcore.revisions import REVISIONS

LIFECYCLE = "basic/lifecycle"


@server_scenario("lifecycle-initialize", "initialize echoes the revision and describes the server")
async def initialize(t: ServerTest) -> None:
    session = await t.session(initialize=False)
    with t.check("initialize-result", f"{LIFECYCLE}#initialization") as c:
        reply = await session.initialize(t.revision)
        c.expect(reply.result is not None, "initialize did not succeed", reply.message)
    result = reply.result or {}
    with t.check("version-echo", f"{LIFECYCLE}#version-negotiation") as c:
        c.equal(
            result.get("protocolVersion"), t.revision, "the server must answer with the requested revision"
        )
    with t.check("capabilities-object", f"{LIFECYCLE}#capability-negotiation") as c:
        c.expect(isinstance(result.get("capabilities"), dict), "capabilities must be an object", result)
    with t.check("server-info", f"{LIFECYCLE}#initialization") as c:
        info = result.get("serverInfo")
        c.expect(isinstance(info, dict), "serverInfo must be an object", result)
        assert isinstance(info, dict)
        c.expect(isinstance(info.get("name"), str), "serverInfo.name must be a string", info)
        c.expect(isinstance(info.get("version"), str), "serverInfo.version must be a string", info)
    if "instructions" in result:
        with t.check("instructions", f"{LIFECYCLE}#initialization") as c:
            c.expect(isinstance(result["instructions"], str), "instructions must be a string", result)
    with t.check("ping-after-initialized", "basic/utilities/ping") as c:
        reply = await session.request("ping")
        c.expect(reply.result == {}, "ping must be answered with an empty result", reply.message)


@server_scenario(
    "lifecycle-version-negotiation", "an unknown requested revision gets a revision the server supports"
)
async def version_negotiation(t: ServerTest) -> None:
    session = await t.session(initialize=False)
    with t.check("unsupported-version", f"{LIFECYCLE}#version-negotiation") as c:
        reply = await session.initialize("1999-01-01", initialized=False)
        if reply.error is not None:
            c.fail(
                "the server must answer an unknown revision with one it supports, not an error", reply.message
            )
        version = (reply.result or {}).get("protocolVersion")
        c.expect(
            isinstance(version, str) and version in REVISIONS,
            f"the counter-offer must be a revision the server supports, not {version!r}",
            reply.message,
        )


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
