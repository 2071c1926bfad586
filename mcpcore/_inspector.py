"""``mcpcore list|call|read|prompt``: look into an MCP server from a shell.

The inspector starts the server command it is given (``--command``), or reaches a Streamable
HTTP server at ``--url``, opens one session with
:class:`~mcpcore.client.Client`, makes one request, prints the answer and leaves. It serves two
readers: a person at a terminal, who gets a compact rendering (tables for lists, text for
content, a progress bar), and a script, which gets the raw result with ``--json`` and an exit
status it can trust: 0 when the request succeeded, 1 otherwise (a failed tool included), with
one line on stderr saying why.

stdout carries the answer and nothing else; progress, the server's log messages and errors go
to stderr, so ``mcpcore call ... --json | jq`` works whatever the server says on the way.

This module is imported to build the argument parser, so it imports nothing heavy at the top:
the client, anyio and pydantic are loaded only when a command runs.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import os
import shlex
import shutil
import sys
import urllib.parse
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, TextIO

if TYPE_CHECKING:
    from mcpcore.client import Client

__all__ = ["COMMANDS", "InspectorError", "add_commands", "run"]

COMMANDS: Final = ("list", "call", "read", "prompt")
KINDS: Final = ("tools", "resources", "prompts", "templates")
# The spec's eight levels (mcpcore.types.LOGGING_LEVELS), spelled out here so that building the
# parser imports nothing.
LEVELS: Final = ("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency")
BACKENDS: Final = ("asyncio", "trio")
DEFAULT_TIMEOUT: Final = 60.0
_STDERR_LINES: Final = 20  # lines of a failed server's stderr shown under the error
_BAR_WIDTH: Final = 24


class InspectorError(Exception):
    """Why a command failed: one line, and optionally more lines of detail under it."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


