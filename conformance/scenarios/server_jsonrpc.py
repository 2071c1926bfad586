"""Server scenarios: the JSON-RPC 2.0 layer as MCP uses it, one edge at a time.

MCP puts most message rules on the *sender*: a client MUST NOT write anything that is not a
valid MCP message, request ids MUST be strings or integers and never null, an id MUST NOT be
used twice. What a server does when a client breaks those rules is left open, so the checks
that feed it malformed input are SHOULD checks: JSON-RPC's own answer (an error with the
predefined code, ``id`` null when it cannot be read) is the recommendation, and a server that
drops the message silently only gets a warning. The MUST checks are the rules the texts put on
the receiver: a request gets a response carrying its id (same value, same JSON type), a
notification gets none, an error has an integer code and a string message, an unknown method
is an error, and under 2025-03-26 batches must be received.

Malformed probes are followed by a ``ping`` (the *sentinel*): a server that answers it is
still alive, and by then any answer to the probe has normally arrived, so a silent server
costs a short grace period rather than a full timeout. Answers to deliberately broken
requests (``"id": null``, an echoed ``true``) cannot satisfy the schema of any revision, and
JSON-RPC requires some of them, so they are taken out of the automatic schema check and
judged here instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from conformance._model import JSONRPC_SPEC, server_scenario
from conformance._peer import HttpInfo, PeerError, Reply, Session
from conformance._runner import Check, ServerTest

__all__ = [
    "GRACE",
    "answer_to",
    "exempt_from_schema",
    "find_echo_tool",
    "is_response",
    "messages_section",
    "provoke",
    "same_id",
]

GRACE = 0.3  # seconds to wait for a late answer when the sentinel ping came back first
MAX_PAGES = 20  # tools/list pages followed when looking for an echo tool
LARGE = 1024 * 1024  # characters of the large-message probe

REQUEST_OBJECT = f"{JSONRPC_SPEC}#request_object"
NOTIFICATION = f"{JSONRPC_SPEC}#notification"
RESPONSE_OBJECT = f"{JSONRPC_SPEC}#response_object"
ERROR_OBJECT = f"{JSONRPC_SPEC}#error_object"
BATCH = f"{JSONRPC_SPEC}#batch"

# A string that exercises what JSON encoders and line framers get wrong: the two JavaScript
# line terminators, astral characters (surrogate pairs in UTF-16), a zero-width joiner
# sequence, a byte order mark, escapes, and control characters that must be escaped.
UNICODE_TEXT = (
    "plain · é ü ß · 中文 · עברית · "
    "\U0001f600 \U0001d11e \U0001f3f3\ufe0f\u200d\U0001f308 · "
    "\u2028 line sep · \u2029 para sep · \u0085 next line · \ufeff bom · "
    'quote " backslash \\ slash / · tab\t newline\n return\r · \u001f unit sep'
)


def messages_section(revision: str, part: str) -> str:
    """The section of ``revision`` that defines one message type.

    2024-11-05 had a page of its own for messages; later revisions put them on the overview
    page, and 2025-11-25 split responses into result and error responses.
    """
    if revision == "2024-11-05":
        part = "responses" if part.endswith("-responses") else part
        return f"basic/messages#{part}"
    if part.endswith("-responses") and revision < "2025-11-25":
        part = "responses"
    return f"basic#{part}"


def is_response(message: Any) -> bool:
    return (
        isinstance(message, dict) and "method" not in message and ("result" in message or "error" in message)
    )


def same_id(a: Any, b: Any) -> bool:
    """JSON-RPC ids match by value *and* JSON type: 1, 1.0, "1" and true are four ids."""
    return type(a) is type(b) and a == b


def answer_to(request_id: Any, *, strict: bool = True) -> Callable[[Any], bool]:
    """A predicate for the response to ``request_id`` (``strict=False``: equal in value, so
    that an answer with the id's type changed is found, and then judged)."""

    def predicate(message: Any) -> bool:
        if not is_response(message):
            return False
        key = message.get("id")
        return same_id(key, request_id) if strict else bool(key == request_id)

    return predicate


def unreadable_id(message: dict[str, Any]) -> bool:
    return message.get("id") is None


def error_code(message: dict[str, Any]) -> Any:
    error = message.get("error")
    return error.get("code") if isinstance(error, dict) else None


def exempt_from_schema(session: Session) -> None:
    """Take the answers to deliberately broken requests out of the schema check.

    Every response whose ``id`` is missing or not a string or integer is removed (JSON-RPC
    requires ``"id": null`` in some of them, which no revision's schema allows); this module
    judges those answers itself.
    """

    def broken(message: Any) -> bool:
        if not is_response(message):
            return False
        key = message.get("id")
        return not (isinstance(key, str) or (isinstance(key, int) and not isinstance(key, bool)))

    session.capture[:] = [
        traffic for traffic in session.capture if traffic.sent or not broken(traffic.message)
    ]


@dataclass(slots=True)
class Provoked:
    """What came back after one probe: the answers (responses other than the sentinel's), the
    HTTP side of the probe, and whether the server still answered the sentinel ping."""

    answers: list[dict[str, Any]] = field(default_factory=list)
    http: HttpInfo | None = None
    alive: bool = True
    problem: str = ""

    @property
    def http_refused(self) -> bool:
        return self.http is not None and self.http.status >= 400

    def errors(self, request_id: Any = None) -> list[dict[str, Any]]:
        """Error answers that are about the probe: id unreadable (null or absent) or the probe's."""
        return [
            a
            for a in self.answers
            if "error" in a
            and (unreadable_id(a) or (request_id is not None and same_id(a.get("id"), request_id)))
        ]

    def results(self) -> list[dict[str, Any]]:
        return [a for a in self.answers if "result" in a]


async def provoke(session: Session, message: Any = None, *, raw: bytes | None = None) -> Provoked:
    """Send one probe (a JSON value, or raw bytes), then the sentinel ping."""
    mark = len(session.received)
    http = await (session.send_raw(raw) if raw is not None else session.send(message))
    outcome = Provoked(http=http)
    pong: Reply | None = None
    try:
        pong = await session.request("ping")
    except PeerError as exc:
        outcome.alive, outcome.problem = False, str(exc)
    else:
        if pong.result is None:
            outcome.alive, outcome.problem = False, f"ping was answered with {pong.message}"

    def answers() -> list[dict[str, Any]]:
        ping = pong.message if pong is not None else None
        return [m for m in session.received[mark:] if is_response(m) and m is not ping]

    outcome.answers = answers()
    if not outcome.answers and outcome.alive:
        await session.collect(GRACE)
        outcome.answers = answers()
    return outcome


class Sessions:
    """One session reused across probes, replaced by a fresh one once a probe has killed it."""

    def __init__(self, t: ServerTest) -> None:
        self.t = t
        self._session: Session | None = None

    async def get(self) -> Session:
        if self._session is None:
            self._session = await self.t.session()
        return self._session

    def spoil(self) -> None:
        if self._session is not None:
            exempt_from_schema(self._session)
        self._session = None

    def done(self) -> None:
        self.spoil()


def expect_alive(c: Check, outcome: Provoked, what: str) -> None:
    c.expect(outcome.alive, f"after {what} the server no longer answers ping: {outcome.problem}")


def expect_refused(
    c: Check, outcome: Provoked, what: str, codes: tuple[int, ...], request_id: Any = None
) -> None:
    """The SHOULD answer to a malformed message: an error (with one of ``codes``), or an HTTP
    error status; never a result."""
    expect_alive(c, outcome, what)
    results = [r for r in outcome.results() if request_id is None or same_id(r.get("id"), request_id)]
    c.expect(not results, f"{what} was answered with a result instead of an error", results[:1])
    errors = outcome.errors(request_id)
    if not errors:
        c.expect(
            outcome.http_refused,
            f"{what} got no error response (JSON-RPC answers it with {codes[0]})",
            outcome.answers or (str(outcome.http) if outcome.http else None),
        )
        return
    code = error_code(errors[0])
    wanted = " or ".join(str(x) for x in codes)
    c.expect(code in codes, f"{what} was refused with code {code!r}, not {wanted}", errors[0])


# -- parse errors and invalid envelopes -----------------------------------------------------------


@server_scenario("jsonrpc-parse-error", "text that is not JSON gets a parse error, and the server goes on")
async def parse_error(t: ServerTest) -> None:
    session = await t.session()
    with t.should("parse-error", ERROR_OBJECT) as c:
        outcome = await provoke(session, raw=b'{"jsonrpc": "2.0", "id": 1, "method": "ping"')
        expect_refused(c, outcome, "a message that is not JSON", (-32700,))
        wrong = [e for e in outcome.errors() if not unreadable_id(e)]
        c.expect(
            not wrong, "a parse error cannot know the request's id: it must be null or absent", wrong[:1]
        )
    exempt_from_schema(session)


# Each probe has a readable integer id, so an answer may carry it or null.
_INVALID: list[tuple[str, str, dict[str, Any], tuple[int, ...], str]] = [
    (
        "missing-jsonrpc",
        'a request without "jsonrpc"',
        {"id": 0, "method": "ping"},
        (-32600,),
        REQUEST_OBJECT,
    ),
    (
        "wrong-jsonrpc-version",
        'a request with "jsonrpc": "1.0"',
        {"jsonrpc": "1.0", "id": 0, "method": "ping"},
        (-32600,),
        REQUEST_OBJECT,
    ),
    (
        "method-not-string",
        "a request whose method is a number",
        {"jsonrpc": "2.0", "id": 0, "method": 42},
        (-32600,),
        REQUEST_OBJECT,
    ),
    (
        "params-not-structured",
        "a request whose params are a string",
        {"jsonrpc": "2.0", "id": 0, "method": "ping", "params": "not structured"},
        (-32600, -32602),
        f"{JSONRPC_SPEC}#parameter_structures",
    ),
]


@server_scenario("jsonrpc-invalid-request", "malformed request envelopes are refused with Invalid Request")
async def invalid_request(t: ServerTest) -> None:
    sessions = Sessions(t)
    for index, (name, what, message, codes, section) in enumerate(_INVALID):
        request_id = 9000 + index
        with t.should(name, section) as c:
            outcome = await provoke(await sessions.get(), {**message, "id": request_id})
            if not outcome.alive:
                sessions.spoil()
            expect_refused(c, outcome, what, codes, request_id)
    # MCP narrows JSON-RPC: params, when present, are an object (by-name), never an array.
    with t.should("params-array", messages_section(t.revision, "requests")) as c:
        request_id = 9100
        outcome = await provoke(
            await sessions.get(), {"jsonrpc": "2.0", "id": request_id, "method": "ping", "params": [1, 2]}
        )
        if not outcome.alive:
            sessions.spoil()
        expect_refused(c, outcome, "a request whose params are an array", (-32600, -32602), request_id)
    sessions.done()


# -- methods and params -----------------------------------------------------------------------------


@server_scenario("jsonrpc-unknown-method", "an unknown method is an error response with the request's id")
async def unknown_method(t: ServerTest) -> None:
    session = await t.session()
    request_id = "unknown-method-\U0001f50e"
    reply: Reply | None = None
    with t.check("unknown-method-error", RESPONSE_OBJECT) as c:
        reply = await session.request("mcp-conformance/no-such-method", {"probe": True}, id=request_id)
        c.expect(
            reply.refused, "a method the server does not have must be answered with an error", reply.message
        )
        c.expect("result" not in reply.message, "the answer has a result besides the error", reply.message)
    error = reply.error if reply is not None else None
    if error is None:
        t.skip("unknown-method-code", ERROR_OBJECT, "no JSON-RPC error came back")
        t.skip("error-object", messages_section(t.revision, "error-responses"), "no JSON-RPC error came back")
        return
    with t.should("unknown-method-code", ERROR_OBJECT) as c:
        c.equal(error.get("code"), -32601, "the error code of an unknown method (Method not found)", error)
    with t.check("error-object", messages_section(t.revision, "error-responses")) as c:
        code = error.get("code")
        c.expect(
            isinstance(code, int) and not isinstance(code, bool),
            f"error.code must be an integer, not {code!r}",
            error,
        )
        c.expect(isinstance(error.get("message"), str), "error.message must be a string", error)


@server_scenario(
    "jsonrpc-invalid-params", "a known method with invalid params is answered with Invalid params"
)
async def invalid_params(t: ServerTest) -> None:
    session = await t.session()
    caps = session.server_capabilities
    probes: list[tuple[str, str, dict[str, Any], str]] = [
        ("tools", "tools/call", {"arguments": {}}, "server/tools#calling-tools"),
        ("prompts", "prompts/get", {"arguments": {}}, "server/prompts#getting-a-prompt"),
        ("resources", "resources/read", {}, "server/resources#reading-resources"),
    ]
    chosen = next((p for p in probes if p[0] in caps), None)
    if chosen is None:
        reason = "the server declares none of tools, prompts and resources"
        t.skip("invalid-params-answered", RESPONSE_OBJECT, reason)
        t.skip("invalid-params-code", ERROR_OBJECT, reason)
        return
    _, method, params, section = chosen
    reply: Reply | None = None
    with t.check("invalid-params-answered", RESPONSE_OBJECT) as c:
        # The required name (or uri) is missing: the request cannot be carried out, but a
        # request is always answered.
        reply = await session.request(method, params)
        c.expect(
            reply.message or reply.refused, f"{method} without its required field got no answer", reply.http
        )
    if reply is None:
        t.skip("invalid-params-code", ERROR_OBJECT, f"{method} without its required field got no answer")
        return
    with t.should("invalid-params-code", ERROR_OBJECT) as c:
        c.expect(
            reply.refused, f"{method} without its required field should be refused ({section})", reply.message
        )
        if reply.error is not None:
            c.equal(
                reply.error_code,
                -32602,
                f"the error code of {method} without its required field",
                reply.message,
            )


# -- ids ------------------------------------------------------------------------------------------


@server_scenario(
    "jsonrpc-request-ids", "ids are echoed with their type; null, boolean and fractional ids refused"
)
async def request_ids(t: ServerTest) -> None:
    sessions = Sessions(t)
    responses = messages_section(t.revision, "responses")
    requests = messages_section(t.revision, "requests")
    for name, request_id in (
        ("string-id-echoed", 'id \U0001f600 \u2028\u2029 \u00e9 "quoted"'),
        ("integer-id-echoed", 2**31 + 7),
    ):
        with t.check(name, responses) as c:
            session = await sessions.get()
            mark = len(session.received)
            await session.send({"jsonrpc": "2.0", "id": request_id, "method": "ping"})
            answer = await session.wait_for(
                answer_to(request_id, strict=False),
                after=mark,
                what=f"response to ping with id {request_id!r}",
            )
            c.expect(
                same_id(answer.get("id"), request_id),
                f"the response must carry the request's id with its JSON type: sent {request_id!r}, "
                f"got {answer.get('id')!r}",
                answer,
            )
    bad_ids: list[tuple[str, str, Any]] = [
        ("null-id-refused", "a request with a null id", None),
        ("boolean-id-refused", "a request with a boolean id", True),
        ("fractional-id-refused", "a request with a fractional id", 1.5),
    ]
    for name, what, bad_id in bad_ids:
        with t.should(name, requests) as c:
            outcome = await provoke(await sessions.get(), {"jsonrpc": "2.0", "id": bad_id, "method": "ping"})
            if not outcome.alive:
                sessions.spoil()
            expect_refused(c, outcome, what, (-32600,), bad_id)
    with t.should("duplicate-id-answered", requests) as c:
        # The client breaks a MUST here; the server is only expected to keep going.
        session = await sessions.get()
        first = await session.request("ping", id="reused-id")
        c.expect(first.result == {}, "the first ping was not answered with an empty result", first.message)
        outcome = await provoke(session, {"jsonrpc": "2.0", "id": "reused-id", "method": "ping"})
        expect_alive(c, outcome, "a reused request id")
        again = [a for a in outcome.answers if a.get("id") == "reused-id"]
        c.expect(
            again, "a request reusing an id got no answer at all (a result or an error)", outcome.answers
        )
    sessions.done()


# -- notifications and stray responses ----------------------------------------------------------


def _stray(outcome_answers: list[dict[str, Any]], refused_bodies: list[bytes]) -> list[dict[str, Any]]:
    """Answers that are not the id-less errors an HTTP server may put in a 4xx body."""
    allowed = []
    for body in refused_bodies:
        try:
            allowed.append(orjson.loads(body))
        except orjson.JSONDecodeError:
            pass
    return [a for a in outcome_answers if a not in allowed]


@server_scenario("jsonrpc-notifications", "notifications, known or not, are never answered")
async def notifications(t: ServerTest) -> None:
    session = await t.session()
    section = NOTIFICATION if t.revision == "2024-11-05" else messages_section(t.revision, "notifications")
    with t.check("no-response-to-notifications", section) as c:
        mark = len(session.received)
        infos = [
            await session.notify(
                "notifications/cancelled", {"requestId": "never-sent", "reason": "conformance"}
            ),
            await session.notify("notifications/mcp-conformance/unknown", {"probe": True}),
        ]
        pong = await session.request("ping")
        await session.collect(GRACE)
        # Over HTTP a server that cannot accept a notification answers with an HTTP error whose
        # body may be an error without id (basic/transports): that is not a JSON-RPC response.
        refused = [info.body for info in infos if info is not None and info.status >= 400]
        answers = [m for m in session.received[mark:] if is_response(m) and m is not pong.message]
        stray = _stray(answers, refused)
        c.expect(not stray, "a notification was answered: the receiver must not respond", stray[:2])
    with t.should("notification-with-id", messages_section(t.revision, "notifications")) as c:
        # A "notification" with an id is a request in JSON-RPC's terms: there is no such request.
        outcome = await provoke(
            session,
            {"jsonrpc": "2.0", "id": 7700, "method": "notifications/cancelled", "params": {"requestId": 1}},
        )
        expect_alive(c, outcome, "a notification carrying an id")
        results = [r for r in outcome.results() if same_id(r.get("id"), 7700)]
        c.expect(
            not results, "a notification method called as a request should be refused, not succeed", results
        )
    exempt_from_schema(session)


@server_scenario("jsonrpc-unknown-response", "a response to a request never sent is ignored")
async def unknown_response(t: ServerTest) -> None:
    session = await t.session()
    with t.should("unknown-response-ignored", "basic/utilities/cancellation#behavior-requirements") as c:
        mark = len(session.received)
        infos = [
            await session.send({"jsonrpc": "2.0", "id": "never-sent-by-the-server", "result": {}}),
            await session.send(
                {"jsonrpc": "2.0", "id": 987654321, "error": {"code": -32603, "message": "conformance probe"}}
            ),
        ]
        pong = await session.request("ping")
        c.expect(
            pong.result == {},
            "after responses to unknown ids the server no longer answers ping",
            pong.message,
        )
        await session.collect(GRACE)
        refused = [info.body for info in infos if info is not None and info.status >= 400]
        answers = [m for m in session.received[mark:] if is_response(m) and m is not pong.message]
        stray = _stray(answers, refused)
        c.expect(not stray, "a response to an unknown id was answered; it should be ignored", stray[:2])
    exempt_from_schema(session)


# -- batches --------------------------------------------------------------------------------------


def _arrived_as_array(t: ServerTest, ids: list[str]) -> bool:
    """Whether the answers came in one JSON array. The session flattens what it receives, so
    the framing is read back from the trace, where each arrival is one entry."""
    return any(entry.startswith("<- [") and all(i in entry for i in ids) for entry in t.trace)


@server_scenario(
    "jsonrpc-batch",
    "2025-03-26: a batch of requests gets every response; notifications alone get none",
    revisions=["2025-03-26"],
)
async def batch(t: ServerTest) -> None:
    session = await t.session()
    ids = ["batched-ping-a", "batched-ping-b"]
    answered = False
    with t.check("batch-of-requests", "basic#batching") as c:
        mark = len(session.received)
        await session.send(
            [
                {"jsonrpc": "2.0", "id": ids[0], "method": "ping"},
                {
                    "jsonrpc": "2.0",
                    "method": "notifications/cancelled",
                    "params": {"requestId": "never-sent"},
                },
                {"jsonrpc": "2.0", "id": ids[1], "method": "ping"},
            ]
        )
        for request_id in ids:
            await session.wait_for(
                answer_to(request_id),
                after=mark,
                what=f"response to the batched ping {request_id!r} (servers must receive batches)",
            )
        answered = True
    if answered:
        with t.should("batch-response-array", BATCH) as c:
            c.expect(_arrived_as_array(t, ids), "the responses to a batch should come back as one array")
    else:
        t.skip("batch-response-array", BATCH, "the batch was not answered (see batch-of-requests)")
    # The MUST is MCP's own ("MUST support receiving JSON-RPC batches", 2025-03-26 only).
    with t.check("batch-of-notifications", "basic#batching") as c:
        mark = len(session.received)
        # The session flattens arrays, so an empty one leaves an entry in the trace, nothing else.
        empties = t.trace.count("<- []")
        info = await session.send(
            [
                {
                    "jsonrpc": "2.0",
                    "method": "notifications/cancelled",
                    "params": {"requestId": "never-sent-1"},
                },
                {
                    "jsonrpc": "2.0",
                    "method": "notifications/cancelled",
                    "params": {"requestId": "never-sent-2"},
                },
            ]
        )
        if info is not None:
            # basic/transports: input of notifications only is accepted with 202 and no body.
            c.expect(
                info.status == 202 and not info.body,
                f"a POST of notifications only must be accepted with 202 and no body, not {info}",
                info.body[:300].decode("utf-8", "replace"),
            )
        pong = await session.request("ping")
        await session.collect(GRACE)
        stray = [m for m in session.received[mark:] if is_response(m) and m is not pong.message]
        c.expect(not stray, "a batch of notifications alone must get no response", stray)
        c.expect(t.trace.count("<- []") == empties, "a batch of notifications alone was answered with []", [])
    with t.should("empty-batch", BATCH) as c:
        outcome = await provoke(session, [])
        expect_refused(c, outcome, "an empty batch", (-32600,))
    exempt_from_schema(session)


@server_scenario(
    "jsonrpc-batch-refused",
    "from 2025-06-18 batches are gone: a batch should be refused",
    revisions=["2025-06-18", "2025-11-25"],
)
async def batch_refused(t: ServerTest) -> None:
    session = await t.session()
    with t.should("batch-refused", "basic#messages") as c:
        outcome = await provoke(
            session,
            [
                {"jsonrpc": "2.0", "id": "batched-1", "method": "ping"},
                {"jsonrpc": "2.0", "id": "batched-2", "method": "ping"},
            ],
        )
        expect_alive(c, outcome, "a batch")
        processed = [r for r in outcome.results() if r.get("id") in ("batched-1", "batched-2")]
        c.expect(not processed, "a batch was processed although this revision has no batches", processed)
        c.expect(
            outcome.errors() or outcome.http_refused,
            "a batch got no error: the client cannot tell it was dropped (JSON-RPC answers -32600)",
            outcome.answers or (str(outcome.http) if outcome.http else None),
        )
    exempt_from_schema(session)


# -- string round trips ---------------------------------------------------------------------------


async def find_echo_tool(session: Session) -> tuple[str, str] | None:
    """A tool that looks like an echo: named like one, with one string argument it needs."""
    if "tools" not in session.server_capabilities:
        return None
    tools: list[dict[str, Any]] = []
    cursor: Any = None
    for _ in range(MAX_PAGES):
        reply = await session.request("tools/list", {"cursor": cursor} if isinstance(cursor, str) else None)
        result = reply.result or {}
        listed = result.get("tools")
        if isinstance(listed, list):
            tools.extend(tool for tool in listed if isinstance(tool, dict))
        cursor = result.get("nextCursor")
        if not isinstance(cursor, str) or not cursor:
            break
    named = sorted(
        (tool for tool in tools if "echo" in str(tool.get("name", "")).lower()),
        key=lambda tool: (tool.get("name") != "echo", str(tool.get("name"))),
    )
    for tool in named:
        schema = tool.get("inputSchema")
        props = schema.get("properties") if isinstance(schema, dict) else None
        if not isinstance(props, dict):
            continue
        strings = [
            key for key, prop in props.items() if isinstance(prop, dict) and prop.get("type") == "string"
        ]
        required = schema.get("required") if isinstance(schema, dict) else None
        needed = set(required) if isinstance(required, list) else set()
        preferred = [key for key in ("message", "text", "value", "input") if key in strings]
        argument = preferred[0] if preferred else (strings[0] if len(strings) == 1 else None)
        if argument is not None and needed <= {argument}:
            return str(tool["name"]), argument
    return None


def _texts(result: dict[str, Any]) -> list[str]:
    texts = [
        block["text"]
        for block in result.get("content", [])
        if isinstance(block, dict) and isinstance(block.get("text"), str)
    ]
    if "structuredContent" in result:
        texts.append(orjson.dumps(result["structuredContent"]).decode())
    return texts


@server_scenario("jsonrpc-string-round-trip", "Unicode and a 1 MiB string survive an echo tool unchanged")
async def string_round_trip(t: ServerTest) -> None:
    session = await t.session()
    section = messages_section(t.revision, "requests")
    echo = await find_echo_tool(session)
    if echo is None:
        reason = "the server has no echo-like tool (a tool named *echo* taking one string)"
        t.skip("unicode-string", section, reason)
        t.skip("large-string", section, reason)
        return
    name, argument = echo
    for check, payload in (
        ("unicode-string", UNICODE_TEXT),
        ("large-string", "large message " + "\u00e9x\U0001f600" * (LARGE // 4)),
    ):
        with t.should(check, section) as c:
            reply = await session.request("tools/call", {"name": name, "arguments": {argument: payload}})
            c.expect(reply.result is not None, f"{name} failed on this string", reply.message)
            result = reply.result or {}
            c.expect(not result.get("isError"), f"{name} reported an error for this string", reply.message)
            found = any(payload in text for text in _texts(result))
            c.expect(found, f"{name} did not give the string back unchanged ({len(payload)} characters sent)")
