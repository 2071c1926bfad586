"""Error codes and the one exception type that carries them.

Every JSON-RPC error that crosses the wire is an :class:`McpError` on the Python side: a
handler raises one to answer with that code, message and data, and a caller catches one when
the peer answers with an error. Failures that happen on our side of the connection (the
connection closed, the request timed out) are :class:`McpError` subclasses too, so a single
``except McpError`` covers everything a request can end with except cancellation.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CONNECTION_CLOSED",
    "HEADER_MISMATCH",
    "INTERNAL_ERROR",
    "INVALID_PARAMS",
    "INVALID_REQUEST",
    "METHOD_NOT_FOUND",
    "MISSING_REQUIRED_CLIENT_CAPABILITY",
    "PARSE_ERROR",
    "REQUEST_TIMEOUT",
    "RESOURCE_NOT_FOUND",
    "UNSUPPORTED_PROTOCOL_VERSION",
    "URL_ELICITATION_REQUIRED",
    "ConnectionClosed",
    "McpError",
    "RequestTimeout",
]

# JSON-RPC 2.0, section 5.1. These are the only codes of the -32768..-32000 block that
# JSON-RPC itself defines.
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603

# MCP. -32002 exists from 2024-11-05 to 2025-11-25 and is retired in 2026-07-28 (which
# answers a missing resource with INVALID_PARAMS); -32042 exists only in 2025-11-25.
RESOURCE_NOT_FOUND = -32002
URL_ELICITATION_REQUIRED = -32042
# 2026-07-28 reserves -32020..-32099 for the specification and allocates these three.
HEADER_MISMATCH = -32020
MISSING_REQUIRED_CLIENT_CAPABILITY = -32021
UNSUPPORTED_PROTOCOL_VERSION = -32022

# Local conditions, never sent to a peer. They sit in -32000..-32019, the block that
# 2026-07-28 leaves to implementations, and match the values other MCP SDKs use internally.
CONNECTION_CLOSED = -32000
REQUEST_TIMEOUT = -32001


class McpError(Exception):
    """A JSON-RPC error: ``code``, ``message`` and optional ``data``.

    ``data`` is ``None`` when the error carries none; a peer's ``"data": null`` reads the
    same, since JSON-RPC gives the two no different meaning.
    """

    code: int
    message: str
    data: Any

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(code, message, data)
        self.code = code
        self.message = message
        self.data = data

    def __str__(self) -> str:
        if self.data is None:
            return f"{self.message} ({self.code})"
        return f"{self.message} ({self.code}): {self.data!r}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r}, {self.data!r})"


class ConnectionClosed(McpError):
    """The connection ended before the peer answered."""

    def __init__(self, message: str = "Connection closed", data: Any = None) -> None:
        super().__init__(CONNECTION_CLOSED, message, data)


class RequestTimeout(McpError, TimeoutError):
    """The peer did not answer within the request's timeout.

    It is also a :class:`TimeoutError`, so code that handles timeouts generically catches it.
    """

    def __init__(self, message: str = "Request timed out", data: Any = None) -> None:
        McpError.__init__(self, REQUEST_TIMEOUT, message, data)
