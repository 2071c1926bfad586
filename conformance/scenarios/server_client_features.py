"""Server scenarios: the requests a server sends its client (sampling, elicitation, roots).

A server asks its client for a model's completion (``sampling/createMessage``), for the user's
input (``elicitation/create``, in form mode from 2025-06-18 and also in URL mode from
2025-11-25) or for the client's roots (``roots/list``). The suite plays the client: its
handlers answer every such request with values of its own making, so that the tool's result
can be searched for them, and it records the request for judging. Then it connects again
*without* the capability and calls the same tool: a server must not ask a client for what the
client did not offer.

Which tools are called: see :mod:`conformance.scenarios.server_utilities` (documented fixture
names only, arguments checked against the tool's schema, a skip when none is there). The
elicitation checks of SEP-1034 (defaults) and SEP-1330 (enum shapes) use the official suite's
fixtures ``test_elicitation_sep1034_defaults`` and ``test_elicitation_sep1330_enums``.

Levels:

* a request must be well formed for the revision (MUST: the schema's required fields; the
  form of a ``requestedSchema`` is the schema's ``PrimitiveSchemaDefinition``: flat, primitive
  properties, multi-select arrays only from 2025-11-25); consistency the schema cannot express
  (a default among the options, ``enumNames`` as long as ``enum``, ``minimum`` below
  ``maximum``) is SHOULD;
* no request to a client that did not declare the capability (``basic/lifecycle#operation``:
  MUST from 2025-06-18, SHOULD before), no elicitation in a mode the client did not declare and
  no tool-enabled sampling without ``sampling.tools`` (MUST, 2025-11-25);
* a URL-mode request's ``url`` must be a URL, and a completion notification must name an
  ``elicitationId`` the server issued (MUST, 2025-11-25);
* that a fixture sends its request at all, that its result shows the client's answer, and the
  exact defaults and enum shapes of the SEP fixtures are conventions of the official suite,
  not spec text: SHOULD.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from conformance._model import HANDSHAKE, Level, server_scenario
from conformance._peer import CLIENT_CAPABILITIES, HttpChannel, PeerError, Session
from conformance._runner import ServerTest
from conformance.scenarios.server_utilities import (
    EVERYTHING,
    MCPCORE,
    OFFICIAL,
    SETTLE,
    Fixture,
    call_tool,
    find_fixture,
    gated_level,
    is_notification,
    is_response,
    notification_section,
    result_text,
)

__all__ = ["fill_form", "form_consistency", "form_problems", "sampling_problems"]

SAMPLING = "client/sampling"
ELICITATION = "client/elicitation"
ROOTS = "client/roots"
OPERATION = "basic/lifecycle#operation"
ELICITATION_REVISIONS = tuple(r for r in HANDSHAKE if r >= "2025-06-18")
LATEST = ("2025-11-25",)

PROMPT = "Please answer with any short sentence."
SAMPLED_TEXT = "conformance-sampled-answer-5d1c"
ROOT_URI = "file:///tmp/mcp-conformance-root"
ELICITED_URL = "https://example.com/conformance"

SAMPLING_FIXTURES = (
    Fixture("test_sampling", {"prompt": PROMPT}, OFFICIAL),
    Fixture("trigger-sampling-request", {"prompt": PROMPT, "maxTokens": 50}, EVERYTHING),
    Fixture("ask_model", {"question": PROMPT}, MCPCORE),
)
SAMPLING_TOOLS_FIXTURE = Fixture("test_sampling_with_tools", {"prompt": PROMPT}, MCPCORE)
ELICITATION_FIXTURES = (
    Fixture("test_elicitation", {"message": "Please provide your information"}, OFFICIAL),
    Fixture("trigger-elicitation-request", {}, EVERYTHING),
    Fixture("sign_up", {}, MCPCORE),
)
URL_FIXTURES = (
    Fixture("test_url_elicitation", {"url": ELICITED_URL}, MCPCORE),
    Fixture("trigger-url-elicitation", {"url": ELICITED_URL}, EVERYTHING),
)
DEFAULTS_FIXTURE = Fixture("test_elicitation_sep1034_defaults", {}, OFFICIAL)
ENUMS_FIXTURE = Fixture("test_elicitation_sep1330_enums", {}, OFFICIAL)
ROOTS_FIXTURES = (
    Fixture("test_list_roots", {}, MCPCORE),
    Fixture("get-roots-list", {}, EVERYTHING),
    Fixture("show_roots", {}, MCPCORE),
)

Handler = Callable[[dict[str, Any]], Awaitable[Any]]


async def _session(t: ServerTest, **options: Any) -> Session:
    """A session that, over HTTP, also listens on the GET stream, as a client would: a server
    may send its requests there, and a suite deaf to them would wait for nothing (or pass a
    capability check for want of hearing the request)."""
    session = await t.session(**options)
    if isinstance(session.channel, HttpChannel):
        with contextlib.suppress(PeerError):
            await session.channel.open_get_stream()
    return session


# -- the suite's answers -------------------------------------------------------------------------


async def _sample(params: dict[str, Any]) -> Any:
    return {
        "role": "assistant",
        "content": {"type": "text", "text": SAMPLED_TEXT},
        "model": "conformance-suite",
        "stopReason": "endTurn",
    }


async def _roots(params: dict[str, Any]) -> Any:
    return {"roots": [{"uri": ROOT_URI, "name": "conformance root"}]}


async def _decline(params: dict[str, Any]) -> Any:
    return {"action": "decline"}


_FORMATS = {
    "email": "conformance@example.com",
    "uri": "https://example.com/conformance",
    "date": "2025-01-01",
    "date-time": "2025-01-01T00:00:00Z",
}


def _options(prop: Mapping[str, Any]) -> list[Any]:
    """The values a single- or multi-select property offers."""
    if isinstance(prop.get("enum"), list):
        return list(prop["enum"])
    if isinstance(prop.get("oneOf"), list):
        return [o.get("const") for o in prop["oneOf"] if isinstance(o, dict)]
    items = prop.get("items")
    if isinstance(items, dict):
        if isinstance(items.get("enum"), list):
            return list(items["enum"])
        if isinstance(items.get("anyOf"), list):
            return [o.get("const") for o in items["anyOf"] if isinstance(o, dict)]
    return []


def _number_in(prop: Mapping[str, Any]) -> float | int:
    low, high = prop.get("minimum"), prop.get("maximum")
    value: float | int = 7
    if isinstance(low, (int, float)) and value < low:
        value = low
    if isinstance(high, (int, float)) and value > high:
        value = high
    if prop.get("type") == "integer":
        value = int(value)
    return value


def _string_for(name: str, prop: Mapping[str, Any]) -> str:
    text = _FORMATS.get(str(prop.get("format")), f"conformance-{name}")
    low, high = prop.get("minLength"), prop.get("maxLength")
    if isinstance(low, int) and len(text) < low:
        text = text.ljust(low, "x")
    if isinstance(high, int) and high >= 0 and len(text) > high:
        text = text[:high]
    return text


def fill_form(schema: Any) -> dict[str, Any]:
    """What the suite's user types into a form: a value for every property, distinctive
    strings (``conformance-<name>``) wherever the field is free text, so that a tool's result
    can be searched for them."""
    properties = schema.get("properties") if isinstance(schema, dict) else None
    content: dict[str, Any] = {}
    for name, prop in (properties or {}).items() if isinstance(properties, dict) else ():
        if not isinstance(prop, dict):
            continue
        kind = prop.get("type")
        options = _options(prop)
        if kind == "array":
            content[name] = options[:1]
        elif options:
            content[name] = options[0]
        elif kind == "boolean":
            content[name] = True
        elif kind in ("number", "integer"):
            content[name] = _number_in(prop)
        else:
            content[name] = _string_for(name, prop)
    return content


def _answering(answers: list[dict[str, Any]]) -> Handler:
    async def answer(params: dict[str, Any]) -> Any:
        if params.get("mode") == "url":
            return {"action": "accept"}
        content = fill_form(params.get("requestedSchema"))
        answers.append(content)
        return {"action": "accept", "content": content}

    return answer


# -- judging requests ----------------------------------------------------------------------------


def _params(message: Any) -> dict[str, Any]:
    params = message.get("params") if isinstance(message, dict) else None
    return params if isinstance(params, dict) else {}


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _titled(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(o, dict) and isinstance(o.get("const"), str) and isinstance(o.get("title"), str)
        for o in value
    )


def _sampling_kinds(revision: str) -> set[str]:
    kinds = {"text", "image"}
    if revision >= "2025-03-26":
        kinds.add("audio")
    if revision >= "2025-11-25":
        kinds |= {"tool_use", "tool_result"}
    return kinds


def sampling_problems(request: Any, revision: str) -> list[str]:
    """What the schema of ``revision`` (and, from 2025-11-25, the rule that tool results stand
    alone in their message) finds wrong with a ``sampling/createMessage`` request."""
    params = request.get("params") if isinstance(request, dict) else None
    if not isinstance(params, dict):
        return ["sampling/createMessage has no params object"]
    problems: list[str] = []
    if not _integer(params.get("maxTokens")):
        problems.append(f"maxTokens must be an integer, not {params.get('maxTokens')!r}")
    messages = params.get("messages")
    if not isinstance(messages, list):
        return [*problems, "messages must be an array"]
    allowed = _sampling_kinds(revision)
    for index, message in enumerate(messages):
        where = f"messages[{index}]"
        if not isinstance(message, dict):
            problems.append(f"{where} is not an object")
            continue
        if message.get("role") not in ("user", "assistant"):
            problems.append(f"{where}.role must be user or assistant, not {message.get('role')!r}")
        content = message.get("content")
        if isinstance(content, list) and revision < "2025-11-25":
            problems.append(f"{where}.content is an array, which sampling messages allow from 2025-11-25")
        blocks = content if isinstance(content, list) else [content]
        kinds = [block.get("type") if isinstance(block, dict) else None for block in blocks]
        for kind in kinds:
            if kind not in allowed:
                problems.append(
                    f"{where} holds a content block of type {kind!r}, which {revision} lacks here"
                )
        if "tool_result" in kinds and any(kind != "tool_result" for kind in kinds):
            problems.append(f"{where} mixes tool results with other content")
    return problems


def _property_problems(name: str, prop: Any, revision: str) -> list[str]:
    where = f"requestedSchema.properties.{name}"
    if not isinstance(prop, dict):
        return [f"{where} is not an object"]
    kind = prop.get("type")
    latest = revision >= "2025-11-25"
    problems: list[str] = []
    if kind == "string":
        has_options = "enum" in prop or "oneOf" in prop
        if "format" in prop and not has_options and prop["format"] not in _FORMATS:
            problems.append(f"{where}.format {prop['format']!r} is not one of {', '.join(_FORMATS)}")
        if latest and "default" in prop and not isinstance(prop["default"], str):
            problems.append(f"{where}.default must be a string")
        for key in ("minLength", "maxLength"):
            if key in prop and not has_options and not _integer(prop[key]):
                problems.append(f"{where}.{key} must be an integer")
    elif kind in ("number", "integer"):
        for key in ("minimum", "maximum"):
            if key in prop and not _number(prop[key]):
                problems.append(f"{where}.{key} must be a number")
        if latest and "default" in prop and not _number(prop["default"]):
            problems.append(f"{where}.default must be a number")
    elif kind == "boolean":
        if "default" in prop and not isinstance(prop["default"], bool):
            problems.append(f"{where}.default must be a boolean")
    elif kind == "array" and latest:
        items = prop.get("items")
        untitled = isinstance(items, dict) and items.get("type") == "string" and _strings(items.get("enum"))
        titled = isinstance(items, dict) and _titled(items.get("anyOf"))
        if not (untitled or titled):
            problems.append(
                f"{where} is an array whose items are neither a string enum nor an anyOf of const/title "
                "options: the only arrays a form may ask for are multi-select enums"
            )
        for key in ("minItems", "maxItems"):
            if key in prop and not _integer(prop[key]):
                problems.append(f"{where}.{key} must be an integer")
        if "default" in prop and not _strings(prop["default"]):
            problems.append(f"{where}.default must be an array of strings")
    elif kind == "array":
        problems.append(f"{where} is an array: multi-select properties arrived in 2025-11-25")
    else:
        problems.append(
            f"{where} has type {kind!r}: a form asks only for flat primitive fields (string, number, "
            f"integer, boolean{', multi-select array' if latest else ''})"
        )
    return problems


def form_problems(request: Any, revision: str) -> list[str]:
    """What the schema of ``revision`` finds wrong with a form-mode ``elicitation/create``."""
    params = request.get("params") if isinstance(request, dict) else None
    if not isinstance(params, dict):
        return ["elicitation/create has no params object"]
    problems: list[str] = []
    if not isinstance(params.get("message"), str):
        problems.append("message must be a string")
    schema = params.get("requestedSchema")
    if not isinstance(schema, dict):
        return [*problems, "a form request must carry a requestedSchema object"]
    if schema.get("type") != "object":
        problems.append(f"requestedSchema.type must be 'object', not {schema.get('type')!r}")
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return [*problems, "requestedSchema.properties must be an object"]
    for name, prop in properties.items():
        problems.extend(_property_problems(name, prop, revision))
    if "required" in schema and not _strings(schema["required"]):
        problems.append("requestedSchema.required must be an array of strings")
    return problems


def form_consistency(request: Any) -> list[str]:
    """Inconsistencies the schema cannot express: a default among a property's options,
    ``enumNames`` as long as ``enum``, titled options with a title each, bounds in order,
    ``required`` naming properties that exist."""
    schema = _params(request).get("requestedSchema")
    properties = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(properties, dict):
        return []
    problems: list[str] = []
    for name, prop in properties.items():
        if not isinstance(prop, dict):
            continue
        where = f"requestedSchema.properties.{name}"
        options = _options(prop)
        if "enum" in prop and not (_strings(prop["enum"]) and prop["enum"]):
            problems.append(f"{where}.enum should be a non-empty array of strings")
        if "oneOf" in prop and not (_titled(prop["oneOf"]) and prop["oneOf"]):
            problems.append(f"{where}.oneOf should list options with a string const and title each")
        items = prop.get("items")
        if isinstance(items, dict) and "anyOf" in items and not (_titled(items["anyOf"]) and items["anyOf"]):
            problems.append(f"{where}.items.anyOf should list options with a string const and title each")
        if "enumNames" in prop and (
            not _strings(prop["enumNames"]) or len(prop["enumNames"]) != len(prop.get("enum") or [])
        ):
            problems.append(f"{where}.enumNames should name each value of enum, one for one")
        default = prop.get("default")
        if options and default is not None:
            chosen = default if isinstance(default, list) else [default]
            if any(value not in options for value in chosen):
                problems.append(f"{where}.default {default!r} is not among its options {options}")
        if prop.get("type") == "integer" and isinstance(default, float) and not default.is_integer():
            problems.append(f"{where}.default {default!r} is not an integer")
        for low, high in (("minimum", "maximum"), ("minLength", "maxLength"), ("minItems", "maxItems")):
            if _number(prop.get(low)) and _number(prop.get(high)) and prop[low] > prop[high]:
                problems.append(f"{where}.{low} is above its {high}")
    required = schema.get("required") if isinstance(schema, dict) else None
    if isinstance(required, list) and _strings(required):
        missing = [name for name in required if name not in properties]
        if missing:
            problems.append(f"requestedSchema.required names properties it does not define: {missing}")
    return problems


def _is_form(request: Any) -> bool:
    return bool(_params(request).get("mode", "form") == "form")


def _is_url(request: Any) -> bool:
    return bool(_params(request).get("mode") == "url")


# -- helpers -------------------------------------------------------------------------------------


def _requests(session: Session, method: str, since: int = 0) -> list[dict[str, Any]]:
    return [r for r in session.server_requests[since:] if r.get("method") == method]


def _without(capability: str) -> dict[str, Any]:
    return {name: value for name, value in CLIENT_CAPABILITIES.items() if name != capability}


def _form_section(revision: str) -> str:
    return f"{ELICITATION}#requested-schema" if revision >= "2025-11-25" else f"{ELICITATION}#request-schema"


def _request_section(revision: str) -> str:
    if revision >= "2025-11-25":
        return f"{ELICITATION}#form-mode-elicitation-requests"
    return f"{ELICITATION}#creating-elicitation-requests"


def _skip_all(t: ServerTest, names: Sequence[str], section: str, reason: str) -> None:
    for name in names:
        t.skip(name, section, reason)


async def _gated(
    t: ServerTest,
    fixture: Fixture,
    method: str,
    capabilities: dict[str, Any],
    *,
    check: str,
    section: str,
    level: Level,
    what: str,
    answer: Handler | None = None,
    matches: Callable[[Any], bool] = lambda request: True,
) -> None:
    """Connect with ``capabilities``, call the fixture, and check that no ``method`` request
    (that ``matches``) came: the client did not offer it. The call itself may fail (a server
    may hide the tool from such a client), and a server left waiting is the next check's
    business, not this one's."""
    session = await _session(t, capabilities=capabilities)
    if answer is None:
        session.handlers.pop(method, None)  # a client without the capability knows no such method
    else:
        session.handlers[method] = answer
    with contextlib.suppress(PeerError):
        await call_tool(session, fixture)
    await session.collect(SETTLE)
    sent = [r for r in _requests(session, method) if matches(r)]
    with t.check(check, section, level=level) as c:
        c.expect(
            not sent,
            f"the server sent {method} ({what}) to a client that had not declared it",
            sent[0] if sent else None,
        )


