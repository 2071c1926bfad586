"""Client scenarios: what a client under test must do, and the rules its messages must keep.

Each scenario names what the client is asked to do (the client reads the scenario's name from
``MCP_CONFORMANCE_SCENARIO`` and its details from ``MCP_CONFORMANCE_CONTEXT``), builds the test
server it runs against, and checks the capture afterwards:

==============  ===========================================================================
scenario        the client is asked to
==============  ===========================================================================
initialize      connect, list the tools, disconnect
tools_call      call ``add_numbers`` with two numbers (context: ``tool``, ``arguments``);
                the tool pings the client first
ping            connect and send ``ping``
list-all        list tools, resources, templates and prompts, following every cursor
sampling        call the tool in the context; it asks the client for a sampled message
elicitation     call the tool in the context; it asks the client to fill a form
roots           call the tool in the context; it asks the client for its roots
cancel          call the tool in the context and cancel it while it runs
sse-retry       (HTTP, 2025-11-25) call the tool in the context; its stream is cut after the
                priming event, and the client must resume it
==============  ===========================================================================

The server of each run speaks only the revision under test, so a client that asks for a newer
one is offered that one (basic/lifecycle#version-negotiation).
"""

from __future__ import annotations

from typing import Any

import anyio

from conformance._client_runner import ClientTest
from conformance._model import client_scenario
from mcpcore.server import Context, Server

LIFECYCLE = "basic/lifecycle"
HTTP = "basic/transports#streamable-http"


def _server(revision: str, **options: Any) -> Server:
    return Server("mcpcore-conformance-test-server", "1.0.0", versions=[revision], **options)


def _lifecycle_checks(t: ClientTest) -> None:
    """The handshake and the HTTP header rules, which every scenario's run must keep."""
    messages = t.capture.client_messages
    if not messages:
        with t.check("initialize-first", f"{LIFECYCLE}#initialization") as c:
            c.fail("the client sent nothing to the test server")
        return
    first = messages[0]
    with t.check("initialize-first", f"{LIFECYCLE}#initialization") as c:
        c.expect(
            isinstance(first, dict) and first.get("method") == "initialize" and "id" in first,
            "the first message must be an initialize request",
            first,
        )
    initialize = t.capture.client_requests("initialize")
    if initialize:
        params = initialize[0].get("params")
        with t.check("initialize-params", f"{LIFECYCLE}#initialization") as c:
            c.expect(isinstance(params, dict), "initialize needs params", initialize[0])
            assert isinstance(params, dict)
            c.expect(
                isinstance(params.get("protocolVersion"), str), "protocolVersion must be a string", params
            )
            c.expect(isinstance(params.get("capabilities"), dict), "capabilities must be an object", params)
            info = params.get("clientInfo")
            c.expect(
                isinstance(info, dict)
                and isinstance(info.get("name"), str)
                and isinstance(info.get("version"), str),
                "clientInfo needs a name and a version",
                params,
            )
    negotiated = t.capture.negotiated
    if negotiated is None:
        return
    after = _after_initialize(t)
    with t.check("initialized-notification", f"{LIFECYCLE}#initialization") as c:
        sent = [m for m in after if isinstance(m, dict) and m.get("method") == "notifications/initialized"]
        c.expect(sent, "after a successful initialize the client must send notifications/initialized")
    with t.should("requests-after-initialized", f"{LIFECYCLE}#initialization") as c:
        early = []
        for message in after:
            if isinstance(message, dict) and message.get("method") == "notifications/initialized":
                break
            if isinstance(message, dict) and "id" in message and message.get("method") not in (None, "ping"):
                early.append(message)
        c.expect(not early, "the client should send no request but ping before initialized", early[:1])
    if t.transport == "http":
        _http_checks(t, negotiated)


def _after_initialize(t: ClientTest) -> list[Any]:
    messages = t.capture.client_messages
    for index, message in enumerate(messages):
        if isinstance(message, dict) and message.get("method") == "initialize":
            return messages[index + 1 :]
    return []


