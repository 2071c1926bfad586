"""The reference MCP client of the conformance suite: one program that acts out every client scenario.

A conformance suite that tests clients needs a client to test, and ours has two judges: our own
suite (``mcpcore conformance client``) and the official npm suite
(``@modelcontextprotocol/conformance``, versions 0.1.16 and 0.2.0-alpha.12). Both run a client
command once per scenario, append the target to it, and name the scenario in the environment.
This module is that command for mcpcore's :class:`~mcpcore.client.Client`, so its scorecard is
our client's scorecard; it is also a worked example of the client API.

Usage::

    MCP_CONFORMANCE_SCENARIO=NAME [MCP_CONFORMANCE_CONTEXT=JSON] \\
        python -m conformance.everything_client [--backend asyncio|trio] TARGET

``TARGET`` is either

* an ``http://`` or ``https://`` URL: a Streamable HTTP endpoint (``Client(url)``); the official
  suite always passes one, and so does ours for its HTTP runs; or
* anything else: a shell-style command line that starts a stdio server, split with
  :func:`shlex.split` and launched by :class:`~transports.stdio.StdioClientTransport`. Our own
  suite passes one for its stdio runs (``python -m conformance._client_server ...``).

``MCP_CONFORMANCE_CONTEXT`` is an optional JSON object: ``tool`` names the tool a scenario calls
and ``arguments`` its arguments (when absent, they are built from the tool's input schema:
defaults, else the first enum value, else the smallest valid value of each required property).
The official suite adds a ``name`` key (the scenario), ignored here. When
``MCP_CONFORMANCE_PROTOCOL_VERSION`` (set by the official suite since 0.2) names a handshake
revision, the client offers that revision and none newer.

What each scenario does (every scenario connects first and closes the session at the end):

===================================  =======================================================
scenario                             the client
===================================  =======================================================
initialize                           lists the tools
ping                                 sends ``ping``
tools_call                           calls the context's tool with its arguments; without a
                                     context, calls the first listed tool with arguments
                                     built from its input schema (the official suite's
                                     ``add_numbers``)
list-all                             lists tools, resources, resource templates and prompts
                                     (those the server declared), following every cursor
sampling, elicitation, roots         declares all three capabilities (sampling answers a fixed
                                     text from model ``everything-client``; elicitation
                                     accepts forms with content built from the requested
                                     schema, declines URL mode; roots offers
                                     ``file:///tmp/conformance-root`` named ``conformance``),
                                     then calls the context's tool, or every listed tool whose
                                     name starts with ``test_``
elicitation-sep1034-client-defaults  as ``elicitation``, calling
                                     ``test_client_elicitation_defaults`` unless the context
                                     names a tool: every default of the form is applied
cancel                               calls the context's tool asking for progress, and cancels
                                     it at its first progress notification or after 0.5 s;
                                     then pings to show the session survived
sse-retry                            calls the context's tool, else ``test_reconnection``; the
                                     HTTP transport resumes the stream the server cuts
                                     (``Last-Event-ID``, after the server's ``retry`` delay)
json-schema-2020-12-preservation     lists the tools and calls ``json_schema_echo`` with the
                                     input schema of ``json_schema_2020_12_tool``, unchanged
===================================  =======================================================

The official suite's 2026-07-28 scenarios (``request-metadata``, ``http-standard-headers``,
``http-custom-headers``, ``http-invalid-tool-headers``, ``sep-2322-client-request-state``,
``json-schema-ref-no-deref``) judge the requests a client sends, so for each the client uses
everything the server offers: the context's ``toolCalls`` (else every listed tool), then every
resource and prompt; a refused call is logged, not a failure. Our own suite's
``modern-tools-call`` acts as ``tools_call`` and ``modern-input-required`` as ``sampling``.
In ``era-modern`` and ``era-fallback`` the client offers every revision it speaks (unless the
revision is named), so that it probes ``server/discover`` and falls back to ``initialize`` when
the server does not speak the modern era; then it acts as ``tools_call``. The authorization
scenarios (``auth/...``) and the official suite's extensions (``sep-2640-...``) are known but
not supported: the client says so and exits 1 rather than pretend. A tool result with
``isError`` counts as a failure.

Exit status: 0 when the scenario was carried out; 1 with a one-line reason on stderr when it
could not be (an MCP error, a dead server, a timeout, an unsupported scenario); 2 for a
malformed invocation (no or unknown scenario, a context that is not a JSON object). Everything
the client does is logged on stderr, never stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import math
import os
import shlex
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, NoReturn, TypeGuard

import anyio
import orjson

from mcpcore import __version__, revisions
from mcpcore.client import Client, Listing
from mcpcore.dispatcher import Transport
from mcpcore.errors import McpError
from mcpcore.types import CallToolResult

__all__ = ["SCENARIOS", "UNSUPPORTED", "form_answer", "main", "sample_value", "tool_arguments"]

PROGRAM = "everything-client"
ROOT = {"uri": "file:///tmp/conformance-root", "name": "conformance"}
SAMPLED_TEXT = "A fixed answer from everything-client."
RUN_TIMEOUT = 25.0  # the official suite kills a client after 30 s: fail first, with a reason
REQUEST_TIMEOUT = 20.0
CANCEL_AFTER = 0.5  # seconds to wait for a progress notification before cancelling anyway

UNSUPPORTED: Mapping[str, str] = {}
"""Scenarios of the official suite this client knows of and does not carry out yet, and why."""

_UNSUPPORTED_PREFIXES = {"auth/": "an authorization scenario", "sep-2640-": "an extension scenario"}


class ScenarioFailed(Exception):
    """The scenario could not be carried out; the message is the one-line reason."""


def _say(message: str) -> None:
    sys.stderr.write(f"{PROGRAM}: {message}\n")
    sys.stderr.flush()


def _one_line(text: str, limit: int = 600) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


# -- values from JSON schemas -------------------------------------------------------------------


def _choices(schema: Mapping[str, Any]) -> list[Any]:
    """The values an enumerated schema allows: ``enum``, or the ``const`` of each option of a
    titled enum (``oneOf``/``anyOf``, elicitation of 2025-11-25)."""
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return list(enum)
    for key in ("oneOf", "anyOf"):
        options = schema.get(key)
        if isinstance(options, list):
            consts = [o["const"] for o in options if isinstance(o, dict) and "const" in o]
            if consts:
                return consts
    return []


def sample_value(schema: Any) -> Any:
    """A small value that fits ``schema``: its default, else its first allowed value, else the
    least value its type and bounds allow. ``None`` when the schema says too little to guess."""
    if not isinstance(schema, dict):
        return None
    if "default" in schema:
        return schema["default"]
    if "const" in schema:
        return schema["const"]
    choices = _choices(schema)
    if choices:
        return choices[0]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind == "string":
        return _sample_string(schema)
    if kind in ("integer", "number"):
        return _sample_number(schema, integer=kind == "integer")
    if kind == "boolean":
        return False
    if kind == "array":
        items = schema.get("items")
        items = items if isinstance(items, dict) else {}
        least, most = schema.get("minItems"), schema.get("maxItems")
        count = least if isinstance(least, int) and least > 0 else 0
        options = _choices(items)
        if options:  # a multi-select: its first options, at least one unless none is allowed
            wanted = max(count, 1)
            if isinstance(most, int) and most >= 0:
                wanted = min(wanted, most)
            return options[:wanted]
        value = sample_value(items)
        return [] if value is None else [value] * count
    if kind == "object" or "properties" in schema:
        return _sample_object(schema)
    return None


def _sample_string(schema: Mapping[str, Any]) -> str:
    fixed = {
        "email": "everything-client@example.com",
        "uri": "https://example.com/",
        "date": "2025-01-01",
        "date-time": "2025-01-01T00:00:00Z",
    }
    text = fixed.get(str(schema.get("format")), PROGRAM)
    least, most = schema.get("minLength"), schema.get("maxLength")
    if isinstance(least, int) and len(text) < least:
        text += "x" * (least - len(text))
    if isinstance(most, int) and most >= 0 and len(text) > most:
        text = text[:most]
    return text


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _sample_number(schema: Mapping[str, Any], *, integer: bool) -> int | float:
    low, high, above = schema.get("minimum"), schema.get("maximum"), schema.get("exclusiveMinimum")
    value: int | float = low if _is_number(low) else 0
    if _is_number(high) and value > high:
        value = high
    if _is_number(above) and value <= above:
        value = above + 1
    return math.ceil(value) if integer else value


def _sample_object(schema: Mapping[str, Any]) -> dict[str, Any]:
    """Every property that has a default, and a sample of every other required one."""
    properties = schema.get("properties")
    properties = properties if isinstance(properties, dict) else {}
    required = schema.get("required")
    required = set(required) if isinstance(required, list) else set()
    out: dict[str, Any] = {}
    for name, prop in properties.items():
        if isinstance(prop, dict) and "default" in prop:
            out[name] = prop["default"]
        elif name in required:
            value = sample_value(prop)
            if value is not None:
                out[name] = value
    return out


def tool_arguments(tool: Mapping[str, Any]) -> dict[str, Any]:
    """Arguments for a tool, built from its input schema (see :func:`sample_value`)."""
    schema = tool.get("inputSchema")
    return _sample_object(schema) if isinstance(schema, dict) else {}


def form_answer(requested: Any) -> dict[str, Any]:
    """The content of an accepted form: every default the form gives (SEP-1034: a client
    applies defaults to the fields the user left alone), and a valid value for every other
    required field."""
    return _sample_object(requested) if isinstance(requested, dict) else {}


# -- the handlers of the server's requests ------------------------------------------------------


async def _sampling(params: dict[str, Any]) -> dict[str, Any]:
    _say("answering sampling/createMessage with a fixed text")
    return {
        "role": "assistant",
        "content": {"type": "text", "text": SAMPLED_TEXT},
        "model": PROGRAM,
        "stopReason": "endTurn",
    }


async def _elicitation(params: dict[str, Any]) -> dict[str, Any]:
    if params.get("mode", "form") != "form":
        _say(f"declining {params.get('mode')!r} elicitation")
        return {"action": "decline"}
    content = form_answer(params.get("requestedSchema"))
    _say(f"accepting the elicitation form with {orjson.dumps(content).decode()}")
    return {"action": "accept", "content": content}


# -- the session --------------------------------------------------------------------------------


class Run:
    """One run: the target, the scenario's context, and how to open a session with the target."""

    def __init__(
        self, target: str, scenario: str, context: Mapping[str, Any], versions: Sequence[str]
    ) -> None:
        self.target = target
        self.scenario = scenario
        self.context = context
        self.versions = tuple(versions)

    def transport(self) -> Transport | str:
        if self.target.startswith(("http://", "https://")):
            return self.target
        from transports.stdio import StdioClientTransport

        try:
            argv = shlex.split(self.target)
        except ValueError as exc:
            raise ScenarioFailed(f"cannot split the server command {self.target!r}: {exc}") from None
        if not argv:
            raise ScenarioFailed("the server command is empty")
        return StdioClientTransport(argv[0], argv[1:], on_stderr=lambda line: _say(f"[server] {line}"))

    def client(self, *, interactive: bool = False) -> Client:
        """A client for the target; ``interactive`` declares sampling, elicitation and roots."""
        _say(f"connecting to {self.target} ({self.scenario}; offering {self.versions[-1]})")
        return Client(
            self.transport(),
            name=f"mcpcore-{PROGRAM}",
            version=__version__,
            versions=self.versions,
            sampling=_sampling if interactive else None,
            elicitation=_elicitation if interactive else None,
            roots=[ROOT] if interactive else None,
            on_log=lambda note: _say(
                f"[server log] {note.get('level')}: {_one_line(repr(note.get('data')))}"
            ),
            request_timeout=REQUEST_TIMEOUT,
            initialize_timeout=REQUEST_TIMEOUT,
        )

    def tool(self) -> str | None:
        tool = self.context.get("tool")
        if tool is not None and not isinstance(tool, str):
            raise ScenarioFailed(f"the context's 'tool' must be a string, not {tool!r}")
        return tool