def _judge_forms(t: ServerTest, requests: list[dict[str, Any]]) -> None:
    forms = [r for r in requests if _is_form(r)]
    with t.check("form-request-well-formed", _form_section(t.revision)) as c:
        if not forms:
            c.skip("the server sent no form-mode elicitation request")
        problems = [p for r in forms for p in form_problems(r, t.revision)]
        c.expect(not problems, "; ".join(problems[:4]), forms[0])
    with t.should("form-schema-consistent", _form_section(t.revision)) as c:
        if not forms:
            c.skip("the server sent no form-mode elicitation request")
        problems = [p for r in forms for p in form_consistency(r)]
        c.expect(not problems, "; ".join(problems[:4]), forms[0])


# -- sampling ------------------------------------------------------------------------------------

SAMPLING_CHECKS = ("request-sent", "request-well-formed", "result-reflects-answer", "capability-gated")


@server_scenario("sampling", "sampling requests are well formed, answered into the result, and gated")
async def sampling(t: ServerTest) -> None:
    session = await _session(t)
    session.handlers["sampling/createMessage"] = _sample
    fixture = await find_fixture(session, SAMPLING_FIXTURES)
    if fixture is None:
        _skip_all(
            t,
            SAMPLING_CHECKS,
            f"{SAMPLING}#creating-messages",
            "the server offers no tool the suite knows to sample (such as test_sampling)",
        )
        return
    reply = await call_tool(session, fixture)
    requests = _requests(session, "sampling/createMessage")
    with t.should("request-sent", f"{SAMPLING}#creating-messages") as c:
        c.expect(requests, f"{fixture.describe()} sent no sampling/createMessage", reply.message)
    with t.check("request-well-formed", f"{SAMPLING}#creating-messages") as c:
        if not requests:
            c.skip("the server sent no sampling request")
        problems = [p for r in requests for p in sampling_problems(r, t.revision)]
        c.expect(not problems, "; ".join(problems[:4]), requests[0])
    with t.should("result-reflects-answer", f"{SAMPLING}#creating-messages") as c:
        if not requests:
            c.skip("the server sent no sampling request")
        c.expect(
            SAMPLED_TEXT in result_text(reply),
            f"the result of {fixture.name} does not carry the client's sampled text {SAMPLED_TEXT!r}",
            reply.message,
        )
    if t.revision >= "2025-11-25":
        tools_fixture = await find_fixture(session, (SAMPLING_TOOLS_FIXTURE,))
        if tools_fixture is not None:
            with contextlib.suppress(PeerError):
                await call_tool(session, tools_fixture)
        every = _requests(session, "sampling/createMessage")
        with t.check("tools-gated", f"{SAMPLING}#tools-in-sampling") as c:
            if not every:
                c.skip("the server sent no sampling request")
            offering = [r for r in every if _params(r).get("tools")]
            c.expect(
                not offering,
                "the server offered tools in a sampling request to a client that did not declare "
                "sampling.tools",
                offering[0] if offering else None,
            )
        with t.should("include-context-gated", f"{SAMPLING}#capabilities") as c:
            if not every:
                c.skip("the server sent no sampling request")
            asking = [r for r in every if _params(r).get("includeContext") in ("thisServer", "allServers")]
            c.expect(
                not asking,
                "the server asked for includeContext thisServer/allServers without sampling.context",
                asking[0] if asking else None,
            )
    await _gated(
        t,
        fixture,
        "sampling/createMessage",
        _without("sampling"),
        check="capability-gated",
        section=OPERATION,
        level=gated_level(t.revision),
        what="sampling",
    )


