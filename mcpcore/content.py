"""Helpers that build content blocks and resource contents, for tools, prompts and resources.

Binary data is given as ``bytes`` and base64-encoded here, once; a ``str`` is taken to be
base64 already (and is checked, so a mistake shows up where it was made, not at the client).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from typing import Any

from mcpcore.types import (
    Annotations,
    AudioContent,
    BlobResourceContents,
    EmbeddedResource,
    Icon,
    ImageContent,
    ResourceContents,
    ResourceLink,
    TextContent,
    TextResourceContents,
)

__all__ = [
    "audio",
    "blob_contents",
    "embedded",
    "image",
    "resource_link",
    "text",
    "text_contents",
    "text_of",
]


def _b64(data: bytes | str) -> str:
    if isinstance(data, (bytes, bytearray, memoryview)):
        return base64.b64encode(data).decode("ascii")
    try:
        base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"not valid base64 data: {exc}") from None
    return data


def _extras(block: dict[str, Any], annotations: Annotations | None, meta: dict[str, Any] | None) -> None:
    if annotations is not None:
        block["annotations"] = annotations
    if meta is not None:
        block["_meta"] = meta


def text(
    value: str, *, annotations: Annotations | None = None, meta: dict[str, Any] | None = None
) -> TextContent:
    """A text content block."""
    block: dict[str, Any] = {"type": "text", "text": value}
    _extras(block, annotations, meta)
    return block  # type: ignore[return-value]


def image(
    data: bytes | str,
    mime_type: str,
    *,
    annotations: Annotations | None = None,
    meta: dict[str, Any] | None = None,
) -> ImageContent:
    """An image content block; ``data`` is raw bytes, or base64 text."""
    block: dict[str, Any] = {"type": "image", "data": _b64(data), "mimeType": mime_type}
    _extras(block, annotations, meta)
    return block  # type: ignore[return-value]


def audio(
    data: bytes | str,
    mime_type: str,
    *,
    annotations: Annotations | None = None,
    meta: dict[str, Any] | None = None,
) -> AudioContent:
    """An audio content block (2025-03-26 and later); ``data`` is raw bytes, or base64 text."""
    block: dict[str, Any] = {"type": "audio", "data": _b64(data), "mimeType": mime_type}
    _extras(block, annotations, meta)
    return block  # type: ignore[return-value]


def text_contents(
    uri: str, value: str, *, mime_type: str | None = None, meta: dict[str, Any] | None = None
) -> TextResourceContents:
    """The text contents of a resource."""
    contents: dict[str, Any] = {"uri": uri, "text": value}
    if mime_type is not None:
        contents["mimeType"] = mime_type
    if meta is not None:
        contents["_meta"] = meta
    return contents  # type: ignore[return-value]


def blob_contents(
    uri: str, data: bytes | str, *, mime_type: str | None = None, meta: dict[str, Any] | None = None
) -> BlobResourceContents:
    """The binary contents of a resource; ``data`` is raw bytes, or base64 text."""
    contents: dict[str, Any] = {"uri": uri, "blob": _b64(data)}
    if mime_type is not None:
        contents["mimeType"] = mime_type
    if meta is not None:
        contents["_meta"] = meta
    return contents  # type: ignore[return-value]


def embedded(
    uri: str,
    *,
    text: str | None = None,
    blob: bytes | str | None = None,
    mime_type: str | None = None,
    annotations: Annotations | None = None,
    meta: dict[str, Any] | None = None,
) -> EmbeddedResource:
    """A resource embedded in a result: give exactly one of ``text`` and ``blob``."""
    if (text is None) == (blob is None):
        raise ValueError("give exactly one of text= and blob=")
    resource: ResourceContents
    if text is not None:
        resource = text_contents(uri, text, mime_type=mime_type)
    else:
        resource = blob_contents(uri, blob, mime_type=mime_type)  # type: ignore[arg-type]
    block: dict[str, Any] = {"type": "resource", "resource": resource}
    _extras(block, annotations, meta)
    return block  # type: ignore[return-value]


def resource_link(
    uri: str,
    name: str,
    *,
    title: str | None = None,
    description: str | None = None,
    mime_type: str | None = None,
    size: int | None = None,
    icons: list[Icon] | None = None,
    annotations: Annotations | None = None,
    meta: dict[str, Any] | None = None,
) -> ResourceLink:
    """A link to a resource (2025-06-18 and later), which the client may read or subscribe to."""
    block: dict[str, Any] = {"type": "resource_link", "uri": uri, "name": name}
    for key, value in (
        ("title", title),
        ("description", description),
        ("mimeType", mime_type),
        ("size", size),
        ("icons", icons),
    ):
        if value is not None:
            block[key] = value
    _extras(block, annotations, meta)
    return block  # type: ignore[return-value]


def text_of(value: Mapping[str, Any] | Iterable[Mapping[str, Any]]) -> str:
    """The text of a result's text blocks, joined by newlines: ``text_of(await client.call_tool(...))``.

    Takes a result with ``content`` (a tool result), or a list of content blocks.
    """
    blocks = value.get("content", ()) if isinstance(value, Mapping) else value
    return "\n".join(str(b["text"]) for b in blocks if isinstance(b, Mapping) and b.get("type") == "text")
