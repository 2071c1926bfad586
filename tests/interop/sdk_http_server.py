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
from pathlib import Path

# sdk_server.py sits beside this file, in the package ``tests.interop`` of the repository, and
# the uvicorn runner is the benchmark's;
# appended, not prepended, so that nothing of the repository can shadow the SDK's own modules.
sys.path.append(str(Path(__file__).resolve().parents[2]))

from benchmarks._official_http_server import HOST, PATH, serve
from tests.interop.sdk_server import app

GRACEFUL_SHUTDOWN = 2  # seconds uvicorn gives open streams (a GET stream, say) when stopping


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--mode", choices=("stateful", "stateless"), required=True)
    args = parser.parse_args(argv)
    stateless = args.mode == "stateless"
    asgi = app.streamable_http_app(
        streamable_http_path=PATH, json_response=stateless, stateless_http=stateless, host=HOST
    )
    serve(asgi, 0, GRACEFUL_SHUTDOWN)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