# -- elicitation ---------------------------------------------------------------------------------

ELICITATION_CHECKS = (
    "request-sent",
    "form-request-well-formed",
    "form-schema-consistent",
    "result-reflects-answer",
    "capability-gated",
)


@server_scenario(
    "elicitation",
    "form elicitation asks for flat primitive fields, shows the answer, and only of clients that can answer",
    revisions=ELICITATION_REVISIONS,
)
async def elicitation(t: ServerTest) -> None:
    session = await _session(t)
    answers: list[dict[str, Any]] = []
    session.handlers["elicitation/create"] = _answering(answers)
    fixture = await find_fixture(session, ELICITATION_FIXTURES)
    if fixture is None:
        _skip_all(
            t,
            ELICITATION_CHECKS,
            _request_section(t.revision),
            "the server offers no tool the suite knows to elicit (such as test_elicitation)",
        )
        return
    reply = await call_tool(session, fixture)
    requests = _requests(session, "elicitation/create")
    with t.should("request-sent", _request_section(t.revision)) as c:
        c.expect(requests, f"{fixture.describe()} sent no elicitation/create", reply.message)
    _judge_forms(t, requests)
    with t.should("result-reflects-answer", f"{ELICITATION}#response-actions") as c:
        if not answers:
            c.skip("the suite answered no form")
        text = result_text(reply)
        typed = [
            v for content in answers for v in content.values() if isinstance(v, str) and "conformance" in v
        ]
        c.expect(
            "accept" in text, f"the result of {fixture.name} does not say the user accepted", reply.message
        )
        if typed:
            c.expect(
                any(value in text for value in typed),
                f"the result of {fixture.name} shows none of the values the user typed ({typed[:3]})",
                reply.message,
            )
    await _gated(
        t,
        fixture,
        "elicitation/create",
        _without("elicitation"),
        check="capability-gated",
        section=OPERATION,
        level=gated_level(t.revision),
        what="elicitation",
    )
    if t.revision >= "2025-11-25":
        await _gated(
            t,
            fixture,
            "elicitation/create",
            {**_without("elicitation"), "elicitation": {"url": {}}},
            check="form-mode-gated",
            section=f"{ELICITATION}#capabilities",
            level=Level.MUST,
            what="in form mode, though the client declared URL mode only",
            answer=_decline,
            matches=_is_form,
        )