# -- the command line -----------------------------------------------------------------------


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``list``, ``call``, ``read`` and ``prompt`` to the ``mcpcore`` parser."""
    common = argparse.ArgumentParser(add_help=False)
    server = common.add_argument_group("the server")
    server.add_argument(
        "--command",
        dest="server_command",
        metavar='"CMD ARGS..."',
        help="the command that starts a stdio MCP server, split like a shell would "
        '(e.g. --command "python -m mcpcore serve app.py:server")',
    )
    server.add_argument(
        "--url",
        metavar="URL",
        help="the endpoint of a Streamable HTTP server (e.g. http://127.0.0.1:8000/mcp), "
        "instead of --command",
    )
    server.add_argument(
        "--header",
        metavar="NAME:VALUE",
        action="append",
        default=[],
        help="with --url: send this header on every request (repeatable; e.g. for Authorization)",
    )
    server.add_argument(
        "--env",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help="set a variable in the server's environment (repeatable; the rest is inherited)",
    )
    server.add_argument("--cwd", metavar="DIR", help="the server's working directory")
    server.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"how long to wait for each answer (default: {DEFAULT_TIMEOUT:g}); "
        "a tool's progress restarts the clock",
    )
    output = common.add_argument_group("output")
    output.add_argument("--json", action="store_true", help="print the raw result as JSON")
    output.add_argument(
        "--log-level",
        choices=LEVELS,
        metavar="LEVEL",
        help="ask the server to send log messages of this level and above "
        f"({', '.join(LEVELS)}); by default the server's own setting applies "
        "(2026-07-28 servers have none: then every level is asked for)",
    )
    output.add_argument(
        "-v", "--verbose", action="store_true", help="show the server's stderr as it comes (on stderr)"
    )
    output.add_argument("--backend", choices=BACKENDS, default="asyncio", help=argparse.SUPPRESS)

    listing = commands.add_parser(
        "list",
        parents=[common],
        help="list a server's tools, resources, prompts or resource templates",
        description="List what a server offers (every page). Example: "
        'mcpcore list tools --command "python -m mcpcore serve app.py:server"',
    )
    listing.add_argument("kind", choices=KINDS, metavar="{" + ",".join(KINDS) + "}")

    call = commands.add_parser(
        "call",
        parents=[common],
        help="call a tool and print its result",
        description='Call a tool. Example: mcpcore call add --args \'{"a": 1, "b": 2}\' --command "...". '
        "A result with isError set exits with status 1.",
    )
    call.add_argument("tool", metavar="TOOL", help="the tool's name")
    call.add_argument("--args", metavar="JSON", help="the tool's arguments, a JSON object")

    read = commands.add_parser(
        "read",
        parents=[common],
        help="read a resource and print its contents",
        description="Read a resource by URI (a template's URI filled in, too).",
    )
    read.add_argument("uri", metavar="URI")

    prompt = commands.add_parser(
        "prompt",
        parents=[common],
        help="get a prompt and print its messages",
        description="Get a prompt. Example: "
        'mcpcore prompt review --args \'{"code": "x = 1"}\' --command "..."',
    )
    prompt.add_argument("name", metavar="NAME", help="the prompt's name")
    prompt.add_argument("--args", metavar="JSON", help="the prompt's arguments, a JSON object of strings")


@dataclass
class _Plan:
    """A validated command: what to start, what to ask, how to show it."""

    command: str
    argv: list[str]
    env: dict[str, str] | None
    cwd: str | None
    timeout: float
    as_json: bool
    log_level: str | None
    verbose: bool
    backend: str
    arguments: dict[str, Any] | None = None
    url: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


def _parse_arguments(raw: str | None, *, strings: bool) -> dict[str, Any] | None:
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise InspectorError(f"--args is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise InspectorError(f"--args must be a JSON object, not {_json_kind(value)}: e.g. '{{\"name\": 1}}'")
    if strings:
        for key, item in value.items():
            if not isinstance(item, str):
                raise InspectorError(
                    f"prompt arguments are strings: --args {key!r} is {_json_kind(item)} ({json.dumps(item)})"
                )
    return value


def _json_kind(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _plan(args: argparse.Namespace) -> _Plan:
    if args.url is not None:
        return _url_plan(args)
    if args.header:
        raise InspectorError("--header goes with --url; a stdio server takes --env instead")
    if not args.server_command:
        raise InspectorError(
            'give the server to inspect with --command "CMD ARGS..." '
            '(e.g. --command "python -m mcpcore serve app.py:server")'
        )
    try:
        argv = shlex.split(args.server_command)
    except ValueError as exc:
        raise InspectorError(f"--command cannot be split into words: {exc}") from None
    if not argv:
        raise InspectorError("--command is empty: give the command that starts the server")
    env: dict[str, str] | None = None
    if args.env:
        env = dict(os.environ)
        for pair in args.env:
            key, sep, value = pair.partition("=")
            if not sep or not key:
                raise InspectorError(f"--env wants KEY=VALUE, got {pair!r}")
            env[key] = value
    if args.cwd is not None and not os.path.isdir(args.cwd):
        raise InspectorError(f"--cwd {args.cwd!r} is not a directory")
    return _finish_plan(args, command=args.server_command, argv=argv, env=env, cwd=args.cwd)


def _finish_plan(args: argparse.Namespace, **where: Any) -> _Plan:
    """The plan, with what every way of reaching a server shares checked and filled in."""
    if not args.timeout > 0:  # NaN too
        raise InspectorError(f"--timeout must be a positive number of seconds, not {args.timeout:g}")
    plan = _Plan(
        **where,
        timeout=args.timeout,
        as_json=args.json,
        log_level=args.log_level,
        verbose=args.verbose,
        backend=args.backend,
    )
    if args.command in ("call", "prompt"):
        plan.arguments = _parse_arguments(args.args, strings=args.command == "prompt")
    return plan


def _url_plan(args: argparse.Namespace) -> _Plan:
    if args.server_command:
        raise InspectorError("give either --command or --url, not both")
    if args.env or args.cwd is not None:
        raise InspectorError("--env and --cwd start a stdio server; with --url the server is already running")
    parsed = urllib.parse.urlsplit(args.url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise InspectorError(f"--url must be an http:// or https:// URL, not {args.url!r}")
    headers: dict[str, str] = {}
    for pair in args.header:
        name, sep, value = pair.partition(":")
        if not sep or not name.strip():
            raise InspectorError(f"--header wants NAME:VALUE, got {pair!r}")
        headers[name.strip()] = value.strip()
    return _finish_plan(args, command=args.url, argv=[], env=None, cwd=None, url=args.url, headers=headers)


def run(args: argparse.Namespace, *, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run one inspector command; returns the exit status (messages already printed)."""
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    prog = f"mcpcore {args.command}"
    try:
        plan = _plan(args)
        import anyio

        action = _ACTIONS[args.command]
        status: int = anyio.run(_inspect, plan, action, args, out, err, backend=plan.backend)
        return status
    except InspectorError as exc:
        err.write(f"{prog}: error: {exc.message}\n")
        if exc.detail:
            err.write(exc.detail.rstrip("\n") + "\n")
        return 1
    except KeyboardInterrupt:
        err.write(f"{prog}: interrupted\n")
        return 130


