"""The feature table and the field table agree with the official schemas of every revision."""

from __future__ import annotations

from typing import Any

import pytest

from mcpcore import _shapes
from mcpcore.revisions import FEATURES, HANDSHAKE_VERSIONS, REVISIONS
from tests.spec import definitions, needs_spec

pytestmark = needs_spec


def _properties(revision: str, definition: str) -> set[str]:
    node = definitions(revision).get(definition)
    return set(node.get("properties", {})) if node else set()


def _params(revision: str, definition: str) -> set[str]:
    """The params properties of a request or notification (inline, or a *Params definition)."""
    node: dict[str, Any] = definitions(revision)[definition]["properties"]["params"]
    if "$ref" in node:
        node = definitions(revision)[node["$ref"].rsplit("/", 1)[-1]]
    return set(node.get("properties", {}))


# How each feature shows in a schema: a predicate over the revision.
EVIDENCE = {
    "audio": lambda r: "AudioContent" in definitions(r),
    "tool_annotations": lambda r: "annotations" in _properties(r, "Tool"),
    "progress_message": lambda r: "message" in _params(r, "ProgressNotification"),
    "completions_capability": lambda r: "completions" in _properties(r, "ServerCapabilities"),
    "titles": lambda r: "title" in _properties(r, "Tool") and "title" in _properties(r, "Implementation"),
    "structured_output": lambda r: "structuredContent" in _properties(r, "CallToolResult"),
    "resource_links": lambda r: "ResourceLink" in definitions(r),
    "meta_fields": lambda r: "_meta" in _properties(r, "TextContent"),
    "last_modified": lambda r: "lastModified" in _properties(r, "Annotations"),
    "completion_context": lambda r: "context" in _params(r, "CompleteRequest"),
    "elicitation": lambda r: "ElicitRequest" in definitions(r),
    "icons": lambda r: "Icon" in definitions(r),
    "implementation_details": lambda r: "websiteUrl" in _properties(r, "Implementation"),
    "url_elicitation": lambda r: "ElicitRequestURLParams" in definitions(r),
    "enum_schemas": lambda r: "TitledSingleSelectEnumSchema" in definitions(r),
    "sampling_tools": lambda r: "tools" in _params(r, "CreateMessageRequest"),
}


def test_every_feature_has_evidence_or_a_reason() -> None:
    # These are rules of the prose (tools.mdx, SEP-1303; transports.mdx), not of the schema.
    prose = {"tool_errors_in_result", "protocol_version_header", "sse_polling"}
    assert set(EVIDENCE) | prose == set(FEATURES)


@pytest.mark.parametrize("feature", sorted(EVIDENCE))
@pytest.mark.parametrize("revision", HANDSHAKE_VERSIONS)
def test_feature_matches_the_schema(feature: str, revision: str) -> None:
    assert REVISIONS[revision].has(feature) == EVIDENCE[feature](revision)


@pytest.mark.parametrize("revision", HANDSHAKE_VERSIONS)
@pytest.mark.parametrize(
    ("definition", "field", "feature"),
    [(d, f, feat) for d, fields in _shapes.GATED.items() for f, feat in fields.items()],
)
def test_gated_field_exists_exactly_with_its_feature(
    definition: str, field: str, feature: str, revision: str
) -> None:
    if definition not in definitions(revision):
        # The definition itself is newer (ResourceLink, AudioContent): its feature covers it.
        return
    assert (field in _properties(revision, definition)) == REVISIONS[revision].has(feature)


@pytest.mark.parametrize("revision", HANDSHAKE_VERSIONS)
def test_every_optional_field_of_a_gated_definition_is_listed(revision: str) -> None:
    """A field that appears in a later revision of a gated definition must be in the table."""
    newest = HANDSHAKE_VERSIONS[-1]
    for definition, gated in _shapes.GATED.items():
        if definition not in definitions(revision):
            continue
        added = _properties(newest, definition) - _properties(revision, definition)
        assert added <= set(gated) | {"execution"}, (definition, revision, added - set(gated))


def test_fit_drops_what_a_revision_lacks() -> None:
    tool = {
        "name": "t",
        "inputSchema": {"type": "object"},
        "title": "T",
        "annotations": {"readOnlyHint": True},
        "outputSchema": {"type": "object"},
        "icons": [{"src": "https://example.com/i.png"}],
        "_meta": {"k": 1},
    }
    old = _shapes.fit(REVISIONS["2024-11-05"], "Tool", tool)
    assert old == {"name": "t", "inputSchema": {"type": "object"}}
    assert _shapes.fit(REVISIONS["2025-11-25"], "Tool", tool) is tool
    prompt = {"name": "p", "title": "P", "arguments": [{"name": "a", "title": "A", "required": True}]}
    assert _shapes.fit(REVISIONS["2025-03-26"], "Prompt", prompt) == {
        "name": "p",
        "arguments": [{"name": "a", "required": True}],
    }
    assert prompt["title"] == "P"  # the original is untouched


def test_content_list_leaves_out_what_a_revision_cannot_express() -> None:
    blocks = [
        {
            "type": "text",
            "text": "x",
            "_meta": {"k": 1},
            "annotations": {"priority": 1, "lastModified": "2025"},
        },
        {"type": "audio", "data": "", "mimeType": "audio/wav"},
        {"type": "resource_link", "uri": "file:///a", "name": "a"},
    ]
    assert _shapes.content_list(REVISIONS["2024-11-05"], blocks) == [
        {"type": "text", "text": "x", "annotations": {"priority": 1}}
    ]
    assert len(_shapes.content_list(REVISIONS["2025-03-26"], blocks)) == 2
    assert _shapes.content_list(REVISIONS["2025-11-25"], blocks) is blocks


def test_resource_link_icons_are_fitted_for_2025_06_18() -> None:
    link = {"type": "resource_link", "uri": "file:///a", "name": "a", "icons": [{"src": "https://x/i.png"}]}
    assert _shapes.content_list(REVISIONS["2025-06-18"], [link]) == [
        {"type": "resource_link", "uri": "file:///a", "name": "a"}
    ]
