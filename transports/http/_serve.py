"""``serve_http``: one MCP server on our own HTTP server, in one call."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import anyio

from ._app import StreamableHttpApp
from ._server import HttpServer

if TYPE_CHECKING:
    from anyio.abc import TaskStatus

    from mcpcore.server import Server

__all__ = ["serve_http"]

_SERVER_OPTIONS = frozenset(
    {
        "max_connections",
        "max_header_size",
        "header_timeout",
        "keep_alive_timeout",
        "shutdown_timeout",
    }
)


async def serve_http(
    server: Server,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    task_status: TaskStatus[HttpServer] = anyio.TASK_STATUS_IGNORED,
    **options: Any,
) -> None:
    """Serve ``server`` over Streamable HTTP until cancelled.

    ``options`` are those of :class:`~transports.http.StreamableHttpApp` (``path``,
    ``stateless``, ``json_response``, ``auth``, ...) and of
    :class:`~transports.http.HttpServer` (``max_connections``, ``header_timeout``,
    ``keep_alive_timeout``, ``shutdown_timeout``, ...); ``max_body_size`` bounds both. Binds
    to 127.0.0.1 unless told otherwise; ``task_status.started`` gets the running
    :class:`HttpServer` (its ``port`` is the bound port when ``port=0``).
    """
    http_options = {k: options.pop(k) for k in list(options) if k in _SERVER_OPTIONS}
    if "max_body_size" in options:
        http_options["max_body_size"] = options["max_body_size"]
    app = StreamableHttpApp(server, **options)
    http = HttpServer(app, host=host, port=port, **http_options)
    async with anyio.create_task_group() as tg:
        await tg.start(http.serve)
        task_status.started(http)
