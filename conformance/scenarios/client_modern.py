"""Client scenarios of the stateless revision, 2026-07-28: what a client must send without a session.

The test server of each run speaks only 2026-07-28 (a client that tries ``initialize`` first is
told which versions it speaks, and must go on in this revision). Over either transport the
suite names the revision in ``MCP_CONFORMANCE_PROTOCOL_VERSION``, as the official suite does.

=====================  ======================================================================
scenario               the client is asked to
=====================  ======================================================================
modern-tools-call      call ``add_numbers`` with the context's arguments (two numbers, and a
                       ``note`` the tool marks ``x-mcp-header``, with a non-ASCII value)
modern-input-required  call ``plan_trip``, which needs two rounds of input: a form
                       (elicitation), then a sampled message
=====================  ======================================================================

What is checked, and how strongly, follows the revision's text:

* every request carries the ``_meta`` envelope: the protocol version and the client's
  capabilities (MUST, ``basic/index#meta``), at a version the server speaks;
* over HTTP every POST carries ``MCP-Protocol-Version``, ``Mcp-Method`` and, for
  ``tools/call``, ``Mcp-Name``, equal to the body (REQUIRED), and each argument the tool marks
  ``x-mcp-header`` in its ``Mcp-Param-*`` header, in the ``=?base64?...?=`` form when the value
  is not plain ASCII (MUST); no session id, GET stream or DELETE belongs to this revision
  (SHOULD NOT);
* input-required: each retry answers every input request by its key, echoes the exact
  ``requestState``, uses a new JSON-RPC id, repeats the original request, and the state and
  answers go on no other request (MUST, ``basic/patterns/mrtr#client-requirements``).
"""

from __future__ import annotations

import base64
import itertools
from typing import Annotated, Any

from pydantic import BaseModel, Field

from conformance._client_runner import ClientTest
from conformance._model import client_scenario
from mcpcore.server import Context, Server

MODERN = ("2026-07-28",)
VERSION_KEY = "io.modelcontextprotocol/protocolVersion"
CAPABILITIES_KEY = "io.modelcontextprotocol/clientCapabilities"
META = "basic/index#meta"
HEADERS = "basic/transports/streamable-http#standard-request-headers"
PARAM_HEADERS = "basic/transports/streamable-http#client-behavior"
MRTR = "basic/patterns/mrtr#client-requirements-basic-workflow"
NOTE = "café ☕"  # not ASCII: its header must take the base64 form
_NAMED = {"tools/call": "name", "prompts/get": "name", "resources/read": "uri"}


def _server(revision: str) -> Server:
    return Server("mcpcore-conformance-test-server", "1.0.0", versions=[revision])


def _envelope_checks(t: ClientTest) -> None:
    """What every request of a modern run must carry, in its body and over HTTP its headers."""
    requests = [r for r in t.capture.client_requests() if r.get("method") != "initialize"]
    with t.check("envelope", META) as c:
        c.expect(requests, "the client sent no request in this revision")
        bad = [r for r in requests if not _enveloped(r)]
        c.expect(
            not bad,
            "every request must carry _meta with io.modelcontextprotocol/protocolVersion and "
            "clientCapabilities (an object)",
            bad[:1],
        )
    with t.check("version-spoken", META) as c:
        used = {_meta_of(r).get(VERSION_KEY) for r in requests}
        c.expect(
            t.revision in used,
            f"no request named {t.revision}, the one version the server speaks: {sorted(map(str, used))}",
        )
    if t.transport != "http":
        return
    posts = [(message, headers) for message, headers in t.capture.client_posts() if "method" in message]
    with t.check("standard-headers", HEADERS) as c:
        wrong = [problem for message, headers in posts for problem in _header_problems(message, headers)]
        c.expect(not wrong, "; ".join(wrong[:3]))
    with t.should("no-session-traffic", "basic/transports/streamable-http#backward-compatibility") as c:
        requests_http = t.capture.http_requests
        legacy = [r for r in requests_http if r.get("method") in ("GET", "DELETE")]
        legacy += [r for r in requests_http if "mcp-session-id" in r.get("headers", {})]
        c.expect(not legacy, "a GET stream, a DELETE or a session id has no place in 2026-07-28", legacy[:1])


