"""Server scenarios: logging, progress, cancellation and list-changed notifications.

These utilities are behaviour over time: a server is judged on what it sends *while* a request
runs and *after* it ends, so each scenario drives a tool known to log, report progress or take
its time, and watches the whole conversation.

Which tools. A conformance run must not do harm, and the spec names no tool, so the suite only
calls tools it knows by documented name (:class:`Fixture`): the official conformance suite's
fixtures (``test_tool_with_logging``, ``test_tool_with_progress``), the tools of the reference
``server-everything`` published by the MCP project (``trigger-long-running-operation``...), and
those of mcpcore's own example servers (``long_task``, ``slow``, ``test_slow``, ``test_list_changed``).
Each is called only when the server lists it and its ``inputSchema`` accepts the suite's
arguments; a server without any gets a skip, never a failure.

Levels (MUST checks cite MUST text or a required schema field of the revision under test):

* logging: a server that sends ``notifications/message`` must declare ``logging`` (MUST, the
  capabilities section); ``logging/setLevel`` must be answered (JSON-RPC answers every
  request) and should succeed for every level (SHOULD: the page defines the request but also
  lists configuration errors among its failures); an unknown level should get -32602 (SHOULD,
  error handling); after a level is set, messages below it should stop (SHOULD: only the
  message-flow diagram and the schema's description say so); every message's level must be
  one of the eight (MUST: the schema's enum);
* progress: notifications must carry the token of an active request (MUST), their ``progress``
  must increase (MUST), they must stop once the response is sent (MUST), and a request without
  a token must get none (MUST: no token was provided); ``progress`` not above ``total`` is only
  SHOULD (the page says nothing of it), and so is a fixture reporting progress at all (the
  receiver MAY send none);
* cancellation: a notification must not be answered (MUST, basic#notifications; JSON-RPC for
  2024-11-05), a cancellation that names an unknown or finished request must leave the server
  working (MUST: "handle these race conditions gracefully"), and the cancelled request should
  get no response (SHOULD); ``initialize`` must not be cancelled, a rule for clients only;
* list changed: a server declaring ``listChanged`` should send the notification when its list
  changes (SHOULD, each feature page); one not declaring it must not (MUST from 2025-06-18,
  SHOULD before: "only use capabilities that were successfully negotiated" was SHOULD in the
  first two revisions). Lists are changed only over stdio, where each session is a process of
  its own: over HTTP every session shares the server, and changing its lists would disturb the
  scenarios that run beside this one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio
import orjson

from conformance._model import JSONRPC_SPEC, Level, server_scenario
from conformance._peer import PeerError, Reply, Session
from conformance._runner import ServerTest
from conformance.scenarios.server_pagination import list_all
from mcpcore._jsonschema import Validator

__all__ = [
    "EVERYTHING",
    "LEVELS",
    "MCPCORE",
    "OFFICIAL",
    "SETTLE",
    "Fixture",
    "call_tool",
    "find_fixture",
    "gated_level",
    "is_notification",
    "is_response",
    "notification_section",
    "result_text",
    "same_id",
]

LOGGING = "server/utilities/logging"
PROGRESS = "basic/utilities/progress"
CANCELLATION = "basic/utilities/cancellation"
OPERATION = "basic/lifecycle#operation"

LEVELS: tuple[str, ...] = ("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency")
"""The syslog severities of the logging page, least severe first."""

SETTLE = 0.3
"""Seconds to keep listening after a response, for notifications that trail it."""

OFFICIAL = "a fixture of the official conformance suite"
EVERYTHING = "a tool of the MCP project's reference server-everything"
MCPCORE = "a tool of mcpcore's example servers"


# -- fixtures ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fixture:
    """A tool the suite knows how to drive: its name, the arguments to call it with, who
    documents it, how long it runs with those arguments (for slow tools), and how many
    notifications its documentation promises (log messages, progress updates)."""

    name: str
    arguments: Mapping[str, Any] = field(default_factory=dict)
    origin: str = OFFICIAL
    seconds: float = 0.0
    promises: int = 1

    def describe(self) -> str:
        return f"{self.name} ({self.origin})"


LOGGING_FIXTURES = (
    Fixture("test_tool_with_logging", {}, OFFICIAL, promises=3),
    Fixture("long_task", {"steps": 2}, MCPCORE),
)
PROGRESS_FIXTURES = (
    Fixture("test_tool_with_progress", {}, OFFICIAL, seconds=0.1, promises=3),
    Fixture("trigger-long-running-operation", {"duration": 0.3, "steps": 3}, EVERYTHING, 0.3, 3),
    Fixture("long_task", {"steps": 3}, MCPCORE, promises=3),
)
# Slow tools for cancellation, the longest-running first: the more time is left when the
# cancellation arrives, the less a late response can be the race the spec allows.
SLOW_FIXTURES = (
    Fixture("test_slow", {"seconds": 2}, MCPCORE, seconds=2.0),
    Fixture("slow", {"seconds": 2}, MCPCORE, seconds=2.0),
    Fixture("trigger-long-running-operation", {"duration": 2, "steps": 4}, EVERYTHING, seconds=2.0),
    Fixture("test_tool_with_progress", {}, OFFICIAL, seconds=0.1),
)
LIST_TRIGGER = Fixture("test_list_changed", {"kind": "tools"}, MCPCORE)
LIST_KINDS = ("tools", "resources", "prompts")


def _fits(schema: Any, arguments: Mapping[str, Any]) -> bool:
    """Whether the arguments satisfy the tool's input schema; a schema the suite's validator
    cannot read is given the benefit of the doubt."""
    if not isinstance(schema, dict):
        return True
    try:
        return Validator(schema).is_valid(dict(arguments))
    except Exception:  # a dialect or construct the suite's validator does not know
        return True


async def find_fixture(
    session: Session, fixtures: Sequence[Fixture], *, arguments: Mapping[str, Any] | None = None
) -> Fixture | None:
    """The first of ``fixtures`` the server lists whose schema accepts its arguments (or
    ``arguments``, when given), or None (also when the server declares no tools)."""
    if not isinstance(session.server_capabilities.get("tools"), dict):
        return None
    listing = await list_all(session, "tools/list")
    tools = {
        tool["name"]: tool
        for tool in listing.items
        if isinstance(tool, dict) and isinstance(tool.get("name"), str)
    }
    for fixture in fixtures:
        tool = tools.get(fixture.name)
        wanted = fixture.arguments if arguments is None else arguments
        if tool is not None and _fits(tool.get("inputSchema"), wanted):
            return fixture
    return None


async def call_tool(
    session: Session,
    fixture: Fixture,
    *,
    arguments: Mapping[str, Any] | None = None,
    meta: Mapping[str, Any] | None = None,
) -> Reply:
    """``tools/call`` of a fixture, waiting as long as it is documented to run, and more."""
    params: dict[str, Any] = {
        "name": fixture.name,
        "arguments": dict(fixture.arguments if arguments is None else arguments),
    }
    if meta is not None:
        params["_meta"] = dict(meta)
    return await session.request("tools/call", params, timeout=session.timeout + fixture.seconds)


# -- messages ------------------------------------------------------------------------------------


def same_id(a: Any, b: Any) -> bool:
    """JSON-RPC ids (and progress tokens) match by type and value: 1 and "1" differ."""
    return type(a) is type(b) and a == b


def is_notification(message: Any, method: str) -> bool:
    return isinstance(message, dict) and message.get("method") == method and "id" not in message


def _notification_of(method: str) -> Callable[[Any], bool]:
    return lambda message: is_notification(message, method)


def is_response(message: Any) -> bool:
    return (
        isinstance(message, dict) and "method" not in message and ("result" in message or "error" in message)
    )


def _params(message: Any) -> dict[str, Any]:
    params = message.get("params") if isinstance(message, dict) else None
    return params if isinstance(params, dict) else {}


def result_text(reply: Reply) -> str:
    """The whole result of a tool call as JSON text, to look for what the client answered."""
    return orjson.dumps(reply.result if reply.result is not None else reply.message).decode()


def gated_level(revision: str) -> Level:
    """The level of "only use capabilities that were successfully negotiated": SHOULD in the
    first two revisions, MUST from 2025-06-18."""
    return Level.MUST if revision >= "2025-06-18" else Level.SHOULD


def notification_section(revision: str) -> str:
    """Where the spec says a notification gets no response (JSON-RPC itself before MCP's
    base page said so, in 2025-03-26)."""
    return "basic#notifications" if revision >= "2025-03-26" else f"{JSONRPC_SPEC}#notification"


def _skip_all(t: ServerTest, names: Sequence[str], section: str, reason: str) -> None:
    for name in names:
        t.skip(name, section, reason)


async def _maybe(session: Session, predicate: Callable[[Any], bool], timeout: float, after: int) -> Any:
    """The first message from ``after`` on that satisfies ``predicate`` within ``timeout``
    seconds, or None; a server that died is left for the next request to report."""
    try:
        return await session.wait_for(predicate, timeout=timeout, after=after)
    except PeerError:
        return None


# -- logging -------------------------------------------------------------------------------------


def _logs(messages: Sequence[Any]) -> list[dict[str, Any]]:
    return [m for m in messages if is_notification(m, "notifications/message")]


def _level(message: dict[str, Any]) -> Any:
    return _params(message).get("level")


def _below(level: str) -> Callable[[dict[str, Any]], bool]:
    floor = LEVELS.index(level)
    return lambda m: _level(m) in LEVELS and LEVELS.index(_level(m)) < floor


LOGGING_CHECKS = (
    "setlevel-answered",
    "setlevel-accepted",
    "invalid-level-refused",
    "messages-sent",
    "level-filter",
)


@server_scenario("logging", "logging/setLevel is answered, and the level it sets holds back lesser messages")
async def logging(t: ServerTest) -> None:
    session = await t.session()
    fixture = await find_fixture(session, LOGGING_FIXTURES)
    if not isinstance(session.server_capabilities.get("logging"), dict):
        _skip_all(t, LOGGING_CHECKS, f"{LOGGING}#capabilities", "the server does not declare logging")
        if fixture is not None:
            await call_tool(session, fixture)
            await session.collect(SETTLE)
        sent = _logs(session.received)
        if fixture is None and not sent:
            t.skip(
                "capability-declared",
                f"{LOGGING}#capabilities",
                "the server declares no logging and offers no tool the suite knows to log",
            )
            return
        with t.check("capability-declared", f"{LOGGING}#capabilities") as c:
            c.expect(
                not sent,
                "the server sent notifications/message without declaring the logging capability",
                sent[0] if sent else None,
            )
        return

    with t.check("setlevel-answered", f"{JSONRPC_SPEC}#response_object") as c:
        first = await session.request("logging/setLevel", {"level": "emergency"})
        c.expect(first.message, "logging/setLevel got no JSON-RPC response", first.http and str(first.http))
    with t.should("setlevel-accepted", f"{LOGGING}#setting-log-level") as c:
        refused = {} if first.result is not None else {"emergency": first.message}
        for level in reversed(LEVELS[:-1]):  # ends at debug, where the fixture is heard best
            reply = await session.request("logging/setLevel", {"level": level})
            if reply.result is None:
                refused[level] = reply.message
        c.expect(
            not refused,
            f"logging/setLevel was refused for {', '.join(refused)}, though the server declares logging",
            next(iter(refused.values()), None),
        )
    with t.should("invalid-level-refused", f"{LOGGING}#error-handling") as c:
        reply = await session.request("logging/setLevel", {"level": "conformance-no-such-level"})
        c.expect(
            reply.refused, "an unknown log level was accepted instead of refused with -32602", reply.message
        )
        if reply.error is not None:
            c.equal(reply.error_code, -32602, "the error code for an unknown log level")
    await session.request("logging/setLevel", {"level": "debug"})  # in case the bad one stuck

    if fixture is None:
        _skip_all(
            t,
            ("messages-sent", "level-filter"),
            f"{LOGGING}#log-message-notifications",
            "the server offers no tool the suite knows to log (such as test_tool_with_logging)",
        )
    else:
        mark = len(session.received)
        reply = await call_tool(session, fixture)
        await session.collect(SETTLE)
        heard = _logs(session.received[mark:])
        with t.should("messages-sent", f"{LOGGING}#log-message-notifications") as c:
            c.expect(
                len(heard) >= fixture.promises,
                f"{fixture.describe()} sent {len(heard)} log messages at level debug; "
                f"its description promises {fixture.promises}",
                reply.message,
            )
        limit = await session.request("logging/setLevel", {"level": "error"})
        mark = len(session.received)
        await call_tool(session, fixture)
        await session.collect(SETTLE)
        with t.should("level-filter", f"{LOGGING}#message-flow") as c:
            if not heard:
                c.skip("the tool sent no log messages even at debug: there is nothing to filter")
            if limit.result is None:
                c.skip("logging/setLevel error was refused")
            below = [m for m in _logs(session.received[mark:]) if _below("error")(m)]
            c.expect(
                not below,
                f"{len(below)} log messages below error arrived after logging/setLevel error",
                below[0] if below else None,
            )

    every = _logs(session.received)
    with t.check("message-level-valid", f"{LOGGING}#log-levels") as c:
        if not every:
            c.skip("the server sent no log messages")
        bad = [m for m in every if _level(m) not in LEVELS]
        c.expect(not bad, f"a log message's level is not one of {', '.join(LEVELS)}", bad[0] if bad else None)


# -- progress ------------------------------------------------------------------------------------


def _progress(messages: Sequence[Any]) -> list[dict[str, Any]]:
    return [m for m in messages if is_notification(m, "notifications/progress")]


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass(slots=True)
class _Run:
    """One call with a progress token: what arrived before its response, and after."""

    token: Any
    reply: Reply
    before: list[dict[str, Any]]
    after: list[dict[str, Any]]

    def mine(self) -> list[dict[str, Any]]:
        return [m for m in self.before if same_id(_params(m).get("progressToken"), self.token)]


async def _run_with_token(session: Session, fixture: Fixture, token: Any) -> _Run:
    mark = len(session.received)
    reply = await call_tool(session, fixture, meta={"progressToken": token})
    answer = next(
        (i for i in range(mark, len(session.received)) if session.received[i] is reply.message),
        len(session.received),
    )
    await session.collect(SETTLE)
    before = _progress(session.received[mark:answer])
    after = _progress(session.received[answer + 1 :])
    return _Run(token, reply, before, after)


PROGRESS_CHECKS = (
    "progress-reported",
    "token-echoed",
    "progress-increases",
    "progress-within-total",
    "stops-after-completion",
    "no-token-no-progress",
)


@server_scenario("progress", "progress notifications carry the request's token, increase, and end with it")
async def progress(t: ServerTest) -> None:
    session = await t.session()
    fixture = await find_fixture(session, PROGRESS_FIXTURES)
    if fixture is None:
        _skip_all(
            t,
            PROGRESS_CHECKS,
            f"{PROGRESS}#progress-flow",
            "the server offers no tool the suite knows to report progress (such as test_tool_with_progress)",
        )
        return
    # A string token and an integer one: both kinds the spec allows, echoed with their type.
    runs = [
        await _run_with_token(session, fixture, f"conformance-progress-{t.revision}"),
        await _run_with_token(session, fixture, 20251125),
    ]

    with t.should("progress-reported", f"{PROGRESS}#progress-flow") as c:
        counts = [len(run.mine()) for run in runs]
        c.expect(
            min(counts) >= fixture.promises,
            f"{fixture.describe()} sent {' and '.join(map(str, counts))} progress notifications for "
            f"the two calls; its description promises {fixture.promises}",
            runs[0].reply.message,
        )
    with t.check("token-echoed", f"{PROGRESS}#behavior-requirements") as c:
        for run in runs:
            stray = [m for m in run.before if m not in run.mine()]
            c.expect(
                not stray,
                f"a progress notification names a token other than {run.token!r}, the only one "
                "provided in an active request",
                stray[0] if stray else None,
            )
    with t.check("progress-increases", f"{PROGRESS}#progress-flow") as c:
        for run in runs:
            steps = [(m, _params(m)["progress"]) for m in run.mine() if _number(_params(m).get("progress"))]
            bad = next((i for i in range(1, len(steps)) if steps[i][1] <= steps[i - 1][1]), None)
            c.expect(
                bad is None,
                f"progress must increase with each notification, but went {[v for _, v in steps]} "
                f"for token {run.token!r}",
                steps[bad][0] if bad is not None else None,
            )
    with t.should("progress-within-total", f"{PROGRESS}#progress-flow") as c:
        over = [
            m
            for run in runs
            for m in run.mine()
            if _number(_params(m).get("total"))
            and _number(_params(m).get("progress"))
            and _params(m)["progress"] > _params(m)["total"]
        ]
        c.expect(
            not over,
            "a progress notification reports more progress than its total",
            over[0] if over else None,
        )
    with t.check("stops-after-completion", f"{PROGRESS}#implementation-notes") as c:
        late = [m for run in runs for m in run.after]
        c.expect(
            not late,
            "progress notifications arrived after the response to their request",
            late[0] if late else None,
        )

    mark = len(session.received)
    await call_tool(session, fixture)
    await session.collect(SETTLE)
    with t.check("no-token-no-progress", f"{PROGRESS}#behavior-requirements") as c:
        stray = _progress(session.received[mark:])
        c.expect(
            not stray,
            "the server sent progress for a request that carried no progress token; notifications "
            "may only name tokens provided in an active request",
            stray[0] if stray else None,
        )


# -- cancellation --------------------------------------------------------------------------------


async def _send_quietly(session: Session, message: dict[str, Any]) -> None:
    # Over HTTP a server answering in JSON holds the POST until it is done: the send has to
    # run on its own while the cancellation goes out on another request.
    with contextlib.suppress(PeerError):
        await session.send(message)


def _answers(request_id: Any) -> Callable[[Any], bool]:
    return lambda m: is_response(m) and same_id(m.get("id"), request_id)


@server_scenario("cancellation", "cancelled requests stop, and stray cancellations are ignored")
async def cancellation(t: ServerTest) -> None:
    session = await t.session()

    # Cancellations that name no request in progress: one never issued, one already answered.
    mark = len(session.received)
    statuses: list[int] = []
    info = await session.notify(
        "notifications/cancelled",
        {"requestId": "conformance-never-issued", "reason": "the conformance suite names no request"},
    )
    statuses += [] if info is None else [info.status]
    done = await session.request("ping")
    info = await session.notify(
        "notifications/cancelled",
        {"requestId": done.message.get("id"), "reason": "the conformance suite cancels a finished request"},
    )
    statuses += [] if info is None else [info.status]
    with t.check("stale-cancel-ignored", f"{CANCELLATION}#timing-considerations") as c:
        pong = await session.request("ping")
        c.expect(
            pong.result == {},
            "after cancellations of unknown and finished requests the server must go on answering",
            pong.message,
        )
    ours = {id(done.message), id(pong.message)}
    if t.transport == "stdio":
        with t.check("no-reply-to-cancel", notification_section(t.revision)) as c:
            replies = [m for m in session.received[mark:] if is_response(m) and id(m) not in ours]
            c.expect(
                not replies, "the server answered notifications/cancelled", replies[0] if replies else None
            )
    else:
        # Streamable HTTP lets a server refuse a notification with an error status (and a
        # JSON-RPC error body); refusing a cancellation is not ignoring it, which is SHOULD.
        with t.should("no-reply-to-cancel", f"{CANCELLATION}#error-handling") as c:
            c.expect(
                all(status == 202 for status in statuses),
                f"cancellations of unknown and finished requests should be ignored (202), not {statuses}",
            )

    fixture = await find_fixture(session, SLOW_FIXTURES)
    if fixture is None:
        _skip_all(
            t,
            ("no-response-after-cancel", "alive-after-cancel"),
            f"{CANCELLATION}#behavior-requirements",
            "the server offers no slow tool the suite knows (such as test_tool_with_progress)",
        )
        return
    request_id = f"conformance-cancel-{t.revision}"
    token = f"conformance-cancel-progress-{t.revision}"
    call = {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "tools/call",
        "params": {
            "name": fixture.name,
            "arguments": dict(fixture.arguments),
            "_meta": {"progressToken": token},
        },
    }
    mark = len(session.received)
    started = anyio.current_time()
    async with anyio.create_task_group() as tg:
        tg.start_soon(_send_quietly, session, call)
        # The call is surely running once it reports progress; a tool that reports none is
        # given a moment, its documentation saying it takes longer.
        await _maybe(
            session,
            lambda m: (
                _answers(request_id)(m)
                or (
                    is_notification(m, "notifications/progress")
                    and same_id(_params(m).get("progressToken"), token)
                )
            ),
            min(fixture.seconds, 1.0) + t.timeout / 2,
            mark,
        )
        finished = any(_answers(request_id)(m) for m in session.received[mark:])
        cancelled_at = len(session.received)
        await session.notify(
            "notifications/cancelled",
            {"requestId": request_id, "reason": "the conformance suite cancels this call"},
        )
        with t.check("alive-after-cancel", f"{CANCELLATION}#timing-considerations") as c:
            pong = await session.request("ping")
            c.expect(pong.result == {}, "after a cancellation the server must go on answering", pong.message)
        with t.should("no-response-after-cancel", f"{CANCELLATION}#behavior-requirements") as c:
            if finished:
                c.skip(f"{fixture.name} answered before the suite could cancel it")
            # Long enough for a server that ignored the cancellation to finish the call.
            remaining = started + fixture.seconds + 0.5 - anyio.current_time()
            late = await _maybe(session, _answers(request_id), max(remaining, 0.5), cancelled_at)
            c.expect(
                late is None,
                f"the server answered {fixture.name} after it was cancelled (receivers should not); "
                "only a call that ended before the cancellation arrived may still be answered",
                late,
            )
        tg.cancel_scope.cancel()


# -- list changed --------------------------------------------------------------------------------


@server_scenario("list-changed", "list-changed notifications come when declared, and only then")
async def list_changed(t: ServerTest) -> None:
    sections = {kind: f"server/{kind}#list-changed-notification" for kind in LIST_KINDS}
    if t.transport == "http":
        for kind in LIST_KINDS:
            t.skip(
                f"{kind}-list-changed",
                sections[kind],
                "over HTTP every session shares the server's lists; changing them would disturb "
                "the scenarios running beside this one (run over stdio to check list changes)",
            )
        return
    session = await t.session()
    for kind in LIST_KINDS:
        capability = session.server_capabilities.get(kind)
        declared = isinstance(capability, dict) and capability.get("listChanged") is True
        arguments = {"kind": kind}
        trigger = await find_fixture(session, (LIST_TRIGGER,), arguments=arguments)
        if trigger is None:
            t.skip(
                f"{kind}-list-changed",
                sections[kind],
                f"the server offers no tool the suite knows to change its {kind} list "
                "(such as test_list_changed)",
            )
            continue
        method = f"notifications/{kind}/list_changed"
        mark = len(session.received)
        reply = await call_tool(session, trigger, arguments=arguments)
        note = await _maybe(session, _notification_of(method), 1.0, mark)
        await call_tool(session, trigger, arguments=arguments)  # and back, as the server was
        if declared:
            with t.should(f"{kind}-list-changed", sections[kind]) as c:
                c.expect(
                    note is not None,
                    f"the server declares {kind}.listChanged, yet changing the list with {trigger.name} "
                    f"sent no {method}",
                    reply.message,
                )
        else:
            with t.check(f"{kind}-list-changed", OPERATION, level=gated_level(t.revision)) as c:
                c.expect(note is None, f"the server sent {method} without declaring {kind}.listChanged", note)
