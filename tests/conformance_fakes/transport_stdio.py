"""A raw stdio MCP server for the transport scenarios' tests; ``sys.argv[1]`` names how it misbehaves.

* ``good``: one JSON-RPC message per line, in UTF-8; exits at the end of stdin;
* ``banner``: also prints a greeting on stdout before anything else;
* ``pretty``: writes every message indented over several lines;
* ``raw-newline``: writes an unescaped line break inside a string of one answer;
* ``latin1``: writes the answer holding non-ASCII text in Latin-1 instead of UTF-8;
* ``batch``: answers ping inside a one-element array (a batch);
* ``linger``: keeps running after its stdin ends;
* ``noisy-stderr``: logs heavily (and not in UTF-8) on stderr, which the spec allows.

It offers one tool and answers unknown tools and methods with errors that quote the name
asked for, so that odd characters in a request come back in an answer.
"""

from __future__ import annotations

import json
import sys
import time

MODE = sys.argv[1] if len(sys.argv) > 1 else "good"
KNOWN = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")


def write(message: object, *, odd: bool = False) -> None:
    if MODE == "pretty":
        data = json.dumps(message, indent=2).encode()
    else:
        text = json.dumps(message, ensure_ascii=False)
        if odd and MODE == "raw-newline":
            text = text.replace("\\n", "\n")
        data = text.encode("latin-1", "replace") if odd and MODE == "latin1" else text.encode()
    sys.stdout.buffer.write(data + b"\n")
    sys.stdout.buffer.flush()
    if MODE == "noisy-stderr":
        sys.stderr.buffer.write(b"log: wrote a message \xff\xfe (not UTF-8)\nERROR: nothing is wrong\n")
        sys.stderr.buffer.flush()


def answer(message: dict[str, object]) -> None:
    method = message.get("method")
    params = message.get("params")
    params = params if isinstance(params, dict) else {}
    mid = message["id"]
    if method == "initialize":
        asked = params.get("protocolVersion")
        result: object = {
            "protocolVersion": asked if asked in KNOWN else KNOWN[-1],
            "capabilities": {"tools": {}},
            "serverInfo": {"name": "transport-fake", "version": "1.0.0"},
        }
    elif method == "ping":
        if MODE == "batch":
            write([{"jsonrpc": "2.0", "id": mid, "result": {}}])
            return
        result = {}
    elif method == "tools/list":
        result = {"tools": [{"name": "hello", "inputSchema": {"type": "object"}}]}
    elif method == "tools/call" and params.get("name") == "hello":
        result = {"content": [{"type": "text", "text": "hello"}]}
    elif method == "tools/call":
        error = {"code": -32602, "message": f"Unknown tool: {params.get('name')}"}
        write({"jsonrpc": "2.0", "id": mid, "error": error}, odd=True)
        return
    else:
        write(
            {"jsonrpc": "2.0", "id": mid, "error": {"code": -32601, "message": f"Method not found: {method}"}}
        )
        return
    write({"jsonrpc": "2.0", "id": mid, "result": result})


def main() -> None:
    if MODE == "banner":
        sys.stdout.write("transport-fake 1.0 starting, hello!\n")
        sys.stdout.flush()
    for line in sys.stdin:
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if isinstance(message, dict) and "id" in message and "method" in message:
            answer(message)
    if MODE == "linger":
        time.sleep(60)  # the suite stops it with SIGTERM once it has seen enough


if __name__ == "__main__":
    main()