URL_CHECKS = ("request-sent", "url-request-well-formed", "complete-notification-id", "url-mode-gated")


@server_scenario(
    "elicitation-url",
    "URL-mode elicitation names a URL and an id, and only for clients that offer it",
    revisions=LATEST,
)
async def elicitation_url(t: ServerTest) -> None:
    both = {**_without("elicitation"), "elicitation": {"form": {}, "url": {}}}
    session = await _session(t, capabilities=both)
    session.handlers["elicitation/create"] = _answering([])
    fixture = await find_fixture(session, URL_FIXTURES)
    if fixture is None:
        _skip_all(
            t,
            URL_CHECKS,
            f"{ELICITATION}#url-mode-elicitation-requests",
            "the server offers no tool the suite knows to elicit in URL mode",
        )
        return
    reply = await call_tool(session, fixture)
    await session.collect(SETTLE)
    requests = [r for r in _requests(session, "elicitation/create") if _is_url(r)]
    with t.should("request-sent", f"{ELICITATION}#url-mode-elicitation-requests") as c:
        c.expect(requests, f"{fixture.describe()} sent no URL-mode elicitation/create", reply.message)
    with t.check("url-request-well-formed", f"{ELICITATION}#url-mode-elicitation-requests") as c:
        if not requests:
            c.skip("the server sent no URL-mode request")
        for request in requests:
            params = _params(request)
            url = params.get("url")
            parts = urlsplit(url) if isinstance(url, str) else None
            c.expect(isinstance(params.get("message"), str), "a URL-mode request needs a message", request)
            c.expect(
                parts is not None and bool(parts.scheme) and bool(parts.netloc or parts.path),
                f"the url of a URL-mode request must be a valid URL, not {url!r}",
                request,
            )
            c.expect(
                isinstance(params.get("elicitationId"), str) and params["elicitationId"],
                "a URL-mode request needs an elicitationId",
                request,
            )
    issued = {_params(r).get("elicitationId") for r in requests}
    notes = [m for m in session.received if is_notification(m, "notifications/elicitation/complete")]
    with t.check(
        "complete-notification-id", f"{ELICITATION}#completion-notifications-for-url-mode-elicitation"
    ) as c:
        if not notes:
            c.skip("the server sent no completion notification (it may)")
        stray = [m for m in notes if _params(m).get("elicitationId") not in issued]
        c.expect(
            not stray,
            "a completion notification names an elicitationId the server never issued "
            f"(it issued {sorted(map(str, issued))})",
            stray[0] if stray else None,
        )
    await _gated(
        t,
        fixture,
        "elicitation/create",
        {**_without("elicitation"), "elicitation": {"form": {}}},
        check="url-mode-gated",
        section=f"{ELICITATION}#capabilities",
        level=Level.MUST,
        what="in URL mode, though the client declared form mode only",
        answer=_decline,
        matches=_is_url,
    )


