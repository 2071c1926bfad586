"""Server scenarios of the stateless revision, 2026-07-28: no handshake, an envelope per request.

A session here is only a channel (a process over stdio; nothing over HTTP): every request
carries ``_meta`` with the protocol version and the client's capabilities, and over HTTP the
``MCP-Protocol-Version``, ``Mcp-Method`` and ``Mcp-Name`` headers that mirror the body. What
is checked, and how strongly, follows the revision's text:

* ``server/discover`` MUST be implemented; its result carries the supported versions, the
  capabilities and the caching hints, and SHOULD carry ``serverInfo`` in ``_meta``;
* a request without the required ``_meta`` keys is refused with -32602 (over stdio a request
  with no envelope at all is era-ambiguous, and not judged), one naming an
  unsupported version with -32022 listing the supported ones and echoing the requested one,
  and over HTTP both with 400;
* every result carries ``resultType``; the six cacheable ones ``ttlMs`` (>= 0) and
  ``cacheScope``; an unknown resource is -32602 (-32002 is retired);
* the methods the revision removed (``ping``, ``logging/setLevel``, ``resources/subscribe``)
  are unknown methods, 404 over HTTP;
* input-required results, where the server has the official suite's fixture tool
  ``test_input_required_result_elicitation``: the first call answers with ``inputRequests``,
  the retry with the answer and the echoed ``requestState`` completes, and a tampered state
  is refused;
* ``subscriptions/listen``: the acknowledgement comes first and carries the listen request's
  id in ``_meta["io.modelcontextprotocol/subscriptionId"]``; where the server has a tool that
  changes a resource (``test_notify_resource_updated``, or ``touch`` of mcpcore's demo server),
  a stream subscribed to that resource hears the update, tagged with the same id, and nothing
  it did not ask for (not even the tool-list change of ``test_trigger_tool_change``, where the
  server has it);
* no log notification without a ``logLevel`` in the envelope (the fixture tool
  ``test_tool_with_logging``);
* over HTTP, a header that is missing or disagrees with the body is 400 with -32020, and GET
  is not allowed (405);
* over HTTP, where a tool marks a string argument with ``x-mcp-header``, its ``Mcp-Param-*``
  header is checked: equal to the argument (plain or in the ``=?base64?...?=`` form) it is
  accepted; missing, different, or malformed base64, it is 400 with -32020.
"""

from __future__ import annotations

from typing import Any

from conformance._model import server_scenario
from conformance._peer import HttpChannel, PeerError, Reply, Session
from conformance._runner import Check, ServerTest
from conformance.scenarios.server_resources import TRIGGER_TOOLS, trigger_among

MODERN = ("2026-07-28",)
VERSION_KEY = "io.modelcontextprotocol/protocolVersion"
CAPABILITIES_KEY = "io.modelcontextprotocol/clientCapabilities"
INFO_KEY = "io.modelcontextprotocol/clientInfo"
SERVER_INFO_KEY = "io.modelcontextprotocol/serverInfo"
SUBSCRIPTION_KEY = "io.modelcontextprotocol/subscriptionId"
CLIENT_INFO = {"name": "mcpcore-conformance", "version": "1.0.0"}
INPUT_TOOL = "test_input_required_result_elicitation"
LOGGING_TOOL = "test_tool_with_logging"
_NAMED = {"tools/call": "name", "prompts/get": "name", "resources/read": "uri"}

