"""Drive our demo server with the official Python SDK's client in the 2026-07-28 era; print a report.

Runs under the SDK's own interpreter: ``python sdk_modern_driver.py MODE TARGET [--timeout S]``.
MODE is the SDK's ``mode`` (``auto``, which probes ``server/discover`` first, or the pinned
``2026-07-28``); TARGET is an ``http://`` URL or, after ``--``, the command of a stdio server.
It goes through the features of ``examples/everything_server.py`` with the SDK's high-level
``mcp.Client`` (which runs the input-required rounds itself and validates every result against
the 2026-07-28 schema) and prints one JSON document of what it saw, for the test to judge.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

import anyio
import mcp.types as types  # type: ignore[import-not-found]
from mcp.client.client import Client  # type: ignore[import-not-found]
from mcp.client.stdio import StdioServerParameters  # type: ignore[import-not-found]
from mcp.shared.exceptions import MCPError  # type: ignore[import-not-found]

ROOT_URI = "file:///tmp/interop-root"
SAMPLED_TEXT = "Forty-two."
ELICITED = {"name": "Ada", "age": 36, "newsletter": True}
_POLLS = 100
_POLL_INTERVAL = 0.05


def dump(model: Any) -> Any:
    return model.model_dump(by_alias=True, mode="json", exclude_unset=True)


async def attempt(call: Any) -> Any:
    try:
        return dump(await call)
    except MCPError as exc:
        return {"error": {"code": exc.error.code, "message": exc.error.message}}


async def wait_for(condition: Callable[[], bool]) -> bool:
    for _ in range(_POLLS):
        if condition():
            return True
        await anyio.sleep(_POLL_INTERVAL)
    return condition()


class Observer:
    def __init__(self) -> None:
        self.logs: list[Any] = []
        self.sampling: list[Any] = []
        self.elicitation: list[Any] = []
        self.roots = 0

    async def on_log(self, params: Any) -> None:
        self.logs.append(dump(params))

    async def on_sampling(self, context: Any, params: Any) -> Any:
        self.sampling.append(dump(params))
        return types.CreateMessageResult(
            role="assistant", content=types.TextContent(type="text", text=SAMPLED_TEXT), model="sdk-model"
        )

    async def on_elicitation(self, context: Any, params: Any) -> Any:
        self.elicitation.append(dump(params))
        return types.ElicitResult(action="accept", content=dict(ELICITED))

    async def on_roots(self, context: Any) -> Any:
        self.roots += 1
        return types.ListRootsResult(roots=[types.Root(uri=ROOT_URI, name="interop")])


async def exercise(client: Any, observer: Observer) -> dict[str, Any]:
    out: dict[str, Any] = {"protocol_version": client.protocol_version}
    out["server_info"] = dump(client.server_info) if client.server_info is not None else None
    out["capabilities"] = dump(client.server_capabilities)
    out["instructions"] = client.instructions
    tools = await client.list_tools()
    out["tools"] = sorted(t.name for t in tools.tools)
    out["echo"] = await attempt(client.call_tool("echo", {"text": "hello"}))
    out["weather"] = await attempt(client.call_tool("weather", {"city": "Paris"}))
    out["sampling"] = await attempt(client.call_tool("ask_model", {"question": "What is 6 x 7?"}))
    out["sampling_requests"] = observer.sampling
    out["elicitation"] = await attempt(client.call_tool("sign_up", {}))
    out["elicitation_requests"] = observer.elicitation
    out["roots"] = await attempt(client.call_tool("show_roots", {}))
    out["roots_requests"] = observer.roots
    out["readme"] = await attempt(client.read_resource("demo://readme"))
    out["greeting"] = await attempt(client.read_resource("greeting://Ada"))
    out["missing"] = await attempt(client.read_resource("demo://missing"))
    out["prompt"] = await attempt(
        client.get_prompt("review_code", {"code": "print(1)", "language": "python"})
    )
    out["complete"] = await attempt(
        client.complete(
            types.PromptReference(type="ref/prompt", name="review_code"), {"name": "language", "value": "py"}
        )
    )
    progress: list[Any] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append([value, total, message])

    out["long_task"] = await attempt(
        client.call_tool("long_task", {"steps": 2}, progress_callback=on_progress)
    )
    await wait_for(lambda: len(progress) >= 2 and any(log.get("level") == "warning" for log in observer.logs))
    out["progress"] = progress
    out["logs"] = list(observer.logs)
    events: list[Any] = []
    async with client.listen(resource_subscriptions=["demo://readme"]) as subscription:
        out["honored"] = (
            dump(subscription.honored)
            if hasattr(subscription.honored, "model_dump")
            else subscription.honored
        )
        out["touch"] = await attempt(client.call_tool("touch", {"uri": "demo://readme"}))
        with anyio.move_on_after(10):
            async for event in subscription:
                events.append(repr(event))
                break
    out["events"] = events
    out["after_listen"] = await attempt(client.call_tool("echo", {"text": "still here"}))
    return out


async def main(argv: list[str]) -> dict[str, Any]:
    command: list[str] = []
    if "--" in argv:
        split = argv.index("--")
        argv, command = argv[:split], argv[split + 1 :]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("mode")
    parser.add_argument("url", nargs="?")
    parser.add_argument("--cwd", default=None)
    parser.add_argument("--timeout", type=float, default=90.0)
    args = parser.parse_args(argv)
    target: Any = args.url
    if command:
        target = StdioServerParameters(command=command[0], args=command[1:], cwd=args.cwd)
    if target is None:
        parser.error("give a URL, or a stdio command after --")
    observer = Observer()
    with anyio.fail_after(args.timeout):
        async with Client(
            target,
            mode=args.mode,
            sampling_callback=observer.on_sampling,
            elicitation_callback=observer.on_elicitation,
            list_roots_callback=observer.on_roots,
            logging_callback=observer.on_log,
            log_level="info",
        ) as client:
            return await exercise(client, observer)


if __name__ == "__main__":
    report = anyio.run(main, sys.argv[1:])
    sys.stdout.write(json.dumps(report, sort_keys=True, default=str) + "\n")
