"""An MCP server built with the official Python SDK, the counterpart of our demo server.

Runs under the SDK's own interpreter (``benchmarks.official.ensure_peer_env``) and serves one
session on stdin/stdout: ``python sdk_server.py``. The interop tests drive it with mcpcore's
``Client`` over ``StdioClientTransport``. It offers what ``examples/everything_server.py``
offers, spelled the SDK's way (``MCPServer``), so that the same feature list is exercised in
both directions: text, image, structured and failing tools; progress and logs; a slow tool
whose cancellation is recorded; sampling, elicitation and roots sent back to the client;
resources, a template, a prompt, completions.

Two things ``MCPServer`` leaves out are added on its low-level server, as the SDK allows:

* ``logging/setLevel``: without a handler the SDK declares no ``logging`` capability. The SDK
  leaves filtering by level to the application on handshake revisions, so the handler keeps
  the level and ``long_task`` honours it.
* pagination: ``MCPServer`` answers every list in one page. ``tools/list`` is replaced by a
  handler that serves :data:`PAGE_SIZE` tools per page with an offset cursor, so that a
  client's cursor following meets a real second page.

The tools are registered by plain calls rather than decorators: the SDK is not installed in
the environment that type-checks this file, and an untyped decorator would hide the
functions from the checker.
"""

from __future__ import annotations

import base64
import warnings
from typing import Any

import anyio
import mcp.types as types  # type: ignore[import-not-found]
from mcp.server.mcpserver import Context, MCPServer  # type: ignore[import-not-found]
from mcp.server.mcpserver.exceptions import ToolError  # type: ignore[import-not-found]
from mcp.shared.exceptions import MCPDeprecationWarning, MCPError  # type: ignore[import-not-found]
from pydantic import BaseModel, Field

# Logging, sampling and roots are deprecated in 2026-07-28; this server speaks the revisions
# before it, where they are current. Warnings would only clutter the test's stderr.
warnings.filterwarnings("ignore", category=MCPDeprecationWarning)

PAGE_SIZE = 4
LEVELS = ("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency")
RED_PIXEL_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)
LANGUAGES = ("go", "haskell", "javascript", "python", "rust", "typescript")
NAMES = ("Ada", "Alan", "Barbara", "Grace", "Linus")

app = MCPServer(
    "sdk-everything",
    title="SDK everything",
    version="2.3.0",
    instructions="The official SDK's counterpart of mcpcore's demo server.",
)

state: dict[str, Any] = {"level": "debug", "cancelled": []}


# -- tools ------------------------------------------------------------------------------------


def echo(text: str) -> str:
    """Say the text back."""
    return text


def red_pixel() -> list[Any]:
    """An image: one red pixel, with a caption."""
    return [
        types.TextContent(type="text", text="a red pixel"),
        types.ImageContent(
            type="image", data=base64.b64encode(RED_PIXEL_PNG).decode(), mime_type="image/png"
        ),
    ]


class Weather(BaseModel):
    city: str
    temperature_c: float
    conditions: str


def weather(city: str) -> Weather:
    """Structured output from a pydantic model."""
    return Weather(city=city, temperature_c=21.5, conditions="sunny")


def fail(reason: str = "this tool always fails") -> str:
    """Raise the SDK's ToolError: an isError result carrying the message."""
    raise ToolError(reason)


async def long_task(steps: int, ctx: Context) -> str:
    """Report progress with a total and messages, and log at several levels."""

    async def log(level: str, message: str) -> None:
        if LEVELS.index(level) >= LEVELS.index(state["level"]):
            await ctx.log(level, message, logger_name="sdk-everything")

    await log("debug", f"starting {steps} steps")
    for step in range(1, steps + 1):
        await ctx.report_progress(step, steps, f"step {step} of {steps}")
        await log("info", f"finished step {step}")
    await log("warning", "that was only a demonstration")
    return f"done after {steps} steps"


