"""Fit an entity to the revision a peer negotiated: drop what that revision does not have.

Entities are built once with every field of the newest revision. Before one is sent, the
fields its revision lacks are removed, following one table (``GATED``) that says, per schema
definition, which field needs which feature of :mod:`mcpcore.revisions`; the tests check that
table against the official schemas. Content blocks of a kind the revision lacks (audio before
2025-03-26, resource links before 2025-06-18) cannot be expressed at all: they are left out,
with a warning in the log.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from mcpcore.revisions import Revision

__all__ = ["GATED", "NESTED", "content_list", "fit"]

_log = logging.getLogger("mcpcore")

_ENTITY: Final = {"title": "titles", "_meta": "meta_fields", "icons": "icons"}

GATED: Final[dict[str, dict[str, str]]] = {
    # definition: {field: the feature it needs}
    "Implementation": {
        "title": "titles",
        "description": "implementation_details",
        "websiteUrl": "implementation_details",
        "icons": "icons",
    },
    "Tool": {
        **_ENTITY,
        "annotations": "tool_annotations",
        "outputSchema": "structured_output",
    },
    "Resource": _ENTITY,
    "ResourceLink": _ENTITY,
    "ResourceTemplate": _ENTITY,
    "Prompt": _ENTITY,
    "PromptArgument": {"title": "titles"},
    "Annotations": {"lastModified": "last_modified"},
    "TextContent": {"_meta": "meta_fields"},
    "ImageContent": {"_meta": "meta_fields"},
    "AudioContent": {"_meta": "meta_fields"},
    "EmbeddedResource": {"_meta": "meta_fields"},
    "TextResourceContents": {"_meta": "meta_fields"},
    "BlobResourceContents": {"_meta": "meta_fields"},
    "CallToolResult": {"structuredContent": "structured_output"},
}

NESTED: Final[dict[str, dict[str, str]]] = {
    # definition: {field: the definition of its value (or of each item, for lists)}
    "Resource": {"annotations": "Annotations"},
    "ResourceLink": {"annotations": "Annotations"},
    "ResourceTemplate": {"annotations": "Annotations"},
    "Prompt": {"arguments": "PromptArgument"},
    "TextContent": {"annotations": "Annotations"},
    "ImageContent": {"annotations": "Annotations"},
    "AudioContent": {"annotations": "Annotations"},
    "EmbeddedResource": {"annotations": "Annotations"},
}

# The definition of each content block type, and the feature the type needs (if any).
_BLOCKS: Final[dict[str, tuple[str, str | None]]] = {
    "text": ("TextContent", None),
    "image": ("ImageContent", None),
    "audio": ("AudioContent", "audio"),
    "resource_link": ("ResourceLink", "resource_links"),
    "resource": ("EmbeddedResource", None),
}


# Every feature that some field or type of a content block needs.
_CONTENT_FEATURES: Final = frozenset(
    {feature for _, feature in _BLOCKS.values() if feature is not None}
    | {feature for name, _ in _BLOCKS.values() for feature in GATED.get(name, {}).values()}
    | set(GATED["Annotations"].values())
    | set(GATED["TextResourceContents"].values())
    | set(GATED["BlobResourceContents"].values())
)


def fit(revision: Revision, definition: str, value: dict[str, Any]) -> dict[str, Any]:
    """``value`` without the fields ``revision`` lacks; the same object when nothing goes."""
    gated = GATED.get(definition)
    nested = NESTED.get(definition)
    if gated is None and nested is None:
        return value
    out: dict[str, Any] | None = None
    features = revision.features
    for key in value:
        feature = gated.get(key) if gated is not None else None
        if feature is not None and feature not in features:
            if out is None:
                out = dict(value)
            del out[key]
            continue
        inner = nested.get(key) if nested is not None else None
        if inner is not None:
            item = value[key]
            if isinstance(item, list):
                fitted: Any = [fit(revision, inner, x) if isinstance(x, dict) else x for x in item]
            elif isinstance(item, dict):
                fitted = fit(revision, inner, item)
            else:
                continue
            if fitted != item:
                if out is None:
                    out = dict(value)
                out[key] = fitted
    if definition == "EmbeddedResource" and isinstance(value.get("resource"), dict):
        resource = value["resource"]
        kind = "BlobResourceContents" if "blob" in resource else "TextResourceContents"
        fitted_resource = fit(revision, kind, resource)
        if fitted_resource is not resource:
            if out is None:
                out = dict(value)
            out["resource"] = fitted_resource
    return value if out is None else out


def content_list(revision: Revision, blocks: list[Any]) -> list[Any]:
    """Fit each content block; a block whose type the revision lacks is left out (logged)."""
    if revision.features >= _CONTENT_FEATURES:
        # The revision has every field and type a content block may carry: nothing to fit.
        return blocks
    out = []
    for block in blocks:
        kind = block.get("type") if isinstance(block, dict) else None
        entry = _BLOCKS.get(kind) if isinstance(kind, str) else None
        if entry is None:
            out.append(block)
            continue
        definition, feature = entry
        if feature is not None and feature not in revision.features:
            _log.warning("leaving out a %r content block: revision %s has no such content", kind, revision)
            continue
        out.append(fit(revision, definition, block))
    return out
