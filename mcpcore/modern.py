"""The pieces of the stateless 2026-07-28 revision that both sides share.

In that revision there is no session: every request carries, in ``params._meta``, the protocol
version it speaks and the capabilities of its client, and the server judges each request on
that alone. This module holds the reserved ``_meta`` keys, the reading of that envelope (with
the revision's errors), and the sealed ``requestState`` of input-required results.

``requestState`` travels through the client, so the server must not trust it: it is sealed
here with an HMAC under a key of the server's and binds the method, a digest of the request's
own parameters, the principal (when the transport knows one) and an expiry. What it carries is
the answers gathered in earlier rounds and the keys of the inputs asked for in the last one.
It is signed, not encrypted: the client may read it, which is harmless because everything in
it came from the client in the first place.
"""

from __future__ import annotations

import base64
import binascii
import decimal
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import orjson

from mcpcore import revisions
from mcpcore.errors import INVALID_PARAMS, UNSUPPORTED_PROTOCOL_VERSION, McpError
from mcpcore.revisions import Revision
from mcpcore.types import LOGGING_LEVELS, LoggingLevel

__all__ = [
    "CACHEABLE",
    "CLIENT_CAPABILITIES",
    "CLIENT_INFO",
    "INPUT_METHODS",
    "LOG_LEVEL",
    "MODERN_ONLY",
    "PROTOCOL_VERSION",
    "SERVER_INFO",
    "SUBSCRIPTION_ID",
    "Envelope",
    "RequestStateError",
    "StateSealer",
    "is_modern",
    "read_envelope",
]

PROTOCOL_VERSION: Final = "io.modelcontextprotocol/protocolVersion"
CLIENT_CAPABILITIES: Final = "io.modelcontextprotocol/clientCapabilities"
CLIENT_INFO: Final = "io.modelcontextprotocol/clientInfo"
LOG_LEVEL: Final = "io.modelcontextprotocol/logLevel"
SERVER_INFO: Final = "io.modelcontextprotocol/serverInfo"
SUBSCRIPTION_ID: Final = "io.modelcontextprotocol/subscriptionId"

# Methods that only the modern era has: they are judged by its rules even without an envelope
# (and so refused with -32602 when it is missing, instead of "before initialize").
MODERN_ONLY: Final = frozenset({"server/discover", "subscriptions/listen"})
# Results that carry caching hints (ttlMs and cacheScope) when complete.
CACHEABLE: Final = frozenset(
    {
        "server/discover",
        "tools/list",
        "prompts/list",
        "resources/list",
        "resources/templates/list",
        "resources/read",
    }
)
# The requests that may be answered with an input-required result.
INPUT_METHODS: Final = frozenset({"tools/call", "prompts/get", "resources/read"})

_LEVELS: Final = frozenset(LOGGING_LEVELS)


def is_modern(params: Any) -> bool:
    """Whether a request's params carry the modern envelope (one of its required keys).

    Only the presence of a key counts: a malformed envelope is still a modern request, and is
    refused by the modern rules (-32602), not taken for a legacy one.
    """
    if type(params) is not dict:
        return False
    meta = params.get("_meta")
    # Either required key makes it modern: no legacy client sends them, and a modern request
    # missing the other one is then refused as the modern era says (-32602).
    return type(meta) is dict and (PROTOCOL_VERSION in meta or CLIENT_CAPABILITIES in meta)


class Envelope:
    """What one modern request says about its client: the only client state there is.

    A plain class with slots, not a frozen dataclass: one is built per request, and a frozen
    dataclass's ``__init__`` costs several times more.
    """

    __slots__ = ("capabilities", "client_info", "log_level", "revision")

    def __init__(
        self,
        revision: Revision,
        capabilities: dict[str, Any],
        client_info: dict[str, Any],
        log_level: LoggingLevel | None,  # None: the client wants no log notifications
    ) -> None:
        self.revision = revision
        self.capabilities = capabilities
        self.client_info = client_info
        self.log_level = log_level

    def __repr__(self) -> str:
        return f"Envelope({self.revision}, capabilities={self.capabilities!r}, log_level={self.log_level!r})"


def _bad(message: str, field: str) -> McpError:
    return McpError(INVALID_PARAMS, message, {"field": f"_meta.{field}"})


