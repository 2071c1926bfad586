"""The official example messages of 2026-07-28 as test vectors for the wire codec.

Every example that is a whole JSON-RPC message must decode to the right kind of message and
encode back to the same JSON. (The other examples, content blocks and parameter objects, are
vectors for the MCP types, which come later.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from mcpcore.wire import ErrorResponse, Message, Notification, Request, Response, decode, encode
from tests.spec import SPEC_DIR, needs_spec

EXAMPLES = SPEC_DIR / "2026-07-28" / "examples"


def _messages() -> list[Path]:
    if not EXAMPLES.is_dir():
        return []
    found = []
    for path in sorted(EXAMPLES.rglob("*.json")):
        document = orjson.loads(path.read_bytes())
        if isinstance(document, dict) and "jsonrpc" in document:
            found.append(path)
    return found


MESSAGES = _messages()


def _kind(folder: str) -> type[Message]:
    if folder.endswith("Request"):
        return Request
    if folder.endswith("Notification"):
        return Notification
    if folder.endswith("Error"):
        return ErrorResponse
    return Response


@needs_spec
def test_the_examples_hold_messages_of_every_kind() -> None:
    assert {_kind(path.parent.name) for path in MESSAGES} == {Request, Notification, Response, ErrorResponse}


@needs_spec
@pytest.mark.parametrize("path", MESSAGES, ids=[f"{p.parent.name}/{p.name}" for p in MESSAGES])
def test_an_example_message_decodes_and_encodes_back_unchanged(path: Path) -> None:
    raw = path.read_bytes()
    message = decode(raw)
    assert isinstance(message, _kind(path.parent.name)), f"{path.parent.name} decoded as {message!r}"
    original: dict[str, Any] = orjson.loads(raw)
    assert orjson.loads(encode(message)) == original