def _connected(client: Client) -> None:
    info = client.server_info
    _say(f"connected to {info.get('name')} {info.get('version')} (protocol {client.protocol_version})")


async def _tools(client: Client) -> list[Any]:
    """The server's tools; none without the ``tools`` capability, since a client must not ask a
    server for what it did not declare (basic/lifecycle#capability-negotiation)."""
    if "tools" not in client.server_capabilities:
        _say("the server declares no tools capability: not listing tools")
        return []
    tools = await client.list_tools()
    _say(f"the server lists {len(tools)} tools: {', '.join(str(t.get('name')) for t in tools)}")
    return tools


async def _call(client: Client, name: str, arguments: Mapping[str, Any] | None, tools: Sequence[Any]) -> None:
    """Call a tool (arguments from its schema when none are given) and insist on success."""
    if arguments is None:
        listed = next((t for t in tools if isinstance(t, dict) and t.get("name") == name), None)
        arguments = tool_arguments(listed) if listed is not None else {}
    _say(f"calling {name} with {orjson.dumps(dict(arguments)).decode()}")
    result: CallToolResult = await client.call_tool(name, arguments)
    _check(name, result)


def _check(name: str, result: CallToolResult) -> None:
    texts = [
        b.get("text", "")
        for b in result.get("content", [])
        if isinstance(b, dict) and b.get("type") == "text"
    ]
    summary = _one_line(" ".join(str(t) for t in texts), 300) or f"{len(result.get('content', []))} blocks"
    if result.get("isError"):
        raise ScenarioFailed(f"tool {name} returned an error: {summary}")
    _say(f"{name} answered: {summary}")


