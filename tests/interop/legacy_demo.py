"""``mcpcore serve`` of the demo server made legacy-only, for peers that must fall back.

``python -m tests.interop.legacy_demo [serve options...]`` serves
``examples/everything_server.py:server`` with its 2026-07-28 support switched off, so that a
client which probes for the modern era (the official SDK in its ``auto`` mode) is refused and
falls back to ``initialize``: the probe-and-fallback path of a dual-era client, tested against
us. Our own server answers both eras by default, which would never exercise that path.
"""

from __future__ import annotations

import sys

from examples.everything_server import server
from mcpcore.cli import main

if __name__ == "__main__":
    server.modern_versions = ()  # served per connection from here on: sessions are legacy only
    # By module name, so that the server object changed above is the one served.
    sys.exit(main(["serve", "examples.everything_server:server", *sys.argv[1:]]))