async def _elicit_fixture(t: ServerTest, fixture: Fixture, names: Sequence[str]) -> dict[str, Any] | None:
    """Call a SEP fixture; its first form request's properties, or None (skips recorded)."""
    session = await _session(t)
    session.handlers["elicitation/create"] = _answering([])
    found = await find_fixture(session, (fixture,))
    if found is None:
        _skip_all(
            t,
            ("request-sent", "form-request-well-formed", "form-schema-consistent", *names),
            f"{ELICITATION}#requested-schema",
            f"the server does not offer {fixture.describe()}",
        )
        return None
    reply = await call_tool(session, fixture)
    requests = [r for r in _requests(session, "elicitation/create") if _is_form(r)]
    with t.should("request-sent", f"{ELICITATION}#requested-schema") as c:
        c.expect(requests, f"{fixture.describe()} sent no form-mode elicitation/create", reply.message)
    _judge_forms(t, requests)
    if not requests:
        _skip_all(t, names, f"{ELICITATION}#requested-schema", "the server sent no form request")
        return None
    schema = _params(requests[0]).get("requestedSchema")
    properties = schema.get("properties") if isinstance(schema, dict) else None
    return properties if isinstance(properties, dict) else {}


# The official fixture's fields: (check, property, type, default).
DEFAULTS: tuple[tuple[str, str, str, Any], ...] = (
    ("string-default", "name", "string", "John Doe"),
    ("integer-default", "age", "integer", 30),
    ("number-default", "score", "number", 95.5),
    ("enum-default", "status", "string", "active"),
    ("boolean-default", "verified", "boolean", True),
)


