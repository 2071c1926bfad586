"""The official Python SDK's counterpart of our demo server, served over Streamable HTTP.

Runs under the SDK's own interpreter (``benchmarks.official.ensure_peer_env``):
``python sdk_http_server.py --mode stateful|stateless``. The server is the one of
``sdk_server.py`` (the same ``MCPServer``, tools, resources, prompt, completions, paginated
``tools/list`` and ``logging/setLevel``), so that our client meets the same features over HTTP
as over stdio; only the transport differs. It is served the way the SDK's users are shown:
``streamable_http_app()`` under uvicorn.

* ``--mode stateful``: the SDK's defaults, sessions (``Mcp-Session-Id``) and SSE answers;
* ``--mode stateless``: ``stateless_http=True`` with ``json_response=True``, every POST on its
  own, answered with one JSON body.

It listens on 127.0.0.1 only, on a free port the system picks, and announces it as one line
``ready <port>`` on stdout once it accepts connections; nothing else goes to stdout. End of
stdin (the test closed it, or died) or SIGTERM stops it.
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path
from typing import Any

import uvicorn  # type: ignore[import-not-found,unused-ignore]

# sdk_server.py sits beside this file, in the package ``tests.interop`` of the repository;
# appended, not prepended, so that nothing of the repository can shadow the SDK's own modules.
sys.path.append(str(Path(__file__).resolve().parents[2]))

from tests.interop.sdk_server import app

HOST = "127.0.0.1"
PATH = "/mcp"
GRACEFUL_SHUTDOWN = 2  # seconds uvicorn gives open streams (a GET stream, say) when stopping


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
    # A server orphaned by a crashed test run must not outlive it: its stdin closes with it.
    for _ in iter(sys.stdin.buffer.readline, b""):
        pass
    server.should_exit = True


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--mode", choices=("stateful", "stateless"), required=True)
    args = parser.parse_args(argv)
    stateless = args.mode == "stateless"
    asgi = app.streamable_http_app(
        streamable_http_path=PATH, json_response=stateless, stateless_http=stateless, host=HOST
    )
    config = uvicorn.Config(
        asgi,
        host=HOST,
        port=0,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN,
    )
    server = _Announcing(config)
    threading.Thread(target=_exit_on_end_of_input, args=(server,), daemon=True).start()
    sys.stdout = sys.stderr  # stdout carries the one ready line
    server.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