VERSIONING = "basic/versioning#protocol-version-negotiation"
META = "basic/index#meta"
RESULT_TYPE = "basic/index#resulttype"
DISCOVER = "server/discover"
CACHING = "server/utilities/caching#cacheable-results"
MRTR = "basic/patterns/mrtr#server-requirements-basic-workflow"
LISTEN = "basic/patterns/subscriptions#acknowledgment"
LISTEN_FILTER = "basic/patterns/subscriptions#opening-a-stream"
LISTEN_TAGGED = "basic/patterns/subscriptions#receiving-notifications"
LISTEN_UPDATES = "basic/patterns/subscriptions#notification-filter"
PARAM_HEADERS = "basic/transports/streamable-http#server-behavior-for-custom-headers"
# The resource the tools that report a change (TRIGGER_TOOLS) are pointed at.
WATCHED_URI = "test://watched-resource"
# A tool of the reference server that changes its tool list (a change a listener of resource
# updates alone must not hear of), and how long to wait for a notification that must not come.
TOOL_CHANGER = "test_trigger_tool_change"
UNREQUESTED_WAIT = 0.3
HTTP_HEADERS = "basic/transports/streamable-http#server-validation"
HTTP_VERSION = "basic/transports/streamable-http#protocol-version-header"
SERVER_VALIDATION = "basic/transports/streamable-http#server-validation"


def envelope(revision: str, capabilities: dict[str, Any] | None = None) -> dict[str, Any]:
    return {VERSION_KEY: revision, CAPABILITIES_KEY: capabilities or {}, INFO_KEY: CLIENT_INFO}


def routing_headers(session: Session, method: str, params: dict[str, Any]) -> dict[str, str] | None:
    """The headers an HTTP request of this revision carries, mirrored from its body."""
    if not isinstance(session.channel, HttpChannel):
        return None
    meta = params.get("_meta") if isinstance(params.get("_meta"), dict) else {}
    headers = {"mcp-method": method}
    version = meta.get(VERSION_KEY) if isinstance(meta, dict) else None
    if isinstance(version, str):
        headers["mcp-protocol-version"] = version
    field = _NAMED.get(method)
    if field is not None and isinstance(params.get(field), str) and params[field].isascii():
        headers["mcp-name"] = params[field]
    return headers