@server_scenario(
    "elicitation-defaults", "every primitive form field can carry a default (SEP-1034)", revisions=LATEST
)
async def elicitation_defaults(t: ServerTest) -> None:
    properties = await _elicit_fixture(t, DEFAULTS_FIXTURE, [name for name, *_ in DEFAULTS])
    if properties is None:
        return
    for check, name, kind, default in DEFAULTS:
        with t.should(check, f"{ELICITATION}#requested-schema") as c:
            prop = properties.get(name)
            c.expect(isinstance(prop, dict), f"the form has no {kind} field {name!r}", properties)
            assert isinstance(prop, dict)
            c.equal(prop.get("type"), kind, f"the type of {name!r}")
            c.expect("default" in prop, f"the field {name!r} carries no default", prop)
            actual = prop["default"]
            c.expect(
                _same_value(actual, default),
                f"the default of {name!r}: expected {default!r}, got {actual!r}",
                prop,
            )
            if check == "enum-default":
                c.expect(
                    isinstance(prop.get("enum"), list) and actual in prop["enum"],
                    f"the default of {name!r} is not among its enum values",
                    prop,
                )


def _same_value(actual: Any, expected: Any) -> bool:
    # Numbers compare by value (30 and 30.0 are one JSON number), the rest by type and value.
    if _number(actual) and _number(expected):
        return bool(actual == expected)
    return type(actual) is type(expected) and actual == expected