# -- talking to the server ------------------------------------------------------------------


class _Feedback:
    """What happens on the way to the answer, on stderr: progress, log messages, server stderr.

    On a terminal, progress is one bar redrawn in place, and other lines are printed above it;
    elsewhere (a log file, a pipe) every update is a line of its own.
    """

    def __init__(self, stream: TextIO, tty: bool | None = None) -> None:
        self.stream = stream
        if tty is None:
            try:
                tty = stream.isatty()
            except (AttributeError, ValueError):
                tty = False
        self.tty = tty
        self._bar = ""

    def _columns(self) -> int:
        return max(20, shutil.get_terminal_size().columns)

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            pass  # stderr gone: the answer on stdout still counts

    def line(self, text: str) -> None:
        if self._bar:
            self._write("\r\x1b[2K" + text + "\n" + self._bar)
        else:
            self._write(text + "\n")

    def progress(self, progress: float, total: float | None, message: str | None) -> None:
        if total is not None and total > 0:
            fraction = min(1.0, max(0.0, progress / total))
            amount = f"{progress:g}/{total:g} ({fraction:.0%})"
        else:
            fraction = None
            amount = f"{progress:g}"
        if not self.tty:
            self._write(f"progress {amount}" + (f": {message}" if message else "") + "\n")
            return
        if fraction is not None:
            filled = int(fraction * _BAR_WIDTH)
            bar = f"[{'#' * filled}{'.' * (_BAR_WIDTH - filled)}] {amount}"
        else:
            bar = f"[working] {amount}"
        if message:
            bar += f" {message}"
        self._bar = bar[: self._columns() - 1]
        self._write("\r\x1b[2K" + self._bar)

    def log(self, params: Mapping[str, Any]) -> None:
        level = params.get("level", "info")
        data = params.get("data")
        text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, default=str)
        logger = params.get("logger")
        where = f"{logger}: " if isinstance(logger, str) and logger else ""
        self.line(f"[{level}] {where}{text}")

    def server_stderr(self, text: str) -> None:
        self.line(f"[server stderr] {text}")

    def finish(self) -> None:
        if self._bar:
            self._bar = ""
            self._write("\n")


Action = Callable[["Client", _Plan, argparse.Namespace, TextIO, _Feedback, list[str]], Awaitable[int]]