def _meta_of(request: dict[str, Any]) -> dict[str, Any]:
    params = request.get("params")
    meta = params.get("_meta") if isinstance(params, dict) else None
    return meta if isinstance(meta, dict) else {}


def _enveloped(request: dict[str, Any]) -> bool:
    meta = _meta_of(request)
    return isinstance(meta.get(VERSION_KEY), str) and isinstance(meta.get(CAPABILITIES_KEY), dict)


def _header_problems(message: dict[str, Any], headers: dict[str, str]) -> list[str]:
    method = message.get("method")
    problems = []
    if headers.get("mcp-method") != method:
        problems.append(f"{method}: Mcp-Method is {headers.get('mcp-method')!r}")
    version = _meta_of(message).get(VERSION_KEY)
    if version is not None and headers.get("mcp-protocol-version") != version:
        problems.append(
            f"{method}: MCP-Protocol-Version {headers.get('mcp-protocol-version')!r} != {version!r}"
        )
    field = _NAMED.get(str(method))
    params = message.get("params") if isinstance(message.get("params"), dict) else {}
    if field is not None and isinstance(params, dict) and isinstance(params.get(field), str):
        sent = headers.get("mcp-name")
        if sent is None or _decoded(sent) != params[field]:
            problems.append(f"{method}: Mcp-Name {sent!r} does not carry {params[field]!r}")
    return problems