def _shape_untitled_single(prop: dict[str, Any]) -> str | None:
    if prop.get("type") != "string" or not _strings(prop.get("enum")):
        return "expected type string with an enum array"
    if "oneOf" in prop or "enumNames" in prop:
        return "an untitled enum has neither oneOf nor enumNames"
    return None


def _shape_titled_single(prop: dict[str, Any]) -> str | None:
    if prop.get("type") != "string" or not _titled(prop.get("oneOf")):
        return "expected type string with oneOf options of const and title"
    if "enum" in prop:
        return "a titled enum uses oneOf, not enum"
    return None


def _shape_legacy(prop: dict[str, Any]) -> str | None:
    if prop.get("type") != "string" or not _strings(prop.get("enum")) or not _strings(prop.get("enumNames")):
        return "expected type string with enum and enumNames arrays"
    if len(prop["enumNames"]) != len(prop["enum"]):
        return "enumNames must be as long as enum"
    return None


def _shape_untitled_multi(prop: dict[str, Any]) -> str | None:
    items = prop.get("items")
    if prop.get("type") != "array" or not isinstance(items, dict):
        return "expected type array with items"
    if items.get("type") != "string" or not _strings(items.get("enum")):
        return "expected items of type string with an enum array"
    if "anyOf" in items:
        return "an untitled multi-select uses items.enum, not items.anyOf"
    return None