async def _inspect(plan: _Plan, action: Action, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from mcpcore.client import Client
    from mcpcore.errors import ConnectionClosed, McpError, RequestTimeout
    from mcpcore.server import CapabilityError
    from transports.stdio import StdioClientTransport

    feedback = _Feedback(err)
    transport: Any
    if plan.url is not None:
        from transports.http import StreamableHttpTransport

        # A server that is not there is reported at once, not after a round of retries.
        transport = StreamableHttpTransport(
            plan.url, headers=plan.headers, timeout=plan.timeout, max_reconnects=0
        )
    else:
        transport = StdioClientTransport(
            plan.argv[0],
            plan.argv[1:],
            env=plan.env,
            cwd=plan.cwd,
            on_stderr=feedback.server_stderr if plan.verbose else None,
        )
    client = Client(
        transport,
        on_log=feedback.log,
        request_timeout=plan.timeout,
        initialize_timeout=plan.timeout,
    )
    # What is being asked, for error messages; the action updates it as it goes.
    doing = ["initialize"]
    failure: BaseException | None = None
    status = 1
    try:
        async with client:
            # Errors are caught here, inside the session: leaving it through task groups could
            # wrap them in exception groups.
            try:
                if plan.log_level is not None:
                    await _set_level(client, plan.log_level, feedback, doing)
                elif client.modern:
                    # A modern server sends logs only to a request that asks; asking for all of
                    # them matches what a legacy server sends by default.
                    client.log_level = "debug"
                status = await action(client, plan, args, out, feedback, doing)
            except (McpError, InspectorError) as exc:
                failure = exc
    except McpError as exc:
        failure = exc
    except BaseExceptionGroup as group:
        # A failure while the session closes may come wrapped by a task group.
        found = group.subgroup(lambda exc: isinstance(exc, McpError))
        if found is None:
            raise
        leaf: BaseException = found
        while isinstance(leaf, BaseExceptionGroup):
            leaf = leaf.exceptions[0]
        failure = leaf
    finally:
        feedback.finish()
    if failure is None:
        return status
    if isinstance(failure, InspectorError):
        raise failure
    assert isinstance(failure, McpError)
    what = doing[-1]
    if isinstance(failure, RequestTimeout):
        raise InspectorError(
            f"no answer from the server to {what} within {plan.timeout:g} s "
            "(a slow server needs a larger --timeout)"
        )
    if isinstance(failure, ConnectionClosed) and plan.url is not None:
        raise InspectorError(f"{what} failed: {failure.message}")
    if isinstance(failure, ConnectionClosed):
        if transport.pid is None:  # the command could not be started at all
            raise InspectorError(failure.message.removeprefix("Connection lost: "))
        raise _closed(what, plan, transport.returncode, transport.stderr_tail)
    if isinstance(failure, CapabilityError):  # refused here, before anything was sent
        raise InspectorError(f"the server does not offer this: {failure.message}")
    raise _mcp_error(failure, what)


def _mcp_error(exc: Any, what: str) -> InspectorError:
    message = f"{what} failed: {exc.message} (MCP error {exc.code})"
    if exc.data is not None:
        data = json.dumps(exc.data, ensure_ascii=False, default=str)
        if len(data) <= 200:
            message += f" {data}"
    return InspectorError(message)


def _closed(what: str, plan: _Plan, code: int | None, tail: str) -> InspectorError:
    if code is None:
        status = "the server closed the connection"
    elif code < 0:
        status = f"the server was killed by signal {-code}"
    else:
        status = f"the server exited with status {code}"
    stage = "while starting up" if what == "initialize" else f"during {what}"
    lines = tail.rstrip("\n").splitlines()[-_STDERR_LINES:]
    detail = ""
    if lines and not plan.verbose:  # verbose already showed all of it
        detail = "the server's stderr ended with:\n" + "\n".join(f"  | {line}" for line in lines)
    elif not lines:
        detail = f"(it wrote nothing on stderr; the command was: {plan.command})"
    return InspectorError(f"{status} {stage}", detail)


async def _set_level(client: Client, level: str, feedback: _Feedback, doing: list[str]) -> None:
    from mcpcore.server import CapabilityError

    doing.append("logging/setLevel")
    try:
        await client.set_logging_level(level)  # type: ignore[arg-type]  # checked by argparse
    except CapabilityError:
        feedback.line("[mcpcore] the server does not declare logging: --log-level has no effect")
    doing.pop()


# -- the commands -----------------------------------------------------------------------------

_LISTS: Final = {
    "tools": ("tools/list", "list_tools"),
    "resources": ("resources/list", "list_resources"),
    "templates": ("resources/templates/list", "list_resource_templates"),
    "prompts": ("prompts/list", "list_prompts"),
}


async def _list(
    client: Client, plan: _Plan, args: argparse.Namespace, out: TextIO, feedback: _Feedback, doing: list[str]
) -> int:
    from mcpcore.server import CapabilityError

    method, name = _LISTS[args.kind]
    doing.append(method)
    try:
        items = await getattr(client, name)()
    except CapabilityError as exc:
        # Nothing of the kind is offered: for a listing that is an empty answer, not a failure.
        items = []
        capability = exc.data.get("capability") if isinstance(exc.data, dict) else None
        feedback.line(f"[mcpcore] the server does not declare {capability or args.kind!r}: nothing to list")
    if plan.as_json:
        _print_json(out, items)
    else:
        _write(out, _listing(args.kind, items, _width(out)))
    return 0


async def _call(
    client: Client, plan: _Plan, args: argparse.Namespace, out: TextIO, feedback: _Feedback, doing: list[str]
) -> int:
    doing.append(f"tools/call {args.tool}")
    result = await client.call_tool(args.tool, plan.arguments, progress=feedback.progress)
    feedback.finish()
    if plan.as_json:
        _print_json(out, result)
    elif not result.get("isError"):
        _write(out, _call_text(dict(result)))
    if result.get("isError"):
        text = _call_text(dict(result)).strip() or "(no content)"
        first, _, rest = text.partition("\n")
        raise InspectorError(f"tool {args.tool!r} reported an error: {first}", _indent(rest) if rest else "")
    return 0


async def _read(
    client: Client, plan: _Plan, args: argparse.Namespace, out: TextIO, feedback: _Feedback, doing: list[str]
) -> int:
    doing.append(f"resources/read {args.uri}")
    result = await client.read_resource(args.uri)
    if plan.as_json:
        _print_json(out, result)
    else:
        _write(out, _read_text(dict(result)))
    return 0


async def _prompt(
    client: Client, plan: _Plan, args: argparse.Namespace, out: TextIO, feedback: _Feedback, doing: list[str]
) -> int:
    doing.append(f"prompts/get {args.name}")
    result = await client.get_prompt(args.name, plan.arguments)
    if plan.as_json:
        _print_json(out, result)
    else:
        _write(out, _prompt_text(dict(result)))
    return 0


_ACTIONS: Final[dict[str, Action]] = {"list": _list, "call": _call, "read": _read, "prompt": _prompt}


# -- rendering --------------------------------------------------------------------------------


def _write(out: TextIO, text: str) -> None:
    if text and not text.endswith("\n"):
        text += "\n"
    out.write(text)
    out.flush()


def _print_json(out: TextIO, value: Any) -> None:
    _write(out, json.dumps(value, indent=2, ensure_ascii=False))


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.splitlines())


