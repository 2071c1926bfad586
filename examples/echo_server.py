"""The smallest useful mcpcore server: what the stdio benchmarks spawn, and a first example to read.

Two tools, each a plain function whose parameters become its input schema:

* ``echo(text)`` says the text back: one request, one response, nothing else on the wire, so a
  benchmark of it measures the transport and the protocol machinery rather than the tool;
* ``flood(count)`` reports ``count`` progress notifications before it answers, to measure how
  fast a server can stream notifications to a client that asked for progress.

Run it over stdio::

    mcpcore serve examples/echo_server.py:server
    python examples/echo_server.py        # the same, without the CLI
"""

from __future__ import annotations

import anyio

from mcpcore.server import Context, Server

server = Server("echo", "1.0.0")


@server.tool()
def echo(text: str) -> str:
    """Say the text back."""
    return text


@server.tool()
async def flood(count: int, ctx: Context) -> str:
    """Report ``count`` progress notifications (if the caller asked for progress), then return."""
    for step in range(1, count + 1):
        await ctx.report_progress(step, count)
    return f"sent {count}"


if __name__ == "__main__":
    from transports.stdio import serve_stdio

    anyio.run(serve_stdio, server)
