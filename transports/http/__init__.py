"""Streamable HTTP: an MCP server endpoint and client transport, on h11 and anyio sockets.

* :class:`StreamableHttpApp` is the MCP endpoint as an ASGI application
  (``server.asgi_app()`` builds one): sessions, SSE streams, resumption, security, operations.
* :class:`HttpServer` is a small ASGI server on h11 that hosts it (or any ASGI app);
  :func:`serve_http` puts the two together.
* :class:`StreamableHttpTransport` is the client side, for ``Client(...)``.
* :class:`EventStore` is the interface of the memory that resumption replays from, and
  :class:`MemoryEventStore` the default, bounded, in-process one.

Names are imported on first use, so importing this package costs nothing until then.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._app import AuthHook, StreamableHttpApp
    from ._client import SessionExpired, StreamableHttpTransport
    from ._events import EventStore, MemoryEventStore
    from ._serve import serve_http
    from ._server import HttpServer

__all__ = [
    "AuthHook",
    "EventStore",
    "HttpServer",
    "MemoryEventStore",
    "SessionExpired",
    "StreamableHttpApp",
    "StreamableHttpTransport",
    "serve_http",
]

_WHERE = {
    "AuthHook": "._app",
    "StreamableHttpApp": "._app",
    "SessionExpired": "._client",
    "StreamableHttpTransport": "._client",
    "EventStore": "._events",
    "MemoryEventStore": "._events",
    "HttpServer": "._server",
    "serve_http": "._serve",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module, __name__), name)
