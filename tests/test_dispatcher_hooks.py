"""The dispatcher's hooks for a protocol layer: admission, unannounced cancellation, start_soon,
and progress that must increase."""

from __future__ import annotations

import logging

import anyio
import pytest

from mcpcore.dispatcher import CANCELLED, RequestContext
from mcpcore.errors import INVALID_REQUEST, McpError, RequestTimeout
from mcpcore.wire import ErrorResponse, Notification, Request, Response
from tests.peers import dispatcher_and_raw_peer

pytestmark = pytest.mark.anyio


async def test_admission_judges_requests_in_arrival_order() -> None:
    started: list[str] = []
    state = {"open": False}

    def admit(request: Request) -> None:
        if request.method == "open":
            state["open"] = True
        elif not state["open"]:
            raise McpError(INVALID_REQUEST, "closed", {"method": request.method})

    async def handler(ctx: RequestContext) -> str:
        started.append(ctx.method)
        return "ok"

    async with dispatcher_and_raw_peer() as (dispatcher, peer):
        dispatcher.admission = admit
        dispatcher.on_request("work", handler)
        dispatcher.on_request("open", handler)
        refused = await peer.request(1, "work")
        assert refused == ErrorResponse(1, INVALID_REQUEST, "closed", {"method": "work"})
        # Sent back to back: "open" is admitted first, so "work" right behind it is allowed,
        # whichever task the event loop happens to run first.
        await peer.send(Request(2, "open"))
        await peer.send(Request(3, "work"))
        replies = {(await peer.receive_a(Response)).id for _ in range(2)}
        assert replies == {2, 3}
    assert sorted(started) == ["open", "work"]


async def test_a_request_sent_with_announce_cancel_off_is_never_cancelled() -> None:
    async with dispatcher_and_raw_peer() as (dispatcher, peer):
        with pytest.raises(RequestTimeout):
            await dispatcher.request("slow", timeout=0.05, announce_cancel=False)
        assert isinstance(await peer.receive(), Request)
        await peer.expect_nothing()
        with pytest.raises(RequestTimeout):
            await dispatcher.request("slow", timeout=0.05)
        assert isinstance(await peer.receive(), Request)
        note = await peer.receive_a(Notification)
        assert note.method == CANCELLED


async def test_progress_must_increase() -> None:
    outcomes: list[str] = []

    async def handler(ctx: RequestContext) -> str:
        assert await ctx.report_progress(1) is False  # no token: nothing sent, but checked
        for value in (1, 0.5):
            try:
                await ctx.report_progress(value)
            except ValueError as exc:
                outcomes.append(str(exc))
        return "done"

    async with dispatcher_and_raw_peer() as (dispatcher, peer):
        dispatcher.on_request("work", handler)
        assert await peer.request(1, "work") == Response(1, "done")
    assert len(outcomes) == 2
    assert all("must increase" in o for o in outcomes)


async def test_start_soon_runs_in_the_connection_and_logs_failures(caplog: pytest.LogCaptureFixture) -> None:
    done = anyio.Event()

    async def fine() -> None:
        done.set()

    async def broken() -> None:
        raise RuntimeError("boom")

    async with dispatcher_and_raw_peer() as (dispatcher, _):
        with caplog.at_level(logging.ERROR, "mcpcore"):
            dispatcher.start_soon(fine)
            dispatcher.start_soon(broken)
            with anyio.fail_after(5):
                await done.wait()
            await anyio.sleep(0.01)
    assert any("boom" in (r.exc_text or "") or "failed" in r.getMessage() for r in caplog.records)
