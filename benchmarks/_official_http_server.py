"""The official SDK's side of the HTTP benchmarks: its Streamable HTTP server, run by the peer's Python.

The server is the one the SDK's users are shown how to write: an ``MCPServer`` with the ``echo``
tool of ``examples/echo_server.py`` (mcpcore's side), served by ``streamable_http_app()`` under
uvicorn, the server the SDK itself runs it with. Two modes cover the two ways the SDK serves:

* ``--mode sse``: its defaults, stateful sessions (an ``Mcp-Session-Id`` handed out at
  ``initialize``) and each POST answered with an SSE stream;
* ``--mode json``: ``stateless_http=True`` and ``json_response=True``, each POST served on its
  own and answered with one JSON body.

It listens on 127.0.0.1 only, on ``--port`` (0: a free port the system picks), and announces
the bound port as one line ``ready <port>`` on stdout once it accepts connections; nothing else
is written to stdout. End of stdin (the parent closed it, or died) or SIGTERM stops it.

Uvicorn's access log is off, and uvicorn and the SDK log at ``warning``: a log line per request
is a cost mcpcore's server does not pay, and a benchmark that counts it would flatter us. Everything else
is as the SDK's ``run_streamable_http_async`` configures it; uvicorn picks its h11 protocol,
since the SDK brings neither httptools nor uvloop. Like the worker, this imports only the SDK,
its dependencies and the standard library.
"""

from __future__ import annotations

import argparse
import sys
import threading
from typing import Any

import uvicorn  # type: ignore[import-not-found,unused-ignore]
from mcp.server.mcpserver import MCPServer  # type: ignore[import-not-found,unused-ignore]

HOST = "127.0.0.1"
PATH = "/mcp"
MODES = ("sse", "json")
# Seconds uvicorn waits for open connections (an SSE GET stream, say) before it cancels them.
GRACEFUL_SHUTDOWN = 3


def make_server() -> Any:
    # WARNING, not the SDK's INFO: it would log a line per stateless request (see the docstring).
    server: Any = MCPServer("echo", log_level="WARNING")

    @server.tool()  # type: ignore[untyped-decorator,unused-ignore]
    def echo(text: str) -> str:
        """Return the text."""
        return text

    return server


class _Announcing(uvicorn.Server):  # type: ignore[misc,unused-ignore]
    """A uvicorn server that tells its parent which port it bound, once it can be reached."""

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets=sockets)
        if self.should_exit or not getattr(self, "servers", None):
            return
        port = self.servers[0].sockets[0].getsockname()[1]
        sys.__stdout__.write(f"ready {port}\n")  # type: ignore[union-attr]
        sys.__stdout__.flush()  # type: ignore[union-attr]


def _exit_on_end_of_input(server: Any) -> None:
    # A server orphaned by its parent (a crashed worker or test run) must not outlive it: its
    # stdin closes with it.
    for _ in iter(sys.stdin.buffer.readline, b""):
        pass
    server.should_exit = True


def serve(app: Any, port: int, graceful_shutdown: int) -> None:
    """Run an ASGI ``app`` under uvicorn on 127.0.0.1:``port`` until stdin ends or SIGTERM,
    announcing ``ready <port>`` on stdout (the interop tests' SDK server uses it too)."""
    config = uvicorn.Config(
        app,
        host=HOST,
        port=port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=graceful_shutdown,
    )
    server = _Announcing(config)
    threading.Thread(target=_exit_on_end_of_input, args=(server,), daemon=True).start()
    # Anything printed by the SDK or uvicorn goes to stderr: stdout carries the one ready line.
    sys.stdout = sys.stderr
    server.run()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="_official_http_server", description=__doc__)
    parser.add_argument("--mode", choices=MODES, required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65_535:
        parser.error(f"--port must be 0..65535, not {args.port}")
    stateless = args.mode == "json"
    app = make_server().streamable_http_app(
        streamable_http_path=PATH, json_response=stateless, stateless_http=stateless, host=HOST
    )
    serve(app, args.port, GRACEFUL_SHUTDOWN)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