def _width(out: TextIO) -> int | None:
    """The terminal's width when stdout is one (long descriptions are cut), else no limit."""
    try:
        if out.isatty():
            return shutil.get_terminal_size().columns
    except (AttributeError, ValueError):
        pass
    return None


def _str(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def _first_line(value: Any) -> str:
    lines = _str(value).strip().splitlines()
    return lines[0].strip() if lines else ""


def _signature(name: str, params: Sequence[tuple[str, bool]]) -> str:
    return f"{name}({', '.join(p if required else p + '?' for p, required in params)})"


def _tool_params(tool: Mapping[str, Any]) -> list[tuple[str, bool]]:
    schema = tool.get("inputSchema")
    if not isinstance(schema, dict):
        return []
    properties = schema.get("properties")
    required = schema.get("required")
    needed = set(required) if isinstance(required, list) else set()
    if not isinstance(properties, dict):
        return []
    return [(str(p), p in needed) for p in properties]


def _prompt_params(prompt: Mapping[str, Any]) -> list[tuple[str, bool]]:
    arguments = prompt.get("arguments")
    if not isinstance(arguments, list):
        return []
    return [(_str(a.get("name")), bool(a.get("required"))) for a in arguments if isinstance(a, dict)]


def _listing(kind: str, items: Sequence[Any], width: int | None) -> str:
    entries = [item for item in items if isinstance(item, dict)]
    if not entries:
        return f"(no {'resource templates' if kind == 'templates' else kind})"
    rows: list[list[str]]
    if kind == "tools":
        headers = ["TOOL", "DESCRIPTION"]
        rows = [
            [_signature(_str(t.get("name")), _tool_params(t)), _first_line(t.get("description"))]
            for t in entries
        ]
    elif kind == "prompts":
        headers = ["PROMPT", "DESCRIPTION"]
        rows = [
            [_signature(_str(p.get("name")), _prompt_params(p)), _first_line(p.get("description"))]
            for p in entries
        ]
    else:
        key = "uri" if kind == "resources" else "uriTemplate"
        headers = [key.upper() if kind == "resources" else "URI TEMPLATE", "NAME", "MIME TYPE", "DESCRIPTION"]
        rows = [
            [
                _str(r.get(key)),
                _str(r.get("name")),
                _str(r.get("mimeType")),
                _first_line(r.get("description")),
            ]
            for r in entries
        ]
    return _table(headers, rows, width)


def _table(headers: list[str], rows: list[list[str]], width: int | None) -> str:
    # Columns that are empty in every row (no MIME types given, say) are left out.
    keep = [i for i in range(len(headers)) if i == 0 or any(row[i] for row in rows)]
    headers = [headers[i] for i in keep]
    rows = [[row[i] for i in keep] for row in rows]
    widths = [max(len(headers[i]), *(len(row[i]) for row in rows)) for i in range(len(headers))]
    lines = []
    for row in [headers, *rows]:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])]
        line = "  ".join([*cells, row[-1]]).rstrip()
        if width is not None and len(line) > width - 1:
            line = line[: max(width - 2, 1)] + "…"
        lines.append(line)
    return "\n".join(lines)


