"""Drive an MCP server over stdio with the official Python SDK's client; print what it observed.

Runs under the SDK's own interpreter (``benchmarks.official.ensure_peer_env``), never ours:
``python sdk_client_driver.py REVISION [--cwd DIR] -- COMMAND [ARGS...]``. It starts the
server with the SDK's stdio transport, goes through every feature of the demo server
(``examples/everything_server.py``) and prints one JSON document: what came back, what the
SDK's callbacks were asked, and which errors were raised. Judging it is the test's job; this
script only records, so that a failure shows the whole picture and not the first surprise.

``REVISION`` is ``auto`` or a handshake revision. ``auto`` is the SDK's stock connection
(``mcp.Client``, which first probes ``server/discover`` for 2026-07-28 and falls back to
``initialize`` at the newest handshake revision). The SDK has no option to offer an older
revision in ``initialize``, so for a pinned one the script sends the ``initialize`` request
itself through the session's public ``send_request``, then ``adopt``s the result and sends
``notifications/initialized``: what the SDK's own ``initialize()`` does, with another version.
From there on everything goes through the SDK's ordinary session methods, which validate
each result against the schema of the negotiated revision.

Every wait is bounded: the whole run by ``--timeout``, and each wait for a notification that
travels behind a result by a bounded poll.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import mcp.types as types  # type: ignore[import-not-found]
from mcp.client.client import Client  # type: ignore[import-not-found]
from mcp.client.session import ClientSession  # type: ignore[import-not-found]
from mcp.client.stdio import StdioServerParameters, stdio_client  # type: ignore[import-not-found]
from mcp.shared.exceptions import MCPError  # type: ignore[import-not-found]

ROOT_URI = "file:///tmp/interop-root"
SAMPLED_TEXT = "Forty-two."
SAMPLED_MODEL = "sdk-test-model"
ELICITED = {"name": "Ada", "age": 36, "newsletter": True}

_POLLS = 100  # a notification that travels behind a result gets 100 x 50 ms to be handled
_POLL_INTERVAL = 0.05


def dump(model: Any) -> Any:
    """A pydantic model of the SDK as the JSON it came from (no defaults the SDK filled in)."""
    return model.model_dump(by_alias=True, mode="json", exclude_unset=True)


def error_of(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, MCPError):
        return {"code": exc.error.code, "message": exc.error.message}
    return {"exception": type(exc).__name__, "message": str(exc)}


async def wait_for(condition: Callable[[], bool]) -> bool:
    """Poll ``condition`` a bounded number of times; whether it came true."""
    for _ in range(_POLLS):
        if condition():
            return True
        await anyio.sleep(_POLL_INTERVAL)
    return condition()


class Observer:
    """The SDK client's callbacks, which record what the server asked and answer it."""

    def __init__(self) -> None:
        self.logs: list[dict[str, Any]] = []
        self.sampling: list[dict[str, Any]] = []
        self.elicitation: list[dict[str, Any]] = []
        self.roots_requests = 0
        self.updated: list[str] = []

    async def on_log(self, params: Any) -> None:
        self.logs.append(dump(params))

    async def on_sampling(self, context: Any, params: Any) -> Any:
        self.sampling.append(dump(params))
        return types.CreateMessageResult(
            role="assistant",
            content=types.TextContent(type="text", text=SAMPLED_TEXT),
            model=SAMPLED_MODEL,
            stop_reason="endTurn",
        )

    async def on_elicitation(self, context: Any, params: Any) -> Any:
        self.elicitation.append(dump(params))
        return types.ElicitResult(action="accept", content=dict(ELICITED))

    async def on_roots(self, context: Any) -> Any:
        self.roots_requests += 1
        return types.ListRootsResult(roots=[types.Root(uri=ROOT_URI, name="interop")])

    async def on_message(self, message: Any) -> None:
        if isinstance(message, types.ResourceUpdatedNotification):
            self.updated.append(str(message.params.uri))

    def callbacks(self) -> dict[str, Any]:
        return {
            "sampling_callback": self.on_sampling,
            "elicitation_callback": self.on_elicitation,
            "list_roots_callback": self.on_roots,
            "logging_callback": self.on_log,
            "message_handler": self.on_message,
        }


