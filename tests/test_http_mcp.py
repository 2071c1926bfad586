"""Our client and server over Streamable HTTP on loopback: features, modes, and the HTTP rules.

The raw tests speak HTTP directly (``tests.http_util.Raw``) to check status codes and headers
against ``basic/transports.mdx`` of each revision; the client tests check that everything the
in-memory tests do also works when every message is a POST and every answer a stream.
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from mcpcore.content import text_of
from mcpcore.errors import McpError
from mcpcore.revisions import HANDSHAKE_VERSIONS
from mcpcore.server import Context, Server
from tests.http_util import Answer, eventually, http_app, raw_client
from tests.legacy import LegacyClient as Client
from transports.http import StreamableHttpTransport

pytestmark = pytest.mark.anyio


def make_server() -> Server:
    server = Server("http-test", "1.0")

    @server.tool()
    async def echo(text: str) -> str:
        """Repeat the text."""
        return text

    @server.tool()
    async def slow(ctx: Context, steps: int = 3) -> str:
        """Report progress, log, then answer."""
        for step in range(1, steps + 1):
            await ctx.report_progress(step, steps, f"step {step}")
            await ctx.info(f"did step {step}")
        return "done"

    @server.tool()
    async def ask(ctx: Context) -> str:
        """Ask the client to sample, then answer with what it said."""
        result = await ctx.sample("say hi", max_tokens=10)
        return str(result["content"]["text"])

    @server.tool()
    async def roots(ctx: Context) -> list[str]:
        """The client's roots."""
        return [root["uri"] for root in await ctx.list_roots()]

    @server.tool()
    async def poll(ctx: Context) -> str:
        """End the connection of this call's stream, then answer: the client must resume."""
        ctx.close_sse_stream()
        await anyio.sleep(0.05)
        await ctx.info("after the break")
        return "resumed"

    @server.tool()
    async def hang(ctx: Context) -> str:
        """Never answer (until cancelled)."""
        try:
            await anyio.sleep_forever()
        finally:
            hung.append(ctx.request_id)
        return "never"

    hung: list[Any] = []
    server.hung = hung  # type: ignore[attr-defined]

    @server.resource("test://greeting")
    def greeting() -> str:
        return "hello"

    return server


def call(rid: int, name: str, **arguments: Any) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": rid,
        "method": "tools/call",
        "params": {"name": name, "arguments": arguments},
    }


INFO = {"name": "raw", "version": "0"}
INIT = {
    "jsonrpc": "2.0",
    "id": 0,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": INFO},
}
CALL_ECHO = call(7, "echo", text="hi")


# -- the client, every revision and mode -----------------------------------------------------


@pytest.mark.parametrize("version", HANDSHAKE_VERSIONS)
@pytest.mark.parametrize("mode", ["sse", "json", "stateless"])
async def test_client_round_trip(version: str, mode: str) -> None:
    options = {"json_response": mode == "json", "stateless": mode == "stateless"}
    async with http_app(make_server(), **options) as (url, _), Client(url, versions=[version]) as client:
        assert client.protocol_version == version
        tools = await client.list_tools()
        assert {"echo", "slow"} <= {t["name"] for t in tools}
        result = await client.call_tool("echo", {"text": "héllo\u2028"})
        assert text_of(result["content"]) == "héllo\u2028"
        contents = await client.read_resource("test://greeting")
        assert contents["contents"][0]["text"] == "hello"  # type: ignore[typeddict-item]
        await client.ping()


async def test_progress_and_logs_arrive_over_sse_before_the_answer() -> None:
    events: list[str] = []
    async with (
        http_app(make_server()) as (url, _),
        Client(url, on_log=lambda params: events.append(f"log {params['data']}")) as client,
    ):
        await client.set_logging_level("info")

        def progress(done: float, total: float | None, message: str | None) -> None:
            events.append(f"progress {done:g}/{total:g}")

        result = await client.call_tool("slow", {"steps": 2}, progress=progress)
        await eventually(lambda: len(events) >= 4)  # log handlers run apart from the answer
    assert text_of(result["content"]) == "done"
    # Each kind in order (progress callbacks and log handlers run on different paths of the
    # dispatcher, so the two kinds may interleave either way).
    assert [e for e in events if e.startswith("progress")] == ["progress 1/2", "progress 2/2"]
    assert [e for e in events if e.startswith("log")] == ["log did step 1", "log did step 2"]


async def test_sampling_and_roots_mid_call() -> None:
    async def sampling(params: dict[str, Any]) -> dict[str, Any]:
        return {"role": "assistant", "content": {"type": "text", "text": "hi there"}, "model": "m"}

    async with (
        http_app(make_server()) as (url, _),
        Client(url, sampling=sampling, roots=["file:///tmp/a"]) as client,
    ):
        result = await client.call_tool("ask", {})
        assert text_of(result["content"]) == "hi there"
        result = await client.call_tool("roots", {})
        assert "file:///tmp/a" in text_of(result["content"])


