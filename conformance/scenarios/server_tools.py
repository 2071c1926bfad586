"""Server scenarios: tools (listing, calling, content, structured output, errors).

The schema check that follows every scenario judges the *shape* of each message; these
scenarios judge *behaviour*: that a call gets the kind of answer the spec describes, that a
structured result matches the tool's own ``outputSchema``, that errors take the right path.

Which tools the suite calls. A conformance run must not do harm on someone's server, so it
calls only tools that are safe to call with made-up arguments: the conventional fixtures the
official suite defines (``test_simple_text``...), tools the server marks ``readOnlyHint:
true``, and ``echo``. Arguments are made from the tool's ``inputSchema`` (:func:`sample_arguments`)
and checked against it before the call; a tool whose schema the suite cannot satisfy is not
called.

Levels (MUST checks cite MUST or required text of the revision under test):

* ``tools/list`` answers (MUST) when the server declares ``tools``;
* every content block is a kind the negotiated revision has (audio from 2025-03-26,
  ``resource_link`` from 2025-06-18) and binary data is base64 (MUST: the schema makes both
  required formats); a MIME type of the ``type/subtype`` form is only SHOULD here, the tools
  page does not ask for it;
* a tool with an ``outputSchema`` returns ``structuredContent`` that conforms (MUST from
  2025-06-18), and should repeat it as JSON text (SHOULD);
* schemas must be valid from 2025-11-25 (MUST, basic#schema-validation), SHOULD before;
* an unknown tool must be refused, by either mechanism (MUST: the error-handling section lists
  it among errors); the spec puts it among protocol errors, with -32602 in its example, so a
  JSON-RPC error and its code are SHOULD;
* arguments that break the input schema must be refused (MUST: "Servers MUST validate all tool
  inputs"); from 2025-11-25 they should come back as a tool execution error (``isError``),
  which the error-handling section lists them under; before, either path is fine;
* what a conventional fixture returns (an image from ``test_image_content``...) is a convention,
  not spec text, so those checks are SHOULD, as is ``isError`` for a tool that fails (the
  schema's wording for it is SHOULD).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from typing import Any

import orjson

from conformance._model import HANDSHAKE, Level, server_scenario
from conformance._peer import PeerError, Reply, Session
from conformance._runner import ServerTest
from conformance.scenarios.server_pagination import Listing, list_all
from mcpcore._jsonschema import SchemaError, ValidationError, Validator

__all__ = [
    "block_problems",
    "blocks_of",
    "content_kinds",
    "is_base64",
    "safe_to_call",
    "sample_arguments",
    "schema_trouble",
]

TOOLS = "server/tools"
STRUCTURED_REVISIONS = tuple(r for r in HANDSHAKE if r >= "2025-06-18")

# -- content blocks ------------------------------------------------------------------------------

KIND_SINCE: dict[str, str] = {
    "text": "2024-11-05",
    "image": "2024-11-05",
    "resource": "2024-11-05",
    "audio": "2025-03-26",
    "resource_link": "2025-06-18",
}
_MIME = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*(\s*;.*)?", re.DOTALL)


def content_kinds(revision: str) -> set[str]:
    """The content block types a revision defines for tool results and prompt messages."""
    return {kind for kind, since in KIND_SINCE.items() if since <= revision}


def is_base64(value: Any) -> bool:
    """Standard base64 (RFC 4648 section 4); missing padding is forgiven, nothing else is."""
    if not isinstance(value, str):
        return False
    padded = value + "=" * (-len(value) % 4)
    try:
        base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def block_problems(block: Any, revision: str) -> list[tuple[str, str]]:
    """What is wrong with one content block, as ``(rule, sentence)`` pairs.

    Rules: ``kind`` (a type the revision lacks), ``encoding`` (binary data that is not base64),
    ``mime`` (a MIME type that is not ``type/subtype``), ``embedded-mime`` (an embedded
    resource without a MIME type, which only the prompts page forbids).
    """
    if not isinstance(block, dict):
        return [("kind", f"a content block that is not an object: {block!r}")]
    kind = block.get("type")
    problems: list[tuple[str, str]] = []
    if kind not in KIND_SINCE:
        return [("kind", f"a content block of unknown type {kind!r}")]
    if KIND_SINCE[kind] > revision:
        problems.append(
            ("kind", f"a {kind!r} block, which {revision} does not have (it arrived in {KIND_SINCE[kind]})")
        )
    if kind in ("image", "audio"):
        if not is_base64(block.get("data")):
            problems.append(
                ("encoding", f"the data of a {kind} block is not base64: {str(block.get('data'))[:60]!r}")
            )
        mime = block.get("mimeType")
        if not isinstance(mime, str) or not _MIME.fullmatch(mime):
            problems.append(("mime", f"the mimeType of a {kind} block is not a MIME type: {mime!r}"))
    elif kind == "resource":
        resource = block.get("resource")
        if not isinstance(resource, dict):
            return [*problems, ("kind", "an embedded resource block without a resource object")]
        if "blob" in resource and not is_base64(resource.get("blob")):
            problems.append(
                ("encoding", f"the blob of embedded resource {resource.get('uri')!r} is not base64")
            )
        mime = resource.get("mimeType")
        if mime is None:
            problems.append(
                ("embedded-mime", f"the embedded resource {resource.get('uri')!r} has no mimeType")
            )
        elif not isinstance(mime, str) or not _MIME.fullmatch(mime):
            problems.append(
                ("mime", f"the mimeType of embedded resource {resource.get('uri')!r} is {mime!r}")
            )
    return problems


def blocks_of(result: dict[str, Any] | None) -> list[Any]:
    """The content blocks of a tool result (none when ``content`` is not a list)."""
    content = (result or {}).get("content")
    return content if isinstance(content, list) else []


def kinds_of(result: dict[str, Any] | None) -> set[str]:
    return {
        block["type"]
        for block in blocks_of(result)
        if isinstance(block, dict) and isinstance(block.get("type"), str)
    }


# -- schemas -------------------------------------------------------------------------------------

_DIALECTS = frozenset(
    {
        "json-schema.org/draft/2020-12/schema",
        "json-schema.org/draft/2019-09/schema",
        "json-schema.org/draft-07/schema",
        "json-schema.org/draft-06/schema",
    }
)


class Unjudgeable(Exception):
    """A schema the suite's validator cannot read for reasons that are no fault of the schema
    (another dialect, a reference to another document)."""


def _walk(value: Any, depth: int = 0) -> Iterator[tuple[str, Any]]:
    if depth > 64:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            yield key, item
            yield from _walk(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item, depth + 1)


def schema_trouble(schema: Any) -> str | None:
    """Why a tool's schema is not a usable JSON Schema object, or None when it is.

    Raises :class:`Unjudgeable` when the schema uses a dialect or a reference the suite's own
    validator does not follow: such a schema may be perfectly valid.
    """
    if not isinstance(schema, dict):
        return f"the schema is not an object: {schema!r}"
    dialect = schema.get("$schema")
    if isinstance(dialect, str):
        key = dialect.removesuffix("#").removeprefix("https://").removeprefix("http://")
        if key not in _DIALECTS:
            raise Unjudgeable(f"it declares the dialect {dialect!r}, which the suite cannot check")
    for key, value in _walk(schema):
        if (
            key in ("$ref", "$dynamicRef", "$recursiveRef")
            and isinstance(value, str)
            and not value.startswith("#")
        ):
            raise Unjudgeable(f"it refers to {value!r}, outside the document")
    try:
        Validator(schema)
    except SchemaError as exc:
        return str(exc)
    return None


# -- arguments -----------------------------------------------------------------------------------

_NOTHING = object()
_FORMAT_SAMPLES = {
    "uri": "test://conformance",
    "uri-reference": "test://conformance",
    "url": "https://example.com/conformance",
    "email": "conformance@example.com",
    "date-time": "2025-01-01T00:00:00Z",
    "date": "2025-01-01",
    "time": "00:00:00Z",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "ipv4": "127.0.0.1",
}


def _sample_value(schema: Any, depth: int) -> Any:
    if depth > 6 or schema is True:
        return "conformance"
    if not isinstance(schema, dict):
        return _NOTHING
    if "const" in schema:
        return schema["const"]
    for key in ("enum", "examples"):
        options = schema.get(key)
        if isinstance(options, list) and options:
            return options[0]
    if "default" in schema:
        return schema["default"]
    for key in ("anyOf", "oneOf"):
        branches = schema.get(key)
        if isinstance(branches, list):
            for branch in branches:
                if isinstance(branch, dict) and branch.get("type") != "null":
                    value = _sample_value(branch, depth + 1)
                    if value is not _NOTHING:
                        return value
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "string" or kind is None:
        text = _FORMAT_SAMPLES.get(str(schema.get("format")), "conformance")
        low, high = schema.get("minLength"), schema.get("maxLength")
        if isinstance(low, int) and len(text) < low:
            text += "x" * (low - len(text))
        if isinstance(high, int) and len(text) > high:
            text = text[: max(high, 0)]
        return text
    if kind in ("integer", "number"):
        number: float = 1
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        high = schema.get("maximum", schema.get("exclusiveMaximum"))
        if isinstance(low, int | float) and not isinstance(low, bool):
            number = low + (1 if "exclusiveMinimum" in schema and "minimum" not in schema else 0)
        if isinstance(high, int | float) and not isinstance(high, bool) and number > high:
            number = high
        return int(number) if kind == "integer" else number
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    if kind == "array":
        count = schema.get("minItems", 0)
        if not isinstance(count, int) or count > 10:
            return _NOTHING
        item = _sample_value(schema.get("items", {}), depth + 1)
        return [] if count == 0 else ([item] * count if item is not _NOTHING else _NOTHING)
    if kind == "object":
        return _sample_object(schema, depth + 1)
    return _NOTHING


def _sample_object(schema: dict[str, Any], depth: int) -> Any:
    properties = schema.get("properties")
    properties = properties if isinstance(properties, dict) else {}
    required = schema.get("required")
    value: dict[str, Any] = {}
    for name in required if isinstance(required, list) else []:
        if not isinstance(name, str):
            return _NOTHING
        sample = _sample_value(properties.get(name, {}), depth)
        if sample is _NOTHING:
            return _NOTHING
        value[name] = sample
    return value


def sample_arguments(schema: Any) -> dict[str, Any] | None:
    """Arguments that satisfy a tool's ``inputSchema`` (the required ones only), or None when
    the suite cannot make any it is sure of."""
    if not isinstance(schema, dict):
        return None
    value = _sample_object(schema, 0)
    if not isinstance(value, dict):
        return None
    try:
        if not Validator(schema).is_valid(value):
            return None
    except SchemaError:
        return None
    return value


# -- which tools to call -------------------------------------------------------------------------

# Conventional fixtures and what each should return: the check, its anchor, the content kinds,
# the revision that has them. The names are the official suite's, but for test_resource_link,
# which the suite's own reference server adds. Below its revision a fixture is still called: it
# then must not send the kind its revision lacks (content-kinds), whatever else it returns.
FIXTURES: dict[str, tuple[str, str, frozenset[str], str]] = {
    "test_simple_text": ("simple-text", "calling-tools", frozenset({"text"}), "2024-11-05"),
    "test_image_content": ("image-content", "image-content", frozenset({"image"}), "2024-11-05"),
    "test_audio_content": ("audio-content", "audio-content", frozenset({"audio"}), "2025-03-26"),
    "test_embedded_resource": (
        "embedded-resource",
        "embedded-resources",
        frozenset({"resource"}),
        "2024-11-05",
    ),
    "test_multiple_content_types": (
        "mixed-content",
        "tool-result",
        frozenset({"text", "image", "resource"}),
        "2024-11-05",
    ),
    "test_resource_link": ("resource-link", "resource-links", frozenset({"resource_link"}), "2025-06-18"),
}
ERROR_FIXTURE = "test_error_handling"
# A tool by this name repeats its input back in every implementation the suite knows of.
HARMLESS = frozenset({"echo"})
READ_ONLY_CALLS = 6  # read-only tools called per scenario, besides the fixtures


def safe_to_call(tool: dict[str, Any]) -> bool:
    """A tool the suite may call with made-up arguments without doing harm."""
    execution = tool.get("execution")
    if isinstance(execution, dict) and execution.get("taskSupport") == "required":
        return False  # callable only as a task, which is another scenario's business
    name = tool.get("name")
    if name in FIXTURES or name == ERROR_FIXTURE or name in HARMLESS:
        return True
    annotations = tool.get("annotations")
    return isinstance(annotations, dict) and annotations.get("readOnlyHint") is True


async def tools_session(t: ServerTest, first_check: str, section: str) -> tuple[Session, Listing] | None:
    """A session and the full tool list, or None (the skip recorded) when there are no tools."""
    session = await t.session()
    if not isinstance(session.server_capabilities.get("tools"), dict):
        t.skip(first_check, section, "the server does not declare the tools capability")
        return None
    listing = await list_all(session, "tools/list")
    return session, listing


def tools_of(listing: Listing) -> list[dict[str, Any]]:
    return [tool for tool in listing.items if isinstance(tool, dict) and isinstance(tool.get("name"), str)]


async def call(session: Session, name: str, arguments: dict[str, Any] | None) -> Reply:
    params: dict[str, Any] = {"name": name}
    if arguments is not None:
        params["arguments"] = arguments
    return await session.request("tools/call", params)


# -- scenarios -----------------------------------------------------------------------------------


@server_scenario("tools-list", "tools/list answers with unique, well-named tools whose schemas are usable")
async def tools_list(t: ServerTest) -> None:
    opened = await tools_session(t, "list-result", f"{TOOLS}#listing-tools")
    if opened is None:
        return
    _, listing = opened
    with t.check("list-result", f"{TOOLS}#listing-tools") as c:
        c.expect(listing.ok, listing.problem(), listing.failed.message if listing.failed else None)
    if not listing.ok:
        return
    tools = tools_of(listing)
    names = [tool["name"] for tool in tools]
    unique_section = f"{TOOLS}#tool-names" if t.revision >= "2025-11-25" else f"{TOOLS}#tool"
    with t.should("names-unique", unique_section) as c:
        twice = sorted({name for name in names if names.count(name) > 1})
        c.expect(not twice, f"tool names should identify one tool each; listed more than once: {twice}")
    if t.revision >= "2025-11-25":
        with t.should("name-format", f"{TOOLS}#tool-names") as c:
            odd = [name for name in names if not re.fullmatch(r"[A-Za-z0-9_.-]{1,128}", name)]
            c.expect(
                not odd,
                "tool names should have 1 to 128 characters among A-Z, a-z, 0-9, '_', '-' and '.': "
                + repr(odd[:5]),
            )
    strict = t.revision >= "2025-11-25"
    section = "basic#schema-validation" if strict else f"{TOOLS}#tool"
    with t.check("schemas-valid", section, level=Level.MUST if strict else Level.SHOULD) as c:
        bad: list[str] = []
        unjudged: list[str] = []
        judged = 0
        for tool in tools:
            for field in ("inputSchema", "outputSchema"):
                if field not in tool:
                    continue
                try:
                    trouble = schema_trouble(tool[field])
                except Unjudgeable as exc:
                    unjudged.append(f"{tool['name']}.{field}: {exc}")
                    continue
                judged += 1
                if trouble is not None:
                    bad.append(f"{tool['name']}.{field}: {trouble}")
        c.expect(not bad, "schemas must be valid JSON Schema: " + "; ".join(bad[:5]))
        if not judged and unjudged:
            c.skip("no schema the suite can check: " + "; ".join(unjudged[:3]))


@server_scenario("tools-call", "tools answer calls with content blocks of the revision's kinds")
async def tools_call(t: ServerTest) -> None:
    opened = await tools_session(t, "content-kinds", f"{TOOLS}#tool-result")
    if opened is None:
        return
    session, listing = opened
    if not listing.ok:
        t.skip("content-kinds", f"{TOOLS}#tool-result", "tools/list failed (see the tools-list scenario)")
        return
    tools = {tool["name"]: tool for tool in tools_of(listing)}
    results: list[tuple[str, dict[str, Any]]] = []

    for name, (check, anchor, expected, since) in FIXTURES.items():
        if name not in tools:
            continue
        if since > t.revision:
            try:
                reply = await call(session, name, {})
            except PeerError:
                continue
            if reply.result is not None:
                results.append((name, reply.result))
            t.skip(check, f"{TOOLS}#tool-result", f"{t.revision} has no {'/'.join(sorted(expected))} content")
            continue
        with t.should(check, f"{TOOLS}#{anchor}") as c:
            reply = await call(session, name, {})
            result = reply.result
            c.expect(result is not None, f"calling the fixture {name} failed", reply.message)
            assert result is not None
            results.append((name, result))
            c.expect(result.get("isError") is not True, f"the fixture {name} reported an error", result)
            missing = expected - kinds_of(result)
            c.expect(
                not missing,
                f"the fixture {name} should return {sorted(expected)} content, as its name promises; "
                f"missing {sorted(missing)}",
                result,
            )
    if ERROR_FIXTURE in tools:
        with t.should("error-is-result", f"{TOOLS}#error-handling") as c:
            reply = await call(session, ERROR_FIXTURE, {})
            c.expect(
                reply.result is not None,
                f"{ERROR_FIXTURE} fails by design: errors raised by a tool should come back as a result "
                "with isError: true, not as a JSON-RPC error, so that the model sees them",
                reply.message,
            )
            result = reply.result or {}
            results.append((ERROR_FIXTURE, result))
            c.expect(
                result.get("isError") is True, f"{ERROR_FIXTURE}'s result should carry isError: true", result
            )
            c.expect(
                "text" in kinds_of(result), "a tool error should say what went wrong in a text block", result
            )

    # Read-only tools with arguments made from their schemas: only their content is judged, as
    # the suite cannot know what they should answer.
    called = 0
    for name, tool in tools.items():
        if called >= READ_ONLY_CALLS or name in FIXTURES or name == ERROR_FIXTURE or not safe_to_call(tool):
            continue
        arguments = sample_arguments(tool.get("inputSchema"))
        if arguments is None:
            continue
        called += 1
        try:
            reply = await call(session, name, arguments)
        except PeerError:
            continue  # a slow read-only tool is no fault; a dead server shows in the checks below
        if reply.result is not None:
            results.append((name, reply.result))

    blocks = [(name, block) for name, result in results for block in blocks_of(result)]
    if not blocks:
        reason = "no tool the suite may call returned content (it calls fixtures, read-only tools and echo)"
        for check in ("content-kinds", "binary-encoding", "mime-types"):
            t.skip(check, f"{TOOLS}#tool-result", reason)
        return
    found = [(name, rule, text) for name, block in blocks for rule, text in block_problems(block, t.revision)]
    for check, rule, level in (
        ("content-kinds", "kind", Level.MUST),
        ("binary-encoding", "encoding", Level.MUST),
        ("mime-types", "mime", Level.SHOULD),
    ):
        with t.check(check, f"{TOOLS}#tool-result", level=level) as c:
            bad = [f"{name}: {text}" for name, r, text in found if r == rule]
            c.expect(not bad, "; ".join(bad[:5]))


@server_scenario(
    "tools-structured-output",
    "a tool with an outputSchema returns conforming structuredContent, also as JSON text",
    revisions=STRUCTURED_REVISIONS,
)
async def tools_structured_output(t: ServerTest) -> None:
    section = f"{TOOLS}#output-schema"
    opened = await tools_session(t, "structured-content", section)
    if opened is None:
        return
    session, listing = opened
    candidates = [
        tool
        for tool in tools_of(listing)
        if isinstance(tool.get("outputSchema"), dict) and safe_to_call(tool)
    ]
    judged: list[tuple[str, dict[str, Any], dict[str, Any]]] = []  # name, schema, result
    notes: list[str] = []
    for tool in candidates[:5]:
        name = tool["name"]
        arguments = sample_arguments(tool.get("inputSchema"))
        if arguments is None:
            notes.append(f"{name}: no arguments the suite can make")
            continue
        try:
            reply = await call(session, name, arguments)
        except PeerError as exc:
            notes.append(f"{name}: {exc}")
            continue
        result = reply.result
        if result is None or result.get("isError") is True:
            notes.append(f"{name}: the call failed, so there is no structured result to judge")
            continue
        judged.append((name, tool["outputSchema"], result))
    if not judged:
        reason = "no tool with an outputSchema that the suite may call (fixtures, read-only tools, echo)"
        if notes:
            reason += ": " + "; ".join(notes[:3])
        t.skip("structured-content", section, reason)
        t.skip("structured-as-text", f"{TOOLS}#structured-content", reason)
        return
    with t.check("structured-content", section) as c:
        for name, schema, result in judged:
            structured = result.get("structuredContent")
            c.expect(
                structured is not None,
                f"{name} declares an outputSchema, so its results must carry structuredContent",
                result,
            )
            try:
                Validator(schema).validate(structured)
            except SchemaError as exc:
                notes.append(f"{name}: the suite cannot read its outputSchema ({exc})")
            except ValidationError as exc:
                c.fail(f"{name}'s structuredContent does not conform to its outputSchema: {exc}", result)
    with t.should("structured-as-text", f"{TOOLS}#structured-content") as c:
        for name, _, result in judged:
            structured = result.get("structuredContent")
            texts = [
                block.get("text")
                for block in blocks_of(result)
                if isinstance(block, dict) and block.get("type") == "text"
            ]
            c.expect(
                any(_json_equal(text, structured) for text in texts),
                f"{name} should also return its structuredContent serialized as JSON in a text block",
                result,
            )


def _json_equal(text: Any, value: Any) -> bool:
    if not isinstance(text, str):
        return False
    try:
        return bool(orjson.loads(text) == value)
    except orjson.JSONDecodeError:
        return False


UNKNOWN_TOOL = "mcp_conformance_no_such_tool"


@server_scenario(
    "tools-errors", "unknown tools and bad arguments are refused on the path the spec gives them"
)
async def tools_errors(t: ServerTest) -> None:
    section = f"{TOOLS}#error-handling"
    opened = await tools_session(t, "unknown-tool-refused", section)
    if opened is None:
        return
    session, listing = opened
    tools = tools_of(listing)
    names = {tool["name"] for tool in tools}
    unknown = UNKNOWN_TOOL
    while unknown in names:
        unknown += "_"

    reply: Reply | None = None
    with t.check("unknown-tool-refused", section) as c:
        reply = await call(session, unknown, {})
        c.expect(
            reply.refused or (reply.result or {}).get("isError") is True,
            f"calling a tool that does not exist ({unknown!r}) must not succeed",
            reply.message,
        )
    if reply is not None:
        protocol_error = reply.error is not None
        with t.should("unknown-tool-protocol-error", section) as c:
            c.expect(
                protocol_error,
                "an unknown tool should be reported as a JSON-RPC error (protocol error), not a tool result",
                reply.message,
            )
        with t.should("unknown-tool-code", section) as c:
            if not protocol_error:
                c.skip("no JSON-RPC error to read a code from")
            c.equal(
                reply.error_code,
                -32602,
                "the error code for an unknown tool (the spec's example)",
                reply.message,
            )

    with t.should("missing-name-error", section) as c:
        answer = await session.request("tools/call", {"arguments": {}})
        c.expect(
            answer.error is not None or (answer.http is not None and answer.http.status >= 400),
            "a tools/call without a tool name is a malformed request and should get a JSON-RPC error",
            answer.message,
        )

    # Bad arguments: leave out a required one, on a tool that is safe to call anyway.
    candidates = [tool for tool in tools if safe_to_call(tool) and _required(tool)]
    candidates.sort(key=lambda tool: (tool["name"] not in HARMLESS, tool["name"]))
    if not candidates:
        reason = "no tool that is safe to call has a required argument to leave out"
        t.skip("bad-arguments-refused", f"{TOOLS}#security-considerations", reason)
        return
    tool = candidates[0]
    bad = None
    with t.check("bad-arguments-refused", f"{TOOLS}#security-considerations") as c:
        bad = await call(session, tool["name"], {})
        c.expect(
            bad.refused or (bad.result or {}).get("isError") is True,
            f"{tool['name']} was called without its required argument(s) {_required(tool)}; servers must "
            "validate tool inputs, so the call must not succeed",
            bad.message,
        )
    if bad is not None and t.revision >= "2025-11-25":
        with t.should("bad-arguments-tool-error", section) as c:
            c.expect(
                (bad.result or {}).get("isError") is True,
                "input validation errors should be tool execution errors (a result with isError: true), "
                "so that the model can correct its call",
                bad.message,
            )


def _required(tool: dict[str, Any]) -> list[str]:
    schema = tool.get("inputSchema")
    required = schema.get("required") if isinstance(schema, dict) else None
    return [name for name in required if isinstance(name, str)] if isinstance(required, list) else []
