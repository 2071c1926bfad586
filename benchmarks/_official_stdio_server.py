"""The official SDK's side of the stdio benchmarks: its server, run by the peer environment's Python.

It is the server the SDK's users are shown how to write: an ``MCPServer`` whose tools are typed
functions, run with ``server.run("stdio")``. Its two tools match ``examples/echo_server.py``
(mcpcore's side) one for one, so both stdio workloads measure the same exchanges:
``echo(text)`` returns the text, and ``flood(count)`` reports ``count`` progress notifications
before it returns. Like the worker, it imports only the SDK and the standard library.
"""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import Context, MCPServer  # type: ignore[import-not-found,unused-ignore]

server: Any = MCPServer("echo")


@server.tool()  # type: ignore[untyped-decorator,unused-ignore]
def echo(text: str) -> str:
    """Return the text."""
    return text


@server.tool()  # type: ignore[untyped-decorator,unused-ignore]
async def flood(count: int, ctx: Context) -> str:  # type: ignore[type-arg,unused-ignore]
    """Report ``count`` progress notifications, then return."""
    for step in range(1, count + 1):
        await ctx.report_progress(step, count)
    return f"sent {count}"


if __name__ == "__main__":
    server.run("stdio")
