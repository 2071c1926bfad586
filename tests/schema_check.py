"""Check captured MCP messages against the official schema of the negotiated revision.

Two checks per message: the envelope against ``JSONRPCMessage`` and the payload (the params of
a request or notification, the result of a response) against its own definition, found by
method. The payload check is *strict*: every definition of the schema with ``properties`` is
made to refuse properties it does not list, so a field that a revision lacks (a ``title`` sent
to a 2024-11-05 peer, say) fails. The official files stay where they are (see ``tests.spec``).

A client that speaks both eras asks ``server/discover`` before it falls back to ``initialize``:
that probe and its answer are 2026-07-28 traffic even in a legacy session, so they are checked
against the modern revision the probe names. Once ``initialize`` has travelled, the session's
revision alone applies, and a message of the other era fails.
"""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import anyio
import orjson

from mcpcore import modern
from mcpcore.dispatcher import Incoming, Receiver, Transport
from mcpcore.revisions import MODERN_VERSIONS
from mcpcore.wire import (
    DecodeError,
    ErrorResponse,
    Message,
    Notification,
    Request,
    RequestId,
    Response,
    encode,
)
from tests.spec import SPEC_DIR

RESULTS = {
    "initialize": "InitializeResult",
    "ping": "Result",
    "tools/list": "ListToolsResult",
    "tools/call": "CallToolResult",
    "resources/list": "ListResourcesResult",
    "resources/templates/list": "ListResourceTemplatesResult",
    "resources/read": "ReadResourceResult",
    "resources/subscribe": "Result",
    "resources/unsubscribe": "Result",
    "prompts/list": "ListPromptsResult",
    "prompts/get": "GetPromptResult",
    "completion/complete": "CompleteResult",
    "logging/setLevel": "Result",
    "sampling/createMessage": "CreateMessageResult",
    "roots/list": "ListRootsResult",
    "elicitation/create": "ElicitResult",
    "server/discover": "DiscoverResult",
    "subscriptions/listen": "SubscriptionsListenResult",
}
_OPEN = {"Result", "GetTaskPayloadResult"}  # definitions the schema itself leaves open


@cache
def _schema(revision: str, strict: bool) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SPEC_DIR / revision / "schema.json").read_text(encoding="utf-8"))
    if strict:
        schema = copy.deepcopy(schema)
        defs = schema.get("$defs") or schema["definitions"]
        for name, node in defs.items():
            if "properties" in node and "additionalProperties" not in node and name not in _OPEN:
                node["additionalProperties"] = False
    return schema


@cache
def _validator(revision: str, definition: str, strict: bool) -> Any:
    import jsonschema

    schema = _schema(revision, strict)
    key = "$defs" if "$defs" in schema else "definitions"
    if definition not in schema[key]:
        raise KeyError(f"{revision} has no definition {definition}")
    root = {**schema, "$ref": f"#/{key}/{definition}"}
    cls = jsonschema.validators.validator_for(schema)
    return cls(root)


def _by_method(revision: str, method: str) -> str | None:
    """The definition of the request or notification ``method``."""
    schema = _schema(revision, False)
    defs = schema.get("$defs") or schema["definitions"]
    for name, node in defs.items():
        method_node = node.get("properties", {}).get("method", {})
        if method_node.get("const") == method and name.endswith(("Request", "Notification")):
            return str(name)
    return None


def _payload(revision: str, definition: str, message: dict[str, Any]) -> dict[str, Any]:
    """The message as ``definition`` describes it: before 2025-11-25 the request and notification
    definitions hold only method and params, the envelope being JSONRPCRequest's."""
    schema = _schema(revision, False)
    node = (schema.get("$defs") or schema["definitions"])[definition]
    if "jsonrpc" in node.get("properties", {}):
        return message
    return {k: v for k, v in message.items() if k not in ("jsonrpc", "id")}


def _probe_revision(message: dict[str, Any]) -> str:
    """The modern revision a ``server/discover`` probe names in its envelope."""
    params = message.get("params")
    meta = params.get("_meta") if isinstance(params, dict) else None
    version = meta.get(modern.PROTOCOL_VERSION) if isinstance(meta, dict) else None
    assert version in MODERN_VERSIONS, f"a server/discover probe names no modern revision: {message}"
    return str(version)


def check(revision: str, definition: str, value: Any) -> None:
    """Raise AssertionError if ``value`` does not conform to ``definition`` (strictly)."""
    errors = sorted(_validator(revision, definition, True).iter_errors(value), key=str)
    if errors:
        details = "; ".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:5])
        raise AssertionError(f"{definition} ({revision}) rejects {value!r}: {details}")