async def test_many_calls_in_flight() -> None:
    async with http_app(make_server()) as (url, _), Client(url) as client:
        answers: dict[int, str] = {}

        async def call(i: int) -> None:
            answers[i] = text_of((await client.call_tool("echo", {"text": str(i)}))["content"])

        async with anyio.create_task_group() as tg:
            for i in range(40):
                tg.start_soon(call, i)
    assert answers == {i: str(i) for i in range(40)}


async def test_list_changed_arrives_on_the_get_stream() -> None:
    server = make_server()
    changed = anyio.Event()
    async with (
        http_app(server) as (url, _),
        Client(url, on_list_changed=lambda kind: changed.set()) as client,
    ):
        await client.list_tools()
        await eventually(
            lambda: any(s.dispatcher.transport.get_stream.attached for s in server.sessions)  # type: ignore[attr-defined]
        )

        @server.tool()
        def added() -> str:
            return "new"

        with anyio.fail_after(5):
            await changed.wait()


async def test_a_stream_the_server_ends_is_resumed_with_last_event_id() -> None:
    logs: list[Any] = []
    async with (
        http_app(make_server(), sse_retry_ms=10) as (url, _),
        Client(url, on_log=lambda params: logs.append(params["data"])) as client,
    ):
        await client.set_logging_level("info")
        result = await client.call_tool("poll", {})
        await eventually(lambda: logs)  # log handlers run apart from the answer
    assert text_of(result["content"]) == "resumed"
    assert logs == ["after the break"]


async def test_an_expired_session_is_renewed_and_reported() -> None:
    renewed: list[bool] = []
    async with http_app(make_server()) as (url, app):
        transport = StreamableHttpTransport(url, on_session_expired=lambda: renewed.append(True))
        async with Client(transport) as client:
            first = transport.session_id
            for entry in list(app.sessions.values()):
                await app._end(entry)
            result = await client.call_tool("echo", {"text": "again"})
            assert text_of(result["content"]) == "again"
            assert transport.session_id not in (None, first)
    assert renewed == [True]


async def test_disconnect_without_resumption_cancels_the_call_and_the_session_survives() -> None:
    server = make_server()
    async with http_app(server, event_store=None) as (url, _), raw_client(url) as raw:
        await raw.initialize()
        with anyio.move_on_after(0.3):
            await raw.post(call(9, "hang"))  # the client gives up: its connection closes
        await eventually(lambda: server.hung)  # type: ignore[attr-defined]
        assert server.hung == [9]  # type: ignore[attr-defined]
        answer = await raw.post(CALL_ECHO)
        assert answer.status == 200
        assert answer.messages()[-1]["result"]["content"][0]["text"] == "hi"


async def test_client_falls_back_to_the_old_http_sse_transport() -> None:
    async with http_app(make_server(), legacy_sse=True) as (url, _):
        legacy_url = url.replace("/mcp", "/sse")
        async with Client(legacy_url, versions=["2024-11-05"]) as client:
            result = await client.call_tool("echo", {"text": "old"})
            assert text_of(result["content"]) == "old"


# -- raw HTTP rules ---------------------------------------------------------------------------


async def test_status_codes_of_the_endpoint() -> None:
    async with http_app(make_server(), sse_after=0) as (url, _), raw_client(url) as raw:
        answer = await raw.request("PUT", {})
        assert answer.status == 405 and answer.headers["allow"] == "GET, POST, DELETE"
        answer = await raw.post(INIT, content_type="text/plain")
        assert answer.status == 415
        answer = await raw.post(INIT, accept="text/html")
        assert answer.status == 406
        answer = await raw.post(CALL_ECHO)
        assert answer.status == 400  # no session
        answer = await raw.post(CALL_ECHO, headers={"mcp-session-id": "nope"})
        assert answer.status == 404
        answer = await raw.post(None, raw=b"{not json")
        assert answer.status == 400 and answer.json()["error"]["code"] == -32700

        await raw.initialize()
        assert raw.session is not None and all(0x21 <= ord(c) <= 0x7E for c in raw.session)
        answer = await raw.post({"jsonrpc": "2.0", "method": "notifications/roots/list_changed"})
        assert answer.status == 202 and answer.body == b""
        answer = await raw.post(CALL_ECHO)
        assert answer.status == 200 and answer.headers["content-type"] == "text/event-stream"
        assert answer.headers["cache-control"] == "no-cache" and answer.headers["x-accel-buffering"] == "no"
        events = answer.events()
        assert events[0].data == "" and events[0].id  # the priming event (2025-11-25)
        assert answer.messages()[-1]["result"]["content"][0]["text"] == "hi"
        answer = await raw.post(CALL_ECHO, accept="application/json")
        assert answer.headers["content-type"] == "application/json"
        assert answer.json()["result"]["content"][0]["text"] == "hi"
        answer = await raw.post(CALL_ECHO, headers={"mcp-protocol-version": "1999-01-01"})
        assert answer.status == 400
        answer = await raw.post([CALL_ECHO])
        assert answer.status == 400  # no batches under 2025-11-25
        answer = await raw.request("DELETE")
        assert answer.status == 200
        answer = await raw.post(CALL_ECHO)
        assert answer.status == 404