def _http_checks(t: ClientTest, negotiated: str) -> None:
    requests = t.capture.http_requests
    posts = [r for r in requests if r.get("method") == "POST"]
    with t.check("accept-header", f"{HTTP}#sending-messages-to-the-server") as c:
        bad = [
            r
            for r in posts
            if not {"application/json", "text/event-stream"}
            <= {part.split(";")[0].strip().lower() for part in r["headers"].get("accept", "").split(",")}
        ]
        c.expect(not bad, "every POST must accept both application/json and text/event-stream", bad[:1])
    issued = None
    # The test server always issues a session id; every later request must carry it.
    with t.check("session-id", f"{HTTP}#session-management") as c:
        later = requests[1:]
        ids = {r["headers"].get("mcp-session-id") for r in later}
        issued = next(iter(ids - {None}), None)
        missing = [r for r in later if r["headers"].get("mcp-session-id") is None]
        c.expect(not missing, "every request after initialize must carry Mcp-Session-Id", missing[:1])
        c.expect(len(ids) <= 1, f"the client sent several session ids: {sorted(i for i in ids if i)}")
    if negotiated >= "2025-06-18":
        with t.check("protocol-version-header", f"{HTTP}#protocol-version-header", revision=negotiated) as c:
            wrong = [r for r in requests[1:] if r["headers"].get("mcp-protocol-version") != negotiated]
            c.expect(
                not wrong,
                f"every request after initialize must carry MCP-Protocol-Version: {negotiated}",
                wrong[:1],
            )
    with t.should("delete-session", f"{HTTP}#session-management") as c:
        c.expect(
            issued is None or any(r.get("method") == "DELETE" for r in requests),
            "a client done with a session should end it with DELETE",
        )


# -- initialize ------------------------------------------------------------------------------


def _build_initialize(revision: str) -> Server:
    server = _server(revision)

    @server.tool()
    def echo(text: str) -> str:
        """Echo the text back."""
        return text

    return server


@client_scenario("initialize", "connect, list tools, disconnect", build=_build_initialize)
async def initialize(t: ClientTest) -> None:
    _lifecycle_checks(t)
    with t.check("tools-listed", "server/tools#listing-tools") as c:
        c.expect(t.capture.client_requests("tools/list"), "the client was asked to list the tools")


# -- tools_call ------------------------------------------------------------------------------


def _build_tools_call(revision: str) -> Server:
    server = _server(revision)

    @server.tool()
    async def add_numbers(a: float, b: float, ctx: Context) -> str:
        """Add two numbers together."""
        await ctx.session.ping()  # the client must answer our ping as well
        return f"The sum of {a:g} and {b:g} is {a + b:g}"

    return server


@client_scenario(
    "tools_call",
    "call add_numbers, answering the server's ping on the way",
    build=_build_tools_call,
    context={"tool": "add_numbers", "arguments": {"a": 5, "b": 3}},
)
async def tools_call(t: ClientTest) -> None:
    _lifecycle_checks(t)
    calls = [
        r
        for r in t.capture.client_requests("tools/call")
        if (r.get("params") or {}).get("name") == "add_numbers"
    ]
    with t.check("tool-called", "server/tools#calling-tools") as c:
        c.expect(calls, "the client did not call add_numbers")
        arguments = (calls[0].get("params") or {}).get("arguments")
        c.expect(
            isinstance(arguments, dict)
            and all(
                isinstance(arguments.get(k), (int, float)) and not isinstance(arguments.get(k), bool)
                for k in "ab"
            ),
            "add_numbers needs the numbers a and b",
            calls[0],
        )
    answers = t.capture.responses_to("ping")
    if not calls:
        return
    with t.check("ping-answered", "basic/utilities/ping#behavior-requirements") as c:
        c.expect(answers, "the client must answer the server's ping")
        c.expect(answers[0].get("result") == {}, "a ping is answered with an empty result", answers[0])


# -- ping -------------------------------------------------------------------------------------


@client_scenario("ping", "send ping to the server", build=_build_initialize)
async def ping(t: ClientTest) -> None:
    _lifecycle_checks(t)
    with t.check("ping-sent", "basic/utilities/ping#message-format") as c:
        pings = t.capture.client_requests("ping")
        c.expect(pings, "the client was asked to send ping")
        params = pings[0].get("params")
        c.expect(params is None or isinstance(params, dict), "ping params, if any, are an object", pings[0])


# -- list-all ---------------------------------------------------------------------------------


def _build_list_all(revision: str) -> Server:
    server = _server(revision, page_size=2)
    for index in range(5):
        server.add_tool(
            lambda index=index: f"tool {index}", name=f"tool_{index}", description=f"Tool {index}."
        )
        server.add_resource(lambda index=index: f"item {index}", f"test://item/{index}", name=f"item-{index}")
        server.add_prompt(
            lambda index=index: f"prompt {index}", name=f"prompt_{index}", description=f"Prompt {index}."
        )
    for index in range(3):
        server.add_resource(
            lambda id, index=index: f"{index}/{id}", f"test://family/{index}/{{id}}", name=f"family-{index}"
        )
    return server


