"""Streamable HTTP servers for the lifecycle and JSON-RPC scenarios' tests.

:func:`our_app` is our demo server (``examples/everything_server.py``) as an ASGI app;
:class:`FaultyApp` wraps it and breaks one rule that only shows over HTTP:

* ``second-init-null-id``: a second ``initialize`` in a session is refused with HTTP 400 and
  a JSON-RPC error whose ``id`` is null, although the request's id was readable;
* ``batch-notifications-200``: a batch of notifications only gets ``200`` and ``[]`` instead
  of ``202`` with no body.

:func:`tests.conformance_fakes.transport_http.serving` runs such an app on our own HTTP server
on 127.0.0.1, at a free port.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import orjson

from mcpcore._target import load_server
from tests.conformance_fakes.transport_http import _replaying  # the same replay of a read body

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "everything_server.py"
FAULTS = frozenset({"second-init-null-id", "batch-notifications-200"})


def our_app() -> Any:
    return load_server(str(EXAMPLE)).asgi_app(access_log=False)


class FaultyApp:
    """Our app, with the named faults (see the module's docstring)."""

    def __init__(self, app: ASGIApp, *faults: str) -> None:
        unknown = set(faults) - FAULTS
        if unknown:
            raise ValueError(f"unknown faults: {sorted(unknown)}")
        self.app = app
        self.faults = frozenset(faults)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        try:
            parsed = orjson.loads(body)
        except orjson.JSONDecodeError:
            parsed = None
        in_session = any(name == b"mcp-session-id" for name, _ in scope["headers"])
        if (
            "second-init-null-id" in self.faults
            and in_session
            and isinstance(parsed, dict)
            and parsed.get("method") == "initialize"
        ):
            error = {
                "jsonrpc": "2.0",
                "id": None,
                "error": {"code": -32600, "message": "already initialized"},
            }
            await _json(send, 400, orjson.dumps(error))
            return
        if (
            "batch-notifications-200" in self.faults
            and isinstance(parsed, list)
            and parsed
            and all(isinstance(item, dict) and "id" not in item for item in parsed)
        ):
            await _json(send, 200, b"[]")
            return
        await self.app(scope, _replaying(body, receive), send)


async def _json(send: Send, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
