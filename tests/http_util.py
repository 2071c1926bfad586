"""Test helpers for Streamable HTTP: a server on a free loopback port, raw requests to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import anyio
import orjson

from mcpcore.framing import SSEDecoder, SSEEvent
from mcpcore.server import Server
from transports.http._app import StreamableHttpApp
from transports.http._pool import HttpClient
from transports.http._server import HttpServer

ACCEPT_BOTH = "application/json, text/event-stream"


async def eventually(condition: Callable[[], object], timeout: float = 5.0) -> None:
    """Wait (bounded) until ``condition()`` holds: for state another task or process changes."""
    with anyio.fail_after(timeout):
        while not condition():  # noqa: ASYNC110 - the state polled has no event to wait on
            await anyio.sleep(0.01)


@asynccontextmanager
async def http_app(server: Server, **options: Any) -> AsyncIterator[tuple[str, StreamableHttpApp]]:
    """``server`` served over HTTP on 127.0.0.1; yields the endpoint URL and the app."""
    options.setdefault("access_log", False)
    server_options = {k: options.pop(k) for k in ("header_timeout", "keep_alive_timeout") if k in options}
    app = StreamableHttpApp(server, **options)
    http = HttpServer(app, host="127.0.0.1", port=0, shutdown_timeout=2.0, **server_options)
    async with anyio.create_task_group() as tg:
        await tg.start(http.serve)
        try:
            yield f"{http.url}{app.path}", app
        finally:
            http.shutdown()
            tg.cancel_scope.cancel()


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return orjson.loads(self.body)

    def events(self) -> list[SSEEvent]:
        return [e for e in SSEDecoder().feed(self.body) if isinstance(e, SSEEvent)]

    def messages(self) -> list[Any]:
        """The JSON-RPC messages of an answer, whether JSON or SSE."""
        if self.headers.get("content-type", "").startswith("application/json"):
            body = self.json()
            return body if isinstance(body, list) else [body]
        return [orjson.loads(e.data) for e in self.events() if e.data]


class Raw:
    """Raw HTTP requests to an endpoint, for status codes and headers."""

    def __init__(self, url: str, http: HttpClient) -> None:
        self.url = url
        self.http = http
        self.session: str | None = None
        self.version: str | None = None

    async def request(
        self,
        method: str,
        body: Any = None,
        *,
        headers: Mapping[str, str] | None = None,
        url: str | None = None,
        raw: bytes | None = None,
        accept: str | None = ACCEPT_BOTH,
        content_type: str | None = "application/json",
    ) -> Answer:
        all_headers: dict[str, str] = {}
        if accept is not None:
            all_headers["accept"] = accept
        data = raw if raw is not None else (b"" if body is None else orjson.dumps(body))
        if method == "POST" and content_type is not None:
            all_headers["content-type"] = content_type
        if self.session is not None:
            all_headers["mcp-session-id"] = self.session
        if self.version is not None:
            all_headers["mcp-protocol-version"] = self.version
        all_headers.update(headers or {})
        with anyio.fail_after(10):
            response = await self.http.request(method, url or self.url, headers=all_headers, body=data)
            async with response:
                payload = await response.read()
        return Answer(response.status, dict(response.headers), payload)

    async def post(self, body: Any, **options: Any) -> Answer:
        return await self.request("POST", body, **options)

    async def initialize(self, version: str = "2025-11-25", capabilities: Any = None) -> Answer:
        answer = await self.post(
            {
                "jsonrpc": "2.0",
                "id": 0,
                "method": "initialize",
                "params": {
                    "protocolVersion": version,
                    "capabilities": capabilities or {},
                    "clientInfo": {"name": "raw", "version": "0"},
                },
            }
        )
        assert answer.status == 200, answer
        self.session = answer.headers.get("mcp-session-id")
        self.version = version
        note = await self.post({"jsonrpc": "2.0", "method": "notifications/initialized"})
        assert note.status == 202, note
        return answer


@asynccontextmanager
async def raw_client(url: str) -> AsyncIterator[Raw]:
    async with HttpClient() as http:
        yield Raw(url, http)