def read_envelope(params: Any, supported: Sequence[str]) -> Envelope:
    """Read and check the ``_meta`` envelope of a modern request.

    ``supported`` lists the versions the server speaks, for the error of an unsupported one
    (modern versions first, as they are the ones a modern client can use). The version is
    checked before the rest, so that a client of a later revision, whose envelope may differ,
    learns which versions to fall back to rather than that its envelope is malformed.
    """
    if type(params) is not dict:
        raise McpError(INVALID_PARAMS, "params must be an object carrying _meta", {"field": "params"})
    meta = params.get("_meta")
    if type(meta) is not dict:
        raise _bad("params._meta is required in this protocol revision", "")
    version = meta.get(PROTOCOL_VERSION)
    if type(version) is not str:
        raise _bad(f"params._meta[{PROTOCOL_VERSION!r}] must be a version string", PROTOCOL_VERSION)
    revision = revisions.REVISIONS.get(version)
    if revision is None or revision.era != "modern" or version not in supported:
        raise McpError(
            UNSUPPORTED_PROTOCOL_VERSION,
            f"Unsupported protocol version {version!r}; this server speaks {', '.join(supported)}",
            {"supported": list(supported), "requested": version},
        )
    capabilities = meta.get(CLIENT_CAPABILITIES)
    if type(capabilities) is not dict:
        raise _bad(
            f"params._meta[{CLIENT_CAPABILITIES!r}] is required and must be an object ({{}} for none)",
            CLIENT_CAPABILITIES,
        )
    info = meta.get(CLIENT_INFO)
    if info is None:
        info = {}
    elif type(info) is not dict or type(info.get("name")) is not str or type(info.get("version")) is not str:
        raise _bad(f"params._meta[{CLIENT_INFO!r}] must have a name and a version", CLIENT_INFO)
    level = meta.get(LOG_LEVEL)
    if level is not None and level not in _LEVELS:
        raise _bad(f"params._meta[{LOG_LEVEL!r}] must be one of {', '.join(LOGGING_LEVELS)}", LOG_LEVEL)
    return Envelope(revision, capabilities, info, level)


# -- requestState --------------------------------------------------------------------------------


class RequestStateError(McpError):
    """A ``requestState`` that is forged, altered, expired, or meant for another request."""

    def __init__(self, reason: str) -> None:
        super().__init__(INVALID_PARAMS, f"Invalid requestState: {reason}", {"field": "requestState"})
        self.reason = reason


_MAC_SIZE: Final = 32
_VERSION: Final = 1
# Parameters that are not part of what a request asks for: the envelope and the MRTR fields.
_NOT_SALIENT: Final = frozenset({"_meta", "inputResponses", "requestState"})