def _context_arguments(run: Run) -> dict[str, Any] | None:
    arguments = run.context.get("arguments")
    if arguments is None:
        return None
    if not isinstance(arguments, dict):
        raise ScenarioFailed(f"the context's 'arguments' must be an object, not {arguments!r}")
    return arguments


# -- the scenarios ------------------------------------------------------------------------------


async def _initialize(run: Run) -> None:
    async with run.client() as client:
        _connected(client)
        await _tools(client)


async def _ping(run: Run) -> None:
    async with run.client() as client:
        _connected(client)
        await client.ping()
        _say("ping answered")


async def _tools_call(run: Run) -> None:
    async with run.client() as client:
        _connected(client)
        tools = await _tools(client)
        name = run.tool()
        if name is None:
            if not tools:
                raise ScenarioFailed("the server lists no tools to call")
            name = tools[0]["name"]
        await _call(client, name, _context_arguments(run), tools)


async def _list_all(run: Run) -> None:
    async with run.client() as client:
        _connected(client)
        caps = client.server_capabilities
        listings: list[tuple[str, Listing[Any]]] = []
        if "tools" in caps:
            listings.append(("tools", client.list_tools()))
        if "resources" in caps:
            listings.append(("resources", client.list_resources()))
            listings.append(("resource templates", client.list_resource_templates()))
        if "prompts" in caps:
            listings.append(("prompts", client.list_prompts()))
        for what, listing in listings:
            pages = 0
            count = 0
            async for page in listing.pages():  # each page's nextCursor is followed, unchanged
                pages += 1
                count += len(page)
            _say(f"listed {count} {what} in {pages} pages")


