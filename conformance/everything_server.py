"""The reference MCP server of the conformance suite: every server feature, in one ``Server``.

A conformance suite needs a server that passes it, to show that every check can be passed and
to catch a check that has gone wrong. This is ours, and it doubles as the server the official
npm suite (``@modelcontextprotocol/conformance``) expects of a server under test: that suite
calls tools, reads resources and gets prompts by fixed names (``test_simple_text``,
``test://static-text``, ``test_prompt_with_arguments``...) and checks fixed behaviour, so the
``test_*`` tools, the ``test://`` resources and the ``test_*`` prompts below are named and
behave exactly as its scenarios ask. Around them sits what the official suite does not ask
for but a complete server offers, one feature each, across the four handshake revisions
(2024-11-05 to 2025-11-25): structured output under an output schema, resource links, tool
annotations and icons, roots, URL-mode elicitation, sampling with tools, list-changed and
resource-updated notifications, cancellation, completion with context, and lists long enough
to come in pages.

Where a revision cannot carry the content a tool shows (audio before 2025-03-26, resource links
before 2025-06-18), the tool says so in a text block rather than returning an empty result; a
tool that needs what the revision or the client lacks (elicitation before 2025-06-18, sampling
from a client without that capability) fails with an isError result that names it.

State is the server's, shared by every session: toggling the dynamic tool with
``test_list_changed`` changes the list for all connected clients, and each is told.

Run it over stdio or Streamable HTTP (from the repository root, so ``conformance`` imports)::

    mcpcore serve conformance.everything_server:server
    mcpcore serve conformance.everything_server:server --transport http --port 3001

and point the official suite at it::

    npx @modelcontextprotocol/conformance server --url http://127.0.0.1:3001/mcp --suite all
"""

from __future__ import annotations

import base64
from typing import Annotated, Any, Final, Literal

import anyio
import orjson
from pydantic import BaseModel, Field

from mcpcore import content
from mcpcore.server import CapabilityError, Completion, Context, Server
from mcpcore.types import ContentBlock, Icon

__all__ = ["PAGED_RESOURCES", "PAGE_SIZE", "server"]

# -- fixtures ---------------------------------------------------------------------------------

# A 1x1 red PNG and a WAV holding one silent sample: the smallest real files of their kinds.
PNG_BASE64: Final = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)
WAV_BASE64: Final = "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA="
PNG: Final = base64.b64decode(PNG_BASE64)

ICON: Final[Icon] = {"src": "data:image/png;base64," + PNG_BASE64, "mimeType": "image/png", "sizes": ["1x1"]}

PAGE_SIZE: Final = 50
"""Items per list page. Every tool and prompt fits in the first page (the official suite reads
only that page of ``tools/list`` and ``prompts/list``); ``resources/list`` needs two."""

PAGED_RESOURCES: Final = 50
"""How many ``test://paged/NN`` resources there are: enough to push ``resources/list`` past
one page, so that clients meet a ``nextCursor``."""

LOGGER: Final = "conformance-everything"

server = Server(
    "mcpcore-conformance-everything",
    "1.0.0",
    title="mcpcore conformance reference server",
    description="Every MCP server feature, named and shaped as the conformance suites expect",
    icons=[ICON],
    instructions=(
        "The reference server of mcpcore's conformance suite. Its test_* tools, test:// resources "
        "and test_* prompts behave as the official conformance suite's scenarios describe."
    ),
    page_size=PAGE_SIZE,
)


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


# -- tools the official suite calls -----------------------------------------------------------


@server.tool("test_simple_text")
def simple_text() -> str:
    """Returns one text block, the sentence the suite expects."""
    return "This is a simple text response for testing."


@server.tool("test_image_content", icons=[ICON])
def image_content() -> list[ContentBlock]:
    """Returns one image block: a 1x1 red PNG."""
    return [content.image(PNG_BASE64, "image/png")]


@server.tool("test_audio_content")
def audio_content(ctx: Context) -> list[ContentBlock]:
    """Returns one audio block, a one-sample WAV (audio content exists from 2025-03-26 on)."""
    if not ctx.revision.has("audio"):
        return [content.text(f"audio content needs revision 2025-03-26 or later, not {ctx.revision}")]
    return [content.audio(WAV_BASE64, "audio/wav")]


