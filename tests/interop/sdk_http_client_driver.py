"""Drive an MCP server over Streamable HTTP with the official Python SDK's client; print what it saw.

Runs under the SDK's own interpreter (``benchmarks.official.ensure_peer_env``), never ours:
``python sdk_http_client_driver.py REVISION URL --mode stateful|stateless [--timeout S]``.
It is the HTTP sibling of ``sdk_client_driver.py`` and borrows its pieces (the callbacks that
record and answer the server, the revision pinning, the feature walk), so that the two
transports are judged on the same walk and any difference is the transport's:

* ``--mode stateful``: the whole walk of the stdio driver, requests back to the client
  included (sampling, elicitation, roots mid-call), cancellation and a subscription.
* ``--mode stateless``: a server that keeps no session can neither call the client back nor
  remember a log level or a subscription, so the walk stops at what stands alone in one POST:
  tools, resources, prompts, completion, and a long task whose progress and logs the test
  expects to be absent; the tools that would call back are tried, to record how they fail.

Besides what the SDK returned, the report lists every HTTP exchange the SDK's HTTP client made
(method, status, media type of the answer, the JSON-RPC method or kind POSTed), recorded by a
response hook on that client: how the answers travelled (SSE stream or JSON body) is part of
what the tests check.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2  # type: ignore[import-not-found]
import mcp.types as types  # type: ignore[import-not-found]
from mcp.client.client import Client  # type: ignore[import-not-found]
from mcp.client.session import ClientSession  # type: ignore[import-not-found]
from mcp.client.streamable_http import streamable_http_client  # type: ignore[import-not-found]

# The stdio driver sits beside this file, in the package ``tests.interop`` of the repository;
# appended, not prepended, so that nothing of the repository can shadow the SDK's own modules.
sys.path.append(str(Path(__file__).resolve().parents[2]))

from tests.interop.sdk_client_driver import (
    Observer,
    attempt,
    dump,
    exercise,
    initialize_at,
    list_all,
)

_TIMEOUT = httpx2.Timeout(30.0, read=60.0)  # bounded: a silent server fails the run, not hangs it


class Exchanges:
    """The HTTP exchanges of the SDK's client, as a response hook records them."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    async def on_response(self, response: Any) -> None:
        request = response.request
        item: dict[str, Any] = {
            "method": request.method,
            "status": response.status_code,
            "content_type": response.headers.get("content-type", "").split(";")[0].strip(),
            "session": "mcp-session-id" in request.headers,
            "version": request.headers.get("mcp-protocol-version"),
        }
        if request.method == "POST":
            item["rpc"] = _rpc_kind(bytes(request.content))
        self.items.append(item)


def _rpc_kind(body: bytes) -> str:
    """What a POST carried: a request's method (with the tool's name for ``tools/call``),
    ``notification:<method>``, or ``response``."""
    try:
        message = json.loads(body)
    except ValueError:
        return "unreadable"
    if not isinstance(message, dict):
        return "batch"
    if "method" not in message:
        return "response"
    if "id" not in message:
        return f"notification:{message['method']}"
    if message["method"] == "tools/call":
        return f"tools/call {message['params']['name']}"
    return str(message["method"])


@asynccontextmanager
async def connect(revision: str, url: str, observer: Observer, exchanges: Exchanges) -> AsyncIterator[Any]:
    async with httpx2.AsyncClient(
        timeout=_TIMEOUT, event_hooks={"response": [exchanges.on_response]}
    ) as http:
        transport = streamable_http_client(url, http_client=http)
        if revision == "auto":
            async with Client(transport, mode="auto", **observer.callbacks()) as client:
                yield client.session
        else:
            async with (
                transport as (read, write),
                ClientSession(read, write, **observer.callbacks()) as session,
            ):
                await initialize_at(session, revision)
                yield session