@dataclass
class Capture:
    """Messages seen at one end of a connection, in order, as the JSON that travelled."""

    messages: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # ("out"|"in", message)
    exempt: list[dict[str, Any]] = field(default_factory=list)  # sent invalid on purpose by a test

    def add(self, direction: str, message: Message | list[Message]) -> None:
        items = message if isinstance(message, list) else [message]
        for item in items:
            self.messages.append((direction, orjson.loads(encode(item))))

    @property
    def revision(self) -> str | None:
        for _, message in self.messages:
            result = message.get("result")
            if isinstance(result, dict) and "protocolVersion" in result and "serverInfo" in result:
                return str(result["protocolVersion"])
        return None

    def validate(self, revision: str | None = None) -> int:
        """Check every captured message; returns how many were checked."""
        revision = revision or self.revision
        assert revision is not None, "no initialize result was captured"
        pending: dict[tuple[str, RequestId | None], tuple[str, str]] = {}  # -> (method, revision)
        started = False  # whether initialize has travelled: then the session's revision rules
        checked = 0
        for direction, message in self.messages:
            if message in self.exempt:
                continue
            method = message.get("method")
            era = revision  # the revision this message is checked against
            if isinstance(method, str):
                started = started or method == "initialize"
                if method == "server/discover" and not started:
                    era = _probe_revision(message)  # the era probe, before any session
                _validator(era, "JSONRPCMessage", False).validate(message)
                definition = _by_method(era, method)
                assert definition is not None, f"{method} does not exist in revision {era}"
                if "id" in message:
                    pending[direction, message["id"]] = method, era
                check(era, definition, _payload(era, definition, message))
            else:
                # The answer travels the other way from its request, in its request's era.
                other = "in" if direction == "out" else "out"
                asked = pending.pop((other, message.get("id")), None)
                if asked is not None:
                    era = asked[1]
                _validator(era, "JSONRPCMessage", False).validate(message)
                if "result" in message:
                    if asked is None and any(m.get("id") == message["id"] for m in self.exempt):
                        continue  # the answer to an exempt request
                    assert asked is not None, f"an answer to an unknown request: {message}"
                    result = message["result"]
                    kind = result.get("resultType") if isinstance(result, dict) else None
                    # 2026-07-28: an input-required result answers a request in place of its own.
                    name = "InputRequiredResult" if kind == "input_required" else RESULTS[asked[0]]
                    check(era, name, result)
            checked += 1
        return checked

    def sent(self, method: str) -> list[dict[str, Any]]:
        return [m for d, m in self.messages if d == "out" and m.get("method") == method]

    def received(self, method: str) -> list[dict[str, Any]]:
        return [m for d, m in self.messages if d == "in" and m.get("method") == method]


class _RecordingReceiver:
    def __init__(self, inner: Receiver, capture: Capture) -> None:
        self._inner = inner
        self._capture = capture

    async def feed(self, item: Incoming) -> None:
        if isinstance(item, (Request, Notification, Response, ErrorResponse)):
            self._capture.add("in", item)
        elif isinstance(item, list):
            self._capture.add("in", [m for m in item if not isinstance(m, DecodeError)])
        await self._inner.feed(item)


class Recording:
    """A transport that records what passes through it, both ways."""

    def __init__(self, inner: Transport, capture: Capture) -> None:
        self._inner = inner
        self.capture = capture

    @property
    def allow_batch(self) -> bool:
        return bool(getattr(self._inner, "allow_batch", False))

    @allow_batch.setter
    def allow_batch(self, value: bool) -> None:
        self._inner.allow_batch = value  # type: ignore[attr-defined]

    async def send(
        self, message: Message | list[Message], related_request_id: RequestId | None = None
    ) -> None:
        self.capture.add("out", message)
        await self._inner.send(message, related_request_id)

    async def run(self, receiver: Receiver) -> None:
        await self._inner.run(_RecordingReceiver(receiver, self.capture))

    async def aclose(self) -> None:
        await self._inner.aclose()


@asynccontextmanager
async def served(server: Any) -> AsyncIterator[tuple[Recording, Capture]]:
    """A client-side transport to ``server`` (served in the background), recording."""
    from transports.memory import create_pair

    ours, theirs = create_pair(codec=True)
    capture = Capture()
    async with anyio.create_task_group() as group:
        group.start_soon(server.serve, theirs)
        try:
            yield Recording(ours, capture), capture
        finally:
            group.cancel_scope.cancel()