@server.tool("test_embedded_resource")
def embedded_resource() -> list[ContentBlock]:
    """Returns a plain-text resource embedded in the result."""
    return [
        content.embedded(
            "test://embedded-resource", text="This is an embedded resource content.", mime_type="text/plain"
        )
    ]


@server.tool("test_multiple_content_types")
def multiple_content_types() -> list[ContentBlock]:
    """Returns three kinds of content in one result: text, an image and an embedded JSON resource."""
    return [
        content.text("Multiple content types test:"),
        content.image(PNG_BASE64, "image/png"),
        content.embedded(
            "test://mixed-content-resource",
            text=_json({"test": "data", "value": 123}),
            mime_type="application/json",
        ),
    ]


@server.tool("test_tool_with_logging")
async def tool_with_logging(ctx: Context) -> str:
    """Sends three info-level log messages, 50 ms apart, while it runs."""
    await ctx.info("Tool execution started", logger=LOGGER)
    await anyio.sleep(0.05)
    await ctx.info("Tool processing data", logger=LOGGER)
    await anyio.sleep(0.05)
    await ctx.info("Tool execution completed", logger=LOGGER)
    return "Sent three log messages"


@server.tool("test_tool_with_progress")
async def tool_with_progress(ctx: Context) -> str:
    """Reports progress 0, 50 and 100 out of 100, 50 ms apart, if the call asked for progress."""
    for step in (0, 50, 100):
        if step:
            await anyio.sleep(0.05)
        await ctx.report_progress(step, 100, f"Completed step {step} of 100")
    token = ctx.progress_token
    return f"Progress reported for token {token!r}" if token is not None else "No progress token was given"


@server.tool("test_error_handling")
def error_handling() -> str:
    """Always fails: the caller gets a result flagged isError, not a protocol error."""
    raise RuntimeError("This tool intentionally returns an error for testing")


@server.tool("test_reconnection")
async def reconnection(ctx: Context) -> str:
    """Drops the connection of its own SSE stream mid-call; the answer comes once the client resumes.

    That is SSE polling (SEP-1699), Streamable HTTP at 2025-11-25 only: the client reconnects
    with Last-Event-ID and gets the answer replayed. Anywhere else the call simply answers.
    """
    closed = ctx.close_sse_stream()
    # Long enough that the answer is sent after the connection is gone, so it must be replayed.
    await anyio.sleep(0.1)
    if closed:
        return "test_reconnection answered after its stream's connection was dropped and resumed"
    return "test_reconnection answered on an unbroken connection (no SSE polling here)"


@server.tool("test_sampling")
async def sampling(
    prompt: Annotated[str, Field(description="What to ask the client's model")], ctx: Context
) -> str:
    """Asks the client's model (sampling/createMessage) and returns what it said."""
    result = await ctx.sample(prompt, max_tokens=100)
    answer = result["content"]
    blocks = answer if isinstance(answer, list) else [answer]
    return f"LLM response: {content.text_of(blocks) or 'No response'}"


ELICITATION_SCHEMA: Final = {
    "type": "object",
    "properties": {
        "username": {"type": "string", "description": "Your user name"},
        "email": {"type": "string", "description": "Where to reach you by email"},
    },
    "required": ["username", "email"],
}


@server.tool("test_elicitation")
async def elicitation(
    message: Annotated[str, Field(description="What the user is asked")], ctx: Context
) -> str:
    """Asks the user for a user name and email (form elicitation) and returns what they did."""
    answer = await ctx.elicit(message, ELICITATION_SCHEMA)
    return f"User response: action={answer.action}, content={_json(answer.content or {})}"


DEFAULTS_SCHEMA: Final = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "description": "Your name", "default": "John Doe"},
        "age": {"type": "integer", "description": "Your age in years", "default": 30},
        "score": {"type": "number", "description": "A score out of 100", "default": 95.5},
        "status": {
            "type": "string",
            "description": "Account state",
            "enum": ["active", "inactive", "pending"],
            "default": "active",
        },
        "verified": {"type": "boolean", "description": "Whether the account is verified", "default": True},
    },
    "required": [],
}


