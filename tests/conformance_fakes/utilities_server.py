"""An mcpcore server whose utility tools break one rule each, for the utilities scenarios' tests.

``sys.argv[1]`` is a comma-separated list of faults (empty: keep every rule):

* ``progress-backwards``: ``test_tool_with_progress`` reports 2 after 3;
* ``progress-foreign-token``: its progress names a token other than the request's;
* ``log-ignores-level``: ``test_tool_with_logging`` sends ``debug`` lines whatever the level;
* ``sampling-ungated``: ``test_sampling`` asks for a sampled message even of a client that
  did not declare sampling.

The rule-breaking messages go out through the session's raw ``notify``/dispatcher, since the
server's own API refuses to send them.
"""

from __future__ import annotations

import sys
from typing import Any

import anyio

from mcpcore.server import Context, Server
from transports.stdio import serve_stdio

FAULTS = set(filter(None, (sys.argv[1] if len(sys.argv) > 1 else "").split(",")))
server = Server("utilities-fake", "1.0.0")


@server.tool("test_tool_with_progress")
async def with_progress(ctx: Context) -> str:
    """Reports progress 0, 50 and 100 (as 1, 2, 3 of 3)."""
    token = ctx.progress_token
    if token is not None:
        steps = [1, 3, 2] if "progress-backwards" in FAULTS else [1, 2, 3]
        sent: Any = "someone-else" if "progress-foreign-token" in FAULTS else token
        for step in steps:
            await ctx.session.notify(
                "notifications/progress", {"progressToken": sent, "progress": step, "total": 3}
            )
            await anyio.sleep(0.01)
    return "done"


@server.tool("test_tool_with_logging")
async def with_logging(ctx: Context) -> str:
    """Sends three log lines."""
    for index in range(3):
        if "log-ignores-level" in FAULTS:
            await ctx.session.notify("notifications/message", {"level": "debug", "data": f"line {index}"})
        else:
            await ctx.info(f"line {index}")
    return "logged"


@server.tool("test_sampling")
async def sampling(ctx: Context, prompt: str = "Hello") -> str:
    """Asks the client for a sampled message."""
    params = {"messages": [{"role": "user", "content": {"type": "text", "text": prompt}}], "maxTokens": 20}
    if "sampling-ungated" in FAULTS:
        with anyio.move_on_after(2):
            result = await ctx.session.dispatcher.request("sampling/createMessage", params)
            return f"LLM response: {result}"
        return "no answer"
    result = await ctx.sample(prompt, max_tokens=20)
    return f"LLM response: {result}"


if __name__ == "__main__":
    anyio.run(serve_stdio, server)
