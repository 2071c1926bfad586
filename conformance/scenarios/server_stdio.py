"""Server scenarios for the stdio transport: what the server may put on stdout, and how it ends.

The stdio rules are about bytes, which a parsed message no longer shows: a message spread over
several lines, a banner printed at start-up, text in Latin-1. So the framing scenario starts
the server on a channel of its own that keeps every stdout line as it came (from the first byte
the process writes, before any request), drives the server through the usual traffic (list
what it offers, call a tool, read, get a prompt, an unknown method, a name with non-ASCII
characters and a line break in it, which a careless encoder would write raw) and then judges
the lines:

* ``newline-delimited``: one message per line, none spread over several (embedded newlines);
* ``stdout-only-mcp``: nothing on stdout but JSON-RPC messages (no logs, no blank lines);
* ``utf8``: every line is UTF-8 (the transports page says so from 2025-03-26 on; before, the
  JSON RFC does for JSON exchanged between systems);
* ``individual-messages``: from 2025-06-18 on, a message is a single request, notification or
  response, never a batch.

What the server writes on stderr is never judged: the spec lets a server log there freely, and
a client must not read errors into it.

Shutdown is the client closing the server's stdin and waiting for it to exit, then signals.
The spec states that sequence as what the *client* should do and leaves the server's side
implicit, so exiting at the end of stdin is checked as a recommendation (``exit-on-stdin-close``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from conformance._model import server_scenario
from conformance._peer import PeerError, Session, StdioChannel
from conformance._runner import ServerTest

STDIO = "basic/transports#stdio"
SHUTDOWN = "basic/lifecycle#shutdown"
# Before 2025-03-26 the transports page does not name an encoding; JSON itself does.
JSON_UTF8 = "https://www.rfc-editor.org/rfc/rfc8259#section-8.1"

_MAX_LINES = 2_000  # stdout lines kept for the checks; a scenario's traffic is far less
_MAX_RUN = 400  # consecutive non-JSON lines searched for a message spread over them
# A tool name no server has: non-ASCII text, a JSON-escaped control and a line break, which an
# encoder that does not escape them would write raw into the line.
ODD_TOOL = "mcp-conformance/no such tool \u00fc\u00e9 \u2713 \U0001f600\nsecond line\u2028"


class RecordingStdio(StdioChannel):
    """A stdio channel that also keeps each stdout line as raw bytes (bounded)."""

    def __init__(self, command: str, **options: Any) -> None:
        super().__init__(command, **options)
        self.lines: list[bytes] = []
        self.dropped = 0

    def _line(self, line: bytes, deliver: Any) -> None:
        if len(self.lines) < _MAX_LINES:
            self.lines.append(line)
        else:
            self.dropped += 1
        super()._line(line, deliver)


@dataclass(slots=True)
class Framing:
    """What the stdout lines hold, sorted by the rule each one breaks (line numbers from 1)."""

    messages: int = 0
    split: list[tuple[int, int]] = field(default_factory=list)  # (first line, line count)
    garbage: list[tuple[int, str]] = field(default_factory=list)  # not JSON, not part of a message
    blank: list[int] = field(default_factory=list)
    not_jsonrpc: list[tuple[int, str]] = field(default_factory=list)  # JSON, but no JSON-RPC message
    batches: list[int] = field(default_factory=list)
    not_utf8: list[tuple[int, str]] = field(default_factory=list)


def is_jsonrpc_message(value: Any) -> bool:
    """A JSON-RPC 2.0 request, notification or response (the envelope only)."""
    if not isinstance(value, dict) or value.get("jsonrpc") != "2.0":
        return False
    if "method" in value:
        return isinstance(value["method"], str)
    return "id" in value and (("result" in value) != ("error" in value))


def _loads(text: str) -> tuple[bool, Any]:
    try:
        return True, orjson.loads(text)
    except orjson.JSONDecodeError:
        return False, None


def _shown(text: str) -> str:
    return text if len(text) <= 200 else text[:200] + "..."


def analyse_lines(lines: list[bytes]) -> Framing:
    """Sort stdout lines into messages and the ways they break the stdio rules.

    Consecutive lines that are not JSON on their own but are when joined are one message with
    embedded newlines (pretty-printed JSON, an unescaped line break in a string); the others
    are output that is no message at all.
    """
    framing = Framing()
    texts: list[str] = []
    for number, raw in enumerate(lines, 1):
        raw = raw[:-1] if raw.endswith(b"\r") else raw
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
            framing.not_utf8.append((number, _shown(text)))
        texts.append(text)

    index = 0
    while index < len(texts):
        text = texts[index]
        number = index + 1
        if not text.strip():
            framing.blank.append(number)
            index += 1
            continue
        ok, value = _loads(text)
        if ok:
            _classify(framing, number, text, value)
            index += 1
            continue
        joined = _spread_message(texts, index)
        if joined is None:
            framing.garbage.append((number, _shown(text)))
            index += 1
            continue
        count, value = joined
        framing.split.append((number, count))
        _classify(framing, number, text, value)
        index += count
    return framing


def _spread_message(texts: list[str], start: int) -> tuple[int, Any] | None:
    """The shortest run of lines from ``start`` that parses as one JSON value, if any: joined
    by the line breaks that split it (pretty-printing), or by an escaped one (a raw line break
    written inside a string, which JSON does not allow unescaped)."""
    parts = [texts[start]]
    for end in range(start + 1, min(len(texts), start + _MAX_RUN)):
        parts.append(texts[end])
        for joint in ("\n", "\\n"):
            ok, value = _loads(joint.join(parts))
            if ok and isinstance(value, (dict, list)):
                return end - start + 1, value
    return None


def _classify(framing: Framing, number: int, text: str, value: Any) -> None:
    if isinstance(value, list):
        framing.batches.append(number)
        if value and all(is_jsonrpc_message(item) for item in value):
            framing.messages += len(value)
        else:
            framing.not_jsonrpc.append((number, _shown(text)))
    elif is_jsonrpc_message(value):
        framing.messages += 1
    else:
        framing.not_jsonrpc.append((number, _shown(text)))


async def _exercise(session: Session, timeout: float) -> list[str]:
    """Ordinary traffic, so that the server writes what it normally writes. Only reads and
    harmless calls: a conventional fixture tool if there is one, and a tool no server has.
    Returns what went wrong on the way (the framing checks judge the output regardless)."""
    problems: list[str] = []
    caps = session.server_capabilities

    async def ask(method: str, params: dict[str, Any] | None = None) -> dict[str, Any] | None:
        try:
            reply = await session.request(method, params, timeout=timeout)
        except PeerError as exc:
            problems.append(f"{method}: {exc}")
            raise
        return reply.result

    try:
        await ask("ping")
        if "logging" in caps:
            await ask("logging/setLevel", {"level": "debug"})
        if "tools" in caps:
            listed = await ask("tools/list") or {}
            names = {tool.get("name") for tool in listed.get("tools", []) if isinstance(tool, dict)}
            if "test_simple_text" in names:
                await ask("tools/call", {"name": "test_simple_text", "arguments": {}})
            if "test_tool_with_logging" in names:
                await ask("tools/call", {"name": "test_tool_with_logging", "arguments": {}})
            await ask("tools/call", {"name": ODD_TOOL, "arguments": {"text": ODD_TOOL}})
        if "resources" in caps:
            listed = await ask("resources/list") or {}
            await ask("resources/templates/list")
            resources = [r for r in listed.get("resources", []) if isinstance(r, dict)]
            if resources and isinstance(resources[0].get("uri"), str):
                await ask("resources/read", {"uri": resources[0]["uri"]})
        if "prompts" in caps:
            listed = await ask("prompts/list") or {}
            for prompt in listed.get("prompts", []):
                if not isinstance(prompt, dict) or not isinstance(prompt.get("name"), str):
                    continue
                if not any(isinstance(a, dict) and a.get("required") for a in prompt.get("arguments") or []):
                    await ask("prompts/get", {"name": prompt["name"]})
                    break
        await ask("mcp-conformance/no-such-method", {"note": ODD_TOOL})
        await session.collect(0.3)  # anything the server writes a little later (logs, changes)
    except PeerError:
        pass  # a server that stopped answering is judged by the other scenarios
    return problems


@server_scenario(
    "stdio-framing",
    "stdout carries only newline-delimited JSON-RPC messages, in UTF-8",
    transports=("stdio",),
)
async def stdio_framing(t: ServerTest) -> None:
    command = t.target.command
    assert command is not None  # the scenario applies to stdio targets only
    channel = RecordingStdio(command, env=t.target.env, cwd=t.target.cwd)
    session = Session(channel, t._tg, timeout=t.timeout, trace=t.trace)
    t.sessions.append(session)
    # Read from the first byte the process writes: a start-up banner breaks the rules too.
    await channel.start(session._deliver, t._tg)
    problems: list[str] = []
    try:
        reply = await session.initialize(t.revision)
    except PeerError as exc:
        if not channel.lines:
            raise  # nothing written at all: no framing to judge, only a server that does not answer
        # An answer spread over lines, or hidden behind a banner, never parses: the lines
        # below say why, which is more use than "no answer".
        problems.append(f"initialize: {exc}")
    else:
        if reply.result is not None:
            problems = await _exercise(session, t.timeout)
        else:
            problems.append(f"initialize was refused: {reply.message}")
    framing = analyse_lines(channel.lines)
    # What broke on the way (an answer that never parsed, say) helps to read a failure.
    also = f" (meanwhile, {problems[0]})" if problems else ""
    truncated = [
        v for v in channel.violations if v.startswith(("stdout ended inside", "a stdout line longer"))
    ]

    with t.check("newline-delimited", STDIO) as c:
        if framing.split:
            first, count = framing.split[0]
            c.fail(
                f"a message was spread over {count} lines (from stdout line {first}): messages are delimited "
                f"by newlines and must not contain embedded newlines; {len(framing.split)} such{also}",
                [
                    line.decode("utf-8", "replace")
                    for line in channel.lines[first - 1 : first - 1 + count][:20]
                ],
            )
        c.expect(not truncated, "; ".join(truncated), truncated)

    with t.check("stdout-only-mcp", STDIO) as c:
        if framing.garbage:
            number = framing.garbage[0][0]
            c.fail(
                f"stdout line {number} is not a JSON-RPC message (the server must write nothing else "
                f"on stdout; logs belong on stderr); {len(framing.garbage)} such lines{also}",
                [text for _, text in framing.garbage[:10]],
            )
        if framing.not_jsonrpc:
            c.fail(
                f"stdout line {framing.not_jsonrpc[0][0]} is JSON but not a JSON-RPC 2.0 message",
                [text for _, text in framing.not_jsonrpc[:10]],
            )
        c.expect(
            not framing.blank,
            f"stdout has {len(framing.blank)} blank line(s) (first: line {framing.blank[:1]}), "
            "which are no message",
        )

    utf8_section = "basic/transports" if t.revision >= "2025-03-26" else JSON_UTF8
    with t.check("utf8", utf8_section) as c:
        if framing.not_utf8:
            number = framing.not_utf8[0][0]
            c.fail(
                f"stdout line {number} is not valid UTF-8 (shown decoded as Latin-1); "
                f"{len(framing.not_utf8)} such lines{also}",
                [text for _, text in framing.not_utf8[:5]],
            )

    if t.revision >= "2025-06-18":
        with t.check("individual-messages", STDIO) as c:
            c.expect(
                not framing.batches,
                f"stdout line {framing.batches[:1]} is a JSON-RPC batch: from 2025-06-18 each message is a "
                "single request, notification or response",
            )


@server_scenario(
    "stdio-shutdown",
    "the server exits once its stdin is closed",
    transports=("stdio",),
)
async def stdio_shutdown(t: ServerTest) -> None:
    session = await t.session()
    channel = session.channel
    assert isinstance(channel, StdioChannel)
    with t.should("exit-on-stdin-close", SHUTDOWN) as c:
        reply = await session.request("ping")
        c.expect(reply.result is not None, "ping was not answered before shutdown", reply.message)
        await channel.close_stdin()
        code = await channel.wait_exit(t.timeout)
        c.expect(
            code is not None,
            f"the server was still running {t.timeout:g} s after its stdin was closed; the client shuts a "
            "stdio server down by closing its input, and must otherwise resort to SIGTERM",
        )