def request_digest(method: str, params: Mapping[str, Any]) -> str:
    """A digest of what a request asks for, the same on every retry of it."""
    salient = {k: v for k, v in params.items() if k not in _NOT_SALIENT}
    body = orjson.dumps([method, salient], option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(body).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class RoundState:
    """What a verified ``requestState`` says: earlier answers, and what was asked last."""

    answers: dict[str, Any]
    pending: tuple[str, ...]
    rounds: int  # input-required rounds so far


class StateSealer:
    """Seals and opens ``requestState`` strings under one server key.

    ``ttl`` bounds how long a client may take to answer (seconds). Give every process of one
    server the same ``key`` so that any of them can take the retry.
    """

    def __init__(self, key: bytes | None = None, *, ttl: float = 600.0, max_size: int = 1 << 20) -> None:
        if key is not None and len(key) < 16:
            raise ValueError("a requestState key must be at least 16 bytes")
        if ttl <= 0:
            raise ValueError("the requestState ttl must be positive")
        self._key = key if key is not None else secrets.token_bytes(32)
        self.ttl = ttl
        self.max_size = max_size

    def _mac(self, body: bytes) -> bytes:
        return hmac.new(self._key, body, hashlib.sha256).digest()

    def seal(
        self,
        method: str,
        params: Mapping[str, Any],
        answers: Mapping[str, Any],
        pending: Sequence[str],
        principal: str | None = None,
        *,
        rounds: int = 1,
    ) -> str:
        payload = {
            "v": _VERSION,
            "m": method,
            "d": request_digest(method, params),
            "p": principal,
            "x": int((time.time() + self.ttl) * 1000),
            "a": dict(answers),
            "k": list(pending),
            "r": rounds,
        }
        body = orjson.dumps(payload)
        return _b64(body) + "." + _b64(self._mac(body))

    def open(
        self, state: Any, method: str, params: Mapping[str, Any], principal: str | None = None
    ) -> RoundState:
        """The state a retry carries, verified; :class:`RequestStateError` if it cannot be trusted."""
        if type(state) is not str or not state:
            raise RequestStateError("it must be a non-empty string")
        if len(state) > self.max_size:
            raise RequestStateError(f"it is longer than {self.max_size} characters")
        body_part, dot, mac_part = state.partition(".")
        try:
            body, mac = _unb64(body_part), _unb64(mac_part)
        except (binascii.Error, ValueError):
            raise RequestStateError("it is not one this server issued") from None
        if not dot or len(mac) != _MAC_SIZE or not hmac.compare_digest(mac, self._mac(body)):
            raise RequestStateError("its signature does not verify (altered, or not issued by this server)")
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise RequestStateError("it is not one this server issued") from None
        if type(payload) is not dict or payload.get("v") != _VERSION:
            raise RequestStateError("it was issued by an incompatible server version")
        if payload.get("m") != method or payload.get("d") != request_digest(method, params):
            raise RequestStateError("it was issued for a different request")
        if payload.get("p") != principal:
            raise RequestStateError("it was issued to a different principal")
        expiry = payload.get("x")
        if type(expiry) is not int or time.time() * 1000 > expiry:
            raise RequestStateError("it has expired; send the request again without it")
        answers, pending, rounds = payload.get("a"), payload.get("k"), payload.get("r")
        if type(answers) is not dict or type(pending) is not list or type(rounds) is not int:
            raise RequestStateError("it is not one this server issued")
        return RoundState(answers, tuple(str(k) for k in pending), rounds)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


CacheScope = Literal["public", "private"]


# -- HTTP headers mirrored from the body (Mcp-Name, Mcp-Param-*) ---------------------------------

_SENTINEL_START: Final = "=?base64?"
_SENTINEL_END: Final = "?="
_TCHAR: Final = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
MAX_SAFE_INTEGER: Final = 2**53 - 1


def _plain(text: str) -> bool:
    """Whether ``text`` can go in a header as it is (visible ASCII inside, no edge spaces)."""
    if not text:
        return True
    if text[0] in " \t" or text[-1] in " \t":
        return False
    if text.startswith(_SENTINEL_START) and text.endswith(_SENTINEL_END):
        return False  # it would read as encoded
    return all(c == " " or c == "\t" or "!" <= c <= "~" for c in text)


def encode_header_value(value: str | int | bool) -> str:
    """A body value as the header carries it: as it is, or in the base64 sentinel form."""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if _plain(value):
        return value
    return _SENTINEL_START + base64.b64encode(value.encode()).decode("ascii") + _SENTINEL_END


def decode_header_value(text: str) -> str:
    """What a header value says, after the base64 sentinel form; ValueError if malformed."""
    if text.startswith(_SENTINEL_START) and text.endswith(_SENTINEL_END) and len(text) >= 11:
        inner = text[len(_SENTINEL_START) : -len(_SENTINEL_END)]
        try:
            return base64.b64decode(inner, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise ValueError(f"malformed base64 header value {text!r}") from None
    if any(not (c in " \t" or "!" <= c <= "~") for c in text):
        raise ValueError(f"header value {text!r} has characters a header cannot carry")
    return text


@dataclass(frozen=True, slots=True)
class HeaderParameter:
    """A tool argument mirrored into ``Mcp-Param-<name>``: where it is, and its JSON type."""

    name: str
    path: tuple[str, ...]
    type: str  # "string", "integer" or "boolean"

    @property
    def header(self) -> str:
        return "mcp-param-" + self.name.lower()

    def value_in(self, arguments: Any) -> Any:
        """The argument at this path, or None when absent."""
        value = arguments
        for key in self.path:
            if type(value) is not dict or key not in value:
                return None
            value = value[key]
        return value


def header_parameters(schema: Any) -> tuple[HeaderParameter, ...]:
    """The ``x-mcp-header`` annotations of a tool's ``inputSchema``; ValueError if any is invalid.

    An annotation is valid only on a string, integer or boolean property reached from the root
    by ``properties`` keys alone, with a token name unique regardless of case.
    """
    found: list[HeaderParameter] = []
    _walk(schema, (), True, found)
    seen: set[str] = set()
    for param in found:
        lowered = param.name.lower()
        if lowered in seen:
            raise ValueError(f"x-mcp-header {param.name!r} is used twice (names are case-insensitive)")
        seen.add(lowered)
    return tuple(found)


def _walk(node: Any, path: tuple[str, ...], reachable: bool, found: list[HeaderParameter]) -> None:
    if type(node) is not dict:
        if type(node) is list:
            for item in node:
                _walk(item, path, False, found)
        return
    if "x-mcp-header" in node:
        where = ".".join(path) or "the schema root"
        name = node["x-mcp-header"]
        if not reachable or not path:
            raise ValueError(f"x-mcp-header at {where} is not on a property reached through properties alone")
        if type(name) is not str or not name or not set(name) <= _TCHAR:
            raise ValueError(f"x-mcp-header at {where} must be a non-empty HTTP token, not {name!r}")
        kind = node.get("type")
        if kind not in ("string", "integer", "boolean"):
            raise ValueError(f"x-mcp-header at {where} must be on a string, integer or boolean, not {kind!r}")
        found.append(HeaderParameter(name, path, kind))
    for key, value in node.items():
        if key == "properties" and type(value) is dict:
            for prop, sub in value.items():
                _walk(sub, (*path, prop), reachable, found)
        elif key != "x-mcp-header":
            _walk(value, path, False, found)


def header_matches(param: HeaderParameter, header: str | None, value: Any) -> bool:
    """Whether the header a request carries agrees with the argument in its body."""
    if value is None:
        return header is None
    if header is None:
        return False
    try:
        text = decode_header_value(header)
    except ValueError:
        return False
    if param.type == "integer":
        if type(value) is not int:
            return False
        try:
            return decimal.Decimal(text.strip()) == value  # as numbers: "007" and "42.0" match
        except decimal.InvalidOperation:
            return False
    if param.type == "boolean":
        return type(value) is bool and text == ("true" if value else "false")
    return type(value) is str and text == value