@server.tool("test_elicitation_sep1034_defaults")
async def elicitation_sep1034_defaults(ctx: Context) -> str:
    """Form elicitation where every field has a default (SEP-1034, 2025-11-25).

    Under 2025-06-18 only the boolean keeps its default: that revision allows no other.
    """
    answer = await ctx.elicit("Check the pre-filled values and change what is wrong", DEFAULTS_SCHEMA)
    return f"Elicitation completed: action={answer.action}, content={_json(answer.content or {})}"


ENUMS_SCHEMA: Final = {
    "type": "object",
    "properties": {
        "untitledSingle": {
            "type": "string",
            "description": "Pick one (plain enum)",
            "enum": ["option1", "option2", "option3"],
        },
        "titledSingle": {
            "type": "string",
            "description": "Pick one (titled options)",
            "oneOf": [
                {"const": "value1", "title": "First Option"},
                {"const": "value2", "title": "Second Option"},
                {"const": "value3", "title": "Third Option"},
            ],
        },
        "legacyEnum": {
            "type": "string",
            "description": "Pick one (enumNames, deprecated)",
            "enum": ["opt1", "opt2", "opt3"],
            "enumNames": ["Option One", "Option Two", "Option Three"],
        },
        "untitledMulti": {
            "type": "array",
            "description": "Pick one to three (plain enum)",
            "minItems": 1,
            "maxItems": 3,
            "items": {"type": "string", "enum": ["option1", "option2", "option3"]},
        },
        "titledMulti": {
            "type": "array",
            "description": "Pick one to three (titled options)",
            "minItems": 1,
            "maxItems": 3,
            "items": {
                "anyOf": [
                    {"const": "value1", "title": "First Choice"},
                    {"const": "value2", "title": "Second Choice"},
                    {"const": "value3", "title": "Third Choice"},
                ]
            },
        },
    },
    "required": [],
}


@server.tool("test_elicitation_sep1330_enums")
async def elicitation_sep1330_enums(ctx: Context) -> str:
    """Form elicitation with each of the five enum field shapes (SEP-1330, 2025-11-25).

    Multi-select needs 2025-11-25: under 2025-06-18 the call is an isError result saying so.
    """
    answer = await ctx.elicit("Choose from each list", ENUMS_SCHEMA)
    return f"Elicitation completed: action={answer.action}, content={_json(answer.content or {})}"


JSON_SCHEMA_2020_12: Final = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "$defs": {
        "address": {
            "$anchor": "addressDef",
            "type": "object",
            "properties": {"street": {"type": "string"}, "city": {"type": "string"}},
        }
    },
    "properties": {
        "name": {"type": "string"},
        "address": {"$ref": "#/$defs/address"},
        "contactMethod": {"type": "string", "enum": ["phone", "email"]},
        "phone": {"type": "string"},
        "email": {"type": "string"},
    },
    "allOf": [{"anyOf": [{"required": ["phone"]}, {"required": ["email"]}]}],
    "if": {"properties": {"contactMethod": {"const": "phone"}}, "required": ["contactMethod"]},
    "then": {"required": ["phone"]},
    "else": {"required": ["email"]},
    "additionalProperties": False,
}


@server.tool(input_schema=JSON_SCHEMA_2020_12)
def json_schema_2020_12_tool(
    name: str | None = None,
    address: dict[str, Any] | None = None,
    contactMethod: str | None = None,  # the schema's property name
    phone: str | None = None,
    email: str | None = None,
) -> str:
    """Advertises an input schema written in JSON Schema 2020-12 ($defs, $anchor, allOf, if/then/else).

    SEP-1613 and SEP-2106: a server must pass its schema on whole, not just properties/required.
    """
    given = {
        key: value
        for key, value in (
            ("name", name),
            ("address", address),
            ("contactMethod", contactMethod),
            ("phone", phone),
            ("email", email),
        )
        if value is not None
    }
    return f"json_schema_2020_12_tool got {_json(given)}"


# -- tools for the rest of the protocol -------------------------------------------------------


class Forecast(BaseModel):
    """The structured result of test_structured_output."""

    city: str
    temperature_c: float
    conditions: Literal["sunny", "cloudy", "rain"]


@server.tool(
    "test_structured_output",
    title="Structured forecast",
    annotations={"readOnlyHint": True, "idempotentHint": True},
)
def structured_output(city: Annotated[str, Field(description="Any city name")] = "Paris") -> Forecast:
    """Structured output: an output schema in tools/list, structuredContent in the result (2025-06-18)."""
    return Forecast(city=city, temperature_c=21.5, conditions="sunny")