async def ask(
    t: ServerTest,
    session: Session,
    method: str,
    params: dict[str, Any] | None = None,
    *,
    capabilities: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    """A request of the revision under test: the envelope in ``_meta``, the headers over HTTP."""
    body = dict(params or {})
    body["_meta"] = {**envelope(t.revision, capabilities), **body.get("_meta", {})}
    extra = routing_headers(session, method, body)
    if extra is not None and headers is not None:
        extra.update(headers)
    return await session.request(method, body, headers=extra)


async def modern_session(t: ServerTest) -> Session:
    return await t.session(initialize=False)


def _status(reply: Reply) -> int | None:
    return reply.http.status if reply.http is not None else None


def _refused_with(c: Check, reply: Reply, code: int, status: int | None) -> None:
    """The reply is the error ``code``, and over HTTP (``status`` not None) that status."""
    c.equal(reply.error_code, code, "the error code", reply.message)
    if status is not None:
        c.equal(_status(reply), status, "the HTTP status")


async def _capabilities(t: ServerTest, session: Session) -> dict[str, Any]:
    """The capabilities the server's ``server/discover`` result declares (none if refused)."""
    found = await ask(t, session, "server/discover")
    caps = (found.result or {}).get("capabilities")
    return caps if isinstance(caps, dict) else {}


async def _tool_names(t: ServerTest, session: Session) -> set[Any]:
    tools = await ask(t, session, "tools/list")
    return {tool.get("name") for tool in (tools.result or {}).get("tools", []) if isinstance(tool, dict)}


# -- discover and the envelope ------------------------------------------------------------------


@server_scenario(
    "discover", "server/discover answers with versions, capabilities and caching hints", revisions=MODERN
)
async def discover(t: ServerTest) -> None:
    session = await modern_session(t)
    reply = await ask(t, session, "server/discover")
    result = reply.result or {}
    with t.check("answers", DISCOVER) as c:
        c.expect(reply.result is not None, f"server/discover was refused: {reply.error}", reply.message)
    if reply.result is None:
        return
    with t.check("supported-versions", DISCOVER) as c:
        versions = result.get("supportedVersions")
        c.expect(
            isinstance(versions, list) and t.revision in versions,
            f"supportedVersions must list {t.revision}: {versions!r}",
            result,
        )
    with t.check("capabilities", DISCOVER) as c:
        c.expect(isinstance(result.get("capabilities"), dict), "capabilities must be an object", result)
    with t.check("result-type", RESULT_TYPE) as c:
        c.equal(result.get("resultType"), "complete", "resultType")
    with t.check("cache-hints", CACHING) as c:
        ttl = result.get("ttlMs")
        c.expect(isinstance(ttl, int) and not isinstance(ttl, bool) and ttl >= 0, f"ttlMs {ttl!r}", result)
        c.expect(
            result.get("cacheScope") in ("public", "private"), f"cacheScope {result.get('cacheScope')!r}"
        )
    with t.should("server-info", DISCOVER) as c:
        meta = result.get("_meta")
        info = meta.get(SERVER_INFO_KEY) if isinstance(meta, dict) else None
        c.expect(isinstance(info, dict) and "name" in info and "version" in info, f"serverInfo {info!r}")


@server_scenario(
    "envelope", "requests without the required _meta, or at another version, are refused", revisions=MODERN
)
async def envelope_rules(t: ServerTest) -> None:
    session = await modern_session(t)
    full = envelope(t.revision)
    http = isinstance(session.channel, HttpChannel)
    cases = {
        "missing-capabilities": {"_meta": {k: v for k, v in full.items() if k != CAPABILITIES_KEY}},
        "missing-version": {"_meta": {k: v for k, v in full.items() if k != VERSION_KEY}},
    }
    if http:
        # Over HTTP the version header makes the request modern whatever its body. On stdio a
        # request with no envelope at all is era-ambiguous: a server that also speaks the
        # handshake era may take it for a legacy request sent before initialize.
        cases["missing-meta"] = {}
    for name, params in cases.items():
        headers = routing_headers(session, "tools/list", params) or None
        if headers is not None:
            headers["mcp-protocol-version"] = t.revision
        reply = await session.request("tools/list", params, headers=headers)
        with t.check(name, META) as c:
            _refused_with(c, reply, -32602, 400 if http else None)
    wrong = "1999-01-01"
    params = {"_meta": {**full, VERSION_KEY: wrong}}
    headers = routing_headers(session, "tools/list", params)
    reply = await session.request("tools/list", params, headers=headers)
    with t.check("unsupported-version", VERSIONING) as c:
        c.equal(reply.error_code, -32022, "the error code", reply.message)
        data = (reply.error or {}).get("data")
        data = data if isinstance(data, dict) else {}
        c.expect(
            isinstance(data.get("supported"), list) and t.revision in data["supported"],
            f"data.supported must list the versions the server speaks: {data.get('supported')!r}",
        )
        c.equal(data.get("requested"), wrong, "data.requested")
        if http:
            c.equal(_status(reply), 400, "the HTTP status of an unsupported version")


@server_scenario(
    "result-fields", "results say their type; cacheable ones carry their caching hints", revisions=MODERN
)
async def result_fields(t: ServerTest) -> None:
    session = await modern_session(t)
    caps = await _capabilities(t, session)
    listed = []
    for kind, method in (
        ("tools", "tools/list"),
        ("prompts", "prompts/list"),
        ("resources", "resources/list"),
        ("resources", "resources/templates/list"),
    ):
        if kind in caps:
            listed.append((method, await ask(t, session, method)))
    if "resources" in caps:
        # A read is cacheable too: the first resource the server listed.
        resources = (listed[-2][1].result or {}).get("resources")
        first = resources[0] if isinstance(resources, list) and resources else None
        if isinstance(first, dict) and isinstance(first.get("uri"), str):
            listed.append(("resources/read", await ask(t, session, "resources/read", {"uri": first["uri"]})))
    if not listed:
        t.skip("list-result-type", RESULT_TYPE, "the server declares no tools, prompts or resources")
        return
    for method, reply in listed:
        result = reply.result or {}
        name = method.replace("/", "-")
        if method == "resources/templates/list" and reply.error_code == -32601:
            # The capability has no flag for templates: a server with none may not route it.
            t.skip(f"{name}-result-type", RESULT_TYPE, "the server does not serve resources/templates/list")
            continue
        with t.check(f"{name}-result-type", RESULT_TYPE) as c:
            c.expect(reply.result is not None, f"{method} was refused: {reply.error}", reply.message)
            c.equal(result.get("resultType"), "complete", "resultType")
        with t.check(f"{name}-cache-hints", CACHING) as c:
            ttl = result.get("ttlMs")
            c.expect(isinstance(ttl, int) and not isinstance(ttl, bool) and ttl >= 0, f"ttlMs {ttl!r}")
            c.expect(
                result.get("cacheScope") in ("public", "private"), f"cacheScope {result.get('cacheScope')!r}"
            )
    if "resources" in caps:
        reply = await ask(t, session, "resources/read", {"uri": "mcp-conformance://missing/no-such-resource"})
        with t.check("resource-not-found", "server/resources#error-handling") as c:
            c.equal(reply.error_code, -32602, "the error code for an unknown resource", reply.message)


@server_scenario("removed-methods", "methods the revision removed are unknown methods", revisions=MODERN)
async def removed_methods(t: ServerTest) -> None:
    session = await modern_session(t)
    http = isinstance(session.channel, HttpChannel)
    for method, params in (
        ("ping", {}),
        ("logging/setLevel", {"level": "info"}),
        ("resources/subscribe", {"uri": "x://y"}),
    ):
        reply = await ask(t, session, method, params)
        with t.check(method.replace("/", "-"), HTTP_VERSION if http else VERSIONING) as c:
            _refused_with(c, reply, -32601, 404 if http else None)


# -- input required, listen, logs ---------------------------------------------------------------


@server_scenario(
    "input-required", "an input-required result, its retry, and a tampered state", revisions=MODERN
)
async def input_required(t: ServerTest) -> None:
    session = await modern_session(t)
    caps: dict[str, Any] = {"elicitation": {}}
    if INPUT_TOOL not in await _tool_names(t, session):
        t.skip("first-round", MRTR, f"the server has no {INPUT_TOOL} tool to ask for input with")
        return
    first = await ask(t, session, "tools/call", {"name": INPUT_TOOL, "arguments": {}}, capabilities=caps)
    result = first.result or {}
    requests = result.get("inputRequests")
    with t.check("first-round", MRTR) as c:
        c.equal(result.get("resultType"), "input_required", "resultType", first.message)
        c.expect(
            (isinstance(requests, dict) and requests) or isinstance(result.get("requestState"), str),
            "an input-required result needs inputRequests or requestState",
        )
    if not isinstance(requests, dict) or not requests:
        return
    with t.check("requests-declared", MRTR) as c:
        methods = {r.get("method") for r in requests.values() if isinstance(r, dict)}
        c.expect(
            methods <= {"elicitation/create"}, f"asked for undeclared input: {sorted(map(str, methods))}"
        )
    answers = {key: {"action": "accept", "content": {"name": "Ada"}} for key in requests}
    retry: dict[str, Any] = {"name": INPUT_TOOL, "arguments": {}, "inputResponses": answers}
    if isinstance(result.get("requestState"), str):
        retry["requestState"] = result["requestState"]
    second = await ask(t, session, "tools/call", retry, capabilities=caps)
    with t.check("retry-completes", MRTR) as c:
        c.expect(second.result is not None, f"the retry was refused: {second.error}", second.message)
        c.equal((second.result or {}).get("resultType", "complete"), "complete", "resultType")
    if "requestState" in retry:
        tampered = dict(retry, requestState=retry["requestState"] + "-TAMPERED")
        third = await ask(t, session, "tools/call", tampered, capabilities=caps)
        with t.check("tampered-state", "basic/patterns/mrtr#security-considerations") as c:
            c.expect(third.error is not None, "a tampered requestState was accepted", third.message)


async def _open_listen(
    t: ServerTest, session: Session, listen_id: Any, notifications: dict[str, Any]
) -> tuple[int, Any]:
    """Send ``subscriptions/listen`` with this filter; where the session's messages stood
    before it, and the first message that came back (a notification, or its answer)."""
    body = {"_meta": envelope(t.revision), "notifications": notifications}
    mark = len(session.received)
    await session.send(
        {"jsonrpc": "2.0", "id": listen_id, "method": "subscriptions/listen", "params": body},
        headers=routing_headers(session, "subscriptions/listen", body),
    )
    first = await session.wait_for(
        lambda m: isinstance(m, dict) and ("method" in m or m.get("id") == listen_id),
        after=mark,
        what="the listen stream's first message",
    )
    return mark, first


@server_scenario(
    "listen-ack", "a listen stream opens with its acknowledgement, tagged with its id", revisions=MODERN
)
async def listen_ack(t: ServerTest) -> None:
    session = await modern_session(t)
    caps = await _capabilities(t, session)
    if not (caps.get("tools") or {}).get("listChanged"):
        t.skip("ack-first", LISTEN, "the server declares no tools.listChanged to listen for")
        return
    listen_id = session.next_id()
    _, first = await _open_listen(t, session, listen_id, {"toolsListChanged": True})
    with t.check("ack-first", LISTEN) as c:
        c.equal(first.get("method"), "notifications/subscriptions/acknowledged", "the first message", first)
        params: dict[str, Any] = first["params"] if isinstance(first.get("params"), dict) else {}
        meta: dict[str, Any] = params["_meta"] if isinstance(params.get("_meta"), dict) else {}
        c.equal(meta.get(SUBSCRIPTION_KEY), listen_id, "_meta subscriptionId")
        honored = params.get("notifications")
        c.expect(isinstance(honored, dict), f"notifications must be the honored filter: {honored!r}")
    if not isinstance(session.channel, HttpChannel):
        await session.notify("notifications/cancelled", {"requestId": listen_id})


@server_scenario(
    "listen-updates",
    "a listen stream hears the update of a resource it subscribed to, and nothing else",
    revisions=MODERN,
)
async def listen_updates(t: ServerTest) -> None:
    session = await modern_session(t)
    caps = await _capabilities(t, session)
    if not (caps.get("resources") or {}).get("subscribe"):
        t.skip("update-heard", LISTEN_UPDATES, "the server declares no resources.subscribe")
        return
    tools = await ask(t, session, "tools/list")
    trigger = trigger_among((tools.result or {}).get("tools"))
    if trigger is None:
        t.skip(
            "update-heard",
            LISTEN_UPDATES,
            f"the server has no tool that changes a resource ({', '.join(TRIGGER_TOOLS)} with a uri)",
        )
        return
    listen_id = f"listen-{session.next_id()}"
    mark, ack = await _open_listen(t, session, listen_id, {"resourceSubscriptions": [WATCHED_URI]})
    honored = (ack.get("params") or {}).get("notifications")
    with t.should("subscription-honored", LISTEN) as c:
        listed = honored.get("resourceSubscriptions") if isinstance(honored, dict) else None
        c.expect(
            isinstance(listed, list) and WATCHED_URI in listed,
            f"resources.subscribe is declared, yet {WATCHED_URI} is not in the honored filter: {honored!r}",
        )
    call = await ask(t, session, "tools/call", {"name": trigger, "arguments": {"uri": WATCHED_URI}})
    if call.result is None or call.result.get("isError"):
        t.skip("update-heard", LISTEN_UPDATES, f"{trigger} did not run: {call.error or call.result}")
        return
    missing = ""
    try:
        update = await session.wait_for(
            lambda m: isinstance(m, dict) and m.get("method") == "notifications/resources/updated",
            after=mark,
            timeout=min(session.timeout, 5.0),
            what="notifications/resources/updated on the listen stream",
        )
    except PeerError as exc:
        update, missing = None, str(exc)
    with t.should("update-heard", LISTEN_UPDATES) as c:
        c.expect(update is not None, f"the resource changed, and the stream said nothing: {missing}")
    if update is not None:
        params: dict[str, Any] = update["params"] if isinstance(update.get("params"), dict) else {}
        with t.check("update-tagged", LISTEN_TAGGED) as c:
            meta: dict[str, Any] = params["_meta"] if isinstance(params.get("_meta"), dict) else {}
            c.equal(meta.get(SUBSCRIPTION_KEY), listen_id, "_meta subscriptionId of the update", update)
            c.equal(params.get("uri"), WATCHED_URI, "the updated URI")
    names = {tool.get("name") for tool in (tools.result or {}).get("tools", []) if isinstance(tool, dict)}
    if TOOL_CHANGER in names:
        # A change the stream did not ask for: it must not hear of it. Called twice, so that
        # the server's tool list ends as it began.
        for _ in range(2):
            await ask(t, session, "tools/call", {"name": TOOL_CHANGER, "arguments": {}})
        await session.collect(UNREQUESTED_WAIT)
    with t.check("only-requested", LISTEN_FILTER) as c:
        unrequested = [
            m
            for m in session.received[mark:]
            if isinstance(m, dict)
            and isinstance(m.get("method"), str)
            and m["method"].endswith("/list_changed")
        ]
        c.expect(
            not unrequested, "the stream carried notifications the client did not ask for", unrequested[:1]
        )
    if not isinstance(session.channel, HttpChannel):
        await session.notify("notifications/cancelled", {"requestId": listen_id})


@server_scenario(
    "no-log-without-level", "no log notification for a request that asked for none", revisions=MODERN
)
async def no_log_without_level(t: ServerTest) -> None:
    session = await modern_session(t)
    if LOGGING_TOOL not in await _tool_names(t, session):
        t.skip("silent", "server/utilities/logging", f"the server has no {LOGGING_TOOL} tool that logs")
        return
    reply = await ask(t, session, "tools/call", {"name": LOGGING_TOOL, "arguments": {}})
    logs = [m for m in reply.during if isinstance(m, dict) and m.get("method") == "notifications/message"]
    with t.check("silent", "server/utilities/logging") as c:
        c.expect(reply.result is not None, f"{LOGGING_TOOL} was refused: {reply.error}", reply.message)
        c.expect(not logs, f"{len(logs)} log notifications came without a logLevel", logs[:1])
    loud = await ask(
        t,
        session,
        "tools/call",
        {"name": LOGGING_TOOL, "arguments": {}, "_meta": {"io.modelcontextprotocol/logLevel": "debug"}},
    )
    heard = [m for m in loud.during if isinstance(m, dict) and m.get("method") == "notifications/message"]
    with t.should("heard-with-level", "server/utilities/logging") as c:
        c.expect(heard, "no log notification came although the request asked for debug and up")


# -- Streamable HTTP -----------------------------------------------------------------------------


@server_scenario(
    "routing-headers",
    "headers that are missing or disagree with the body are refused",
    revisions=MODERN,
    transports=("http",),
)
async def http_headers(t: ServerTest) -> None:
    session = await modern_session(t)
    body = {"_meta": envelope(t.revision)}
    cases = {
        "missing-method-header": {"mcp-protocol-version": t.revision, "mcp-method": ""},
        "method-mismatch": {"mcp-protocol-version": t.revision, "mcp-method": "prompts/list"},
        "version-mismatch": {"mcp-protocol-version": "2025-11-25", "mcp-method": "tools/list"},
    }
    for name, headers in cases.items():
        reply = await session.request("tools/list", body, headers=headers)
        with t.check(name, HTTP_HEADERS) as c:
            _refused_with(c, reply, -32020, 400)
    call = {"_meta": envelope(t.revision), "name": "no-such-tool", "arguments": {}}
    reply = await session.request(
        "tools/call",
        call,
        headers={"mcp-protocol-version": t.revision, "mcp-method": "tools/call", "mcp-name": "other"},
    )
    with t.check("name-mismatch", HTTP_HEADERS) as c:
        _refused_with(c, reply, -32020, 400)
    info = await t.raw("GET", headers={"accept": "text/event-stream", "mcp-protocol-version": t.revision})
    with t.check("get-not-allowed", "basic/transports/streamable-http") as c:
        c.equal(info.status, 405, "the HTTP status of GET")


@server_scenario(
    "param-headers",
    "a tool argument marked x-mcp-header must be mirrored, exactly, in its Mcp-Param header",
    revisions=MODERN,
    transports=("http",),
)
async def param_headers(t: ServerTest) -> None:
    session = await modern_session(t)
    listing = await ask(t, session, "tools/list")
    found = _header_parameter((listing.result or {}).get("tools"))
    if found is None:
        t.skip("plain-accepted", PARAM_HEADERS, "no tool marks a string argument with x-mcp-header")
        return
    tool, field, header, defaults, default_headers = found

    async def call(value: str, header_value: str | None) -> Reply:
        body = {"name": tool, "arguments": {**defaults, field: value}}
        extra = dict(default_headers)
        if header_value is not None:
            extra[f"mcp-param-{header}"] = header_value
        return await ask(t, session, "tools/call", body, headers=extra)

    accepted: dict[str, tuple[str, str | None]] = {
        "plain-accepted": ("Hello", "Hello"),
        "base64-accepted": ("Hello", "=?base64?SGVsbG8=?="),
    }
    for name, (value, header_value) in accepted.items():
        reply = await call(value, header_value)
        with t.check(name, SERVER_VALIDATION) as c:
            c.expect(
                reply.result is not None and (reply.http is None or reply.http.status < 400),
                f"Mcp-Param-{header}: {header_value} for {field}={value!r} was refused: {reply.error}",
                reply.message,
            )
    refused: dict[str, tuple[str, str | None]] = {
        "missing-refused": ("Hello", None),
        "mismatch-refused": ("Hello", "Goodbye"),
        "bad-base64-refused": ("Hello", "=?base64?SGVs!!!bG8=?="),
    }
    for name, (value, header_value) in refused.items():
        reply = await call(value, header_value)
        with t.check(name, PARAM_HEADERS) as c:
            _refused_with(c, reply, -32020, 400)


def _header_parameter(tools: Any) -> tuple[str, str, str, dict[str, Any], dict[str, str]] | None:
    """The first tool with a string argument marked ``x-mcp-header``: the tool's name, the
    argument, its header's name, plain values for the tool's other required arguments, and
    the headers those values need in turn."""
    for tool in tools if isinstance(tools, list) else []:
        schema = tool.get("inputSchema") if isinstance(tool, dict) else None
        if not isinstance(schema, dict) or not isinstance(tool.get("name"), str):
            continue
        properties = schema.get("properties")
        if not isinstance(properties, dict):
            continue
        for field, prop in properties.items():
            if not (isinstance(prop, dict) and prop.get("type") == "string"):
                continue
            header = prop.get("x-mcp-header")
            if not isinstance(header, str):
                continue
            required: list[Any] = schema["required"] if isinstance(schema.get("required"), list) else []
            defaults: dict[str, Any] = {}
            headers: dict[str, str] = {}
            for name in required:
                other = properties.get(name)
                if name == field or not isinstance(name, str):
                    continue
                defaults[name] = _plain_value(other)
                if isinstance(other, dict) and isinstance(other.get("x-mcp-header"), str):
                    value = defaults[name]
                    headers[f"mcp-param-{other['x-mcp-header']}"] = (
                        str(value).lower() if isinstance(value, bool) else str(value)
                    )
            return tool["name"], field, header, defaults, headers
    return None


def _plain_value(prop: Any) -> Any:
    kind = prop.get("type") if isinstance(prop, dict) else None
    return 0 if kind in ("integer", "number") else False if kind == "boolean" else "test-default"
