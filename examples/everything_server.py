"""A demo MCP server that uses every feature mcpcore offers, one small function at a time.

It exists for two audiences. People new to mcpcore read it to see how each MCP feature is
spelled (a tool is a function, its parameters the input schema, its docstring the
description). The interoperability tests run it against other implementations' clients, so it
must cover everything a client can meet: plain and rich tool results, structured output,
failures, progress, logs, cancellation, requests back to the client (sampling, elicitation,
roots), resources with subscriptions, templates, prompts and completion.

Run it over stdio::

    mcpcore serve examples/everything_server.py:server
    python examples/everything_server.py        # the same, without the CLI
"""

from __future__ import annotations

import base64
from typing import Annotated, Any

import anyio
from pydantic import BaseModel, Field

from mcpcore import content
from mcpcore.server import Context, Server
from mcpcore.types import ContentBlock

server = Server(
    "everything",
    "1.0.0",
    title="Everything",
    description="Every MCP feature mcpcore offers, in one small server",
    instructions="A demonstration server: try the tools, read the resources, get the prompt.",
)

# A 1x1 red PNG: small enough to read in a test, real enough for a client to display.
RED_PIXEL_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)

# Request ids of slow() calls that were cancelled, in order: the cancellations() tool shows
# them, so a client can check that its notifications/cancelled reached the tool.
cancelled_requests: list[Any] = []


# -- tools ------------------------------------------------------------------------------------


@server.tool()
def echo(text: Annotated[str, Field(description="What to say back")]) -> str:
    """Say the text back."""
    return text


@server.tool()
def red_pixel() -> list[ContentBlock]:
    """An image: one red pixel, with a caption."""
    return [content.text("a red pixel"), content.image(RED_PIXEL_PNG, "image/png")]


class Weather(BaseModel):
    city: str
    temperature_c: float
    conditions: str


@server.tool()
def weather(city: str) -> Weather:
    """Structured output: a pydantic model gives the tool an output schema.

    Clients of 2025-06-18 and later get ``structuredContent``; every client gets its JSON text.
    """
    return Weather(city=city, temperature_c=21.5, conditions="sunny")


@server.tool()
def fail(reason: str = "this tool always fails") -> str:
    """Raise an exception: the client gets a result with isError, not a protocol error."""
    raise RuntimeError(reason)


@server.tool()
async def long_task(steps: int, ctx: Context) -> str:
    """Report progress (with a total and a message per step) and log at several levels."""
    await ctx.debug(f"starting {steps} steps", logger="everything")
    for step in range(1, steps + 1):
        await ctx.report_progress(step, steps, f"step {step} of {steps}")
        await ctx.info(f"finished step {step}", logger="everything")
    await ctx.warning("that was only a demonstration", logger="everything")
    return f"done after {steps} steps"


@server.tool()
async def slow(ctx: Context, seconds: float = 60.0) -> str:
    """Sleep, so that a client can cancel the call; cancellations are recorded.

    A progress notification says when the sleep begins: a client that waits for it before
    cancelling knows the cancellation will find the tool running.
    """
    try:
        await ctx.report_progress(0, message="sleeping")
        await anyio.sleep(seconds)
    except anyio.get_cancelled_exc_class():
        cancelled_requests.append(ctx.request_id)
        raise
    return f"slept {seconds} s"


@server.tool()
def cancellations() -> dict[str, Any]:
    """The request ids of the slow calls that were cancelled so far."""
    return {"cancelled": list(cancelled_requests)}


@server.tool()
async def ask_model(question: str, ctx: Context) -> dict[str, Any]:
    """Ask the client's model (sampling) and return what it answered."""
    result = await ctx.sample(question, max_tokens=100, system_prompt="Answer in one sentence.")
    answer = result["content"]
    blocks = answer if isinstance(answer, list) else [answer]
    return {
        "model": result["model"],
        "role": result["role"],
        "text": content.text_of(blocks),
        "stopReason": result.get("stopReason"),
    }


class Contact(BaseModel):
    name: str = Field(description="Your name")
    age: int = Field(ge=0, description="Your age in years")
    newsletter: bool = Field(default=False, description="Send me the newsletter")


@server.tool()
async def sign_up(ctx: Context) -> dict[str, Any]:
    """Ask the user for their details (form elicitation) and return what they did."""
    answer = await ctx.elicit("Please tell us about yourself", Contact)
    return {
        "action": answer.action,
        "contact": answer.content.model_dump() if answer.content is not None else None,
    }


@server.tool()
async def show_roots(ctx: Context) -> dict[str, Any]:
    """The roots the client offers (roots/list)."""
    return {"roots": await ctx.list_roots()}


@server.tool()
async def touch(uri: str, ctx: Context) -> str:
    """Tell the clients subscribed to a resource that it changed (resources/subscribe)."""
    await ctx.server.notify_resource_updated(uri)
    return f"told the subscribers of {uri}"


# -- resources --------------------------------------------------------------------------------


@server.resource("demo://readme", mime_type="text/markdown")
def readme() -> str:
    """A static text resource."""
    return "# Everything\n\nA demonstration server.\n"


@server.resource("demo://red-pixel.png", mime_type="image/png")
def red_pixel_file() -> bytes:
    """A binary resource: returning bytes makes a blob."""
    return RED_PIXEL_PNG


@server.resource("greeting://{name}", mime_type="text/plain")
def greeting(name: str) -> str:
    """A resource template: each name is a resource of its own."""
    return f"Hello, {name}!"


# -- prompts ----------------------------------------------------------------------------------


@server.prompt()
def review_code(
    code: Annotated[str, Field(description="The code to review")],
    language: Annotated[str, Field(description="Its programming language")] = "python",
) -> list[dict[str, Any]]:
    """Ask for a code review; the language is optional."""
    return [
        {"role": "user", "content": content.text(f"Please review this {language} code:\n\n{code}")},
        {"role": "assistant", "content": content.text("Happy to. Let me read it first.")},
    ]


# -- completion -------------------------------------------------------------------------------

LANGUAGES = ("go", "haskell", "javascript", "python", "rust", "typescript")
NAMES = ("Ada", "Alan", "Barbara", "Grace", "Linus")


@server.completion(prompt="review_code", argument="language")
def complete_language(value: str, arguments: dict[str, str]) -> list[str]:
    return [language for language in LANGUAGES if language.startswith(value.lower())]


@server.completion(template="greeting://{name}", argument="name")
def complete_name(value: str, arguments: dict[str, str]) -> list[str]:
    return [name for name in NAMES if name.lower().startswith(value.lower())]


if __name__ == "__main__":
    from transports.stdio import serve_stdio

    anyio.run(serve_stdio, server)
