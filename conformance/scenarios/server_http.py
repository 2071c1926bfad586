"""Server scenarios for the Streamable HTTP transport: the HTTP side of every exchange.

They apply from 2025-03-26, the revision that introduced Streamable HTTP. 2024-11-05 defines a
different transport (HTTP+SSE: a GET stream announcing a separate POST endpoint), so a server
that negotiates 2024-11-05 through a Streamable HTTP endpoint is running the newer transport
under the older protocol: the lifecycle and feature scenarios still run at 2024-11-05, but
none of these, since that revision states no rule for this transport to hold the server to.

Fairness, rule by rule (the section each check cites is the transports page of the revision
under test):

* MUST (backed by MUST text): 202 with no body for an accepted notification or response; an
  answer to a request as ``application/json`` or ``text/event-stream``; GET answered with an
  event stream or 405; no JSON-RPC response on the GET stream; a session id of visible ASCII;
  404 for a session the server ended (after a DELETE it accepted); 400 for an invalid or
  unsupported ``MCP-Protocol-Version`` (2025-06-18 on); a foreign ``Origin`` refused (403 from
  2025-11-25, which names the status; a 4xx before); SSE event ids unique within a session; a
  resumed stream replays nothing of another stream.
* SHOULD (recommended, or the spec is silent on the server's side and HTTP's own conventions
  fill in): 406 for an ``Accept`` that allows neither type, no event stream to a client that
  accepts only JSON, 4xx for a body that is not ``application/json``, 400 for a request without
  the session id, 404 for a session id never issued (the spec pins 404 for *ended* sessions
  only), a DELETE answered with 2xx or 405, a request without ``MCP-Protocol-Version`` accepted,
  a foreign ``Host`` refused and the server's own origin accepted on loopback (DNS rebinding:
  the spec names only ``Origin``), the priming event (2025-11-25), a ``retry`` before the
  server closes a stream's connection, the response eventually on the stream, the stream ended
  after it, progress on a POST stream tied to that request, a resumed stream replaying the events
  after the given id.

Features the spec leaves optional are skipped, never failed, when a server does not offer them:
sessions (no ``Mcp-Session-Id`` issued), event streams (every answer a JSON body), event ids
and resumption, server-to-client requests (only with a conventional fixture tool, or a server
that asks for roots on its own).
"""

from __future__ import annotations

import contextlib
import itertools
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import anyio
import orjson

from conformance._model import server_scenario
from conformance._peer import DEFAULT_HANDLERS, HttpChannel, HttpInfo, PeerError, Session
from conformance._runner import ServerTest
from mcpcore.framing import FrameTooLarge, SSEDecoder
from transports.http._pool import HttpError

TRANSPORTS = "basic/transports"
SECURITY = f"{TRANSPORTS}#security-warning"
POST_RULES = f"{TRANSPORTS}#sending-messages-to-the-server"
GET_RULES = f"{TRANSPORTS}#listening-for-messages-from-the-server"
RESUMING = f"{TRANSPORTS}#resumability-and-redelivery"
SESSIONS = f"{TRANSPORTS}#session-management"
VERSION_HEADER = f"{TRANSPORTS}#protocol-version-header"

STREAMABLE = ("2025-03-26", "2025-06-18", "2025-11-25")
WITH_VERSION_HEADER = ("2025-06-18", "2025-11-25")

JSON = "application/json"
SSE = "text/event-stream"
EVIL_ORIGIN = "http://evil.example"
EVIL_HOST = "evil.example"
UNKNOWN_SESSION = "mcp-conformance-unknown-session-0000"
PROGRESS_PREFIX = "mcp-conformance-progress-"
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})
_GRACE = 2.0  # seconds a stream is given to end after the response it carried
_GET_WINDOW = 1.0  # seconds a GET stream is read when nothing in particular is awaited
_MAX_RESUMES = 5  # reconnections to one polled stream before giving up on it
_ids = itertools.count(1)


# == raw exchanges =============================================================================


