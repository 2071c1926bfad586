"""A raw stdio MCP server for the framework's tests; ``sys.argv[1]`` names how it misbehaves.

* ``good``: answers initialize (echoing the revision), ping and tools/list correctly;
* ``wrong-version``: answers initialize with a revision other than the one asked for;
* ``junk-stdout``: also prints a line that is not JSON on stdout;
* ``bad-result``: its tools/list result has no ``tools`` array (a schema violation);
* ``silent-ping``: never answers ping.
"""

from __future__ import annotations

import json
import sys

MODE = sys.argv[1] if len(sys.argv) > 1 else "good"


def reply(message_id: object, result: object) -> None:
    sys.stdout.write(json.dumps({"jsonrpc": "2.0", "id": message_id, "result": result}) + "\n")
    sys.stdout.flush()


def main() -> None:
    for line in sys.stdin:
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if not isinstance(message, dict) or "id" not in message:
            continue
        method = message.get("method")
        if method == "initialize":
            asked = message.get("params", {}).get("protocolVersion", "2025-11-25")
            known = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")
            version = asked if asked in known else "2025-11-25"
            if MODE == "wrong-version":
                version = "2024-11-05" if asked != "2024-11-05" else "2025-03-26"
            if MODE == "junk-stdout":
                sys.stdout.write("starting up, hello!\n")
            reply(
                message["id"],
                {
                    "protocolVersion": version,
                    "capabilities": {"tools": {}},
                    "serverInfo": {"name": "fake", "version": "1"},
                },
            )
        elif method == "ping":
            if MODE != "silent-ping":
                reply(message["id"], {})
        elif method == "tools/list":
            reply(message["id"], {"tool": []} if MODE == "bad-result" else {"tools": []})
        else:
            sys.stdout.write(
                json.dumps(
                    {"jsonrpc": "2.0", "id": message["id"], "error": {"code": -32601, "message": "no"}}
                )
                + "\n"
            )
            sys.stdout.flush()


if __name__ == "__main__":
    main()
