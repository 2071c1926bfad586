"""Second-opinion tests: the worked examples of JSON-RPC 2.0 (section 7) replayed end to end.

Each example request is fed, as raw bytes, to a Dispatcher the way a transport would feed it,
and whatever the Dispatcher sends back is compared with the answer the specification gives.

The comparison allows for what the project documents as MCP deviations:

* the optional ``error.data`` member is ignored (the specification's answers show none, and a
  server may add one);
* the order of answers inside a batch is not checked (the specification leaves it free);
* batches are only read when the transport was opened with ``allow_batch=True``; without it a
  JSON array is one ``-32600 Invalid Request``;
* request ids are strings or integers only, and an invalid request that has a usable id is
  answered with that id.

These tests were written from the specifications alone, not from the project's own tests.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest

from mcpcore.dispatcher import Dispatcher, Incoming, RequestContext
from mcpcore.errors import INVALID_PARAMS, McpError
from mcpcore.wire import (
    DecodeError,
    ErrorResponse,
    Notification,
    Request,
    Response,
    decode,
    encode,
)
from tests.peers import RawPeer, dispatcher_and_raw_peer

pytestmark = pytest.mark.anyio

# Generous bound for a whole test; a single answer is waited for with the peer's own timeout.
TEST_TIMEOUT = 15


# --------------------------------------------------------------------------------------------
# The server of the examples: subtract, sum, get_data, and a few notification methods.


class SpecServer:
    def __init__(self, dispatcher: Dispatcher, peer: RawPeer, allow_batch: bool) -> None:
        self.dispatcher = dispatcher
        self.peer = peer
        self.allow_batch = allow_batch
        self.notes: list[tuple[str, Any]] = []
        self._noted = anyio.Event()

    def note(self, method: str, params: Any) -> None:
        self.notes.append((method, params))
        self._noted.set()

    async def send_raw(self, raw: bytes) -> None:
        """Hand ``raw`` to the dispatcher exactly as a transport reading the wire would."""
        item: Incoming
        try:
            item = decode(raw, allow_batch=self.allow_batch)
        except DecodeError as exc:
            item = exc
        await self.dispatcher.feed(item)

    async def wait_notes(self, count: int) -> None:
        while len(self.notes) < count:
            await self._noted.wait()
            self._noted = anyio.Event()


async def _subtract(ctx: RequestContext) -> Any:
    params = ctx.params
    if isinstance(params, list) and len(params) == 2:
        return params[0] - params[1]
    if isinstance(params, dict) and {"minuend", "subtrahend"} <= params.keys():
        return params["minuend"] - params["subtrahend"]
    raise McpError(INVALID_PARAMS, "Invalid params")


async def _sum(ctx: RequestContext) -> Any:
    params = ctx.params
    if not isinstance(params, list):
        raise McpError(INVALID_PARAMS, "Invalid params")
    return sum(params)


async def _get_data(ctx: RequestContext) -> Any:
    return ["hello", 5]


@asynccontextmanager
async def spec_server(*, allow_batch: bool) -> AsyncIterator[SpecServer]:
    async with dispatcher_and_raw_peer(allow_batch=allow_batch) as (dispatcher, peer):
        server = SpecServer(dispatcher, peer, allow_batch)
        dispatcher.on_request("subtract", _subtract)
        dispatcher.on_request("sum", _sum)
        dispatcher.on_request("get_data", _get_data)

        def record(note: Notification) -> None:
            server.note(note.method, note.params)

        for name in ("update", "notify_sum", "notify_hello"):
            dispatcher.on_notification(name, record)
        yield server


# --------------------------------------------------------------------------------------------
# Comparing answers with the specification's.


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _one(message: object) -> dict[str, Any]:
    assert isinstance(message, Response | ErrorResponse), f"not an answer: {message!r}"
    obj: dict[str, Any] = json.loads(encode(message))
    if "error" in obj:
        obj["error"].pop("data", None)  # optional, and absent from every answer of the spec
    return obj


def normalize_received(item: Incoming) -> Any:
    """The received answer as plain JSON: a dict, or a sorted list of dicts for a batch."""
    if isinstance(item, list):
        return sorted((_one(m) for m in item), key=_canonical)
    return _one(item)


def normalize_expected(text: str) -> Any:
    obj = json.loads(text)
    if isinstance(obj, list):
        return sorted(obj, key=_canonical)
    return obj


# --------------------------------------------------------------------------------------------
# The examples. Requests are the specification's bytes; answers are its expected answers.

POSITIONAL_1 = b'{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1}'
POSITIONAL_1_ANSWER = '{"jsonrpc": "2.0", "result": 19, "id": 1}'
POSITIONAL_2 = b'{"jsonrpc": "2.0", "method": "subtract", "params": [23, 42], "id": 2}'
POSITIONAL_2_ANSWER = '{"jsonrpc": "2.0", "result": -19, "id": 2}'

NAMED_1 = b'{"jsonrpc": "2.0", "method": "subtract", "params": {"subtrahend": 23, "minuend": 42}, "id": 3}'
NAMED_1_ANSWER = '{"jsonrpc": "2.0", "result": 19, "id": 3}'
NAMED_2 = b'{"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 42, "subtrahend": 23}, "id": 4}'
NAMED_2_ANSWER = '{"jsonrpc": "2.0", "result": 19, "id": 4}'

NOTIFY_UPDATE = b'{"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]}'
NOTIFY_FOOBAR = b'{"jsonrpc": "2.0", "method": "foobar"}'

NO_SUCH_METHOD = b'{"jsonrpc": "2.0", "method": "foobar", "id": "1"}'
NO_SUCH_METHOD_ANSWER = (
    '{"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "1"}'
)

INVALID_JSON = b'{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]'
PARSE_ERROR_ANSWER = '{"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": null}'

INVALID_REQUEST_OBJECT = b'{"jsonrpc": "2.0", "method": 1, "params": "bar"}'
INVALID_REQUEST_ANSWER = (
    '{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}'
)

BATCH_INVALID_JSON = b"""[
  {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
  {"jsonrpc": "2.0", "method"
]"""

BATCH_EMPTY = b"[]"
BATCH_ONE_INVALID = b"[1]"
BATCH_ONE_INVALID_ANSWER = f"[{INVALID_REQUEST_ANSWER}]"
BATCH_THREE_INVALID = b"[1,2,3]"
BATCH_THREE_INVALID_ANSWER = f"[{INVALID_REQUEST_ANSWER}, {INVALID_REQUEST_ANSWER}, {INVALID_REQUEST_ANSWER}]"

BATCH_MIXED = b"""[
  {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
  {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]},
  {"jsonrpc": "2.0", "method": "subtract", "params": [42,23], "id": "2"},
  {"foo": "boo"},
  {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
  {"jsonrpc": "2.0", "method": "get_data", "id": "9"}
]"""
BATCH_MIXED_ANSWER = """[
  {"jsonrpc": "2.0", "result": 7, "id": "1"},
  {"jsonrpc": "2.0", "result": 19, "id": "2"},
  {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},
  {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "5"},
  {"jsonrpc": "2.0", "result": ["hello", 5], "id": "9"}
]"""

BATCH_ALL_NOTIFICATIONS = b"""[
  {"jsonrpc": "2.0", "method": "notify_sum", "params": [1,2,4]},
  {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}
]"""

SINGLE_CASES = [
    pytest.param(POSITIONAL_1, POSITIONAL_1_ANSWER, id="positional-params-1"),
    pytest.param(POSITIONAL_2, POSITIONAL_2_ANSWER, id="positional-params-2"),
    pytest.param(NAMED_1, NAMED_1_ANSWER, id="named-params-1"),
    pytest.param(NAMED_2, NAMED_2_ANSWER, id="named-params-2"),
    pytest.param(NO_SUCH_METHOD, NO_SUCH_METHOD_ANSWER, id="non-existent-method"),
    pytest.param(INVALID_JSON, PARSE_ERROR_ANSWER, id="invalid-json"),
    pytest.param(INVALID_REQUEST_OBJECT, INVALID_REQUEST_ANSWER, id="invalid-request-object"),
]

BATCH_CASES = [
    pytest.param(BATCH_INVALID_JSON, PARSE_ERROR_ANSWER, id="batch-invalid-json"),
    pytest.param(BATCH_EMPTY, INVALID_REQUEST_ANSWER, id="batch-empty-array"),
    pytest.param(BATCH_ONE_INVALID, BATCH_ONE_INVALID_ANSWER, id="batch-invalid-not-empty"),
    pytest.param(BATCH_THREE_INVALID, BATCH_THREE_INVALID_ANSWER, id="batch-invalid"),
    pytest.param(BATCH_MIXED, BATCH_MIXED_ANSWER, id="batch-mixed"),
]


async def _answer_to(raw: bytes, *, allow_batch: bool) -> Any:
    with anyio.fail_after(TEST_TIMEOUT):
        async with spec_server(allow_batch=allow_batch) as server:
            await server.send_raw(raw)
            answer = await server.peer.receive()
            # Exactly one answer per call (or per batch), nothing after it.
            await server.peer.expect_nothing()
            return normalize_received(answer)


# --------------------------------------------------------------------------------------------
# Section 7, one message at a time (the same with batches allowed or not).


@pytest.mark.parametrize("allow_batch", [False, True], ids=["no-batch", "batch"])
@pytest.mark.parametrize(("raw", "expected"), SINGLE_CASES)
async def test_single_message_example(raw: bytes, expected: str, allow_batch: bool) -> None:
    assert await _answer_to(raw, allow_batch=allow_batch) == normalize_expected(expected)


@pytest.mark.parametrize("allow_batch", [False, True], ids=["no-batch", "batch"])
async def test_notifications_get_no_answer(allow_batch: bool) -> None:
    with anyio.fail_after(TEST_TIMEOUT):
        async with spec_server(allow_batch=allow_batch) as server:
            await server.send_raw(NOTIFY_UPDATE)
            await server.send_raw(NOTIFY_FOOBAR)  # no handler for it: still silently dropped
            await server.wait_notes(1)
            await server.peer.expect_nothing(0.2)
            assert server.notes == [("update", [1, 2, 3, 4, 5])]


async def test_positional_examples_in_sequence_keep_their_ids() -> None:
    with anyio.fail_after(TEST_TIMEOUT):
        async with spec_server(allow_batch=False) as server:
            for raw in (POSITIONAL_1, POSITIONAL_2, NAMED_1, NAMED_2):
                await server.send_raw(raw)
            got = [normalize_received(await server.peer.receive()) for _ in range(4)]
            await server.peer.expect_nothing()
    expected = [POSITIONAL_1_ANSWER, POSITIONAL_2_ANSWER, NAMED_1_ANSWER, NAMED_2_ANSWER]
    assert sorted(got, key=_canonical) == sorted(map(normalize_expected, expected), key=_canonical)


# --------------------------------------------------------------------------------------------
# Section 7, batches (accepted because the transport allows them).


@pytest.mark.parametrize(("raw", "expected"), BATCH_CASES)
async def test_batch_example(raw: bytes, expected: str) -> None:
    assert await _answer_to(raw, allow_batch=True) == normalize_expected(expected)


async def test_mixed_batch_runs_its_notification() -> None:
    with anyio.fail_after(TEST_TIMEOUT):
        async with spec_server(allow_batch=True) as server:
            await server.send_raw(BATCH_MIXED)
            answer = await server.peer.receive()
            assert isinstance(answer, list)
            assert len(answer) == 5
            await server.wait_notes(1)
            assert server.notes == [("notify_hello", [7])]


async def test_all_notification_batch_gets_no_answer() -> None:
    with anyio.fail_after(TEST_TIMEOUT):
        async with spec_server(allow_batch=True) as server:
            await server.send_raw(BATCH_ALL_NOTIFICATIONS)
            await server.wait_notes(2)
            await server.peer.expect_nothing(0.2)
            assert sorted(server.notes) == [("notify_hello", [7]), ("notify_sum", [1, 2, 4])]


# --------------------------------------------------------------------------------------------
# Documented deviation: batches refused unless allowed. Each batch example is then answered by
# one error object (not an array) with id null.


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        pytest.param(BATCH_INVALID_JSON, -32700, id="batch-invalid-json"),
        pytest.param(BATCH_EMPTY, -32600, id="batch-empty-array"),
        pytest.param(BATCH_ONE_INVALID, -32600, id="batch-invalid-not-empty"),
        pytest.param(BATCH_THREE_INVALID, -32600, id="batch-invalid"),
        pytest.param(BATCH_MIXED, -32600, id="batch-mixed"),
        pytest.param(BATCH_ALL_NOTIFICATIONS, -32600, id="batch-all-notifications"),
    ],
)
async def test_batch_refused_when_not_allowed(raw: bytes, code: int) -> None:
    message = "Parse error" if code == -32700 else "Invalid Request"
    expected = {"jsonrpc": "2.0", "error": {"code": code, "message": message}, "id": None}
    assert await _answer_to(raw, allow_batch=False) == expected


async def test_refused_batch_runs_nothing() -> None:
    with anyio.fail_after(TEST_TIMEOUT):
        async with spec_server(allow_batch=False) as server:
            await server.send_raw(BATCH_ALL_NOTIFICATIONS)
            await server.peer.receive()
            await server.peer.expect_nothing(0.2)
            assert server.notes == []


# --------------------------------------------------------------------------------------------
# Documented deviations about ids.


@pytest.mark.parametrize(
    ("raw", "answer_id"),
    [
        pytest.param(b'{"jsonrpc": "2.0", "method": 1, "params": "bar", "id": 7}', 7, id="bad-method-int-id"),
        pytest.param(
            b'{"jsonrpc": "2.0", "method": "subtract", "params": "bar", "id": "x"}', "x", id="bad-params"
        ),
        pytest.param(
            b'{"jsonrpc": "1.0", "method": "subtract", "params": [1, 2], "id": 5}', 5, id="bad-version"
        ),
        pytest.param(b'{"method": "subtract", "params": [1, 2], "id": "v"}', "v", id="no-version"),
        pytest.param(
            b'{"jsonrpc": "2.0", "method": "subtract", "params": null, "id": 8}', 8, id="null-params"
        ),
    ],
)
async def test_invalid_request_with_usable_id_is_answered_with_it(raw: bytes, answer_id: Any) -> None:
    expected = {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": answer_id}
    assert await _answer_to(raw, allow_batch=False) == expected


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b'{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": null}', id="null"),
        pytest.param(b'{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": true}', id="bool"),
        pytest.param(b'{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1.5}', id="float"),
        pytest.param(b'{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": [1]}', id="array"),
        pytest.param(b'{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": {}}', id="object"),
    ],
)
async def test_request_with_unusable_id_is_refused(raw: bytes) -> None:
    assert await _answer_to(raw, allow_batch=False) == normalize_expected(INVALID_REQUEST_ANSWER)


async def test_invalid_batch_entry_with_usable_id_keeps_it() -> None:
    raw = (
        b'[{"jsonrpc": "2.0", "method": 1, "id": "a"},'
        b' {"jsonrpc": "2.0", "method": "sum", "params": [1], "id": 2}]'
    )
    expected = [
        {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": "a"},
        {"jsonrpc": "2.0", "result": 1, "id": 2},
    ]
    assert await _answer_to(raw, allow_batch=True) == sorted(expected, key=_canonical)


async def test_string_and_integer_ids_are_distinct() -> None:
    with anyio.fail_after(TEST_TIMEOUT):
        async with spec_server(allow_batch=False) as server:
            await server.send_raw(b'{"jsonrpc": "2.0", "method": "subtract", "params": [5, 1], "id": 1}')
            await server.send_raw(b'{"jsonrpc": "2.0", "method": "subtract", "params": [9, 1], "id": "1"}')
            got = {_canonical(normalize_received(await server.peer.receive())) for _ in range(2)}
    assert got == {
        _canonical({"jsonrpc": "2.0", "result": 4, "id": 1}),
        _canonical({"jsonrpc": "2.0", "result": 8, "id": "1"}),
    }


# --------------------------------------------------------------------------------------------
# The codec alone, on the same vectors: decode raises DecodeError and nothing else.


@pytest.mark.parametrize(
    ("raw", "allow_batch", "code"),
    [
        pytest.param(INVALID_JSON, False, -32700, id="invalid-json"),
        pytest.param(INVALID_JSON, True, -32700, id="invalid-json-batch-allowed"),
        pytest.param(BATCH_INVALID_JSON, True, -32700, id="batch-invalid-json"),
        pytest.param(INVALID_REQUEST_OBJECT, False, -32600, id="invalid-request-object"),
        pytest.param(BATCH_EMPTY, True, -32600, id="batch-empty"),
        pytest.param(BATCH_ONE_INVALID, False, -32600, id="batch-not-allowed"),
        pytest.param(b"", False, -32700, id="empty-input"),
        pytest.param(b"\xff\xfe{}", False, -32700, id="not-utf8"),
        pytest.param(b"1", False, -32600, id="number"),
        pytest.param(b'"x"', True, -32600, id="string"),
        pytest.param(b"null", True, -32600, id="null"),
    ],
)
def test_decode_error_codes(raw: bytes, allow_batch: bool, code: int) -> None:
    with pytest.raises(DecodeError) as info:
        decode(raw, allow_batch=allow_batch)
    err = info.value
    assert isinstance(err, McpError)
    assert err.code == code
    assert err.message == ("Parse error" if code == -32700 else "Invalid Request")
    assert err.id is None
    assert err.is_response is False


def test_decode_mixed_batch_entries() -> None:
    batch = decode(BATCH_MIXED, allow_batch=True)
    assert isinstance(batch, list)
    assert len(batch) == 6
    assert batch[0] == Request("1", "sum", [1, 2, 4])
    assert batch[1] == Notification("notify_hello", [7])
    assert batch[2] == Request("2", "subtract", [42, 23])
    assert isinstance(batch[3], DecodeError)
    assert batch[3].code == -32600
    assert batch[3].id is None
    assert batch[4] == Request("5", "foo.get", {"name": "myself"})
    assert batch[5] == Request("9", "get_data")


def test_decode_invalid_batch_entries() -> None:
    batch = decode(BATCH_THREE_INVALID, allow_batch=True)
    assert isinstance(batch, list)
    assert len(batch) == 3
    for entry in batch:
        assert isinstance(entry, DecodeError)
        assert entry.code == -32600
        assert entry.id is None


def test_decode_expected_answers_of_the_spec() -> None:
    """The spec's own answers are valid messages for this codec (error data absent)."""
    ok = decode(POSITIONAL_2_ANSWER.encode())
    assert ok == Response(2, -19)
    err = decode(PARSE_ERROR_ANSWER.encode())
    assert err == ErrorResponse(None, -32700, "Parse error")
    answers = decode(BATCH_MIXED_ANSWER.encode(), allow_batch=True)
    assert isinstance(answers, list)
    assert ErrorResponse("5", -32601, "Method not found") in answers
    assert Response("9", ["hello", 5]) in answers


def test_error_data_null_reads_as_no_data() -> None:
    raw = (
        b'{"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found", "data": null},'
        b' "id": "1"}'
    )
    msg = decode(raw)
    assert msg == ErrorResponse("1", -32601, "Method not found")
    assert isinstance(msg, ErrorResponse)
    assert msg.data is None
    assert "data" not in json.loads(encode(msg))["error"]


def test_encoded_answers_match_the_spec_shape() -> None:
    assert json.loads(encode(Response(1, 19))) == json.loads(POSITIONAL_1_ANSWER)
    assert json.loads(encode(ErrorResponse(None, -32700, "Parse error"))) == json.loads(PARSE_ERROR_ANSWER)
    batch = [ErrorResponse(None, -32600, "Invalid Request")]
    assert json.loads(encode(batch)) == json.loads(BATCH_ONE_INVALID_ANSWER)