async def initialize_at(session: Any, revision: str) -> None:
    """The SDK's initialize(), offering ``revision`` instead of its newest."""
    capabilities = types.ClientCapabilities(
        sampling=types.SamplingCapability(),
        roots=types.RootsCapability(list_changed=True),
        elicitation=(
            types.ElicitationCapability(form=types.FormElicitationCapability())
            if revision >= "2025-06-18"
            else None
        ),
    )
    request = types.InitializeRequest(
        params=types.InitializeRequestParams(
            protocol_version=revision,
            capabilities=capabilities,
            client_info=types.Implementation(name="sdk-interop-driver", version="1.0.0"),
        )
    )
    result = await session.send_request(request, types.InitializeResult)
    session.adopt(result)
    await session.send_notification(types.InitializedNotification())


@asynccontextmanager
async def connect(revision: str, server: Any, observer: Observer) -> AsyncIterator[Any]:
    if revision == "auto":
        async with Client(server, mode="auto", **observer.callbacks()) as client:
            yield client.session
    else:
        async with (
            stdio_client(server) as (read, write),
            ClientSession(read, write, **observer.callbacks()) as session,
        ):
            await initialize_at(session, revision)
            yield session


async def list_all(fetch: Callable[[Any], Any], key: str) -> tuple[list[Any], int]:
    """Every item of a paginated list, following cursors (at most 100 pages); and the page count."""
    items: list[Any] = []
    cursor = None
    for pages in range(1, 101):
        page = await fetch(types.PaginatedRequestParams(cursor=cursor) if cursor is not None else None)
        items += [dump(item) for item in getattr(page, key)]
        cursor = page.next_cursor
        if cursor is None:
            return items, pages
    raise RuntimeError(f"{key}: more than 100 pages")


async def attempt(what: Any) -> dict[str, Any]:
    """Await ``what``: its result as JSON, or the error it raised."""
    try:
        return {"result": dump(await what)}
    except Exception as exc:
        return {"error": error_of(exc)}


async def exercise(session: Any, observer: Observer) -> dict[str, Any]:
    out: dict[str, Any] = {}
    init = session.initialize_result
    out["initialize"] = dump(init) if init is not None else None
    out["protocol_version"] = session.protocol_version
    out["ping"] = await attempt(session.send_ping())

    tools, pages = await list_all(lambda p: session.list_tools(params=p), "tools")
    out["tools"] = {tool["name"]: tool for tool in tools}
    out["tool_pages"] = pages
    out["calls"] = {
        key: await attempt(session.call_tool(name, arguments))
        for key, name, arguments in (
            ("echo", "echo", {"text": "hello from the SDK"}),
            ("red_pixel", "red_pixel", {}),
            ("weather", "weather", {"city": "Lisbon"}),
            ("fail", "fail", {"reason": "on purpose"}),
            ("no_such_tool", "no_such_tool", {}),
            ("echo_bad_arguments", "echo", {"text": 42}),
        )
    }

    resources, pages = await list_all(lambda p: session.list_resources(params=p), "resources")
    out["resources"] = resources
    out["resource_pages"] = pages
    templates, _ = await list_all(lambda p: session.list_resource_templates(params=p), "resource_templates")
    out["templates"] = templates
    out["reads"] = {
        uri: await attempt(session.read_resource(uri))
        for uri in ("demo://readme", "demo://red-pixel.png", "greeting://Ada", "demo://missing")
    }

    prompts, pages = await list_all(lambda p: session.list_prompts(params=p), "prompts")
    out["prompts"] = prompts
    out["prompt_pages"] = pages
    out["get_prompt"] = {
        "default": await attempt(session.get_prompt("review_code", {"code": "print(1)"})),
        "rust": await attempt(
            session.get_prompt("review_code", {"code": "fn main() {}", "language": "rust"})
        ),
        "missing": await attempt(session.get_prompt("review_code", {})),
        "unknown": await attempt(session.get_prompt("no_such_prompt", {})),
    }

    prompt_ref = types.PromptReference(type="ref/prompt", name="review_code")
    template_ref = types.ResourceTemplateReference(type="ref/resource", uri="greeting://{name}")
    out["complete"] = {
        "language": await attempt(session.complete(prompt_ref, {"name": "language", "value": "py"})),
        "language_all": await attempt(session.complete(prompt_ref, {"name": "language", "value": ""})),
        "name": await attempt(session.complete(template_ref, {"name": "name", "value": "a"})),
    }

    out["logging"] = await logging_and_progress(session, observer)
    out["cancellation"] = await cancellation(session)

    out["sampling"] = {"call": await attempt(session.call_tool("ask_model", {"question": "What is 6 x 7?"}))}
    out["sampling"]["requests"] = observer.sampling
    out["elicitation"] = {"call": await attempt(session.call_tool("sign_up", {}))}
    out["elicitation"]["requests"] = observer.elicitation
    out["roots"] = await roots(session, observer)
    out["subscription"] = await subscription(session, observer)
    return out