@server.tool("echo", annotations={"readOnlyHint": True, "idempotentHint": True})
def echo(message: Annotated[str, Field(description="Any text, returned unchanged")]) -> str:
    """Return the message unchanged: conformance suites send it Unicode and very long strings."""
    return message


@server.tool("test_resource_link")
def resource_link(ctx: Context) -> list[ContentBlock]:
    """Resource links (2025-06-18): points at two of this server's resources instead of embedding them."""
    if not ctx.revision.has("resource_links"):
        return [content.text(f"resource links need revision 2025-06-18 or later, not {ctx.revision}")]
    return [
        content.text("Two resources this server offers:"),
        content.resource_link(
            "test://static-text",
            "static-text",
            mime_type="text/plain",
            annotations={"audience": ["user", "assistant"], "priority": 0.5},
        ),
        content.resource_link("test://static-binary", "static-binary", mime_type="image/png"),
    ]


@server.tool("test_list_roots", annotations={"readOnlyHint": True})
async def list_roots(ctx: Context) -> str:
    """The roots the client offers (roots/list), as JSON text."""
    return _json({"roots": await ctx.list_roots()})


@server.tool("test_url_elicitation")
async def url_elicitation(
    ctx: Context,
    url: Annotated[str, Field(description="Where to send the user")] = "https://example.com/consent",
) -> str:
    """URL-mode elicitation (2025-11-25): sends the user to a page, then reports it complete."""
    elicitation_id = f"conformance-{ctx.request_id}"
    action = await ctx.elicit_url("Please visit this page to continue", url, elicitation_id)
    if action == "accept":
        await ctx.complete_elicitation(elicitation_id)
    return f"URL elicitation finished: action={action}"


WEATHER_TOOL: Final = {
    "name": "get_weather",
    "description": "Today's weather in a city",
    "inputSchema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


@server.tool("test_sampling_with_tools")
async def sampling_with_tools(
    prompt: Annotated[str, Field(description="What to ask the client's model")], ctx: Context
) -> str:
    """Sampling with tools (2025-11-25): offers the client's model one tool and reports its answer."""
    result = await ctx.sample(prompt, max_tokens=100, tools=[WEATHER_TOOL], tool_choice={"mode": "auto"})
    answer = result["content"]
    blocks = answer if isinstance(answer, list) else [answer]
    kinds = ", ".join(str(block.get("type")) for block in blocks)
    return f"Sampling with tools answered ({kinds}), stopReason={result.get('stopReason')}"


DYNAMIC_TOOL: Final = "test_dynamic_tool"
DYNAMIC_RESOURCE: Final = "test://dynamic-resource"
DYNAMIC_PROMPT: Final = "test_dynamic_prompt"


def _dynamic_tool() -> str:
    """A tool that test_list_changed adds and removes."""
    return "The dynamic tool is here."


def _dynamic_resource() -> str:
    return "A resource that test_list_changed adds and removes."


def _dynamic_prompt() -> str:
    return "A prompt that test_list_changed adds and removes."


# Which kinds' dynamic item is registered now.
_dynamic: set[str] = set()


@server.tool("test_list_changed")
def list_changed(
    kind: Annotated[
        Literal["tools", "resources", "prompts"], Field(description="Which list to change")
    ] = "tools",
) -> str:
    """Adds the dynamic tool, resource or prompt if absent, removes it if present.

    Every connected client that was told the list may change gets notifications/<kind>/list_changed.
    """
    present = kind in _dynamic
    if kind == "tools":
        if present:
            server.remove_tool(DYNAMIC_TOOL)
        else:
            server.add_tool(_dynamic_tool, name=DYNAMIC_TOOL)
        item = f"tool {DYNAMIC_TOOL}"
    elif kind == "resources":
        if present:
            server.remove_resource(DYNAMIC_RESOURCE)
        else:
            server.add_resource(
                _dynamic_resource,
                DYNAMIC_RESOURCE,
                name="dynamic-resource",
                description="A resource that test_list_changed adds and removes",
                mime_type="text/plain",
            )
        item = f"resource {DYNAMIC_RESOURCE}"
    else:
        if present:
            server.remove_prompt(DYNAMIC_PROMPT)
        else:
            server.add_prompt(
                _dynamic_prompt, name=DYNAMIC_PROMPT, description="A prompt that test_list_changed adds"
            )
        item = f"prompt {DYNAMIC_PROMPT}"
    _dynamic.symmetric_difference_update({kind})
    return f"{'removed' if present else 'added'} {item}"


@server.tool("test_notify_resource_updated")
async def notify_resource_updated(
    uri: Annotated[str, Field(description="The resource that changed")] = "test://watched-resource",
) -> str:
    """Tells every client subscribed to the resource that it changed (notifications/resources/updated)."""
    await server.notify_resource_updated(uri)
    return f"told the subscribers of {uri}"


@server.tool("test_slow")
async def slow(
    ctx: Context, seconds: Annotated[float, Field(ge=0, le=300, description="How long to sleep")] = 30.0
) -> str:
    """Sleeps, so that a client can cancel the call; a progress notification says the sleep began."""
    await ctx.report_progress(0, message="sleeping")
    await anyio.sleep(seconds)
    return f"slept {seconds} s"


# -- 2026-07-28: input-required results, the envelope, listen streams --------------------------
#
# Names and shapes as the official suite's 2026-07-28 scenarios ask. In a legacy session the
# same tools send their questions as requests to the client instead.

_NAME_SCHEMA: Final = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
_CONFIRM_SCHEMA: Final = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}


