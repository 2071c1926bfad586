"""transports.memory: direct delivery, the codec option, and closing."""

from __future__ import annotations

import anyio
import pytest

from mcpcore.errors import INVALID_REQUEST, ConnectionClosed
from mcpcore.wire import DecodeError, EncodeError, Notification, Request
from tests.peers import RawPeer
from transports.memory import MemoryTransport, create_pair

pytestmark = pytest.mark.anyio


async def test_what_one_end_sends_the_other_receives_in_order() -> None:
    a, b = create_pair()
    peer = RawPeer(b)
    async with anyio.create_task_group() as tg:
        tg.start_soon(b.run, peer)
        for i in range(5):
            await a.send(Notification("n", {"i": i}))
        assert [await peer.receive() for _ in range(5)] == [Notification("n", {"i": i}) for i in range(5)]
        await a.aclose()
    peer.close()


async def test_the_codec_makes_a_copy_and_without_it_objects_pass_as_they_are() -> None:
    params = {"nested": {"list": [1, 2]}}
    for codec in (True, False):
        a, b = create_pair(codec=codec)
        peer = RawPeer(b)
        async with anyio.create_task_group() as tg:
            tg.start_soon(b.run, peer)
            await a.send(Request(1, "m", params))
            got = await peer.receive_a(Request)
            assert got == Request(1, "m", params)
            assert (got.params is params) is (not codec)
            await a.aclose()
        peer.close()


async def test_the_codec_refuses_what_json_cannot_carry_at_the_sender() -> None:
    a, b = create_pair()
    peer = RawPeer(b)
    async with anyio.create_task_group() as tg:
        tg.start_soon(b.run, peer)
        with pytest.raises(EncodeError):
            await a.send(Request(1, "m", {"x": {1}}))
        await peer.expect_nothing()
        await a.aclose()
    peer.close()


async def test_a_batch_to_an_end_that_refuses_batches_arrives_as_a_decode_error() -> None:
    a, b = create_pair()
    peer = RawPeer(b)
    async with anyio.create_task_group() as tg:
        tg.start_soon(b.run, peer)
        await a.send([Notification("x")])
        error = await peer.receive_a(DecodeError)
        assert error.code == INVALID_REQUEST
        b.allow_batch = True  # the protocol layer flips this when 2025-03-26 is negotiated
        await a.send([Notification("x")])
        assert await peer.receive() == [Notification("x")]
        await a.aclose()
    peer.close()


async def test_a_message_sent_before_the_other_end_listens_waits_for_it() -> None:
    a, b = create_pair()
    peer = RawPeer(b)
    async with anyio.create_task_group() as tg:
        tg.start_soon(a.send, Notification("early"))
        await anyio.sleep(0.05)
        assert peer.received == []
        tg.start_soon(b.run, peer)
        assert await peer.receive() == Notification("early")
        await a.aclose()
    peer.close()


async def test_closing_ends_both_runs_and_later_sends_fail() -> None:
    a, b = create_pair()
    peer_a, peer_b = RawPeer(a), RawPeer(b)
    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(a.run, peer_a)
            tg.start_soon(b.run, peer_b)
            await anyio.sleep(0.01)
            await b.aclose()  # both runs return: the task group can end
    for end in (a, b):
        with pytest.raises(ConnectionClosed):
            await end.send(Notification("late"))
    peer_a.close()
    peer_b.close()


async def test_a_sender_waiting_for_a_listener_is_released_by_close() -> None:
    a, _ = create_pair()
    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:

            async def send() -> None:
                with pytest.raises(ConnectionClosed):
                    await a.send(Notification("never delivered"))

            tg.start_soon(send)
            await anyio.sleep(0.01)
            await a.aclose()


async def test_misuse_is_reported() -> None:
    with pytest.raises(RuntimeError, match="not connected"):
        await MemoryTransport().send(Notification("x"))
    a, b = create_pair()
    peer = RawPeer(b)
    async with anyio.create_task_group() as tg:
        tg.start_soon(b.run, peer)
        await anyio.sleep(0.01)
        with pytest.raises(RuntimeError, match="already has a receiver"):
            await b.run(peer)
        await a.aclose()
    peer.close()