async def _interactive(run: Run, default_tool: str | None = None) -> None:
    async with run.client(interactive=True) as client:
        _connected(client)
        tools = await _tools(client)
        name = run.tool() or default_tool
        if name is not None:
            await _call(client, name, _context_arguments(run), tools)
            return
        chosen = [t["name"] for t in tools if str(t.get("name", "")).startswith("test_")]
        if not chosen:
            raise ScenarioFailed('no tool to call: name one in MCP_CONFORMANCE_CONTEXT ({"tool": ...})')
        for name in chosen:
            await _call(client, name, None, tools)


async def _elicitation_defaults(run: Run) -> None:
    await _interactive(run, "test_client_elicitation_defaults")


async def _cancel(run: Run) -> None:
    name = run.tool()
    if name is None:
        raise ScenarioFailed(
            'the cancel scenario needs the tool to cancel in MCP_CONFORMANCE_CONTEXT ({"tool": ...})'
        )
    async with run.client() as client:
        _connected(client)
        tools = await _tools(client)
        arguments = _context_arguments(run)
        if arguments is None:
            listed = next((t for t in tools if t.get("name") == name), None)
            arguments = tool_arguments(listed) if listed is not None else {}
        progressed = anyio.Event()

        def on_progress(progress: float, total: float | None, message: str | None) -> None:
            _say(f"progress {progress:g}/{total if total is not None else '?'}")
            progressed.set()

        finished: list[CallToolResult] = []

        async def call() -> None:
            finished.append(await client.call_tool(name, arguments, progress=on_progress))

        _say(f"calling {name}, to cancel it")
        async with anyio.create_task_group() as tg:
            tg.start_soon(call)
            with anyio.move_on_after(CANCEL_AFTER):
                await progressed.wait()
            # Cancelling the caller makes the dispatcher send notifications/cancelled.
            tg.cancel_scope.cancel()
        if finished:
            raise ScenarioFailed(f"tool {name} finished before the client cancelled it")
        _say(f"cancelled the call of {name} ({'after progress' if progressed.is_set() else 'after 0.5 s'})")
        await client.ping()
        _say("the session still answers ping after the cancellation")