@server.tool("test_input_required_result_elicitation")
async def input_required_elicitation(ctx: Context) -> str:
    """Asks for the user's name (input key user_name) and greets them."""
    answer = await ctx.elicit("What is your name?", _NAME_SCHEMA, key="user_name")
    name = answer.content.get("name") if answer.content else None
    return f"Hello, {name}!" if answer.action == "accept" else f"No name given ({answer.action})."


@server.tool("test_input_required_result_sampling")
async def input_required_sampling(ctx: Context) -> str:
    """Asks the client's model a question (input key capital_question) and returns the answer."""
    result = await ctx.sample("What is the capital of France?", max_tokens=100, key="capital_question")
    return f"The model answered: {content.text_of(_blocks_of(result))}"


@server.tool("test_input_required_result_list_roots")
async def input_required_list_roots(ctx: Context) -> str:
    """Asks for the client's roots (input key client_roots) and lists them."""
    roots = await ctx.list_roots(key="client_roots")
    return "Roots: " + ", ".join(str(root["uri"]) for root in roots)


@server.tool("test_input_required_result_request_state")
async def input_required_request_state(ctx: Context) -> str:
    """Asks for a confirmation (input key confirm); the answer comes back with a verified state."""
    answer = await ctx.elicit("Please confirm", _CONFIRM_SCHEMA, key="confirm")
    return f"state-ok: the sealed requestState verified, and the answer was {answer.action}"


@server.tool("test_input_required_result_multiple_inputs")
async def input_required_multiple_inputs(ctx: Context) -> str:
    """Asks for a name, a greeting from the model and the roots, all in one round."""
    answer, greeting, roots = await ctx.ask_all(
        ctx.elicit("What is your name?", _NAME_SCHEMA, key="user_name"),
        ctx.sample("Generate a greeting", max_tokens=50, key="greeting"),
        ctx.list_roots(key="client_roots"),
    )
    name = answer.content.get("name") if answer.content else None
    return f"{content.text_of(_blocks_of(greeting))} {name} ({len(roots)} roots)"


@server.tool("test_input_required_result_multi_round")
async def input_required_multi_round(ctx: Context) -> str:
    """Asks two questions, one round each (step1, then step2)."""
    first = await ctx.elicit("Step 1: What is your name?", _NAME_SCHEMA, key="step1")
    color_schema = {"type": "object", "properties": {"color": {"type": "string"}}, "required": ["color"]}
    second = await ctx.elicit("Step 2: What is your favorite color?", color_schema, key="step2")
    name = first.content.get("name") if first.content else None
    color = second.content.get("color") if second.content else None
    return f"{name} likes {color}"


@server.tool("test_input_required_result_tampered_state")
async def input_required_tampered_state(ctx: Context) -> str:
    """Asks for a confirmation; a retry whose requestState was altered is refused."""
    answer = await ctx.elicit("Please confirm", _CONFIRM_SCHEMA, key="confirm")
    return f"confirmed: {answer.action}"