async def slow(ctx: Context, seconds: float = 60.0) -> str:
    """Sleep, so that a client can cancel the call; cancellations are recorded.

    A progress notification says when the sleep begins (for clients that wait for it).
    """
    try:
        await ctx.report_progress(0, None, "sleeping")
        await anyio.sleep(seconds)
    except anyio.get_cancelled_exc_class():
        state["cancelled"].append(ctx.request_id)
        raise
    return f"slept {seconds} s"


def cancellations() -> dict[str, Any]:
    """The request ids of the slow calls that were cancelled so far."""
    return {"cancelled": list(state["cancelled"])}


async def ask_model(question: str, ctx: Context) -> dict[str, Any]:
    """Ask the client's model (sampling) and return what it answered."""
    result = await ctx.session.create_message(
        messages=[types.SamplingMessage(role="user", content=types.TextContent(type="text", text=question))],
        max_tokens=100,
        system_prompt="Answer in one sentence.",
    )
    return {
        "model": result.model,
        "role": result.role,
        "text": result.content.text,
        "stopReason": result.stop_reason,
    }


class Contact(BaseModel):
    name: str = Field(description="Your name")
    age: int = Field(description="Your age in years")
    newsletter: bool = Field(default=False, description="Send me the newsletter")


async def sign_up(ctx: Context) -> dict[str, Any]:
    """Ask the user for their details (form elicitation) and return what they did."""
    answer = await ctx.elicit("Please tell us about yourself", Contact)
    data = getattr(answer, "data", None)
    return {"action": answer.action, "contact": data.model_dump() if data is not None else None}


async def show_roots(ctx: Context) -> dict[str, Any]:
    """The roots the client offers."""
    result = await ctx.session.list_roots()
    return {"roots": [root.model_dump(mode="json", exclude_none=True) for root in result.roots]}


for tool in (echo, weather, fail, long_task, slow, cancellations, ask_model, sign_up, show_roots):
    app.add_tool(tool)
app.add_tool(red_pixel, structured_output=False)


# -- resources, prompts, completion -----------------------------------------------------------


def readme() -> str:
    """A static text resource."""
    return "# SDK everything\n"


def red_pixel_file() -> bytes:
    """A binary resource."""
    return RED_PIXEL_PNG


def greeting(name: str) -> str:
    """A resource template."""
    return f"Hello, {name}!"


app.resource("demo://readme", mime_type="text/markdown")(readme)
app.resource("demo://red-pixel.png", mime_type="image/png")(red_pixel_file)
app.resource("greeting://{name}", mime_type="text/plain")(greeting)


def review_code(code: str, language: str = "python") -> str:
    """Ask for a code review; the language is optional."""
    return f"Please review this {language} code:\n\n{code}"


app.prompt()(review_code)


async def complete(ref: Any, argument: Any, context: Any) -> Any:
    value = argument.value.lower()
    if isinstance(ref, types.PromptReference) and argument.name == "language":
        values = [language for language in LANGUAGES if language.startswith(value)]
    elif isinstance(ref, types.ResourceTemplateReference) and argument.name == "name":
        values = [name for name in NAMES if name.lower().startswith(value)]
    else:
        return None
    return types.Completion(values=values, total=len(values), has_more=False)


app.completion()(complete)


# -- on the low-level server: logging/setLevel, and a paginated tools/list ---------------------


async def set_level(ctx: Any, params: Any) -> Any:
    state["level"] = params.level
    return types.EmptyResult()


async def list_tools_paged(ctx: Any, params: Any) -> Any:
    tools = await app.list_tools()
    cursor = params.cursor if params is not None else None
    try:
        start = int(cursor) if cursor is not None else 0
    except ValueError:
        raise MCPError(code=types.INVALID_PARAMS, message=f"bad cursor {cursor!r}") from None
    end = start + PAGE_SIZE
    return types.ListToolsResult(tools=tools[start:end], next_cursor=str(end) if end < len(tools) else None)


lowlevel = app._lowlevel_server
lowlevel.add_request_handler("logging/setLevel", types.SetLevelRequestParams, set_level)
lowlevel.add_request_handler("tools/list", types.PaginatedRequestParams, list_tools_paged)


if __name__ == "__main__":
    app.run("stdio")