async def _sse_retry(run: Run) -> None:
    async with run.client() as client:
        _connected(client)
        # The official test server answers the call only on the resumed stream.
        await _call(client, run.tool() or "test_reconnection", _context_arguments(run) or {}, [])


async def _json_schema_preservation(run: Run) -> None:
    focal, echo = "json_schema_2020_12_tool", "json_schema_echo"
    async with run.client() as client:
        _connected(client)
        tools = await _tools(client)
        listed = next((t for t in tools if t.get("name") == focal), None)
        if listed is None:
            raise ScenarioFailed(f"the server does not list {focal}")
        # Passed back exactly as received: nothing in the client rewrites a schema.
        await _call(client, echo, {"schema": listed["inputSchema"]}, tools)


async def _exercise(run: Run) -> None:
    """Use what the server offers: its tools (the context's calls, or each listed tool), then its
    resources and prompts. For the 2026-07-28 client scenarios, which judge the requests a
    client sends (the envelope, the routing and parameter headers, the input-required retries,
    which tools it leaves out) rather than what it gets back."""
    async with run.client(interactive=True) as client:
        _connected(client)
        caps = client.server_capabilities
        tools = await client.list_tools() if "tools" in caps else []
        _say(f"the server lists {len(tools)} tools: {', '.join(str(t.get('name')) for t in tools)}")
        planned = run.context.get("toolCalls")
        if isinstance(planned, list):
            calls = [(c.get("name"), c.get("arguments")) for c in planned if isinstance(c, dict)]
        else:
            calls = [(t.get("name"), None) for t in tools if isinstance(t, dict)]
        for name, arguments in calls:
            if not isinstance(name, str):
                continue
            listed = next((t for t in tools if t.get("name") == name), None)
            if arguments is None:
                arguments = tool_arguments(listed) if listed is not None else {}
            try:
                result = await client.call_tool(name, arguments)
                _say(f"{name}: {'an error result' if result.get('isError') else 'answered'}")
            except McpError as exc:
                _say(f"{name} was refused: {exc}")  # judged by the server's checks, not here
        if "resources" in caps:
            for resource in await client.list_resources():
                with contextlib.suppress(McpError):
                    await client.read_resource(resource["uri"])
        if "prompts" in caps:
            for prompt in await client.list_prompts():
                arguments = {a["name"]: "value" for a in prompt.get("arguments", []) if a.get("required")}
                with contextlib.suppress(McpError):
                    await client.get_prompt(prompt["name"], arguments)


SCENARIOS: Mapping[str, Callable[[Run], Awaitable[None]]] = {
    "initialize": _initialize,
    "ping": _ping,
    "tools_call": _tools_call,
    "list-all": _list_all,
    "sampling": _interactive,
    "elicitation": _interactive,
    "roots": _interactive,
    "elicitation-sep1034-client-defaults": _elicitation_defaults,
    "cancel": _cancel,
    "sse-retry": _sse_retry,
    "json-schema-2020-12-preservation": _json_schema_preservation,
    # 2026-07-28
    "request-metadata": _exercise,
    "sep-2322-client-request-state": _exercise,
    "http-standard-headers": _exercise,
    "http-custom-headers": _exercise,
    "http-invalid-tool-headers": _exercise,
    "json-schema-ref-no-deref": _exercise,
    # 2026-07-28, mcpcore's own suite
    "modern-tools-call": _tools_call,
    "modern-input-required": _interactive,
    "era-modern": _tools_call,
    "era-fallback": _tools_call,
}
"""What the client does for each scenario it carries out."""