@server.tool("test_input_required_result_capabilities")
async def input_required_capabilities(ctx: Context) -> str:
    """Asks only for what the request's client capabilities declare."""
    asks: list[Any] = []
    if "sampling" in ctx.client_capabilities:
        asks.append(ctx.sample("Say something", max_tokens=20, key="sampled"))
    if "elicitation" in ctx.client_capabilities:
        asks.append(ctx.elicit("What is your name?", _NAME_SCHEMA, key="user_name"))
    if "roots" in ctx.client_capabilities:
        asks.append(ctx.list_roots(key="client_roots"))
    answers = await ctx.ask_all(*asks)
    return f"{len(answers)} answers, one per declared capability"


@server.prompt("test_input_required_result_prompt", title="Prompt that needs input")
async def input_required_prompt(ctx: Context) -> str:
    """Asks what context to use (input key user_context), then builds the prompt."""
    schema = {"type": "object", "properties": {"context": {"type": "string"}}, "required": ["context"]}
    try:
        answer = await ctx.elicit("What context should the prompt use?", schema, key="user_context")
    except CapabilityError:
        if ctx.modern:
            raise  # -32021: the request did not declare elicitation
        return "Use this context: none (this client cannot be asked)"  # a legacy prompt still works
    context_text = answer.content.get("context") if answer.content else "none"
    return f"Use this context: {context_text}"


@server.tool("test_missing_capability")
async def missing_capability(ctx: Context) -> str:
    """Needs sampling: a request whose client did not declare it is refused (-32021 in 2026-07-28)."""
    result = await ctx.sample("Say hello", max_tokens=10, key="hello")
    return content.text_of(_blocks_of(result))


@server.tool("test_streaming_elicitation")
async def streaming_elicitation(ctx: Context) -> str:
    """Reports progress, then asks a question: the request's stream carries no request of ours."""
    await ctx.report_progress(0, 1, "about to ask")
    answer = await ctx.elicit("Continue?", _CONFIRM_SCHEMA, key="continue")
    return f"answer: {answer.action}"


@server.tool("test_logging_tool")
async def logging_tool(ctx: Context) -> str:
    """Logs at every level; a 2026-07-28 request without a logLevel must hear none of it."""
    for level in ("debug", "info", "warning", "error"):
        await ctx.log(level, f"a {level} message", logger="test_logging_tool")
    return "logged"


@server.tool("test_trigger_tool_change")
def trigger_tool_change() -> str:
    """Adds or removes the dynamic tool (as test_list_changed with kind tools)."""
    return list_changed("tools")


@server.tool("test_trigger_prompt_change")
def trigger_prompt_change() -> str:
    """Adds or removes the dynamic prompt (as test_list_changed with kind prompts)."""
    return list_changed("prompts")


@server.tool("test_header_parameter")
def header_parameter(
    region: Annotated[
        str,
        Field(
            description="Mirrored in the Mcp-Param-Region header",
            json_schema_extra={"x-mcp-header": "Region"},
        ),
    ],
    count: Annotated[
        int,
        Field(
            description="Mirrored in the Mcp-Param-Count header", json_schema_extra={"x-mcp-header": "Count"}
        ),
    ] = 1,
) -> str:
    """Echoes arguments that clients must also send as Mcp-Param-* headers over HTTP (2026-07-28)."""
    return f"{region} x{count}"


def _blocks_of(result: dict[str, Any]) -> list[Any]:
    answer = result.get("content")
    return answer if isinstance(answer, list) else [answer]


# -- resources --------------------------------------------------------------------------------


@server.resource(
    "test://static-text",
    name="static-text",
    title="Static text",
    description="Fixed plain text",
    mime_type="text/plain",
)
def static_text() -> str:
    return "This is the content of the static text resource."


@server.resource(
    "test://static-binary",
    name="static-binary",
    title="Static binary",
    description="Fixed binary content: a 1x1 red PNG",
    mime_type="image/png",
    size=len(PNG),
)
def static_binary() -> bytes:
    return PNG