@client_scenario("list-all", "list everything, following each nextCursor", build=_build_list_all)
async def list_all(t: ClientTest) -> None:
    _lifecycle_checks(t)
    messages = t.capture.client_messages
    server = t.capture.server_messages
    for method, key in (
        ("tools/list", "tools"),
        ("resources/list", "resources"),
        ("resources/templates/list", "resourceTemplates"),
        ("prompts/list", "prompts"),
    ):
        requests = [m for m in messages if isinstance(m, dict) and m.get("method") == method and "id" in m]
        cursors_given = []
        for message in server:
            result = message.get("result") if isinstance(message, dict) else None
            if isinstance(result, dict) and key in result and isinstance(result.get("nextCursor"), str):
                cursors_given.append(result["nextCursor"])
        with t.check(f"{key}-pages", "server/utilities/pagination#pagination-model") as c:
            c.expect(requests, f"the client did not send {method}")
            used = [(r.get("params") or {}).get("cursor") for r in requests]
            unknown = [cursor for cursor in used if cursor is not None and cursor not in cursors_given]
            c.expect(
                not unknown,
                "a cursor must be one the server gave, unchanged (cursors are opaque)",
                unknown[:1],
            )
            missing = [cursor for cursor in cursors_given if cursor not in used]
            c.expect(not missing, f"the client stopped before the last page of {method}", missing[:1])


# -- sampling, elicitation, roots ------------------------------------------------------------


def _build_sampling(revision: str) -> Server:
    server = _server(revision)

    @server.tool()
    async def ask_sampling(ctx: Context) -> str:
        """Ask the client to sample a short answer."""
        result = await ctx.sample("Say hello to the conformance suite.", max_tokens=50)
        return f"the client answered: {result}"

    return server


@client_scenario(
    "sampling",
    "answer the server's sampling/createMessage",
    build=_build_sampling,
    context={"tool": "ask_sampling"},
)
async def sampling(t: ClientTest) -> None:
    _lifecycle_checks(t)
    _answered(t, "sampling/createMessage", "sampling", "client/sampling#creating-messages")


def _answered(t: ClientTest, method: str, capability: str, section: str) -> list[dict[str, Any]]:
    initialize = t.capture.client_requests("initialize")
    declared = (initialize[0].get("params") or {}).get("capabilities", {}) if initialize else {}
    if not isinstance(declared, dict) or capability not in declared:
        t.skip(f"{capability}-answered", section, f"the client does not declare the {capability} capability")
        return []
    answers = t.capture.responses_to(method)
    with t.check(f"{capability}-answered", section) as c:
        asked = [m for m in t.capture.server_messages if isinstance(m, dict) and m.get("method") == method]
        c.expect(asked, f"the client never called the tool that sends {method}")
        c.expect(answers, f"the client declared {capability} but did not answer {method}")
        c.expect(
            isinstance(answers[0].get("result"), dict),
            f"the client answered {method} with an error",
            answers[0],
        )
    return answers


def _build_elicitation(revision: str) -> Server:
    server = _server(revision)

    @server.tool()
    async def ask_elicitation(ctx: Context) -> str:
        """Ask the client to fill a small form."""
        schema = {
            "type": "object",
            "properties": {
                "name": {"type": "string", "description": "Your name", "default": "Ada"},
                "age": {"type": "integer", "minimum": 0, "maximum": 150, "default": 36},
                "subscribe": {"type": "boolean", "default": True},
                "color": {"type": "string", "enum": ["red", "green", "blue"], "default": "green"},
            },
            "required": ["name"],
        }
        answer = await ctx.elicit("Tell the conformance suite about yourself.", schema)
        return f"the client answered: {answer}"

    return server


@client_scenario(
    "elicitation",
    "answer the server's elicitation/create with content that fits the form",
    build=_build_elicitation,
    context={"tool": "ask_elicitation"},
    revisions=("2025-06-18", "2025-11-25"),
)
async def elicitation(t: ClientTest) -> None:
    _lifecycle_checks(t)
    answers = _answered(
        t, "elicitation/create", "elicitation", "client/elicitation#creating-elicitation-requests"
    )
    if not answers or not isinstance(answers[0].get("result"), dict):
        return
    result = answers[0]["result"]
    with t.check("elicitation-action", "client/elicitation#response-actions") as c:
        c.expect(
            result.get("action") in ("accept", "decline", "cancel"),
            "action must be accept, decline or cancel",
            result,
        )
    if result.get("action") != "accept":
        return
    with t.should("elicitation-content", "client/elicitation#requested-schema") as c:
        content = result.get("content")
        c.expect(isinstance(content, dict), "an accepted form comes with its content", result)
        assert isinstance(content, dict)
        c.expect(isinstance(content.get("name"), str), "name is required and a string", content)
        if "age" in content:
            age = content["age"]
            c.expect(
                isinstance(age, int) and not isinstance(age, bool) and 0 <= age <= 150,
                "age out of its schema",
                content,
            )
        if "subscribe" in content:
            c.expect(isinstance(content["subscribe"], bool), "subscribe must be a boolean", content)
        if "color" in content:
            c.expect(content["color"] in ("red", "green", "blue"), "color must be one of its enum", content)


