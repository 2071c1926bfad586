"""mcpcore: a Model Context Protocol engine in pure Python.

The layers, bottom up (``docs/architecture.md`` tells how a message travels through them):

* :mod:`mcpcore.wire`: JSON-RPC 2.0 messages and their codec.
* :mod:`mcpcore.framing`: newline and Server-Sent Events framing for byte streams.
* :mod:`mcpcore.dispatcher`: a bidirectional JSON-RPC peer over any transport.
* :mod:`mcpcore.errors`: error codes and :class:`McpError`.

Names are imported on first use, so ``import mcpcore`` costs next to nothing: hosts start stdio
servers under a connect timeout, and an import that builds the whole library eats into it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0.dev0"

__all__ = [
    "ConnectionClosed",
    "Dispatcher",
    "McpError",
    "RequestContext",
    "RequestTimeout",
    "__version__",
]

_LAZY = {
    "ConnectionClosed": "mcpcore.errors",
    "McpError": "mcpcore.errors",
    "RequestTimeout": "mcpcore.errors",
    "Dispatcher": "mcpcore.dispatcher",
    "RequestContext": "mcpcore.dispatcher",
}

if TYPE_CHECKING:
    from mcpcore.dispatcher import Dispatcher, RequestContext
    from mcpcore.errors import ConnectionClosed, McpError, RequestTimeout


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mcpcore' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
