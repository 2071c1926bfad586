"""``server.asgi_app()`` under hosts that are not ours: uvicorn, and a Starlette app mounting it.

uvicorn runs on asyncio only, so these tests do too.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount

from mcpcore.client import Client
from mcpcore.content import text_of
from mcpcore.server import Context, Server
from tests.http_util import eventually, raw_client

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # uvicorn has no trio support


def make_server() -> Server:
    server = Server("asgi-test", "1.0")

    @server.tool()
    async def shout(ctx: Context, text: str) -> str:
        """Upper-case the text, reporting progress once."""
        await ctx.report_progress(1, 1)
        return text.upper()

    return server


@asynccontextmanager
async def under_uvicorn(app: Any) -> AsyncIterator[str]:
    """``app`` served by uvicorn on a free loopback port; yields the base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    async with anyio.create_task_group() as tg:
        tg.start_soon(server.serve)
        await eventually(lambda: server.started, timeout=10)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True


async def test_the_app_runs_under_uvicorn() -> None:
    app = make_server().asgi_app(access_log=False)
    async with under_uvicorn(app) as base:
        progress: list[float] = []
        async with Client(f"{base}/mcp") as client:
            result = await client.call_tool(
                "shout", {"text": "hi"}, progress=lambda p, t, m: progress.append(p)
            )
            assert text_of(result["content"]) == "HI"
            assert progress == [1]
        async with raw_client(f"{base}/health") as raw:
            health = await raw.request("GET")
            assert health.status == 200 and health.json()["status"] == "ok"
    assert not app.sessions  # the lifespan's end closed every session


async def test_the_app_mounted_in_starlette() -> None:
    mcp = make_server().asgi_app(access_log=False)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with mcp.running():  # Mount does not pass the lifespan on
            yield

    site = Starlette(routes=[Mount("/tools", app=mcp)], lifespan=lifespan)
    async with under_uvicorn(site) as base, Client(f"{base}/tools/mcp") as client:
        result = await client.call_tool("shout", {"text": "mounted"})
        assert text_of(result["content"]) == "MOUNTED"


async def test_without_its_lifespan_the_app_says_so() -> None:
    mcp = make_server().asgi_app(access_log=False)
    site = Starlette(routes=[Mount("/tools", app=mcp)])  # nobody enters mcp.running()
    async with under_uvicorn(site) as base, raw_client(f"{base}/tools/mcp") as raw:
        answer = await raw.post(
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {
                    "protocolVersion": "2025-11-25",
                    "capabilities": {},
                    "clientInfo": {"name": "x", "version": "0"},
                },
            }
        )
        assert answer.status == 503 and b"app.running()" in answer.body


async def test_running_twice_is_refused() -> None:
    app = make_server().asgi_app(access_log=False)
    async with app.running():
        with pytest.raises(RuntimeError, match="already running"):
            async with app.running():
                pass
