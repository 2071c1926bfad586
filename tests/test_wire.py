"""mcpcore.wire: the JSON-RPC 2.0 envelope, checked against the spec and by properties."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from mcpcore.errors import INVALID_REQUEST, PARSE_ERROR, McpError
from mcpcore.wire import (
    DecodeError,
    EncodeError,
    ErrorResponse,
    Message,
    Notification,
    Request,
    Response,
    decode,
    encode,
    is_request_id,
)

# -- strategies -------------------------------------------------------------------------------

text = st.text(st.characters(exclude_categories=["Cs"]), max_size=20)
# orjson reads integers exactly from -2**63 to 2**64 - 1; beyond that they become floats.
integers = st.integers(min_value=-(2**63), max_value=2**64 - 1)
json_values = st.recursive(
    st.none() | st.booleans() | integers | st.floats(allow_nan=False, allow_infinity=False) | text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(text, children, max_size=4),
    max_leaves=12,
)
ids = integers | text
params = st.none() | st.dictionaries(text, json_values, max_size=4) | st.lists(json_values, max_size=4)
messages: st.SearchStrategy[Message] = st.one_of(
    st.builds(Request, ids, text, params),
    st.builds(Notification, text, params),
    st.builds(Response, ids, json_values),
    st.builds(
        ErrorResponse,
        st.none() | ids,
        st.integers(min_value=-(2**63), max_value=2**63 - 1),
        text,
        json_values.filter(lambda v: v is not None),
    ),
    st.builds(ErrorResponse, st.none() | ids, st.integers(-32768, -32000), text),
)


def oracle(obj: Any) -> str:
    """An independent reading of JSON-RPC 2.0 (plus MCP's "ids are never null"): the kind of
    message ``obj`` is, or "invalid"."""
    if not isinstance(obj, dict) or obj.get("jsonrpc") != "2.0":
        return "invalid"

    def good_id(v: Any) -> bool:
        return (isinstance(v, int) and not isinstance(v, bool)) or isinstance(v, str)

    if "method" in obj:
        if not isinstance(obj["method"], str) or "result" in obj or "error" in obj:
            return "invalid"
        if "params" in obj and not isinstance(obj["params"], dict | list):
            return "invalid"
        if "id" not in obj:
            return "notification"
        return "request" if good_id(obj["id"]) else "invalid"
    if "result" in obj and "error" in obj:
        return "invalid"
    if "result" in obj:
        return "response" if good_id(obj.get("id")) else "invalid"
    if "error" in obj:
        error = obj["error"]
        if not (obj.get("id") is None or good_id(obj["id"])):
            return "invalid"
        if not isinstance(error, dict):
            return "invalid"
        code, message = error.get("code"), error.get("message")
        if isinstance(code, int) and not isinstance(code, bool) and isinstance(message, str):
            return "error"
    return "invalid"


KIND = {Request: "request", Notification: "notification", Response: "response", ErrorResponse: "error"}


def envelope_like() -> st.SearchStrategy[dict[str, Any]]:
    """Dicts that are messages, or nearly: fields dropped, retyped, or added."""
    field_values = {
        "jsonrpc": st.just("2.0") | json_values,
        "id": ids | json_values,
        "method": text | json_values,
        "params": params | json_values,
        "result": json_values,
        "error": st.fixed_dictionaries({"code": integers, "message": text}) | json_values,
    }
    return st.fixed_dictionaries({}, optional=field_values) | st.builds(
        lambda m, extra: {**m.to_dict(), **extra}, messages, st.dictionaries(text, json_values, max_size=2)
    )


# -- properties -------------------------------------------------------------------------------


@given(messages)
def test_encode_decode_round_trip(message: Message) -> None:
    data = encode(message)
    assert b"\n" not in data and b"\r" not in data
    assert decode(data) == message


@given(st.lists(messages, min_size=1, max_size=5))
def test_batch_round_trip(batch: list[Message]) -> None:
    assert decode(encode(batch), allow_batch=True) == batch


@given(st.binary(max_size=200))
@example(b"\xff")
@example(b"")
@example(b"[" * 5000)
@example(b'{"jsonrpc": "2.0", "id": 1, "method": "x", "params": {"a": "\xed\xa0\x80"}}')
def test_arbitrary_bytes_give_a_message_or_a_decode_error(data: bytes) -> None:
    for allow_batch in (False, True):
        try:
            decode(data, allow_batch=allow_batch)
        except DecodeError as exc:
            assert exc.code in (PARSE_ERROR, INVALID_REQUEST)
            assert isinstance(exc.data, str) and exc.data


@given(envelope_like())
def test_decode_agrees_with_an_independent_reading_of_the_spec(obj: dict[str, Any]) -> None:
    expected = oracle(obj)
    try:
        message = decode(orjson.dumps(obj))
    except DecodeError as exc:
        assert expected == "invalid", f"{obj!r} is a valid {expected}, but: {exc}"
        assert exc.code == INVALID_REQUEST
        return
    assert isinstance(message, Request | Notification | Response | ErrorResponse)
    assert KIND[type(message)] == expected
    # Faithful: the message carries exactly the envelope's fields (unknown members dropped,
    # an error's "data": null read as no data).
    members = {
        "request": ("jsonrpc", "id", "method", "params"),
        "notification": ("jsonrpc", "method", "params"),
        "response": ("jsonrpc", "id", "result"),
        "error": ("jsonrpc", "id", "error"),
    }[expected]
    known = {k: v for k, v in obj.items() if k in members}
    if isinstance(message, ErrorResponse):
        known.setdefault("id", None)
        error = dict(known["error"])
        known["error"] = {
            k: v for k, v in error.items() if k in ("code", "message", "data") and v is not None
        }
    assert message.to_dict() == known


@given(st.lists(envelope_like(), min_size=1, max_size=6))
def test_a_batch_decodes_entry_by_entry(entries: list[dict[str, Any]]) -> None:
    batch = decode(orjson.dumps(entries), allow_batch=True)
    assert isinstance(batch, list)
    assert len(batch) == len(entries)
    for entry, item in zip(entries, batch, strict=True):
        assert (oracle(entry) == "invalid") == isinstance(item, DecodeError)


# -- the envelope, case by case -----------------------------------------------------------------


def test_ids_keep_their_type() -> None:
    one = decode(b'{"jsonrpc":"2.0","id":1,"method":"m"}')
    one_text = decode(b'{"jsonrpc":"2.0","id":"1","method":"m"}')
    assert isinstance(one, Request) and isinstance(one_text, Request)
    assert one.id == 1 and one_text.id == "1"
    assert one != one_text
    assert encode(one) != encode(one_text)


def test_large_ids_within_64_bits_round_trip() -> None:
    for rid in (2**63 - 1, -(2**63), 2**64 - 1):
        assert decode(encode(Request(rid, "m"))) == Request(rid, "m")


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'{"jsonrpc":"2.0","id":null,"method":"m"}', '"id" must be a string or an integer, not null'),
        (b'{"jsonrpc":"2.0","id":true,"method":"m"}', "not a boolean"),
        (b'{"jsonrpc":"2.0","id":1.5,"method":"m"}', "not a number"),
        (b'{"jsonrpc":"2.0","id":1.0,"method":"m"}', "not a number"),
        (b'{"jsonrpc":"2.0","id":[1],"method":"m"}', "not an array"),
        (b'{"jsonrpc":"2.0","id":{},"method":"m"}', "not an object"),
        # Beyond 64 bits orjson reads an integer as a float: refused like one.
        (b'{"jsonrpc":"2.0","id":123456789012345678901234567890,"method":"m"}', "not a number"),
    ],
)
def test_bad_request_ids(raw: bytes, reason: str) -> None:
    with pytest.raises(DecodeError) as info:
        decode(raw)
    assert info.value.code == INVALID_REQUEST
    assert reason in info.value.data
    assert info.value.id is None
    assert not info.value.is_response


@pytest.mark.parametrize(
    ("raw", "reason", "rid"),
    [
        (b'{"id":1,"method":"m"}', '"jsonrpc" must be "2.0"', 1),
        (b'{"jsonrpc":"1.0","id":1,"method":"m"}', '"jsonrpc" must be "2.0"', 1),
        (b'{"jsonrpc":2.0,"id":"a","method":"m"}', '"jsonrpc" must be "2.0"', "a"),
        (b'{"jsonrpc":"2.0","id":1,"method":5}', '"method" must be a string', 1),
        (b'{"jsonrpc":"2.0","id":1,"method":null}', '"method" must be a string', 1),
        (b'{"jsonrpc":"2.0","id":1,"method":"m","params":"x"}', '"params" must be an object or an array', 1),
        (b'{"jsonrpc":"2.0","id":1,"method":"m","params":null}', '"params" must be an object or an array', 1),
        (b'{"jsonrpc":"2.0","id":1,"method":"m","params":3}', '"params" must be an object or an array', 1),
        (b'{"jsonrpc":"2.0","id":1,"method":"m","result":1}', 'must not carry "result" or "error"', 1),
        (b'{"jsonrpc":"2.0","method":"m","params":"bar"}', '"params" must be an object or an array', None),
        (b'{"jsonrpc":"2.0","method":1,"params":"bar"}', '"method" must be a string', None),
    ],
)
def test_broken_requests_say_why_and_keep_a_usable_id(raw: bytes, reason: str, rid: Any) -> None:
    with pytest.raises(DecodeError) as info:
        decode(raw)
    error = info.value
    assert (error.code, error.message) == (INVALID_REQUEST, "Invalid Request")
    assert reason in error.data
    assert error.id == rid and type(error.id) is type(rid)
    assert not error.is_response
    assert error.to_response() == ErrorResponse(rid, INVALID_REQUEST, "Invalid Request", error.data)


@pytest.mark.parametrize(
    ("raw", "reason", "rid"),
    [
        (b'{"jsonrpc":"2.0","id":1,"result":1,"error":{"code":1,"message":"m"}}', "both", 1),
        (b'{"jsonrpc":"2.0","result":1}', 'a response needs an "id"', None),
        (b'{"jsonrpc":"2.0","id":null,"result":1}', "not null", None),
        (b'{"jsonrpc":"2.0","id":1.5,"result":1}', "not a number", None),
        (b'{"id":7,"result":1}', '"jsonrpc" must be "2.0"', 7),
        (b'{"jsonrpc":"2.0","id":1,"error":"boom"}', '"error" must be an object', 1),
        (b'{"jsonrpc":"2.0","id":1,"error":{"message":"m"}}', '"error.code" must be an integer', 1),
        (
            b'{"jsonrpc":"2.0","id":1,"error":{"code":true,"message":"m"}}',
            '"error.code" must be an integer',
            1,
        ),
        (
            b'{"jsonrpc":"2.0","id":1,"error":{"code":1.5,"message":"m"}}',
            '"error.code" must be an integer',
            1,
        ),
        (b'{"jsonrpc":"2.0","id":1,"error":{"code":1}}', '"error.message" must be a string', 1),
        (b'{"jsonrpc":"2.0","id":[],"error":{"code":1,"message":"m"}}', "not an array", None),
    ],
)
def test_broken_responses_are_marked_as_responses(raw: bytes, reason: str, rid: Any) -> None:
    with pytest.raises(DecodeError) as info:
        decode(raw)
    assert info.value.code == INVALID_REQUEST
    assert reason in info.value.data
    assert info.value.is_response
    assert info.value.id == rid


def test_a_message_without_method_result_or_error_is_invalid_and_not_a_response() -> None:
    with pytest.raises(DecodeError) as info:
        decode(b'{"jsonrpc":"2.0","id":5}')
    assert 'needs a "method", a "result" or an "error"' in info.value.data
    assert not info.value.is_response
    assert info.value.id is None  # unclassifiable: do not answer as if it were request 5


def test_error_responses_may_have_null_or_no_id() -> None:
    null_id = decode(b'{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}')
    no_id = decode(b'{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"}}')
    assert null_id == no_id == ErrorResponse(None, PARSE_ERROR, "Parse error")
    assert encode(ErrorResponse(None, PARSE_ERROR, "Parse error")) == (
        b'{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}'
    )


def test_error_data_null_reads_as_no_data() -> None:
    message = decode(b'{"jsonrpc":"2.0","id":1,"error":{"code":1,"message":"m","data":null}}')
    assert message == ErrorResponse(1, 1, "m")
    assert b"data" not in encode(ErrorResponse(1, 1, "m"))


def test_unknown_members_are_ignored() -> None:
    message = decode(b'{"jsonrpc":"2.0","id":1,"method":"m","extra":true}')
    assert message == Request(1, "m")


def test_result_may_be_any_json_value() -> None:
    values: list[Any] = [None, 0, "x", [], {}, False]
    for value in values:
        assert decode(encode(Response(1, value))) == Response(1, value)


@pytest.mark.parametrize(
    "raw",
    [b"", b" ", b"{", b'{"a":1', b"nul", b"NaN", b"\xff\xfe", b'"\\ud800"', b"1e400", b"{}{}"],
)
def test_parse_errors(raw: bytes) -> None:
    with pytest.raises(DecodeError) as info:
        decode(raw)
    assert (info.value.code, info.value.message) == (PARSE_ERROR, "Parse error")
    assert info.value.id is None
    assert info.value.to_response().id is None


def test_deep_nesting_is_a_parse_error_not_a_crash() -> None:
    with pytest.raises(DecodeError) as info:
        decode(b"[" * 100_000 + b"]" * 100_000, allow_batch=True)
    assert info.value.code == PARSE_ERROR


@pytest.mark.parametrize("raw", [b"1", b'"x"', b"null", b"true", b"3.5"])
def test_a_message_must_be_an_object(raw: bytes) -> None:
    with pytest.raises(DecodeError) as info:
        decode(raw)
    assert info.value.code == INVALID_REQUEST
    assert "must be a JSON object" in info.value.data


def test_batches_only_when_allowed() -> None:
    raw = b'[{"jsonrpc":"2.0","method":"m"}]'
    with pytest.raises(DecodeError) as info:
        decode(raw)
    assert info.value.code == INVALID_REQUEST
    assert "batches are not allowed" in info.value.data
    assert decode(raw, allow_batch=True) == [Notification("m")]


def test_an_empty_batch_is_one_invalid_request() -> None:
    with pytest.raises(DecodeError) as info:
        decode(b"[]", allow_batch=True)
    assert info.value.code == INVALID_REQUEST
    assert "empty" in info.value.data


def test_a_batch_of_invalid_entries_gives_one_error_per_entry() -> None:
    batch = decode(b'[1, 2, {"jsonrpc":"2.0","id":3,"method":"m"}, []]', allow_batch=True)
    assert isinstance(batch, list)
    assert [type(item) for item in batch] == [DecodeError, DecodeError, Request, DecodeError]
    assert all(item.code == INVALID_REQUEST for item in batch if isinstance(item, DecodeError))


def test_inputs_may_be_str_bytearray_or_memoryview() -> None:
    raw = '{"jsonrpc":"2.0","method":"m","params":{"s":"é"}}'
    expected = Notification("m", {"s": "é"})
    assert decode(raw) == decode(raw.encode()) == decode(bytearray(raw.encode())) == expected
    assert decode(memoryview(raw.encode())) == expected


def test_encoded_text_keeps_line_separators_raw_and_escapes_newlines() -> None:
    message = Notification("m", {"text": "a\u2028b\u2029c\nd\re"})
    data = encode(message)
    assert b"\n" not in data and b"\r" not in data
    assert "\u2028".encode() in data  # legal inside JSON strings: a framer must not split there
    assert decode(data) == message


@pytest.mark.parametrize(
    "bad_params",
    [{"s": {1, 2}}, {1: "non-string key"}, {"big": 2**64}, {"surrogate": "\ud800"}, {"obj": object()}],
)
def test_encode_refuses_what_json_cannot_carry(bad_params: Any) -> None:
    with pytest.raises(EncodeError):
        encode(Request(1, "m", bad_params))
    assert issubclass(EncodeError, TypeError)


def test_to_dict_omits_absent_params_and_data() -> None:
    assert Request(1, "m").to_dict() == {"jsonrpc": "2.0", "id": 1, "method": "m"}
    assert Notification("m", []).to_dict() == {"jsonrpc": "2.0", "method": "m", "params": []}
    assert ErrorResponse(1, -1, "x").to_dict() == {
        "jsonrpc": "2.0",
        "id": 1,
        "error": {"code": -1, "message": "x"},
    }


def test_error_responses_convert_to_and_from_mcp_errors() -> None:
    error = McpError(-32602, "Invalid params", {"field": "x"})
    reply = ErrorResponse.from_error(7, error)
    assert reply == ErrorResponse(7, -32602, "Invalid params", {"field": "x"})
    back = reply.to_error()
    assert (back.code, back.message, back.data) == (-32602, "Invalid params", {"field": "x"})


def test_is_request_id() -> None:
    assert is_request_id(0) and is_request_id("") and is_request_id(-5)
    not_ids: list[Any] = [None, True, False, 1.0, [], {}]
    assert not any(is_request_id(v) for v in not_ids)