def _shape_titled_multi(prop: dict[str, Any]) -> str | None:
    items = prop.get("items")
    if prop.get("type") != "array" or not isinstance(items, dict):
        return "expected type array with items"
    if not _titled(items.get("anyOf")):
        return "expected items.anyOf options of const and title"
    if "enum" in items:
        return "a titled multi-select uses items.anyOf, not items.enum"
    return None


# The official fixture's fields: (check, property, the shape it must have).
SHAPES: tuple[tuple[str, str, Callable[[dict[str, Any]], str | None]], ...] = (
    ("untitled-single", "untitledSingle", _shape_untitled_single),
    ("titled-single", "titledSingle", _shape_titled_single),
    ("legacy-enumnames", "legacyEnum", _shape_legacy),
    ("untitled-multi", "untitledMulti", _shape_untitled_multi),
    ("titled-multi", "titledMulti", _shape_titled_multi),
)


@server_scenario(
    "elicitation-enums",
    "the five enum shapes: titled and untitled, single and multi select (SEP-1330)",
    revisions=LATEST,
)
async def elicitation_enums(t: ServerTest) -> None:
    properties = await _elicit_fixture(t, ENUMS_FIXTURE, [name for name, *_ in SHAPES])
    if properties is None:
        return
    for check, name, shape in SHAPES:
        with t.should(check, f"{ELICITATION}#requested-schema") as c:
            prop = properties.get(name)
            c.expect(isinstance(prop, dict), f"the form has no field {name!r}", properties)
            assert isinstance(prop, dict)
            trouble = shape(prop)
            c.expect(trouble is None, f"{name!r}: {trouble}", prop)


# -- roots ---------------------------------------------------------------------------------------

ROOTS_CHECKS = ("request-sent", "result-reflects-answer", "list-changed-no-reply", "capability-gated")


@server_scenario("roots", "roots/list is asked only of clients with roots, and the answer is used")
async def roots(t: ServerTest) -> None:
    session = await _session(t)
    session.handlers["roots/list"] = _roots
    fixture = await find_fixture(session, ROOTS_FIXTURES)
    if fixture is None:
        _skip_all(
            t,
            ROOTS_CHECKS,
            f"{ROOTS}#listing-roots",
            "the server offers no tool the suite knows to list the client's roots",
        )
        return
    since = len(session.server_requests)
    reply = await call_tool(session, fixture)
    requests = _requests(session, "roots/list", since)
    with t.should("request-sent", f"{ROOTS}#listing-roots") as c:
        c.expect(requests, f"{fixture.describe()} sent no roots/list", reply.message)
    with t.should("result-reflects-answer", f"{ROOTS}#listing-roots") as c:
        if not requests:
            c.skip("the server sent no roots/list")
        c.expect(
            ROOT_URI in result_text(reply),
            f"the result of {fixture.name} does not show the client's root {ROOT_URI}",
            reply.message,
        )
    if t.transport == "stdio":
        mark = len(session.received)
        await session.notify("notifications/roots/list_changed")
        pong = await session.request("ping")
        with t.check("list-changed-no-reply", notification_section(t.revision)) as c:
            replies = [m for m in session.received[mark:] if is_response(m) and m is not pong.message]
            c.expect(
                not replies,
                "the server answered notifications/roots/list_changed",
                replies[0] if replies else None,
            )
    else:
        t.skip(
            "list-changed-no-reply",
            notification_section(t.revision),
            "over HTTP the transport answers every POST; the transport scenarios judge those answers",
        )
    await _gated(
        t,
        fixture,
        "roots/list",
        _without("roots"),
        check="capability-gated",
        section=OPERATION,
        level=gated_level(t.revision),
        what="roots",
    )
