"""The suite's side of the wire when it tests a server: a deliberately raw MCP client.

The suite must see what the server really sent, and must be able to send what no well-behaved
client would (a malformed envelope, a float id, a batch under the wrong revision). So it does
not use ``mcpcore.client``: a :class:`Session` writes the exact bytes it is given, parses
whatever comes back without correcting it, and records every message both ways for the schema
checks and for ``-v`` traces. It answers the server's own requests (sampling, elicitation,
roots, ping) with handlers a scenario may replace.

Two channels carry the bytes: :class:`StdioChannel` (a child process, one JSON text per line)
and :class:`HttpChannel` (Streamable HTTP: one POST per message, JSON or SSE answers). Either
way, a problem talking to the peer raises :class:`PeerError` with a sentence saying what
happened, which the check that was running reports as its failure.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import os
import shlex
import signal
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import anyio
import anyio.abc
import orjson

from mcpcore.framing import FrameTooLarge, SSEDecoder
from transports.http._pool import HttpClient, HttpError, Response

__all__ = [
    "HttpChannel",
    "HttpInfo",
    "PeerError",
    "Reply",
    "Session",
    "StdioChannel",
    "Traffic",
    "read_sse",
]

_TRACE_LIMIT = 400  # entries kept per session
_TRACE_TEXT = 2_000  # characters of one entry
_STDERR_TAIL = 8_192  # bytes of a child's stderr kept for error messages
_MAX_LINE = 16 * 1024 * 1024  # bytes of one stdout line before the peer is declared broken


class PeerError(Exception):
    """The peer could not be talked to as MCP requires: it died, fell silent or sent garbage."""


def _short(value: Any) -> str:
    try:
        text = value if isinstance(value, str) else orjson.dumps(value).decode()
    except TypeError:
        text = repr(value)
    return text if len(text) <= _TRACE_TEXT else text[:_TRACE_TEXT] + "..."


@dataclass(slots=True)
class HttpInfo:
    """The HTTP side of one exchange, for the transport checks."""

    method: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes = b""  # a JSON (or error) body; SSE bodies are parsed into events instead
    events: list[dict[str, Any]] = field(default_factory=list)  # SSE: id, event, data, retry

    def header(self, name: str) -> str | None:
        name = name.lower()
        for key, value in self.headers:
            if key == name:
                return value
        return None

    @property
    def content_type(self) -> str:
        return (self.header("content-type") or "").split(";", 1)[0].strip().lower()

    def __str__(self) -> str:
        return f"HTTP {self.method} -> {self.status} {self.content_type or '(no content type)'}"


@dataclass(slots=True)
class Reply:
    """The response to one request, with what came before it on the way."""

    message: dict[str, Any]
    http: HttpInfo | None = None
    during: list[Any] = field(default_factory=list)  # notifications and requests before the answer

    @property
    def result(self) -> dict[str, Any] | None:
        result = self.message.get("result")
        return result if isinstance(result, dict) else None

    @property
    def error(self) -> dict[str, Any] | None:
        error = self.message.get("error")
        return error if isinstance(error, dict) else None

    @property
    def refused(self) -> bool:
        """An error response, or an HTTP status of 400 or more."""
        return self.error is not None or (self.http is not None and self.http.status >= 400)

    @property
    def error_code(self) -> Any:
        error = self.error
        return None if error is None else error.get("code")


@dataclass(slots=True)
class Traffic:
    """One message in the capture: who sent it, and (for a response) the method it answers."""

    sent: bool
    message: Any
    method: str | None = None


Deliver = Callable[[Any], None]


class StdioChannel:
    """A server started as a child process; newline-delimited JSON on its stdin and stdout.

    Everything on stdout that is not one JSON text per line is kept in ``violations``: the
    stdio transport allows nothing else there.
    """

    def __init__(
        self,
        command: str,
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
    ) -> None:
        self.argv = shlex.split(command)
        if not self.argv:
            raise ValueError("the server command is empty")
        self.env = None if env is None else {**os.environ, **env}
        self.cwd = cwd
        self.violations: list[str] = []
        self.stderr_tail = bytearray()
        self.eof = anyio.Event()  # stdout closed
        self._process: anyio.abc.Process | None = None

    @property
    def returncode(self) -> int | None:
        return None if self._process is None else self._process.returncode

    async def start(self, deliver: Deliver, tg: anyio.abc.TaskGroup) -> None:
        try:
            self._process = await anyio.open_process(
                self.argv, env=self.env, cwd=self.cwd, start_new_session=True
            )
        except OSError as exc:
            raise PeerError(f"cannot start the server {shlex.join(self.argv)!r}: {exc}") from None
        tg.start_soon(self._read_stdout, deliver)
        tg.start_soon(self._read_stderr)

    async def _read_stdout(self, deliver: Deliver) -> None:
        assert self._process is not None
        assert self._process.stdout is not None
        buffer = bytearray()
        try:
            async for chunk in self._process.stdout:
                buffer += chunk
                while (end := buffer.find(b"\n")) >= 0:
                    line = bytes(buffer[:end])
                    del buffer[: end + 1]
                    self._line(line, deliver)
                if len(buffer) > _MAX_LINE:
                    self.violations.append(f"a stdout line longer than {_MAX_LINE} bytes")
                    buffer.clear()
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
            pass
        finally:
            if buffer.strip():
                self.violations.append(
                    f"stdout ended inside a line: {_short(bytes(buffer).decode('utf-8', 'replace'))}"
                )
            self.eof.set()

    def _line(self, line: bytes, deliver: Deliver) -> None:
        if line.endswith(b"\r"):
            line = line[:-1]
        if not line.strip():
            self.violations.append("an empty line on stdout")
            return
        try:
            message = orjson.loads(line)
        except orjson.JSONDecodeError:
            self.violations.append(
                f"a line on stdout that is not JSON: {_short(line.decode('utf-8', 'replace'))}"
            )
            return
        deliver(message)

    async def _read_stderr(self) -> None:
        assert self._process is not None
        assert self._process.stderr is not None
        with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
            async for chunk in self._process.stderr:
                self.stderr_tail += chunk
                del self.stderr_tail[:-_STDERR_TAIL]

    async def send(self, data: bytes) -> HttpInfo | None:
        process = self._process
        if process is None or process.stdin is None:
            raise PeerError("the server is not running")
        try:
            await process.stdin.send(data if data.endswith(b"\n") else data + b"\n")
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError) as exc:
            raise PeerError(
                f"the server no longer reads its stdin ({type(exc).__name__}){self.exit_note()}"
            ) from None
        return None

    async def close_stdin(self) -> None:
        if self._process is not None and self._process.stdin is not None:
            with contextlib.suppress(OSError, anyio.BrokenResourceError):
                await self._process.stdin.aclose()

    async def wait_exit(self, timeout: float) -> int | None:
        """The exit status once the process ends within ``timeout`` seconds, else None."""
        if self._process is None:
            return None
        with anyio.move_on_after(timeout):
            return await self._process.wait()
        return None

    def exit_note(self) -> str:
        code = self.returncode
        tail = bytes(self.stderr_tail).decode("utf-8", "replace").strip()
        note = "" if code is None else f"; it exited with status {code}"
        return note + (f"; the end of its stderr: {tail[-500:]}" if tail else "")

    async def close(self) -> None:
        process = self._process
        if process is None:
            return
        await self.close_stdin()
        if await self.wait_exit(2.0) is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGTERM)
            if await self.wait_exit(2.0) is None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, signal.SIGKILL)
                await self.wait_exit(2.0)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)  # anything of its group left behind
        await process.aclose()


class HttpChannel:
    """Streamable HTTP: each message is a POST; answers come as JSON or as an SSE stream.

    The session id and the protocol version header are added once known, as a client must.
    Every exchange is kept in ``exchanges`` for the transport checks.
    """

    def __init__(self, url: str, client: HttpClient, *, headers: Mapping[str, str] | None = None) -> None:
        self.url = url
        self.client = client
        self.extra_headers = dict(headers or {})
        self.session_id: str | None = None
        self.protocol_version: str | None = None  # sent from 2025-06-18 on
        self.exchanges: list[HttpInfo] = []
        self.violations: list[str] = []
        self._deliver: Deliver | None = None
        self._tg: anyio.abc.TaskGroup | None = None

    async def start(self, deliver: Deliver, tg: anyio.abc.TaskGroup) -> None:
        self._deliver = deliver
        self._tg = tg

    def headers(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        headers = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
        if self.session_id is not None:
            headers["mcp-session-id"] = self.session_id
        if self.protocol_version is not None and self.protocol_version >= "2025-06-18":
            headers["mcp-protocol-version"] = self.protocol_version
        headers.update(self.extra_headers)
        if extra:
            headers.update(extra)
        return {name: value for name, value in headers.items() if value}

    async def send(self, data: bytes, *, headers: Mapping[str, str] | None = None) -> HttpInfo:
        try:
            response = await self.client.request("POST", self.url, headers=self.headers(headers), body=data)
        except HttpError as exc:
            raise PeerError(f"POST {self.url} failed: {exc}") from None
        return await self._answer("POST", response)

    async def open_get_stream(self, *, last_event_id: str | None = None) -> HttpInfo:
        """Open the GET stream; its events are delivered as they come."""
        extra = {"accept": "text/event-stream", "content-type": ""}
        if last_event_id is not None:
            extra["last-event-id"] = last_event_id
        try:
            response = await self.client.request(
                "GET", self.url, headers=self.headers(extra), read_timeout=None
            )
        except HttpError as exc:
            raise PeerError(f"GET {self.url} failed: {exc}") from None
        return await self._answer("GET", response)

    async def _answer(self, method: str, response: Response) -> HttpInfo:
        info = HttpInfo(method, response.status, response.headers)
        self.exchanges.append(info)
        session_id = response.header("mcp-session-id")
        if session_id is not None and self.session_id is None:
            self.session_id = session_id
        if info.content_type == "text/event-stream" and response.status == 200:
            assert self._tg is not None
            self._tg.start_soon(self._read_events, info, response)
            return info
        try:
            info.body = await response.read()
        except HttpError as exc:
            raise PeerError(f"{method} {self.url}: the body broke off: {exc}") from None
        finally:
            await response.aclose()
        if info.body and info.content_type == "application/json":
            try:
                message = orjson.loads(info.body)
            except orjson.JSONDecodeError:
                self.violations.append(
                    f"{info}: the body is not JSON: {_short(info.body.decode('utf-8', 'replace'))}"
                )
            else:
                assert self._deliver is not None
                self._deliver(message)
        return info

    async def _read_events(self, info: HttpInfo, response: Response) -> None:
        assert self._deliver is not None
        try:
            await read_sse(info, response, self._deliver, self.violations)
        except (HttpError, anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
            pass  # the stream ended or broke; the waiting request times out with a clear message
        finally:
            await response.aclose()

    async def close(self) -> None:
        if self.session_id is not None:
            with contextlib.suppress(HttpError):
                response = await self.client.request(
                    "DELETE", self.url, headers=self.headers(), read_timeout=5.0
                )
                await response.aclose()


async def read_sse(
    info: HttpInfo,
    response: Response,
    deliver: Deliver | None = None,
    violations: list[str] | None = None,
) -> None:
    """Read an event stream into ``info.events``, handing each message to ``deliver``."""
    decoder = SSEDecoder()
    async for chunk in response.iter_bytes():
        for event in decoder.feed(chunk):
            if isinstance(event, FrameTooLarge):
                if violations is not None:
                    violations.append(f"{info}: an SSE event too large to read")
                continue
            info.events.append(
                {"id": event.id, "event": event.event, "data": event.data, "retry": decoder.retry}
            )
            if not event.data or deliver is None:
                continue  # a priming event, or a keep-alive
            try:
                message = orjson.loads(event.data)
            except orjson.JSONDecodeError:
                if violations is not None:
                    violations.append(f"{info}: an SSE event whose data is not JSON: {_short(event.data)}")
                continue
            deliver(message)


Handler = Callable[[dict[str, Any]], Awaitable[Any]]


async def _answer_sampling(params: dict[str, Any]) -> Any:
    return {
        "role": "assistant",
        "content": {"type": "text", "text": "A sampled reply from the conformance suite."},
        "model": "conformance-suite",
        "stopReason": "endTurn",
    }


async def _answer_elicitation(params: dict[str, Any]) -> Any:
    if params.get("mode") == "url":
        return {"action": "accept"}
    content: dict[str, Any] = {}
    schema = params.get("requestedSchema")
    properties = schema.get("properties", {}) if isinstance(schema, dict) else {}
    for name, prop in properties.items() if isinstance(properties, dict) else ():
        if not isinstance(prop, dict):
            continue
        if "default" in prop:
            content[name] = prop["default"]
        elif isinstance(prop.get("enum"), list) and prop["enum"]:
            content[name] = prop["enum"][0]
        elif prop.get("type") == "boolean":
            content[name] = True
        elif prop.get("type") in ("number", "integer"):
            content[name] = prop.get("minimum", 1)
        elif prop.get("type") == "array":
            items = prop.get("items", {})
            options = items.get("enum") or [
                o.get("const") for o in items.get("anyOf", []) if isinstance(o, dict)
            ]
            content[name] = options[:1]
        elif isinstance(prop.get("oneOf"), list) and prop["oneOf"]:
            content[name] = prop["oneOf"][0].get("const")
        else:
            content[name] = "conformance"
    return {"action": "accept", "content": content}


async def _answer_roots(params: dict[str, Any]) -> Any:
    return {"roots": [{"uri": "file:///tmp/mcp-conformance", "name": "conformance"}]}


async def _answer_ping(params: dict[str, Any]) -> Any:
    return {}


DEFAULT_HANDLERS: dict[str, Handler] = {
    "sampling/createMessage": _answer_sampling,
    "elicitation/create": _answer_elicitation,
    "roots/list": _answer_roots,
    "ping": _answer_ping,
}

CLIENT_CAPABILITIES: dict[str, Any] = {
    "roots": {"listChanged": True},
    "sampling": {},
    "elicitation": {},
}


class Session:
    """One conversation with a server under test, over a channel.

    ``initialize()`` does the handshake; ``request()`` sends a request with a fresh id and waits
    for its response; ``send()``/``send_raw()`` put anything on the wire. Everything the server
    sends is kept in ``received``, in order; ``capture`` holds both directions, with each
    response labelled by the method it answers, for the schema checks.
    """

    def __init__(
        self,
        channel: StdioChannel | HttpChannel,
        tg: anyio.abc.TaskGroup,
        *,
        timeout: float = 10.0,
        trace: list[str] | None = None,
    ) -> None:
        self.channel = channel
        self.timeout = timeout
        self.handlers: dict[str, Handler] = dict(DEFAULT_HANDLERS)
        self.received: list[Any] = []
        self.capture: list[Traffic] = []
        self.trace = trace if trace is not None else []
        self.revision: str | None = None
        self.init_result: dict[str, Any] | None = None
        self.server_requests: list[dict[str, Any]] = []  # requests the server sent us
        self._tg = tg
        self._ids = itertools.count(1)
        self._pending: dict[Any, str] = {}  # our request id -> method, to label the answer
        self._arrived = anyio.Event()
        self._closed = False

    # -- capture ---------------------------------------------------------------------------------

    def _note(self, text: str) -> None:
        self.trace.append(text if len(text) <= _TRACE_TEXT else text[:_TRACE_TEXT] + "...")
        del self.trace[:-_TRACE_LIMIT]

    def _deliver(self, message: Any) -> None:
        self._note(f"<- {_short(message)}")
        items = message if isinstance(message, list) else [message]
        for item in items:
            method: str | None = None
            if isinstance(item, dict) and "method" not in item and "id" in item:
                key = item.get("id")
                method = self._pending.get(key) if isinstance(key, (str, int)) else None
            self.capture.append(Traffic(False, item, method))
            self.received.append(item)
            if isinstance(item, dict) and isinstance(item.get("method"), str) and "id" in item:
                self.server_requests.append(item)
                self._tg.start_soon(self._answer, item)
        arrived, self._arrived = self._arrived, anyio.Event()
        arrived.set()

    async def _answer(self, request: dict[str, Any]) -> None:
        handler = self.handlers.get(request["method"])
        params = request.get("params")
        if handler is None:
            reply: dict[str, Any] = {
                "jsonrpc": "2.0",
                "id": request["id"],
                "error": {"code": -32601, "message": f"the suite does not handle {request['method']}"},
            }
        else:
            try:
                result = await handler(params if isinstance(params, dict) else {})
            except Exception as exc:
                reply = {
                    "jsonrpc": "2.0",
                    "id": request["id"],
                    "error": {"code": -32603, "message": str(exc)},
                }
            else:
                reply = {"jsonrpc": "2.0", "id": request["id"], "result": result}
        with contextlib.suppress(PeerError):
            await self.send(reply)

    # -- sending ---------------------------------------------------------------------------------

    def next_id(self) -> int:
        return next(self._ids)

    async def send_raw(self, data: bytes, *, headers: Mapping[str, str] | None = None) -> HttpInfo | None:
        """Exactly these bytes (a line on stdio, a POST body on HTTP)."""
        self._note(f"-> {_short(data.decode('utf-8', 'replace'))}")
        if isinstance(self.channel, HttpChannel):
            info = await self.channel.send(data, headers=headers)
            self._note(f"   {info}")
            return info
        return await self.channel.send(data)

    async def send(self, message: Any, *, headers: Mapping[str, str] | None = None) -> HttpInfo | None:
        """Any JSON value, encoded as is; requests among it are remembered to label answers."""
        for item in message if isinstance(message, list) else [message]:
            if isinstance(item, dict) and isinstance(item.get("method"), str) and "id" in item:
                key = item["id"]
                if isinstance(key, (str, int)) and not isinstance(key, bool):
                    self._pending[key] = item["method"]
            self.capture.append(Traffic(True, item))
        return await self.send_raw(orjson.dumps(message), headers=headers)

    async def notify(self, method: str, params: dict[str, Any] | None = None) -> HttpInfo | None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        return await self.send(message)

    async def request(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        id: Any = None,
        timeout: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        """Send a request and wait for the response carrying its id."""
        request_id = self.next_id() if id is None else id
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params is not None:
            message["params"] = params
        return await self.call(message, timeout=timeout, headers=headers)

    async def call(
        self,
        message: dict[str, Any],
        *,
        timeout: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        """Send a request built by the caller and wait for its response."""
        mark = len(self.received)
        info = await self.send(message, headers=headers)
        request_id = message.get("id")
        if info is not None and info.status >= 400:
            # Refused at the HTTP level: the body (a JSON-RPC error, if any) is the answer.
            for item in self.received[mark:]:
                if isinstance(item, dict) and "method" not in item:
                    return Reply(item, info, [])
            return Reply({}, info, [])
        answer = await self.wait_for(
            lambda m: isinstance(m, dict) and "method" not in m and _same_id(m.get("id"), request_id),
            timeout=timeout,
            after=mark,
            what=f"response to {message.get('method')!r} (id {request_id!r})",
        )
        during = [m for m in self.received[mark:] if m is not answer]
        return Reply(answer, info, during)

    async def wait_for(
        self,
        predicate: Callable[[Any], bool],
        *,
        timeout: float | None = None,
        after: int = 0,
        what: str = "a message",
    ) -> Any:
        """The first message received (from index ``after`` on) that satisfies ``predicate``."""
        limit = self.timeout if timeout is None else timeout
        seen = after
        with anyio.move_on_after(limit):
            while True:
                for message in self.received[seen:]:
                    if predicate(message):
                        return message
                seen = len(self.received)
                if isinstance(self.channel, StdioChannel) and self.channel.eof.is_set():
                    raise PeerError(
                        f"the server closed stdout while the suite waited for {what}"
                        + self.channel.exit_note()
                    )
                arrived = self._arrived
                with anyio.move_on_after(0.5 if isinstance(self.channel, StdioChannel) else math.inf):
                    await arrived.wait()
        raise PeerError(f"no {what} within {limit:g} s")

    async def collect(self, seconds: float) -> list[Any]:
        """Everything that arrives in the next ``seconds``."""
        mark = len(self.received)
        await anyio.sleep(seconds)
        return self.received[mark:]

    # -- lifecycle -------------------------------------------------------------------------------

    async def initialize(
        self,
        protocol_version: str,
        *,
        capabilities: dict[str, Any] | None = None,
        client_info: dict[str, Any] | None = None,
        initialized: bool = True,
    ) -> Reply:
        """The handshake: ``initialize``, then (by default) ``notifications/initialized``."""
        params = {
            "protocolVersion": protocol_version,
            "capabilities": CLIENT_CAPABILITIES if capabilities is None else capabilities,
            "clientInfo": client_info or {"name": "mcpcore-conformance", "version": "1.0.0"},
        }
        reply = await self.request("initialize", params)
        result = reply.result
        if result is not None:
            self.init_result = result
            version = result.get("protocolVersion")
            self.revision = version if isinstance(version, str) else None
            if isinstance(self.channel, HttpChannel) and self.revision is not None:
                self.channel.protocol_version = self.revision
            if initialized:
                await self.notify("notifications/initialized")
        return reply

    @property
    def server_capabilities(self) -> dict[str, Any]:
        caps = (self.init_result or {}).get("capabilities")
        return caps if isinstance(caps, dict) else {}

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            with anyio.CancelScope(shield=True):
                await self.channel.close()


def _same_id(a: Any, b: Any) -> bool:
    # JSON-RPC ids match by value and type: 1 and "1" are different requests.
    return type(a) is type(b) and a == b
