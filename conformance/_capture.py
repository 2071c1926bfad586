"""Recording what a client under test sends to the suite's test server.

Both transports write the same JSON-lines capture: one record per message, ``{"from":
"client"|"server", "message": ...}``, and over HTTP one record per request as well, ``{"http":
{"method", "path", "headers"}}``, written before the messages it carried. The client scenario's
checks read it back as a :class:`Capture`.

* stdio: the test server runs in a child process that the client starts; its transport is
  wrapped so that every message in and out is appended to the capture file.
* HTTP: the test server's ASGI app is wrapped; request bodies are client messages, and the
  JSON and SSE bodies of the responses are the server's.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import orjson

from mcpcore.dispatcher import Incoming, Receiver, Transport
from mcpcore.framing import FrameTooLarge, SSEDecoder
from mcpcore.wire import DecodeError, Message, RequestId, encode

__all__ = ["Capture", "Recorder", "RecordingApp", "RecordingTransport", "load_capture"]

Scope = MutableMapping[str, Any]
ASGIReceive = Callable[[], Awaitable[MutableMapping[str, Any]]]
ASGISend = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, ASGIReceive, ASGISend], Awaitable[None]]


class Recorder:
    """Appends capture records to a file, one JSON text per line, flushed at once so that a
    client that kills its server loses nothing."""

    def __init__(self, path: str | Path) -> None:
        self._file: TextIO = open(path, "a", encoding="utf-8")  # noqa: SIM115 (closed by close())

    def write(self, record: dict[str, Any]) -> None:
        self._file.write(orjson.dumps(record, default=str).decode() + "\n")
        self._file.flush()

    def message(self, sender: str, raw: bytes | str, headers: dict[str, str] | None = None) -> None:
        """Record what ``sender`` sent; over HTTP a client's body keeps its request's headers."""
        try:
            value: Any = orjson.loads(raw)
        except orjson.JSONDecodeError:
            self.write(
                {
                    "from": sender,
                    "undecodable": raw if isinstance(raw, str) else raw.decode("utf-8", "replace"),
                }
            )
            return
        for item in value if isinstance(value, list) else [value]:
            record = {"from": sender, "message": item, "batch": isinstance(value, list)}
            if headers is not None:
                record["headers"] = headers
            self.write(record)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._file.close()


class _RecordingReceiver:
    def __init__(self, inner: Receiver, recorder: Recorder) -> None:
        self._inner = inner
        self._recorder = recorder

    async def feed(self, item: Incoming) -> None:
        for part in item if isinstance(item, list) else [item]:
            if isinstance(part, DecodeError):
                self._recorder.write({"from": "client", "undecodable": str(part)})
            else:
                self._recorder.message("client", encode(part))
        await self._inner.feed(item)

    def __getattr__(self, name: str) -> Any:  # wait_idle and friends pass through
        return getattr(self._inner, name)


class RecordingTransport:
    """A transport that records every message through it, then hands it on."""

    def __init__(self, inner: Transport, recorder: Recorder) -> None:
        self._inner = inner
        self._recorder = recorder

    async def send(
        self, message: Message | list[Message], related_request_id: RequestId | None = None
    ) -> None:
        self._recorder.message("server", encode(message))
        await self._inner.send(message, related_request_id)

    async def run(self, receiver: Receiver) -> None:
        await self._inner.run(_RecordingReceiver(receiver, self._recorder))

    async def aclose(self) -> None:
        await self._inner.aclose()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class RecordingApp:
    """An ASGI app that records the MCP traffic of the app it wraps."""

    def __init__(self, app: ASGIApp, recorder: Recorder) -> None:
        self.app = app
        self.recorder = recorder

    async def __call__(self, scope: Scope, receive: ASGIReceive, send: ASGISend) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        self.recorder.write(
            {"http": {"method": scope.get("method"), "path": scope.get("path"), "headers": headers}}
        )
        body = bytearray()
        done = False

        async def receive_and_record() -> MutableMapping[str, Any]:
            nonlocal done
            event = await receive()
            if event.get("type") == "http.request" and not done:
                body.extend(event.get("body", b""))
                if not event.get("more_body", False):
                    done = True
                    if body.strip():
                        self.recorder.message("client", bytes(body), headers)
            return event

        kind: list[str] = [""]
        decoder = SSEDecoder()
        answer = bytearray()

        async def send_and_record(event: MutableMapping[str, Any]) -> None:
            if event.get("type") == "http.response.start":
                for key, value in event.get("headers", []):
                    if key.decode("latin-1").lower() == "content-type":
                        kind[0] = value.decode("latin-1").split(";")[0].strip().lower()
            elif event.get("type") == "http.response.body":
                chunk = event.get("body", b"")
                if kind[0] == "text/event-stream":
                    for item in decoder.feed(chunk):
                        if not isinstance(item, FrameTooLarge) and item.data:
                            self.recorder.message("server", item.data)
                elif kind[0] == "application/json":
                    answer.extend(chunk)
                    if not event.get("more_body", False) and answer.strip():
                        self.recorder.message("server", bytes(answer))
            await send(event)

        await self.app(scope, receive_and_record, send_and_record)


@dataclass(slots=True)
class Capture:
    """What passed between the client and the test server, in order."""

    records: list[dict[str, Any]] = field(default_factory=list)

    @property
    def client_messages(self) -> list[Any]:
        return [r["message"] for r in self.records if r.get("from") == "client" and "message" in r]

    @property
    def server_messages(self) -> list[Any]:
        return [r["message"] for r in self.records if r.get("from") == "server" and "message" in r]

    @property
    def undecodable(self) -> list[str]:
        return [
            str(r["undecodable"]) for r in self.records if r.get("from") == "client" and "undecodable" in r
        ]

    @property
    def http_requests(self) -> list[dict[str, Any]]:
        return [r["http"] for r in self.records if "http" in r]

    def client_posts(self) -> list[tuple[dict[str, Any], dict[str, str]]]:
        """Over HTTP: each message the client posted, with the headers of its POST."""
        return [
            (r["message"], r["headers"])
            for r in self.records
            if r.get("from") == "client"
            and isinstance(r.get("message"), dict)
            and isinstance(r.get("headers"), dict)
        ]

    def client_requests(self, method: str | None = None) -> list[dict[str, Any]]:
        return [
            m
            for m in self.client_messages
            if isinstance(m, dict)
            and "id" in m
            and isinstance(m.get("method"), str)
            and method in (None, m["method"])
        ]

    def client_notifications(self, method: str | None = None) -> list[dict[str, Any]]:
        return [
            m
            for m in self.client_messages
            if isinstance(m, dict)
            and "id" not in m
            and isinstance(m.get("method"), str)
            and method in (None, m["method"])
        ]

    def responses_to(self, method: str) -> list[dict[str, Any]]:
        """The client's responses to the server's requests of ``method``."""
        ids = [
            m["id"]
            for m in self.server_messages
            if isinstance(m, dict) and m.get("method") == method and "id" in m
        ]
        return [
            m
            for m in self.client_messages
            if isinstance(m, dict) and "method" not in m and "id" in m and any(_same(m["id"], i) for i in ids)
        ]

    def method_of_response(self, message: Any) -> str | None:
        """The method of the server request that a client response answers."""
        if not isinstance(message, dict) or "method" in message or "id" not in message:
            return None
        for sent in self.server_messages:
            if (
                isinstance(sent, dict)
                and "method" in sent
                and "id" in sent
                and _same(sent["id"], message["id"])
            ):
                method = sent["method"]
                return method if isinstance(method, str) else None
        return None

    @property
    def negotiated(self) -> str | None:
        for message in self.server_messages:
            result = message.get("result") if isinstance(message, dict) else None
            if isinstance(result, dict) and "protocolVersion" in result and "serverInfo" in result:
                version = result["protocolVersion"]
                return version if isinstance(version, str) else None
        return None


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def load_capture(path: str | Path) -> Capture:
    capture = Capture()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return capture
    for line in text.splitlines():
        if line.strip():
            with contextlib.suppress(orjson.JSONDecodeError):
                record = orjson.loads(line)
                if isinstance(record, dict):
                    capture.records.append(record)
    return capture