def _build_roots(revision: str) -> Server:
    server = _server(revision)

    @server.tool()
    async def ask_roots(ctx: Context) -> str:
        """Ask the client for its roots."""
        roots = await ctx.list_roots()
        return f"{len(roots)} roots"

    return server


@client_scenario("roots", "answer the server's roots/list", build=_build_roots, context={"tool": "ask_roots"})
async def roots(t: ClientTest) -> None:
    _lifecycle_checks(t)
    answers = _answered(t, "roots/list", "roots", "client/roots#listing-roots")
    if not answers or not isinstance(answers[0].get("result"), dict):
        return
    with t.check("roots-file-uris", "client/roots#root") as c:
        listed = answers[0]["result"].get("roots")
        c.expect(isinstance(listed, list), "roots/list returns a roots array", answers[0])
        assert isinstance(listed, list)
        bad = [r for r in listed if not (isinstance(r, dict) and str(r.get("uri", "")).startswith("file://"))]
        c.expect(not bad, "every root uri must be a file:// URI", bad[:1])


# -- cancel -----------------------------------------------------------------------------------


def _build_cancel(revision: str) -> Server:
    server = _server(revision)

    @server.tool()
    async def slow_work(ctx: Context) -> str:
        """Work for a long time (up to 20 s), reporting progress, unless cancelled."""
        for step in range(1, 41):
            await ctx.report_progress(step, 40)
            await anyio.sleep(0.5)
        return "finished"

    return server


@client_scenario(
    "cancel",
    "call a slow tool and cancel it while it runs",
    build=_build_cancel,
    context={"tool": "slow_work"},
)
async def cancel(t: ClientTest) -> None:
    _lifecycle_checks(t)
    calls = t.capture.client_requests("tools/call")
    notes = t.capture.client_notifications("notifications/cancelled")
    with t.check("cancel-sent", "basic/utilities/cancellation#cancellation-flow") as c:
        c.expect(calls, "the client did not call the slow tool")
        c.expect(notes, "the client did not send notifications/cancelled")
    if not calls or not notes:
        return
    with t.check("cancel-references-request", "basic/utilities/cancellation#behavior-requirements") as c:
        ids = [call["id"] for call in calls]
        target = (notes[0].get("params") or {}).get("requestId")
        c.expect(
            any(type(target) is type(i) and target == i for i in ids),
            "notifications/cancelled must name a request the client issued",
            notes[0],
        )
        answered = [
            m
            for m in t.capture.server_messages
            if isinstance(m, dict)
            and "method" not in m
            and type(m.get("id")) is type(target)
            and m.get("id") == target
        ]
        c.expect(
            not answered
            or t.capture.records.index(_record_of(t, notes[0]))
            < t.capture.records.index(_record_of(t, answered[0])),
            "the request was already answered when the client cancelled it",
            notes[0],
        )


def _record_of(t: ClientTest, message: Any) -> dict[str, Any]:
    for record in t.capture.records:
        if record.get("message") is message:
            return record
    raise LookupError("message not in the capture")


# -- sse-retry --------------------------------------------------------------------------------


def _build_sse_retry(revision: str) -> Server:
    server = _server(revision)

    @server.tool()
    async def test_reconnection(ctx: Context) -> str:
        """Cut this request's SSE connection, then answer once the client has resumed."""
        await ctx.info("before the cut")
        ctx.close_sse_stream()
        await anyio.sleep(0.5)
        return "resumed"

    return server


@client_scenario(
    "sse-retry",
    "resume an SSE stream the server cut, with Last-Event-ID",
    build=_build_sse_retry,
    context={"tool": "test_reconnection"},
    revisions=("2025-11-25",),
    transports=("http",),
)
async def sse_retry(t: ClientTest) -> None:
    _lifecycle_checks(t)
    gets = [r for r in t.capture.http_requests if r.get("method") == "GET"]
    with t.check("resumed-with-last-event-id", f"{HTTP}#resumability-and-redelivery") as c:
        c.expect(
            any(r["headers"].get("last-event-id") for r in gets),
            "after the server closed the stream the client must reconnect with GET and Last-Event-ID",
            [r["headers"] for r in gets][:3],
        )
