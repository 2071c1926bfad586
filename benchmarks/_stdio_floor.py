"""The floor of the stdio benchmarks: the least a server process can do per newline-JSON request.

It reads one line at a time from stdin, decodes it with orjson, and writes back one line, a
response with the request's id, flushing after each. Its result has the shape of a
``tools/call`` answer, carrying the request's ``arguments.text`` back, so the bytes on the
wire are those of the echo benchmarks. There is no protocol here: no handshake state, no
validation, no concurrency, no framing beyond ``readline``. Whatever an MCP server does on top
of this costs something, and the benchmarks report how much.

It imports only orjson and the standard library, so its memory is that of the interpreter with
a JSON codec: the floor for the idle server's memory too. End of stdin ends it.
"""

from __future__ import annotations

import sys
from typing import Any

import orjson


def answer(request: Any) -> bytes:
    params = request.get("params") if isinstance(request, dict) else None
    arguments = params.get("arguments") if isinstance(params, dict) else None
    text = arguments.get("text", "") if isinstance(arguments, dict) else ""
    response = {
        "jsonrpc": "2.0",
        "id": request.get("id") if isinstance(request, dict) else None,
        "result": {"content": [{"type": "text", "text": text}]},
    }
    return orjson.dumps(response) + b"\n"


def main() -> int:
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    loads = orjson.loads
    # readline hands back each line as soon as it is complete: a pipelined burst is answered
    # line by line without waiting for more input.
    for line in iter(stdin.readline, b""):
        if line.strip():
            stdout.write(answer(loads(line)))
            stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