def _size(data: Any) -> int:
    if not isinstance(data, str):
        return 0
    try:
        return len(base64.b64decode(data, validate=True))
    except (binascii.Error, ValueError):
        return len(data) * 3 // 4


def _block(block: Any) -> str:
    """One content block as a person wants to see it: text as is, binary data as a summary."""
    if not isinstance(block, dict):
        return json.dumps(block, ensure_ascii=False)
    kind = block.get("type")
    if kind == "text":
        return _str(block.get("text"))
    if kind in ("image", "audio"):
        return f"[{kind} {_str(block.get('mimeType')) or '?'}, {_size(block.get('data'))} bytes]"
    if kind == "resource_link":
        name = _str(block.get("name"))
        mime = _str(block.get("mimeType"))
        named = f" ({name})" if name else ""
        typed = f", {mime}" if mime else ""
        return f"[resource link {_str(block.get('uri'))}{named}{typed}]"
    if kind == "resource":
        resource = block.get("resource")
        if isinstance(resource, dict):
            return _contents(resource, header=True)
    return f"[{kind} content] {json.dumps(block, ensure_ascii=False)}"


def _contents(item: Mapping[str, Any], *, header: bool) -> str:
    uri = _str(item.get("uri"))
    mime = _str(item.get("mimeType"))
    if "text" in item:
        text = _str(item.get("text"))
        return f"[resource {uri}{f' ({mime})' if mime else ''}]\n{text}" if header else text
    if "blob" in item:
        return f"[resource {uri} {mime or 'application/octet-stream'}, {_size(item.get('blob'))} bytes]"
    return f"[resource {uri}] {json.dumps(dict(item), ensure_ascii=False)}"


def _same_json(text: str, value: Any) -> bool:
    try:
        return bool(json.loads(text) == value)
    except ValueError:
        return False


def _call_text(result: dict[str, Any]) -> str:
    blocks = result.get("content")
    blocks = blocks if isinstance(blocks, list) else []
    parts = []
    has_structured = "structuredContent" in result
    structured = result.get("structuredContent")
    for block in blocks:
        # Tools with structured output also send its JSON as text: showing both says it twice.
        if (
            has_structured
            and isinstance(block, dict)
            and block.get("type") == "text"
            and _same_json(_str(block.get("text")), structured)
        ):
            continue
        parts.append(_block(block))
    if has_structured:
        pretty = json.dumps(structured, indent=2, ensure_ascii=False)
        parts.append(f"structured content:\n{pretty}" if parts else pretty)
    return "\n".join(parts)


def _read_text(result: dict[str, Any]) -> str:
    contents = [c for c in result.get("contents") or [] if isinstance(c, dict)]
    if len(contents) == 1 and "text" in contents[0]:
        return _str(contents[0].get("text"))
    return "\n".join(_contents(item, header=True) for item in contents)


def _prompt_text(result: dict[str, Any]) -> str:
    parts = []
    description = result.get("description")
    if isinstance(description, str) and description:
        parts.append(description + "\n")
    for message in result.get("messages") or []:
        if not isinstance(message, dict):
            continue
        content = message.get("content")
        blocks = content if isinstance(content, list) else [content]
        text = "\n".join(_block(block) for block in blocks)
        parts.append(f"[{_str(message.get('role')) or '?'}]\n{text}\n")
    return "\n".join(parts)
