"""JSON-RPC 2.0 messages and their codec. Sans-IO: bytes in, messages out, and back.

The four message kinds are small slotted classes. :func:`decode` turns one JSON text into a
message (or, where the caller allows batches, a list of them) and checks the envelope by hand,
exactly and cheaply; anything that is not a valid JSON-RPC 2.0 message becomes a
:class:`DecodeError` that says precisely what is wrong. :func:`encode` goes the other way.

Choices worth knowing:

* A request id is a string or an integer and keeps its type: ``1`` and ``"1"`` are different
  requests. ``null``, booleans and floats are refused (MCP forbids ``null``; JSON-RPC
  discourages fractional ids, and a float id cannot round-trip through every peer).
  Integers beyond what orjson reads exactly (about ±2**63, up to 2**64 - 1) arrive as floats
  and are refused with them.
* Members the envelope does not define are ignored: JSON-RPC does not forbid them and neither
  do the MCP schemas.
* ``"params": null`` is refused: JSON-RPC says params, when present, are an object or an array.
* An error's ``"data": null`` is read as no data; JSON-RPC gives the two no different meaning.
* The encoded form never contains a newline byte (orjson escapes them inside strings and
  emits no whitespace), so a message is always one line of a newline-delimited stream.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final, TypeAlias, TypeGuard

import orjson

from mcpcore.errors import INVALID_REQUEST, PARSE_ERROR, McpError

__all__ = [
    "Batch",
    "DecodeError",
    "EncodeError",
    "ErrorResponse",
    "Message",
    "Notification",
    "Params",
    "Request",
    "RequestId",
    "Response",
    "decode",
    "encode",
    "is_request_id",
]

RequestId: TypeAlias = int | str
Params: TypeAlias = dict[str, Any] | list[Any]

_loads = orjson.loads
_dumps = orjson.dumps
_JSONDecodeError = orjson.JSONDecodeError
_MISSING: Final[Any] = object()


@dataclass(slots=True)
class Request:
    """A call that expects an answer: ``{"jsonrpc": "2.0", "id", "method", "params"?}``."""

    id: RequestId
    method: str
    params: Params | None = None

    def to_dict(self) -> dict[str, Any]:
        if self.params is None:
            return {"jsonrpc": "2.0", "id": self.id, "method": self.method}
        return {"jsonrpc": "2.0", "id": self.id, "method": self.method, "params": self.params}


@dataclass(slots=True)
class Notification:
    """A call without an answer: ``{"jsonrpc": "2.0", "method", "params"?}``."""

    method: str
    params: Params | None = None

    def to_dict(self) -> dict[str, Any]:
        if self.params is None:
            return {"jsonrpc": "2.0", "method": self.method}
        return {"jsonrpc": "2.0", "method": self.method, "params": self.params}


@dataclass(slots=True)
class Response:
    """A successful answer: ``{"jsonrpc": "2.0", "id", "result"}``. ``result`` is any JSON value."""

    id: RequestId
    result: Any

    def to_dict(self) -> dict[str, Any]:
        return {"jsonrpc": "2.0", "id": self.id, "result": self.result}


@dataclass(slots=True)
class ErrorResponse:
    """A failed answer: ``{"jsonrpc": "2.0", "id", "error": {"code", "message", "data"?}}``.

    ``id`` is ``None`` when the request it answers could not be read; it is then encoded as
    ``"id": null``, as JSON-RPC 2.0 asks, or left out with ``omit_id`` (MCP 2025-11-25 and
    later make the id optional and forbid null).
    """

    id: RequestId | None
    code: int
    message: str
    data: Any = None
    omit_id: bool = field(default=False, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        if self.id is None and self.omit_id:
            return {"jsonrpc": "2.0", "error": error}
        return {"jsonrpc": "2.0", "id": self.id, "error": error}

    @classmethod
    def from_error(cls, id: RequestId | None, error: McpError) -> ErrorResponse:
        return cls(id, error.code, error.message, error.data)

    def to_error(self) -> McpError:
        return McpError(self.code, self.message, self.data)


Message: TypeAlias = Request | Notification | Response | ErrorResponse
Batch: TypeAlias = list["Message | DecodeError"]


class DecodeError(McpError):
    """Bytes that are not a valid JSON-RPC 2.0 message.

    ``code`` is ``PARSE_ERROR`` (-32700) for text that is not JSON (or not UTF-8) and
    ``INVALID_REQUEST`` (-32600) for JSON that is not a valid envelope; ``data`` says why.

    ``id`` is the offending message's id when it has a usable one, otherwise ``None``: for a
    request, so that the error answer reaches the caller waiting for it; for a response, so
    that the request it answers can be failed. ``is_response`` tells that the message looked
    like a response (no ``method``, but a ``result`` or an ``error``): such a message must not
    be answered, or two peers could bounce errors forever.
    """

    id: RequestId | None
    is_response: bool

    def __init__(
        self,
        code: int,
        message: str,
        data: str,
        *,
        id: RequestId | None = None,
        is_response: bool = False,
    ) -> None:
        super().__init__(code, message, data)
        self.id = id
        self.is_response = is_response

    def to_response(self) -> ErrorResponse:
        """The error answer for this message (not meaningful when ``is_response``)."""
        return ErrorResponse(self.id, self.code, self.message, self.data)


class EncodeError(TypeError):
    """A message holds something JSON cannot carry (a non-string key, a set, an int beyond 64 bits...)."""


def is_request_id(value: object) -> TypeGuard[RequestId]:
    """True for the values a request id may take: a string, or an integer that is not a bool."""
    t = type(value)
    return t is int or t is str


def encode(message: Message | Sequence[Message]) -> bytes:
    """Serialize one message, or a batch of them, to compact JSON bytes without newlines.

    Raises :class:`EncodeError` when the message holds something JSON cannot represent.
    """
    try:
        if type(message) is list or type(message) is tuple:
            return _dumps([m.to_dict() for m in message])
        return _dumps(message.to_dict())  # type: ignore[union-attr]
    except TypeError as exc:  # orjson.JSONEncodeError is a TypeError
        raise EncodeError(f"message cannot be encoded as JSON: {exc}") from None


def decode(data: bytes | bytearray | memoryview | str, *, allow_batch: bool = False) -> Message | Batch:
    """Read one JSON-RPC message from ``data``.

    With ``allow_batch`` (MCP 2025-03-26 requires receiving batches; every other revision
    forbids them) a JSON array is read as a batch: a list with one entry per element, each a
    message or the :class:`DecodeError` of that element.

    Raises :class:`DecodeError` and nothing else: -32700 when ``data`` is not JSON or not
    UTF-8, -32600 when it is JSON but not a message (an empty batch, or a batch where batches
    are not allowed, is one -32600).
    """
    try:
        obj = _loads(data)
    except _JSONDecodeError as exc:
        raise DecodeError(PARSE_ERROR, "Parse error", str(exc)) from None
    if type(obj) is dict:
        return _message(obj)
    if type(obj) is list:
        if not allow_batch:
            raise _invalid("batches are not allowed here")
        if not obj:
            raise _invalid("a batch must not be empty")
        batch: Batch = []
        for entry in obj:
            try:
                batch.append(_message(entry))
            except DecodeError as exc:
                batch.append(exc)
        return batch
    raise _invalid("a message must be a JSON object")


def _invalid(reason: str, id: RequestId | None = None, *, is_response: bool = False) -> DecodeError:
    return DecodeError(INVALID_REQUEST, "Invalid Request", reason, id=id, is_response=is_response)


def _message(obj: Any) -> Message:
    # The checks a valid message passes are made first, in one go; only a message that fails
    # them is examined again, slowly, to say exactly what is wrong with it.
    if type(obj) is not dict:
        raise _invalid("a message must be a JSON object")
    rid = obj.get("id", _MISSING)
    method = obj.get("method", _MISSING)
    if method is not _MISSING:
        params = obj.get("params", _MISSING)
        if (
            type(method) is str
            and obj.get("jsonrpc") == "2.0"
            and (params is _MISSING or type(params) is dict or type(params) is list)
            and "result" not in obj
            and "error" not in obj
        ):
            if rid is _MISSING:
                return Notification(method, None if params is _MISSING else params)
            if type(rid) is int or type(rid) is str:
                return Request(rid, method, None if params is _MISSING else params)
        raise _call_error(obj, method, rid, params)
    if "result" in obj:
        if (type(rid) is int or type(rid) is str) and obj.get("jsonrpc") == "2.0" and "error" not in obj:
            return Response(rid, obj["result"])
        raise _response_error(obj, rid)
    if "error" in obj:
        error = obj["error"]
        if (
            (rid is _MISSING or rid is None or type(rid) is int or type(rid) is str)
            and obj.get("jsonrpc") == "2.0"
            and type(error) is dict
            and type(error.get("code")) is int
            and type(error.get("message")) is str
        ):
            # The id may be null or absent: JSON-RPC answers an unreadable request with
            # "id": null, and MCP 2025-11-25 omits the id instead.
            eid = None if rid is _MISSING else rid
            return ErrorResponse(eid, error["code"], error["message"], error.get("data"))
        raise _response_error(obj, rid)
    raise _invalid('a message needs a "method", a "result" or an "error"')


def _call_error(obj: dict[str, Any], method: object, rid: object, params: object) -> DecodeError:
    """Why a message with a "method" is not a valid request or notification."""
    good_id = rid if is_request_id(rid) else None
    if obj.get("jsonrpc") != "2.0":
        return _invalid('"jsonrpc" must be "2.0"', good_id)
    if type(method) is not str:
        return _invalid('"method" must be a string', good_id)
    if "result" in obj or "error" in obj:
        return _invalid('a request must not carry "result" or "error"', good_id)
    if params is not _MISSING and type(params) is not dict and type(params) is not list:
        return _invalid('"params" must be an object or an array', good_id)
    return _invalid(f'"id" must be a string or an integer, not {_json_type(rid)}')


def _response_error(obj: dict[str, Any], rid: object) -> DecodeError:
    """Why a message with a "result" or an "error" is not a valid response."""
    # A broken response keeps its id when it has a usable one, so that the request waiting
    # for it can be failed at once instead of timing out.
    good_id = rid if is_request_id(rid) else None
    if obj.get("jsonrpc") != "2.0":
        return _invalid('"jsonrpc" must be "2.0"', good_id, is_response=True)
    if "result" in obj and "error" in obj:
        return _invalid('a response must not carry both "result" and "error"', good_id, is_response=True)
    if "result" in obj or not (rid is _MISSING or rid is None or good_id is not None):
        return _invalid(_bad_response_id(rid), is_response=True)
    error = obj["error"]
    if type(error) is not dict:
        return _invalid('"error" must be an object', good_id, is_response=True)
    if type(error.get("code")) is not int:
        return _invalid('"error.code" must be an integer', good_id, is_response=True)
    return _invalid('"error.message" must be a string', good_id, is_response=True)


def _bad_response_id(rid: object) -> str:
    if rid is _MISSING:
        return 'a response needs an "id"'
    return f'"id" must be a string or an integer, not {_json_type(rid)}'


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if type(value) is bool:
        return "a boolean"
    if type(value) is float:
        return "a number with a fraction or beyond 64 bits"
    if type(value) is list:
        return "an array"
    if type(value) is dict:
        return "an object"
    return type(value).__name__
