"""mcpcore: a Model Context Protocol engine in pure Python.

The layers, bottom up (``docs/architecture.md`` tells how a message travels through them):

* :mod:`mcpcore.wire`: JSON-RPC 2.0 messages and their codec.
* :mod:`mcpcore.framing`: newline and Server-Sent Events framing for byte streams.
* :mod:`mcpcore.dispatcher`: a bidirectional JSON-RPC peer over any transport.
* :mod:`mcpcore.errors`: error codes and :class:`McpError`.
* :mod:`mcpcore.server` and :mod:`mcpcore.client`: MCP itself (``Server``, ``Context``,
  ``Client``), with :mod:`mcpcore.content` for content blocks and :mod:`mcpcore.types` for
  the shapes of what travels.

Names are imported on first use, so ``import mcpcore`` costs next to nothing: hosts start stdio
servers under a connect timeout, and an import that builds the whole library eats into it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0.dev0"

__all__ = [
    "CapabilityError",
    "Client",
    "ConnectionClosed",
    "Context",
    "Dispatcher",
    "McpError",
    "RequestContext",
    "RequestTimeout",
    "Server",
    "ToolResult",
    "__version__",
]

_LAZY = {
    "ConnectionClosed": "mcpcore.errors",
    "McpError": "mcpcore.errors",
    "RequestTimeout": "mcpcore.errors",
    "Dispatcher": "mcpcore.dispatcher",
    "RequestContext": "mcpcore.dispatcher",
    "Server": "mcpcore.server",
    "Context": "mcpcore.server",
    "ToolResult": "mcpcore.server",
    "CapabilityError": "mcpcore.server",
    "Client": "mcpcore.client",
}

if TYPE_CHECKING:
    from mcpcore.client import Client
    from mcpcore.dispatcher import Dispatcher, RequestContext
    from mcpcore.errors import ConnectionClosed, McpError, RequestTimeout
    from mcpcore.server import CapabilityError, Context, Server, ToolResult


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mcpcore' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