async def test_quick_answers_are_json_and_the_rest_stream() -> None:
    async with http_app(make_server()) as (url, _), raw_client(url) as raw:
        await raw.initialize()
        answer = await raw.post(CALL_ECHO)
        assert answer.status == 200 and answer.headers["content-type"] == "application/json"
        assert answer.json()["result"]["content"][0]["text"] == "hi"
        slow = call(8, "slow")
        slow["params"]["_meta"] = {"progressToken": "p"}
        answer = await raw.post(slow)
        assert answer.headers["content-type"] == "text/event-stream"
        methods = [m.get("method", "answer") for m in answer.messages()]
        methods = [m for m in methods if m != "notifications/message"]
        assert methods == ["notifications/progress"] * 3 + ["answer"]


async def test_batches_under_2025_03_26() -> None:
    async with http_app(make_server()) as (url, _), raw_client(url) as raw:
        await raw.initialize("2025-03-26")
        second = dict(CALL_ECHO, id=8)
        answer = await raw.post([CALL_ECHO, second], accept="application/json")
        assert answer.status == 200
        assert sorted(m["id"] for m in answer.json()) == [7, 8]


async def test_security_origin_host_auth_and_rate_limit() -> None:
    def auth(token: str | None) -> str | None:
        return {"alice-token": "alice", "bob-token": "bob"}.get(token or "")

    async with http_app(make_server(), auth=auth, rate_limit=(1.0, 3)) as (url, _), raw_client(url) as raw:
        answer = await raw.post(INIT, headers={"origin": "http://evil.example"})
        assert answer.status == 403
        answer = await raw.post(INIT, headers={"host": "127.0.0.1:evil.com"})
        assert answer.status == 421
        answer = await raw.post(INIT, headers={"host": "evil.com"})
        assert answer.status == 421
        answer = await raw.post(INIT)
        assert answer.status == 401 and answer.headers["www-authenticate"].startswith("Bearer")
        alice = {"authorization": "Bearer alice-token"}
        answer = await raw.post(INIT, headers={**alice, "origin": "http://localhost:3000"})
        assert answer.status == 200
        raw.session = answer.headers["mcp-session-id"]
        answer = await raw.post(CALL_ECHO, headers={"authorization": "Bearer bob-token"})
        assert answer.status == 403  # another principal's session
        statuses = [(await raw.post(CALL_ECHO, headers=alice)).status for _ in range(5)]
        assert statuses[0] in (200, 400) and 429 in statuses


async def test_health_metrics_and_request_ids() -> None:
    async with http_app(make_server()) as (url, _), raw_client(url) as raw:
        base = url.removesuffix("/mcp")
        await raw.initialize()
        health = await raw.request("GET", url=f"{base}/health")
        assert health.status == 200 and health.json()["status"] == "ok" and health.json()["sessions"] == 1
        metrics = await raw.request("GET", url=f"{base}/metrics")
        assert metrics.status == 200 and b"mcpcore_http_requests_total" in metrics.body
        assert b'method="initialize"' in metrics.body and b"mcpcore_active_sessions 1" in metrics.body
        echoed = await raw.post(CALL_ECHO, headers={"x-request-id": "abc-123"})
        assert echoed.headers["x-request-id"] == "abc-123"
        minted = await raw.post(CALL_ECHO)
        assert len(minted.headers["x-request-id"]) >= 16


async def test_second_get_stream_is_refused_and_stateless_has_none() -> None:
    async with http_app(make_server()) as (url, app), raw_client(url) as raw:
        await raw.initialize()
        async with anyio.create_task_group() as tg:
            tg.start_soon(raw.request, "GET", None)
            (entry,) = app.sessions.values()
            await eventually(lambda: entry.transport.get_stream.attached)
            answer = await raw.request("GET")
            assert answer.status == 409
            tg.cancel_scope.cancel()
    async with http_app(make_server(), stateless=True) as (url, _), raw_client(url) as raw:
        answer = await raw.request("GET")
        assert answer.status == 405 and answer.headers["allow"] == "POST"
        answer = await raw.post(CALL_ECHO, headers={"mcp-protocol-version": "2025-11-25"})
        assert answer.status == 200 and answer.messages()[-1]["result"]["content"][0]["text"] == "hi"
        assert "mcp-session-id" not in answer.headers