@dataclass(slots=True)
class Exchange:
    """One HTTP request made by a scenario, with what came back, read as far as it needed."""

    info: HttpInfo
    messages: list[Any] = field(default_factory=list)  # JSON of the body, or of each event's data
    ended: bool = False  # the server ended the body (rather than the suite stopping to read)
    broken: list[str] = field(default_factory=list)  # bodies or event data that are not JSON
    retry: int | None = None  # the last ``retry`` field of the stream

    @property
    def status(self) -> int:
        return self.info.status

    @property
    def events(self) -> list[dict[str, Any]]:
        return self.info.events

    @property
    def is_stream(self) -> bool:
        return self.info.status == 200 and self.info.content_type == SSE

    def answer(self, request_id: Any) -> dict[str, Any] | None:
        for message in self.messages:
            if (
                isinstance(message, dict)
                and _is_response(message)
                and _same_id(message.get("id"), request_id)
            ):
                return message
        return None

    def summary(self) -> str:
        return f"{self.info}, {len(self.events)} events" if self.info.content_type == SSE else str(self.info)


def _same_id(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def _is_response(message: Any) -> bool:
    return (
        isinstance(message, dict) and "method" not in message and ("result" in message or "error" in message)
    )


def _request(method: str, params: dict[str, Any] | None = None) -> tuple[str, bytes]:
    request_id = f"mcp-conformance-{next(_ids)}"
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
    if params is not None:
        message["params"] = params
    return request_id, orjson.dumps(message)


def _initialize_body(revision: str) -> tuple[str, bytes]:
    return _request(
        "initialize",
        {
            "protocolVersion": revision,
            "capabilities": {},
            "clientInfo": {"name": "mcpcore-conformance", "version": "1.0.0"},
        },
    )


def _base_headers(t: ServerTest, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """What a client sends before it has a session (the user's own headers included)."""
    headers = {"content-type": JSON, "accept": f"{JSON}, {SSE}", **t.target.headers}
    headers.update(extra or {})
    return {name: value for name, value in headers.items() if value}


def _session_headers(session: Session, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """What a client sends within ``session``; an empty value in ``extra`` drops a header."""
    channel = session.channel
    assert isinstance(channel, HttpChannel)
    return channel.headers(extra)


async def exchange(
    t: ServerTest,
    method: str,
    *,
    body: bytes = b"",
    headers: Mapping[str, str],
    done: Callable[[Exchange], bool] | None = None,
    grace: float = _GRACE,
    limit: float | None = None,
) -> Exchange:
    """One raw HTTP request. A JSON body is read whole; an event stream is read until the
    server ends it, or ``limit`` seconds pass, or ``grace`` seconds after ``done`` holds."""
    limit = t.timeout if limit is None else limit
    t.trace.append(f"-> {method} {body[:300]!r} {dict(headers)}")
    try:
        response = await t.http.request(method, t.url, headers=dict(headers), body=body, read_timeout=limit)
    except HttpError as exc:
        raise PeerError(f"{method} {t.url} failed: {exc}") from None
    result = Exchange(HttpInfo(method, response.status, response.headers))
    try:
        if result.info.content_type == SSE:
            await _read_stream(result, response.iter_bytes(), done, grace, limit)
        else:
            with anyio.move_on_after(limit):
                result.info.body = await response.read()
                result.ended = True
            if result.info.body and result.info.content_type == JSON:
                try:
                    result.messages.append(orjson.loads(result.info.body))
                except orjson.JSONDecodeError:
                    result.broken.append(result.info.body[:200].decode("utf-8", "replace"))
    except HttpError as exc:
        result.ended = True  # the connection ended; for a stream, a cut is an end as well
        t.trace.append(f"   ({method}: the body broke off: {exc})")
    finally:
        with anyio.CancelScope(shield=True):
            await response.aclose()
    if result.messages and isinstance(result.messages[0], list):
        result.messages = list(result.messages[0])  # a batch of answers (2025-03-26)
    t.trace.append(f"<- {result.summary()} {result.info.body[:300]!r} {result.events[:6]}")
    return result


async def _read_stream(
    result: Exchange, chunks: Any, done: Callable[[Exchange], bool] | None, grace: float, limit: float
) -> None:
    decoder = SSEDecoder()
    with anyio.CancelScope(deadline=anyio.current_time() + limit) as scope:
        satisfied = False
        async for chunk in chunks:
            for event in decoder.feed(chunk):
                if isinstance(event, FrameTooLarge):
                    result.broken.append("an event too large to read")
                    continue
                record = {"id": event.id, "event": event.event, "data": event.data, "retry": decoder.retry}
                result.info.events.append(record)
                if event.data:
                    try:
                        message = orjson.loads(event.data)
                    except orjson.JSONDecodeError:
                        result.broken.append(event.data[:200])
                    else:
                        result.messages.extend(message if isinstance(message, list) else [message])
            result.retry = decoder.retry
            if not satisfied and done is not None and done(result):
                satisfied = True
                scope.deadline = min(scope.deadline, anyio.current_time() + grace)
        result.ended = True
    result.retry = decoder.retry


def _answered(request_id: Any) -> Callable[[Exchange], bool]:
    return lambda ex: ex.answer(request_id) is not None


async def post(
    t: ServerTest, session: Session | None, body: tuple[str, bytes], extra: Mapping[str, str] | None = None
) -> Exchange:
    """POST a request (in ``session``, or outside any) and read until its answer is in."""
    request_id, data = body
    headers = _session_headers(session, extra) if session is not None else _base_headers(t, extra)
    return await exchange(t, "POST", body=data, headers=headers, done=_answered(request_id))


async def _forget(t: ServerTest, ex: Exchange) -> None:
    """End a session a probe opened by accident (the server accepted what it should not)."""
    session_id = ex.info.header("mcp-session-id")
    if session_id is None or not 200 <= ex.status < 300:
        return
    with contextlib.suppress(PeerError):
        await exchange(t, "DELETE", headers=_base_headers(t, {"mcp-session-id": session_id}), limit=5.0)


async def _open_get(t: ServerTest, channel: HttpChannel) -> HttpInfo | None:
    """The session's GET stream (read on by the channel), or None if the server sent no answer."""
    with anyio.move_on_after(t.timeout):
        return await channel.open_get_stream()
    return None


async def _tool_names(session: Session) -> set[str]:
    if "tools" not in session.server_capabilities:
        return set()
    reply = await session.request("tools/list")
    tools = (reply.result or {}).get("tools", [])
    return {tool["name"] for tool in tools if isinstance(tool, dict) and isinstance(tool.get("name"), str)}


# == POST ======================================================================================


@server_scenario(
    "http-post-messages",
    "POST: 202 and no body for notifications and responses; requests answered as JSON or SSE",
    revisions=STREAMABLE,
    transports=("http",),
)
async def post_messages(t: ServerTest) -> None:
    session = await t.session(initialized=False)
    channel = session.channel
    assert isinstance(channel, HttpChannel)
    initialize_info = channel.exchanges[0]

    with t.check("notification-202", POST_RULES) as c:
        info = await session.notify("notifications/initialized")
        assert info is not None
        c.equal(info.status, 202, "an accepted notification is answered with 202 Accepted", info)
        c.expect(
            not info.body and not info.events, f"202 must come with no body, got {info.body[:200]!r}", info
        )

    with t.check("request-content-type", POST_RULES) as c:
        c.expect(
            initialize_info.content_type in (JSON, SSE),
            f"the answer to initialize came as {initialize_info.content_type or 'no content type'!r}, "
            f"neither {JSON} nor {SSE}",
            str(initialize_info),
        )
        ping_id, body = _request("ping")
        ex = await post(t, session, (ping_id, body))
        c.expect(200 <= ex.status < 300, f"ping was refused with HTTP {ex.status}", ex.info.body[:300])
        c.expect(
            ex.info.content_type in (JSON, SSE),
            f"the answer to ping came as {ex.info.content_type or 'no content type'!r}, "
            f"neither {JSON} nor {SSE}",
            str(ex.info),
        )
        c.expect(not ex.broken, f"the answer to ping is not JSON: {ex.broken[:1]}", ex.broken[:3])
        c.expect(
            ex.answer(ping_id) is not None, "the answer to ping was not in the HTTP response", ex.messages
        )

    await _response_202(t, session)


async def _response_202(t: ServerTest, session: Session) -> None:
    """A response POSTed to the server gets 202: provoke a request from the server (a fixture
    tool that samples or elicits, or roots asked for on a change), answer it ourselves."""
    answered: list[HttpInfo] = []
    done: set[Any] = set()

    def answering(method: str) -> Any:
        async def handler(params: dict[str, Any]) -> Any:
            request = next(
                (
                    r
                    for r in reversed(session.server_requests)
                    if r.get("method") == method and repr(r.get("id")) not in done
                ),
                None,
            )
            if request is None:
                return await DEFAULT_HANDLERS[method](params)
            done.add(repr(request.get("id")))
            result = await DEFAULT_HANDLERS[method](params)
            info = await session.send({"jsonrpc": "2.0", "id": request["id"], "result": result})
            if info is not None:
                answered.append(info)
            await anyio.sleep_forever()  # answered above: the session must not answer twice
            return None

        return handler

    for method in DEFAULT_HANDLERS:
        session.handlers[method] = answering(method)
    channel = session.channel
    assert isinstance(channel, HttpChannel)
    names = await _tool_names(session)
    with contextlib.suppress(PeerError):
        stream = await _open_get(t, channel)
        if stream is not None and stream.status == 200:
            await session.notify("notifications/roots/list_changed")
        if "test_sampling" in names:
            await session.request("tools/call", {"name": "test_sampling", "arguments": {"prompt": "Say hi"}})
        elif "test_elicitation" in names and t.revision >= "2025-06-18":
            await session.request("tools/call", {"name": "test_elicitation", "arguments": {"message": "Hi?"}})
        for _ in range(20):  # a second at most for a request the server sends on its own
            if answered:
                break
            await anyio.sleep(0.05)
    if not answered:
        t.skip(
            "response-202",
            POST_RULES,
            "the server sent no request to answer (a test_sampling or test_elicitation tool, or a roots/list "
            "on notifications/roots/list_changed, would provoke one)",
        )
        return
    with t.check("response-202", POST_RULES) as c:
        info = answered[0]
        c.equal(info.status, 202, "an accepted JSON-RPC response is answered with 202 Accepted", str(info))
        c.expect(
            not info.body and not info.events, f"202 must come with no body, got {info.body[:200]!r}", info
        )


# == media types ===============================================================================


@server_scenario(
    "http-media-types",
    "Accept and Content-Type of POST requests are honoured",
    revisions=STREAMABLE,
    transports=("http",),
)
async def media_types(t: ServerTest) -> None:
    session = await t.session()
    with t.should("accept-unacceptable", POST_RULES) as c:
        ex = await post(t, session, _request("ping"), {"accept": "text/html"})
        c.expect(
            400 <= ex.status < 500,
            f"a POST whose Accept allows neither {JSON} nor {SSE} should be refused (406 Not Acceptable), "
            f"got HTTP {ex.status}",
            ex.summary(),
        )
    with t.should("accept-json-only", POST_RULES) as c:
        ex = await post(t, session, _request("ping"), {"accept": JSON})
        c.expect(
            ex.status >= 400 or ex.info.content_type == JSON,
            f"a client that accepts only {JSON} should not get an event stream ({ex.summary()})",
            ex.events[:5],
        )
    with t.should("content-type-unsupported", POST_RULES) as c:
        ex = await post(t, session, _request("ping"), {"content-type": "text/plain"})
        c.expect(
            400 <= ex.status < 500,
            "a POST body declared text/plain should be refused (415 Unsupported Media Type), "
            f"got HTTP {ex.status}",
            ex.summary(),
        )


# == GET =======================================================================================


@server_scenario(
    "http-get-stream",
    "GET opens an event stream or gets 405; no responses travel on it",
    revisions=STREAMABLE,
    transports=("http",),
)
async def get_stream(t: ServerTest) -> None:
    session = await t.session()
    channel = session.channel
    assert isinstance(channel, HttpChannel)
    with t.check("get-sse-or-405", GET_RULES) as c:
        opened = await _open_get(t, channel)
        if opened is None:
            c.fail(f"no answer to GET within {t.timeout:g} s")
        assert opened is not None
        info = opened
        c.expect(
            info.status == 405 or (200 <= info.status < 300 and info.content_type == SSE),
            f"GET on the MCP endpoint must open a {SSE} stream or get 405 Method Not Allowed, "
            f"got HTTP {info.status} {info.content_type or '(no content type)'}",
            info.body[:300].decode("utf-8", "replace"),
        )
    if opened is None or info.status == 405 or info.content_type != SSE:
        t.skip("get-no-responses", GET_RULES, "the server offers no GET stream")
        return
    with t.check("get-no-responses", GET_RULES) as c:
        await session.request("ping")
        if "tools" in session.server_capabilities:
            await session.request("tools/list")
        await session.collect(0.5)
        responses = []
        for event in info.events:
            try:
                message = orjson.loads(event["data"]) if event["data"] else None
            except orjson.JSONDecodeError:
                continue
            items = message if isinstance(message, list) else [message]
            responses += [item for item in items if _is_response(item)]
        c.expect(
            not responses,
            "the server sent a JSON-RPC response on the GET stream, which carries only requests and "
            "notifications (unless resuming a stream)",
            responses[:3],
        )


# == sessions ==================================================================================


@server_scenario(
    "http-sessions",
    "session ids: visible ASCII, required once issued, 404 once ended, DELETE",
    revisions=STREAMABLE,
    transports=("http",),
)
async def sessions(t: ServerTest) -> None:
    session = await t.session()
    channel = session.channel
    assert isinstance(channel, HttpChannel)
    session_id = channel.session_id
    names = [
        "session-id-visible-ascii",
        "missing-session-id",
        "unknown-session-id",
        "delete-session",
        "deleted-session-404",
    ]
    if session_id is None:
        for name in names:
            t.skip(name, SESSIONS, "the server issued no Mcp-Session-Id: it does not use sessions")
        return
    with t.check("session-id-visible-ascii", SESSIONS) as c:
        bad = sorted({f"0x{ord(ch):02x}" for ch in session_id if not 0x21 <= ord(ch) <= 0x7E})
        c.expect(not bad, f"the session id holds characters outside 0x21-0x7E: {', '.join(bad)}", session_id)
    with t.should("missing-session-id", SESSIONS) as c:
        ex = await post(t, session, _request("ping"), {"mcp-session-id": ""})
        c.equal(
            ex.status, 400, "a request without the session id the server issued should get 400", ex.summary()
        )
    with t.should("unknown-session-id", SESSIONS) as c:
        ex = await post(t, session, _request("ping"), {"mcp-session-id": UNKNOWN_SESSION})
        c.equal(
            ex.status,
            404,
            "a session id the server never issued should get 404 (so the client starts a new session)",
            ex.summary(),
        )
    doomed = await t.session()
    doomed_id = (doomed.channel.session_id if isinstance(doomed.channel, HttpChannel) else None) or ""
    with t.should("delete-session", SESSIONS) as c:
        ex = await exchange(t, "DELETE", headers=_session_headers(doomed, {"content-type": ""}))
        c.expect(
            200 <= ex.status < 300 or ex.status == 405,
            "DELETE with the session id should end the session (2xx) or be refused with 405, "
            f"got HTTP {ex.status}",
            ex.summary(),
        )
    if not 200 <= ex.status < 300:
        t.skip(
            "deleted-session-404",
            SESSIONS,
            f"the server did not end the session on DELETE (HTTP {ex.status})",
        )
        return
    with t.check("deleted-session-404", SESSIONS) as c:
        after = await post(t, doomed, _request("ping"), {"mcp-session-id": doomed_id})
        c.equal(
            after.status,
            404,
            "a request in a session the server ended must get 404 Not Found",
            after.summary(),
        )


# == protocol version header ===================================================================


@server_scenario(
    "http-protocol-version",
    "MCP-Protocol-Version: 400 for an invalid or unsupported value",
    revisions=WITH_VERSION_HEADER,
    transports=("http",),
)
async def protocol_version(t: ServerTest) -> None:
    session = await t.session()
    for name, value in (("unsupported-version-400", "1999-01-01"), ("invalid-version-400", "not-a-version")):
        with t.check(name, VERSION_HEADER) as c:
            ex = await post(t, session, _request("ping"), {"mcp-protocol-version": value})
            c.equal(
                ex.status,
                400,
                f"a request with MCP-Protocol-Version: {value} must get 400 Bad Request",
                ex.summary(),
            )
    with t.should("missing-version-accepted", VERSION_HEADER) as c:
        request_id, body = _request("ping")
        ex = await post(t, session, (request_id, body), {"mcp-protocol-version": ""})
        c.expect(
            200 <= ex.status < 300 and ex.answer(request_id) is not None,
            "a request without MCP-Protocol-Version should be served (the server should assume the "
            f"negotiated version, or 2025-03-26), got {ex.summary()}",
            ex.info.body[:300],
        )


# == Origin and Host ===========================================================================


def _loopback_origin(url: str) -> str | None:
    parts = urllib.parse.urlsplit(url)
    if (parts.hostname or "").lower() not in _LOOPBACK:
        return None
    return f"{parts.scheme}://{parts.netloc}"


@server_scenario(
    "http-origin",
    "a foreign Origin (DNS rebinding) is refused; 403 from 2025-11-25",
    revisions=STREAMABLE,
    transports=("http",),
)
async def origin(t: ServerTest) -> None:
    plain = await post(t, None, _initialize_body(t.revision))
    await _forget(t, plain)
    names = ["invalid-origin-rejected", "local-origin-accepted", "foreign-host-rejected"]
    if t.revision >= "2025-11-25":
        names.insert(1, "invalid-origin-403")
    if not 200 <= plain.status < 300:
        for name in names:
            t.skip(
                name,
                SECURITY,
                f"a plain initialize was refused (HTTP {plain.status}): nothing to compare with",
            )
        return
    session = await t.session()
    probes: list[Exchange] = []
    with t.check("invalid-origin-rejected", SECURITY) as c:
        first = await post(t, None, _initialize_body(t.revision), {"origin": EVIL_ORIGIN})
        await _forget(t, first)
        probes.append(first)
        c.expect(
            400 <= first.status < 500,
            f"initialize with Origin: {EVIL_ORIGIN} was accepted (HTTP {first.status}); servers must "
            "validate Origin to stop DNS rebinding",
            first.summary(),
        )
        second = await post(t, session, _request("ping"), {"origin": EVIL_ORIGIN})
        probes.append(second)
        c.expect(
            400 <= second.status < 500,
            f"a request in a session with Origin: {EVIL_ORIGIN} was accepted (HTTP {second.status}); "
            "Origin must be validated on every request",
            second.summary(),
        )
    if t.revision >= "2025-11-25":
        with t.check("invalid-origin-403", SECURITY) as c:
            for probe in probes:
                c.equal(
                    probe.status,
                    403,
                    f"a request with Origin: {EVIL_ORIGIN} gets 403 Forbidden",
                    probe.summary(),
                )
    own = _loopback_origin(t.url)
    if own is None:
        for name in ("local-origin-accepted", "foreign-host-rejected"):
            t.skip(name, SECURITY, "the server is not on a loopback address: DNS rebinding does not apply")
        return
    with t.should("local-origin-accepted", SECURITY) as c:
        ex = await post(t, None, _initialize_body(t.revision), {"origin": own})
        await _forget(t, ex)
        c.expect(
            200 <= ex.status < 300,
            f"initialize with the server's own Origin ({own}) should be accepted, got HTTP {ex.status}",
            ex.summary(),
        )
    with t.should("foreign-host-rejected", SECURITY) as c:
        ex = await post(t, None, _initialize_body(t.revision), {"host": EVIL_HOST})
        await _forget(t, ex)
        c.expect(
            400 <= ex.status < 500,
            f"a loopback server answered a request for Host: {EVIL_HOST} (HTTP {ex.status}); a DNS-rebinding "
            "page reaches it under a foreign name, and only the Host shows it on requests without Origin",
            ex.summary(),
        )


# == SSE streams ===============================================================================


@dataclass(slots=True)
class _Streamed:
    """A POST request answered with an event stream, followed through any reconnections."""

    request_id: str
    token: str | None
    post: Exchange
    resumed: list[Exchange] = field(default_factory=list)

    @property
    def last(self) -> Exchange:
        return self.resumed[-1] if self.resumed else self.post

    def answer(self) -> dict[str, Any] | None:
        for ex in [self.post, *self.resumed]:
            found = ex.answer(self.request_id)
            if found is not None:
                return found
        return None


async def _streams(t: ServerTest, session: Session, count: int, names: set[str]) -> list[_Streamed]:
    """Requests that the server answers with event streams, if it ever does: the progress
    fixture (something to send before the answer) when there is one, else ping."""
    streamed: list[_Streamed] = []
    for n in range(count):
        token: str | None = None
        if "test_tool_with_progress" in names:
            token = f"{PROGRESS_PREFIX}{n + 1}"
            params = {"name": "test_tool_with_progress", "arguments": {}, "_meta": {"progressToken": token}}
            request_id, body = _request("tools/call", params)
        else:
            request_id, body = _request("ping")
        item = await _stream(t, session, request_id, body, token)
        if item is None:
            break
        streamed.append(item)
    return streamed


async def _stream(
    t: ServerTest, session: Session, request_id: str, body: bytes, token: str | None = None
) -> _Streamed | None:
    ex = await post(t, session, (request_id, body))
    if not ex.is_stream:
        return None
    item = _Streamed(request_id, token, ex)
    await _follow(t, session, item)
    return item


async def _follow(t: ServerTest, session: Session, item: _Streamed) -> None:
    """A stream whose connection the server closed before the answer (2025-11-25 polling):
    reconnect with Last-Event-ID, as a client must, until the answer comes (bounded)."""
    for _ in range(_MAX_RESUMES):
        last = item.last
        if item.answer() is not None or not last.ended:
            return
        ids = [event["id"] for event in last.events if event["id"]]
        if not ids:
            return
        if last.retry:
            await anyio.sleep(min(last.retry, 5_000) / 1000)
        headers = _session_headers(session, {"accept": SSE, "content-type": "", "last-event-id": ids[-1]})
        again = await exchange(t, "GET", headers=headers, done=_answered(item.request_id))
        item.resumed.append(again)
        if not again.is_stream:
            return


def _distinct_ids(events: list[dict[str, Any]]) -> list[str]:
    # The decoder gives every event the stream's last id; an event without an id of its own
    # repeats the one before, so only a change is a new id.
    out: list[str] = []
    previous = ""
    for event in events:
        if event["id"] and event["id"] != previous:
            out.append(event["id"])
        previous = event["id"]
    return out


@server_scenario(
    "http-sse-streams",
    "POST event streams: priming event, the answer on the stream, then the end of it",
    revisions=STREAMABLE,
    transports=("http",),
)
async def sse_streams(t: ServerTest) -> None:
    session = await t.session()
    names = await _tool_names(session)
    streamed = await _streams(t, session, 2, names)
    everything = list(streamed)
    if t.revision >= "2025-11-25" and "test_reconnection" in names:
        # The fixture closes its stream's connection mid-call: polling, and the retry before it.
        request_id, body = _request("tools/call", {"name": "test_reconnection", "arguments": {}})
        polled = await _stream(t, session, request_id, body)
        everything += [polled] if polled is not None else []
    checks = ["response-delivered", "stream-ends-after-response", "related-messages", "event-ids-unique"]
    if t.revision >= "2025-11-25":
        checks[:0] = ["priming-event", "retry-before-close"]
    if not everything:
        for name in checks:
            t.skip(
                name,
                POST_RULES,
                "the server answered every request with one JSON body, never an event stream",
            )
        return

    if t.revision >= "2025-11-25":
        with t.should("priming-event", POST_RULES) as c:
            for item in everything:
                first = item.post.events[0] if item.post.events else None
                c.expect(
                    first is not None and first["id"] and first["data"] == "",
                    "an event stream should open with an event that has an id and empty data (to prime "
                    f"reconnection), got {first!r}",
                    item.post.events[:3],
                )
        cut = [item for item in everything if item.post.ended and item.post.answer(item.request_id) is None]
        if not cut:
            t.skip("retry-before-close", POST_RULES, "the server kept every connection open until the answer")
        else:
            with t.should("retry-before-close", POST_RULES) as c:
                for item in cut:
                    c.expect(
                        item.post.retry is not None,
                        "the server closed a stream's connection before the answer without sending a retry "
                        "field first",
                        item.post.events[-3:],
                    )

    with t.should("response-delivered", POST_RULES) as c:
        for item in everything:
            c.expect(
                item.answer() is not None,
                f"the event stream of {item.request_id!r} (and {len(item.resumed)} resumption(s) of it) "
                "ended without the answer to the request",
                [ex.summary() for ex in [item.post, *item.resumed]],
            )
    answered = [item for item in everything if item.answer() is not None]
    with t.should("stream-ends-after-response", POST_RULES) as c:
        if not answered:
            c.skip("no answer came on a stream")
        for item in answered:
            c.expect(
                item.last.ended,
                f"the event stream was still open {_GRACE:g} s after it carried the answer; "
                "the server should end it",
                item.last.summary(),
            )

    progress = [
        (entry, message)
        for entry in streamed
        for ex in [entry.post, *entry.resumed]
        for message in ex.messages
        if isinstance(message, dict) and message.get("method") == "notifications/progress"
    ]
    if not progress:
        t.skip("related-messages", POST_RULES, "no progress notification came on a POST stream to relate")
    else:
        with t.should("related-messages", POST_RULES) as c:
            foreign = [
                message
                for entry, message in progress
                if (message.get("params") or {}).get("progressToken") != entry.token
            ]
            c.expect(
                not foreign,
                "a progress notification on a POST stream names another request's progress token; messages "
                "on that stream should relate to the request that opened it",
                foreign[:3],
            )

    ids_by_stream = [_distinct_ids(entry.post.events) for entry in everything]
    if not any(ids_by_stream):
        t.skip("event-ids-unique", RESUMING, "the server attaches no ids to its events")
        return
    with t.check("event-ids-unique", RESUMING) as c:
        seen: dict[str, int] = {}
        repeated: list[str] = []
        for number, ids in enumerate(ids_by_stream):
            for event_id in ids:
                if event_id in seen:
                    repeated.append(event_id)
                seen[event_id] = number
        c.expect(
            not repeated,
            f"event ids repeat within one session ({', '.join(repeated[:5])}); they must be unique across "
            "all its streams",
            ids_by_stream,
        )


# == resumption ================================================================================


def _data(ex: Exchange) -> list[str]:
    return [event["data"] for event in ex.events if event["data"]]


@server_scenario(
    "http-resumability",
    "GET with Last-Event-ID replays the rest of that stream, and of no other",
    revisions=STREAMABLE,
    transports=("http",),
)
async def resumability(t: ServerTest) -> None:
    session = await t.session()
    streamed = await _streams(t, session, 2, await _tool_names(session))
    names = ["resume-other-stream", "resume-after-id"]
    if len(streamed) < 2:
        for name in names:
            t.skip(name, RESUMING, "the server answered requests with JSON bodies, not event streams")
        return
    first, other = streamed
    events = first.post.events
    if first.resumed or not any(event["id"] for event in events):
        reason = (
            "the stream was already resumed by polling (http-sse-streams judges that)"
            if first.resumed
            else "the server attaches no ids to its events (resumption is optional)"
        )
        for name in names:
            t.skip(name, RESUMING, reason)
        return
    # The earliest id that has events after it: all of those should come back, and only them.
    # Failing that, the last id: then nothing should come back (and surely nothing of another
    # stream).
    with_id = [i for i, event in enumerate(events) if event["id"]]
    index = next((i for i in with_id if i < len(events) - 1), with_id[-1])
    last_id = events[index]["id"]
    after = [event["data"] for event in events[index + 1 :] if event["data"]]
    before = [event["data"] for event in events[: index + 1] if event["data"]]
    headers = _session_headers(session, {"accept": SSE, "content-type": "", "last-event-id": last_id})
    replay = await exchange(
        t,
        "GET",
        headers=headers,
        done=lambda ex: all(data in _data(ex) for data in after),
        grace=0.5,
        limit=t.timeout if after else _GET_WINDOW,
    )
    if not replay.is_stream:
        for name in names:
            t.skip(
                name,
                RESUMING,
                f"GET with Last-Event-ID got {replay.summary()}: "
                "the server does not resume streams (optional)",
            )
        return
    replayed = _data(replay)
    with t.check("resume-other-stream", RESUMING) as c:
        foreign_ids = {repr(other.request_id)}
        leaked: list[Any] = [
            message
            for message in replay.messages
            if isinstance(message, dict)
            and (
                repr(message.get("id")) in foreign_ids
                or (
                    other.token is not None
                    and (message.get("params") or {}).get("progressToken") == other.token
                )
            )
        ]
        leaked += [data for data in replayed if data in _data(other.post) and data not in after]
        c.expect(
            not leaked,
            "resuming one stream replayed messages of another stream, which the server must never do",
            leaked[:3],
        )
    with t.should("resume-after-id", RESUMING) as c:
        missing = [data for data in after if data not in replayed]
        repeated = [data for data in replayed if data in before and data not in after]
        c.expect(
            not missing,
            f"the replay after event {last_id!r} lacked events the stream had sent after it",
            missing[:3],
        )
        c.expect(
            not repeated,
            f"the replay after event {last_id!r} repeated events sent before it (up to and including it)",
            repeated[:3],
        )