async def roots(session: Any, observer: Observer) -> dict[str, Any]:
    """The server asks for roots once, then again only after being told they changed."""
    out: dict[str, Any] = {"call": await attempt(session.call_tool("show_roots", {}))}
    await session.call_tool("show_roots", {})
    out["requests_before_change"] = observer.roots_requests
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # roots are deprecated in 2026-07-28, not before
        await session.send_roots_list_changed()
    out["after_change"] = await attempt(session.call_tool("show_roots", {}))
    out["requests"] = observer.roots_requests
    return out


async def subscription(session: Any, observer: Observer) -> dict[str, Any]:
    """Subscribe to a resource, have the server touch it, and see the update arrive."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # resources/subscribe is gone in 2026-07-28, not before
        subscribed = await attempt(session.subscribe_resource("demo://readme"))
        touched = await attempt(session.call_tool("touch", {"uri": "demo://readme"}))
        await wait_for(lambda: bool(observer.updated))
        unsubscribed = await attempt(session.unsubscribe_resource("demo://readme"))
    return {
        "subscribe": subscribed,
        "touch": touched,
        "updated": list(observer.updated),
        "unsubscribe": unsubscribed,
    }


async def logging_and_progress(session: Any, observer: Observer) -> dict[str, Any]:
    """Two runs of long_task: at level info (debug filtered out), then at level debug."""
    return {
        "runs": [
            await long_task_at(session, observer, "info", 2),
            await long_task_at(session, observer, "debug", 1),
        ]
    }


async def long_task_at(session: Any, observer: Observer, level: str, steps: int) -> dict[str, Any]:
    observer.logs.clear()
    progress: list[list[Any]] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append([value, total, message])

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # logging is deprecated in 2026-07-28, not before
        set_level = await attempt(session.set_logging_level(level))
    call = await attempt(session.call_tool("long_task", {"steps": steps}, progress_callback=on_progress))
    # Notifications are handled in tasks of their own: the last ones may trail the result.
    await wait_for(lambda: any(log.get("level") == "warning" for log in observer.logs))
    await wait_for(lambda: len(progress) >= steps)
    return {
        "level": level,
        "set_level": set_level,
        "call": call,
        "logs": list(observer.logs),
        "progress": progress,
    }


async def cancellation(session: Any) -> dict[str, Any]:
    """Two slow calls given up by the client, which then sends notifications/cancelled: one
    that times out, one whose caller is cancelled once the tool said it started sleeping."""
    # 3 s: far more than the tool needs to start, so the cancellation finds it running even on
    # a loaded machine (one that arrived before it started would leave no record).
    out: dict[str, Any] = {"timeout": await attempt(session.call_tool("slow", {}, read_timeout_seconds=3.0))}
    started = anyio.Event()
    finished: list[Any] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        started.set()

    async def call() -> None:
        finished.append(await session.call_tool("slow", {}, progress_callback=on_progress))

    async with anyio.create_task_group() as group:
        group.start_soon(call)
        with anyio.move_on_after(30):
            await started.wait()
        out["started"] = started.is_set()
        group.cancel_scope.cancel()
    out["finished"] = len(finished)

    seen: list[Any] = []
    for _ in range(_POLLS):
        result = await session.call_tool("cancellations", {})
        seen = json.loads(result.content[0].text)["cancelled"]
        if len(seen) >= 2:
            break
        await anyio.sleep(_POLL_INTERVAL)
    out["cancelled"] = seen
    out["after"] = await attempt(session.call_tool("echo", {"text": "still here"}))
    return out


async def main(argv: list[str]) -> dict[str, Any]:
    if "--" not in argv:
        raise SystemExit("usage: sdk_client_driver.py REVISION [--cwd DIR] [--timeout S] -- COMMAND...")
    split = argv.index("--")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("revision")
    parser.add_argument("--cwd", default=None)
    parser.add_argument("--timeout", type=float, default=90.0)
    args = parser.parse_args(argv[:split])
    command = argv[split + 1 :]
    if not command:
        parser.error("give the server command after --")
    server = StdioServerParameters(command=command[0], args=command[1:], cwd=args.cwd)
    observer = Observer()
    with anyio.fail_after(args.timeout):
        async with connect(args.revision, server, observer) as session:
            return await exercise(session, observer)


if __name__ == "__main__":
    report = anyio.run(main, sys.argv[1:])
    sys.stdout.write(json.dumps(report, sort_keys=True) + "\n")