@server.resource(
    "test://watched-resource",
    name="watched-resource",
    title="Watched",
    description="A resource to subscribe to; test_notify_resource_updated announces a change",
    mime_type="text/plain",
)
def watched_resource() -> str:
    return "Watched resource content"


@server.resource(
    "test://template/{id}/data",
    name="template",
    title="Templated data",
    description="JSON naming the id taken from the URI",
    mime_type="application/json",
)
def template_data(id: str) -> str:
    return _json({"id": id, "templateTest": True, "data": f"Data for ID: {id}"})


def _paged(number: int) -> Any:
    def read() -> str:
        return f"Paged resource {number} of {PAGED_RESOURCES}."

    return read


for _number in range(1, PAGED_RESOURCES + 1):
    server.add_resource(
        _paged(_number),
        f"test://paged/{_number:02d}",
        name=f"paged-{_number:02d}",
        description=f"Resource {_number} of {PAGED_RESOURCES}, there to make resources/list come in pages",
        mime_type="text/plain",
    )


# -- prompts ----------------------------------------------------------------------------------


@server.prompt("test_simple_prompt", title="Simple prompt")
def simple_prompt() -> str:
    """One user message, no arguments."""
    return "This is a simple prompt for testing."


@server.prompt("greeting", title="Greeting")
def greeting() -> str:
    """A plain prompt without arguments, beside the official suite's fixtures."""
    return "Say hello to the conformance suite."


@server.prompt("test_prompt_with_arguments", title="Prompt with arguments")
def prompt_with_arguments(
    arg1: Annotated[str, Field(description="Any text; the message quotes it")],
    arg2: Annotated[str, Field(description="Any text; the message quotes it too")],
) -> str:
    """One user message quoting its two required arguments."""
    return f"Prompt with arguments: arg1='{arg1}', arg2='{arg2}'"


@server.prompt("test_prompt_with_embedded_resource", title="Prompt embedding a resource")
def prompt_with_embedded_resource(
    resourceUri: Annotated[str, Field(description="The URI the embedded resource gets")],
) -> list[dict[str, Any]]:
    """A user message embedding a text resource under the given URI, then one asking about it."""
    return [
        {
            "role": "user",
            "content": content.embedded(
                resourceUri, text="Embedded resource content for testing.", mime_type="text/plain"
            ),
        },
        {"role": "user", "content": content.text("What does the resource above say?")},
    ]


@server.prompt("test_prompt_with_image", title="Prompt with an image")
def prompt_with_image() -> list[dict[str, Any]]:
    """A user message holding an image, then one asking about it."""
    return [
        {"role": "user", "content": content.image(PNG_BASE64, "image/png")},
        {"role": "user", "content": content.text("What colour is the image above?")},
    ]


# -- completion -------------------------------------------------------------------------------

ARG1_VALUES: Final = ("paris", "park", "party", "test", "testing", "tested")


@server.completion(prompt="test_prompt_with_arguments", argument="arg1")
def complete_arg1(value: str, arguments: dict[str, str]) -> list[str]:
    return [option for option in ARG1_VALUES if option.startswith(value.lower())]


@server.completion(prompt="test_prompt_with_arguments", argument="arg2")
def complete_arg2(value: str, arguments: dict[str, str]) -> list[str]:
    # Completion context (2025-06-18): suggestions built on the arg1 the client already chose.
    base = arguments.get("arg1", "value")
    return [option for option in (f"{base}-one", f"{base}-two") if option.startswith(value)]


@server.completion(prompt="test_prompt_with_embedded_resource", argument="resourceUri")
def complete_resource_uri(value: str, arguments: dict[str, str]) -> list[str]:
    known = ("test://static-text", "test://static-binary", "test://watched-resource")
    return [uri for uri in known if uri.startswith(value)]


TEMPLATE_IDS: Final = 250
"""Ids offered for the template's ``{id}``: more than one completion answer may carry (100)."""


@server.completion(template="test://template/{id}/data", argument="id")
def complete_template_id(value: str, arguments: dict[str, str]) -> Completion:
    matches = [str(n) for n in range(1, TEMPLATE_IDS + 1) if str(n).startswith(value)]
    # The server cuts the list to 100 and sets hasMore; the total says how many there were.
    return Completion(matches, total=len(matches))


if __name__ == "__main__":
    from transports.stdio import serve_stdio

    anyio.run(serve_stdio, server)
