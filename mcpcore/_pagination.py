"""Opaque, tamper-proof pagination cursors.

A cursor names the list it belongs to and the offset of the next page, and carries an HMAC
under a key of the server's, so a client can neither forge one, nor edit one, nor carry one
from ``tools/list`` over to ``prompts/list``. Offsets into the live list are simple and good
enough: if the list changes between pages, the client is told by ``list_changed`` and starts
again. A server spread over several processes gives them all the same ``secret``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

from mcpcore.errors import INVALID_PARAMS, McpError

__all__ = ["Cursors"]

_MAC_SIZE = 16  # bytes of SHA-256 kept: 128 bits is far beyond guessing
_MAX_CURSOR = 256  # characters; ours are under 60


class Cursors:
    def __init__(self, secret: bytes | None = None) -> None:
        if secret is not None and len(secret) < 16:
            raise ValueError("a cursor secret must be at least 16 bytes")
        self._key = secret if secret is not None else secrets.token_bytes(32)

    def _mac(self, body: bytes) -> bytes:
        return hmac.new(self._key, body, hashlib.sha256).digest()[:_MAC_SIZE]

    def encode(self, kind: str, offset: int) -> str:
        body = f"{kind}:{offset}".encode()
        return base64.urlsafe_b64encode(body + self._mac(body)).decode("ascii").rstrip("=")

    def decode(self, kind: str, cursor: object) -> int:
        """The offset a cursor of list ``kind`` points at; -32602 for anything else."""
        if not isinstance(cursor, str) or not cursor or len(cursor) > _MAX_CURSOR:
            raise _invalid(cursor)
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        except (binascii.Error, ValueError):
            raise _invalid(cursor) from None
        body, mac = raw[:-_MAC_SIZE], raw[-_MAC_SIZE:]
        if len(raw) <= _MAC_SIZE or not hmac.compare_digest(mac, self._mac(body)):
            raise _invalid(cursor)
        got_kind, _, offset = body.decode("ascii", "replace").rpartition(":")
        if got_kind != kind or not offset.isdigit():
            raise _invalid(cursor)
        return int(offset)


def _invalid(cursor: object) -> McpError:
    return McpError(INVALID_PARAMS, "Invalid cursor", {"cursor": cursor if isinstance(cursor, str) else None})