def _decoded(value: str) -> str | None:
    """A header value as the body holds it: the base64 sentinel form decoded (None if broken)."""
    if value.startswith("=?base64?") and value.endswith("?=") and len(value) > 11:
        try:
            return base64.b64decode(value[9:-2], validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return None
    return value


# -- modern-tools-call ---------------------------------------------------------------------------


def _build_tools_call(revision: str) -> Server:
    server = _server(revision)

    @server.tool()
    def add_numbers(
        a: float,
        b: float,
        note: Annotated[str, Field(description="Any text", json_schema_extra={"x-mcp-header": "Note"})] = "",
    ) -> str:
        """Add two numbers together."""
        return f"The sum of {a:g} and {b:g} is {a + b:g}" + (f" ({note})" if note else "")

    return server


@client_scenario(
    "modern-tools-call",
    "call a tool with the envelope, the routing headers and an Mcp-Param header",
    build=_build_tools_call,
    context={"tool": "add_numbers", "arguments": {"a": 5, "b": 3, "note": NOTE}},
    revisions=MODERN,
)
async def modern_tools_call(t: ClientTest) -> None:
    _envelope_checks(t)
    calls = [
        r
        for r in t.capture.client_requests("tools/call")
        if (r.get("params") or {}).get("name") == "add_numbers"
    ]
    answered = [m for m in t.capture.server_messages if isinstance(m, dict) and "result" in m]
    with t.check("tool-called", "server/tools#calling-tools") as c:
        c.expect(calls, "the client did not call add_numbers")
        ids = {r.get("id") for r in calls}
        c.expect(
            any(m.get("id") in ids and "content" in m["result"] for m in answered),
            "no call of add_numbers was answered with a result: see the trace",
        )
    if t.transport != "http":
        return
    with t.check("param-header", PARAM_HEADERS) as c:
        posts = [
            headers
            for message, headers in t.capture.client_posts()
            if message.get("method") == "tools/call"
            and (message.get("params") or {}).get("name") == "add_numbers"
        ]
        c.expect(posts, "no tools/call of add_numbers was posted")
        for headers in posts:
            sent = headers.get("mcp-param-note")
            c.expect(
                sent is not None and sent.startswith("=?base64?") and _decoded(sent) == NOTE,
                f"Mcp-Param-Note must carry {NOTE!r} in the base64 form (it is not ASCII), not {sent!r}",
            )


# -- modern-input-required -----------------------------------------------------------------------


class _Destination(BaseModel):
    city: str


def _build_input_required(revision: str) -> Server:
    server = _server(revision)

    @server.tool()
    async def plan_trip(ctx: Context) -> str:
        """Ask where to go (a form), then ask the model for advice: two rounds of input."""
        where = await ctx.elicit("Where to?", _Destination, key="destination")
        city = where.content.city if where.content is not None else "nowhere"
        advice = await ctx.sample(f"One tip for a trip to {city}?", max_tokens=50, key="advice")
        return f"Trip to {city}: {advice.get('content')}"

    return server


@client_scenario(
    "modern-input-required",
    "answer two rounds of input-required results: answers by key, the state echoed, new ids",
    build=_build_input_required,
    context={"tool": "plan_trip", "arguments": {}},
    revisions=MODERN,
)
async def modern_input_required(t: ClientTest) -> None:
    _envelope_checks(t)
    attempts = [
        r
        for r in t.capture.client_requests("tools/call")
        if (r.get("params") or {}).get("name") == "plan_trip"
    ]
    answers = _answers(t)
    with t.check("completed", MRTR) as c:
        c.expect(attempts, "the client did not call plan_trip")
        final = answers.get(id(attempts[-1])) if attempts else None
        result = (final or {}).get("result")
        c.expect(
            isinstance(result, dict) and result.get("resultType", "complete") == "complete",
            "plan_trip never completed: the last attempt's answer was not a complete result",
            final,
        )
    retries = []  # (the input-required result, the retry that followed it)
    for before, after in itertools.pairwise(attempts):
        result = (answers.get(id(before)) or {}).get("result")
        if isinstance(result, dict) and result.get("resultType") == "input_required":
            retries.append((before, result, after))
    with t.check("two-rounds", MRTR) as c:
        c.expect(len(retries) >= 2, f"the tool asks twice; the client retried {len(retries)} times")
    with t.check("answers-by-key", MRTR) as c:
        for _, result, retry in retries:
            wanted = set(result.get("inputRequests") or {})
            given = (retry.get("params") or {}).get("inputResponses")
            c.expect(
                isinstance(given, dict) and wanted <= set(given),
                f"the retry must answer {sorted(wanted)}; its inputResponses: {given!r}",
                retry,
            )
    with t.check("state-echoed", MRTR) as c:
        for _, result, retry in retries:
            state = result.get("requestState")
            sent = (retry.get("params") or {}).get("requestState")
            if state is None:
                c.expect(sent is None, "no requestState was given, yet the retry sent one", retry)
            else:
                c.expect(sent == state, "the retry must echo the exact requestState", retry)
    with t.check("new-id", MRTR) as c:
        ids = [r.get("id") for r in attempts]
        c.expect(len(set(map(repr, ids))) == len(ids), f"each retry needs a new JSON-RPC id: {ids}")
    with t.check("same-request", MRTR) as c:
        for before, _, retry in retries:
            c.expect(
                (retry.get("params") or {}).get("arguments") == (before.get("params") or {}).get("arguments"),
                "a retry repeats the original request's arguments",
                retry,
            )
    with t.check("state-stays-put", MRTR) as c:
        others = [
            r
            for r in t.capture.client_requests()
            if r not in attempts
            and isinstance(r.get("params"), dict)
            and ("requestState" in r["params"] or "inputResponses" in r["params"])
        ]
        c.expect(not others, "requestState and inputResponses belong to the retry alone", others[:1])


def _answers(t: ClientTest) -> dict[int, dict[str, Any]]:
    """The server's answer to each client request, keyed by the request object's identity: in
    the order of the capture, so that a client reusing an id still gets each answer paired."""
    waiting: dict[str, list[dict[str, Any]]] = {}
    paired: dict[int, dict[str, Any]] = {}
    for record in t.capture.records:
        message = record.get("message")
        if not isinstance(message, dict) or "id" not in message:
            continue
        key = repr(message["id"])
        if record.get("from") == "client" and "method" in message:
            waiting.setdefault(key, []).append(message)
        elif record.get("from") == "server" and "method" not in message and waiting.get(key):
            paired[id(waiting[key].pop(0))] = message
    return paired