# -- the command line ---------------------------------------------------------------------------


class _UsageError(Exception):
    """The invocation is malformed (exit status 2)."""


def _usage_error(message: str) -> NoReturn:
    raise _UsageError(message)


def _unsupported(scenario: str) -> str | None:
    if scenario in UNSUPPORTED:
        return UNSUPPORTED[scenario]
    for prefix, why in _UNSUPPORTED_PREFIXES.items():
        if scenario.startswith(prefix):
            return why
    return None


ERA_DETECTION: frozenset[str] = frozenset({"era-modern", "era-fallback"})
"""Scenarios in which the client offers every revision it speaks and finds out the server's era."""


def _versions(scenario: str) -> tuple[str, ...]:
    wanted = os.environ.get("MCP_CONFORMANCE_PROTOCOL_VERSION")
    if not wanted:
        return revisions.VERSIONS if scenario in ERA_DETECTION else revisions.HANDSHAKE_VERSIONS
    if wanted not in revisions.VERSIONS:
        raise ScenarioFailed(
            f"protocol version {wanted} is not supported (this client speaks {', '.join(revisions.VERSIONS)})"
        )
    if revisions.REVISIONS[wanted].era == "modern":
        return (wanted,)  # the scenario speaks that revision: no fallback to a handshake
    return tuple(v for v in revisions.HANDSHAKE_VERSIONS if v <= wanted)


def _reason(exc: BaseException) -> str:
    """A one-line reason for an exception, looking inside exception groups."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    if isinstance(exc, ScenarioFailed):
        return str(exc)
    if isinstance(exc, McpError):
        return f"{type(exc).__name__} {exc.code}: {exc.message}" + (
            f" ({_one_line(repr(exc.data), 200)})" if exc.data is not None else ""
        )
    if isinstance(exc, TimeoutError):
        return f"the scenario did not finish within {RUN_TIMEOUT:g} s"
    return f"{type(exc).__name__}: {exc}"


async def _run(run: Run) -> None:
    with anyio.fail_after(RUN_TIMEOUT):
        await SCENARIOS[run.scenario](run)


def main(argv: Sequence[str] | None = None) -> int:
    """Carry out the scenario; the exit status (0 done, 1 failed, 2 malformed invocation)."""
    try:
        return _main(argv)
    except _UsageError as exc:
        _say(f"error: {exc}")
        return 2


def _main(argv: Sequence[str] | None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m conformance.everything_client",
        description="The conformance suite's reference MCP client: carries out the scenario named in "
        "MCP_CONFORMANCE_SCENARIO against TARGET.",
    )
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio", help="the event loop")
    parser.add_argument(
        "target", metavar="TARGET", help="a Streamable HTTP URL, or a command starting a stdio server"
    )
    args = parser.parse_args(argv)

    scenario = os.environ.get("MCP_CONFORMANCE_SCENARIO", "")
    if not scenario:
        _usage_error("MCP_CONFORMANCE_SCENARIO is not set: it names the scenario to carry out")
    raw = os.environ.get("MCP_CONFORMANCE_CONTEXT")
    context: Any = {}
    if raw:
        try:
            context = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            _usage_error(f"MCP_CONFORMANCE_CONTEXT is not JSON: {exc}")
        if not isinstance(context, dict):
            _usage_error(f"MCP_CONFORMANCE_CONTEXT must be a JSON object, not {_one_line(raw, 100)}")
    why = _unsupported(scenario)
    if why is not None:
        _say(f"error: scenario {scenario!r} is not supported yet ({why})")
        return 1
    if scenario not in SCENARIOS:
        _usage_error(f"unknown scenario {scenario!r} (known: {', '.join(sorted(SCENARIOS))})")
    # The library's own warnings (a stream that broke, a message that is not JSON-RPC) on stderr.
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format=f"{PROGRAM}: [%(name)s] %(message)s")
    try:
        run = Run(args.target, scenario, context, _versions(scenario))
        anyio.run(_run, run, backend=args.backend)
    except KeyboardInterrupt:
        _say("error: interrupted")
        return 1
    except Exception as exc:  # every failure ends the run with one line saying why
        _say(f"error: {_one_line(_reason(exc))}")
        return 1
    _say(f"scenario {scenario} done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