async def exercise_stateless(session: Any, observer: Observer) -> dict[str, Any]:
    """The part of the walk that a server without sessions can serve."""
    out: dict[str, Any] = {}
    init = session.initialize_result
    out["initialize"] = dump(init) if init is not None else None
    out["protocol_version"] = session.protocol_version
    out["ping"] = await attempt(session.send_ping())
    tools, _ = await list_all(lambda p: session.list_tools(params=p), "tools")
    out["tools"] = sorted(tool["name"] for tool in tools)
    out["calls"] = {
        key: await attempt(session.call_tool(name, arguments))
        for key, name, arguments in (
            ("echo", "echo", {"text": "hello from the SDK"}),
            ("weather", "weather", {"city": "Lisbon"}),
            ("fail", "fail", {"reason": "on purpose"}),
            ("no_such_tool", "no_such_tool", {}),
            # Each of these would send a request back to the client, which has no way back.
            ("ask_model", "ask_model", {"question": "What is 6 x 7?"}),
            ("sign_up", "sign_up", {}),
            ("show_roots", "show_roots", {}),
        )
    }
    resources, _ = await list_all(lambda p: session.list_resources(params=p), "resources")
    out["resources"] = [resource["uri"] for resource in resources]
    templates, _ = await list_all(lambda p: session.list_resource_templates(params=p), "resource_templates")
    out["templates"] = [template["uriTemplate"] for template in templates]
    out["reads"] = {
        uri: await attempt(session.read_resource(uri))
        for uri in ("demo://readme", "demo://red-pixel.png", "greeting://Ada", "demo://missing")
    }
    prompts, _ = await list_all(lambda p: session.list_prompts(params=p), "prompts")
    out["prompts"] = [prompt["name"] for prompt in prompts]
    out["get_prompt"] = await attempt(
        session.get_prompt("review_code", {"code": "fn main() {}", "language": "rust"})
    )
    out["complete"] = {
        "language": await attempt(
            session.complete(
                types.PromptReference(type="ref/prompt", name="review_code"),
                {"name": "language", "value": "py"},
            )
        ),
        "name": await attempt(
            session.complete(
                types.ResourceTemplateReference(type="ref/resource", uri="greeting://{name}"),
                {"name": "name", "value": "a"},
            )
        ),
    }
    out["long_task"] = await long_task_without_waiting(session, observer)
    out["callbacks"] = {
        "sampling": len(observer.sampling),
        "elicitation": len(observer.elicitation),
        "roots": observer.roots_requests,
    }
    return out


async def long_task_without_waiting(session: Any, observer: Observer) -> dict[str, Any]:
    """``long_task`` at level debug, recording what arrived by the time its answer did.

    A JSON answer is one body holding the answer alone: nothing can trail it, so there is
    nothing to wait for (the stateful walk waits, since there notifications may trail).
    """
    observer.logs.clear()
    progress: list[list[Any]] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append([value, total, message])

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # logging is deprecated in 2026-07-28, not before
        set_level = await attempt(session.set_logging_level("debug"))
    call = await attempt(session.call_tool("long_task", {"steps": 2}, progress_callback=on_progress))
    return {"set_level": set_level, "call": call, "logs": list(observer.logs), "progress": progress}


async def main(argv: list[str]) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("revision")
    parser.add_argument("url")
    parser.add_argument("--mode", choices=("stateful", "stateless"), required=True)
    parser.add_argument("--timeout", type=float, default=90.0)
    args = parser.parse_args(argv)
    observer = Observer()
    exchanges = Exchanges()
    with anyio.fail_after(args.timeout):
        async with connect(args.revision, args.url, observer, exchanges) as session:
            if args.mode == "stateful":
                report = await exercise(session, observer)
            else:
                report = await exercise_stateless(session, observer)
    # Read after the connection closed, so that the DELETE that ends a session is in it.
    report["http"] = exchanges.items
    return report


if __name__ == "__main__":
    result = anyio.run(main, sys.argv[1:])
    sys.stdout.write(json.dumps(result, sort_keys=True) + "\n")