async def test_too_large_body_gets_413() -> None:
    async with http_app(make_server(), max_body_size=1000) as (url, _), raw_client(url) as raw:
        answer = await raw.post(None, raw=b'{"x": "' + b"a" * 2000 + b'"}')
        assert answer.status == 413


async def test_the_client_reports_http_errors_as_mcp_errors() -> None:
    async with http_app(make_server(), auth=lambda token: None) as (url, _):
        with pytest.raises(McpError, match="401"):
            async with Client(url, initialize_timeout=5):
                pass


async def test_stateless_clients_with_the_same_ids_get_their_own_answers() -> None:
    async with http_app(make_server(), stateless=True) as (url, app), raw_client(url) as raw:
        raw.version = "2025-11-25"
        answers: dict[str, list[str]] = {}

        async def client(name: str) -> None:
            got = answers.setdefault(name, [])
            for _ in range(20):
                answer = await raw.post(call(1, "echo", text=name), accept="application/json")
                message = answer.json()
                assert message["id"] == 1  # the client's own id, whatever the session used
                got.append(message["result"]["content"][0]["text"])

        async with anyio.create_task_group() as tg:
            for name in ("a", "b", "c"):
                tg.start_soon(client, name)
        assert answers == {name: [name] * 20 for name in ("a", "b", "c")}
        assert list(app._shared) == ["2025-11-25"]  # one session served them all
        level = {"jsonrpc": "2.0", "id": 2, "method": "logging/setLevel", "params": {"level": "emergency"}}
        answer = await raw.post(level, accept="application/json")
        assert answer.json() == {"jsonrpc": "2.0", "id": 2, "result": {}}
        shared = app._shared["2025-11-25"].session
        assert shared is not None and shared.log_level != "emergency"  # it went to a session of its own


# -- found by the interop tests with the official SDKs ---------------------------------------


async def test_a_cancelled_request_ends_its_stream() -> None:
    """A cancelled request gets no answer, so the stream that owed one ends (the SDK's client
    kept reading it until the session ended, and the session could never expire)."""
    server = Server("cancel-repro", "1.0")
    started = anyio.Event()

    @server.tool()
    async def hang(ctx: Context) -> str:
        started.set()
        await anyio.sleep_forever()
        return "never"

    answers: list[Answer] = []
    request = call(5, "hang")
    cancel = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 5}}
    with anyio.fail_after(10):
        async with http_app(server, sse_after=0) as (url, _), raw_client(url) as raw:
            await raw.initialize()
            async with anyio.create_task_group() as group:

                async def post() -> None:
                    answers.append(await raw.post(request))

                group.start_soon(post)
                await started.wait()
                assert (await raw.post(cancel)).status == 202
                with anyio.move_on_after(2):  # far more than ending a stream takes
                    while not answers:  # noqa: ASYNC110 - the answer is a list another task fills
                        await anyio.sleep(0.02)
                group.cancel_scope.cancel()
    assert len(answers) == 1, "the stream of the cancelled request was still open 2 s later"
    assert [m for m in answers[0].messages() if m.get("id") == 5] == []  # and it carried no answer


@pytest.mark.parametrize("anyio_backend", ["trio"])  # on asyncio nothing escapes
async def test_leaving_an_http_client_on_trio_raises_nothing() -> None:
    """The transport's aclose() once cancelled a task group around the caller's own code; on
    trio the cancellation escaped ``async with Client`` (our other tests run the client inside
    the server's task group, which swallowed it)."""
    server = Server("exit-repro", "1.0")
    escaped: BaseException | None = None
    with anyio.fail_after(10):
        async with http_app(server) as (url, _):
            try:
                async with Client(url) as client:
                    await client.ping()
            except BaseException as exc:  # what escapes is the finding
                escaped = exc
    assert escaped is None, f"leaving the client raised {escaped!r}"


async def test_the_get_stream_is_open_once_the_client_is() -> None:
    """A server may send its own requests on the GET stream while handling the first call; the
    interop tests caught one doing so and dropping them when the stream came a moment late."""
    server = make_server()
    async with http_app(server) as (url, app), Client(url):
        (entry,) = app.sessions.values()
        assert entry.transport.get_stream.attached


async def test_a_stateless_server_promises_no_notifications() -> None:
    async with http_app(make_server(), stateless=True) as (url, _), Client(url) as client:
        caps = client.server_capabilities
        assert caps["tools"] == {} and caps["resources"] == {}
        with pytest.raises(McpError) as refused:
            await client.subscribe("test://greeting")
        assert refused.value.code == -32601
    async with http_app(make_server()) as (url, _), Client(url) as client:
        assert client.server_capabilities["resources"] == {"subscribe": True, "listChanged": True}
